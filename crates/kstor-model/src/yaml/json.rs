//! Building a [`Tree`] straight from JSON text, for the large documents `kstor audit` reads
//! (a `kubectl get -A -o json` of a big cluster is hundreds of megabytes).
//!
//! No intermediate `serde_json::Value`: the deserializer's borrowed strings become
//! [`Kind::SourceStr`] slices of the shared source text (escaped strings go to the pool), and
//! subtrees no rule reads — and that dominate real objects — are skipped without building
//! anything: `metadata.managedFields`, the `kubectl.kubernetes.io/last-applied-configuration`
//! annotation, a node's `status.images` and `status.nodeInfo`, and a pod's container
//! statuses. serde_json's recursion limit (128) bounds the nesting.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::check_text_size;
use super::node::{Kind, Raw, SharedText, Tree, split};
use crate::source::Span;

/// Fields skipped: `(path of the map from the object's root, key)`.
pub const PRUNED: &[(&[&str], &str)] = &[
    (&["metadata"], "managedFields"),
    (&["metadata", "annotations"], "kubectl.kubernetes.io/last-applied-configuration"),
    (&["status"], "images"),
    (&["status"], "nodeInfo"),
    (&["status"], "containerStatuses"),
    (&["status"], "initContainerStatuses"),
    (&["status"], "ephemeralContainerStatuses"),
];

/// How deep the key path is tracked: the longest map path in [`PRUNED`].
const TRACKED_DEPTH: usize = 2;

/// Parses one JSON value that is a slice of `source` into a tree over `source`. When the
/// value is a mapping, `defaults` are appended for the keys it lacks (API list items carry no
/// `apiVersion` and `kind`; their list names them). A source of 4 GiB or more is refused: its
/// offsets would not fit the tree's 32-bit positions.
pub fn tree_from_json_slice(
    source: &SharedText,
    json: &str,
    defaults: &[(&str, &str)],
) -> Result<(Tree, u32), serde_json::Error> {
    check_text_size(source.len()).map_err(<serde_json::Error as serde::de::Error>::custom)?;
    let mut tree = Tree::new(source.clone());
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let mut path: Vec<&str> = Vec::new();
    let mut root =
        Builder { tree: &mut tree, path: &mut path, tracking: true }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    if let Some(map) = tree.node(root).as_map() {
        let missing: Vec<&(&str, &str)> =
            defaults.iter().filter(|(key, _)| map.entry(key).is_none()).collect();
        if !missing.is_empty() {
            let raw = tree.nodes[root as usize];
            let mut children: Vec<u32> = tree.children[raw.a as usize..(raw.a + 2 * raw.b) as usize].to_vec();
            for (key, value) in missing {
                children.push(tree.push_str(Span::NONE, key));
                children.push(tree.push_str(Span::NONE, value));
            }
            root = tree.collection(Kind::Map, Span::NONE, &children, children.len() / 2);
        }
    }
    tree.finish();
    Ok((tree, root))
}

struct Builder<'t, 'p, 'de> {
    tree: &'t mut Tree,
    /// Keys from the root to the value being built, while `tracking`.
    path: &'p mut Vec<&'de str>,
    /// Whether `path` is this value's path: only through maps, and only as deep as
    /// [`PRUNED`] needs.
    tracking: bool,
}

impl Builder<'_, '_, '_> {
    fn scalar(&mut self, kind: Kind, bits: u64) -> u32 {
        let (a, b) = split(bits);
        self.tree.push(Raw { start: 0, end: 0, a, b, kind })
    }
}

impl<'de> DeserializeSeed<'de> for Builder<'_, '_, 'de> {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Builder<'_, '_, 'de> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(mut self) -> Result<u32, E> {
        Ok(self.scalar(Kind::Null, 0))
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<u32, E> {
        Ok(self.scalar(if v { Kind::True } else { Kind::False }, 0))
    }

    fn visit_i64<E>(mut self, v: i64) -> Result<u32, E> {
        Ok(self.scalar(Kind::Int, v as u64))
    }

    fn visit_u64<E>(mut self, v: u64) -> Result<u32, E> {
        match i64::try_from(v) {
            Ok(i) => Ok(self.scalar(Kind::Int, i as u64)),
            Err(_) => Ok(self.scalar(Kind::Float, (v as f64).to_bits())),
        }
    }

    fn visit_f64<E>(mut self, v: f64) -> Result<u32, E> {
        Ok(self.scalar(Kind::Float, v.to_bits()))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<u32, E> {
        Ok(self.tree.push_str(Span::NONE, v))
    }

    fn visit_str<E>(self, v: &str) -> Result<u32, E> {
        Ok(self.tree.push_str(Span::NONE, v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mut children = Vec::new();
        // Inside a list the key path no longer applies.
        while let Some(child) =
            seq.next_element_seed(Builder { tree: self.tree, path: self.path, tracking: false })?
        {
            children.push(child);
        }
        Ok(self.tree.collection(Kind::Seq, Span::NONE, &children, children.len()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        let mut children = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if self.pruned(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // A borrowed key stays a slice of the source.
            let key_node = self.tree.push_str(Span::NONE, &key);
            let tracked = self.tracking && self.path.len() < TRACKED_DEPTH;
            if tracked {
                self.path.push(match key {
                    Cow::Borrowed(k) => k,
                    Cow::Owned(_) => "",
                });
            }
            let value = map.next_value_seed(Builder { tree: self.tree, path: self.path, tracking: tracked });
            if tracked {
                self.path.pop();
            }
            children.push(key_node);
            children.push(value?);
        }
        let len = children.len() / 2;
        Ok(self.tree.collection(Kind::Map, Span::NONE, &children, len))
    }
}

impl Builder<'_, '_, '_> {
    fn pruned(&self, key: &str) -> bool {
        self.tracking
            && PRUNED.iter().any(|(parent, pruned)| *pruned == key && *parent == self.path.as_slice())
    }
}

/// Reads a map key, borrowed from the source unless it had escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn build(json: &str) -> (Tree, u32) {
        let source = SharedText::from(Arc::new(json.to_string()));
        // A slice of the shared source, as for the items of a dump.
        tree_from_json_slice(&source, &source, &[]).unwrap()
    }

    #[test]
    fn builds_the_json_value_with_strings_borrowed() {
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a\u00e9","labels":{"x":"1"}},
            "spec":{"replicas":-3,"ratio":0.5,"flags":[true,false,null],"empty":{}}}"#;
        let (tree, root) = build(json);
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(tree.node(root).to_json(), value);
        assert_eq!(tree.node(root).get("metadata").unwrap().get_str("name"), Some("aé"));
        assert_eq!(tree.pool, "aé", "only the escaped string is copied; the rest are slices of the source");
        // An integer above i64::MAX is kept as a float.
        let (tree, root) = build(r#"{"big":18446744073709551615}"#);
        assert_eq!(tree.node(root).to_json()["big"], serde_json::json!(18446744073709551615.0));
    }

    #[test]
    fn every_pruned_path_is_tracked() {
        assert!(PRUNED.iter().all(|(parent, _)| parent.len() <= TRACKED_DEPTH));
    }

    #[test]
    fn prunes_fields_no_rule_reads() {
        let json = r#"{"kind":"Node","metadata":{"name":"n","managedFields":[{"manager":"kubelet"}],
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","keep":"yes"}},
            "status":{"images":[{"names":["a"]}],"nodeInfo":{"kubeletVersion":"v1"},"conditions":[]},
            "spec":{"template":{"status":{"images":"not at the top level: kept"}}}}"#;
        let (tree, root) = build(json);
        let node = tree.node(root);
        let metadata = node.get("metadata").unwrap();
        assert!(metadata.get("managedFields").is_none());
        let annotations = metadata.get("annotations").unwrap();
        assert!(annotations.get("kubectl.kubernetes.io/last-applied-configuration").is_none());
        assert_eq!(annotations.get_str("keep"), Some("yes"));
        let status = node.get("status").unwrap();
        assert!(status.get("images").is_none() && status.get("nodeInfo").is_none());
        assert!(status.get("conditions").is_some());
        let nested = node.get("spec").unwrap().get("template").unwrap().get("status").unwrap();
        assert!(nested.get("images").is_some());
    }

    #[test]
    fn defaults_fill_missing_keys_only() {
        let source = SharedText::from(Arc::<str>::from(r#"{"kind":"Pod","metadata":{"name":"p"}}"#));
        let (tree, root) =
            tree_from_json_slice(&source, &source, &[("apiVersion", "v1"), ("kind", "Node")]).unwrap();
        let node = tree.node(root);
        assert_eq!((node.get_str("apiVersion"), node.get_str("kind")), (Some("v1"), Some("Pod")));
        assert_eq!(node.get("metadata").unwrap().get_str("name"), Some("p"));
    }
}
