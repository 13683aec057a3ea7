//! What the server knows: the open documents, the workspace's manifests on disk, the
//! configuration, and the last analysis (graph and findings) of all of them as one bundle, so
//! references resolve across files as `kstor lint DIR` resolves them.
//!
//! An open document's text replaces the file's text on disk. After a change only the changed
//! sources are parsed again ([`Workspace::reparse`]); the graph and the rules run over the
//! whole workspace (they are linear in it). A change that adds or removes objects, or files,
//! loads the workspace again from the texts held here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kstor_model::graph::StorageGraph;
use kstor_model::{Limits, Location, SourceId, Workspace};
use kstor_rules::LintResult;
use lsp_types::Uri;

use crate::config::{self, Loaded, Problem};
use crate::disk;
use crate::uri::{key_of, path_of};

/// An open document.
pub struct Document {
    /// Its URI, as the client sent it.
    pub uri: Uri,
    /// The client's version of the text.
    pub version: i32,
    /// The text.
    pub text: String,
}

/// The graph and findings of the workspace at one point.
pub struct Analysis {
    /// The graph (its workspace holds the texts the spans point into).
    pub graph: StorageGraph,
    /// The findings.
    pub result: LintResult,
    keys: Vec<String>,
    sources: HashMap<String, SourceId>,
}

impl Analysis {
    /// The source of a document key, if the document is part of the analysis.
    pub fn source(&self, key: &str) -> Option<SourceId> {
        self.sources.get(key).copied()
    }

    /// The document key of a source.
    pub fn key(&self, source: SourceId) -> Option<&str> {
        self.keys.get(source.0 as usize).map(String::as_str)
    }

    /// Every `(name, text)` of the analysis, for the engine's fix pipeline.
    pub fn texts(&self) -> Vec<(String, String)> {
        self.graph.workspace.sources.iter().map(|s| (s.name.clone(), s.text.to_string())).collect()
    }
}

/// The server's state.
pub struct State {
    /// The workspace root, when the client named one.
    pub root: Option<PathBuf>,
    /// The configuration in use.
    pub config: Loaded,
    /// Why the config file cannot be used, if it cannot.
    pub config_problem: Option<Problem>,
    /// Open documents by key ([`key_of`]).
    pub open: HashMap<String, Document>,
    /// Manifests read from disk, by key.
    disk: BTreeMap<String, Arc<str>>,
    analysis: Option<Analysis>,
    /// Sources whose text changed since the analysis.
    dirty: BTreeSet<String>,
    /// Whether the set of sources changed (or the config): load everything again.
    rebuild: bool,
}

impl State {
    /// A state for a root; nothing is read until [`State::load_config`] and
    /// [`State::scan_disk`].
    pub fn new(root: Option<PathBuf>) -> Self {
        State {
            root,
            config: Loaded::default(),
            config_problem: None,
            open: HashMap::new(),
            disk: BTreeMap::new(),
            analysis: None,
            dirty: BTreeSet::new(),
            rebuild: true,
        }
    }

    /// (Re)loads the configuration; on a problem the previous configuration stays. Returns
    /// whether the `exclude` patterns changed (the disk must be scanned again).
    pub fn load_config(&mut self) -> bool {
        let before: Vec<String> = self.config.engine.config().exclude.clone();
        match config::load(self.root.as_deref()) {
            Ok(loaded) => {
                self.config = loaded;
                self.config_problem = None;
            }
            Err(problem) => self.config_problem = Some(problem),
        }
        self.rebuild = true;
        self.config.engine.config().exclude != before
    }

    /// Reads the workspace's manifests from disk; returns how many the limits left out.
    pub fn scan_disk(&mut self) -> usize {
        let Some(root) = self.root.clone() else {
            return 0;
        };
        let scan = disk::scan(&root, &self.config.exclude);
        self.disk = scan.files.into_iter().map(|(path, text)| (path.display().to_string(), text)).collect();
        self.rebuild = true;
        scan.left_out
    }

    /// Number of manifests read from disk.
    pub fn disk_files(&self) -> usize {
        self.disk.len()
    }

    /// Whether a key's text takes part in the analysis: not a config file, not excluded.
    fn takes_part(&self, key: &str) -> bool {
        let path = Path::new(key);
        !(path.is_absolute()
            && (config::is_config_name(path) || disk::is_excluded(path, &self.config.exclude)))
    }

    /// A document was opened; `false` when it is not a manifest kstor reads.
    pub fn open(&mut self, uri: Uri, language: &str, version: i32, text: String) -> bool {
        let key = key_of(&uri);
        let path = path_of(&uri);
        let manifest = language.contains("yaml")
            || language.contains("json")
            || path.as_deref().is_some_and(disk::is_manifest_path);
        if !manifest {
            return false;
        }
        self.open.insert(key.clone(), Document { uri, version, text });
        self.touch(&key);
        true
    }

    /// A document changed: `changes` applied in order. `false` for a document not open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: impl IntoIterator<Item = (Option<lsp_types::Range>, String)>,
    ) -> bool {
        let key = key_of(uri);
        let Some(document) = self.open.get_mut(&key) else {
            return false;
        };
        for (range, text) in changes {
            crate::position::apply_change(&mut document.text, range, &text);
        }
        document.version = version;
        self.touch(&key);
        true
    }

    /// A document was closed: its file's text on disk takes its place (or it leaves the
    /// workspace). Returns its key when it was open.
    pub fn close(&mut self, uri: &Uri) -> Option<String> {
        let key = key_of(uri);
        self.open.remove(&key)?;
        self.refresh_from_disk(&key);
        Some(key)
    }

    /// A file changed on disk (created, changed or deleted): read again unless it is open.
    pub fn file_changed(&mut self, path: &Path) {
        let key = path.display().to_string();
        if !self.open.contains_key(&key) {
            self.refresh_from_disk(&key);
        }
    }

    /// The key's text from disk, when the file is one of the workspace's manifests.
    fn refresh_from_disk(&mut self, key: &str) {
        let path = Path::new(key);
        let text = match &self.root {
            Some(root) if disk::is_workspace_manifest(root, path, &self.config.exclude) => disk::read(path),
            _ => None,
        };
        match text {
            Some(text) => {
                if self.disk.get(key).is_none_or(|old| *old != text) {
                    self.disk.insert(key.to_string(), text);
                    self.touch(key);
                }
            }
            None => {
                self.disk.remove(key);
                // Gone from the workspace (closed and not on disk, or deleted).
                if self.analysis.as_ref().is_some_and(|a| a.source(key).is_some()) {
                    self.rebuild = true;
                }
            }
        }
    }

    fn touch(&mut self, key: &str) {
        if !self.takes_part(key) {
            return;
        }
        match &self.analysis {
            Some(analysis) if analysis.source(key).is_some() => {
                self.dirty.insert(key.to_string());
            }
            _ => self.rebuild = true,
        }
    }

    /// Whether the analysis is out of date.
    pub fn is_stale(&self) -> bool {
        self.rebuild || !self.dirty.is_empty() || self.analysis.is_none()
    }

    /// Drops the analysis (after a panic in it): the next one loads everything again.
    pub fn reset(&mut self) {
        self.analysis = None;
        self.rebuild = true;
    }

    /// The current text of a key: the open document's, else the file's.
    fn text_of(&self, key: &str) -> Option<&str> {
        match self.open.get(key) {
            Some(document) => Some(&document.text),
            None => self.disk.get(key).map(|t| &**t),
        }
    }

    /// The analysis, brought up to date.
    pub fn analyze(&mut self) -> &Analysis {
        if self.is_stale() {
            let analysis = match self.analysis.take() {
                Some(previous) if !self.rebuild => self.update(previous),
                _ => None,
            };
            let analysis = analysis.unwrap_or_else(|| self.load_all());
            self.analysis = Some(analysis);
            self.dirty.clear();
            self.rebuild = false;
        }
        self.analysis.as_ref().expect("analysed above")
    }

    /// The analysis if it is up to date (requests flush pending changes first).
    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref()
    }

    /// The previous analysis with the dirty sources parsed again, or `None` when a source's
    /// objects changed in number (then everything is loaded again).
    fn update(&self, mut previous: Analysis) -> Option<Analysis> {
        let mut workspace = std::mem::take(&mut previous.graph.workspace);
        let texts: Vec<(SourceId, String)> = self
            .dirty
            .iter()
            .filter_map(|key| Some((previous.source(key)?, self.text_of(key)?.to_string())))
            .collect();
        if texts.len() != self.dirty.len() {
            return None;
        }
        for reparsed in workspace.reparse_all(texts, &Limits::default()) {
            if !workspace.replace(reparsed) {
                return None;
            }
        }
        // Diagnostics the graph added are added again by the next build.
        workspace.diagnostics.retain(|d| matches!(d.location, Location::Span { .. }));
        let (graph, result) = self.config.engine.lint_workspace(workspace);
        Some(Analysis { graph, result, keys: previous.keys, sources: previous.sources })
    }

    /// Every text loaded and linted afresh.
    fn load_all(&self) -> Analysis {
        let mut keys: BTreeSet<&str> = self.disk.keys().map(String::as_str).collect();
        keys.extend(self.open.keys().map(String::as_str).filter(|k| self.takes_part(k)));
        let mut workspace = Workspace::default();
        let limits = Limits::default();
        for key in &keys {
            let text = self.text_of(key).unwrap_or_default();
            workspace.add_text(key, text.to_string(), &limits);
        }
        let keys: Vec<String> = keys.into_iter().map(str::to_string).collect();
        let sources = keys.iter().enumerate().map(|(i, k)| (k.clone(), SourceId(i as u32))).collect();
        let (graph, result) = self.config.engine.lint_workspace(workspace);
        Analysis { graph, result, keys, sources }
    }
}
