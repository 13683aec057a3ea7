//! Discovery documents (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}[/{version}]`),
//! in the legacy (unaggregated) form kube-rs' `Discovery::run` and oneshot discovery read.

use serde_json::{Value, json};

use crate::resources::{self, ResourceType};

const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const AUTHORIZATION: &str = "authorization.k8s.io";

/// `/version`.
pub fn version((major, minor): (u32, u32)) -> Value {
    json!({
        "major": major.to_string(), "minor": minor.to_string(),
        "gitVersion": format!("v{major}.{minor}.1"), "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
        "gitTreeState": "clean", "buildDate": "2025-05-15T08:19:08Z", "goVersion": "go1.24.2",
        "compiler": "gc", "platform": "linux/amd64",
    })
}

/// `/api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
           "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]})
}

fn group_doc(group: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/v1"), "version": "v1"});
    json!({"name": group, "versions": [gv], "preferredVersion": gv})
}

fn served_groups(snapshots: bool) -> Vec<&'static str> {
    let mut groups = resources::groups();
    groups.retain(|g| snapshots || *g != resources::SNAPSHOT_GROUP);
    groups.push(AUTHORIZATION);
    groups
}

/// `/apis`.
pub fn groups(snapshots: bool) -> Value {
    let groups: Vec<Value> = served_groups(snapshots).into_iter().map(group_doc).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, if served.
pub fn group(name: &str, snapshots: bool) -> Option<Value> {
    served_groups(snapshots).contains(&name).then(|| {
        let mut doc = group_doc(name);
        doc["kind"] = json!("APIGroup");
        doc["apiVersion"] = json!("v1");
        doc
    })
}

fn resource(t: &ResourceType) -> Value {
    let singular = t.kind.to_lowercase();
    json!({"name": t.plural, "singularName": singular, "namespaced": t.namespaced, "kind": t.kind, "verbs": VERBS})
}

fn subresource(t: &ResourceType, sub: &str, verbs: &[&str]) -> Value {
    json!({"name": format!("{}/{sub}", t.plural), "singularName": "", "namespaced": t.namespaced, "kind": t.kind, "verbs": verbs})
}

/// `/api/v1` or `/apis/{group}/{version}`, if served.
pub fn resources(group: &str, version: &str, snapshots: bool) -> Option<Value> {
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    let mut list = Vec::new();
    if group == AUTHORIZATION && version == "v1" {
        list.push(json!({"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview", "namespaced": false,
                         "kind": "SelfSubjectAccessReview", "verbs": ["create"]}));
    }
    for t in resources::TYPES.iter().filter(|t| t.group == group && t.version == version) {
        if t.is_snapshot() && !snapshots {
            return None;
        }
        list.push(resource(t));
        if t.status {
            list.push(subresource(t, "status", &["get", "patch", "update"]));
        }
        if t.kind == "Pod" {
            list.push(subresource(t, "log", &["get"]));
        }
    }
    if list.is_empty() {
        return None;
    }
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list}),
    )
}
