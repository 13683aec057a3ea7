//! The storage graph: every loaded object resolved into workloads → volumes → claims →
//! StorageClasses → drivers → snapshot classes, with roles and patterns.
//!
//! Built in two passes: objects are decoded and their facts extracted in parallel, then the
//! references are linked through hash maps (linear in the number of objects).

mod assess;
mod decode;
mod extract;
pub mod model;
mod operators;
mod pattern;
mod references;
mod role;
pub mod schedules;
pub mod scrape;
pub mod selector;
mod shape;
pub mod snapshot_types;

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

pub use assess::Assessment;
pub use extract::is_default_storage_class;
pub use model::*;
pub use references::{CLUSTER_SCOPED_KINDS, ObjectKey, Reference, is_cluster_scoped};
pub use role::{COMPONENT_LABELS, NAME_LABEL, ROLE_ANNOTATION, covers};
pub use schedules::{Scope, SnapshotSchedule};
pub use scrape::ScrapeConfig;
pub use selector::LabelSelector;
pub use shape::InputShape;

use crate::catalog::{Capabilities, Catalog, Confidence, FsGroupPolicy, StorageKind, Topology};
use crate::load::{Diagnostic, Location, Workspace};
use crate::object::{Object, ObjectId};
use crate::path::Path;
use crate::yaml::Text;
use extract::{ClaimDraft, Extracted};

const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// The resolved storage model of one input.
#[derive(Debug)]
pub struct StorageGraph {
    /// Sources, objects and input diagnostics (KS001), including type errors found here.
    pub workspace: Workspace,
    /// The catalog used to resolve drivers and roles.
    pub catalog: Arc<Catalog>,
    /// Objects with a pod template.
    pub workloads: Vec<Workload>,
    /// PVCs, StatefulSet claim templates and generic ephemeral volume templates.
    pub claims: Vec<Claim>,
    /// StorageClasses.
    pub classes: Vec<StorageClassInfo>,
    /// PersistentVolumes.
    pub volumes: Vec<PersistentVolumeInfo>,
    /// VolumeSnapshotClasses.
    pub snapshot_classes: Vec<SnapshotClassInfo>,
    /// CSIDriver objects.
    pub csi_drivers: Vec<CsiDriverInfo>,
    /// VolumeSnapshots.
    pub snapshots: Vec<SnapshotInfo>,
    /// VolumeSnapshotContents.
    pub snapshot_contents: Vec<SnapshotContentInfo>,
    /// Nodes (from a cluster or a dump).
    pub nodes: Vec<NodeInfo>,
    /// VolumeAttachments.
    pub attachments: Vec<AttachmentInfo>,
    /// Events.
    pub events: Vec<EventInfo>,
    /// Every Pod as it runs. Pods whose controller (ReplicaSet/Deployment, StatefulSet,
    /// DaemonSet, Job) is in the input are not workloads of their own (the controller's
    /// template is judged once), but they are here.
    pub live_pods: Vec<LivePod>,
    /// What the whole input holds (set from the objects here; a front end that judges a few
    /// objects gathered from a cluster widens it to what the cluster holds).
    pub shape: InputShape,
    claim_index: HashMap<(Text, Text), ClaimId>,
    class_index: HashMap<String, ClassId>,
    default_class: Option<ClassId>,
    snapshot_classes_by_driver: HashMap<String, Vec<SnapshotClassId>>,
    claim_users: HashMap<ClaimId, Vec<WorkloadId>>,
    /// Claim drivers: one per class (same index), then one per static volume a class-less
    /// claim is bound to.
    drivers: Vec<ClaimDriver>,
}

/// Below this many objects, building and linting run on the calling thread.
pub const PARALLEL_MIN_OBJECTS: usize = 64;

/// Builds the graph from a workspace.
pub fn build(mut workspace: Workspace, catalog: Arc<Catalog>) -> StorageGraph {
    // Pods whose controller is in the input are not workloads of their own (the controller
    // is); only how they run is kept. Known before extracting, so the tens of thousands of
    // pods of a cluster never become workload drafts.
    let controllers = controllers_present(&workspace);
    let extract_one = |object: &crate::Object| {
        let mut diagnostics = Vec::new();
        let typed = decode::decode_object(object, &mut diagnostics);
        if let decode::Typed::Pod(pod) = &typed
            && extract::controller_of(pod).is_some_and(|(kind, name)| {
                controller_in_input(&controllers, kind, &object.effective_namespace().into(), name)
            })
        {
            return (Extracted::OwnedPod(Box::new(extract::live_pod(object, pod))), diagnostics);
        }
        if matches!(typed, decode::Typed::Unknown)
            && let Some(operator) = catalog.operators.get(object.reference.group(), &object.reference.kind)
        {
            let drafts = operators::extract(object, operator, &catalog.roles, &mut diagnostics);
            return (Extracted::OperatorWorkloads(drafts), diagnostics);
        }
        let mut extracted = extract::extract(object, typed, &mut diagnostics);
        if let Extracted::Workload(draft) = &mut extracted {
            let workload = &mut draft.workload;
            let (role, problem) =
                role::classify(object, &workload.pod, workload.role_annotation.as_deref(), &catalog.roles);
            workload.role = role;
            if let Some(message) = problem {
                let path = annotation_path(object, ROLE_ANNOTATION);
                diagnostics
                    .push(Diagnostic { location: Location::Field { object: object.id, path }, message });
            }
        }
        (extracted, diagnostics)
    };
    // Parallelism pays on bundles and clusters; a handful of objects (an admission request)
    // is faster on the calling thread than handed to the pool and back.
    let extracted: Vec<(Extracted, Vec<Diagnostic>)> = if workspace.objects.len() >= PARALLEL_MIN_OBJECTS {
        workspace.objects.par_iter().map(extract_one).collect()
    } else {
        workspace.objects.iter().map(extract_one).collect()
    };

    let mut graph = StorageGraph {
        workspace: Workspace::default(),
        catalog,
        workloads: Vec::new(),
        claims: Vec::new(),
        classes: Vec::new(),
        volumes: Vec::new(),
        snapshot_classes: Vec::new(),
        csi_drivers: Vec::new(),
        snapshots: Vec::new(),
        snapshot_contents: Vec::new(),
        nodes: Vec::new(),
        attachments: Vec::new(),
        events: Vec::new(),
        live_pods: Vec::new(),
        shape: InputShape::default(),
        claim_index: HashMap::new(),
        class_index: HashMap::new(),
        default_class: None,
        snapshot_classes_by_driver: HashMap::new(),
        claim_users: HashMap::new(),
        drivers: Vec::new(),
    };
    // Sized up front: grown by doubling, the workload and claim lists would waste tens of
    // megabytes on large inputs.
    let (workloads, claims) = extracted.iter().fold((0, 0), |(w, c), (item, _)| match item {
        Extracted::Workload(draft) => (w + 1, c + draft.templates.len()),
        Extracted::OperatorWorkloads(drafts) => {
            (w + drafts.len(), c + drafts.iter().map(|d| d.templates.len()).sum::<usize>())
        }
        Extracted::Claim(_) => (w, c + 1),
        _ => (w, c),
    });
    graph.workloads.reserve_exact(workloads);
    graph.claims.reserve_exact(claims);
    for (item, diagnostics) in extracted {
        workspace.diagnostics.extend(diagnostics);
        match item {
            Extracted::Workload(mut draft) => {
                if let Some(pod) = draft.live_pod.take() {
                    graph.live_pods.push(pod);
                }
                graph.add_workload(*draft)
            }
            Extracted::OwnedPod(pod) => graph.live_pods.push(*pod),
            Extracted::OperatorWorkloads(drafts) => {
                for draft in drafts {
                    graph.add_workload(draft);
                }
            }
            Extracted::Claim(draft) => {
                graph.add_claim(*draft);
            }
            Extracted::Class(class) => graph.classes.push(*class),
            Extracted::Volume(volume) => graph.volumes.push(*volume),
            Extracted::SnapshotClass(class) => graph.snapshot_classes.push(*class),
            Extracted::CsiDriver(driver) => graph.csi_drivers.push(*driver),
            Extracted::Snapshot(snapshot) => graph.snapshots.push(*snapshot),
            Extracted::SnapshotContent(content) => graph.snapshot_contents.push(*content),
            Extracted::Node(node) => graph.nodes.push(*node),
            Extracted::Attachment(attachment) => graph.attachments.push(*attachment),
            Extracted::Event(event) => graph.events.push(*event),
            Extracted::Nothing => {}
        }
    }
    graph.workspace = workspace;
    graph.link();
    graph.shape = InputShape::of(&graph);
    graph.workloads.shrink_to_fit();
    graph.claims.shrink_to_fit();
    graph.workspace.objects.shrink_to_fit();
    graph
}

impl StorageGraph {
    fn add_claim(&mut self, draft: ClaimDraft) -> ClaimId {
        let id = ClaimId(self.claims.len());
        if draft.claim.origin == ClaimOrigin::Standalone {
            self.claim_index.insert((draft.claim.namespace.clone(), draft.claim.name.clone()), id);
        }
        self.claims.push(draft.claim);
        id
    }

    fn add_workload(&mut self, draft: extract::WorkloadDraft) {
        let id = WorkloadId(self.workloads.len());
        let mut workload = draft.workload;
        for mut template in draft.templates {
            template.claim.origin = ClaimOrigin::Template { workload: id };
            let name = template.template_name.clone().unwrap_or_default();
            let claim = self.add_claim(template);
            workload.claim_templates.push(claim);
            // A template volume with the claim template's name is shadowed by it.
            for volume in workload.pod.volumes.iter_mut().filter(|v| v.name == name) {
                volume.shadowed_by = Some(claim);
            }
            for container in workload.pod.containers.iter_mut().chain(workload.pod.init_containers.iter_mut())
            {
                for mount in container.mounts.iter_mut().chain(container.devices.iter_mut()) {
                    if mount.volume == name {
                        mount.target = MountTarget::ClaimTemplate(claim);
                    }
                }
            }
        }
        for (index, mut ephemeral) in draft.ephemeral {
            ephemeral.claim.origin = ClaimOrigin::Ephemeral { workload: id };
            let claim = self.add_claim(ephemeral);
            if let Some(volume) = workload.pod.volumes.get_mut(index) {
                volume.source = VolumeSource::Ephemeral { claim };
            }
        }
        self.workloads.push(workload);
    }

    fn link(&mut self) {
        let csi_index: HashMap<String, CsiDriverId> =
            self.csi_drivers.iter().enumerate().map(|(i, d)| (d.name.clone(), CsiDriverId(i))).collect();

        // Classes: index, default, driver capabilities (catalog refined by CSIDriver objects).
        for (i, class) in self.classes.iter_mut().enumerate() {
            self.class_index.insert(class.name.clone(), ClassId(i));
            class.csi_driver = csi_index.get(&class.provisioner).copied();
            let csi = class.csi_driver.map(|id| &self.csi_drivers[id.0]);
            class.driver = capabilities(&self.catalog, &class.provisioner, &class.parameters, csi);
        }
        self.default_class = pick_default(&self.classes);
        self.static_class_topology();

        // Snapshot classes by driver.
        for (i, vsc) in self.snapshot_classes.iter().enumerate() {
            self.snapshot_classes_by_driver.entry(vsc.driver.clone()).or_default().push(SnapshotClassId(i));
        }

        // PersistentVolumes by name and by claimRef.
        let pv_by_name: HashMap<&str, VolumeId> =
            self.volumes.iter().enumerate().map(|(i, v)| (v.name.as_str(), VolumeId(i))).collect();
        let pv_by_claim: HashMap<(&str, &str), VolumeId> = self
            .volumes
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.claim_ref.as_ref().map(|(ns, n)| ((ns.as_str(), n.as_str()), VolumeId(i))))
            .collect();

        // Claims: class and volume.
        for claim in &mut self.claims {
            claim.class = match &claim.class_ref {
                ClassRef::Empty => ClassResolution::NoClass,
                ClassRef::Field(name) | ClassRef::Annotation(name) => self
                    .class_index
                    .get(name)
                    .map_or(ClassResolution::NotFound, |&c| ClassResolution::Named(c)),
                ClassRef::Unset => {
                    self.default_class.map_or(ClassResolution::UnknownDefault, ClassResolution::Default)
                }
            };
            let standalone = claim.origin == ClaimOrigin::Standalone;
            claim.volume =
                claim.volume_name.as_deref().and_then(|name| pv_by_name.get(name).copied()).or_else(|| {
                    standalone
                        .then(|| pv_by_claim.get(&(claim.namespace.as_str(), claim.name.as_str())).copied())
                        .flatten()
                });
        }
        self.resolve_claim_drivers();

        // Workload volumes → standalone claims; roles; who uses which claim.
        for (i, workload) in self.workloads.iter_mut().enumerate() {
            for volume in &mut workload.pod.volumes {
                if let VolumeSource::Claim { claim_name, claim, .. } = &mut volume.source {
                    *claim = self.claim_index.get(&(workload.namespace.clone(), claim_name.clone())).copied();
                    if let Some(c) = claim {
                        self.claim_users.entry(*c).or_default().push(WorkloadId(i));
                    }
                }
            }
        }
    }

    /// Claim → class → driver, once for every claim: a class's driver (for every class, so
    /// class `i` is driver `i`), else the driver of the static volume the claim is bound to.
    /// Runs after the classes' capabilities and topology are final.
    fn resolve_claim_drivers(&mut self) {
        let in_tree = |name: &str| self.catalog.drivers.in_tree(name).and_then(|p| p.csi.clone());
        self.drivers = self
            .classes
            .iter()
            .map(|class| ClaimDriver {
                name: in_tree(&class.provisioner).unwrap_or_else(|| class.provisioner.clone()),
                capabilities: class.driver.clone(),
            })
            .collect();
        let mut by_volume: HashMap<VolumeId, Option<DriverId>> = HashMap::new();
        for claim in &mut self.claims {
            claim.driver = match claim.class {
                ClassResolution::Named(id) | ClassResolution::Default(id) => Some(DriverId(id.0)),
                _ => claim.volume.and_then(|volume| {
                    *by_volume.entry(volume).or_insert_with(|| {
                        let driver =
                            volume_driver(&self.catalog, &self.csi_drivers, &self.volumes[volume.0])?;
                        self.drivers.push(driver);
                        Some(DriverId(self.drivers.len() - 1))
                    })
                }),
            };
        }
    }

    /// Static classes (`kubernetes.io/no-provisioner`) take their topology from their
    /// PersistentVolumes: node-local when any is `local`/`hostPath` or pinned to a host by its
    /// node affinity, zonal when any is pinned to a zone, none when all are network volumes
    /// without topology (NFS, iSCSI, CSI without node affinity), unknown when the input has
    /// none.
    fn static_class_topology(&mut self) {
        for class in self.classes.iter_mut().filter(|c| c.provisioner == NO_PROVISIONER) {
            let topology = self
                .volumes
                .iter()
                .filter(|v| v.storage_class.as_deref() == Some(class.name.as_str()))
                .map(volume_topology)
                .max_by_key(|t| match t {
                    Topology::NodeLocal => 3,
                    Topology::Zonal => 2,
                    Topology::None => 1,
                    Topology::Unknown => 0,
                })
                .unwrap_or(Topology::Unknown);
            if let Some(driver) = &mut class.driver {
                driver.topology = topology;
            }
        }
    }

    /// The object with this id.
    pub fn object(&self, id: ObjectId) -> &Object {
        self.workspace.object(id)
    }

    /// The workload with this id.
    pub fn workload(&self, id: WorkloadId) -> &Workload {
        &self.workloads[id.0]
    }

    /// The claim with this id.
    pub fn claim(&self, id: ClaimId) -> &Claim {
        &self.claims[id.0]
    }

    /// The class with this id.
    pub fn class(&self, id: ClassId) -> &StorageClassInfo {
        &self.classes[id.0]
    }

    /// The PersistentVolume with this id.
    pub fn volume(&self, id: VolumeId) -> &PersistentVolumeInfo {
        &self.volumes[id.0]
    }

    /// A class by name.
    pub fn class_named(&self, name: &str) -> Option<&StorageClassInfo> {
        self.class_index.get(name).map(|&id| self.class(id))
    }

    /// The default class the input defines, if any.
    pub fn default_class(&self) -> Option<&StorageClassInfo> {
        self.default_class.map(|id| self.class(id))
    }

    /// A standalone claim by namespace and name.
    pub fn claim_named(&self, namespace: &str, name: &str) -> Option<ClaimId> {
        self.claim_index.get(&(Text::from(namespace), Text::from(name))).copied()
    }

    /// The class a claim resolves to (named or default).
    pub fn class_of(&self, claim: &Claim) -> Option<&StorageClassInfo> {
        match claim.class {
            ClassResolution::Named(id) | ClassResolution::Default(id) => Some(self.class(id)),
            _ => None,
        }
    }

    /// The driver behind a claim (resolved when the graph was linked): through its class, or
    /// its static volume.
    pub fn driver_of_claim(&self, claim: &Claim) -> Option<&ClaimDriver> {
        claim.driver.map(|id| &self.drivers[id.0])
    }

    /// VolumeSnapshotClasses of a driver.
    pub fn snapshot_classes_for(&self, driver: &str) -> impl Iterator<Item = &SnapshotClassInfo> {
        self.snapshot_classes_by_driver
            .get(driver)
            .into_iter()
            .flatten()
            .map(|id| &self.snapshot_classes[id.0])
    }

    /// A VolumeSnapshotClass by name.
    pub fn snapshot_class_named(&self, name: &str) -> Option<&SnapshotClassInfo> {
        self.snapshot_classes.iter().find(|c| c.name == name)
    }

    /// A VolumeSnapshot by namespace and name.
    pub fn snapshot_named(&self, namespace: &str, name: &str) -> Option<&SnapshotInfo> {
        self.snapshots.iter().find(|s| s.namespace == namespace && s.name == name)
    }

    /// Workloads whose pod volumes reference a standalone claim.
    pub fn claim_users(&self, claim: ClaimId) -> &[WorkloadId] {
        self.claim_users.get(&claim).map(Vec::as_slice).unwrap_or_default()
    }

    /// The claim a mount resolves to, if any.
    pub fn claim_of_mount(&self, workload: &Workload, mount: &Mount) -> Option<ClaimId> {
        match mount.target {
            MountTarget::ClaimTemplate(claim) => Some(claim),
            MountTarget::Volume(index) => match &workload.pod.volumes[index].source {
                VolumeSource::Claim { claim, .. } => *claim,
                VolumeSource::Ephemeral { claim } => Some(*claim),
                _ => None,
            },
            MountTarget::Missing => None,
        }
    }

    /// Whether a mount is read-only: the mount says so, or its volume does
    /// (`persistentVolumeClaim.readOnly`, inline CSI `readOnly`), which forces read-only mounts.
    pub fn mount_is_read_only(&self, workload: &Workload, mount: &Mount) -> bool {
        mount.read_only
            || match mount.target {
                MountTarget::Volume(index) => matches!(
                    workload.pod.volumes[index].source,
                    VolumeSource::Claim { read_only: true, .. } | VolumeSource::Csi { read_only: true, .. }
                ),
                _ => false,
            }
    }

    /// The mounts of a workload's engine container that hold its data: mounts covering the
    /// engine's data directories, or (engine unknown) every writable claim mount.
    pub fn data_mounts<'w>(&self, workload: &'w Workload) -> Vec<(&'w ContainerInfo, &'w Mount)> {
        let role = &workload.role;
        let containers: Vec<&ContainerInfo> = match role.container {
            Some(i) => workload.pod.containers.get(i).into_iter().collect(),
            None => workload.pod.containers.iter().collect(),
        };
        let mut out = Vec::new();
        for container in containers {
            for mount in &container.mounts {
                let holds_data = if role.data_dirs.is_empty() {
                    !mount.read_only && self.claim_of_mount(workload, mount).is_some()
                } else {
                    role.data_dirs.iter().any(|d| covers(&mount.mount_path, d))
                };
                if holds_data {
                    out.push((container, mount));
                }
            }
        }
        out
    }

    /// Input diagnostics (KS001).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.workspace.diagnostics
    }
}

/// (kind, namespace, name) of every controller workload in the input.
fn controllers_present(workspace: &Workspace) -> std::collections::HashSet<(&'static str, Text, Text)> {
    const CONTROLLERS: [&str; 6] =
        ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"];
    workspace
        .objects
        .iter()
        .filter_map(|object| {
            let kind = CONTROLLERS.into_iter().find(|k| *k == object.reference.kind)?;
            Some((kind, Text::from(object.effective_namespace()), Text::from(object.reference.name.as_str())))
        })
        .collect()
}

/// Whether a Pod's controller is in the input: the owner itself, or for a ReplicaSet
/// (`web-7d4b9c`) the Deployment that made it (`web`).
fn controller_in_input(
    controllers: &std::collections::HashSet<(&'static str, Text, Text)>,
    kind: &str,
    namespace: &Text,
    name: &str,
) -> bool {
    let has =
        |kind: &'static str, name: &str| controllers.contains(&(kind, namespace.clone(), Text::from(name)));
    match kind {
        "ReplicaSet" => {
            has("ReplicaSet", name) || name.rsplit_once('-').is_some_and(|(d, _)| has("Deployment", d))
        }
        "StatefulSet" => has("StatefulSet", name),
        "DaemonSet" => has("DaemonSet", name),
        "Job" => has("Job", name),
        "ReplicationController" => has("ReplicationController", name),
        _ => false,
    }
}

/// The path of an annotation in an object.
pub fn annotation_path(object: &Object, key: &str) -> Path {
    let _ = object;
    Path::root().key("metadata").key("annotations").key(key)
}

/// Where a static volume can be used: `local`/`hostPath` volumes and volumes whose node
/// affinity names a host are node-local, volumes whose node affinity names a zone are zonal,
/// the rest (network volumes) have no topology.
fn volume_topology(volume: &PersistentVolumeInfo) -> Topology {
    let mut keys = volume.node_affinity.iter().flatten().map(|(key, _, _)| key.as_str());
    if volume.node_local || keys.clone().any(|k| k == "kubernetes.io/hostname") {
        Topology::NodeLocal
    } else if keys.any(|k| k.ends_with("/zone")) {
        Topology::Zonal
    } else {
        Topology::None
    }
}

/// With several defaults, Kubernetes uses the newest (then the first by name).
fn pick_default(classes: &[StorageClassInfo]) -> Option<ClassId> {
    classes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_default)
        .max_by(|(_, a), (_, b)| a.created.cmp(&b.created).then(b.name.cmp(&a.name)))
        .map(|(i, _)| ClassId(i))
}

/// The driver of a static volume: its CSI driver, or its in-tree source's CSI replacement
/// (the source field itself when not migrated); `None` unless its capabilities are known.
fn volume_driver(
    catalog: &Catalog,
    csi_drivers: &[CsiDriverInfo],
    volume: &PersistentVolumeInfo,
) -> Option<ClaimDriver> {
    let driver = volume.driver.as_deref()?;
    let name =
        catalog.drivers.in_tree_by_volume_source(driver).and_then(|p| p.csi.as_deref()).unwrap_or(driver);
    let capabilities =
        capabilities(catalog, name, &Default::default(), csi_drivers.iter().find(|d| d.name == name))?;
    Some(ClaimDriver { name: capabilities.driver.clone(), capabilities: Some(capabilities) })
}

/// Capabilities of a provisioner: the catalog entry, refined by a CSIDriver object's
/// `attachRequired` and `fsGroupPolicy`; a CSIDriver alone gives partial knowledge.
fn capabilities(
    catalog: &Catalog,
    provisioner: &str,
    parameters: &crate::strmap::StrMap,
    csi: Option<&CsiDriverInfo>,
) -> Option<Capabilities> {
    let mut caps = match catalog.drivers.capabilities(provisioner, parameters) {
        Some(caps) => caps,
        None => {
            let csi = csi?;
            Capabilities {
                driver: csi.name.clone(),
                display_name: csi.name.clone(),
                variant: None,
                topology: Topology::Unknown,
                storage: StorageKind::Block,
                distributed: false,
                access_modes: Default::default(),
                snapshots: false,
                expansion: false,
                cloning: false,
                fs_group_policy: FsGroupPolicy::default(),
                attach_required: true,
                csi: true,
                topology_keys: Vec::new(),
                confidence: Confidence::Vendor,
            }
        }
    };
    if let Some(csi) = csi {
        caps.attach_required = csi.attach_required;
        caps.fs_group_policy = csi.fs_group_policy;
    }
    Some(caps)
}

#[cfg(test)]
mod tests;
