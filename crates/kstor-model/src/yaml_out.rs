//! A small YAML writer for generated manifests: block style, comments above keys, and scalars
//! quoted whenever a YAML 1.1 or 1.2 reader could take them for anything but a string. (serde
//! YAML writers drop comments, and every non-obvious choice in a bundle carries one.)

use std::fmt::Write as _;

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string, quoted when needed.
    Str(String),
    /// A multi-line string, written as a literal block (`|`).
    Block(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A mapping in insertion order.
    Map(Map),
    /// A sequence.
    Seq(Vec<Value>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Str(s.clone())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(i64::from(n))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Map(m)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Seq(items.into_iter().map(Into::into).collect())
    }
}

/// One key of a mapping, with an optional comment written above it.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    key: String,
    value: Value,
    comment: Option<String>,
}

/// A mapping that keeps insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
}

impl Map {
    /// An empty mapping.
    pub fn new() -> Map {
        Map::default()
    }

    /// Adds a key.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Map {
        self.push(key, value, None);
        self
    }

    /// Adds a key with a comment above it.
    pub fn noted(mut self, key: &str, value: impl Into<Value>, comment: impl Into<String>) -> Map {
        self.push(key, value, Some(comment.into()));
        self
    }

    /// Adds a key when the value is there.
    pub fn maybe(self, key: &str, value: Option<impl Into<Value>>) -> Map {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// Adds a key in place.
    pub fn push(&mut self, key: &str, value: impl Into<Value>, comment: Option<String>) {
        self.entries.push(Entry { key: key.to_string(), value: value.into(), comment });
    }

    /// True when the mapping has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A YAML document with header comment lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Comment lines written before the document.
    pub header: Vec<String>,
    /// The object.
    pub body: Map,
}

impl Document {
    /// The document's `kind`, when it has a string one.
    pub fn body_kind(&self) -> Option<&str> {
        self.body.entries.iter().find(|e| e.key == "kind").and_then(|e| match &e.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Writes documents separated by `---`.
pub fn write_stream(documents: &[Document]) -> String {
    let mut out = String::new();
    for (i, doc) in documents.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        for line in &doc.header {
            comment_lines(&mut out, "", line);
        }
        write_map(&mut out, &doc.body, 0);
    }
    out
}

/// Comments wrap at about 100 columns.
fn comment_lines(out: &mut String, indent: &str, text: &str) {
    if text.is_empty() {
        let _ = writeln!(out, "{indent}#");
        return;
    }
    let width = 100usize.saturating_sub(indent.len() + 2).max(40);
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{indent}# {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let _ = writeln!(out, "{indent}# {line}");
}

fn write_map(out: &mut String, map: &Map, indent: usize) {
    let pad = " ".repeat(indent);
    for entry in &map.entries {
        if let Some(c) = &entry.comment {
            comment_lines(out, &pad, c);
        }
        let _ = write!(out, "{pad}{}:", scalar(&entry.key));
        write_value_after_key(out, &entry.value, indent);
    }
}

fn write_value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Map(m) => {
            out.push('\n');
            write_map(out, m, indent + 2);
        }
        Value::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Value::Seq(items) => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        Value::Block(text) => write_block(out, text, indent + 2),
        other => {
            out.push(' ');
            out.push_str(&scalar_value(other));
            out.push('\n');
        }
    }
}

fn write_block(out: &mut String, text: &str, indent: usize) {
    out.push_str(" |\n");
    let pad = " ".repeat(indent);
    for line in text.trim_end_matches('\n').lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Value::Map(m) if !m.is_empty() => {
                // The first key shares the `- ` line; its comment goes above the dash.
                let first = &m.entries[0];
                if let Some(c) = &first.comment {
                    comment_lines(out, &pad, c);
                }
                let _ = write!(out, "{pad}- {}:", scalar(&first.key));
                write_value_after_key(out, &first.value, indent + 2);
                let rest = Map { entries: m.entries[1..].to_vec() };
                write_map(out, &rest, indent + 2);
            }
            Value::Map(_) => {
                let _ = writeln!(out, "{pad}- {{}}");
            }
            Value::Seq(inner) => {
                let _ = writeln!(out, "{pad}-");
                write_seq(out, inner, indent + 2);
            }
            Value::Block(text) => {
                let _ = write!(out, "{pad}-");
                write_block(out, text, indent + 2);
            }
            other => {
                let _ = writeln!(out, "{pad}- {}", scalar_value(other));
            }
        }
    }
}

fn scalar_value(value: &Value) -> String {
    match value {
        Value::Str(s) => scalar(s),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Block(s) => scalar(s),
        Value::Map(_) | Value::Seq(_) => unreachable!("collections are written by their callers"),
    }
}

/// A string as a YAML scalar: plain when unambiguous, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        let mut quoted = String::with_capacity(s.len() + 2);
        quoted.push('"');
        for c in s.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\n' => quoted.push_str("\\n"),
                '\t' => quoted.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(quoted, "\\u{:04x}", c as u32);
                }
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    }
}

/// Words YAML 1.1 readers turn into booleans or null.
const SPECIAL_WORDS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", ".nan", "inf", ".inf", "-.inf",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if SPECIAL_WORDS.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    // Anything that reads as a number (ints, floats, octal, hex, sexagesimal) stays a string.
    let numeric = s.chars().all(|c| c.is_ascii_hexdigit() || "+-._:xXoO".contains(c))
        && s.chars().any(|c| c.is_ascii_digit());
    if numeric {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._/-=,@+".contains(c);
    (first.is_ascii_alphanumeric() || first == '/' || first == '.')
        && s.chars().all(allowed)
        && !s.ends_with(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_a_reader_would_not_take_as_a_string() {
        for s in [
            "true",
            "No",
            "on",
            "~",
            "null",
            "6000",
            "2.15",
            "0x1F",
            "1e3",
            "750",
            "",
            " a",
            "a: b",
            "# x",
            "*",
            "0 */6 * * *",
            "-1",
            "12:30",
        ] {
            assert!(scalar(s).starts_with('"'), "{s:?} must be quoted");
        }
        for s in [
            "gp3",
            "ext4",
            "topology.ebs.csi.aws.com/zone",
            "100Gi",
            "ReadWriteOncePod",
            "/var/lib/postgresql/data",
            "postgres:17",
        ] {
            let expected_plain = !s.contains(':');
            assert_eq!(!scalar(s).starts_with('"'), expected_plain, "{s:?}");
        }
        assert_eq!(scalar("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
    }

    #[test]
    fn writes_nested_maps_sequences_comments_and_blocks() {
        let doc = Document {
            header: vec!["a header".into()],
            body: Map::new()
                .with("kind", "StorageClass")
                .noted(
                    "parameters",
                    Map::new().noted("type", "gp3", "why gp3").with("iops", "6000"),
                    "the driver's knobs",
                )
                .with(
                    "items",
                    vec![
                        Value::Map(Map::new().noted("name", "a", "first").with("count", 1u32)),
                        Value::from("plain"),
                    ],
                )
                .with("empty", Map::new())
                .with("script", Value::Block("set -eu\n\necho hi\n".into())),
        };
        let text = write_stream(&[doc.clone(), doc]);
        let expected = "# a header\nkind: StorageClass\n# the driver's knobs\nparameters:\n  # why gp3\n  type: gp3\n  iops: \"6000\"\nitems:\n  # first\n  - name: a\n    count: 1\n  - plain\nempty: {}\nscript: |\n  set -eu\n\n  echo hi\n";
        assert_eq!(text, format!("{expected}---\n{expected}"));
    }
}
