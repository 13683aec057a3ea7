//! The `snapshot.storage.k8s.io` types (CRDs, so not part of k8s-openapi).
//!
//! Only the fields kstor reads are declared; unknown fields are ignored, wrong types fail
//! the decode (and become KS001 findings) exactly as for built-in kinds.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

/// `VolumeSnapshotClass` (cluster-scoped).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotClass {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The CSI driver that takes the snapshots.
    pub driver: Option<String>,
    /// `Delete` or `Retain`.
    pub deletion_policy: Option<String>,
    /// Driver parameters.
    pub parameters: Option<BTreeMap<String, String>>,
}

/// `VolumeSnapshot` (namespaced).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshot {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: Option<VolumeSnapshotSpec>,
    /// Status.
    pub status: Option<VolumeSnapshotStatus>,
}

/// `VolumeSnapshot.spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSpec {
    /// What to snapshot.
    pub source: Option<VolumeSnapshotSource>,
    /// The class to use (default class of the source's driver when unset).
    pub volume_snapshot_class_name: Option<String>,
}

/// `VolumeSnapshot.spec.source`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSource {
    /// A PVC in the same namespace (dynamic snapshot).
    pub persistent_volume_claim_name: Option<String>,
    /// A pre-provisioned VolumeSnapshotContent.
    pub volume_snapshot_content_name: Option<String>,
}

/// `VolumeSnapshot.status`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotStatus {
    /// The bound content.
    pub bound_volume_snapshot_content_name: Option<String>,
    /// Ready to restore from.
    pub ready_to_use: Option<bool>,
    /// The last error.
    pub error: Option<SnapshotError>,
    /// When the snapshot was cut.
    pub creation_time: Option<String>,
    /// Minimum size to restore into.
    pub restore_size: Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
}

/// A snapshot error.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotError {
    /// Message.
    pub message: Option<String>,
    /// Time.
    pub time: Option<String>,
}

/// `VolumeSnapshotContent` (cluster-scoped).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContent {
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: Option<VolumeSnapshotContentSpec>,
    /// Status.
    pub status: Option<VolumeSnapshotContentStatus>,
}

/// `VolumeSnapshotContent.spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentSpec {
    /// `Delete` or `Retain`.
    pub deletion_policy: Option<String>,
    /// CSI driver.
    pub driver: Option<String>,
    /// The VolumeSnapshot it is bound to.
    pub volume_snapshot_ref: Option<k8s_openapi::api::core::v1::ObjectReference>,
    /// Class.
    pub volume_snapshot_class_name: Option<String>,
}

/// `VolumeSnapshotContent.status`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotContentStatus {
    /// Ready.
    pub ready_to_use: Option<bool>,
    /// The last error.
    pub error: Option<SnapshotError>,
    /// Snapshot handle.
    pub snapshot_handle: Option<String>,
}
