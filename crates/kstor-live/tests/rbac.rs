//! `deploy/rbac/kstor-audit.yaml` grants get and list on exactly the resources kstor lists.

use std::collections::BTreeSet;

#[test]
fn the_cluster_role_grants_get_list_on_exactly_the_resources_read() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/rbac/kstor-audit.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let role =
        text.split("\n---\n").find(|doc| doc.contains("\nkind: ClusterRole\n")).expect("a ClusterRole");
    let mut granted = BTreeSet::new();
    let mut group: Option<String> = None;
    let mut in_resources = false;
    for line in role.lines().map(|l| l.split('#').next().unwrap().trim_end()) {
        let trimmed = line.trim();
        if let Some(groups) = trimmed.strip_prefix("- apiGroups: [").and_then(|g| g.strip_suffix(']')) {
            group = Some(groups.trim_matches('"').to_string());
            in_resources = false;
        } else if trimmed == "resources:" {
            in_resources = true;
        } else if let Some(verbs) = trimmed.strip_prefix("verbs: ") {
            assert_eq!(verbs, r#"["get", "list"]"#, "only get and list");
            in_resources = false;
        } else if in_resources && let Some(resource) = trimmed.strip_prefix("- ") {
            granted.insert((group.clone().expect("apiGroups first"), resource.to_string()));
        } else {
            assert!(!trimmed.starts_with("- ") || !in_resources, "{line}");
        }
    }
    let read: BTreeSet<(String, String)> =
        kstor_live::RESOURCES.iter().map(|r| (r.group.to_string(), r.plural.to_string())).collect();
    assert_eq!(granted, read);
    let code: String = text.lines().map(|l| l.split('#').next().unwrap()).collect();
    assert!(!code.contains("watch") && !code.contains("secrets") && !code.contains('*'));
}
