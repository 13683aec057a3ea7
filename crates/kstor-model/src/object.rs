//! Loaded Kubernetes objects: their identity, metadata and span-preserving tree.

use std::fmt;

use serde::Serialize;

use crate::source::SourceId;
use std::sync::Arc;

use crate::yaml::{Node, Tree};

/// Index of an object in its [`crate::Workspace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectId(pub u32);

/// What identifies an object to a user: apiVersion, kind, namespace and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    /// `apiVersion`, e.g. `apps/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`, e.g. `StatefulSet`.
    pub kind: String,
    /// `metadata.namespace` when set in the manifest.
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName` followed by `*`).
    pub name: String,
}

impl ObjectRef {
    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    /// The API version without group (`v1`).
    pub fn version(&self) -> &str {
        self.api_version.rsplit('/').next().unwrap_or("")
    }

    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects: how findings on
    /// objects without a file (read from a cluster) name their place.
    pub fn slug(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

impl fmt::Display for ObjectRef {
    /// `kind namespace/name`, or `kind name` when the manifest sets no namespace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Where an object came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The source file, or `None` for objects read from an API server.
    pub source: Option<SourceId>,
    /// 0-based document index in the source.
    pub document: usize,
    /// Index inside a `List` document's `items`, when the object was one.
    pub item: Option<usize>,
}

/// One Kubernetes object as loaded.
#[derive(Debug)]
pub struct Object {
    /// Its index in the workspace.
    pub id: ObjectId,
    /// Where it was loaded from.
    pub origin: Origin,
    /// apiVersion, kind, namespace and name.
    pub reference: ObjectRef,
    /// The tree the object lives in (shared by every object of its source).
    pub tree: Arc<Tree>,
    /// The index of the object's root node in `tree`.
    pub root_index: u32,
}

impl Object {
    /// Builds an object from a mapping node that has string `apiVersion` and `kind`.
    pub fn new(id: ObjectId, origin: Origin, tree: Arc<Tree>, root_index: u32) -> Self {
        let root = tree.node(root_index);
        let metadata = root.get("metadata");
        let name = metadata
            .and_then(|m| m.get_str("name"))
            .map(str::to_string)
            .or_else(|| metadata.and_then(|m| m.get_str("generateName")).map(|g| format!("{g}*")))
            .unwrap_or_default();
        let reference = ObjectRef {
            api_version: root.get_str("apiVersion").unwrap_or_default().to_string(),
            kind: root.get_str("kind").unwrap_or_default().to_string(),
            namespace: metadata.and_then(|m| m.get_str("namespace")).map(str::to_string),
            name,
        };
        Object { id, origin, reference, tree, root_index }
    }

    /// The object's root node.
    pub fn root(&self) -> Node<'_> {
        self.tree.node(self.root_index)
    }

    /// A `metadata.labels` value (string values only).
    pub fn label(&self, key: &str) -> Option<&str> {
        self.root().get("metadata")?.get("labels")?.get_str(key)
    }

    /// A `metadata.annotations` value (string values only).
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root().get("metadata")?.get("annotations")?.get_str(key)
    }

    /// The namespace objects without one are matched in (`default`).
    pub fn effective_namespace(&self) -> &str {
        self.reference.namespace.as_deref().unwrap_or("default")
    }
}
