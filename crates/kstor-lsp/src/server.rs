//! The server loop: initialize, then notifications and requests one at a time on this
//! thread. Changes are debounced: the first change after a quiet moment opens a window of
//! [`Options::debounce`]; every message that arrives in it is taken in, then the workspace is
//! analysed once and the diagnostics published. A request that reads the analysis (hover,
//! code actions) first flushes pending changes, so it always sees the text it was asked about.

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self, Notification as _};
use lsp_types::request::{self, Request as _};
use lsp_types::{
    CodeActionOptions, CodeActionProviderCapability, Diagnostic, DidChangeWatchedFilesRegistrationOptions,
    FileSystemWatcher, GlobPattern, Hover, HoverContents, HoverProviderCapability, MarkupContent, MarkupKind,
    MessageType, PositionEncodingKind, PublishDiagnosticsParams, Registration, RegistrationParams,
    SaveOptions, ServerCapabilities, ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

use crate::diagnostics::{self, Locator};
use crate::state::State;
use crate::uri::{key_of, path_of, uri_of};
use crate::{actions, config, hover};

/// The debounce when the client does not set `initializationOptions.debounceMs`.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(20);
/// The longest debounce accepted.
pub const MAX_DEBOUNCE: Duration = Duration::from_secs(2);

/// Settings from `initializationOptions`.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How long to collect changes before analysing.
    pub debounce: Duration,
}

impl Options {
    /// `{"debounceMs": 20}`; anything missing or invalid keeps the default.
    pub fn from_initialization(options: Option<&Value>) -> Options {
        let debounce = options
            .and_then(|o| o.get("debounceMs"))
            .and_then(Value::as_u64)
            .map_or(DEFAULT_DEBOUNCE, |ms| Duration::from_millis(ms).min(MAX_DEBOUNCE));
        Options { debounce }
    }
}

/// The workspace root of `initialize`: the first workspace folder, else `rootUri`, else
/// `rootPath`.
pub fn root_of(params: &Value) -> Option<PathBuf> {
    let folder = params.pointer("/workspaceFolders/0/uri").and_then(Value::as_str);
    let uri = folder.or_else(|| params.get("rootUri").and_then(Value::as_str));
    if let Some(uri) = uri.and_then(|u| u.parse::<Uri>().ok()) {
        return path_of(&uri);
    }
    params.get("rootPath").and_then(Value::as_str).map(PathBuf::from)
}

/// What the server offers.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX, actions::fix_all_kind()]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Runs the protocol on a connection until `shutdown` and `exit` (`Ok`) or until the client
/// goes away or breaks the protocol (`Err`).
pub fn run(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": {"name": "kstor", "version": env!("CARGO_PKG_VERSION")},
    });
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;
    let options = Options::from_initialization(params.get("initializationOptions"));
    let watch = params
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut server = Server::new(connection, root_of(&params), options);
    server.start(watch);
    server.main_loop()
}

struct Server<'c> {
    connection: &'c Connection,
    state: State,
    options: Options,
    /// When the pending changes are analysed.
    deadline: Option<Instant>,
    /// Documents changed since the last publication: published even when unchanged, so each
    /// change of a document is answered.
    changed: BTreeSet<String>,
    /// What was last published per document key.
    published: HashMap<String, Vec<Diagnostic>>,
    /// The config file a problem was published on.
    config_diagnostic: Option<PathBuf>,
    next_request: i32,
}

impl<'c> Server<'c> {
    fn new(connection: &'c Connection, root: Option<PathBuf>, options: Options) -> Self {
        Server {
            connection,
            state: State::new(root),
            options,
            deadline: None,
            changed: BTreeSet::new(),
            published: HashMap::new(),
            config_diagnostic: None,
            next_request: 0,
        }
    }

    /// Loads the configuration and the manifests on disk, and asks the client to watch them.
    fn start(&mut self, watch: bool) {
        self.state.load_config();
        let left_out = self.state.scan_disk();
        self.log(
            MessageType::INFO,
            format!(
                "kstor {}: workspace {}, {} manifests on disk, config {}",
                env!("CARGO_PKG_VERSION"),
                self.state.root.as_ref().map_or("none".into(), |r| r.display().to_string()),
                self.state.disk_files(),
                self.state.config.path.as_ref().map_or("none (defaults)".into(), |p| p.display().to_string()),
            ),
        );
        if left_out > 0 {
            self.log(
                MessageType::WARNING,
                format!(
                    "{left_out} manifests were not read: above {} files, {} MiB per file or {} MiB in all",
                    crate::disk::MAX_FILES,
                    crate::disk::MAX_FILE_BYTES >> 20,
                    crate::disk::MAX_TOTAL_BYTES >> 20
                ),
            );
        }
        self.config_changed();
        if watch {
            let watchers = ["**/*.{yaml,yml,json}", "**/.kstor.{yaml,yml}"]
                .into_iter()
                .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.into()), kind: None })
                .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            let registration = Registration {
                id: "kstor-watched-files".into(),
                method: notification::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(options).ok(),
            };
            self.request(
                request::RegisterCapability::METHOD,
                RegistrationParams { registrations: vec![registration] },
            );
        }
    }

    fn main_loop(&mut self) -> Result<(), String> {
        let connection = self.connection;
        let receiver = &connection.receiver;
        loop {
            let message = match self.deadline {
                Some(deadline) => {
                    match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(message) => message,
                        Err(e) if e.is_timeout() => {
                            self.flush();
                            continue;
                        }
                        Err(_) => return Err("the client closed the connection".into()),
                    }
                }
                None => receiver.recv().map_err(|_| "the client closed the connection".to_string())?,
            };
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    self.handle_request(request);
                }
                Message::Notification(notification) => {
                    if notification.method == notification::Exit::METHOD {
                        return Err("exit without shutdown".into());
                    }
                    self.handle_notification(notification);
                }
                // Answers to our registration request.
                Message::Response(_) => {}
            }
        }
    }

    fn schedule(&mut self) {
        if self.deadline.is_none() {
            self.deadline = Some(Instant::now() + self.options.debounce);
        }
    }

    /// Analyses pending changes and publishes what changed.
    fn flush(&mut self) {
        self.deadline = None;
        if self.state.is_stale() {
            let analysed = catch_unwind(AssertUnwindSafe(|| {
                self.state.analyze();
            }));
            if analysed.is_err() {
                self.state.reset();
                self.log(
                    MessageType::ERROR,
                    "kstor: internal error while linting (a bug; please report it)".into(),
                );
                return;
            }
        }
        self.publish();
    }

    fn publish(&mut self) {
        let Some(analysis) = self.state.analysis() else {
            return;
        };
        let changed = std::mem::take(&mut self.changed);
        let mut locator = Locator::new(analysis, &self.state.open);
        let mut out = Vec::new();
        for (key, document) in &self.state.open {
            let path = std::path::Path::new(key);
            if path.is_absolute() && config::is_config_name(path) {
                continue;
            }
            let diagnostics =
                analysis.source(key).map(|s| diagnostics::for_source(&mut locator, s)).unwrap_or_default();
            let previous = self.published.get(key);
            if changed.contains(key) || previous.is_none_or(|p| *p != diagnostics) {
                out.push((key.clone(), document.uri.clone(), document.version, diagnostics));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, uri, version, diagnostics) in out {
            self.published.insert(key, diagnostics.clone());
            self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: Some(version),
            });
        }
    }

    /// Publishes (or clears) the config problem and tells the user about a new one.
    fn config_changed(&mut self) {
        if let Some(path) = self.config_diagnostic.take()
            && let Some(uri) = uri_of(&path)
        {
            self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
        if let Some(problem) = self.state.config_problem.clone() {
            self.notify::<notification::ShowMessage>(ShowMessageParams {
                typ: MessageType::ERROR,
                message: format!(
                    "kstor: invalid configuration, the previous one stays in use: {}",
                    problem.message
                ),
            });
            if let Some(uri) = uri_of(&problem.path) {
                self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                    uri,
                    diagnostics: vec![diagnostics::config_problem(&problem)],
                    version: None,
                });
                self.config_diagnostic = Some(problem.path);
            }
        }
    }

    fn reload_config(&mut self) {
        if self.state.load_config() {
            self.state.scan_disk();
        }
        self.config_changed();
        // Every open document's findings may change.
        self.changed.extend(self.state.open.keys().cloned());
        self.schedule();
    }

    fn handle_notification(&mut self, n: Notification) {
        match n.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidOpenTextDocumentParams>(self, n) {
                    let document = p.text_document;
                    let key = key_of(&document.uri);
                    if self.state.open(document.uri, &document.language_id, document.version, document.text) {
                        self.changed.insert(key);
                        self.schedule();
                    }
                }
            }
            notification::DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidChangeTextDocumentParams>(self, n) {
                    let changes = p.content_changes.into_iter().map(|c| (c.range, c.text));
                    if self.state.change(&p.text_document.uri, p.text_document.version, changes) {
                        self.changed.insert(key_of(&p.text_document.uri));
                        self.schedule();
                    }
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidCloseTextDocumentParams>(self, n) {
                    let uri = p.text_document.uri;
                    if let Some(key) = self.state.close(&uri) {
                        self.changed.remove(&key);
                        if self.published.remove(&key).is_some() {
                            self.notify::<notification::PublishDiagnostics>(PublishDiagnosticsParams {
                                uri,
                                diagnostics: Vec::new(),
                                version: None,
                            });
                        }
                        self.schedule();
                    }
                }
            }
            notification::DidSaveTextDocument::METHOD => {
                if let Some(p) = params::<lsp_types::DidSaveTextDocumentParams>(self, n) {
                    let is_config = match (&self.state.root, path_of(&p.text_document.uri)) {
                        (Some(root), Some(path)) => config::is_config_of(root, &path),
                        _ => false,
                    };
                    if is_config {
                        self.reload_config();
                    }
                }
            }
            notification::DidChangeWatchedFiles::METHOD => {
                if let Some(p) = params::<lsp_types::DidChangeWatchedFilesParams>(self, n) {
                    let mut config_changed = false;
                    for change in p.changes {
                        let Some(path) = path_of(&change.uri) else { continue };
                        match &self.state.root {
                            Some(root) if config::is_config_of(root, &path) => config_changed = true,
                            _ => self.state.file_changed(&path),
                        }
                    }
                    if config_changed {
                        self.reload_config();
                    } else if self.state.is_stale() {
                        self.schedule();
                    }
                }
            }
            // `initialized` (sent twice by no client), `$/cancelRequest`, `$/setTrace`, …
            _ => {}
        }
    }

    fn handle_request(&mut self, r: Request) {
        let id = r.id.clone();
        let answer = catch_unwind(AssertUnwindSafe(|| self.answer(r)));
        let response = match answer {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                "kstor: internal error (a bug; please report it)".into(),
            ),
        };
        self.send(response.into());
    }

    fn answer(&mut self, r: Request) -> Result<Value, (ErrorCode, String)> {
        let invalid = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match r.method.as_str() {
            request::HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = serde_json::from_value(r.params).map_err(invalid)?;
                self.flush();
                let position = p.text_document_position_params;
                Ok(serde_json::to_value(self.hover(&position.text_document.uri, position.position))
                    .unwrap_or_default())
            }
            request::CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = serde_json::from_value(r.params).map_err(invalid)?;
                self.flush();
                let Some(analysis) = self.state.analysis() else {
                    return Ok(Value::Null);
                };
                let actions = actions::code_actions(
                    analysis,
                    &self.state.open,
                    &self.state.config.engine,
                    &key_of(&p.text_document.uri),
                    p.range,
                    p.context.only.as_deref(),
                );
                Ok(serde_json::to_value(actions).unwrap_or_default())
            }
            _ => Err((ErrorCode::MethodNotFound, format!("kstor does not handle {}", r.method))),
        }
    }

    fn hover(&self, uri: &Uri, position: lsp_types::Position) -> Option<Hover> {
        let analysis = self.state.analysis()?;
        let source = analysis.source(&key_of(uri))?;
        let text = &analysis.graph.workspace.sources.get(source.0 as usize)?.text;
        let index = crate::position::LineIndex::new(text);
        let (span, markdown) = hover::hover(&analysis.graph, source, index.offset(position))?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
            range: Some(index.range(span.start as usize, span.end as usize)),
        })
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify::<notification::LogMessage>(lsp_types::LogMessageParams { typ, message });
    }

    fn notify<N: notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    fn request(&mut self, method: &str, params: impl serde::Serialize) {
        self.next_request += 1;
        let id = RequestId::from(format!("kstor-{}", self.next_request));
        self.send(Request::new(id, method.to_string(), params).into());
    }

    fn send(&self, message: Message) {
        // The client is gone: the main loop ends on the closed receiver.
        let _ = self.connection.sender.send(message);
    }
}

/// A notification's parameters, or `None` (logged) when they do not parse.
fn params<P: serde::de::DeserializeOwned>(server: &Server<'_>, n: Notification) -> Option<P> {
    match serde_json::from_value(n.params) {
        Ok(p) => Some(p),
        Err(e) => {
            server.log(MessageType::WARNING, format!("kstor: ignored {}: {e}", n.method));
            None
        }
    }
}
