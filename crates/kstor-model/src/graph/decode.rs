//! Typed decoding of the loaded trees: wrong field types become KS001 diagnostics.

use k8s_openapi::api;
use k8s_openapi::api::{apps, batch, core, storage};
use serde::de::DeserializeOwned;

use super::snapshot_types as snap;
use crate::load::{Diagnostic, Location};
use crate::object::Object;
use crate::yaml::from_object_node;

/// A decoded object of a kind kstor models.
#[allow(clippy::large_enum_variant, missing_docs)]
pub enum Typed {
    Pod(core::v1::Pod),
    Deployment(apps::v1::Deployment),
    ReplicaSet(apps::v1::ReplicaSet),
    StatefulSet(apps::v1::StatefulSet),
    DaemonSet(apps::v1::DaemonSet),
    ReplicationController(core::v1::ReplicationController),
    Job(batch::v1::Job),
    CronJob(batch::v1::CronJob),
    PersistentVolumeClaim(core::v1::PersistentVolumeClaim),
    PersistentVolume(core::v1::PersistentVolume),
    StorageClass(storage::v1::StorageClass),
    CsiDriver(storage::v1::CSIDriver),
    VolumeSnapshotClass(snap::VolumeSnapshotClass),
    /// A kind kstor type-checks but does not model further.
    Checked,
    /// A kind kstor does not know (custom resources): kept, not checked.
    Unknown,
}

fn decode<T: DeserializeOwned>(object: &Object) -> Result<T, Diagnostic> {
    from_object_node::<T>(&object.root).map_err(|(path, message)| {
        let message = friendly(message);
        Diagnostic {
            location: Location::Field {
                object: object.id,
                path: path.clone(),
            },
            message: if path.segments().is_empty() {
                format!(
                    "{} is not a valid {}: {message}",
                    object.reference, object.reference.kind
                )
            } else {
                format!("`{path}`: {message}")
            },
        }
    })
}

/// Rewords decoder messages that name implementation details.
fn friendly(message: String) -> String {
    let base64 = [
        "Invalid symbol",
        "Invalid byte",
        "Invalid padding",
        "Invalid last symbol",
        "Invalid input length",
    ];
    if base64.iter().any(|p| message.starts_with(p)) {
        return format!("not valid base64 ({})", message.trim_end_matches('.'));
    }
    message
}

fn check<T: DeserializeOwned>(object: &Object) -> Result<Typed, Diagnostic> {
    decode::<T>(object).map(|_| Typed::Checked)
}

/// Decodes an object by apiVersion and kind.
pub fn decode_object(object: &Object) -> Result<Typed, Diagnostic> {
    let r = &object.reference;
    let group = r.group();
    Ok(match (group, r.kind.as_str()) {
        ("", "Pod") => Typed::Pod(decode(object)?),
        ("apps" | "extensions", "Deployment") => Typed::Deployment(decode(object)?),
        ("apps" | "extensions", "ReplicaSet") => Typed::ReplicaSet(decode(object)?),
        ("apps", "StatefulSet") => Typed::StatefulSet(decode(object)?),
        ("apps" | "extensions", "DaemonSet") => Typed::DaemonSet(decode(object)?),
        ("", "ReplicationController") => Typed::ReplicationController(decode(object)?),
        ("batch", "Job") => Typed::Job(decode(object)?),
        ("batch", "CronJob") => Typed::CronJob(decode(object)?),
        ("", "PersistentVolumeClaim") => Typed::PersistentVolumeClaim(decode(object)?),
        ("", "PersistentVolume") => Typed::PersistentVolume(decode(object)?),
        ("storage.k8s.io", "StorageClass") => Typed::StorageClass(decode(object)?),
        ("storage.k8s.io", "CSIDriver") => Typed::CsiDriver(decode(object)?),
        ("storage.k8s.io", "CSINode") => check::<storage::v1::CSINode>(object)?,
        ("storage.k8s.io", "VolumeAttachment") => check::<storage::v1::VolumeAttachment>(object)?,
        ("", "Node") => check::<core::v1::Node>(object)?,
        ("", "Event") => check::<core::v1::Event>(object)?,
        ("snapshot.storage.k8s.io", "VolumeSnapshotClass") => {
            Typed::VolumeSnapshotClass(decode(object)?)
        }
        ("snapshot.storage.k8s.io", "VolumeSnapshot") => check::<snap::VolumeSnapshot>(object)?,
        ("snapshot.storage.k8s.io", "VolumeSnapshotContent") => {
            check::<snap::VolumeSnapshotContent>(object)?
        }
        // Common kinds kstor does not model: still worth a type check, since a wrong type
        // fails `kubectl apply` of the whole bundle.
        ("", "ConfigMap") => check::<core::v1::ConfigMap>(object)?,
        ("", "Secret") => check::<core::v1::Secret>(object)?,
        ("", "Service") => check::<core::v1::Service>(object)?,
        ("", "ServiceAccount") => check::<core::v1::ServiceAccount>(object)?,
        ("", "Namespace") => check::<core::v1::Namespace>(object)?,
        ("", "ResourceQuota") => check::<core::v1::ResourceQuota>(object)?,
        ("", "LimitRange") => check::<core::v1::LimitRange>(object)?,
        ("", "Endpoints") => check::<core::v1::Endpoints>(object)?,
        ("rbac.authorization.k8s.io", "Role") => check::<api::rbac::v1::Role>(object)?,
        ("rbac.authorization.k8s.io", "ClusterRole") => {
            check::<api::rbac::v1::ClusterRole>(object)?
        }
        ("rbac.authorization.k8s.io", "RoleBinding") => {
            check::<api::rbac::v1::RoleBinding>(object)?
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            check::<api::rbac::v1::ClusterRoleBinding>(object)?
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            check::<api::networking::v1::NetworkPolicy>(object)?
        }
        ("policy", "PodDisruptionBudget") => check::<api::policy::v1::PodDisruptionBudget>(object)?,
        ("scheduling.k8s.io", "PriorityClass") => {
            check::<api::scheduling::v1::PriorityClass>(object)?
        }
        ("storage.k8s.io", "VolumeAttributesClass") if r.version() == "v1" => {
            check::<storage::v1::VolumeAttributesClass>(object)?
        }
        ("storage.k8s.io", "CSIStorageCapacity") => {
            check::<storage::v1::CSIStorageCapacity>(object)?
        }
        ("networking.k8s.io", "Ingress") if r.version() == "v1" => {
            check::<api::networking::v1::Ingress>(object)?
        }
        ("autoscaling", "HorizontalPodAutoscaler") if r.version() == "v2" => {
            check::<api::autoscaling::v2::HorizontalPodAutoscaler>(object)?
        }
        _ => Typed::Unknown,
    })
}
