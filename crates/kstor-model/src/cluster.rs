//! Loading a cluster's objects: the JSON documents `kubectl get … -o json` prints (a `kind: List`
//! with typed items, or one object) and the lists `kstor-live` reads from an API server.
//!
//! Live and dumped objects go through the same function, so `kstor audit` and
//! `kstor audit --from dump.json` see the same workspace: objects are keyed by
//! `(namespace, kind, name, group)`, sorted by that key and deduplicated (a dump of several
//! `kubectl get` runs may repeat an object), and carry no source file — findings on them point
//! at `kind/namespace/name`.
//!
//! Documents are parsed in two steps: the envelope once (which validates the whole text and
//! locates a syntax error at its line and column), then every item on its own, in parallel.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::load::Workspace;
use crate::yaml::Tree;

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

/// The sort key of an object: namespace, kind, name, API group.
type Key = (String, String, String, String);

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
    documents: &[(String, String)],
    scope: &ClusterScope,
) -> Result<(Workspace, ClusterLoadStats), ClusterError> {
    let split: Vec<Result<Vec<Item>, ClusterError>> =
        documents.par_iter().map(|(name, text)| split_document(name, text)).collect();
    let mut raw: Vec<Item> = Vec::new();
    for items in split {
        raw.extend(items?);
    }
    let mut stats = ClusterLoadStats::default();
    let decoded: Vec<Option<Decoded>> = raw.par_iter().map(|item| decode(item, scope)).collect();
    drop(raw);
    let mut objects: Vec<(Key, Value)> = Vec::with_capacity(decoded.len());
    for entry in decoded {
        match entry {
            Some(Decoded::Keep(key, value)) => objects.push((key, value)),
            Some(Decoded::OutOfScope) => stats.out_of_scope += 1,
            Some(Decoded::Skip) | None => stats.skipped += 1,
        }
    }
    // Stable: of repeated objects the first one read is kept.
    objects.par_sort_by(|a, b| a.0.cmp(&b.0));
    let before = objects.len();
    objects.dedup_by(|later, earlier| later.0 == earlier.0);
    stats.duplicates = before - objects.len();

    let trees: Vec<(Tree, u32)> = objects.into_par_iter().map(|(_, value)| Tree::from_json(&value)).collect();
    let mut workspace = Workspace::default();
    for (tree, root) in trees {
        workspace.add_api_tree(Arc::new(tree), root);
    }
    Ok((workspace, stats))
}

/// One item of a document, with the type its list implies (API lists omit it in items).
struct Item<'a> {
    json: &'a RawValue,
    default_api_version: Option<Arc<str>>,
    default_kind: Option<Arc<str>>,
}

enum Decoded {
    Keep(Key, Value),
    OutOfScope,
    Skip,
}

fn split_document<'a>(name: &str, text: &'a str) -> Result<Vec<Item<'a>>, ClusterError> {
    let located = |e: serde_json::Error| ClusterError {
        name: name.to_string(),
        line: e.line(),
        column: e.column(),
        message: match e.classify() {
            serde_json::error::Category::Eof => "the JSON ends early (truncated?)".to_string(),
            _ => strip_position(&e.to_string()),
        },
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let whole: &RawValue = serde_json::from_str(text).map_err(located)?;
    if !whole.get().starts_with('{') {
        return Err(ClusterError {
            name: name.to_string(),
            line: 1,
            column: 1,
            message: "expected a Kubernetes object or List (`kubectl get … -o json`), found a JSON value of another type".into(),
        });
    }
    let envelope: Envelope<'a> = serde_json::from_str(whole.get()).map_err(located)?;
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
                    json,
                    default_api_version: api_version.clone(),
                    default_kind: item_kind.clone(),
                })
                .collect())
        }
        _ => Ok(vec![Item { json: whole, default_api_version: None, default_kind: None }]),
    }
}

/// serde_json's messages end in "at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn decode(item: &Item<'_>, scope: &ClusterScope) -> Option<Decoded> {
    let mut value: Value = serde_json::from_str(item.json.get()).ok()?;
    let map = value.as_object_mut()?;
    if !map.contains_key("kind")
        && let Some(kind) = &item.default_kind
    {
        map.insert("kind".into(), Value::String(kind.to_string()));
    }
    if !map.contains_key("apiVersion")
        && let Some(version) = &item.default_api_version
    {
        map.insert("apiVersion".into(), Value::String(version.to_string()));
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(kind), Some(api_version)) = (text(map.get("kind")), text(map.get("apiVersion"))) else {
        return Some(Decoded::Skip);
    };
    let metadata = map.get("metadata");
    let Some(name) = text(metadata.and_then(|m| m.get("name"))) else {
        return Some(Decoded::Skip);
    };
    let namespace = text(metadata.and_then(|m| m.get("namespace")));
    if !scope.keeps(namespace.as_deref()) {
        return Some(Decoded::OutOfScope);
    }
    let group = api_version.rsplit_once('/').map(|(g, _)| g.to_string()).unwrap_or_default();
    Some(Decoded::Keep((namespace.unwrap_or_default(), kind, name, group), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, namespaces: &[&str]) -> Result<(Workspace, ClusterLoadStats), ClusterError> {
        let scope = ClusterScope { namespaces: namespaces.iter().map(|s| s.to_string()).collect() };
        load_cluster(&[("dump.json".to_string(), text.to_string())], &scope)
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
        assert_eq!((err.line, err.column), (2, 19), "{err}");
        assert!(err.to_string().starts_with("dump.json:2:19: "), "{err}");
        let err = load("{\"kind\": \"List\", \"items\": [", &[]).unwrap_err();
        assert!(err.message.contains("ends early"), "{err}");
        let err = load("[1, 2]", &[]).unwrap_err();
        assert!(err.message.contains("Kubernetes object or List"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = load(&text, &[]).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{err}");
    }
}
