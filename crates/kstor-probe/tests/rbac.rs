//! `deploy/rbac/kstor-probe.yaml` grants every permission the preflight asks for, and
//! `patch nodes` only in the separate chaos role.

use serde_json::Value;

fn documents() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/rbac/kstor-probe.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_multiple(&text).unwrap()
}

fn role<'a>(documents: &'a [Value], name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no ClusterRole {name}"))
}

fn grants(role: &Value, verb: &str, group: &str, resource: &str) -> bool {
    let has = |list: &Value, item: &str| list.as_array().is_some_and(|l| l.iter().any(|v| v == item));
    role["rules"].as_array().unwrap().iter().any(|rule| {
        has(&rule["apiGroups"], group) && has(&rule["resources"], resource) && has(&rule["verbs"], verb)
    })
}

#[test]
fn the_probe_role_grants_what_the_preflight_checks() {
    let documents = documents();
    let probe = role(&documents, "kstor-probe");
    for (verb, group, resource) in kstor_probe::preflight::NEEDED {
        assert!(grants(probe, verb, group, resource), "kstor-probe may not {verb} {resource} ({group:?})");
    }
    assert!(!grants(probe, "patch", "", "nodes"), "cordoning is only in the chaos role");
    assert!(grants(role(&documents, "kstor-probe-chaos"), "patch", "", "nodes"));
    // Nothing cluster-wide is writable beyond what the cleanup deletes.
    for rule in probe["rules"].as_array().unwrap() {
        for verb in rule["verbs"].as_array().unwrap() {
            assert_ne!(verb, "*", "{rule}");
            assert_ne!(verb, "update", "{rule}");
        }
    }
}
