//! The explicit table of every rule, and rule selection by code, name or code prefix.

use crate::rule::Rule;
use crate::rules::{
    access_mode_unsupported_by_driver::AccessModeUnsupportedByDriver,
    allowed_topologies_mismatch::AllowedTopologiesMismatch, attachment_stuck::AttachmentStuck,
    block_volume_mode_mismatch::BlockVolumeModeMismatch, claim_lost::ClaimLost, claim_pending::ClaimPending,
    claim_without_storage_class::ClaimWithoutStorageClass, csi_metrics_not_exposed::CsiMetricsNotExposed,
    csi_sidecar_without_resources::CsiSidecarWithoutResources,
    delete_reclaim_for_critical_data::DeleteReclaimForCriticalData,
    deprecated_in_tree_provisioner::DeprecatedInTreeProvisioner,
    deprecated_snapshot_api::DeprecatedSnapshotApi, fsgroup_ignored_by_driver::FsgroupIgnoredByDriver,
    fsgroup_without_change_policy::FsgroupWithoutChangePolicy,
    hostpath_for_persistent_data::HostpathForPersistentData,
    immediate_binding_on_topology_storage::ImmediateBindingOnTopologyStorage,
    invalid_manifest::InvalidManifest, legacy_volume_type::LegacyVolumeType,
    memory_emptydir_exceeds_memory_limit::MemoryEmptydirExceedsMemoryLimit,
    memory_emptydir_without_size_limit::MemoryEmptydirWithoutSizeLimit,
    multiple_default_snapshot_classes::MultipleDefaultSnapshotClasses,
    multiple_default_storage_classes::MultipleDefaultStorageClasses,
    no_default_storage_class::NoDefaultStorageClass, no_snapshot_class_for_driver::NoSnapshotClassForDriver,
    no_snapshot_schedule::NoSnapshotSchedule, non_root_without_fsgroup::NonRootWithoutFsgroup,
    prefer_read_write_once_pod::PreferReadWriteOncePod, pv_without_node_affinity::PvWithoutNodeAffinity,
    released_volume_retained::ReleasedVolumeRetained, resize_pending::ResizePending,
    rwo_claim_rolling_update::RwoClaimRollingUpdate,
    rwo_claim_shared_across_nodes::RwoClaimSharedAcrossNodes, rwx_for_database::RwxForDatabase,
    snapshot_class_deletes_snapshots::SnapshotClassDeletesSnapshots, snapshot_not_ready::SnapshotNotReady,
    snapshot_reference_broken::SnapshotReferenceBroken, snapshots_unavailable::SnapshotsUnavailable,
    stateful_data_on_ephemeral_storage::StatefulDataOnEphemeralStorage,
    statefulset_retention_deletes_claims::StatefulsetRetentionDeletesClaims,
    unencrypted_volume::UnencryptedVolume, unresolved_storage_reference::UnresolvedStorageReference,
    unused_claim::UnusedClaim, volume_expansion_disabled::VolumeExpansionDisabled,
    volume_unreachable_topology::VolumeUnreachableTopology,
};

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &InvalidManifest,
    &ImmediateBindingOnTopologyStorage,
    &AllowedTopologiesMismatch,
    &RwxForDatabase,
    &RwoClaimSharedAcrossNodes,
    &RwoClaimRollingUpdate,
    &AccessModeUnsupportedByDriver,
    &PreferReadWriteOncePod,
    &DeleteReclaimForCriticalData,
    &StatefulsetRetentionDeletesClaims,
    &StatefulDataOnEphemeralStorage,
    &HostpathForPersistentData,
    &PvWithoutNodeAffinity,
    &NoSnapshotClassForDriver,
    &SnapshotReferenceBroken,
    &DeprecatedSnapshotApi,
    &SnapshotClassDeletesSnapshots,
    &MultipleDefaultSnapshotClasses,
    &NoSnapshotSchedule,
    &NonRootWithoutFsgroup,
    &FsgroupIgnoredByDriver,
    &FsgroupWithoutChangePolicy,
    &MemoryEmptydirWithoutSizeLimit,
    &MemoryEmptydirExceedsMemoryLimit,
    &VolumeExpansionDisabled,
    &ClaimWithoutStorageClass,
    &UnresolvedStorageReference,
    &BlockVolumeModeMismatch,
    &DeprecatedInTreeProvisioner,
    &CsiSidecarWithoutResources,
    &MultipleDefaultStorageClasses,
    &UnencryptedVolume,
    &LegacyVolumeType,
    &CsiMetricsNotExposed,
    &ClaimPending,
    &ReleasedVolumeRetained,
    &ClaimLost,
    &UnusedClaim,
    &VolumeUnreachableTopology,
    &AttachmentStuck,
    &ResizePending,
    &SnapshotNotReady,
    &NoDefaultStorageClass,
    &SnapshotsUnavailable,
];

/// Every registered rule.
pub fn rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// A rule by code (`KS201`, any case) or name (`rwx-for-database`).
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| {
        let meta = r.meta();
        meta.code.eq_ignore_ascii_case(code_or_name) || meta.name == code_or_name
    })
}

/// Rules matched by a selector: a code, a name, a code prefix (`KS2`, `KS20`) or `ALL`.
pub fn select(selector: &str) -> Result<Vec<&'static dyn Rule>, String> {
    let selector = selector.trim();
    if selector.eq_ignore_ascii_case("all") {
        return Ok(RULES.to_vec());
    }
    if let Some(rule) = find(selector) {
        return Ok(vec![rule]);
    }
    let upper = selector.to_ascii_uppercase();
    let matched: Vec<_> = if upper.starts_with("KS") && upper[2..].chars().all(|c| c.is_ascii_digit()) {
        RULES.iter().copied().filter(|r| r.meta().code.starts_with(&upper)).collect()
    } else {
        Vec::new()
    };
    if matched.is_empty() {
        Err(format!("unknown rule `{selector}` (see `kstor rules`)"))
    } else {
        Ok(matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{DOC_SECTIONS, Requires};

    #[test]
    fn codes_and_names_are_unique_and_sorted() {
        let codes: Vec<_> = RULES.iter().map(|r| r.meta().code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        let mut names: Vec<_> = RULES.iter().map(|r| r.meta().name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }

    #[test]
    fn every_rule_documents_every_section() {
        for rule in RULES {
            let meta = rule.meta();
            for heading in DOC_SECTIONS {
                let body = meta.section(heading).unwrap_or_default();
                assert!(body.len() > 20, "{} lacks a `## {heading}` section with content", meta.code);
            }
            assert!(meta.summary.len() > 10 && !meta.summary.ends_with('.'), "{} summary", meta.code);
            assert_eq!(meta.name, meta.name.to_ascii_lowercase(), "{} name must be kebab-case", meta.code);
        }
    }

    #[test]
    fn every_rule_documents_its_automatic_fix_as_declared() {
        use crate::finding::Applicability;
        for rule in RULES {
            let meta = rule.meta();
            let fix = meta.section("Fix").unwrap_or_default();
            let paragraph = fix.split("**Automatic fix:** ").nth(1).unwrap_or_else(|| {
                panic!("{}: the Fix section lacks an **Automatic fix:** paragraph", meta.code)
            });
            let paragraph = paragraph.split("\n\n").next().unwrap_or_default().replace('\n', " ");
            if meta.fixes.is_empty() {
                assert!(
                    paragraph.starts_with("none: ") && paragraph.len() > 30,
                    "{}: say why there is none",
                    meta.code
                );
                continue;
            }
            let says =
                |word: &str| paragraph.split(|c: char| !c.is_alphanumeric() && c != '-').any(|w| w == word);
            for kind in meta.fixes {
                let word = match kind {
                    Applicability::Safe => "safe",
                    Applicability::Unsafe => "unsafe",
                    Applicability::DisplayOnly => "suggested",
                };
                assert!(
                    says(word),
                    "{}: the Automatic fix paragraph does not say `{word}`: {paragraph}",
                    meta.code
                );
            }
            assert!(!paragraph.starts_with("none"), "{}", meta.code);
        }
    }

    #[test]
    fn rules_documented_as_audit_only_require_audit_facts() {
        for rule in RULES {
            let meta = rule.meta();
            let audit_only = meta.documentation().contains("`kstor audit` only");
            assert_eq!(audit_only, meta.requires == Requires::AuditFacts, "{}", meta.code);
        }
    }

    #[test]
    fn selectors_accept_codes_names_and_prefixes() {
        assert_eq!(select("ks201").unwrap()[0].meta().name, "rwx-for-database");
        assert_eq!(select("rwx-for-database").unwrap()[0].meta().code, "KS201");
        let group: Vec<_> = select("KS2").unwrap().iter().map(|r| r.meta().code).collect();
        assert_eq!(group, vec!["KS201", "KS202", "KS203", "KS204", "KS205"]);
        assert_eq!(select("ALL").unwrap().len(), RULES.len());
        assert!(select("KS999").is_err());
        assert!(select("nope").is_err());
    }
}
