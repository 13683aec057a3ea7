//! The resolved storage model: workloads, claims, classes, volumes, drivers and snapshots.

use crate::strmap::StrMap;

use serde::Serialize;

use crate::catalog::{AccessMode, Capabilities, FsGroupPolicy, Pattern, Role, VolumeMode};
use crate::object::ObjectId;
use crate::path::Path;
use crate::yaml::Text;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub struct $name(pub usize);
    )*};
}

id_type! {
    /// Index of a [`Workload`].
    WorkloadId,
    /// Index of a [`Claim`].
    ClaimId,
    /// Index of a [`StorageClassInfo`].
    ClassId,
    /// Index of a [`PersistentVolumeInfo`].
    VolumeId,
    /// Index of a [`SnapshotClassInfo`].
    SnapshotClassId,
    /// Index of a [`CsiDriverInfo`].
    CsiDriverId,
    /// Index of a [`SnapshotInfo`].
    SnapshotId,
    /// Index of a [`ClaimDriver`].
    DriverId,
}

/// The kinds that carry a pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WorkloadKind {
    /// A bare Pod.
    Pod,
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 DaemonSet.
    DaemonSet,
    /// v1 ReplicationController.
    ReplicationController,
    /// batch/v1 Job.
    Job,
    /// batch/v1 CronJob.
    CronJob,
    /// A custom resource of a database/queue operator (CloudNativePG `Cluster`, Strimzi
    /// `Kafka`, …) whose storage fields kstor reads (see `catalog/operators.yaml`).
    Operator,
}

impl WorkloadKind {
    /// True for workloads that run until stopped (not Jobs/CronJobs): the ones that keep data.
    pub fn is_long_running(self) -> bool {
        !matches!(self, WorkloadKind::Job | WorkloadKind::CronJob)
    }

    /// True for kinds whose replicas are interchangeable pods sharing one template's volumes
    /// (Deployment, ReplicaSet, ReplicationController).
    pub fn is_replicated_stateless(self) -> bool {
        matches!(
            self,
            WorkloadKind::Deployment | WorkloadKind::ReplicaSet | WorkloadKind::ReplicationController
        )
    }
}

/// A workload: an object with a pod template.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The object.
    pub object: ObjectId,
    /// Its kind.
    pub kind: WorkloadKind,
    /// Effective namespace (`default` when unset).
    pub namespace: Text,
    /// Name.
    pub name: Text,
    /// `spec.replicas` (defaults to 1); `None` for DaemonSets, Pods, Jobs and CronJobs.
    pub replicas: Option<Replicas>,
    /// Deployment update strategy.
    pub strategy: Option<Strategy>,
    /// The pod template.
    pub pod: PodTemplate,
    /// StatefulSet claim templates.
    pub claim_templates: Vec<ClaimId>,
    /// StatefulSet `persistentVolumeClaimRetentionPolicy`.
    pub retention: Option<RetentionPolicy>,
    /// What the workload is.
    pub role: RoleAssignment,
    /// The `kstor.io/role` annotation (of the workload, else of its pod template).
    pub role_annotation: Option<Text>,
    /// For [`WorkloadKind::Operator`]: the lower-case kind word of the custom resource
    /// (`cluster`, `kafka`, `elasticsearch`).
    pub custom_kind: Option<Text>,
}

impl Workload {
    /// The lower-case kind word used in messages (`statefulset`, `kafka`).
    pub fn kind_word(&self) -> &str {
        match &self.custom_kind {
            Some(kind) => kind,
            None => kind_word(self.kind),
        }
    }
}

/// `spec.replicas` and where it is written.
#[derive(Clone, Debug)]
pub struct Replicas {
    /// The count (1 when unset).
    pub count: i32,
    /// The field, when set.
    pub path: Option<Path>,
}

/// A Deployment's update strategy.
#[derive(Clone, Debug)]
pub struct Strategy {
    /// `Recreate` or `RollingUpdate` (the default).
    pub recreate: bool,
    /// `rollingUpdate.maxSurge` as written (`25%` when unset).
    pub max_surge: String,
    /// Whether maxSurge lets a new pod start before an old one stops (with one replica).
    pub surges: bool,
    /// Whether maxUnavailable rounds down to 0 with one replica (the default 25% does), so
    /// the old pod is kept until the new one is ready.
    pub keeps_old_pod: bool,
    /// Where the strategy is written (or `spec` when unset).
    pub path: Path,
}

/// StatefulSet claim retention.
#[derive(Clone, Debug)]
pub struct RetentionPolicy {
    /// `whenDeleted` (`Retain` default).
    pub when_deleted: Option<(String, Path)>,
    /// `whenScaled` (`Retain` default).
    pub when_scaled: Option<(String, Path)>,
}

/// A pod template (or a Pod's spec).
#[derive(Clone, Debug, Default)]
pub struct PodTemplate {
    /// Path of the pod spec in the object (`spec.template.spec`).
    pub path: Path,
    /// Template labels.
    pub labels: StrMap,
    /// Volumes.
    pub volumes: Vec<PodVolume>,
    /// App containers.
    pub containers: Vec<ContainerInfo>,
    /// Init containers.
    pub init_containers: Vec<ContainerInfo>,
    /// Pod-level security context.
    pub security: PodSecurity,
    /// How the pod is pinned to nodes.
    pub placement: Placement,
}

/// Scheduling constraints that matter for storage.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    /// `spec.nodeName`.
    pub node_name: Option<String>,
    /// A single host the pod is pinned to by `kubernetes.io/hostname` (nodeSelector or
    /// required node affinity with one term and one value).
    pub hostname: Option<String>,
    /// Zones required by nodeSelector / required node affinity (`topology.kubernetes.io/zone`
    /// and driver zone keys), if constrained.
    pub zones: Option<Vec<String>>,
    /// Where the zone constraint is written: the `nodeSelector` entry, else the required
    /// node affinity's `nodeSelectorTerms`.
    pub zones_path: Option<Path>,
    /// `nodeSelector`.
    pub node_selector: StrMap,
}

impl Placement {
    /// True when all pods land on one node.
    pub fn pinned_to_one_node(&self) -> bool {
        self.node_name.is_some() || self.hostname.is_some()
    }
}

/// Pod-level security context fields that matter for volume ownership.
#[derive(Clone, Debug, Default)]
pub struct PodSecurity {
    /// `fsGroup`.
    pub fs_group: Option<i64>,
    /// `fsGroupChangePolicy`.
    pub fs_group_change_policy: Option<String>,
    /// `runAsUser`.
    pub run_as_user: Option<i64>,
    /// `runAsNonRoot`.
    pub run_as_non_root: Option<bool>,
    /// Path of `securityContext` (or the pod spec when absent).
    pub path: Path,
}

/// A pod volume.
#[derive(Clone, Debug)]
pub struct PodVolume {
    /// `name`.
    pub name: Text,
    /// Path of the volume entry (`spec.volumes[0]`).
    pub path: Path,
    /// What backs it.
    pub source: VolumeSource,
    /// A StatefulSet claim template with the same name shadows the volume.
    pub shadowed_by: Option<ClaimId>,
}

/// What a pod volume is.
#[derive(Clone, Debug)]
pub enum VolumeSource {
    /// `persistentVolumeClaim`.
    Claim {
        /// `claimName`.
        claim_name: Text,
        /// `readOnly`.
        read_only: bool,
        /// The resolved claim, if the input defines it.
        claim: Option<ClaimId>,
    },
    /// `ephemeral.volumeClaimTemplate` (its claim is modelled as a [`Claim`]).
    Ephemeral {
        /// The claim.
        claim: ClaimId,
    },
    /// `emptyDir`.
    EmptyDir {
        /// `medium: Memory`.
        memory: bool,
        /// `sizeLimit` as written.
        size_limit: Option<String>,
    },
    /// `hostPath`.
    HostPath {
        /// Host directory.
        host_path: String,
    },
    /// Inline CSI volume.
    Csi {
        /// Driver.
        driver: String,
        /// `readOnly`.
        read_only: bool,
    },
    /// configMap, secret, projected or downwardAPI.
    Projected {
        /// Which one.
        kind: &'static str,
    },
    /// An in-tree volume type written inline (`awsElasticBlockStore`, `nfs`, …).
    Other {
        /// Its field name.
        kind: String,
    },
}

/// A container (app or init).
#[derive(Clone, Debug, Default)]
pub struct ContainerInfo {
    /// `name`.
    pub name: Text,
    /// `image`.
    pub image: Text,
    /// Path of the container entry.
    pub path: Path,
    /// `command` followed by `args`.
    pub command: Vec<Text>,
    /// Volume mounts.
    pub mounts: Vec<Mount>,
    /// Raw block `volumeDevices`.
    pub devices: Vec<Mount>,
    /// Container `securityContext.runAsUser`.
    pub run_as_user: Option<i64>,
    /// Container `securityContext.runAsNonRoot`.
    pub run_as_non_root: Option<bool>,
    /// Resources.
    pub resources: Resources,
    /// Container ports.
    pub ports: Vec<i32>,
    /// Environment variables with literal values.
    pub env: StrMap,
}

/// A container's resources.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// Any request set.
    pub has_requests: bool,
    /// Any limit set.
    pub has_limits: bool,
    /// `limits.memory` in bytes.
    pub memory_limit: Option<f64>,
    /// Path of `resources` (or the container when absent).
    pub path: Path,
}

/// A volumeMount or volumeDevice.
#[derive(Clone, Debug)]
pub struct Mount {
    /// `name` (the volume).
    pub volume: Text,
    /// `mountPath` (or `devicePath`).
    pub mount_path: Text,
    /// `readOnly`.
    pub read_only: bool,
    /// `subPath`.
    pub sub_path: Option<Text>,
    /// Path of the mount entry.
    pub path: Path,
    /// What it mounts.
    pub target: MountTarget,
}

/// The resolved target of a mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountTarget {
    /// A pod volume (index into [`PodTemplate::volumes`]).
    Volume(usize),
    /// A StatefulSet claim template.
    ClaimTemplate(ClaimId),
    /// No volume of that name.
    Missing,
}

/// How the workload's role was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// `kstor.io/role` annotation.
    Annotation,
    /// A config override by image.
    Config,
    /// A known engine image.
    Image,
    /// `app.kubernetes.io/name`.
    NameLabel,
    /// `app.kubernetes.io/component`.
    ComponentLabel,
    /// A mount at an engine's data directory.
    DataDirectory,
    /// A port only one engine uses.
    Port,
    /// The kind of an operator's custom resource (`catalog/operators.yaml`).
    Operator,
    /// Nothing matched.
    Default,
}

impl Evidence {
    /// Strong enough to trust the engine's default data directories.
    pub fn knows_data_directory(self) -> bool {
        matches!(
            self,
            Evidence::Annotation
                | Evidence::Config
                | Evidence::Image
                | Evidence::NameLabel
                | Evidence::DataDirectory
                | Evidence::Operator
        )
    }
}

/// A workload's role.
#[derive(Clone, Debug)]
pub struct RoleAssignment {
    /// The role.
    pub role: Role,
    /// The engine, when known (`postgres`).
    pub engine: Option<String>,
    /// What decided it.
    pub evidence: Evidence,
    /// The container running the engine (index into app containers), when known.
    pub container: Option<usize>,
    /// Data directories of the engine (defaults plus env overrides).
    pub data_dirs: Vec<Text>,
}

impl RoleAssignment {
    /// The generic role.
    pub fn generic() -> Self {
        RoleAssignment {
            role: Role::Generic,
            engine: None,
            evidence: Evidence::Default,
            container: None,
            data_dirs: Vec::new(),
        }
    }
}

/// Where a claim comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimOrigin {
    /// A PersistentVolumeClaim object.
    Standalone,
    /// A StatefulSet `volumeClaimTemplates` entry, or a claim an operator creates for each
    /// member of its custom resource.
    Template {
        /// The StatefulSet (or operator workload).
        workload: WorkloadId,
    },
    /// A generic ephemeral volume's claim template.
    Ephemeral {
        /// The workload.
        workload: WorkloadId,
    },
}

/// How a claim names its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassRef {
    /// `spec.storageClassName: <name>`.
    Field(String),
    /// `volume.beta.kubernetes.io/storage-class` annotation (wins over the field).
    Annotation(String),
    /// `""`: explicitly no class (static binding only).
    Empty,
    /// Unset: the cluster default class.
    Unset,
}

/// A claim's resolved class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassResolution {
    /// The named class, defined in the input.
    Named(ClassId),
    /// The default class defined in the input (the field was unset).
    Default(ClassId),
    /// `""`: no class.
    NoClass,
    /// Named, but the input defines no such class.
    NotFound,
    /// Unset and the input defines no default class.
    UnknownDefault,
}

/// A claim: a PVC, a StatefulSet claim template or a generic ephemeral volume's template.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The object holding it (the PVC, or the workload for templates).
    pub object: ObjectId,
    /// Origin.
    pub origin: ClaimOrigin,
    /// Path of the claim inside its object (root for PVCs).
    pub path: Path,
    /// Effective namespace.
    pub namespace: Text,
    /// Name (template name for templates).
    pub name: Text,
    /// Requested access modes and where each is written.
    pub access_modes: Vec<(AccessMode, Path)>,
    /// `volumeMode`.
    pub volume_mode: VolumeMode,
    /// How the class is named.
    pub class_ref: ClassRef,
    /// Where the class is named (field or annotation; the spec when unset).
    pub class_path: Path,
    /// The resolved class.
    pub class: ClassResolution,
    /// `spec.volumeName`.
    pub volume_name: Option<String>,
    /// The bound or pre-bound PersistentVolume, if the input defines it.
    pub volume: Option<VolumeId>,
    /// The driver its volumes are handled by, resolved when the graph is linked (read it
    /// with `StorageGraph::driver_of_claim`).
    pub driver: Option<DriverId>,
    /// `resources.requests.storage` in bytes.
    pub request: Option<f64>,
    /// `status.phase` (from a live cluster).
    pub phase: Option<String>,
    /// `spec.dataSourceRef` (or `spec.dataSource` when only that is set): what the volume is
    /// populated from.
    pub data_source: Option<DataSource>,
    /// Live state (`status` and timestamps), when the object comes from a cluster.
    pub live: Option<Box<ClaimLive>>,
}

/// The driver behind a claim: through its class, or (no class) its static volume.
#[derive(Clone, Debug)]
pub struct ClaimDriver {
    /// The CSI driver name its volumes are handled by: the class's provisioner, an in-tree
    /// name mapped to the CSI driver its operations are migrated to (`kubernetes.io/aws-ebs`
    /// → `ebs.csi.aws.com`); or the static volume's driver, mapped the same way.
    pub name: String,
    /// What the driver can do (catalog, refined by a CSIDriver object), when known. Always
    /// known for a static volume's driver: a volume's in-tree source field (`nfs`) is no
    /// driver name, so an unknown one resolves to no driver at all.
    pub capabilities: Option<Capabilities>,
}

/// A claim's live state, read from `metadata` and `status`.
#[derive(Clone, Debug, Default)]
pub struct ClaimLive {
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `status.capacity.storage` in bytes.
    pub capacity: Option<f64>,
    /// `status.conditions`.
    pub conditions: Vec<Condition>,
    /// `status.allocatedResourceStatuses` (resource → `ControllerResizeInProgress`,
    /// `ControllerResizeInfeasible`, `NodeResizePending`, …).
    pub resize_statuses: Vec<(String, String)>,
    /// `metadata.deletionTimestamp`.
    pub deleting: Option<Timestamp>,
}

/// A status condition.
#[derive(Clone, Debug, Default)]
pub struct Condition {
    /// `type`.
    pub kind: String,
    /// `status` (`True`, `False`, `Unknown`).
    pub status: String,
    /// `reason`.
    pub reason: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `lastTransitionTime`.
    pub since: Option<Timestamp>,
}

/// A point in time (RFC 3339 in the API).
pub type Timestamp = jiff::Timestamp;

/// A claim's `dataSource` / `dataSourceRef`.
#[derive(Clone, Debug)]
pub struct DataSource {
    /// `apiGroup` (empty for core objects).
    pub api_group: String,
    /// `kind` (`VolumeSnapshot`, `PersistentVolumeClaim`, a populator's kind).
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `namespace` of a `dataSourceRef` (cross-namespace, alpha), when set.
    pub namespace: Option<String>,
    /// Where it is written (the `dataSourceRef` or `dataSource` field).
    pub path: Path,
}

impl DataSource {
    /// A `snapshot.storage.k8s.io` VolumeSnapshot.
    pub fn is_snapshot(&self) -> bool {
        self.kind == "VolumeSnapshot" && self.api_group == crate::api::SNAPSHOT_GROUP
    }

    /// A PVC (clone).
    pub fn is_claim(&self) -> bool {
        self.kind == "PersistentVolumeClaim" && self.api_group.is_empty()
    }
}

impl Claim {
    /// The modes requested.
    pub fn modes(&self) -> impl Iterator<Item = AccessMode> + '_ {
        self.access_modes.iter().map(|(m, _)| *m)
    }

    /// True when every requested mode is single-node (RWO/RWOP) and at least one is requested.
    pub fn is_single_node(&self) -> bool {
        !self.access_modes.is_empty() && self.modes().all(AccessMode::is_single_node)
    }

    /// True when the claim requests ReadWriteOncePod.
    pub fn is_single_pod(&self) -> bool {
        self.modes().any(|m| m == AccessMode::ReadWriteOncePod)
    }

    /// A user-facing name: `claim data/pg-data` or `claim template data of statefulset db/pg`.
    pub fn describe(&self, graph: &super::StorageGraph) -> String {
        match self.origin {
            ClaimOrigin::Standalone => format!("claim {}/{}", self.namespace, self.name),
            ClaimOrigin::Template { workload } => {
                let w = graph.workload(workload);
                format!("claim template {} of {} {}/{}", self.name, w.kind_word(), w.namespace, w.name)
            }
            ClaimOrigin::Ephemeral { workload } => {
                let w = graph.workload(workload);
                format!("ephemeral volume {} of {} {}/{}", self.name, w.kind_word(), w.namespace, w.name)
            }
        }
    }
}

/// The lower-case kind word used in messages (`statefulset`).
pub fn kind_word(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Pod => "pod",
        WorkloadKind::Deployment => "deployment",
        WorkloadKind::ReplicaSet => "replicaset",
        WorkloadKind::StatefulSet => "statefulset",
        WorkloadKind::DaemonSet => "daemonset",
        WorkloadKind::ReplicationController => "replicationcontroller",
        WorkloadKind::Job => "job",
        WorkloadKind::CronJob => "cronjob",
        WorkloadKind::Operator => "custom resource",
    }
}

/// A StorageClass.
#[derive(Clone, Debug)]
pub struct StorageClassInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// `provisioner`.
    pub provisioner: String,
    /// `parameters`.
    pub parameters: StrMap,
    /// `reclaimPolicy` as written.
    pub reclaim_policy: Option<String>,
    /// `volumeBindingMode` as written.
    pub binding_mode: Option<String>,
    /// `allowVolumeExpansion`.
    pub allow_volume_expansion: Option<bool>,
    /// `allowedTopologies` as (key, values) expressions per term.
    pub allowed_topologies: Vec<Vec<(String, Vec<String>)>>,
    /// Marked default.
    pub is_default: bool,
    /// `metadata.creationTimestamp` (for picking among several defaults).
    pub created: Option<String>,
    /// Capabilities of its driver, when known (catalog, refined by a CSIDriver object).
    pub driver: Option<Capabilities>,
    /// The CSIDriver object of its provisioner, if the input has one.
    pub csi_driver: Option<CsiDriverId>,
}

impl StorageClassInfo {
    /// `Delete` unless `reclaimPolicy: Retain`.
    pub fn deletes_volumes(&self) -> bool {
        self.reclaim_policy.as_deref().unwrap_or("Delete") == "Delete"
    }

    /// True unless `volumeBindingMode: WaitForFirstConsumer`.
    pub fn binds_immediately(&self) -> bool {
        self.binding_mode.as_deref().unwrap_or("Immediate") == "Immediate"
    }

    /// The filesystem type the class asks for (`csi.storage.k8s.io/fstype`, or the legacy
    /// `fsType` / `fstype` parameter), with the parameter's key.
    pub fn fs_type(&self) -> Option<(&str, &str)> {
        ["csi.storage.k8s.io/fstype", "fsType", "fstype"]
            .into_iter()
            .find_map(|key| self.parameters.get(key).map(|v| (key, v.as_ref())))
    }
}

/// A PersistentVolume.
#[derive(Clone, Debug)]
pub struct PersistentVolumeInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// `persistentVolumeReclaimPolicy` as written (the API defaults static PVs to Retain).
    pub reclaim_policy: Option<String>,
    /// `storageClassName`.
    pub storage_class: Option<String>,
    /// `claimRef` (namespace, name).
    pub claim_ref: Option<(String, String)>,
    /// Access modes.
    pub access_modes: Vec<AccessMode>,
    /// The CSI driver (`spec.csi.driver`), or the in-tree source field.
    pub driver: Option<String>,
    /// `local` or `hostPath` volume.
    pub node_local: bool,
    /// `spec.nodeAffinity` present.
    pub has_node_affinity: bool,
    /// `spec.capacity.storage` in bytes.
    pub capacity: Option<f64>,
    /// `status.phase` (from a live cluster).
    pub phase: Option<String>,
    /// The volume source field (`csi`, `local`, `hostPath`, `awsElasticBlockStore`, …) and
    /// its path.
    pub source: Option<(String, Path)>,
    /// `spec.csi.fsType` (or the in-tree source's `fsType`).
    pub fs_type: Option<String>,
    /// `spec.volumeMode`.
    pub volume_mode: VolumeMode,
    /// `spec.csi.volumeHandle` (the backing disk or share).
    pub volume_handle: Option<String>,
    /// Required node affinity: terms (ORed) of expressions (ANDed) `(key, operator, values)`.
    pub node_affinity: Vec<Vec<(String, String, Vec<String>)>>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `status.lastPhaseTransitionTime` (Kubernetes 1.29+).
    pub phase_since: Option<Timestamp>,
    /// `status.message` / `status.reason` (set for Failed volumes).
    pub status_message: Option<String>,
}

/// A VolumeSnapshotClass.
#[derive(Clone, Debug)]
pub struct SnapshotClassInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// `driver`.
    pub driver: String,
    /// `deletionPolicy`.
    pub deletion_policy: Option<String>,
    /// Marked default for its driver.
    pub is_default: bool,
    /// `parameters`.
    pub parameters: StrMap,
}

/// A VolumeSnapshot.
#[derive(Clone, Debug)]
pub struct SnapshotInfo {
    /// The object.
    pub object: ObjectId,
    /// Effective namespace.
    pub namespace: Text,
    /// Name.
    pub name: Text,
    /// `spec.volumeSnapshotClassName` and its path (the default class of the source's
    /// driver when unset).
    pub class_name: Option<(String, Path)>,
    /// `spec.source.persistentVolumeClaimName` and its path.
    pub source_claim: Option<(String, Path)>,
    /// `spec.source.volumeSnapshotContentName` (pre-provisioned).
    pub source_content: Option<String>,
    /// `status.readyToUse` (from a live cluster).
    pub ready_to_use: Option<bool>,
    /// `status.error.message`.
    pub error: Option<String>,
    /// `status.boundVolumeSnapshotContentName`.
    pub bound_content: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
}

/// A VolumeSnapshotContent.
#[derive(Clone, Debug)]
pub struct SnapshotContentInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// `spec.driver`.
    pub driver: String,
    /// `spec.deletionPolicy`.
    pub deletion_policy: Option<String>,
    /// `spec.volumeSnapshotRef` (namespace, name).
    pub snapshot_ref: Option<(String, String)>,
    /// `status.readyToUse`.
    pub ready_to_use: Option<bool>,
    /// `status.snapshotHandle`.
    pub snapshot_handle: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
}

/// A Node.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: StrMap,
    /// The `Ready` condition's status (`None` when the node reports none).
    pub ready: Option<bool>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `topology.kubernetes.io/zone` (or the deprecated beta label).
    pub zone: Option<String>,
}

impl NodeInfo {
    /// Ready and not cordoned: new pods can land here.
    pub fn schedulable(&self) -> bool {
        self.ready == Some(true) && !self.unschedulable
    }
}

/// A VolumeAttachment.
#[derive(Clone, Debug)]
pub struct AttachmentInfo {
    /// The object.
    pub object: ObjectId,
    /// Name.
    pub name: String,
    /// `spec.attacher` (the CSI driver).
    pub attacher: String,
    /// `spec.nodeName`.
    pub node_name: String,
    /// `spec.source.persistentVolumeName`.
    pub volume_name: Option<String>,
    /// `status.attached`.
    pub attached: bool,
    /// `status.attachError` (message, time).
    pub attach_error: Option<(String, Option<Timestamp>)>,
    /// `status.detachError` (message, time).
    pub detach_error: Option<(String, Option<Timestamp>)>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `metadata.deletionTimestamp` (detaching).
    pub deleting: Option<Timestamp>,
}

/// An Event (core/v1 or events.k8s.io/v1).
#[derive(Clone, Debug)]
pub struct EventInfo {
    /// The object.
    pub object: ObjectId,
    /// `involvedObject` / `regarding`: kind, namespace, name.
    pub involved: (String, Option<String>, String),
    /// `reason` (`ProvisioningFailed`, `FailedBinding`, `FailedAttachVolume`, …).
    pub reason: String,
    /// `message` / `note`.
    pub message: String,
    /// `Normal` or `Warning`.
    pub warning: bool,
    /// When it was last seen (`lastTimestamp`, `eventTime`, `series.lastObservedTime`, or
    /// `metadata.creationTimestamp`).
    pub last_seen: Option<Timestamp>,
    /// `count` (1 when unset).
    pub count: i32,
}

/// A Pod as it runs (every Pod object, including those owned by a controller in the input).
#[derive(Clone, Debug)]
pub struct LivePod {
    /// The object.
    pub object: ObjectId,
    /// Namespace.
    pub namespace: Text,
    /// Name.
    pub name: Text,
    /// `spec.nodeName`.
    pub node_name: Option<String>,
    /// `status.phase`.
    pub phase: Option<String>,
    /// The controller owner (kind, name).
    pub owner: Option<(String, String)>,
    /// Claims its volumes name (`persistentVolumeClaim.claimName`, and `<pod>-<volume>` for
    /// generic ephemeral volumes).
    pub claims: Vec<Text>,
}

/// A CSIDriver object.
#[derive(Clone, Debug)]
pub struct CsiDriverInfo {
    /// The object.
    pub object: ObjectId,
    /// Name (the driver).
    pub name: String,
    /// `attachRequired` (default true).
    pub attach_required: bool,
    /// `fsGroupPolicy` (default ReadWriteOnceWithFSType).
    pub fs_group_policy: FsGroupPolicy,
    /// `volumeLifecycleModes`.
    pub lifecycle_modes: Vec<String>,
}

/// A volume of a workload, with its pattern.
#[derive(Clone, Debug, Serialize)]
pub struct VolumePattern {
    /// The workload.
    pub workload: WorkloadId,
    /// Volume (or claim template) name.
    pub volume: Text,
    /// The pattern.
    pub pattern: Pattern,
}
