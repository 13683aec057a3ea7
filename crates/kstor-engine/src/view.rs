//! A [`ClusterView`] over loaded objects: a bundle of manifests or a dump, as the cluster
//! admission would see (tests, and front ends that judge objects one by one).

use std::collections::HashMap;
use std::sync::Arc;

use kstor_model::graph::{InputShape, ObjectKey, Reference, StorageGraph, is_default_storage_class};
use kstor_model::object::ObjectId;

use crate::admit::{CONTEXT_KINDS, ClusterView, SharedObject};

/// Objects indexed by key, with the referrers of each; the first of several objects with one
/// key is kept (a cluster holds one).
#[derive(Debug, Default)]
pub struct BundleView {
    objects: HashMap<ObjectKey, Arc<SharedObject>>,
    referrers: HashMap<Reference, Vec<Arc<SharedObject>>>,
    defaults: Vec<Arc<SharedObject>>,
    context: Vec<Arc<SharedObject>>,
    duplicates: Vec<ObjectKey>,
    shape: InputShape,
    by_kind: HashMap<String, Vec<Arc<SharedObject>>>,
}

impl BundleView {
    /// The view of a graph's objects, without `skip` (the object being admitted, whose
    /// cached version a cluster would replace).
    pub fn of(graph: &StorageGraph, skip: Option<ObjectId>) -> BundleView {
        let mut references: HashMap<ObjectId, Vec<Reference>> = HashMap::new();
        for (object, reference) in graph.references() {
            references.entry(object).or_default().push(reference);
        }
        let mut view = BundleView { shape: graph.shape, ..BundleView::default() };
        for object in &graph.workspace.objects {
            if Some(object.id) == skip {
                continue;
            }
            let shared = Arc::new(SharedObject {
                reference: object.reference.clone(),
                tree: Arc::clone(&object.tree),
                root: object.root_index,
                references: references.remove(&object.id).unwrap_or_default(),
            });
            let key = shared.key();
            if view.objects.contains_key(&key) {
                view.duplicates.push(key);
                continue;
            }
            if is_default_storage_class(object) {
                view.defaults.push(Arc::clone(&shared));
            }
            if CONTEXT_KINDS.contains(&key.kind.as_str()) {
                view.context.push(Arc::clone(&shared));
            }
            for reference in &shared.references {
                view.referrers.entry(reference.clone()).or_default().push(Arc::clone(&shared));
            }
            view.by_kind.entry(key.kind.clone()).or_default().push(Arc::clone(&shared));
            view.objects.insert(key, shared);
        }
        view
    }

    /// Keys held by more than one object (only the first is in the view).
    pub fn duplicates(&self) -> &[ObjectKey] {
        &self.duplicates
    }

    /// How many objects the view holds.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the view holds nothing.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

impl ClusterView for BundleView {
    fn get(&self, key: &ObjectKey) -> Option<Arc<SharedObject>> {
        self.objects.get(key).cloned()
    }

    fn default_classes(&self) -> Vec<Arc<SharedObject>> {
        self.defaults.clone()
    }

    fn context(&self) -> Vec<Arc<SharedObject>> {
        self.context.clone()
    }

    fn referrers(&self, reference: &Reference) -> Vec<Arc<SharedObject>> {
        self.referrers.get(reference).cloned().unwrap_or_default()
    }

    fn shape(&self) -> InputShape {
        self.shape
    }

    fn of_kind(&self, kind: &str, namespace: Option<&str>) -> Vec<Arc<SharedObject>> {
        let all = self.by_kind.get(kind).into_iter().flatten();
        all.filter(|o| namespace.is_none() || o.key().namespace.as_deref() == namespace).cloned().collect()
    }
}
