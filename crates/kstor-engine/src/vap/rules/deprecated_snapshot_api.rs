//! KS403 deprecated-snapshot-api: snapshot objects in versions the CRDs no longer serve.

use kstor_model::api::SNAPSHOT_GROUP;
use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::deprecated_snapshot_api::DeprecatedSnapshotApi;

use super::message;
use crate::vap::cel::{list, object_name};
use crate::vap::{Policy, Resource, Validation};

const RULE: &RuleMeta = &DeprecatedSnapshotApi::META;
const OLD_VERSIONS: [&str; 2] = ["v1alpha1", "v1beta1"];

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let old: Vec<String> = OLD_VERSIONS.iter().map(|v| format!("{SNAPSHOT_GROUP}/{v}")).collect();
    let validation = Validation {
        expression: format!("!(object.apiVersion in {})", list(&old)),
        message_expression: message(
            RULE,
            &format!(
                "object.kind + ' ' + {} + ' uses ' + object.apiVersion + ', which ' + (object.apiVersion.endsWith('v1alpha1') ? 'was removed when the snapshot API moved to v1beta1 (external-snapshotter v2.0)' : 'is no longer served by the snapshot CRDs (external-snapshotter v6.0 and later)') + ': applying it fails with \"no matches for kind\", so the snapshot it describes is never created; use apiVersion: snapshot.storage.k8s.io/v1'",
                object_name()
            ),
        ),
    };
    let resources = vec![Resource {
        group: SNAPSHOT_GROUP,
        versions: OLD_VERSIONS.to_vec(),
        resources: vec!["volumesnapshotclasses", "volumesnapshots", "volumesnapshotcontents"],
    }];
    // Only requests written in the old versions: with Equivalent matching a request in v1
    // would be converted and judged too.
    vec![Policy::new(RULE, resources, validation).exact_versions().caveat(
        "API servers only receive these versions while the snapshot CRDs still serve them (external-snapshotter before v6.0)",
    )]
}
