//! What each object refers to, as the graph resolves it: the claims a workload mounts, the
//! class a claim names (by field or by the legacy annotation), the volume, snapshot or claim
//! it is bound to or populated from, the claim a volume is bound to, the class and source of
//! a snapshot. Front ends that judge one object against a cluster (admission) gather exactly
//! these objects, so they see what `kstor lint` would link.

use super::{ClassRef, StorageGraph, VolumeSource};
use crate::object::{Object, ObjectId};

/// Kinds without a namespace among those the graph reads.
pub const CLUSTER_SCOPED_KINDS: [&str; 8] = [
    "StorageClass",
    "PersistentVolume",
    "VolumeSnapshotClass",
    "VolumeSnapshotContent",
    "CSIDriver",
    "CSINode",
    "Node",
    "VolumeAttachment",
];

/// An object's identity for lookups: kind, namespace (`None` for cluster-scoped kinds; the
/// effective namespace, `default` when unset, for the others) and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// `PersistentVolumeClaim`.
    pub kind: String,
    /// The namespace, `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectKey {
    /// A key; `namespace` is dropped for cluster-scoped kinds.
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> ObjectKey {
        let namespace = if is_cluster_scoped(kind) { None } else { Some(namespace.unwrap_or("default")) };
        ObjectKey { kind: kind.to_string(), namespace: namespace.map(str::to_string), name: name.to_string() }
    }

    /// The key of a loaded object.
    pub fn of(object: &Object) -> ObjectKey {
        ObjectKey::new(&object.reference.kind, object.reference.namespace.as_deref(), &object.reference.name)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Whether objects of this kind have no namespace.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED_KINDS.contains(&kind)
}

/// One reference from an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// An object by kind, namespace and name.
    Object(ObjectKey),
    /// The cluster's default StorageClasses (a claim that names no class gets one).
    DefaultStorageClasses,
    /// A storage driver by name (a class's provisioner, a snapshot class's or a volume's
    /// driver): the objects of one driver are judged together (a snapshot class with the
    /// classes whose volumes it snapshots).
    Driver(String),
}

impl StorageGraph {
    /// Every reference of every object, as `(object, reference)`, deduplicated per object.
    pub fn references(&self) -> Vec<(ObjectId, Reference)> {
        let mut out: Vec<(ObjectId, Reference)> = Vec::new();
        let object = |kind: &str, namespace: Option<&str>, name: &str| {
            Reference::Object(ObjectKey::new(kind, namespace, name))
        };
        for claim in &self.claims {
            let from = claim.object;
            match &claim.class_ref {
                ClassRef::Field(name) | ClassRef::Annotation(name) => {
                    out.push((from, object("StorageClass", None, name)));
                }
                ClassRef::Unset => out.push((from, Reference::DefaultStorageClasses)),
                ClassRef::Empty => {}
            }
            if let Some(volume) = &claim.volume_name {
                out.push((from, object("PersistentVolume", None, volume)));
            }
            if let Some(source) = &claim.data_source {
                let namespace = source.namespace.as_deref().unwrap_or(&claim.namespace);
                if source.is_snapshot() || source.is_claim() {
                    out.push((from, object(&source.kind, Some(namespace), &source.name)));
                }
            }
        }
        for workload in &self.workloads {
            for volume in &workload.pod.volumes {
                if let VolumeSource::Claim { claim_name, .. } = &volume.source {
                    out.push((
                        workload.object,
                        object("PersistentVolumeClaim", Some(&workload.namespace), claim_name),
                    ));
                }
            }
        }
        for pod in &self.live_pods {
            for claim in &pod.claims {
                out.push((pod.object, object("PersistentVolumeClaim", Some(&pod.namespace), claim)));
            }
        }
        for volume in &self.volumes {
            if let Some(class) = &volume.storage_class {
                out.push((volume.object, object("StorageClass", None, class)));
            }
            if let Some((namespace, name)) = &volume.claim_ref {
                out.push((volume.object, object("PersistentVolumeClaim", Some(namespace), name)));
            }
        }
        for snapshot in &self.snapshots {
            if let Some((class, _)) = &snapshot.class_name {
                out.push((snapshot.object, object("VolumeSnapshotClass", None, class)));
            }
            if let Some((claim, _)) = &snapshot.source_claim {
                out.push((
                    snapshot.object,
                    object("PersistentVolumeClaim", Some(&snapshot.namespace), claim),
                ));
            }
            if let Some(content) = &snapshot.source_content {
                out.push((snapshot.object, object("VolumeSnapshotContent", None, content)));
            }
        }
        for content in &self.snapshot_contents {
            if let Some((namespace, name)) = &content.snapshot_ref {
                out.push((content.object, object("VolumeSnapshot", Some(namespace), name)));
            }
        }
        for class in &self.classes {
            out.push((class.object, object("CSIDriver", None, &class.provisioner)));
            out.push((class.object, Reference::Driver(class.provisioner.clone())));
        }
        for class in &self.snapshot_classes {
            out.push((class.object, Reference::Driver(class.driver.clone())));
        }
        for volume in &self.volumes {
            if let Some(driver) = &volume.driver {
                out.push((volume.object, Reference::Driver(driver.clone())));
            }
        }
        out.sort();
        out.dedup();
        out
    }
}
