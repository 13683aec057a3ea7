//! The live cached view of the cluster's storage objects, kept current by kube-rs watchers.
//!
//! Every watched object is parsed once, when its watch event arrives, into the model's tree (the
//! same JSON builder `kstor audit` uses); admission requests then borrow the trees they need
//! (`Arc`) instead of re-reading anything.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use futures::StreamExt;
use kstor_engine::admit::CONTEXT_KINDS;
use kstor_engine::{ClusterView, SharedObject};
use kstor_model::ObjectRef;
use kstor_model::catalog::Catalog;
use kstor_model::graph::{InputShape, ObjectKey, Reference, is_default_storage_class};
use kstor_model::object::{Object, ObjectId, Origin};
use kstor_model::yaml::{Node, SharedText, tree_from_json_slice};
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

use crate::metrics::Metrics;

/// A resource the cache watches: the cluster reader's own description of it.
pub type Watched = kstor_live::ResourceKind;

/// The snapshot API group; its CRDs may be missing.
pub use kstor_model::api::SNAPSHOT_GROUP;

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

/// One cached object: the shared object admission reads (tree and references, as the model
/// extracts them) and whether it is a default StorageClass.
#[derive(Debug)]
pub struct Cached {
    /// The object, shared with every judgement that reads it.
    pub object: Arc<SharedObject>,
    /// A StorageClass marked default (claims without a class get it).
    pub default_class: bool,
}

impl Cached {
    /// Parses an API object (JSON text) into the model's tree and works out its references;
    /// `None` when it is not an object.
    pub fn from_json(text: String, watched: &Watched, catalog: &Arc<Catalog>) -> Option<Cached> {
        let source = SharedText::from(Arc::new(text));
        let api_version = watched.api_version();
        let json: &str = &source;
        let (tree, root) =
            tree_from_json_slice(&source, json, &[("apiVersion", &api_version), ("kind", watched.kind)])
                .ok()?;
        let object =
            Object::new(ObjectId(0), Origin { source: None, document: 0, item: None }, Arc::new(tree), root);
        let default_class = watched.kind == "StorageClass" && is_default_storage_class(&object);
        Some(Cached { object: Arc::new(SharedObject::new(object, catalog)), default_class })
    }

    /// The object's identity.
    pub fn reference(&self) -> &ObjectRef {
        &self.object.reference
    }

    /// The root node.
    pub fn node(&self) -> Node<'_> {
        self.object.tree.node(self.object.root)
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
}

/// All stores, by kind, and who refers to whom.
#[derive(Debug, Default)]
pub struct Stores {
    by_kind: HashMap<&'static str, Store>,
    /// For each reference, the keys of the cached objects that hold it.
    referrers: HashMap<Reference, HashSet<ObjectKey>>,
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

    fn link(&mut self, cached: &Cached) {
        let from = cached.object.key();
        for reference in &cached.object.references {
            self.referrers.entry(reference.clone()).or_default().insert(from.clone());
        }
    }

    fn unlink(&mut self, cached: &Cached) {
        let from = cached.object.key();
        for reference in &cached.object.references {
            if let Some(set) = self.referrers.get_mut(reference) {
                set.remove(&from);
                if set.is_empty() {
                    self.referrers.remove(reference);
                }
            }
        }
    }

    fn apply(&mut self, kind: &'static str, cached: Cached) {
        let k = key(cached.reference().namespace.as_deref(), &cached.reference().name);
        let cached = Arc::new(cached);
        if let Some(old) = self.by_kind.entry(kind).or_default().objects.insert(k, Arc::clone(&cached)) {
            self.unlink(&old);
        }
        self.link(&cached);
    }

    fn delete(&mut self, kind: &'static str, namespace: Option<&str>, name: &str) {
        if let Some(old) = self.by_kind.entry(kind).or_default().objects.remove(&key(namespace, name)) {
            self.unlink(&old);
        }
    }

    fn replace_all(&mut self, kind: &'static str, objects: HashMap<String, Arc<Cached>>) {
        let old = std::mem::replace(&mut self.by_kind.entry(kind).or_default().objects, objects);
        for cached in old.values() {
            self.unlink(cached);
        }
        let new: Vec<Arc<Cached>> = self.by_kind[kind].objects.values().cloned().collect();
        for cached in &new {
            self.link(cached);
        }
    }

    fn lookup(&self, key: &ObjectKey) -> Option<&Arc<Cached>> {
        self.by_kind.get(key.kind.as_str())?.get(key.namespace.as_deref(), &key.name)
    }
}

impl ClusterView for Stores {
    fn get(&self, key: &ObjectKey) -> Option<Arc<SharedObject>> {
        self.lookup(key).map(|c| Arc::clone(&c.object))
    }

    fn default_classes(&self) -> Vec<Arc<SharedObject>> {
        let classes = self.kind("StorageClass").into_iter().flat_map(Store::all);
        classes.filter(|c| c.default_class).map(|c| Arc::clone(&c.object)).collect()
    }

    fn context(&self) -> Vec<Arc<SharedObject>> {
        CONTEXT_KINDS
            .iter()
            .filter_map(|kind| self.kind(kind))
            .flat_map(Store::all)
            .map(|c| Arc::clone(&c.object))
            .collect()
    }

    fn referrers(&self, reference: &Reference) -> Vec<Arc<SharedObject>> {
        let keys = self.referrers.get(reference).into_iter().flatten();
        keys.filter_map(|k| self.lookup(k)).map(|c| Arc::clone(&c.object)).collect()
    }

    /// What the cache holds. Workloads are not watched (admission judges them as they arrive),
    /// so classes and snapshot classes are judged as lint judges a bundle of the watched kinds:
    /// a platform bundle, where every class matters whatever uses it later.
    fn shape(&self) -> InputShape {
        let claims = self.kind("PersistentVolumeClaim").is_some_and(|s| !s.is_empty());
        InputShape { workloads: false, claims }
    }

    fn of_kind(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<SharedObject>> {
        let all = self.kind(kind).into_iter().flat_map(Store::all);
        let in_namespace =
            |c: &&Arc<Cached>| namespace.is_none() || c.reference().namespace.as_deref() == namespace;
        all.filter(in_namespace).map(|c| Arc::clone(&c.object)).collect()
    }
}

/// The cache shared by the watchers and the request handlers.
#[derive(Debug)]
pub struct Cache {
    stores: RwLock<Stores>,
    /// The catalog references are worked out with (operators' storage fields).
    catalog: Arc<Catalog>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache { stores: RwLock::default(), catalog: Catalog::builtin() }
    }
}

impl Cache {
    /// An empty, unsynced cache over the built-in catalog.
    pub fn new() -> Cache {
        Cache::default()
    }

    /// An empty, unsynced cache whose objects' references are worked out with `catalog`.
    pub fn with_catalog(catalog: Arc<Catalog>) -> Cache {
        Cache { stores: RwLock::default(), catalog }
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
            s.replace_all(kind, HashMap::new());
            s.by_kind.entry(kind).or_default().synced = true;
        });
    }

    /// Applies one watch event of a kind; returns the store's size.
    pub fn handle(&self, watched: &Watched, mut event: Event<DynamicObject>) -> usize {
        // managedFields is most of a typical object and never read: not kept in the tree.
        if let Event::Apply(o) | Event::InitApply(o) = &mut event {
            o.metadata.managed_fields = None;
        }
        let parse = |object: &DynamicObject| {
            serde_json::to_string(object)
                .ok()
                .and_then(|text| Cached::from_json(text, watched, &self.catalog))
        };
        // Parse outside the lock: a big initial list must not stall admissions.
        let parsed = match &event {
            Event::Apply(o) | Event::InitApply(o) => parse(o),
            _ => None,
        };
        self.write(|stores| {
            let kind = watched.kind;
            match event {
                Event::Init => stores.by_kind.entry(kind).or_default().pending = Some(HashMap::new()),
                Event::InitApply(_) => {
                    let store = stores.by_kind.entry(kind).or_default();
                    if let (Some(pending), Some(c)) = (store.pending.as_mut(), parsed) {
                        let k = key(c.reference().namespace.as_deref(), &c.reference().name);
                        pending.insert(k, Arc::new(c));
                    }
                }
                Event::InitDone => {
                    if let Some(pending) = stores.by_kind.entry(kind).or_default().pending.take() {
                        stores.replace_all(kind, pending);
                    }
                    stores.by_kind.entry(kind).or_default().synced = true;
                }
                Event::Apply(_) => {
                    if let Some(c) = parsed {
                        stores.apply(kind, c);
                    }
                }
                Event::Delete(o) => {
                    let name = o.metadata.name.clone().unwrap_or_default();
                    stores.delete(
                        kind,
                        o.metadata.namespace.as_deref().filter(|_| watched.namespaced),
                        &name,
                    );
                }
            }
            stores.by_kind.get(kind).map_or(0, Store::len)
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
            let text = cached.object.tree.source_text();
            assert!(!text.contains("managedFields") && !text.contains("kubectl-client-side-apply"), "{text}");
        });
    }

    #[test]
    fn referrers_follow_updates_and_deletes() {
        let claim = |class: &str| -> DynamicObject {
            serde_json::from_value(serde_json::json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": "db"},
                "spec": {"storageClassName": class, "accessModes": ["ReadWriteOnce"]}
            }))
            .unwrap()
        };
        let cache = Cache::new();
        let gp3 = Reference::Object(ObjectKey::new("StorageClass", None, "gp3"));
        let io2 = Reference::Object(ObjectKey::new("StorageClass", None, "io2"));
        cache.handle(pvc_kind(), Event::Apply(claim("gp3")));
        cache.read(|s| assert_eq!(s.referrers(&gp3).len(), 1));
        cache.handle(pvc_kind(), Event::Apply(claim("io2")));
        cache.read(|s| {
            assert!(s.referrers(&gp3).is_empty(), "the old reference is dropped");
            assert_eq!(s.referrers(&io2)[0].reference.name, "data");
        });
        cache.handle(pvc_kind(), Event::Delete(claim("io2")));
        cache.read(|s| assert!(s.referrers(&io2).is_empty()));
    }

    #[test]
    fn the_cluster_shape_and_kind_lists_follow_the_watched_claims() {
        let claim = |namespace: &str, name: &str| -> DynamicObject {
            serde_json::from_value(serde_json::json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"accessModes": ["ReadWriteOnce"]}
            }))
            .unwrap()
        };
        let cache = Cache::new();
        cache.read(|s| {
            assert_eq!(s.shape(), InputShape { workloads: false, claims: false });
            assert!(s.of_kind("PersistentVolumeClaim", None).is_empty());
        });
        cache.handle(pvc_kind(), Event::Apply(claim("db", "data")));
        cache.handle(pvc_kind(), Event::Apply(claim("web", "data")));
        cache.read(|s| {
            assert!(s.shape().claims);
            assert_eq!(s.of_kind("PersistentVolumeClaim", None).len(), 2);
            let db = s.of_kind("PersistentVolumeClaim", Some("db"));
            assert_eq!(db.len(), 1);
            assert_eq!(db[0].reference.namespace.as_deref(), Some("db"));
            assert!(s.of_kind("StatefulSet", Some("db")).is_empty(), "workloads are not watched");
        });
    }
}
