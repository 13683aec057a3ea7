//! Loading a cluster's objects: the JSON documents `kubectl get … -o json` prints (a `kind: List`
//! with typed items, or one object) and the lists `kstor-live` reads from an API server.
//!
//! Live and dumped objects go through the same function, so `kstor audit` and
//! `kstor audit --from dump.json` see the same workspace: objects are keyed by
//! `(namespace, kind, name, group)`, sorted by that key and deduplicated (a dump of several
//! `kubectl get` runs may repeat an object), and carry no source file — findings on them point
//! at `Kind/namespace/name`.
//!
//! Documents are parsed in two steps: the envelope once (which validates the whole text, borrows
//! each item and locates a syntax error at its line and column), then every item on its own, in
//! parallel, straight into a tree whose strings are slices of the document (see
//! [`crate::yaml::tree_from_json_slice`]).

use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::load::Workspace;
use crate::object::{Object, ObjectId, Origin};
use crate::yaml::{SharedText, tree_from_json_slice};

/// A cluster document that cannot be read: not JSON, or not Kubernetes objects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{line}:{column}: {message}")]
pub struct ClusterError {
    /// The document's name (the file, or `GET persistentvolumes` for a live list).
    pub name: String,
    /// 1-based line of the problem (0 when not known).
    pub line: usize,
    /// 1-based column of the problem (0 when not known).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// What to keep of a cluster's objects.
#[derive(Clone, Debug, Default)]
pub struct ClusterScope {
    /// Namespaces whose namespaced objects are kept; empty keeps all. Cluster-scoped objects
    /// (no `metadata.namespace`) are always kept.
    pub namespaces: Vec<String>,
}

impl ClusterScope {
    fn keeps(&self, namespace: Option<&str>) -> bool {
        match namespace {
            None => true,
            Some(ns) => self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == ns),
        }
    }
}

/// What the envelope of a document holds; only the fields needed to split it are read.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default, borrow)]
    items: Option<Vec<&'a RawValue>>,
}

/// Counts of what [`load_cluster`] did not keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterLoadStats {
    /// Items that are not Kubernetes objects (not a mapping, or no kind / name).
    pub skipped: usize,
    /// Objects that appeared more than once (same kind, namespace and name).
    pub duplicates: usize,
    /// Namespaced objects outside the scope's namespaces.
    pub out_of_scope: usize,
}

/// Reads cluster documents `(name, text)` into a workspace of API objects (no sources).
///
/// Errors when a document is not JSON (with its line and column) or is neither an object nor
/// a list; items that are not Kubernetes objects are skipped and counted.
pub fn load_cluster(
    documents: Vec<(String, String)>,
    scope: &ClusterScope,
) -> Result<(Workspace, ClusterLoadStats), ClusterError> {
    // The trees' strings are slices of these texts, which live as long as the trees.
    let documents: Vec<(String, SharedText)> =
        documents.into_iter().map(|(name, text)| (name, SharedText::from(Arc::new(text)))).collect();
    let split: Vec<Result<Vec<Item<'_>>, ClusterError>> =
        documents.par_iter().map(|(name, text)| split_document(name, text)).collect();
    let mut items: Vec<Item<'_>> = Vec::new();
    for document_items in split {
        items.extend(document_items?);
    }
    let decoded: Vec<Decoded> = items.par_iter().map(|item| decode(item, scope)).collect();
    drop(items);
    let mut stats = ClusterLoadStats::default();
    let mut objects: Vec<Object> = Vec::with_capacity(decoded.len());
    for entry in decoded {
        match entry {
            Decoded::Keep(object) => objects.push(object),
            Decoded::OutOfScope => stats.out_of_scope += 1,
            Decoded::Skip => stats.skipped += 1,
            Decoded::Invalid(error) => return Err(error),
        }
    }
    // Namespace (cluster-scoped first), kind, name, API group. Stable: of repeated objects the
    // first one read is kept.
    objects.par_sort_by(|a, b| identity(a).cmp(&identity(b)));
    let before = objects.len();
    objects.dedup_by(|later, earlier| identity(later) == identity(earlier));
    stats.duplicates = before - objects.len();
    for (index, object) in objects.iter_mut().enumerate() {
        object.id = ObjectId(index as u32);
    }
    let workspace = Workspace { objects, ..Workspace::default() };
    Ok((workspace, stats))
}

/// What makes an object unique in a cluster, in the order objects are sorted by.
fn identity(object: &Object) -> (Option<&str>, &str, &str, &str) {
    let r = &object.reference;
    (r.namespace.as_deref(), &r.kind, &r.name, r.group())
}

/// One item of a document, with the type its list implies (API lists omit it in items).
struct Item<'a> {
    name: &'a str,
    source: &'a SharedText,
    json: &'a str,
    api_version: Option<Arc<str>>,
    kind: Option<Arc<str>>,
}

impl Item<'_> {
    /// An error of parsing this item, positioned in the whole document.
    fn error_at(&self, error: &serde_json::Error) -> ClusterError {
        let offset = self.json.as_ptr() as usize - self.source.as_ptr() as usize;
        let (line, column) = line_column(self.source, offset);
        let (line, column) = if error.line() <= 1 {
            (line, column + error.column().saturating_sub(1))
        } else {
            (line + error.line() - 1, error.column())
        };
        ClusterError {
            name: self.name.to_string(),
            line,
            column,
            message: strip_position(&error.to_string()),
        }
    }
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, offset - line_start + 1)
}

enum Decoded {
    /// An object (its id is assigned once all are sorted).
    Keep(Object),
    /// The item is JSON but cannot be built (nesting beyond the recursion limit).
    Invalid(ClusterError),
    OutOfScope,
    Skip,
}

fn split_document<'a>(name: &'a str, text: &'a SharedText) -> Result<Vec<Item<'a>>, ClusterError> {
    let located = |e: serde_json::Error| ClusterError {
        name: name.to_string(),
        line: e.line(),
        column: e.column(),
        message: match e.classify() {
            serde_json::error::Category::Eof => "the JSON ends early (truncated?)".to_string(),
            _ => strip_position(&e.to_string()),
        },
    };
    if let Err(message) = crate::yaml::check_text_size(text.len()) {
        return Err(ClusterError { name: name.to_string(), line: 0, column: 0, message });
    }
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if !trimmed.starts_with('{') {
        let (line, column) = line_column(text, text.len() - trimmed.len());
        let message = if trimmed.starts_with('[') {
            "expected a Kubernetes object or List (`kubectl get … -o json`), found a JSON array"
        } else {
            "not JSON: a dump is what `kubectl get … -o json` prints (for YAML manifests use `kstor lint`)"
        };
        return Err(ClusterError { name: name.to_string(), line, column, message: message.into() });
    }
    // One pass over the text: it validates the JSON and borrows each item.
    let envelope: Envelope<'a> = match serde_json::from_str(text) {
        Ok(envelope) => envelope,
        // Valid JSON whose `kind` or `items` is not what a list has: one object of its own.
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            serde_json::from_str::<&RawValue>(text).map_err(located)?;
            Envelope { kind: None, api_version: None, items: None }
        }
        Err(e) => return Err(located(e)),
    };
    match (envelope.kind.as_deref(), envelope.items) {
        (Some(kind), Some(items)) if kind.ends_with("List") => {
            // `kubectl get` prints `kind: List` with typed items; the API server a typed list
            // (`PersistentVolumeList`) whose items carry no type.
            let item_kind: Option<Arc<str>> =
                kind.strip_suffix("List").filter(|k| !k.is_empty()).map(Arc::from);
            let api_version: Option<Arc<str>> =
                item_kind.as_ref().and(envelope.api_version.as_deref()).map(Arc::from);
            Ok(items
                .into_iter()
                .map(|json| Item {
                    name,
                    source: text,
                    json: json.get(),
                    api_version: api_version.clone(),
                    kind: item_kind.clone(),
                })
                .collect())
        }
        _ => Ok(vec![Item { name, source: text, json: trimmed.trim_end(), api_version: None, kind: None }]),
    }
}

/// serde_json's messages end in "at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn decode(item: &Item<'_>, scope: &ClusterScope) -> Decoded {
    let mut defaults: Vec<(&str, &str)> = Vec::with_capacity(2);
    if let Some(version) = &item.api_version {
        defaults.push(("apiVersion", version));
    }
    if let Some(kind) = &item.kind {
        defaults.push(("kind", kind));
    }
    // The envelope already validated the syntax; what is left is the recursion limit.
    let (tree, root) = match tree_from_json_slice(item.source, item.json, &defaults) {
        Ok(built) => built,
        Err(e) => return Decoded::Invalid(item.error_at(&e)),
    };
    let has_name =
        tree.node(root).get("metadata").and_then(|m| m.get_str("name")).is_some_and(|n| !n.is_empty());
    let object =
        Object::new(ObjectId(0), Origin { source: None, document: 0, item: None }, Arc::new(tree), root);
    let r = &object.reference;
    if r.kind.is_empty() || r.api_version.is_empty() || !has_name {
        return Decoded::Skip;
    }
    if !scope.keeps(r.namespace.as_deref()) {
        return Decoded::OutOfScope;
    }
    Decoded::Keep(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, namespaces: &[&str]) -> Result<(Workspace, ClusterLoadStats), ClusterError> {
        let scope = ClusterScope { namespaces: namespaces.iter().map(|s| s.to_string()).collect() };
        load_cluster(vec![("dump.json".to_string(), text.to_string())], &scope)
    }

    fn refs(ws: &Workspace) -> Vec<String> {
        ws.objects.iter().map(|o| o.reference.slug()).collect()
    }

    #[test]
    fn typed_api_lists_get_their_item_types_and_everything_is_sorted() {
        let text = r#"{"apiVersion":"v1","kind":"PersistentVolumeClaimList","metadata":{},"items":[
            {"metadata":{"name":"b","namespace":"z"}},
            {"metadata":{"name":"a","namespace":"a"}}]}"#;
        let (ws, stats) = load(text, &[]).unwrap();
        assert_eq!(refs(&ws), ["PersistentVolumeClaim/a/a", "PersistentVolumeClaim/z/b"]);
        assert_eq!(ws.objects[0].reference.api_version, "v1");
        assert!(ws.sources.is_empty(), "cluster objects have no source file");
        assert_eq!(stats, ClusterLoadStats::default());
    }

    #[test]
    fn a_single_object_even_with_odd_items_is_one_object() {
        let text =
            r#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"items":"not a list"}"#;
        let (ws, _) = load(text, &[]).unwrap();
        assert_eq!(refs(&ws), ["Widget/w"]);
        let (ws, _) =
            load(r#"  {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv"}}  "#, &[])
                .unwrap();
        assert_eq!(refs(&ws), ["PersistentVolume/pv"]);
    }

    #[test]
    fn kubectl_lists_dedup_and_scope() {
        let pvc = r#"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data","namespace":"db"}}"#;
        let other =
            r#"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"x","namespace":"web"}}"#;
        let pv = r#"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-1"}}"#;
        let text = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{pvc},{other},{pv},{pvc},7]}}"#);
        let (ws, stats) = load(&text, &["db"]).unwrap();
        assert_eq!(refs(&ws), ["PersistentVolume/pv-1", "PersistentVolumeClaim/db/data"]);
        assert_eq!(stats, ClusterLoadStats { skipped: 1, duplicates: 1, out_of_scope: 1 });
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = load("{\"kind\": \"List\",\n  \"items\": [ {\"a\": } ]}", &[]).unwrap_err();
        assert_eq!((err.line, err.column), (2, 20), "{err}");
        assert!(err.to_string().starts_with("dump.json:2:20: "), "{err}");
        let err = load("{\"kind\": \"List\", \"items\": [", &[]).unwrap_err();
        assert!(err.message.contains("ends early"), "{err}");
        let err = load("[1, 2]", &[]).unwrap_err();
        assert!(err.message.contains("Kubernetes object or List"), "{err}");
        let err = load("\napiVersion: v1\nkind: List\n", &[]).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("kubectl get … -o json"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text =
            format!("{{\"kind\": \"List\",\n \"items\": [\n  {{\"kind\": \"Pod\", \"spec\": {deep}}}]}}");
        let err = load(&text, &[]).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{err}");
        // On the item's line, in the run of brackets (which starts at column 27) about 128 deep.
        assert_eq!(err.line, 3, "{err}");
        assert!((27 + 120..27 + 136).contains(&err.column), "{err}");
    }
}
