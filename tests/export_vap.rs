//! `kstor export vap`, run as users run it: the output is valid Kubernetes
//! (admissionregistration.k8s.io/v1 against the 1.30 and 1.37 schemas), every policy has its
//! binding, `--rules` and `--action` select and set what they say, and rules a policy cannot
//! judge are named in the header or refused when asked for. The CEL itself is evaluated
//! against every rule's fixtures in crates/kstor-engine/tests/vap.rs.

#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::process::Command as Process;

use assert_cmd::Command;
use kstor_model::Limits;
use kstor_model::yaml::parse_stream;
use tools::kubernetes_validate;

fn export(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .args(["export", "vap", "--no-config"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (kind, name) → the document, as JSON.
fn documents(yaml: &str) -> Vec<serde_json::Value> {
    let stream = parse_stream(yaml, &Limits::default());
    assert!(stream.errors.is_empty(), "the export parses: {:?}", stream.errors);
    (0..stream.documents.len()).map(|i| stream.root(i).to_json()).collect()
}

#[test]
fn every_policy_has_a_binding_with_the_severity_action() {
    let (code, stdout, stderr) = export(&[]);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    let policies: BTreeMap<String, &serde_json::Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ValidatingAdmissionPolicy")
        .map(|d| (d["metadata"]["name"].as_str().unwrap().to_string(), d))
        .collect();
    let bindings: BTreeMap<String, &serde_json::Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ValidatingAdmissionPolicyBinding")
        .map(|d| (d["spec"]["policyName"].as_str().unwrap().to_string(), d))
        .collect();
    assert_eq!(policies.keys().collect::<Vec<_>>(), bindings.keys().collect::<Vec<_>>());
    for required in [
        "KS101", "KS203", "KS302", "KS403", "KS503", "KS601", "KS602", "KS701", "KS801", "KS803", "KS804",
        "KS805",
    ] {
        assert!(
            policies.values().any(|p| p["metadata"]["annotations"]["kstor.io/rule"] == required),
            "{required} is not exported"
        );
    }
    for (name, policy) in &policies {
        for validation in policy["spec"]["validations"].as_array().unwrap() {
            assert_eq!(validation["reason"], "Invalid", "{name}");
            let code = policy["metadata"]["annotations"]["kstor.io/rule"].as_str().unwrap();
            assert!(
                validation["messageExpression"].as_str().unwrap().contains(&format!("'{code} ")),
                "{name}"
            );
        }
        let binding = bindings[name];
        let actions = binding["spec"]["validationActions"].as_array().unwrap();
        // Node-local KS101 (an error) denies, KS805 (info) only audits, KS601 (warning) warns.
        let expected = if name.contains("ks101") && name.ends_with("node-local") {
            "Deny"
        } else if name.contains("ks805") || name.contains("ks503") {
            "Audit"
        } else if name.contains("ks601") {
            "Warn"
        } else {
            continue;
        };
        assert_eq!(actions, &vec![serde_json::json!(expected)], "{name}");
        // Policies with parameters judge against every object of their kind.
        if policy["spec"]["paramKind"].is_object() {
            assert_eq!(binding["spec"]["paramRef"]["parameterNotFoundAction"], "Allow", "{name}");
        }
    }
    // Rules a policy cannot judge are listed at the top, with why.
    let header: Vec<&str> = stdout.lines().take_while(|l| l.starts_with('#')).collect();
    let header = header.join("\n");
    assert!(header.contains("KS201: needs kstor serve"), "{header}");
    assert!(header.contains("KS901: needs kstor audit"), "{header}");
    assert!(!header.contains("KS101:"), "{header}");
}

#[test]
fn rules_and_action_select_what_they_say() {
    let (code, stdout, stderr) =
        export(&["--rules", "KS403,memory-emptydir-without-size-limit", "--action", "warn"]);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    let rules: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "ValidatingAdmissionPolicy")
        .map(|d| d["metadata"]["annotations"]["kstor.io/rule"].as_str().unwrap())
        .collect();
    assert!(rules.iter().all(|r| *r == "KS403" || *r == "KS601") && rules.contains(&"KS403"), "{rules:?}");
    assert_eq!(rules.iter().filter(|r| **r == "KS601").count(), 3, "pods, workloads and cronjobs");
    for binding in docs.iter().filter(|d| d["kind"] == "ValidatingAdmissionPolicyBinding") {
        assert_eq!(binding["spec"]["validationActions"], serde_json::json!(["Warn"]));
    }
}

#[test]
fn rules_that_need_the_graph_are_refused_by_name() {
    let (code, stdout, stderr) = export(&["--rules", "KS201"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("KS201 cannot be exported") && stderr.contains("needs kstor serve"), "{stderr}");
    let (code, _, stderr) = export(&["--rules", "KS999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule `KS999`"), "{stderr}");
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policies.yaml");
    let (code, stdout, stderr) = export(&["--rules", "KS701", "-o", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("kstor-ks701-volume-expansion-disabled"), "{written}");
}

#[test]
fn the_export_validates_against_the_kubernetes_schemas() {
    let Some(validator) = kubernetes_validate() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vap.yaml");
    let (code, stdout, stderr) = export(&[]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(&path, &stdout).unwrap();
    let objects = documents(&stdout).len();
    // admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA from 1.30.
    for version in ["1.30.0", "1.37.0"] {
        let out = Process::new(&validator).args(["--strict", "-k", version]).arg(&path).output().unwrap();
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success() && !text.lines().any(|l| l.starts_with("ERROR")),
            "Kubernetes {version}:\n{text}"
        );
        let passed = text.lines().filter(|l| l.contains("passed for resource")).count();
        assert_eq!(passed, objects, "Kubernetes {version}: every object validated\n{text}");
    }
}
