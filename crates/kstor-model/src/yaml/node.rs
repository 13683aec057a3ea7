//! The span-preserving YAML tree, stored compactly: every node of a source lives in one
//! [`Tree`] (an arena of 20-byte records), and [`Node`] is a copyable handle into it.
//!
//! Scalars whose value is a slice of the source text (almost all of them) are not copied;
//! escaped or folded scalars go to a string pool. Collections keep their children in one
//! shared index array, so a mapping costs no allocation of its own.

use std::sync::Arc;

use crate::source::Span;

/// Owned text of keys and values, stored inline when short.
pub type Text = compact_str::CompactString;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Null,
    False,
    True,
    Int,
    Float,
    /// A string that is `source[a..a + b]`.
    SourceStr,
    /// A string that is `pool[a..a + b]`.
    PoolStr,
    /// A sequence: `children[a..a + b]`.
    Seq,
    /// A mapping: `children[a..a + 2b]`, key and value indices alternating.
    Map,
}

/// One node record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    pub start: u32,
    pub end: u32,
    pub a: u32,
    pub b: u32,
    pub kind: Kind,
}

/// The text a tree's [`Kind::SourceStr`] strings are slices of: a manifest file's text, or a
/// cluster document read into a `String` (shared without copying hundreds of megabytes into
/// an `Arc<str>`).
#[derive(Clone, Debug)]
pub enum SharedText {
    /// Shared as `Arc<str>`.
    Str(Arc<str>),
    /// Shared as `Arc<String>`.
    String(Arc<String>),
}

impl Default for SharedText {
    fn default() -> Self {
        SharedText::Str(Arc::from(""))
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            SharedText::Str(text) => text,
            SharedText::String(text) => text.as_str(),
        }
    }
}

impl From<Arc<str>> for SharedText {
    fn from(text: Arc<str>) -> Self {
        SharedText::Str(text)
    }
}

impl From<Arc<String>> for SharedText {
    fn from(text: Arc<String>) -> Self {
        SharedText::String(text)
    }
}

/// All nodes of one source (or of one object read from an API server).
#[derive(Debug, Default)]
pub struct Tree {
    pub(crate) source: SharedText,
    pub(crate) nodes: Vec<Raw>,
    pub(crate) children: Vec<u32>,
    pub(crate) pool: String,
}

impl Tree {
    /// An empty tree over a source text.
    pub(crate) fn new(source: impl Into<SharedText>) -> Self {
        Tree { source: source.into(), nodes: Vec::new(), children: Vec::new(), pool: String::new() }
    }

    /// The node at an index.
    pub fn node(&self, index: u32) -> Node<'_> {
        Node { tree: self, index }
    }

    /// The text the tree's strings are slices of (a whole document for trees built from the
    /// items of one list, shared by their trees).
    pub fn source_text(&self) -> &str {
        &self.source
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub(crate) fn push(&mut self, raw: Raw) -> u32 {
        self.nodes.push(raw);
        (self.nodes.len() - 1) as u32
    }

    /// A string node: a slice of the source when `text` points into it, else pooled.
    pub(crate) fn push_str(&mut self, span: Span, text: &str) -> u32 {
        let base = self.source.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        let (kind, a) = if at >= base && at + text.len() <= base + self.source.len() {
            (Kind::SourceStr, (at - base) as u32)
        } else {
            let offset = self.pool.len() as u32;
            self.pool.push_str(text);
            (Kind::PoolStr, offset)
        };
        self.push(Raw { start: span.start, end: span.end, a, b: text.len() as u32, kind })
    }

    /// Drops growth slack once the tree is complete (trees live for the whole run).
    pub(crate) fn finish(&mut self) {
        self.nodes.shrink_to_fit();
        self.children.shrink_to_fit();
        self.pool.shrink_to_fit();
    }

    /// Appends a collection whose children (for a map: key, value, key, value…) are given.
    pub(crate) fn collection(&mut self, kind: Kind, span: Span, children: &[u32], len: usize) -> u32 {
        let a = self.children.len() as u32;
        self.children.extend_from_slice(children);
        self.push(Raw { start: span.start, end: span.end, a, b: len as u32, kind })
    }
}

pub(crate) fn split(bits: u64) -> (u32, u32) {
    (bits as u32, (bits >> 32) as u32)
}

fn join(a: u32, b: u32) -> u64 {
    u64::from(a) | (u64::from(b) << 32)
}

/// A node of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree,
    index: u32,
}

/// A node's value.
#[derive(Clone, Copy, Debug)]
pub enum Value<'t> {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float (or an integer too large for 64 bits).
    Float(f64),
    /// A string.
    Str(&'t str),
    /// A sequence.
    Seq(Seq<'t>),
    /// A mapping.
    Map(Map<'t>),
}

impl<'t> Node<'t> {
    fn raw(&self) -> &'t Raw {
        &self.tree.nodes[self.index as usize]
    }

    /// The node's index in its tree.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The tree the node belongs to.
    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    /// Where the value is written (for collections: from the first to the last character).
    pub fn span(&self) -> Span {
        let raw = self.raw();
        Span { start: raw.start, end: raw.end }
    }

    /// The value.
    pub fn value(&self) -> Value<'t> {
        let raw = *self.raw();
        let tree = self.tree;
        match raw.kind {
            Kind::Null => Value::Null,
            Kind::False => Value::Bool(false),
            Kind::True => Value::Bool(true),
            Kind::Int => Value::Int(join(raw.a, raw.b) as i64),
            Kind::Float => Value::Float(f64::from_bits(join(raw.a, raw.b))),
            Kind::SourceStr => Value::Str(&tree.source[raw.a as usize..(raw.a + raw.b) as usize]),
            Kind::PoolStr => Value::Str(&tree.pool[raw.a as usize..(raw.a + raw.b) as usize]),
            Kind::Seq => Value::Seq(Seq { tree, start: raw.a, len: raw.b }),
            Kind::Map => Value::Map(Map { tree, start: raw.a, len: raw.b }),
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        self.raw().kind == Kind::Null
    }

    /// The mapping, if this node is one.
    pub fn as_map(&self) -> Option<Map<'t>> {
        match self.value() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this node is one.
    pub fn as_seq(&self) -> Option<Seq<'t>> {
        match self.value() {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this node is a string.
    pub fn as_str(&self) -> Option<&'t str> {
        match self.value() {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<Node<'t>> {
        self.as_map()?.get(key)
    }

    /// The string under `key` when this node is a mapping and the value is a string.
    pub fn get_str(&self, key: &str) -> Option<&'t str> {
        self.get(key)?.as_str()
    }

    /// A short name of the value's YAML type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.raw().kind {
            Kind::Null => "null",
            Kind::False | Kind::True => "boolean",
            Kind::Int => "integer",
            Kind::Float => "float",
            Kind::SourceStr | Kind::PoolStr => "string",
            Kind::Seq => "sequence",
            Kind::Map => "mapping",
        }
    }

    /// The value's YAML type with an indefinite article ("an integer"), for messages.
    pub fn described(&self) -> &'static str {
        match self.raw().kind {
            Kind::Null => "null",
            Kind::False | Kind::True => "a boolean",
            Kind::Int => "an integer",
            Kind::Float => "a float",
            Kind::SourceStr | Kind::PoolStr => "a string",
            Kind::Seq => "a sequence",
            Kind::Map => "a mapping",
        }
    }

    /// Number of nodes in this subtree (aliases counted at every use).
    pub fn count(&self) -> usize {
        match self.value() {
            Value::Seq(items) => 1 + items.iter().map(|n| n.count()).sum::<usize>(),
            Value::Map(map) => 1 + map.iter().map(|e| 1 + e.value.count()).sum::<usize>(),
            _ => 1,
        }
    }

    /// Nesting depth of this subtree (0 for a scalar).
    pub fn depth(&self) -> usize {
        match self.value() {
            Value::Seq(items) => 1 + items.iter().map(|n| n.depth()).max().unwrap_or(0),
            Value::Map(map) => 1 + map.iter().map(|e| e.value.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Converts to a `serde_json::Value` (spans are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value() {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(|n| n.to_json()).collect()),
            Value::Map(map) => {
                J::Object(map.iter().map(|e| (e.key.to_string(), e.value.to_json())).collect())
            }
        }
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{:?}", self.to_json(), self.span())
    }
}

/// A sequence's items.
#[derive(Clone, Copy, Debug)]
pub struct Seq<'t> {
    tree: &'t Tree,
    start: u32,
    len: u32,
}

impl<'t> Seq<'t> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at an index.
    pub fn get(&self, index: usize) -> Option<Node<'t>> {
        (index < self.len()).then(|| self.tree.node(self.tree.children[self.start as usize + index]))
    }

    /// The items in order.
    pub fn iter(&self) -> SeqIter<'t> {
        SeqIter {
            tree: self.tree,
            ids: self.tree.children[self.start as usize..(self.start + self.len) as usize].iter(),
        }
    }
}

/// Iterator over a sequence's items.
#[derive(Clone)]
pub struct SeqIter<'t> {
    tree: &'t Tree,
    ids: std::slice::Iter<'t, u32>,
}

impl<'t> Iterator for SeqIter<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        self.ids.next().map(|&i| self.tree.node(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for SeqIter<'_> {}

/// One `key: value` pair of a mapping.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'t> {
    /// The key text (keys keep their source text; they are not resolved to booleans).
    pub key: &'t str,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node<'t>,
}

/// A mapping's entries, in source order; keys are unique.
#[derive(Clone, Copy, Debug)]
pub struct Map<'t> {
    tree: &'t Tree,
    start: u32,
    len: u32,
}

impl<'t> Map<'t> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries in source order.
    pub fn iter(&self) -> MapIter<'t> {
        let pairs =
            self.tree.children[self.start as usize..(self.start + 2 * self.len) as usize].chunks_exact(2);
        MapIter { tree: self.tree, pairs }
    }

    /// The first entry.
    pub fn first(&self) -> Option<Entry<'t>> {
        self.iter().next()
    }

    /// The entry for `key`, if present.
    pub fn entry(&self, key: &str) -> Option<Entry<'t>> {
        self.iter().find(|e| e.key == key)
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<Node<'t>> {
        self.entry(key).map(|e| e.value)
    }
}

/// Iterator over a mapping's entries.
#[derive(Clone)]
pub struct MapIter<'t> {
    tree: &'t Tree,
    pairs: std::slice::ChunksExact<'t, u32>,
}

impl<'t> Iterator for MapIter<'t> {
    type Item = Entry<'t>;

    fn next(&mut self) -> Option<Entry<'t>> {
        let pair = self.pairs.next()?;
        let key = self.tree.node(pair[0]);
        Some(Entry {
            key: key.as_str().unwrap_or_default(),
            key_span: key.span(),
            value: self.tree.node(pair[1]),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for MapIter<'_> {}
