//! From an [`ObjectEdit`] to text edits on the object's source.

use super::render::{self, Style, column, line_start};
use super::{EditOp, NewValue, ObjectEdit, Skip, TextEdit};
use crate::Workspace;
use crate::path::{Path, Segment};
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// The text edits that make `edit` on the object's source file, in the file's own style.
///
/// All of them or none: a [`Skip`] says why the edit is not made (an alias or anchor on the
/// way, a Helm template expression, a path through a value of another type).
pub fn resolve(workspace: &Workspace, edit: &ObjectEdit) -> Result<Vec<TextEdit>, Skip> {
    let object = workspace.objects.get(edit.object.0 as usize).ok_or(Skip::NoSource)?;
    let source = object.origin.source.ok_or(Skip::NoSource)?;
    let file = workspace.sources.get(source.0 as usize).ok_or(Skip::NoSource)?;
    let text: &str = &file.text;
    let root = object.root();
    // Trees built from files are slices of the file's text; anything else has no positions.
    if root.tree().source_text().len() != text.len() {
        return Err(Skip::NoSource);
    }
    let style = Style::detect(text, root);
    let editor = Editor { text, style };
    let mut spans = Vec::new();
    match &edit.op {
        EditOp::Set { path, value } => editor.set(root, path, value, &mut spans)?,
        EditOp::Remove { path } => editor.remove(root, path, &mut spans)?,
        EditOp::Rename { path, to } => editor.rename(root, path, to, &mut spans)?,
    }
    if spans.iter().any(|(span, _)| in_template(text, *span)) {
        return Err(Skip::Template);
    }
    Ok(spans.into_iter().map(|(span, content)| TextEdit { source, span, content }).collect())
}

/// One step of a walk: the node reached, and the mapping entry's key span when reached by key.
#[derive(Clone, Copy)]
struct Step<'t> {
    node: Node<'t>,
    key_span: Option<Span>,
}

struct Editor<'a> {
    text: &'a str,
    style: Style,
}

impl<'a> Editor<'a> {
    /// Walks as far as the path exists; the first step is the root. Refuses aliases, anchors
    /// and merge-key entries on the way.
    fn walk<'t>(&self, root: Node<'t>, path: &Path) -> Result<Vec<Step<'t>>, Skip> {
        let mut steps = vec![Step { node: root, key_span: None }];
        let mut walked = Path::root();
        for segment in path.segments() {
            let current = steps.last().expect("the root").node;
            let outer = current.span();
            let next = match (&segment, current.value()) {
                (Segment::Key(key), Value::Map(map)) => map.entry(key).map(|entry| {
                    let own = within(entry.key_span, outer)
                        && entry.value.span().start >= entry.key_span.end
                        && !self.text[entry.key_span.end as usize..entry.value.span().start as usize]
                            .contains('&');
                    (Step { node: entry.value, key_span: Some(entry.key_span) }, own)
                }),
                (Segment::Index(i), Value::Seq(items)) => items.get(*i).map(|item| {
                    let start = item.span().start as usize;
                    let own = within(item.span(), outer)
                        && !self.text[line_start(self.text, start)..start].contains('&');
                    (Step { node: item, key_span: None }, own)
                }),
                _ => None,
            };
            walked.push(segment);
            match next {
                Some((step, true)) => steps.push(step),
                Some((_, false)) => return Err(Skip::Anchor(walked)),
                None => break,
            }
        }
        Ok(steps)
    }

    fn set(
        &self,
        root: Node<'_>,
        path: &Path,
        value: &NewValue,
        out: &mut Vec<(Span, String)>,
    ) -> Result<(), Skip> {
        let steps = self.walk(root, path)?;
        let segments = path.segments();
        let matched = steps.len() - 1;
        let last = *steps.last().expect("the root");
        if matched == segments.len() {
            return self.replace(last, path, value, out);
        }
        // Missing: add the first missing key under the deepest existing mapping, wrapping the
        // value in the mappings the rest of the path names.
        let mut keys = Vec::new();
        for segment in &segments[matched..] {
            match segment {
                Segment::Key(k) => keys.push(k.to_string()),
                Segment::Index(_) => return Err(Skip::Shape(prefix(&segments, matched))),
            }
        }
        let mut nested = value.clone();
        for key in keys[1..].iter().rev() {
            nested = NewValue::Map(vec![(key.clone(), nested)]);
        }
        let first = &keys[0];
        match last.node.value() {
            Value::Map(map) => self.insert(last.node, map, first, &nested, out),
            Value::Null => {
                let map = NewValue::Map(vec![(first.clone(), nested)]);
                self.replace(last, path, &map, out)
            }
            _ => Err(Skip::Shape(prefix(&segments, matched))),
        }
    }

    /// Replaces an existing value. A mapping merges into an existing mapping key by key.
    fn replace(
        &self,
        step: Step<'_>,
        path: &Path,
        value: &NewValue,
        out: &mut Vec<(Span, String)>,
    ) -> Result<(), Skip> {
        let node = step.node;
        let span = node.span();
        match (value, node.value()) {
            (NewValue::Map(_), Value::Map(map)) if map.iter().next().is_none() => {
                // `{}`: written whole, so several new keys get their separators.
                out.push((span, render::scalar(value, &self.style, None)));
                Ok(())
            }
            (NewValue::Map(entries), Value::Map(_)) => {
                for (key, child) in entries {
                    self.set_under(node, path, key, child, out)?;
                }
                Ok(())
            }
            (_, Value::Map(_) | Value::Seq(_)) if !render::is_flow(self.text, node) => {
                // A block collection replaced by a scalar: from the first child to its end.
                let end = trimmed_end(self.text, content_end(self.text, node));
                out.push((
                    Span { start: span.start, end: end as u32 },
                    render::scalar(value, &self.style, None),
                ));
                Ok(())
            }
            (NewValue::Map(entries), Value::Null) if span.start == span.end && !self.style.json => {
                // `key:` with nothing after it: write the mapping below the key.
                let Some(key_span) = step.key_span else {
                    return Err(Skip::Shape(path.clone()));
                };
                let colon = self.colon_after(key_span);
                let indent = column(self.text, key_span.start as usize) + self.style.step;
                let mut content = String::new();
                for (k, v) in entries {
                    content.push_str(self.style.eol);
                    content.push_str(&" ".repeat(indent));
                    content.push_str(&render::block_entry(k, v, indent, &self.style));
                }
                out.push((Span { start: colon as u32 + 1, end: colon as u32 + 1 }, content));
                Ok(())
            }
            (_, Value::Null) if span.start == span.end => {
                let Some(key_span) = step.key_span else {
                    return Err(Skip::Shape(path.clone()));
                };
                let colon = self.colon_after(key_span) as u32 + 1;
                out.push((
                    Span { start: colon, end: colon },
                    format!(" {}", render::scalar(value, &self.style, None)),
                ));
                Ok(())
            }
            _ => {
                let quote = match self.text.as_bytes().get(span.start as usize) {
                    Some(b'"') => Some('"'),
                    Some(b'\'') => Some('\''),
                    _ => None,
                };
                out.push((span, render::scalar(value, &self.style, quote)));
                Ok(())
            }
        }
    }

    /// Sets `key` of the mapping `node` (at `path`) to `value`.
    fn set_under(
        &self,
        node: Node<'_>,
        path: &Path,
        key: &str,
        value: &NewValue,
        out: &mut Vec<(Span, String)>,
    ) -> Result<(), Skip> {
        let map = node.as_map().ok_or_else(|| Skip::Shape(path.clone()))?;
        match map.entry(key) {
            Some(entry) => self.replace(
                Step { node: entry.value, key_span: Some(entry.key_span) },
                &path.key(key),
                value,
                out,
            ),
            None => self.insert(node, map, key, value, out),
        }
    }

    /// Adds `key: value` to a mapping, beside its entries and in its style.
    fn insert(
        &self,
        node: Node<'_>,
        map: Map<'_>,
        key: &str,
        value: &NewValue,
        out: &mut Vec<(Span, String)>,
    ) -> Result<(), Skip> {
        if map.iter().any(|e| !within(e.key_span, node.span())) {
            // Entries merged in (`<<: *base`) live elsewhere: "after the last entry" is a guess.
            return Err(Skip::Anchor(Path::root().key("<<")));
        }
        let style = &self.style;
        if render::is_flow(self.text, node) {
            let close = node.span().end - 1;
            let Some(last) = map.iter().last() else {
                let entry = format!("{}: {}", render::key(key, style), render::scalar(value, style, None));
                out.push((Span { start: close, end: close }, entry));
                return Ok(());
            };
            let first = map.first().expect("non-empty");
            let multiline = first.key_span.start > node.span().start
                && self.text[node.span().start as usize..first.key_span.start as usize].contains('\n');
            let after = last.value.span().end.max(last.key_span.end);
            let content = if multiline {
                let indent = column(self.text, first.key_span.start as usize);
                let entry = if style.json {
                    render::json_entry(key, value, indent, style)
                } else {
                    format!("{}: {}", render::key(key, style), render::scalar(value, style, None))
                };
                format!(",{}{}{}", style.eol, " ".repeat(indent), entry)
            } else {
                format!(", {}: {}", render::key(key, style), render::scalar(value, style, None))
            };
            out.push((Span { start: after, end: after }, content));
            return Ok(());
        }
        let first = map.first().expect("a block mapping has entries");
        let indent = column(self.text, first.key_span.start as usize);
        let at = line_end(self.text, trimmed_end(self.text, content_end(self.text, node)));
        let content =
            format!("{}{}{}", style.eol, " ".repeat(indent), render::block_entry(key, value, indent, style));
        out.push((Span { start: at as u32, end: at as u32 }, content));
        Ok(())
    }

    fn remove(&self, root: Node<'_>, path: &Path, out: &mut Vec<(Span, String)>) -> Result<(), Skip> {
        let steps = self.walk(root, path)?;
        let segments = path.segments();
        if steps.len() - 1 < segments.len() {
            return Err(Skip::Missing(path.clone()));
        }
        let Some(Segment::Key(key)) = segments.last() else {
            return Err(Skip::Shape(path.clone()));
        };
        let parent = steps[steps.len() - 2];
        let map = parent.node.as_map().ok_or_else(|| Skip::Shape(path.parent()))?;
        let entries: Vec<_> = map.iter().collect();
        if entries.iter().any(|e| !within(e.key_span, parent.node.span())) {
            return Err(Skip::Anchor(path.parent().key("<<")));
        }
        let index =
            entries.iter().position(|e| e.key == key.as_str()).ok_or_else(|| Skip::Missing(path.clone()))?;
        let entry = entries[index];
        let text = self.text;
        if render::is_flow(text, parent.node) {
            let span = if entries.len() == 1 {
                let span = parent.node.span();
                Span { start: span.start + 1, end: span.end - 1 }
            } else if index + 1 < entries.len() {
                Span { start: entry.key_span.start, end: entries[index + 1].key_span.start }
            } else {
                let previous = entries[index - 1];
                Span {
                    start: previous.value.span().end.max(previous.key_span.end),
                    end: entry.value.span().end.max(entry.key_span.end),
                }
            };
            out.push((span, String::new()));
            return Ok(());
        }
        let key_start = entry.key_span.start as usize;
        let starts_line = text[line_start(text, key_start)..key_start].trim().is_empty();
        let entry_end =
            line_end(text, trimmed_end(text, content_end_of_entry(text, entry.key_span, entry.value)));
        if entries.len() == 1 {
            // The mapping becomes empty: `{}` in place of its only entry.
            if !starts_line {
                out.push((Span::new(key_start, entry_end), "{}".into()));
                return Ok(());
            }
            let Some(parent_key) = parent.key_span else {
                return Err(Skip::Shape(path.parent()));
            };
            let colon = self.colon_after(parent_key);
            out.push((Span::new(colon + 1, entry_end), " {}".into()));
            return Ok(());
        }
        if !starts_line {
            // The first key of a sequence item (`- name: x`): the next key moves up after the dash.
            let next = entries[index + 1].key_span.start as usize;
            out.push((Span::new(key_start, next), String::new()));
            return Ok(());
        }
        let mut start = line_start(text, key_start);
        let end = next_line_start(text, entry_end);
        if end == text.len() && !text.ends_with('\n') && start > 0 {
            // The last line of a file without a final newline: take the line break before it,
            // so the file still ends without one.
            start = text[..start - 1].strip_suffix('\r').map_or(start - 1, str::len);
        }
        out.push((Span::new(start, end), String::new()));
        Ok(())
    }

    fn rename(
        &self,
        root: Node<'_>,
        path: &Path,
        to: &str,
        out: &mut Vec<(Span, String)>,
    ) -> Result<(), Skip> {
        let steps = self.walk(root, path)?;
        if steps.len() - 1 < path.len() {
            return Err(Skip::Missing(path.clone()));
        }
        let Some(key_span) = steps.last().and_then(|s| s.key_span) else {
            return Err(Skip::Shape(path.clone()));
        };
        let quote = match self.text.as_bytes().get(key_span.start as usize) {
            Some(b'"') => Some('"'),
            Some(b'\'') => Some('\''),
            _ => None,
        };
        let content = if self.style.json || quote.is_some() {
            render::scalar(&NewValue::str(to), &self.style, quote.or(Some('"')))
        } else {
            render::key(to, &self.style)
        };
        out.push((key_span, content));
        Ok(())
    }

    /// The offset of the `:` after a key.
    fn colon_after(&self, key_span: Span) -> usize {
        let start = key_span.end as usize;
        self.text[start..].find(':').map_or(start, |i| start + i)
    }
}

fn prefix(segments: &[Segment], len: usize) -> Path {
    let mut path = Path::root();
    for segment in &segments[..len] {
        path.push(segment.clone());
    }
    path
}

fn within(inner: Span, outer: Span) -> bool {
    inner.start >= outer.start && inner.end <= outer.end
}

/// Where a node's own text ends: block collections end where their last descendant does (their
/// spans run on to the next token).
fn content_end(text: &str, node: Node<'_>) -> usize {
    match node.value() {
        Value::Map(map) if !render::is_flow(text, node) => match map.iter().last() {
            Some(last) => content_end_of_entry(text, last.key_span, last.value),
            None => node.span().end as usize,
        },
        Value::Seq(items) if !render::is_flow(text, node) => match items.iter().last() {
            Some(last) => content_end(text, last),
            None => node.span().end as usize,
        },
        _ => node.span().end as usize,
    }
}

fn content_end_of_entry(text: &str, key_span: Span, value: Node<'_>) -> usize {
    let span = value.span();
    if span.start == span.end && value.is_null() {
        return key_span.end as usize;
    }
    content_end(text, value).max(key_span.end as usize)
}

/// Steps back over trailing whitespace (block scalars' spans include the following blank lines).
fn trimmed_end(text: &str, end: usize) -> usize {
    text[..end].trim_end().len()
}

/// The end of the line holding `offset`, before its line break.
fn line_end(text: &str, offset: usize) -> usize {
    match text[offset..].find('\n') {
        Some(i) if i > 0 && text.as_bytes()[offset + i - 1] == b'\r' => offset + i - 1,
        Some(i) => offset + i,
        None => text.len(),
    }
}

/// The start of the line after the one holding `offset` (the text's end on the last line).
fn next_line_start(text: &str, offset: usize) -> usize {
    text[offset..].find('\n').map_or(text.len(), |i| offset + i + 1)
}

/// Whether a span touches a `{{ … }}` template expression.
fn in_template(text: &str, span: Span) -> bool {
    if !text.contains("{{") {
        return false;
    }
    let (start, end) = (span.start as usize, span.end as usize);
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let close = text[open..].find("}}").map_or(text.len(), |i| open + i + 2);
        let touches = if start == end { start > open && start < close } else { start < close && end > open };
        if touches {
            return true;
        }
        from = close;
    }
    false
}

/// The text edits of several edits made together (one fix): each resolved on the source,
/// lines added at a line's end written at the next line's start, and refused
/// ([`Skip::Shape`]) when two of them touch the same text.
pub fn resolve_all(workspace: &Workspace, edits: &[ObjectEdit]) -> Result<Vec<TextEdit>, Skip> {
    let mut groups = Vec::with_capacity(edits.len());
    for object_edit in edits {
        groups.push(resolve(workspace, object_edit)?);
    }
    // A new line inserted at the end of a line ("\nkey: v" before the line break) is the same
    // text as that line written at the start of the next line ("key: v\n"): the second form
    // composes with a removal of the line before it (a key added at the end of a mapping whose
    // last entry goes) and with other fixes' lines (kstor-engine's fix planning).
    for edit in groups.iter_mut().flatten() {
        if let Some(text) = workspace.sources.get(edit.source.0 as usize).map(|s| &s.text) {
            next_line_form(text, edit);
        }
    }
    let mut out: Vec<TextEdit> = Vec::new();
    for (object_edit, group) in edits.iter().zip(groups) {
        if super::overlaps(&out, &group) {
            // Two edits of one fix on the same text: the fix is malformed; never guess.
            return Err(Skip::Shape(object_edit.op.path().clone()));
        }
        out.extend(group);
    }
    Ok(out)
}

/// Rewrites an insertion of new lines at the end of a line into the same lines inserted at
/// the start of the next one.
fn next_line_form(text: &str, edit: &mut TextEdit) {
    let at = edit.span.start as usize;
    if edit.span.end as usize != at {
        return;
    }
    let eol = if edit.content.starts_with("\r\n") { "\r\n" } else { "\n" };
    if edit.content.starts_with(eol) && text.get(at..at + eol.len()) == Some(eol) {
        let next_line = at + eol.len();
        edit.content = format!("{}{eol}", &edit.content[eol.len()..]);
        edit.span = Span::new(next_line, next_line);
    }
}
