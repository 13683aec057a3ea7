//! One file per exported rule: each turns the catalog into the rule's policies.

use kstor_model::catalog::Catalog;

use super::Policy;

mod deprecated_in_tree_provisioner;
mod deprecated_snapshot_api;
mod fsgroup_without_change_policy;
mod immediate_binding_on_topology_storage;
mod legacy_volume_type;
mod memory_emptydir_exceeds_memory_limit;
mod memory_emptydir_without_size_limit;
mod multiple_default_storage_classes;
mod rwo_claim_rolling_update;
mod statefulset_retention_deletes_claims;
mod unencrypted_volume;
mod volume_expansion_disabled;

/// A rule's policies from the catalog.
pub type Exporter = fn(&Catalog) -> Vec<Policy>;

/// The exported rules, by code.
pub const EXPORTERS: &[(&str, Exporter)] = &[
    ("KS101", immediate_binding_on_topology_storage::policies),
    ("KS203", rwo_claim_rolling_update::policies),
    ("KS302", statefulset_retention_deletes_claims::policies),
    ("KS403", deprecated_snapshot_api::policies),
    ("KS503", fsgroup_without_change_policy::policies),
    ("KS601", memory_emptydir_without_size_limit::policies),
    ("KS602", memory_emptydir_exceeds_memory_limit::policies),
    ("KS701", volume_expansion_disabled::policies),
    ("KS801", deprecated_in_tree_provisioner::policies),
    ("KS803", multiple_default_storage_classes::policies),
    ("KS804", unencrypted_volume::policies),
    ("KS805", legacy_volume_type::policies),
];

/// The StorageClass resource.
pub(crate) fn storage_classes() -> Vec<super::Resource> {
    vec![super::Resource::new("storage.k8s.io", "v1", &["storageclasses"])]
}

/// `'KS101 immediate-binding-on-topology-storage: ' + …`.
pub(crate) fn message(code: &str, rule: &str, rest: &str) -> String {
    format!("{} + {rest}", super::cel::lit(&format!("{code} {rule}: ")))
}
