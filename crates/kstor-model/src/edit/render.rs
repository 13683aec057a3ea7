//! Writing keys and values in the style of the file they go into.

use super::NewValue;
use crate::yaml::{Node, Scalar, Value, resolve_plain};

/// How the file an edit goes into is written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// The line break (`\r\n` for CRLF files).
    pub eol: &'static str,
    /// The object is JSON (a flow mapping with double-quoted keys): keys and strings are
    /// written as JSON.
    pub json: bool,
    /// Columns one level of nesting adds.
    pub step: usize,
    /// Whether block sequences under a key are indented (`key:\n  - a`) or start at the
    /// key's column (`key:\n- a`).
    pub indented_sequences: bool,
}

impl Style {
    /// Reads the style off the object's text.
    pub fn detect(text: &str, root: Node<'_>) -> Style {
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let start = root.span().start as usize;
        let json = text[start..].starts_with('{')
            && root
                .as_map()
                .and_then(|m| m.first())
                .is_none_or(|e| text.as_bytes().get(e.key_span.start as usize) == Some(&b'"'));
        let step = nesting_step(text, root, 0).unwrap_or(2);
        let indented_sequences = sequence_indented(text, root, 0).unwrap_or(true);
        Style { eol, json, step, indented_sequences }
    }
}

/// Whether the first block sequence under a key sits right of the key; `None` without one.
fn sequence_indented(text: &str, node: Node<'_>, depth: usize) -> Option<bool> {
    if depth > 8 {
        return None;
    }
    let map = node.as_map()?;
    for entry in map.iter() {
        let key_start = entry.key_span.start as usize;
        if let Value::Seq(items) = entry.value.value()
            && let Some(first) = items.iter().next()
            && !is_flow(text, entry.value)
        {
            let item = first.span().start as usize;
            if item > key_start && text[key_start..item].contains('\n') {
                // The dash precedes the item's content on its line.
                let dash = text[line_start(text, item)..item].find('-').map(|i| line_start(text, item) + i);
                if let Some(dash) = dash {
                    return Some(column(text, dash) > column(text, key_start));
                }
            }
        }
        let found = match entry.value.value() {
            Value::Seq(items) => items.iter().find_map(|item| sequence_indented(text, item, depth + 1)),
            _ => sequence_indented(text, entry.value, depth + 1),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The column difference between a key and the keys of a mapping below it written on
/// their own lines; `None` when the object has no such nesting.
fn nesting_step(text: &str, node: Node<'_>, depth: usize) -> Option<usize> {
    if depth > 8 {
        return None;
    }
    let map = node.as_map()?;
    for entry in map.iter() {
        let key_column = column(text, entry.key_span.start as usize);
        if let Some(child) = entry.value.as_map().and_then(|m| m.first()) {
            let child_start = child.key_span.start as usize;
            // A child reached through an alias or merge key sits elsewhere in the file.
            let nested = child_start > entry.key_span.start as usize
                && text[entry.key_span.start as usize..child_start].contains('\n');
            if nested {
                let child_column = column(text, child_start);
                if child_column > key_column {
                    return Some(child_column - key_column);
                }
            }
        }
        if let Some(step) = nesting_step(text, entry.value, depth + 1) {
            return Some(step);
        }
    }
    None
}

/// The 0-based column (in bytes: indentation is ASCII) of a byte offset.
pub(crate) fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// The byte offset where the line holding `offset` starts.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Whether a string can be written as a plain YAML scalar and read back as that string (by
/// kubectl's YAML 1.1 rules).
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !matches!(resolve_plain(s), Scalar::Str(_)) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return false;
    }
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(char::is_control))
}

/// A string as a YAML or JSON double-quoted scalar.
fn double_quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A key as the file writes keys.
pub(crate) fn key(name: &str, style: &Style) -> String {
    if style.json || !plain_safe(name) { double_quoted(name) } else { name.to_string() }
}

/// A scalar value; `quote` is the quoting of the value it replaces (`'`, `"` or none), kept
/// where the new value allows it.
pub(crate) fn scalar(value: &NewValue, style: &Style, quote: Option<char>) -> String {
    match value {
        NewValue::Bool(b) => b.to_string(),
        NewValue::Int(i) => i.to_string(),
        NewValue::Str(s) if style.json => double_quoted(s),
        NewValue::Str(s) => match quote {
            Some('\'') if !s.chars().any(char::is_control) => format!("'{}'", s.replace('\'', "''")),
            Some('"') => double_quoted(s),
            _ if plain_safe(s) => s.clone(),
            _ => double_quoted(s),
        },
        NewValue::Map(entries) => flow_map(entries, style),
        NewValue::Seq(items) => {
            let inner: Vec<String> = items.iter().map(|v| scalar(v, style, None)).collect();
            format!("[{}]", inner.join(", "))
        }
    }
}

/// A mapping on one line: `{a: 1, b: x}`, or JSON's `{"a": 1, "b": "x"}`.
pub(crate) fn flow_map(entries: &[(String, NewValue)], style: &Style) -> String {
    let inner: Vec<String> =
        entries.iter().map(|(k, v)| format!("{}: {}", key(k, style), scalar(v, style, None))).collect();
    format!("{{{}}}", inner.join(", "))
}

/// `key: value` in block style at `indent` columns (the first line without its indentation).
pub(crate) fn block_entry(name: &str, value: &NewValue, indent: usize, style: &Style) -> String {
    match value {
        NewValue::Map(entries) if !entries.is_empty() => {
            let mut out = format!("{}:", key(name, style));
            for (k, v) in entries {
                out.push_str(style.eol);
                out.push_str(&" ".repeat(indent + style.step));
                out.push_str(&block_entry(k, v, indent + style.step, style));
            }
            out
        }
        NewValue::Seq(items) if items.iter().any(|v| matches!(v, NewValue::Map(_) | NewValue::Seq(_))) => {
            let dash_column = if style.indented_sequences { indent + style.step } else { indent };
            let mut out = format!("{}:", key(name, style));
            for item in items {
                out.push_str(style.eol);
                out.push_str(&" ".repeat(dash_column));
                out.push_str("- ");
                out.push_str(&block_item(item, dash_column + 2, style));
            }
            out
        }
        _ => format!("{}: {}", key(name, style), scalar(value, style, None)),
    }
}

/// A sequence item in block style after its `- ` at `indent` columns (the first line
/// without its indentation).
fn block_item(value: &NewValue, indent: usize, style: &Style) -> String {
    match value {
        NewValue::Map(entries) if !entries.is_empty() => {
            let mut out = String::new();
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(style.eol);
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&block_entry(k, v, indent, style));
            }
            out
        }
        _ => scalar(value, style, None),
    }
}

/// `"key": value` for a JSON object written one entry per line at `indent` columns.
pub(crate) fn json_entry(name: &str, value: &NewValue, indent: usize, style: &Style) -> String {
    match value {
        NewValue::Map(entries) if !entries.is_empty() => {
            let mut out = format!("{}: {{", key(name, style));
            for (i, (k, v)) in entries.iter().enumerate() {
                out.push_str(if i == 0 { "" } else { "," });
                out.push_str(style.eol);
                out.push_str(&" ".repeat(indent + style.step));
                out.push_str(&json_entry(k, v, indent + style.step, style));
            }
            out.push_str(style.eol);
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
        _ => format!("{}: {}", key(name, style), scalar(value, style, None)),
    }
}

/// Whether a node is written in flow style (`{…}` or `[…]`).
pub(crate) fn is_flow(text: &str, node: Node<'_>) -> bool {
    matches!(node.value(), Value::Map(_) | Value::Seq(_))
        && matches!(text.as_bytes().get(node.span().start as usize), Some(b'{' | b'['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_stay_plain_and_lookalikes_are_quoted() {
        let style = Style { eol: "\n", json: false, step: 2, indented_sequences: true };
        assert_eq!(scalar(&NewValue::str("WaitForFirstConsumer"), &style, None), "WaitForFirstConsumer");
        assert_eq!(scalar(&NewValue::str("true"), &style, None), "\"true\"");
        assert_eq!(scalar(&NewValue::str("0755"), &style, None), "\"0755\"");
        assert_eq!(scalar(&NewValue::str("a: b"), &style, None), "\"a: b\"");
        assert_eq!(scalar(&NewValue::str("x"), &style, Some('\'')), "'x'");
        assert_eq!(scalar(&NewValue::str("x"), &style, Some('"')), "\"x\"");
        assert_eq!(
            key("storageclass.kubernetes.io/is-default-class", &style),
            "storageclass.kubernetes.io/is-default-class"
        );
        let json = Style { json: true, ..style };
        assert_eq!(scalar(&NewValue::str("x"), &json, None), "\"x\"");
        assert_eq!(key("fsGroup", &json), "\"fsGroup\"");
    }
}
