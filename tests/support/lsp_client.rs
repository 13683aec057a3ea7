//! A minimal LSP client for tests and the latency benchmark: spawns `kstor lsp`, writes
//! Content-Length-framed JSON-RPC to its stdin and reads its stdout on a thread. Requests the
//! server sends (`client/registerCapability`) are answered with `null`.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any expected message may take (generous: debug builds on a busy 2-core machine).
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A running server and what it sent that was not consumed yet.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<(Instant, Value)>,
    pending: VecDeque<(Instant, Value)>,
    next_id: i64,
}

/// Reads one framed message.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Starts `binary args…` with piped stdin/stdout (stderr inherited).
    pub fn spawn(binary: &Path, args: &[&str]) -> Client {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send((Instant::now(), message)).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, messages, pending: VecDeque::new(), next_id: 0 }
    }

    /// Writes one message.
    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole response: `result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none()).1
    }

    /// Sends a request and returns its `result` (panics on an error response).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// The next message from the server (queued ones first), answering server requests.
    fn next(&mut self, deadline: Instant) -> Option<(Instant, Value)> {
        if let Some(message) = self.pending.pop_front() {
            return Some(message);
        }
        let timeout = deadline.saturating_duration_since(Instant::now());
        let (at, message) = self.messages.recv_timeout(timeout).ok()?;
        if message.get("method").is_some() && message.get("id").is_some() {
            let id = message["id"].clone();
            self.send(&json!({"jsonrpc": "2.0", "id": id, "result": null}));
        }
        Some((at, message))
    }

    /// Waits for the first message matching `matches` (others stay queued, in order), with the
    /// time it was read.
    pub fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> (Instant, Value) {
        self.try_wait_for(TIMEOUT, matches).unwrap_or_else(|| {
            let seen: Vec<String> = self.pending.iter().map(|(_, m)| m.to_string()).collect();
            panic!("no expected message within {TIMEOUT:?}; unconsumed: {seen:#?}")
        })
    }

    /// [`Client::wait_for`] with a timeout, `None` when nothing matched in time.
    pub fn try_wait_for(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Option<(Instant, Value)> {
        let deadline = Instant::now() + timeout;
        let mut skipped = VecDeque::new();
        let found = loop {
            // Queued messages are looked at once, then new ones as they come.
            let Some((at, message)) = self.next(deadline) else { break None };
            if matches(&message) {
                break Some((at, message));
            }
            skipped.push_back((at, message));
            if self.pending.is_empty() && Instant::now() >= deadline {
                break None;
            }
        };
        skipped.extend(self.pending.drain(..));
        self.pending = skipped;
        found
    }

    /// The next `publishDiagnostics` for `uri`: its params.
    pub fn diagnostics(&mut self, uri: &str) -> Value {
        self.wait_for(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri).1["params"]
            .clone()
    }

    /// Drops every queued message.
    pub fn clear(&mut self) {
        self.pending.clear();
        while self.messages.try_recv().is_ok() {}
    }

    /// `initialize` (with the given root and options) and `initialized`; returns the result.
    pub fn initialize(&mut self, root_uri: &str, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": [{"uri": root_uri, "name": "workspace"}],
                "capabilities": {
                    "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
                    "textDocument": {"publishDiagnostics": {"relatedInformation": true, "versionSupport": true}},
                },
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// `shutdown`, `exit`, and the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        self.stdin.take();
        self.wait()
    }

    /// Waits for the process to end (bounded: killed after [`TIMEOUT`]).
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Closes stdin without shutdown and waits for the exit status.
    pub fn close(mut self) -> ExitStatus {
        self.stdin.take();
        self.wait()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `file://` URI of an absolute path (ASCII test paths need no escaping).
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Applies LSP text edits (UTF-16 positions, non-overlapping) to a text.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut resolved: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let start = offset(text, &e["range"]["start"]);
            let end = offset(text, &e["range"]["end"]);
            (start, end, e["newText"].as_str().unwrap().to_string())
        })
        .collect();
    resolved.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::new();
    let mut at = 0;
    for (start, end, new) in resolved {
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The byte offset of an LSP position (`{"line", "character"}` in UTF-16 units).
pub fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The LSP position (UTF-16) of a byte offset.
pub fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}
