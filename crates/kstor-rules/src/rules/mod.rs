//! One file per rule. Each rule's doc comment is its documentation (docs/rules/*.md is
//! generated from it).

mod common;

pub use common::{FsGroupEffect, csi_sidecar_image_names, fs_group_effect};

pub mod access_mode_unsupported_by_driver;
pub mod allowed_topologies_mismatch;
pub mod attachment_stuck;
pub mod block_volume_mode_mismatch;
pub mod claim_lost;
pub mod claim_pending;
pub mod claim_without_storage_class;
pub mod csi_metrics_not_exposed;
pub mod csi_sidecar_without_resources;
pub mod delete_reclaim_for_critical_data;
pub mod deprecated_in_tree_provisioner;
pub mod deprecated_snapshot_api;
pub mod fsgroup_ignored_by_driver;
pub mod fsgroup_without_change_policy;
pub mod hostpath_for_persistent_data;
pub mod immediate_binding_on_topology_storage;
pub mod invalid_manifest;
pub mod legacy_volume_type;
pub mod memory_emptydir_exceeds_memory_limit;
pub mod memory_emptydir_without_size_limit;
pub mod multiple_default_snapshot_classes;
pub mod multiple_default_storage_classes;
pub mod no_default_storage_class;
pub mod no_snapshot_class_for_driver;
pub mod no_snapshot_schedule;
pub mod non_root_without_fsgroup;
pub mod prefer_read_write_once_pod;
pub mod pv_without_node_affinity;
pub mod released_volume_retained;
pub mod resize_pending;
pub mod rwo_claim_rolling_update;
pub mod rwo_claim_shared_across_nodes;
pub mod rwx_for_database;
pub mod snapshot_class_deletes_snapshots;
pub mod snapshot_not_ready;
pub mod snapshot_reference_broken;
pub mod snapshots_unavailable;
pub mod stateful_data_on_ephemeral_storage;
pub mod statefulset_retention_deletes_claims;
pub mod unencrypted_volume;
pub mod unresolved_storage_reference;
pub mod unused_claim;
pub mod volume_expansion_disabled;
pub mod volume_unreachable_topology;
