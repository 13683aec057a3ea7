//! Builds [`Tree`]s from the YAML event stream, with limits and error recovery.
//!
//! Multi-document streams are split into documents; a syntax error abandons only the document
//! it occurs in (the parser resynchronises at the next `---`), so one broken document never
//! hides the others. Alias expansion and nesting depth are bounded (see [`Limits`]).

use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, ScanError};

use super::node::{Kind, Raw, Tree, split};
use super::scalar::{Scalar, resolve_plain};
use crate::source::Span;

/// The largest text kstor can hold, in bytes: positions in a text are 32-bit (see
/// [`crate::Span`]), so 4 GiB − 1 byte. [`Limits::max_file_bytes`] above it is treated as it.
pub const MAX_FILE_BYTES: u64 = u32::MAX as u64;

/// Resource limits applied while loading input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes; bigger files are refused before they are read. Never
    /// more than [`MAX_FILE_BYTES`], whatever is set here.
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
#[derive(Clone, Copy, Debug)]
pub struct Document {
    /// 0-based position of the document in its stream.
    pub index: usize,
    /// The index of the document's root node in the stream's tree.
    pub root: u32,
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
    /// All nodes of all documents.
    pub tree: Tree,
    /// Documents with content (empty documents are skipped).
    pub documents: Vec<Document>,
    /// Syntax and limit errors; each abandoned the rest of its document.
    pub errors: Vec<SyntaxError>,
    /// Suppression comments, in source order.
    pub ignore_comments: Vec<IgnoreComment>,
}

impl ParsedStream {
    /// The root node of a document.
    pub fn root(&self, document: usize) -> super::Node<'_> {
        self.tree.node(self.documents[document].root)
    }
}

/// kubectl decodes input that starts with `{` as JSON, strictly: trailing commas, comments
/// or single quotes that YAML would accept are errors there. Returns the byte ranges of the
/// JSON values (kubectl accepts several concatenated objects) and the first syntax error.
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
    parse_shared(Arc::from(text), limits)
}

/// [`parse_stream`] over a text the caller keeps (the tree shares it).
///
/// A text longer than [`MAX_FILE_BYTES`] is not parsed: its positions would not fit in a
/// [`Span`]. The stream then holds only that error.
pub fn parse_shared(text: Arc<str>, limits: &Limits) -> ParsedStream {
    let mut out = ParsedStream { tree: Tree::new(Arc::clone(&text)), ..ParsedStream::default() };
    if let Err(message) = check_text_size(text.len()) {
        out.errors.push(SyntaxError { span: Span::NONE, message, document: 0 });
        return out;
    }
    match json_values(&text) {
        // Several concatenated JSON objects: each is parsed on its own (YAML would read them
        // as one broken document).
        Some((ranges, None)) if ranges.len() > 1 => {
            for (index, (start, end)) in ranges.into_iter().enumerate() {
                parse_yaml(&text, start..end, index, limits, &mut out);
            }
        }
        Some((_, error)) => {
            parse_yaml(&text, 0..text.len(), 0, limits, &mut out);
            out.errors.extend(error);
        }
        None => parse_yaml(&text, 0..text.len(), 0, limits, &mut out),
    }
    out.tree.finish();
    out
}

/// Whether a text of `len` bytes fits the 32-bit positions of the model; the error says why not.
pub(crate) fn check_text_size(len: usize) -> Result<(), String> {
    if len as u64 > MAX_FILE_BYTES {
        let gib = len as f64 / f64::from(1u32 << 30);
        Err(format!("the text is {gib:.1} GiB; kstor reads texts below 4 GiB (positions are 32-bit)"))
    } else {
        Ok(())
    }
}

/// Parses `text[range]`, numbering documents from `first_document`.
fn parse_yaml(
    text: &str,
    range: std::ops::Range<usize>,
    first_document: usize,
    limits: &Limits,
    out: &mut ParsedStream,
) {
    let part = &text[range.clone()];
    let options = granit_parser::options! {
        block_nesting_limit: limits.max_depth,
        flow_nesting_limit: limits.max_depth,
        // Comment events cost time on every comment; only suppression comments matter.
        emit_comments: part.contains(IGNORE_MARKER),
    };
    let mut parser = Parser::new_from_str_with_options(part, options);
    let shift = range.start;
    let len = text.len();
    let scan_error = |e: &ScanError| scan_error(e, shift, len, limits);
    let mut builder = Builder::new(limits, &mut out.tree);
    let mut document_index = first_document;
    let mut in_document = false;

    while let Some(next) = parser.next_event() {
        let result = next.map_err(|e| scan_error(&e)).and_then(|(event, span)| {
            let span = to_span(&span, shift, len);
            match event {
                Event::StreamStart | Event::StreamEnd => Ok(None),
                Event::DocumentStart(..) => {
                    in_document = true;
                    builder.reset();
                    Ok(None)
                }
                Event::DocumentEnd => {
                    in_document = false;
                    let root = builder.root.take();
                    let index = document_index;
                    document_index += 1;
                    let tree = &*builder.tree;
                    Ok(root.filter(|&r| !tree.node(r).is_null()).map(|root| Document { index, root }))
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
                        let (span, message) = scan_error(&e);
                        out.errors.push(SyntaxError { span, message, document: document_index });
                        break;
                    }
                }
            }
        }
    }
}

type BuildError = (Span, String);

fn scan_error(error: &ScanError, shift: usize, len: usize, limits: &Limits) -> BuildError {
    let offset = (error.marker().byte_offset().unwrap_or(0) + shift).min(len);
    let message = match error.kind() {
        granit_parser::ErrorKind::RecursionLimitExceeded => {
            format!("nesting deeper than the limit of {} levels", limits.max_depth)
        }
        _ => format!("YAML syntax error: {}", error.info()),
    };
    (Span::new(offset, offset), message)
}

fn to_span(span: &granit_parser::Span, shift: usize, len: usize) -> Span {
    match span.byte_range() {
        Some(range) => Span::new((range.start + shift).min(len), (range.end + shift).min(len)),
        None => Span::NONE,
    }
}

/// The text every suppression comment contains.
const IGNORE_MARKER: &str = "kstor:ignore";

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

/// A collection being built; its children wait in the builder's scratch list.
enum Frame {
    Seq { node: u32, start: u32, anchor: usize, first: usize },
    Map { node: u32, start: u32, anchor: usize, first: usize, key: Option<u32>, merges: Vec<u32> },
}

/// What an anchor stands for: its node, and the size and depth an alias to it adds.
#[derive(Clone, Copy)]
struct Anchored {
    node: u32,
    count: usize,
    depth: usize,
}

struct Builder<'l, 't> {
    limits: &'l Limits,
    tree: &'t mut Tree,
    /// Problems that do not abandon the document (duplicate keys).
    problems: Vec<BuildError>,
    stack: Vec<Frame>,
    /// Children of the open collections, innermost last.
    scratch: Vec<u32>,
    root: Option<u32>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
}

impl<'l, 't> Builder<'l, 't> {
    fn new(limits: &'l Limits, tree: &'t mut Tree) -> Self {
        Builder {
            limits,
            tree,
            problems: Vec::new(),
            stack: Vec::new(),
            scratch: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_nodes: 0,
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.scratch.clear();
        self.root = None;
        self.anchors.clear();
        self.alias_nodes = 0;
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), BuildError> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // Keys keep their source text: resolving `y:` or `on:` to booleans (as go-yaml
                // does) only makes messages confusing, and no Kubernetes field is named so.
                let node = if self.expecting_key() {
                    self.tree.push_str(span, &text)
                } else {
                    let core_tag = tag.as_deref().and_then(|t| t.core_suffix().map(str::to_owned));
                    let scalar = scalar_value(&text, style, core_tag.as_deref());
                    self.push_scalar(span, scalar)
                };
                self.remember(anchor, node);
                self.push(node, 0)
            }
            Event::SequenceStart(_, anchor, _) => {
                self.check_depth(span)?;
                let node = self.placeholder(span);
                self.stack.push(Frame::Seq { node, start: span.start, anchor, first: self.scratch.len() });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.check_depth(span)?;
                let node = self.placeholder(span);
                let first = self.scratch.len();
                self.stack.push(Frame::Map {
                    node,
                    start: span.start,
                    anchor,
                    first,
                    key: None,
                    merges: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { node, start, anchor, first }) => {
                    let len = self.scratch.len() - first;
                    self.close(node, Kind::Seq, Span { start, end: span.end }, first, len);
                    self.remember(anchor, node);
                    self.push(node, 0)
                }
                _ => Err((span, "unbalanced sequence end".into())),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map { node, start, anchor, first, merges, .. }) => {
                    self.apply_merges(first, &merges);
                    let len = (self.scratch.len() - first) / 2;
                    self.close(node, Kind::Map, Span { start, end: span.end }, first, len);
                    self.remember(anchor, node);
                    self.push(node, 0)
                }
                _ => Err((span, "unbalanced mapping end".into())),
            },
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).copied() else {
                    return Err((span, "alias refers to an unknown anchor".into()));
                };
                self.alias_nodes += target.count;
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err((
                        span,
                        format!(
                            "alias expansion exceeds the limit of {} nodes (an alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                    ));
                }
                // The alias shares the anchored node: nothing is copied.
                self.push(target.node, target.depth)
            }
            _ => Ok(()),
        }
    }

    /// A collection node whose children are filled in when it closes.
    fn placeholder(&mut self, span: Span) -> u32 {
        self.tree.push(Raw { start: span.start, end: span.end, a: 0, b: 0, kind: Kind::Null })
    }

    fn close(&mut self, node: u32, kind: Kind, span: Span, first: usize, len: usize) {
        let a = self.tree.children.len() as u32;
        self.tree.children.extend(self.scratch.drain(first..));
        self.tree.nodes[node as usize] = Raw { start: span.start, end: span.end, a, b: len as u32, kind };
    }

    fn push_scalar(&mut self, span: Span, scalar: Scalar<'_>) -> u32 {
        let raw = |kind, (a, b)| Raw { start: span.start, end: span.end, a, b, kind };
        match scalar {
            Scalar::Null => self.tree.push(raw(Kind::Null, (0, 0))),
            Scalar::Bool(b) => self.tree.push(raw(if b { Kind::True } else { Kind::False }, (0, 0))),
            Scalar::Int(i) => self.tree.push(raw(Kind::Int, split(i as u64))),
            Scalar::Float(f) => self.tree.push(raw(Kind::Float, split(f.to_bits()))),
            Scalar::Str(s) => self.tree.push_str(span, s),
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

    fn remember(&mut self, anchor: usize, node: u32) {
        if anchor != 0 {
            let n = self.tree.node(node);
            self.anchors.insert(anchor, Anchored { node, count: n.count(), depth: n.depth() });
        }
    }

    fn push(&mut self, node: u32, extra_depth: usize) -> Result<(), BuildError> {
        if self.stack.len() + extra_depth > self.limits.max_depth {
            let span = self.tree.node(node).span();
            return Err((span, format!("nesting deeper than the limit of {} levels", self.limits.max_depth)));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match frame {
            Frame::Seq { .. } => {
                self.scratch.push(node);
                Ok(())
            }
            Frame::Map { key, merges, first, .. } => match key.take() {
                None => {
                    let key_node = self.tree.node(node);
                    if key_node.as_str().is_none() {
                        let described = key_node.described();
                        return Err((
                            key_node.span(),
                            format!(
                                "a mapping key must be a string, found {described}; Kubernetes objects have string keys"
                            ),
                        ));
                    }
                    *key = Some(node);
                    Ok(())
                }
                Some(key_node) => {
                    let key_text = self.tree.node(key_node).as_str().unwrap_or_default();
                    if key_text == "<<" {
                        let key_span = self.tree.node(key_node).span();
                        return collect_merge(self.tree, node, merges, key_span);
                    }
                    let first = *first;
                    let pairs = &mut self.scratch[first..];
                    let tree = &*self.tree;
                    let duplicate =
                        pairs.chunks_exact(2).position(|pair| tree.node(pair[0]).as_str() == Some(key_text));
                    if let Some(i) = duplicate {
                        // Not fatal: the document is still built (the last value wins, as in
                        // kubectl's non-strict decoding) and the duplicate is reported.
                        let span = tree.node(key_node).span();
                        self.problems
                            .push((span, format!("duplicate key `{key_text}`; only its last value is kept")));
                        pairs[2 * i] = key_node;
                        pairs[2 * i + 1] = node;
                        return Ok(());
                    }
                    self.scratch.push(key_node);
                    self.scratch.push(node);
                    Ok(())
                }
            },
        }
    }

    /// YAML merge keys: entries of merged mappings fill in keys the mapping does not set
    /// itself; earlier sources win over later ones.
    fn apply_merges(&mut self, first: usize, merges: &[u32]) {
        for &source in merges {
            let Some(map) = self.tree.node(source).as_map() else { continue };
            let pairs: Vec<(u32, &str, u32)> = (0..map.len())
                .map(|i| {
                    let key = self.tree.children[self.tree.nodes[source as usize].a as usize + 2 * i];
                    let value = self.tree.children[self.tree.nodes[source as usize].a as usize + 2 * i + 1];
                    (key, self.tree.node(key).as_str().unwrap_or_default(), value)
                })
                .collect();
            let mut add = Vec::new();
            for (key, text, value) in pairs {
                let present = self.scratch[first..]
                    .chunks_exact(2)
                    .chain(add.chunks_exact(2))
                    .any(|pair| self.tree.node(pair[0]).as_str() == Some(text));
                if !present {
                    add.extend([key, value]);
                }
            }
            self.scratch.extend(add);
        }
    }
}

fn scalar_value<'a>(text: &'a str, style: ScalarStyle, core_tag: Option<&str>) -> Scalar<'a> {
    match core_tag {
        Some("str") => return Scalar::Str(text),
        Some("null") => return Scalar::Null,
        Some("bool" | "int" | "float") => return resolve_plain(text),
        _ => {}
    }
    match style {
        ScalarStyle::Plain => resolve_plain(text),
        _ => Scalar::Str(text),
    }
}

fn collect_merge(tree: &Tree, node: u32, merges: &mut Vec<u32>, key_span: Span) -> Result<(), BuildError> {
    let value = tree.node(node);
    if value.as_map().is_some() {
        merges.push(node);
        return Ok(());
    }
    if let Some(items) = value.as_seq()
        && items.iter().all(|i| i.as_map().is_some())
    {
        merges.extend(items.iter().map(|i| i.index()));
        return Ok(());
    }
    Err((key_span, "a merge key `<<` must refer to a mapping or a list of mappings".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_4_gib_or_more_are_refused() {
        assert_eq!(check_text_size(MAX_FILE_BYTES as usize), Ok(()));
        let error = check_text_size(MAX_FILE_BYTES as usize + 1).unwrap_err();
        assert!(error.contains("4.0 GiB") && error.contains("below 4 GiB"), "{error}");
        assert!(check_text_size(5 << 30).unwrap_err().contains("5.0 GiB"));
    }

    use serde_json::json;

    fn parse(text: &str) -> ParsedStream {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let text =
            "kind: PersistentVolumeClaim\nspec:\n  accessModes:\n    - ReadWriteOnce\n    - ReadWriteMany\n";
        let stream = parse(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let root = stream.root(0);
        let spec = root.as_map().unwrap().entry("spec").unwrap();
        assert_eq!(&text[spec.key_span.start as usize..spec.key_span.end as usize], "spec");
        let modes = spec.value.get("accessModes").unwrap().as_seq().unwrap();
        let second = modes.get(1).unwrap().span();
        assert_eq!(&text[second.start as usize..second.end as usize], "ReadWriteMany");
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
        let keys: Vec<_> = stream
            .documents
            .iter()
            .map(|d| stream.tree.node(d.root).as_map().unwrap().first().unwrap().key.to_string())
            .collect();
        assert_eq!(keys, vec!["a", "c"]);
        assert_eq!(stream.errors[0].document, 1);
    }

    #[test]
    fn resolves_aliases_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\ncopy: *b\n";
        let stream = parse(text);
        assert!(stream.errors.is_empty(), "{:?}", stream.errors);
        let root = stream.root(0);
        let derived = root.get("derived").unwrap();
        assert_eq!(derived.get("x").unwrap().to_json(), json!(1));
        assert_eq!(derived.get("y").unwrap().to_json(), json!(3));
        assert_eq!(root.get("copy").unwrap().get("y").unwrap().to_json(), json!(2));
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
        let root = stream.root(0);
        assert_eq!(root.get("a").unwrap().to_json(), json!(2), "the document is kept");
        assert_eq!(root.get("b").unwrap().to_json(), json!(3));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let stream = parse("a: \"3\"\nb: '3'\nc: 3\nd: !!str 3\ne: yes\n");
        let root = stream.root(0);
        assert_eq!(root.get("a").unwrap().to_json(), json!("3"));
        assert_eq!(root.get("b").unwrap().to_json(), json!("3"));
        assert_eq!(root.get("c").unwrap().to_json(), json!(3));
        assert_eq!(root.get("d").unwrap().to_json(), json!("3"));
        assert_eq!(root.get("e").unwrap().to_json(), json!(true));
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
        let b =
            concatenated.tree.node(second.root).get("b").unwrap().as_seq().unwrap().get(0).unwrap().span();
        assert_eq!(&text[b.start as usize..b.end as usize], "2", "spans point into the whole text");
    }

    #[test]
    fn parses_json() {
        let stream = parse("{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\": \"x\"}]}");
        assert!(stream.errors.is_empty());
        assert_eq!(stream.root(0).get("items").unwrap().as_seq().unwrap().len(), 2);
    }
}
