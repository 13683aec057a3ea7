//! Loading manifests from files, directories and stdin into a [`Workspace`].
//!
//! Files are read and parsed in parallel. Every problem with the input becomes a
//! [`Diagnostic`] at a position (reported as rule KS001) instead of aborting: one bad file or
//! document never hides the others.

use std::io::Read;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::object::{Object, ObjectId, Origin};
use crate::path::Path;
use crate::quantity::format_bytes;
use crate::source::{SourceFile, SourceId, Span};
use crate::yaml::{Limits, MAX_FILE_BYTES, ParsedStream, Tree, parse_shared};

/// One thing to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (named `-` in output).
    Stdin,
    /// A file, or a directory walked recursively for `.yaml`, `.yml` and `.json` files.
    Path(PathBuf),
}

/// Where a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A span of a source (syntax errors, limits).
    Span {
        /// The source.
        source: SourceId,
        /// The span.
        span: Span,
    },
    /// A field of a loaded object (type errors).
    Field {
        /// The object.
        object: ObjectId,
        /// The field.
        path: Path,
    },
}

/// A problem with the input itself (rule KS001).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is.
    pub location: Location,
    /// What is wrong, in words.
    pub message: String,
}

/// A `# kstor:ignore` comment resolved to its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreLine {
    /// 1-based line the comment is on.
    pub line: u32,
    /// Rule codes or names; empty means all rules.
    pub rules: Vec<String>,
}

/// Everything loaded for one run: sources, objects and input diagnostics.
#[derive(Debug, Default)]
pub struct Workspace {
    /// Loaded sources, indexed by [`SourceId`].
    pub sources: Vec<Arc<SourceFile>>,
    /// Loaded objects, indexed by [`ObjectId`].
    pub objects: Vec<Object>,
    /// Problems with the input (KS001).
    pub diagnostics: Vec<Diagnostic>,
    /// Suppression comments per source, indexed like `sources`.
    pub ignore_lines: Vec<Vec<IgnoreLine>>,
    /// Files that could not be read (I/O errors), as one-line messages.
    pub io_errors: Vec<String>,
    /// Documents skipped because they are not Kubernetes objects (no `apiVersion` and no `kind`).
    pub skipped_documents: usize,
}

/// Options of [`load`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Size, depth and alias limits.
    pub limits: Limits,
    /// Glob-free path filter: files whose path contains one of these components are skipped
    /// while walking directories (the CLI compiles user globs into [`LoadOptions::exclude`]).
    pub exclude: Vec<globset::GlobMatcher>,
}

/// Error of [`collect_files`]: a path given by the user does not exist or cannot be walked.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    /// The path as given.
    pub path: String,
    /// Why it cannot be read.
    pub message: String,
}

/// Expands inputs into the list of files to read (directories walked in sorted order).
fn collect_files(inputs: &[Input], options: &LoadOptions) -> Result<Vec<Input>, InputError> {
    let mut files = Vec::new();
    for input in inputs {
        let path = match input {
            Input::Stdin => {
                files.push(Input::Stdin);
                continue;
            }
            Input::Path(p) => p,
        };
        let metadata = std::fs::metadata(path)
            .map_err(|e| InputError { path: path.display().to_string(), message: io_message(&e) })?;
        if !metadata.is_dir() {
            files.push(Input::Path(path.clone()));
            continue;
        }
        let walker = walkdir::WalkDir::new(path).sort_by_file_name().into_iter();
        let walker = walker.filter_entry(|entry| {
            let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
            !hidden && !options.exclude.iter().any(|g| g.is_match(entry.path()))
        });
        for entry in walker {
            let entry = entry.map_err(|e| InputError {
                path: e.path().unwrap_or(path).display().to_string(),
                message: e.io_error().map(io_message).unwrap_or_else(|| e.to_string()),
            })?;
            if entry.file_type().is_dir() || !is_manifest_name(entry.path()) {
                continue;
            }
            files.push(Input::Path(entry.into_path()));
        }
    }
    Ok(files)
}

/// Whether a path names a manifest kstor reads from a directory (`.yaml`, `.yml`, `.json`).
pub fn is_manifest_name(path: &FsPath) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

/// The text of one input, or why it could not be used.
enum Read_ {
    Text(Arc<str>),
    /// Unusable content: a message located at a byte offset (too large, not UTF-8).
    Invalid(String, usize, String),
    Io(String),
}

/// Why the text of an input could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// An I/O error, in a few words (`no such file or directory`).
    Io(String),
    /// Larger than the limit; the size seen (the file's size, or the limit + 1 for a stream).
    TooLarge(u64),
    /// Not UTF-8: the offset of the first bad byte, and the text with replacement characters.
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// The text, invalid bytes replaced.
        lossy: String,
    },
}

/// Reads the whole text of a file, or of stdin, refusing more than `max_bytes` (a file's
/// size is checked before anything is read). `max_bytes` is capped at [`MAX_FILE_BYTES`].
pub fn read_limited(input: &Input, max_bytes: u64) -> Result<String, ReadError> {
    let max_bytes = max_bytes.min(MAX_FILE_BYTES);
    let mut size_hint = 0;
    let reader: Box<dyn Read> = match input {
        Input::Stdin => Box::new(std::io::stdin()),
        Input::Path(path) => {
            let file = std::fs::File::open(path).map_err(|e| ReadError::Io(io_message(&e)))?;
            if let Ok(meta) = file.metadata() {
                if meta.len() > max_bytes {
                    return Err(ReadError::TooLarge(meta.len()));
                }
                size_hint = meta.len();
            }
            Box::new(file)
        }
    };
    let mut bytes = Vec::with_capacity(size_hint as usize + 1);
    reader.take(max_bytes + 1).read_to_end(&mut bytes).map_err(|e| ReadError::Io(io_message(&e)))?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        ReadError::NotUtf8 { offset, lossy: String::from_utf8_lossy(e.as_bytes()).into_owned() }
    })
}

fn read_input(input: &Input, limits: &Limits) -> (String, Read_) {
    let name = match input {
        Input::Stdin => "-".to_string(),
        Input::Path(path) => path.display().to_string(),
    };
    let read = match read_limited(input, limits.max_file_bytes) {
        Ok(text) => Read_::Text(Arc::from(text)),
        Err(ReadError::Io(message)) => Read_::Io(format!("{name}: {message}")),
        Err(ReadError::TooLarge(size)) => too_large(size, limits),
        Err(ReadError::NotUtf8 { offset, lossy }) => {
            let message = format!("not valid UTF-8 (byte {offset}); Kubernetes manifests are UTF-8");
            Read_::Invalid(lossy, offset, message)
        }
    };
    (name, read)
}

fn too_large(size: u64, limits: &Limits) -> Read_ {
    let message = if size > MAX_FILE_BYTES {
        // Positions in a file are 32-bit: no limit lets a larger file in.
        format!(
            "file is {}, and kstor reads files below 4 GiB only; it was not linted",
            format_bytes(size as f64)
        )
    } else {
        format!(
            "file is {}, above the limit of {} (--max-file-size); it was not linted",
            format_bytes(size as f64),
            format_bytes(limits.max_file_bytes.min(MAX_FILE_BYTES) as f64)
        )
    };
    Read_::Invalid(String::new(), 0, message)
}

/// Reads, parses and splits every input into objects.
///
/// Returns an error only when a path given by the user does not exist or a directory cannot
/// be walked; everything else is recorded in the workspace.
pub fn load(inputs: &[Input], options: &LoadOptions) -> Result<Workspace, InputError> {
    let files = collect_files(inputs, options)?;
    let limits = options.limits;
    let parsed: Vec<(String, Read_, Option<ParsedStream>)> = files
        .par_iter()
        .map(|input| {
            let (name, read) = read_input(input, &limits);
            let stream = match &read {
                Read_::Text(text) => Some(parse_shared(Arc::clone(text), &limits)),
                _ => None,
            };
            (name, read, stream)
        })
        .collect();

    let mut workspace = Workspace::default();
    for (name, read, stream) in parsed {
        let (text, invalid) = match read {
            Read_::Text(text) => (text, None),
            Read_::Invalid(text, offset, message) => (Arc::from(text), Some((offset, message))),
            Read_::Io(message) => {
                workspace.io_errors.push(message);
                continue;
            }
        };
        let source = workspace.add_source(SourceFile::new(name, text));
        if let Some((offset, message)) = invalid {
            let span = Span::new(offset, offset);
            workspace.diagnostics.push(Diagnostic { location: Location::Span { source, span }, message });
        }
        if let Some(stream) = stream {
            workspace.add_stream(source, stream);
        }
    }
    Ok(workspace)
}

/// A source's new text, parsed on its own, ready to replace the source in a workspace
/// ([`Workspace::reparse`], [`Workspace::replace`]).
pub struct Reparsed {
    source: SourceId,
    parsed: Workspace,
}

impl Reparsed {
    /// Problems of the new text (syntax errors, documents that are not objects).
    pub fn problems(&self) -> usize {
        self.parsed.diagnostics.len()
    }
}

impl Workspace {
    /// Parses a new text for `source`, without changing the workspace.
    pub fn reparse(&self, source: SourceId, text: String, limits: &Limits) -> Reparsed {
        let mut parsed = Workspace::default();
        parsed.add_text(&self.sources[source.0 as usize].name, text, limits);
        Reparsed { source, parsed }
    }

    /// [`Workspace::reparse`] of several sources, in parallel.
    pub fn reparse_all(&self, texts: Vec<(SourceId, String)>, limits: &Limits) -> Vec<Reparsed> {
        texts.into_par_iter().map(|(source, text)| self.reparse(source, text, limits)).collect()
    }

    /// Problems the loader reported in `source`.
    pub fn problems_in(&self, source: SourceId) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| matches!(d.location, Location::Span { source: s, .. } if s == source))
            .count()
    }

    /// Puts a reparsed source in place of the old one, its objects keeping the old objects'
    /// ids, so the rest of the workspace stays valid. Refused (`false`, nothing changed) when
    /// the new text has a different number of objects: then the workspace must be loaded again.
    /// Only load diagnostics are kept: build the graph again afterwards.
    pub fn replace(&mut self, reparsed: Reparsed) -> bool {
        let Reparsed { source, parsed } = reparsed;
        let slots: Vec<usize> = self
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.origin.source == Some(source))
            .map(|(i, _)| i)
            .collect();
        if slots.len() != parsed.objects.len() {
            return false;
        }
        for (slot, mut object) in slots.into_iter().zip(parsed.objects) {
            object.id = ObjectId(slot as u32);
            object.origin.source = Some(source);
            self.objects[slot] = object;
        }
        let index = source.0 as usize;
        self.sources[index] = Arc::clone(&parsed.sources[0]);
        self.ignore_lines[index] = parsed.ignore_lines.into_iter().next().unwrap_or_default();
        // Graph diagnostics (located on fields) are the graph's to add again.
        self.diagnostics.retain(|d| matches!(d.location, Location::Span { source: s, .. } if s != source));
        self.diagnostics.extend(parsed.diagnostics.into_iter().map(|mut d| {
            if let Location::Span { source: s, .. } = &mut d.location {
                *s = source;
            }
            d
        }));
        true
    }
}

impl Workspace {
    /// Adds a source and returns its id.
    pub fn add_source(&mut self, file: Arc<SourceFile>) -> SourceId {
        let id = SourceId(self.sources.len() as u32);
        self.sources.push(file);
        self.ignore_lines.push(Vec::new());
        id
    }

    /// Parses a text and adds its objects (used for stdin-like inputs held in memory, and tests).
    pub fn add_text(&mut self, name: &str, text: String, limits: &Limits) -> SourceId {
        let text: Arc<str> = Arc::from(text);
        let stream = parse_shared(Arc::clone(&text), limits);
        let source = self.add_source(SourceFile::new(name, text));
        self.add_stream(source, stream);
        source
    }

    fn add_stream(&mut self, source: SourceId, stream: ParsedStream) {
        let file = Arc::clone(&self.sources[source.0 as usize]);
        for error in stream.errors {
            let message = error.message;
            self.diagnostics
                .push(Diagnostic { location: Location::Span { source, span: error.span }, message });
        }
        self.ignore_lines[source.0 as usize] = stream
            .ignore_comments
            .into_iter()
            .map(|c| IgnoreLine { line: file.line_col(c.offset).line, rules: c.rules })
            .collect();
        let tree = Arc::new(stream.tree);
        for document in stream.documents {
            self.add_document(source, &tree, document.index, None, document.root);
        }
    }

    fn add_document(
        &mut self,
        source: SourceId,
        tree: &Arc<Tree>,
        document: usize,
        item: Option<usize>,
        root: u32,
    ) {
        let invalid =
            |message: String, span: Span| Diagnostic { location: Location::Span { source, span }, message };
        let node = tree.node(root);
        let Some(map) = node.as_map() else {
            let message = format!("a Kubernetes object must be a mapping, found {}", node.described());
            let start = node.span().start;
            self.diagnostics.push(invalid(message, Span { start, end: start }));
            return;
        };
        let api_version = map.entry("apiVersion");
        let kind = map.entry("kind");
        if api_version.is_none() && kind.is_none() {
            self.skipped_documents += 1;
            return;
        }
        for (field, entry) in [("apiVersion", api_version), ("kind", kind)] {
            match entry {
                None => {
                    let message = format!("object has no `{field}`");
                    let start = map.first().map(|e| e.key_span.start).unwrap_or(node.span().start);
                    self.diagnostics.push(invalid(message, Span { start, end: start }));
                    return;
                }
                Some(e) if e.value.as_str().is_none_or(str::is_empty) => {
                    let message =
                        format!("`{field}` must be a non-empty string, found {}", e.value.described());
                    self.diagnostics.push(invalid(message, e.value.span()));
                    return;
                }
                Some(_) => {}
            }
        }
        let kind = node.get_str("kind").unwrap_or_default();
        if item.is_none()
            && kind.ends_with("List")
            && let Some(items) = node.get("items").and_then(|n| n.as_seq())
        {
            let items: Vec<u32> = items.iter().map(|n| n.index()).collect();
            for (index, item_node) in items.into_iter().enumerate() {
                self.add_document(source, tree, document, Some(index), item_node);
            }
            return;
        }
        let id = ObjectId(self.objects.len() as u32);
        let origin = Origin { source: Some(source), document, item };
        self.objects.push(Object::new(id, origin, Arc::clone(tree), root));
    }

    /// The source of an object, if it came from a file.
    pub fn source_of(&self, object: ObjectId) -> Option<&Arc<SourceFile>> {
        let origin = self.objects.get(object.0 as usize)?.origin;
        origin.source.map(|s| &self.sources[s.0 as usize])
    }

    /// The object with this id.
    pub fn object(&self, id: ObjectId) -> &Object {
        &self.objects[id.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(files: &[(&str, &str)]) -> Workspace {
        let mut workspace = Workspace::default();
        for (name, text) in files {
            workspace.add_text(name, text.to_string(), &Limits::default());
        }
        workspace
    }

    #[test]
    fn a_replaced_source_reads_as_a_fresh_load_and_keeps_object_ids() {
        let a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
        let b = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n[oops\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let b2 = "# kstor:ignore KS702\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b2}\n---\n[oops\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let c = "apiVersion: v1\nkind: Secret\nmetadata: {name: d}\n";
        let mut workspace = loaded(&[("a.yaml", a), ("b.yaml", b), ("c.yaml", c)]);
        let reparsed = workspace.reparse(SourceId(1), b2.to_string(), &Limits::default());
        assert_eq!(reparsed.problems(), workspace.problems_in(SourceId(1)));
        assert!(workspace.replace(reparsed));
        let fresh = loaded(&[("a.yaml", a), ("b.yaml", b2), ("c.yaml", c)]);
        let view = |w: &Workspace| {
            let objects: Vec<_> = w
                .objects
                .iter()
                .map(|o| (o.id, o.origin.source, o.reference.to_string(), o.root().to_json()))
                .collect();
            let mut diagnostics: Vec<String> = w.diagnostics.iter().map(|d| format!("{d:?}")).collect();
            diagnostics.sort();
            let texts: Vec<String> = w.sources.iter().map(|s| s.text.to_string()).collect();
            (objects, diagnostics, texts, format!("{:?}", w.ignore_lines))
        };
        assert_eq!(view(&workspace), view(&fresh));
        // A text with another number of objects is refused, and nothing changes.
        let reparsed = workspace.reparse(SourceId(0), format!("{a}---\n{a}"), &Limits::default());
        assert!(!workspace.replace(reparsed));
        assert_eq!(view(&workspace), view(&fresh));
    }

    #[test]
    fn no_limit_reads_a_file_of_4_gib_or_more() {
        // A sparse file: its size is refused from the metadata, nothing is read.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.yaml");
        std::fs::File::create(&path).unwrap().set_len(5 << 30).unwrap();
        let input = Input::Path(path.clone());
        assert!(matches!(read_limited(&input, u64::MAX), Err(ReadError::TooLarge(size)) if size == 5 << 30));
        std::fs::File::create(&path).unwrap().set_len(MAX_FILE_BYTES + 1).unwrap();
        assert!(matches!(read_limited(&input, u64::MAX), Err(ReadError::TooLarge(_))));
        // Through the loader, a library caller's limit above the cap gets the capped message.
        let options = LoadOptions {
            limits: Limits { max_file_bytes: u64::MAX, ..Limits::default() },
            ..LoadOptions::default()
        };
        let ws = load(&[Input::Path(path)], &options).unwrap();
        assert!(ws.objects.is_empty());
        assert!(ws.diagnostics[0].message.contains("below 4 GiB only"), "{:?}", ws.diagnostics);
    }

    fn workspace(text: &str) -> Workspace {
        let mut ws = Workspace::default();
        ws.add_text("t.yaml", text.to_string(), &Limits::default());
        ws
    }

    #[test]
    fn expands_lists_and_skips_non_objects() {
        let ws = workspace(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n---\nreplicaCount: 3\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ns}\n",
        );
        let names: Vec<_> = ws.objects.iter().map(|o| o.reference.to_string()).collect();
        assert_eq!(names, vec!["ConfigMap a", "Secret b", "Widget ns/w"]);
        assert_eq!(ws.objects[1].origin.item, Some(1));
        assert_eq!(ws.skipped_documents, 1);
        assert!(ws.diagnostics.is_empty());
    }

    #[test]
    fn reports_objects_without_kind_and_non_mappings() {
        let ws = workspace(
            "apiVersion: v1\nmetadata: {name: a}\n---\n- just\n- a list\n---\napiVersion: v1\nkind: 3\n",
        );
        let messages: Vec<_> = ws.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "object has no `kind`",
                "a Kubernetes object must be a mapping, found a sequence",
                "`kind` must be a non-empty string, found an integer",
            ]
        );
    }

    #[test]
    fn resolves_ignore_comments_to_lines() {
        let ws = workspace("apiVersion: v1\n# kstor:ignore KS601\nkind: Pod\n");
        assert_eq!(ws.ignore_lines[0], vec![IgnoreLine { line: 2, rules: vec!["KS601".into()] }]);
    }
}

/// A location resolved to a source and 1-based positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The source.
    pub source: SourceId,
    /// The byte span.
    pub span: Span,
    /// Start line and column.
    pub start: crate::source::LineCol,
    /// End line and column.
    pub end: crate::source::LineCol,
}

impl Workspace {
    /// Resolves a location to a source position; `None` for objects without a source (read
    /// from an API server).
    pub fn position(&self, location: &Location) -> Option<Position> {
        let (source, span) = match location {
            Location::Span { source, span } => (*source, *span),
            Location::Field { object, path } => {
                let object = self.objects.get(object.0 as usize)?;
                let source = object.origin.source?;
                (source, path.resolve(object.root()).span)
            }
        };
        let file = self.sources.get(source.0 as usize)?;
        Some(Position { source, span, start: file.line_col(span.start), end: file.line_col(span.end) })
    }
}
