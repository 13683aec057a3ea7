//! The live cached view of the cluster's storage objects, kept current by kube-rs watchers.
//!
//! Every watched object is parsed once, when its watch event arrives, into the model's tree (the
//! same JSON builder `kstor audit` uses); admission requests then borrow the trees they need
//! (`Arc`) instead of re-reading anything. An object's `metadata.managedFields`, often most of
//! its size and never read by kstor, is dropped before its text is written for the tree (which
//! keeps that text).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use kstor_model::ObjectRef;
use kstor_model::graph::is_default_storage_class;
use kstor_model::object::{Object, ObjectId, Origin};
use kstor_model::yaml::{Node, SharedText, Tree, tree_from_json_slice};
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use crate::metrics::Metrics;

/// A resource the cache watches: the cluster reader's own description of it.
pub type Watched = kstor_live::ResourceKind;

/// The snapshot API group; its CRDs may be missing.
pub const SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";

/// The kinds the cache watches. Nodes are kept for their counts and for rules that read
/// topology; today's lint rules read nodes only in `kstor audit`, so requests do not carry them.
pub const WATCHED_KINDS: [&str; 7] = [
    "StorageClass",
    "CSIDriver",
    "VolumeSnapshotClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "VolumeSnapshot",
    "Node",
];

/// The watched resources, from the cluster reader's table (the same group, version and plural
/// `kstor audit` lists).
pub fn watched() -> impl Iterator<Item = &'static Watched> {
    WATCHED_KINDS.iter().map(|kind| {
        kstor_live::RESOURCES
            .iter()
            .find(|r| r.kind == *kind)
            .expect("every watched kind is a resource kstor reads")
    })
}

/// One cached object: its identity and its parsed tree.
#[derive(Debug)]
pub struct Cached {
    /// apiVersion, kind, namespace, name.
    pub reference: ObjectRef,
    /// The parsed object.
    pub tree: Arc<Tree>,
    /// Its root node.
    pub root: u32,
    /// A StorageClass marked default (claims without a class get it).
    pub default_class: bool,
}

impl Cached {
    /// Builds the tree of an object a watch delivered, without its `metadata.managedFields`.
    pub fn from_object(mut object: DynamicObject, watched: &Watched) -> Option<Cached> {
        object.metadata.managed_fields = None;
        Cached::from_json(serde_json::to_string(&object).ok()?, watched)
    }

    /// Parses an API object (JSON text) into the model's tree; `None` when it is not an object.
    pub fn from_json(text: String, watched: &Watched) -> Option<Cached> {
        let source = SharedText::from(Arc::new(text));
        let api_version = watched.api_version();
        let json: &str = &source;
        let (tree, root) =
            tree_from_json_slice(&source, json, &[("apiVersion", &api_version), ("kind", watched.kind)])
                .ok()?;
        let tree = Arc::new(tree);
        let object = Object::new(
            ObjectId(0),
            Origin { source: None, document: 0, item: None },
            Arc::clone(&tree),
            root,
        );
        let default_class = watched.kind == "StorageClass" && is_default_storage_class(&object);
        Some(Cached { reference: object.reference, tree, root, default_class })
    }

    /// The root node.
    pub fn node(&self) -> Node<'_> {
        self.tree.node(self.root)
    }

    /// A model object with this id (shares the tree).
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

fn key(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// The objects of one kind.
#[derive(Debug, Default)]
pub struct Store {
    objects: HashMap<String, Arc<Cached>>,
    /// Objects of an initial list still being received (replaced in one step when it ends).
    pending: Option<HashMap<String, Arc<Cached>>>,
    /// The first complete list arrived.
    pub synced: bool,
}

impl Store {
    /// An object by namespace and name.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<&Arc<Cached>> {
        self.objects.get(&key(namespace, name))
    }

    /// Every object.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Cached>> {
        self.objects.values()
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    fn apply(&mut self, cached: Cached) {
        let k = key(cached.reference.namespace.as_deref(), &cached.reference.name);
        self.objects.insert(k, Arc::new(cached));
    }

    fn delete(&mut self, namespace: Option<&str>, name: &str) {
        self.objects.remove(&key(namespace, name));
    }
}

/// All stores, by kind.
#[derive(Debug, Default)]
pub struct Stores {
    by_kind: HashMap<&'static str, Store>,
}

impl Stores {
    /// The store of a kind (empty when not watched).
    pub fn kind(&self, kind: &str) -> Option<&Store> {
        self.by_kind.get(kind)
    }

    /// Whether every watched kind has synced.
    pub fn synced(&self) -> bool {
        WATCHED_KINDS.iter().all(|k| self.by_kind.get(k).is_some_and(|s| s.synced))
    }

    /// Kinds that have not synced yet.
    pub fn unsynced(&self) -> Vec<&'static str> {
        WATCHED_KINDS.iter().copied().filter(|k| !self.by_kind.get(k).is_some_and(|s| s.synced)).collect()
    }
}

/// A watch event with its object already parsed (`None`: not an object kstor can read).
enum Change {
    Init,
    InitApply(Option<Cached>),
    InitDone,
    Apply(Option<Cached>),
    /// Namespace and name.
    Delete(Option<String>, String),
}

/// The cache shared by the watchers and the request handlers.
#[derive(Debug, Default)]
pub struct Cache {
    stores: RwLock<Stores>,
}

impl Cache {
    /// An empty, unsynced cache.
    pub fn new() -> Cache {
        Cache::default()
    }

    /// Reads the stores.
    pub fn read<T>(&self, f: impl FnOnce(&Stores) -> T) -> T {
        let stores = self.stores.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&stores)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Stores) -> T) -> T {
        let mut stores = self.stores.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut stores)
    }

    /// Marks a kind synced and empty (its API is not served: the snapshot CRDs are not installed).
    pub fn mark_absent(&self, kind: &'static str) {
        self.write(|s| {
            let store = s.by_kind.entry(kind).or_default();
            store.objects.clear();
            store.synced = true;
        });
    }

    /// Applies one watch event of a kind; returns the store's size.
    pub fn handle(&self, watched: &Watched, event: Event<DynamicObject>) -> usize {
        // Parse outside the lock: a big initial list must not stall admissions.
        let change = match event {
            Event::Init => Change::Init,
            Event::InitApply(o) => Change::InitApply(Cached::from_object(o, watched)),
            Event::InitDone => Change::InitDone,
            Event::Apply(o) => Change::Apply(Cached::from_object(o, watched)),
            Event::Delete(o) => Change::Delete(o.metadata.namespace, o.metadata.name.unwrap_or_default()),
        };
        self.write(|stores| {
            let store = stores.by_kind.entry(watched.kind).or_default();
            match change {
                Change::Init => store.pending = Some(HashMap::new()),
                Change::InitApply(parsed) => {
                    if let (Some(pending), Some(c)) = (store.pending.as_mut(), parsed) {
                        pending.insert(key(c.reference.namespace.as_deref(), &c.reference.name), Arc::new(c));
                    }
                }
                Change::InitDone => {
                    if let Some(pending) = store.pending.take() {
                        store.objects = pending;
                    }
                    store.synced = true;
                }
                Change::Apply(parsed) => {
                    if let Some(c) = parsed {
                        store.apply(c);
                    }
                }
                Change::Delete(namespace, name) => {
                    store.delete(namespace.as_deref().filter(|_| watched.namespaced), &name);
                }
            }
            store.len()
        })
    }
}

/// Starts one watcher per watched kind; runs until the process stops. Kinds whose API group the
/// cluster does not serve (the snapshot CRDs) are marked synced and empty.
pub async fn watch_all(client: kube::Client, cache: Arc<Cache>, metrics: Arc<Metrics>) {
    let snapshot_api = client.list_api_group_resources(&format!("{SNAPSHOT_GROUP}/v1")).await;
    let snapshots_served = match &snapshot_api {
        Ok(_) => true,
        Err(kube::Error::Api(status)) if status.code == 404 => false,
        // Anything else (403, network): watch anyway; the watcher retries and reports.
        Err(_) => true,
    };
    let mut tasks = Vec::new();
    for &watched in watched() {
        if watched.group == SNAPSHOT_GROUP && !snapshots_served {
            eprintln!(
                "kstor: the cluster does not serve {SNAPSHOT_GROUP}/v1: {} treated as empty",
                watched.plural
            );
            cache.mark_absent(watched.kind);
            metrics.set_cache(watched.kind, 0, true);
            continue;
        }
        let client = client.clone();
        let cache = Arc::clone(&cache);
        let metrics = Arc::clone(&metrics);
        tasks.push(tokio::spawn(async move { watch_one(client, watched, cache, metrics).await }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn watch_one(client: kube::Client, watched: Watched, cache: Arc<Cache>, metrics: Arc<Metrics>) {
    let gvk = GroupVersionKind::gvk(watched.group, watched.version, watched.kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, watched.plural);
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut stream = watcher(api, watcher::Config::default()).default_backoff().boxed();
    let mut last_error: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                let len = cache.handle(&watched, event);
                let synced = cache.read(|s| s.kind(watched.kind).is_some_and(|st| st.synced));
                metrics.set_cache(watched.kind, len, synced);
                last_error = None;
            }
            Err(error) => {
                metrics.watch_error(watched.kind);
                let message = error.to_string();
                // One line per distinct error, not one per retry.
                if last_error.as_deref() != Some(&message) {
                    eprintln!("kstor: watching {}: {message} (retrying)", watched.plural);
                    last_error = Some(message);
                }
            }
        }
    }
}

fn watcher(
    api: Api<DynamicObject>,
    config: watcher::Config,
) -> impl futures::Stream<Item = Result<Event<DynamicObject>, watcher::Error>> + Send {
    watcher::watcher(api, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pvc_kind() -> &'static Watched {
        watched().find(|w| w.kind == "PersistentVolumeClaim").unwrap()
    }

    #[test]
    fn watched_objects_are_kept_without_managed_fields() {
        let object: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "db", "managedFields": [{
                "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                "time": "2025-11-26T15:52:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:accessModes": {}, "f:resources": {"f:requests": {".": {}, "f:storage": {}}}}}
            }]},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
        }))
        .unwrap();
        assert!(object.metadata.managed_fields.is_some());
        let cache = Cache::new();
        cache.handle(pvc_kind(), Event::Apply(object));
        cache.read(|stores| {
            let cached = stores.kind("PersistentVolumeClaim").unwrap().get(Some("db"), "data").unwrap();
            assert_eq!(
                cached.node().get("spec").unwrap().get("accessModes").unwrap().to_json()[0],
                "ReadWriteOnce"
            );
            let text = cached.tree.source_text();
            assert!(!text.contains("managedFields") && !text.contains("kubectl-client-side-apply"), "{text}");
        });
    }
}
