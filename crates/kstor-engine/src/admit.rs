//! Admission: one object judged against a view of the cluster.
//!
//! The objects the admitted object can be judged with are found by the model's own
//! references ([`StorageGraph::references`]), the same extraction `kstor lint` links with: the
//! claims a workload mounts, the class a claim names by field or by the legacy annotation, its
//! volume, the snapshot or claim it is populated from, and so on, transitively; then the
//! objects that refer to the admitted one (a claim's users and volume, a class's claims). The
//! object and what was gathered become one small graph; the rules run as in `kstor lint`, and
//! the findings located on the admitted object are its verdict.

use std::collections::HashSet;
use std::sync::Arc;

use kstor_model::catalog::Catalog;
use kstor_model::graph::scrape::{MONITORING_GROUP, SCRAPE_ANNOTATION};
use kstor_model::graph::{self, InputShape, ObjectKey, Reference, StorageGraph, is_default_storage_class};
use kstor_model::object::{Object, ObjectId, Origin};
use kstor_model::yaml::Tree;
use kstor_model::{Location, ObjectRef, Workspace};
use kstor_rules::LintResult;

use crate::Engine;

/// How many steps of references are followed from the admitted object (workload → claim →
/// class → …; claim → snapshot → its source claim → its class).
const OUTGOING_DEPTH: usize = 4;
/// How many steps of referrers are followed back to the admitted object (class ← claim ←
/// workload).
const REFERRER_DEPTH: usize = 3;

/// An object a cluster view holds: its identity, its parsed tree (shared, never copied) and
/// what it refers to.
#[derive(Debug)]
pub struct SharedObject {
    /// apiVersion, kind, namespace, name.
    pub reference: ObjectRef,
    /// The tree the object lives in.
    pub tree: Arc<Tree>,
    /// Its root node.
    pub root: u32,
    /// Its references, as the graph resolves them.
    pub references: Vec<Reference>,
}

impl SharedObject {
    /// An object with its references worked out by building its own graph (used where
    /// objects arrive one at a time, as watch events).
    pub fn new(object: Object, catalog: &Arc<Catalog>) -> SharedObject {
        let references = references_of(&object, catalog);
        SharedObject { reference: object.reference, tree: object.tree, root: object.root_index, references }
    }

    /// The lookup key.
    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(&self.reference.kind, self.reference.namespace.as_deref(), &self.reference.name)
    }

    /// A model object with this id, sharing the tree.
    pub fn to_object(&self, id: u32) -> Object {
        Object {
            id: ObjectId(id),
            origin: Origin { source: None, document: 0, item: None },
            reference: self.reference.clone(),
            tree: Arc::clone(&self.tree),
            root_index: self.root,
        }
    }
}

/// What the references of one object are: the graph of that object alone, asked.
pub fn references_of(object: &Object, catalog: &Arc<Catalog>) -> Vec<Reference> {
    let mut workspace = Workspace::default();
    workspace.objects.push(Object {
        id: ObjectId(0),
        origin: Origin { source: None, document: 0, item: None },
        reference: object.reference.clone(),
        tree: Arc::clone(&object.tree),
        root_index: object.root_index,
    });
    let graph = graph::build(workspace, Arc::clone(catalog));
    graph.references().into_iter().map(|(_, r)| r).collect()
}

/// Kinds every judgement sees whole: few per cluster, and read across objects by the rules
/// (a snapshot class per driver, CSIDriver fsGroup policies, whether a named class exists
/// among the others).
pub const CONTEXT_KINDS: [&str; 3] = ["StorageClass", "VolumeSnapshotClass", "CSIDriver"];

/// A view of a cluster's objects: a watch cache, a dump, a bundle of manifests.
pub trait ClusterView {
    /// An object by key.
    fn get(&self, key: &ObjectKey) -> Option<Arc<SharedObject>>;
    /// The StorageClasses marked default (claims without a class get one; several defaults
    /// are a finding of their own).
    fn default_classes(&self) -> Vec<Arc<SharedObject>>;
    /// Objects every judgement sees whole: those of [`CONTEXT_KINDS`].
    fn context(&self) -> Vec<Arc<SharedObject>>;
    /// The objects among whose references is `reference` (the users of a claim, the claims
    /// of a class, the claims that take the default class, the classes of a driver).
    fn referrers(&self, reference: &Reference) -> Vec<Arc<SharedObject>>;
    /// What the whole cluster holds: the rules that judge by the shape of their input read it
    /// instead of the few objects a judgement gathers.
    fn shape(&self) -> InputShape;
    /// The objects of a kind in one namespace, or in all when `namespace` is `None` (read
    /// only for a reference to a missing object: what it may have meant, what creates it).
    fn of_kind(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<SharedObject>>;
}

/// The outcome of judging one object.
pub struct Admission {
    /// The graph of the object and what it was judged with (object 0 is the admitted one).
    pub graph: StorageGraph,
    /// The findings located on the admitted object, ordered as lint orders them.
    pub result: LintResult,
    /// How many cluster objects the judgement read.
    pub gathered: usize,
}

/// The objects gathered for one judgement, each once, the admitted object's key excluded (an
/// UPDATE replaces the cached version).
struct Gathered {
    seen: HashSet<ObjectKey>,
    objects: Vec<Arc<SharedObject>>,
}

impl Gathered {
    fn add(&mut self, object: Arc<SharedObject>) -> Option<Arc<SharedObject>> {
        self.seen.insert(object.key()).then(|| {
            self.objects.push(Arc::clone(&object));
            object
        })
    }
}

/// Gathers what decides whether a reference to a missing object is an error: for a claim,
/// the claims of its namespace (a name it may have meant), claims of that name elsewhere (a
/// namespace left to deploy time) and the namespace's StatefulSets (whose claim templates
/// create it); for a class, the objects that name it too (a static volume of that class
/// makes the name valid).
fn gather_for_missing(view: &dyn ClusterView, target: &ObjectKey, gathered: &mut Gathered) {
    match target.kind.as_str() {
        "PersistentVolumeClaim" => {
            let namespace = target.namespace.as_deref();
            let named_elsewhere = view
                .of_kind("PersistentVolumeClaim", None)
                .into_iter()
                .filter(|c| c.reference.name == target.name);
            let related = view
                .of_kind("PersistentVolumeClaim", namespace)
                .into_iter()
                .chain(named_elsewhere)
                .chain(view.of_kind("StatefulSet", namespace));
            for object in related {
                gathered.add(object);
            }
        }
        _ => {
            for object in view.referrers(&Reference::Object(target.clone())) {
                gathered.add(object);
            }
        }
    }
}

/// Kinds whose objects run pods: the workloads the graph extracts, and operator resources.
const WORKLOAD_KINDS: [&str; 7] =
    ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"];

/// Whether the object runs pods (a workload or an operator resource of the catalog) or holds
/// their data (a claim: KS406 reports a workload's unscheduled snapshots on its claim).
fn runs_pods(object: &Object, catalog: &Catalog) -> bool {
    WORKLOAD_KINDS.contains(&object.reference.kind.as_str())
        || object.reference.kind == "PersistentVolumeClaim"
        || catalog.operators.get(object.reference.group(), &object.reference.kind).is_some()
}

/// What a workload is judged with besides its storage: whatever takes snapshots on a schedule
/// (CronJobs, the schedulers and operator backups of `catalog/snapshot-schedules.yaml`: KS406)
/// and the scrape configuration (ServiceMonitors, PodMonitors, Services, and workloads
/// annotated `prometheus.io/scrape`: KS806). A watch cache that does not hold these kinds has none.
fn schedules_and_scrape_config(view: &dyn ClusterView, catalog: &Catalog) -> Vec<Arc<SharedObject>> {
    let mut out = view.of_kind("CronJob", None);
    let mut kinds: Vec<(&[String], &str)> =
        catalog.schedules.schedulers.iter().map(|s| (s.groups.as_slice(), s.kind.as_str())).collect();
    kinds.dedup();
    for (groups, kind) in kinds {
        let of_group =
            view.of_kind(kind, None).into_iter().filter(|o| groups.iter().any(|g| g == o.reference.group()));
        out.extend(of_group);
    }
    for kind in ["ServiceMonitor", "PodMonitor"] {
        out.extend(view.of_kind(kind, None).into_iter().filter(|o| o.reference.group() == MONITORING_GROUP));
    }
    // Services: monitors select them, and they select the pods.
    out.extend(view.of_kind("Service", None));
    for kind in WORKLOAD_KINDS {
        let annotated = view
            .of_kind(kind, None)
            .into_iter()
            .filter(|o| o.to_object(0).annotation(SCRAPE_ANNOTATION).is_some());
        out.extend(annotated);
    }
    out
}

impl Engine {
    /// Judges `incoming` (an object being created or updated) against `view`.
    pub fn admit(&self, incoming: Object, view: &dyn ClusterView) -> Admission {
        let key = ObjectKey::of(&incoming);
        let mut gathered = Gathered { seen: HashSet::from([key.clone()]), objects: Vec::new() };
        let default_classes: HashSet<ObjectKey> = view.default_classes().iter().map(|c| c.key()).collect();
        for object in view.context().into_iter().chain(view.default_classes()) {
            gathered.add(object);
        }

        // What the object refers to, transitively; the users of the claims it names (pods
        // elsewhere on one single-node claim conflict with it).
        let own_references = references_of(&incoming, self.catalog());
        let mut references = own_references.clone();
        let mut claims_named = Vec::new();
        for depth in 0..OUTGOING_DEPTH {
            let mut next = Vec::new();
            for reference in references {
                let Reference::Object(target) = reference else { continue };
                let Some(object) = view.get(&target) else {
                    if depth == 0 {
                        gather_for_missing(view, &target, &mut gathered);
                    }
                    continue;
                };
                let Some(object) = gathered.add(object) else { continue };
                if depth == 0 && target.kind == "PersistentVolumeClaim" {
                    claims_named.push(target);
                }
                next.extend(object.references.iter().cloned());
            }
            references = next;
        }
        // What refers to the object (a claim's users, volume and snapshots; a class's claims
        // and volumes), transitively; and to the claims it names. A default class is also
        // the class of every claim that names none; a class or snapshot class is judged with
        // the other objects of its driver (a snapshot class with the workloads whose data it
        // backs up).
        let mut seeds = vec![Reference::Object(key)];
        if is_default_storage_class(&incoming) {
            seeds.push(Reference::DefaultStorageClasses);
        }
        seeds.extend(own_references.iter().filter(|r| matches!(r, Reference::Driver(_))).cloned());
        let mut claims_named: Vec<Reference> = claims_named.into_iter().map(Reference::Object).collect();
        // Followed once each, whether or not gathered already (context objects are, and
        // their referrers still count).
        let mut followed: HashSet<Reference> = HashSet::new();
        for depth in 0..REFERRER_DEPTH {
            if depth == 1 {
                seeds.append(&mut claims_named);
            }
            let mut next = Vec::new();
            for seed in seeds {
                if !followed.insert(seed.clone()) {
                    continue;
                }
                for object in view.referrers(&seed) {
                    let key = object.key();
                    if default_classes.contains(&key) {
                        next.push(Reference::DefaultStorageClasses);
                    }
                    gathered.add(object);
                    next.push(Reference::Object(key));
                }
            }
            seeds = next;
        }

        if runs_pods(&incoming, self.catalog()) {
            for object in schedules_and_scrape_config(view, self.catalog()) {
                gathered.add(object);
            }
        }

        let mut workspace = Workspace::default();
        workspace.objects.reserve(gathered.objects.len() + 1);
        let mut incoming = incoming;
        incoming.id = ObjectId(0);
        workspace.objects.push(incoming);
        for (i, object) in gathered.objects.iter().enumerate() {
            workspace.objects.push(object.to_object(i as u32 + 1));
        }
        let count = gathered.objects.len();
        let mut graph = graph::build(workspace, Arc::clone(self.catalog()));
        graph.shape = graph.shape.union(view.shape());
        let mut result = kstor_rules::lint(&graph, self.settings());
        result
            .findings
            .retain(|r| matches!(r.finding.location, Location::Field { object, .. } if object.0 == 0));
        Admission { graph, result, gathered: count }
    }
}
