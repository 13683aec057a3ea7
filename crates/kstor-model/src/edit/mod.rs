//! Edits to objects, named by field paths, and their translation into text edits that keep
//! the file's form (comments, key order, indentation, quoting, flow or block style, JSON,
//! line endings) or into JSON Patch operations for objects without a source.
//!
//! Rules describe a fix as [`ObjectEdit`]s ("set `spec.volumeBindingMode` to
//! `WaitForFirstConsumer`"); they never see text. [`resolve`] turns an edit into
//! [`TextEdit`]s on the object's source, or explains why it will not ([`Skip`]): the field
//! sits behind an alias or anchor (the edit would change every object sharing it), inside a
//! Helm template expression, or the path crosses a value of another type. [`json_patch`]
//! turns the same edits into RFC 6902 operations (the mutating webhook).

mod apply;
mod patch;
mod render;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;

pub use apply::{apply, overlaps};
pub use patch::json_patch;
pub use text::{resolve, resolve_all};

use crate::path::Path;
use crate::{ObjectId, SourceId, Span};

/// A value a fix writes.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// A string (quoted when a plain scalar would read as something else).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A mapping, its entries in this order.
    Map(Vec<(String, NewValue)>),
    /// A sequence (written in block style in block files, `[…]` in flow and JSON).
    Seq(Vec<NewValue>),
}

impl NewValue {
    /// A string value.
    pub fn str(text: impl Into<String>) -> Self {
        NewValue::Str(text.into())
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            NewValue::Str(s) => serde_json::Value::String(s.clone()),
            NewValue::Bool(b) => serde_json::Value::Bool(*b),
            NewValue::Int(i) => serde_json::Value::from(*i),
            NewValue::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            NewValue::Seq(items) => serde_json::Value::Array(items.iter().map(NewValue::to_json).collect()),
        }
    }
}

impl From<&str> for NewValue {
    fn from(text: &str) -> Self {
        NewValue::Str(text.to_string())
    }
}

impl From<bool> for NewValue {
    fn from(value: bool) -> Self {
        NewValue::Bool(value)
    }
}

impl From<i64> for NewValue {
    fn from(value: i64) -> Self {
        NewValue::Int(value)
    }
}

/// One change to one object.
#[derive(Clone, Debug, PartialEq)]
pub enum EditOp {
    /// Sets a field: replaces its value when it exists, else adds the key, creating the
    /// missing parent mappings (never missing sequence items).
    Set {
        /// The field.
        path: Path,
        /// Its new value.
        value: NewValue,
    },
    /// Removes a mapping entry.
    Remove {
        /// The entry.
        path: Path,
    },
    /// Renames a mapping key, keeping its value.
    Rename {
        /// The entry.
        path: Path,
        /// The new key.
        to: String,
    },
}

impl EditOp {
    /// The field the edit changes.
    pub fn path(&self) -> &Path {
        match self {
            EditOp::Set { path, .. } | EditOp::Remove { path } | EditOp::Rename { path, .. } => path,
        }
    }
}

/// An edit of one object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEdit {
    /// The object.
    pub object: ObjectId,
    /// What changes.
    pub op: EditOp,
}

impl ObjectEdit {
    /// Sets `path` of `object` to `value`.
    pub fn set(object: ObjectId, path: Path, value: impl Into<NewValue>) -> Self {
        ObjectEdit { object, op: EditOp::Set { path, value: value.into() } }
    }

    /// Removes `path` of `object`.
    pub fn remove(object: ObjectId, path: Path) -> Self {
        ObjectEdit { object, op: EditOp::Remove { path } }
    }

    /// Renames the key at `path` of `object` to `to`.
    pub fn rename(object: ObjectId, path: Path, to: impl Into<String>) -> Self {
        ObjectEdit { object, op: EditOp::Rename { path, to: to.into() } }
    }
}

/// A replacement of a byte range of one source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextEdit {
    /// The source.
    pub source: SourceId,
    /// The bytes replaced (empty for an insertion).
    pub span: Span,
    /// What replaces them.
    pub content: String,
}

/// Why an edit was not turned into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The object has no source text (it came from an API server).
    NoSource,
    /// The field, or a mapping on its way, is an alias or carries an anchor: the edit would
    /// change every place that shares it.
    Anchor(Path),
    /// The text to change is inside a Helm template expression (`{{ … }}`).
    Template,
    /// The path crosses a value that is not a mapping (or a missing sequence item).
    Shape(Path),
    /// A removal or rename of a field that does not exist.
    Missing(Path),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::NoSource => f.write_str("the object has no source file"),
            Skip::Anchor(path) => {
                write!(
                    f,
                    "`{path}` is an alias or carries an anchor; editing it would change every place that shares it"
                )
            }
            Skip::Template => f.write_str("the text to change is inside a Helm template expression"),
            Skip::Shape(path) => {
                write!(f, "`{path}` is not a mapping, so the field cannot be added under it")
            }
            Skip::Missing(path) => write!(f, "`{path}` does not exist"),
        }
    }
}
