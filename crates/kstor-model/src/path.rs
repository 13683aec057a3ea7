//! Paths inside an object (`spec.accessModes[1]`) and their resolution to source spans.
//!
//! Rules never compute positions: they name the field with a [`Path`], and the renderer
//! resolves it against the object's span-preserving tree. A path to a field that does not
//! exist resolves to its deepest existing ancestor ("the missing field's parent").

use std::fmt;
use std::sync::Arc;

use crate::source::Span;
use crate::yaml::{Node, Text, Value};

/// One step of a path: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(Text),
    /// A 0-based sequence index.
    Index(usize),
}

/// A path from an object's root to one of its fields.
///
/// Persistent: extending a path shares its prefix (`Arc`), so the many paths the model keeps
/// per workload (every container, mount and volume) cost one small node each.
#[derive(Clone, Default)]
pub struct Path(Option<Arc<Link>>);

struct Link {
    parent: Path,
    segment: Segment,
    len: usize,
}

impl Path {
    /// The object itself.
    pub fn root() -> Self {
        Path(None)
    }

    /// Parses the dotted form used in messages and docs (`spec.volumes[0].emptyDir`).
    /// Keys containing dots cannot be written this way; build those with [`Path::key`].
    pub fn parse(text: &str) -> Self {
        let mut path = Path::root();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (key, indices) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                path.push(Segment::Key(key.into()));
            }
            for index in indices.split('[').filter_map(|s| s.strip_suffix(']')) {
                if let Ok(i) = index.parse() {
                    path.push(Segment::Index(i));
                }
            }
        }
        path
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |link| link.len)
    }

    /// Whether this is the object itself (no segments).
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Whether this is the object itself.
    pub fn is_root(&self) -> bool {
        self.0.is_none()
    }

    /// Appends a segment.
    pub fn push(&mut self, segment: Segment) {
        let parent = std::mem::take(self);
        let len = parent.len() + 1;
        self.0 = Some(Arc::new(Link { parent, segment, len }));
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> Path {
        let mut path = self.clone();
        path.push(Segment::Key(key.into()));
        path
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, index: usize) -> Path {
        let mut path = self.clone();
        path.push(Segment::Index(index));
        path
    }

    /// The path without its last segment (the root's parent is the root).
    #[must_use]
    pub fn parent(&self) -> Path {
        self.0.as_ref().map_or_else(Path::root, |link| link.parent.clone())
    }

    /// This path extended by another (relative) path.
    #[must_use]
    pub fn join(&self, other: &Path) -> Path {
        let mut path = self.clone();
        for segment in other.segments() {
            path.push(segment);
        }
        path
    }

    /// The segments, root first.
    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::with_capacity(self.len());
        let mut current = self;
        while let Some(link) = &current.0 {
            out.push(link.segment.clone());
            current = &link.parent;
        }
        out.reverse();
        out
    }

    /// Resolves the path against an object's tree.
    pub fn resolve(&self, root: Node<'_>) -> Resolved {
        let mut current = root;
        let mut span = Span { start: root.span().start, end: root.span().start };
        let segments = self.segments();
        for (depth, segment) in segments.iter().enumerate() {
            let next = match (segment, current.value()) {
                (Segment::Key(key), Value::Map(map)) => map.entry(key).map(|entry| {
                    let end = match entry.value.value() {
                        Value::Map(_) | Value::Seq(_) => entry.key_span.end,
                        _ => entry.value.span().end.max(entry.key_span.end),
                    };
                    (Span { start: entry.key_span.start, end }, entry.value)
                }),
                (Segment::Index(i), Value::Seq(items)) => items.get(*i).map(|item| (item_span(item), item)),
                _ => None,
            };
            match next {
                Some((s, node)) => {
                    span = s;
                    current = node;
                }
                None => return Resolved { span, matched: depth },
            }
        }
        Resolved { span, matched: segments.len() }
    }

    /// The node the path leads to, if it exists.
    pub fn node<'t>(&self, root: Node<'t>) -> Option<Node<'t>> {
        let mut current = root;
        for segment in &self.segments() {
            current = match (segment, current.value()) {
                (Segment::Key(key), Value::Map(map)) => map.get(key)?,
                (Segment::Index(i), Value::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

/// A sequence item's span; for a mapping item, its `name` entry (Kubernetes lists are keyed
/// by name) or else its first entry.
fn item_span(item: Node<'_>) -> Span {
    match item.value() {
        Value::Map(map) => match map.entry("name").or(map.first()) {
            Some(first) => {
                let end = match first.value.value() {
                    Value::Map(_) | Value::Seq(_) => first.key_span.end,
                    _ => first.value.span().end,
                };
                Span { start: first.key_span.start, end: end.max(first.key_span.start) }
            }
            None => item.span(),
        },
        _ => item.span(),
    }
}

/// The result of resolving a [`Path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The span of the field, or of its deepest existing ancestor.
    pub span: Span,
    /// How many segments matched; equal to the path length when the field exists.
    pub matched: usize,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for segment in &self.segments() {
            match segment {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if k.contains('.') {
                        write!(f, "\"{k}\"")?;
                    } else {
                        f.write_str(k)?;
                    }
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({self})")
    }
}

impl PartialEq for Path {
    fn eq(&self, other: &Path) -> bool {
        self.len() == other.len() && self.segments() == other.segments()
    }
}

impl Eq for Path {}

impl std::hash::Hash for Path {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.segments().hash(state);
    }
}

impl PartialOrd for Path {
    fn partial_cmp(&self, other: &Path) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Path {
    fn cmp(&self, other: &Path) -> std::cmp::Ordering {
        self.segments().cmp(&other.segments())
    }
}

impl serde::Serialize for Path {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse_stream};

    const TEXT: &str = "spec:\n  accessModes:\n    - ReadWriteOnce\n    - ReadWriteMany\n  volumes:\n    - name: a\n      emptyDir: {}\n";

    fn slice(span: Span) -> &'static str {
        &TEXT[span.start as usize..span.end as usize]
    }

    #[test]
    fn parse_and_display_round_trip() {
        let p = Path::parse("spec.template.spec.volumes[2].emptyDir");
        assert_eq!(p.to_string(), "spec.template.spec.volumes[2].emptyDir");
        assert_eq!(p.segments().len(), 6);
        assert_eq!(Path::root().key("metadata").key("a.b/c").to_string(), "metadata.\"a.b/c\"");
        assert_eq!(p.parent().to_string(), "spec.template.spec.volumes[2]");
        assert_eq!(Path::parse("spec").parent(), Path::root());
        assert_eq!(Path::root().parent(), Path::root());
    }

    #[test]
    fn resolves_items_keys_and_missing_fields() {
        let stream = parse_stream(TEXT, &Limits::default());
        let root = stream.root(0);
        let item = Path::parse("spec.accessModes[1]").resolve(root);
        assert_eq!((slice(item.span), item.matched), ("ReadWriteMany", 3));
        let key = Path::parse("spec.volumes[0].emptyDir").resolve(root);
        assert_eq!(slice(key.span), "emptyDir");
        let volume = Path::parse("spec.volumes[0]").resolve(root);
        assert_eq!(slice(volume.span), "name: a");
        let text = "items:\n  - image: x\n    name: c\n  - image: y\n";
        let stream2 = parse_stream(text, &Limits::default());
        let root2 = stream2.root(0);
        let named = Path::parse("items[0]").resolve(root2).span;
        assert_eq!(&text[named.start as usize..named.end as usize], "name: c");
        let unnamed = Path::parse("items[1]").resolve(root2).span;
        assert_eq!(&text[unnamed.start as usize..unnamed.end as usize], "image: y");
        let missing = Path::parse("spec.securityContext.fsGroup").resolve(root);
        assert_eq!((slice(missing.span), missing.matched), ("spec", 1));
        let scalar_key = Path::parse("spec.volumes[0].name").resolve(root);
        assert_eq!(slice(scalar_key.span), "name: a");
    }
}
