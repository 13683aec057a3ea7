//! One file per exported rule: each turns the catalog into the rule's policies.

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules as r;

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

/// The exported rules, with the rule each exports.
pub const EXPORTERS: &[(&RuleMeta, Exporter)] = &[
    (
        &r::immediate_binding_on_topology_storage::ImmediateBindingOnTopologyStorage::META,
        immediate_binding_on_topology_storage::policies,
    ),
    (&r::rwo_claim_rolling_update::RwoClaimRollingUpdate::META, rwo_claim_rolling_update::policies),
    (
        &r::statefulset_retention_deletes_claims::StatefulsetRetentionDeletesClaims::META,
        statefulset_retention_deletes_claims::policies,
    ),
    (&r::deprecated_snapshot_api::DeprecatedSnapshotApi::META, deprecated_snapshot_api::policies),
    (
        &r::fsgroup_without_change_policy::FsgroupWithoutChangePolicy::META,
        fsgroup_without_change_policy::policies,
    ),
    (
        &r::memory_emptydir_without_size_limit::MemoryEmptydirWithoutSizeLimit::META,
        memory_emptydir_without_size_limit::policies,
    ),
    (
        &r::memory_emptydir_exceeds_memory_limit::MemoryEmptydirExceedsMemoryLimit::META,
        memory_emptydir_exceeds_memory_limit::policies,
    ),
    (&r::volume_expansion_disabled::VolumeExpansionDisabled::META, volume_expansion_disabled::policies),
    (
        &r::deprecated_in_tree_provisioner::DeprecatedInTreeProvisioner::META,
        deprecated_in_tree_provisioner::policies,
    ),
    (
        &r::multiple_default_storage_classes::MultipleDefaultStorageClasses::META,
        multiple_default_storage_classes::policies,
    ),
    (&r::unencrypted_volume::UnencryptedVolume::META, unencrypted_volume::policies),
    (&r::legacy_volume_type::LegacyVolumeType::META, legacy_volume_type::policies),
];

/// The StorageClass resource.
pub(crate) fn storage_classes() -> Vec<super::Resource> {
    vec![super::Resource::new("storage.k8s.io", "v1", &["storageclasses"])]
}

/// `'KS101 immediate-binding-on-topology-storage: ' + …`.
pub(crate) fn message(rule: &RuleMeta, rest: &str) -> String {
    format!("{} + {rest}", super::cel::lit(&format!("{} {}: ", rule.code, rule.name)))
}
