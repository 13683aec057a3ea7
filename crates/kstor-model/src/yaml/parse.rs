//! Builds [`Node`] trees from the YAML event stream, with limits and error recovery.
//!
//! Multi-document streams are split into documents; a syntax error abandons only the document
//! it occurs in (the parser resynchronises at the next `---`), so one broken document never
//! hides the others. Alias expansion and nesting depth are bounded (see [`Limits`]).

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, ScanError};

use super::node::{Entry, Map, Node, Text, Value};
use super::scalar::resolve_plain;
use crate::source::Span;

/// Resource limits applied while loading input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes; bigger files are refused before they are read.
    pub max_file_bytes: u64,
    /// Deepest nesting of mappings and sequences accepted.
    pub max_depth: usize,
    /// Most nodes that alias expansion may add to one document (guards against alias bombs).
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 64 * 1024 * 1024, max_depth: 128, max_alias_nodes: 100_000 }
    }
}

/// One document of a YAML stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based position of the document in its stream.
    pub index: usize,
    /// The document's root node.
    pub root: Node,
}

/// A syntax or limit error, located at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the error was detected.
    pub span: Span,
    /// What went wrong, in words.
    pub message: String,
    /// The document it occurred in (0-based).
    pub document: usize,
}

/// A `# kstor:ignore [CODES]` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreComment {
    /// Byte offset of the comment; the loader turns it into a line.
    pub offset: u32,
    /// The rule codes or names listed; empty means every rule.
    pub rules: Vec<String>,
}

/// Everything parsed from one YAML text.
#[derive(Debug, Default)]
pub struct ParsedStream {
    /// Documents with content (empty documents are skipped).
    pub documents: Vec<Document>,
    /// Syntax and limit errors; each abandoned the rest of its document.
    pub errors: Vec<SyntaxError>,
    /// Suppression comments, in source order.
    pub ignore_comments: Vec<IgnoreComment>,
}

/// kubectl decodes input that starts with `{` as JSON, strictly: trailing commas, comments
/// or single quotes that YAML would accept are errors there.
/// Checks input that starts with `{` strictly as JSON. Returns the byte ranges of the
/// JSON values (kubectl accepts several concatenated objects) and the first syntax error.
/// Byte ranges of the JSON values, and the first JSON syntax error.
type JsonValues = (Vec<(usize, usize)>, Option<SyntaxError>);

fn json_values(text: &str) -> Option<JsonValues> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut ranges = Vec::new();
    let mut start = 0;
    loop {
        match values.next() {
            None => return Some((ranges, None)),
            Some(Ok(_)) => {
                let end = values.byte_offset();
                ranges.push((start, end));
                start = end;
            }
            Some(Err(error)) => {
                let offset = byte_offset(text, error.line(), error.column());
                let detail = error.to_string();
                let detail = detail.rsplit_once(" at line").map_or(detail.as_str(), |(d, _)| d);
                let detail = match detail {
                    "key must be a string" => {
                        "expected a double-quoted key (a trailing comma, or an unquoted key?)"
                    }
                    other => other,
                };
                let message = format!("JSON syntax error: {detail}");
                let document = ranges.len();
                return Some((
                    ranges,
                    Some(SyntaxError { span: Span::new(offset, offset), message, document }),
                ));
            }
        }
    }
}

/// Byte offset of a 1-based line and (byte) column, as serde_json reports them.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Parses a YAML (or JSON) stream into documents.
pub fn parse_stream(text: &str, limits: &Limits) -> ParsedStream {
    match json_values(text) {
        // Several concatenated JSON objects: each is parsed on its own (YAML would read them
        // as one broken document), with spans shifted back into the whole text.
        Some((ranges, None)) if ranges.len() > 1 => {
            let mut out = ParsedStream::default();
            for (index, (start, end)) in ranges.into_iter().enumerate() {
                let part = parse_yaml(&text[start..end], limits);
                let shift =
                    |span: Span| Span { start: span.start + start as u32, end: span.end + start as u32 };
                for mut document in part.documents {
                    shift_spans(&mut document.root, start as u32);
                    out.documents.push(Document { index, root: document.root });
                }
                out.errors.extend(part.errors.into_iter().map(|e| SyntaxError {
                    span: shift(e.span),
                    document: index,
                    ..e
                }));
            }
            out
        }
        Some((_, error)) => {
            let mut out = parse_yaml(text, limits);
            out.errors.extend(error);
            out
        }
        None => parse_yaml(text, limits),
    }
}

fn shift_spans(node: &mut Node, by: u32) {
    node.span.start += by;
    node.span.end += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| shift_spans(i, by)),
        Value::Map(map) => {
            for entry in &mut map.entries {
                entry.key_span.start += by;
                entry.key_span.end += by;
                shift_spans(&mut entry.value, by);
            }
        }
        _ => {}
    }
}

fn parse_yaml(text: &str, limits: &Limits) -> ParsedStream {
    let options = granit_parser::options! {
        block_nesting_limit: limits.max_depth,
        flow_nesting_limit: limits.max_depth,
    };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let scan_error = |e: &ScanError, len: usize| scan_error(e, len, limits);
    let mut out = ParsedStream::default();
    let mut builder = Builder::new(limits);
    let mut document_index = 0usize;
    let mut in_document = false;

    while let Some(next) = parser.next_event() {
        let result = next.map_err(|e| scan_error(&e, text.len())).and_then(|(event, span)| {
            let span = to_span(&span, text.len());
            match event {
                Event::StreamStart | Event::StreamEnd => Ok(None),
                Event::DocumentStart(..) => {
                    in_document = true;
                    builder.reset();
                    Ok(None)
                }
                Event::DocumentEnd => {
                    in_document = false;
                    let root = builder.take_root();
                    let index = document_index;
                    document_index += 1;
                    Ok(root.filter(|r| r.value != Value::Null).map(|root| Document { index, root }))
                }
                Event::Comment(comment, _) => {
                    if let Some(rules) = parse_ignore_comment(&comment) {
                        out.ignore_comments.push(IgnoreComment { offset: span.start, rules });
                    }
                    Ok(None)
                }
                other => builder.event(other, span).map(|()| None),
            }
        });
        for (span, message) in builder.problems.drain(..) {
            out.errors.push(SyntaxError { span, message, document: document_index });
        }
        match result {
            Ok(Some(document)) => out.documents.push(document),
            Ok(None) => {}
            Err((span, message)) => {
                out.errors.push(SyntaxError { span, message, document: document_index });
                if in_document {
                    document_index += 1;
                    in_document = false;
                }
                builder.reset();
                match parser.proceed_next_document() {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        let (span, message) = scan_error(&e, text.len());
                        out.errors.push(SyntaxError { span, message, document: document_index });
                        break;
                    }
                }
            }
        }
    }
    out
}

type BuildError = (Span, String);

fn scan_error(error: &ScanError, len: usize, limits: &Limits) -> BuildError {
    let offset = error.marker().byte_offset().unwrap_or(0).min(len);
    let message = match error.kind() {
        granit_parser::ErrorKind::RecursionLimitExceeded => {
            format!("nesting deeper than the limit of {} levels", limits.max_depth)
        }
        _ => format!("YAML syntax error: {}", error.info()),
    };
    (Span::new(offset, offset), message)
}

fn to_span(span: &granit_parser::Span, len: usize) -> Span {
    match span.byte_range() {
        Some(range) => Span::new(range.start.min(len), range.end.min(len)),
        None => Span::NONE,
    }
}

/// Recognises `kstor:ignore` and `kstor:ignore KS201, rwx-for-database -- reason`.
fn parse_ignore_comment(comment: &str) -> Option<Vec<String>> {
    let rest = comment.trim_start().strip_prefix("kstor:ignore")?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t', ','])) {
        return None;
    }
    let mut rules = Vec::new();
    for token in rest.split([' ', '\t', ',']).filter(|t| !t.is_empty()) {
        let is_identifier = token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if token == "--" || !is_identifier {
            break;
        }
        rules.push(token.to_string());
    }
    Some(rules)
}

enum Frame {
    Seq { start: u32, anchor: usize, items: Vec<Node> },
    Map { start: u32, anchor: usize, map: Map, key: Option<(Text, Span)>, merges: Vec<Node> },
}

struct Builder<'l> {
    limits: &'l Limits,
    /// Problems that do not abandon the document (duplicate keys).
    problems: Vec<BuildError>,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits) -> Self {
        Builder {
            limits,
            problems: Vec::new(),
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_nodes: 0,
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.root = None;
        self.anchors.clear();
        self.alias_nodes = 0;
    }

    fn take_root(&mut self) -> Option<Node> {
        self.root.take()
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), BuildError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // Keys keep their source text: resolving `y:` or `on:` to booleans (as go-yaml
                // does) only makes messages confusing, and no Kubernetes field is named so.
                let value = if self.expecting_key() {
                    Value::Str(text.as_ref().into())
                } else {
                    let core_tag = tag.as_deref().and_then(|t| t.core_suffix().map(str::to_owned));
                    scalar_value(&text, style, core_tag.as_deref())
                };
                let node = Node::new(span, value);
                self.remember(anchor, &node);
                self.push(node, 0)
            }
            Event::SequenceStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Seq { start: span.start, anchor, items: Vec::new() });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Map {
                    start: span.start,
                    anchor,
                    map: Map::default(),
                    key: None,
                    merges: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { start, anchor, items }) => {
                    let node = Node::new(Span { start, end: span.end }, Value::Seq(items));
                    self.remember(anchor, &node);
                    self.push(node, 0)
                }
                _ => Err((span, "unbalanced sequence end".into())),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map { start, anchor, mut map, merges, .. }) => {
                    apply_merges(&mut map, merges);
                    let node = Node::new(Span { start, end: span.end }, Value::Map(map));
                    self.remember(anchor, &node);
                    self.push(node, 0)
                }
                _ => Err((span, "unbalanced mapping end".into())),
            },
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err((span, "alias refers to an unknown anchor".into()));
                };
                let count = target.count();
                self.alias_nodes += count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err((
                        span,
                        format!(
                            "alias expansion exceeds the limit of {} nodes (an alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                    ));
                }
                let mut node = target.clone();
                node.span = span;
                let depth = depth_of(&node);
                self.push(node, depth)
            }
            _ => Ok(()),
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn check_depth(&self, span: Span) -> Result<(), BuildError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err((span, format!("nesting deeper than the limit of {} levels", self.limits.max_depth)));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn push(&mut self, node: Node, extra_depth: usize) -> Result<(), BuildError> {
        if self.stack.len() + extra_depth > self.limits.max_depth {
            return Err((
                node.span,
                format!("nesting deeper than the limit of {} levels", self.limits.max_depth),
            ));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { map, key, merges, .. }) => match key.take() {
                None => {
                    let text = key_text(&node)?;
                    *key = Some((text, node.span));
                    Ok(())
                }
                Some((text, key_span)) if text == "<<" => collect_merge(node, merges, key_span),
                Some((text, key_span)) => {
                    if let Some(existing) = map.entries.iter_mut().find(|e| e.key == text) {
                        // Not fatal: the document is still built (the last value wins, as in
                        // kubectl's non-strict decoding) and the duplicate is reported.
                        let message = format!("duplicate key `{text}`; only its last value is kept");
                        existing.value = node;
                        existing.key_span = key_span;
                        self.problems.push((key_span, message));
                        return Ok(());
                    }
                    map.entries.push(Entry { key: text, key_span, value: node });
                    Ok(())
                }
            },
        }
    }
}

fn scalar_value(text: &str, style: ScalarStyle, core_tag: Option<&str>) -> Value {
    match core_tag {
        Some("str") => return Value::Str(text.into()),
        Some("null") => return Value::Null,
        Some("bool" | "int" | "float") => return resolve_plain(text),
        _ => {}
    }
    match style {
        ScalarStyle::Plain => resolve_plain(text),
        _ => Value::Str(text.into()),
    }
}

fn key_text(node: &Node) -> Result<Text, BuildError> {
    match &node.value {
        Value::Str(s) => Ok(s.clone()),
        Value::Null => Ok(Text::const_new("null")),
        Value::Bool(b) => Ok(if *b { "true".into() } else { "false".into() }),
        Value::Int(i) => Ok(i.to_string().into()),
        Value::Float(f) => Ok(f.to_string().into()),
        Value::Seq(_) | Value::Map(_) => {
            Err((node.span, "a mapping key must be a scalar; Kubernetes objects have string keys".into()))
        }
    }
}

fn collect_merge(node: Node, merges: &mut Vec<Node>, key_span: Span) -> Result<(), BuildError> {
    match node.value {
        Value::Map(_) => {
            merges.push(node);
            Ok(())
        }
        Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => {
            merges.extend(items);
            Ok(())
        }
        _ => Err((key_span, "a merge key `<<` must refer to a mapping or a list of mappings".into())),
    }
}

/// YAML merge keys: entries of merged mappings fill in keys the mapping does not set itself;
/// earlier sources win over later ones.
fn apply_merges(map: &mut Map, merges: Vec<Node>) {
    for merge in merges {
        if let Value::Map(source) = merge.value {
            for entry in source.entries {
                if map.entry(&entry.key).is_none() {
                    map.entries.push(entry);
                }
            }
        }
    }
}

fn depth_of(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
        Value::Map(map) => 1 + map.entries.iter().map(|e| depth_of(&e.value)).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedStream {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let text =
            "kind: PersistentVolumeClaim\nspec:\n  accessModes:\n    - ReadWriteOnce\n    - ReadWriteMany\n";
        let stream = parse(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let root = &stream.documents[0].root;
        let spec = root.as_map().unwrap().entry("spec").unwrap();
        assert_eq!(&text[spec.key_span.start as usize..spec.key_span.end as usize], "spec");
        let modes = spec.value.get("accessModes").unwrap().as_seq().unwrap();
        let second = &modes[1];
        assert_eq!(&text[second.span.start as usize..second.span.end as usize], "ReadWriteMany");
    }

    #[test]
    fn skips_empty_documents_and_counts_indices() {
        let stream = parse("---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n");
        let indices: Vec<_> = stream.documents.iter().map(|d| d.index).collect();
        assert_eq!(stream.documents.len(), 2);
        assert_eq!(indices, vec![1, 3]);
    }

    #[test]
    fn a_syntax_error_abandons_only_its_document() {
        let text = "a: 1\n---\nb: [1, 2\n---\nc: 3\n";
        let stream = parse(text);
        assert_eq!(stream.errors.len(), 1);
        let keys: Vec<_> =
            stream.documents.iter().map(|d| d.root.as_map().unwrap().entries[0].key.to_string()).collect();
        assert_eq!(keys, vec!["a", "c"]);
        assert_eq!(stream.errors[0].document, 1);
    }

    #[test]
    fn resolves_aliases_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\ncopy: *b\n";
        let stream = parse(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let root = &stream.documents[0].root;
        let derived = root.get("derived").unwrap();
        assert_eq!(derived.get("x").unwrap().value, Value::Int(1));
        assert_eq!(derived.get("y").unwrap().value, Value::Int(3));
        assert_eq!(root.get("copy").unwrap().get("y").unwrap().value, Value::Int(2));
    }

    #[test]
    fn alias_bomb_hits_the_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let stream = parse(&text);
        assert_eq!(stream.errors.len(), 1);
        assert!(stream.errors[0].message.contains("alias expansion"), "{:?}", stream.errors);
    }

    #[test]
    fn deep_nesting_hits_the_limit() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let stream = parse(&text);
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
        assert!(stream.errors[0].message.contains("nesting deeper than the limit of 128"));
        let block: String = (0..300).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        let stream = parse(&block);
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_last_wins() {
        let stream = parse("a: 1\na: 2\nb: 3\n");
        assert_eq!(stream.errors.len(), 1);
        assert!(stream.errors[0].message.contains("duplicate key `a`"));
        let root = &stream.documents[0].root;
        assert_eq!(root.get("a").unwrap().value, Value::Int(2), "the document is kept");
        assert_eq!(root.get("b").unwrap().value, Value::Int(3));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let stream = parse("a: \"3\"\nb: '3'\nc: 3\nd: !!str 3\ne: yes\n");
        let root = &stream.documents[0].root;
        assert_eq!(root.get("a").unwrap().value, Value::Str("3".into()));
        assert_eq!(root.get("b").unwrap().value, Value::Str("3".into()));
        assert_eq!(root.get("c").unwrap().value, Value::Int(3));
        assert_eq!(root.get("d").unwrap().value, Value::Str("3".into()));
        assert_eq!(root.get("e").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn collects_ignore_comments() {
        let text = "a: 1 # kstor:ignore KS201, rwx-for-database -- shared by design\n# kstor:ignore\nb: 2\n# kstor:ignored\n";
        let stream = parse(text);
        let rules: Vec<_> = stream.ignore_comments.iter().map(|c| c.rules.clone()).collect();
        assert_eq!(rules, vec![vec!["KS201".to_string(), "rwx-for-database".into()], vec![]]);
    }

    #[test]
    fn json_is_checked_strictly_like_kubectl() {
        let stream = parse("{\"kind\": \"Pod\",\n \"items\": [1, 2,]}");
        assert_eq!(stream.errors.len(), 1, "{:?}", stream.errors);
        assert!(stream.errors[0].message.starts_with("JSON syntax error"), "{:?}", stream.errors);
        assert_eq!(stream.errors[0].span.start, 32, "at the closing bracket after the comma");
        assert_eq!(stream.documents.len(), 1, "still linted as YAML");
        let text = "{\"a\": 1}\n{\"b\": [2]}";
        let concatenated = parse(text);
        assert!(concatenated.errors.is_empty(), "{:?}", concatenated.errors);
        let second = &concatenated.documents[1];
        assert_eq!(second.index, 1);
        let b = second.root.get("b").unwrap().as_seq().unwrap()[0].span;
        assert_eq!(&text[b.start as usize..b.end as usize], "2", "spans point into the whole text");
    }

    #[test]
    fn parses_json() {
        let stream = parse("{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\": \"x\"}]}");
        assert!(stream.errors.is_empty());
        assert_eq!(stream.documents[0].root.get("items").unwrap().as_seq().unwrap().len(), 2);
    }
}
