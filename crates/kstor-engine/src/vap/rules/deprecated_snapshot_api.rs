//! KS403 deprecated-snapshot-api: snapshot objects in versions the CRDs no longer serve.

use kstor_model::catalog::Catalog;
use kstor_rules::Severity;

use super::message;
use crate::vap::cel::{list, object_name};
use crate::vap::{Policy, Resource, Validation};

const OLD: [&str; 2] = ["snapshot.storage.k8s.io/v1alpha1", "snapshot.storage.k8s.io/v1beta1"];

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let message = message(
        "KS403",
        "deprecated-snapshot-api",
        &format!(
            "object.kind + ' ' + {} + ' uses ' + object.apiVersion + ', which ' + (object.apiVersion.endsWith('v1alpha1') ? 'was removed when the snapshot API moved to v1beta1 (external-snapshotter v2.0)' : 'is no longer served by the snapshot CRDs (external-snapshotter v6.0 and later)') + ': applying it fails with \"no matches for kind\", so the snapshot it describes is never created; use apiVersion: snapshot.storage.k8s.io/v1'",
            object_name()
        ),
    );
    vec![Policy {
        code: "KS403",
        rule: "deprecated-snapshot-api",
        variant: None,
        severity: Severity::Error,
        resources: vec![Resource {
            group: "snapshot.storage.k8s.io",
            versions: vec!["v1alpha1", "v1beta1"],
            resources: vec!["volumesnapshotclasses", "volumesnapshots", "volumesnapshotcontents"],
        }],
        // Only requests written in the old versions: with Equivalent matching a request in v1
        // would be converted and judged too.
        exact_versions: true,
        param: None,
        match_conditions: Vec::new(),
        variables: Vec::new(),
        validations: vec![Validation {
            expression: format!("!(object.apiVersion in {})", list(OLD)),
            message_expression: message,
        }],
        caveat: Some(
            "API servers only receive these versions while the snapshot CRDs still serve them (external-snapshotter before v6.0)",
        ),
    }]
}
