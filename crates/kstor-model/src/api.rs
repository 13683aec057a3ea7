//! Kubernetes API groups, annotations and labels that kstor reads, named once for every crate.

/// The group of StorageClass, CSIDriver, CSINode, VolumeAttachment and friends.
pub const STORAGE_GROUP: &str = "storage.k8s.io";

/// The group of the external-snapshotter CRDs (VolumeSnapshot, VolumeSnapshotClass,
/// VolumeSnapshotContent).
pub const SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";

/// Marks the default StorageClass.
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// The beta spelling of [`DEFAULT_CLASS_ANNOTATION`], still honoured by the API server.
pub const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// Both default-StorageClass annotations, the GA one first.
pub const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [DEFAULT_CLASS_ANNOTATION, BETA_DEFAULT_CLASS_ANNOTATION];

/// Marks the default VolumeSnapshotClass of a driver.
pub const DEFAULT_SNAPSHOT_CLASS_ANNOTATION: &str = "snapshot.storage.kubernetes.io/is-default-class";

/// The claim annotation that named a StorageClass before `spec.storageClassName`.
pub const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// The node label that holds the node's name.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The node label that holds the node's zone.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
