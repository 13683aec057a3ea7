//! The span-preserving YAML tree that every loaded manifest is kept as.

use compact_str::CompactString;

use crate::source::Span;

/// Text stored inline when short (most Kubernetes keys and values are).
pub type Text = CompactString;

/// One YAML node with the span of its value in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value is written (for collections: from the first to the last character).
    pub span: Span,
    /// The value, resolved by the YAML 1.1 scalar rules that kubectl applies.
    pub value: Value,
}

/// A node's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A float (or an integer too large for 64 bits).
    Float(f64),
    /// A string.
    Str(Text),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Map),
}

/// A mapping whose keys are strings (non-string scalar keys are stringified).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    /// Entries in source order; keys are unique (a duplicate replaces the earlier value).
    pub entries: Vec<Entry>,
}

/// One `key: value` pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key text.
    pub key: Text,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Map {
    /// The entry for `key`, if present.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Removes and returns the value for `key`.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let index = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(index).value)
    }
}

impl Node {
    /// A node with the given value and span.
    pub fn new(span: Span, value: Value) -> Self {
        Node { span, value }
    }

    /// The mapping, if this node is one.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence items, if this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The string, if this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// The string under `key` when this node is a mapping and the value is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// A short name of the value's YAML type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// The value's YAML type with an indefinite article ("an integer"), for messages.
    pub fn described(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// Number of nodes in this subtree (used to budget alias expansion).
    pub fn count(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            Value::Map(map) => 1 + map.entries.iter().map(|e| 1 + e.value.count()).sum::<usize>(),
            _ => 1,
        }
    }

    /// Converts to a `serde_json::Value` (spans are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(map) => {
                J::Object(map.entries.iter().map(|e| (e.key.to_string(), e.value.to_json())).collect())
            }
        }
    }

    /// Builds a span-less tree from JSON (objects read from an API server or a dump).
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match value {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::Str(s.into()),
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(obj) => Value::Map(Map {
                entries: obj
                    .iter()
                    .map(|(k, v)| Entry { key: k.into(), key_span: Span::NONE, value: Node::from_json(v) })
                    .collect(),
            }),
        };
        Node::new(Span::NONE, value)
    }
}

// Deep trees are bounded by `Limits::max_depth`, so the default recursive drop is safe.
