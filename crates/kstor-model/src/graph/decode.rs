//! Typed decoding of the loaded trees: wrong field types become KS001 diagnostics.

use k8s_openapi::api;
use k8s_openapi::api::{apps, batch, core, storage};
use serde::de::DeserializeOwned;

use super::snapshot_types as snap;
use crate::api::{SNAPSHOT_GROUP, STORAGE_GROUP};
use crate::load::{Diagnostic, Location};
use crate::object::Object;
use crate::path::{Path, Segment};
use crate::yaml::{Node, Override, Overrides, from_object_node};

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
    VolumeSnapshot(snap::VolumeSnapshot),
    VolumeSnapshotContent(snap::VolumeSnapshotContent),
    Node(core::v1::Node),
    VolumeAttachment(storage::v1::VolumeAttachment),
    Event(core::v1::Event),
    /// A kind kstor type-checks but does not model further.
    Checked,
    /// A kind kstor does not know (custom resources): kept, not checked.
    Unknown,
}

/// Most repairs tried on one object before giving up on modelling it.
const MAX_REPAIRS: usize = 16;

/// Decodes an object; every wrong field becomes a KS001 diagnostic. A wrong field is then
/// read as null (or, when that does not help, its enclosing list item as `{}`) and decoding
/// retried, so one bad field neither hides the object's other problems nor keeps its storage
/// facts out of the model. The tree itself is never changed.
fn decode<T: DeserializeOwned>(object: &Object, diagnostics: &mut Vec<Diagnostic>) -> Option<T> {
    let root = object.root();
    let mut overrides = Overrides::new();
    let (path, message) = match from_object_node::<T>(root, &overrides) {
        Ok(value) => return Some(value),
        Err(error) => error,
    };
    diagnostics.push(type_error(object, &path, &message));
    let mut last = path;
    if !step_over(root, &last, false, &mut overrides) {
        return None;
    }
    for _ in 0..MAX_REPAIRS {
        match from_object_node::<T>(root, &overrides) {
            Ok(value) => return Some(value),
            Err((path, message)) => {
                if path == last || path.segments().is_empty() {
                    // Null did not satisfy the type: read the enclosing list item as `{}`.
                    if !step_over(root, &path, true, &mut overrides) {
                        return None;
                    }
                } else {
                    diagnostics.push(type_error(object, &path, &message));
                    step_over(root, &path, false, &mut overrides);
                }
                last = path;
            }
        }
    }
    None
}

/// Overrides the node at `path` to null, or (with `item`) its nearest enclosing list item to
/// an empty mapping. Returns false when there is nothing (new) to override.
fn step_over(root: Node<'_>, path: &Path, item: bool, overrides: &mut Overrides) -> bool {
    let segments = path.segments();
    let cut = if item {
        match segments.iter().rposition(|s| matches!(s, Segment::Index(_))) {
            Some(i) => i + 1,
            None => return false,
        }
    } else {
        segments.len()
    };
    let prefix: Path = segments[..cut].iter().cloned().fold(Path::root(), |mut p, s| {
        p.push(s);
        p
    });
    let Some(node) = prefix.node(root) else { return false };
    let replacement = if item { Override::EmptyMap } else { Override::Null };
    overrides.insert(node.index(), replacement) != Some(replacement)
}

fn type_error(object: &Object, path: &Path, message: &str) -> Diagnostic {
    let message = friendly(message.to_string());
    Diagnostic {
        location: Location::Field { object: object.id, path: path.clone() },
        message: if path.segments().is_empty() {
            format!("{} is not a valid {}: {message}", object.reference, object.reference.kind)
        } else {
            format!("`{path}`: {message}")
        },
    }
}

fn check<T: DeserializeOwned>(object: &Object, diagnostics: &mut Vec<Diagnostic>) -> Typed {
    decode::<T>(object, diagnostics);
    Typed::Checked
}

/// Rewords decoder messages that name implementation details.
pub(super) fn friendly(message: String) -> String {
    // base64 errors name a byte value: "Invalid symbol 95, offset 2."
    if let Some(rest) = message.strip_prefix("Invalid symbol ").or(message.strip_prefix("Invalid byte "))
        && let Some((byte, offset)) = rest.trim_end_matches('.').split_once(", offset ")
        && let Some(c) = byte.parse::<u8>().ok().map(char::from).filter(|c| c.is_ascii_graphic())
    {
        return format!("not valid base64: `{c}` at offset {offset}");
    }
    let base64 =
        ["Invalid symbol", "Invalid byte", "Invalid padding", "Invalid last symbol", "Invalid input length"];
    if base64.iter().any(|p| message.starts_with(p)) {
        return format!("not valid base64 ({})", message.trim_end_matches('.'));
    }
    // Rust type names mean nothing to a manifest author.
    let mut message = message;
    for (rust, words) in [
        ("expected i32", "expected a 32-bit integer"),
        ("expected i64", "expected an integer"),
        ("expected u32", "expected a non-negative integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        message = message.replace(rust, words);
    }
    message
}

/// Decodes an object by apiVersion and kind; `Typed::Checked` when a kind kstor models could
/// not be decoded even after repairs.
pub fn decode_object(object: &Object, diagnostics: &mut Vec<Diagnostic>) -> Typed {
    let r = &object.reference;
    let group = r.group();
    let d = &mut *diagnostics;
    macro_rules! typed {
        ($variant:ident) => {
            decode(object, d).map_or(Typed::Checked, Typed::$variant)
        };
    }
    match (group, r.kind.as_str()) {
        ("", "Pod") => typed!(Pod),
        ("apps" | "extensions", "Deployment") => typed!(Deployment),
        ("apps" | "extensions", "ReplicaSet") => typed!(ReplicaSet),
        ("apps", "StatefulSet") => typed!(StatefulSet),
        ("apps" | "extensions", "DaemonSet") => typed!(DaemonSet),
        ("", "ReplicationController") => typed!(ReplicationController),
        ("batch", "Job") => typed!(Job),
        ("batch", "CronJob") => typed!(CronJob),
        ("", "PersistentVolumeClaim") => typed!(PersistentVolumeClaim),
        ("", "PersistentVolume") => typed!(PersistentVolume),
        (STORAGE_GROUP, "StorageClass") => typed!(StorageClass),
        (STORAGE_GROUP, "CSIDriver") => typed!(CsiDriver),
        (STORAGE_GROUP, "CSINode") => check::<storage::v1::CSINode>(object, d),
        (STORAGE_GROUP, "VolumeAttachment") => typed!(VolumeAttachment),
        ("", "Node") => typed!(Node),
        ("", "Event") => typed!(Event),
        (SNAPSHOT_GROUP, "VolumeSnapshotClass") => {
            typed!(VolumeSnapshotClass)
        }
        (SNAPSHOT_GROUP, "VolumeSnapshot") => typed!(VolumeSnapshot),
        (SNAPSHOT_GROUP, "VolumeSnapshotContent") => typed!(VolumeSnapshotContent),
        // Common kinds kstor does not model: still worth a type check, since a wrong type
        // fails `kubectl apply` of the whole bundle.
        ("", "ConfigMap") => check::<core::v1::ConfigMap>(object, d),
        ("", "Secret") => check::<core::v1::Secret>(object, d),
        ("", "Service") => check::<core::v1::Service>(object, d),
        ("", "ServiceAccount") => check::<core::v1::ServiceAccount>(object, d),
        ("", "Namespace") => check::<core::v1::Namespace>(object, d),
        ("", "ResourceQuota") => check::<core::v1::ResourceQuota>(object, d),
        ("", "LimitRange") => check::<core::v1::LimitRange>(object, d),
        ("", "Endpoints") => check::<core::v1::Endpoints>(object, d),
        ("rbac.authorization.k8s.io", "Role") => check::<api::rbac::v1::Role>(object, d),
        ("rbac.authorization.k8s.io", "ClusterRole") => check::<api::rbac::v1::ClusterRole>(object, d),
        ("rbac.authorization.k8s.io", "RoleBinding") => check::<api::rbac::v1::RoleBinding>(object, d),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            check::<api::rbac::v1::ClusterRoleBinding>(object, d)
        }
        ("networking.k8s.io", "NetworkPolicy") => check::<api::networking::v1::NetworkPolicy>(object, d),
        ("policy", "PodDisruptionBudget") => check::<api::policy::v1::PodDisruptionBudget>(object, d),
        ("scheduling.k8s.io", "PriorityClass") => check::<api::scheduling::v1::PriorityClass>(object, d),
        (STORAGE_GROUP, "VolumeAttributesClass") if r.version() == "v1" => {
            check::<storage::v1::VolumeAttributesClass>(object, d)
        }
        (STORAGE_GROUP, "CSIStorageCapacity") => check::<storage::v1::CSIStorageCapacity>(object, d),
        ("networking.k8s.io", "Ingress") if r.version() == "v1" => {
            check::<api::networking::v1::Ingress>(object, d)
        }
        ("autoscaling", "HorizontalPodAutoscaler") if r.version() == "v2" => {
            check::<api::autoscaling::v2::HorizontalPodAutoscaler>(object, d)
        }
        _ => Typed::Unknown,
    }
}
