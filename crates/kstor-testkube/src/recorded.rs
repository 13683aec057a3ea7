//! The read-only fake of `kstor audit`'s live-path tests (moved from kstor-live's
//! `tests/common`): it serves recorded lists (`<data dir>/<plural>.json`, as the API server
//! returns them) under their real API paths, paginates them with `limit` / `continue`, checks
//! the bearer token, logs every request, and can answer 403 for some resources, 404 for the
//! snapshot group or some resources, and slowly.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The bearer token the fake accepts.
pub const TOKEN: &str = "kstor-test-token-prod-3f9a";

/// A resource type to serve from a recorded list.
#[derive(Debug, Clone, Copy)]
pub struct RecordedType<'a> {
    /// API group (`""` for core).
    pub group: &'a str,
    /// API version.
    pub version: &'a str,
    /// Plural (the file is `<plural>.json`).
    pub plural: &'a str,
    /// Kind (the file's kind is `<Kind>List`).
    pub kind: &'a str,
    /// Whether objects are namespaced.
    pub namespaced: bool,
}

/// A recorded list: the file `<data dir>/<plural>.json` as the API server returns it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural.
    pub plural: String,
    /// Kind of the items.
    pub kind: String,
    /// Whether the items are namespaced.
    pub namespaced: bool,
    /// Kind of the list (`<Kind>List`).
    pub list_kind: String,
    /// The list's resourceVersion.
    pub resource_version: String,
    /// The items, as recorded.
    pub items: Vec<Value>,
}

/// Reads the recorded lists of `types` from `data_dir`; an error names the file and what is
/// wrong with it (missing, not JSON, another apiVersion or kind).
pub fn recorded(data_dir: &Path, types: &[RecordedType<'_>]) -> Result<Vec<Recorded>, String> {
    types
        .iter()
        .map(|r| {
            let path = data_dir.join(format!("{}.json", r.plural));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let api_version =
                if r.group.is_empty() { r.version.to_string() } else { format!("{}/{}", r.group, r.version) };
            let list_kind = format!("{}List", r.kind);
            if doc["apiVersion"] != api_version.as_str() || doc["kind"] != list_kind.as_str() {
                return Err(format!("{}: not a {api_version} {list_kind}", path.display()));
            }
            Ok(Recorded {
                group: r.group.into(),
                version: r.version.into(),
                plural: r.plural.into(),
                kind: r.kind.into(),
                namespaced: r.namespaced,
                list_kind,
                resource_version: doc["metadata"]["resourceVersion"].as_str().unwrap_or("1").into(),
                items: doc["items"].as_array().cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// How the fake cluster behaves.
#[derive(Default, Clone)]
pub struct Behaviour {
    /// Plurals whose lists answer 403 in every scope.
    pub forbidden: HashSet<String>,
    /// Answer 404 for the whole snapshot.storage.k8s.io group (CRDs not installed).
    pub no_snapshot_group: bool,
    /// Plurals missing from an otherwise served group (list path 404, absent from discovery).
    pub missing: HashSet<String>,
    /// Delay before each answer.
    pub delay: Duration,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `GET`, ….
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The decoded query parameters.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

impl Logged {
    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A running recorded-lists server.
pub struct FakeApi {
    /// Its address.
    pub addr: SocketAddr,
    /// Every request, in order.
    pub log: Arc<Mutex<Vec<Logged>>>,
    /// The continue tokens handed out, in order, with the path they belong to.
    pub tokens: Arc<Mutex<Vec<(String, String)>>>,
    /// The most requests answered at the same time.
    pub max_in_flight: Arc<AtomicUsize>,
}

impl FakeApi {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct State {
    behaviour: Behaviour,
    lists: Vec<Recorded>,
    log: Arc<Mutex<Vec<Logged>>>,
    /// token → (path, offset)
    cursors: Mutex<HashMap<String, (String, usize)>>,
    tokens: Arc<Mutex<Vec<(String, String)>>>,
    in_flight: AtomicUsize,
    max_in_flight: Arc<AtomicUsize>,
}

/// Starts the fake API server on 127.0.0.1:0 on the current tokio runtime, serving `lists`.
///
/// # Panics
/// When no port can be bound on 127.0.0.1.
pub async fn start(lists: Vec<Recorded>, behaviour: Behaviour) -> FakeApi {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port on 127.0.0.1");
    let addr = listener.local_addr().expect("a bound address");
    let log = Arc::new(Mutex::new(Vec::new()));
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let state = Arc::new(State {
        behaviour,
        lists,
        log: log.clone(),
        cursors: Mutex::new(HashMap::new()),
        tokens: tokens.clone(),
        in_flight: AtomicUsize::new(0),
        max_in_flight: max_in_flight.clone(),
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, std::convert::Infallible>(state.answer(req).await) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    FakeApi { addr, log, tokens, max_in_flight }
}

/// A server that accepts connections and never answers.
///
/// # Panics
/// When no port can be bound on 127.0.0.1.
pub async fn start_silent() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port on 127.0.0.1");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// An address nothing listens on.
///
/// # Panics
/// When no port can be bound on 127.0.0.1.
pub fn refused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
    listener.local_addr().expect("a bound address")
}

fn respond(code: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .header("content-type", content_type)
        .header("audit-id", "6c2f9e1a-0b7d-4e3f-9a8c-5d4b3a2f1e0d")
        .body(Full::new(Bytes::from(body)))
        .expect("valid response parts")
}

fn status(code: StatusCode, reason: &str, message: String, details: Value) -> Response<Full<Bytes>> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code.as_u16(),
    });
    respond(code, "application/json", body.to_string())
}

fn not_found() -> Response<Full<Bytes>> {
    // What the API server answers for a path no group serves: plain text, not a Status.
    respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "404 page not found\n".into())
}

impl State {
    async fn answer(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.behaviour.delay.is_zero() {
            tokio::time::sleep(self.behaviour.delay).await;
        }
        let response = self.route(&req);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        response
    }

    fn route(&self, req: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_string();
        let query: Vec<(String, String)> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let authorization =
            req.headers().get("authorization").map(|v| v.to_str().unwrap_or("<not ascii>").to_string());
        let logged = Logged { method: req.method().to_string(), path: path.clone(), query, authorization };
        self.log.lock().unwrap_or_else(|e| e.into_inner()).push(logged.clone());

        if logged.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized".into(), json!({}));
        }
        if logged.method != "GET" {
            return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "read-only".into(), json!({}));
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", v, rest @ ..] => ("", *v, rest),
            ["apis", g, v, rest @ ..] => (*g, *v, rest),
            _ => return not_found(),
        };
        if group == "snapshot.storage.k8s.io" && self.behaviour.no_snapshot_group {
            return not_found();
        }
        let (namespace, plural) = match rest {
            [] => return self.discovery(group, version),
            [plural] => (None, *plural),
            ["namespaces", ns, plural] => (Some(*ns), *plural),
            _ => return not_found(),
        };
        let Some(list) =
            self.lists.iter().find(|l| l.group == group && l.version == version && l.plural == plural)
        else {
            return not_found();
        };
        if self.behaviour.missing.contains(plural) {
            return not_found();
        }
        if self.behaviour.forbidden.contains(plural) {
            let scope = match namespace {
                Some(ns) => format!("in the namespace \"{ns}\""),
                None => "at the cluster scope".to_string(),
            };
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "{plural} is forbidden: User \"system:serviceaccount:kstor:kstor-audit\" cannot list resource \"{plural}\" in API group \"{group}\" {scope}"
                ),
                json!({"kind": plural}),
            );
        }
        let items: Vec<&Value> = list
            .items
            .iter()
            .filter(|item| namespace.is_none_or(|ns| item["metadata"]["namespace"].as_str() == Some(ns)))
            .collect();
        let start = match logged.param("continue") {
            None | Some("") => 0,
            Some(token) => match self.cursors.lock().unwrap_or_else(|e| e.into_inner()).get(token) {
                Some((p, offset)) if *p == path => *offset,
                _ => {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "continue key is not valid: incorrect encoded start resourceVersion".into(),
                        json!({}),
                    );
                }
            },
        };
        let limit = logged.param("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
        let end = limit.map_or(items.len(), |l| (start + l).min(items.len()));
        let mut metadata = json!({"resourceVersion": list.resource_version});
        if end < items.len() {
            let next = items[end - 1]["metadata"]["name"].as_str().unwrap_or_default();
            let token = base64(
                &json!({"v": "meta.k8s.io/v1", "rv": list.resource_version.parse::<u64>().unwrap_or(1), "start": format!("{next}\u{0}")})
                    .to_string(),
            );
            self.cursors.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone(), (path.clone(), end));
            self.tokens.lock().unwrap_or_else(|e| e.into_inner()).push((path.clone(), token.clone()));
            metadata["continue"] = json!(token);
            metadata["remainingItemCount"] = json!(items.len() - end);
        }
        let body = json!({
            "kind": list.list_kind,
            "apiVersion": if group.is_empty() { version.to_string() } else { format!("{group}/{version}") },
            "metadata": metadata,
            "items": items[start..end],
        });
        respond(StatusCode::OK, "application/json", body.to_string())
    }

    fn discovery(&self, group: &str, version: &str) -> Response<Full<Bytes>> {
        let resources: Vec<Value> = self
            .lists
            .iter()
            .filter(|r| r.group == group && r.version == version && !self.behaviour.missing.contains(&r.plural))
            .map(|r| {
                json!({"name": r.plural, "singularName": r.kind.to_lowercase(), "namespaced": r.namespaced,
                       "kind": r.kind, "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]})
            })
            .collect();
        if resources.is_empty() {
            return not_found();
        }
        let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        let body = json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources});
        respond(StatusCode::OK, "application/json", body.to_string())
    }
}

fn base64(input: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes `dir/kubeconfig` with two contexts: `staging` (current, pointing at
/// `staging_server` with another token) and `prod` (pointing at `prod_server` with
/// `prod_token`).
pub fn kubeconfig(
    dir: &Path,
    prod_server: &str,
    staging_server: &str,
    prod_token: &str,
) -> std::io::Result<PathBuf> {
    let path = dir.join("kubeconfig");
    let text = format!(
        r#"apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: staging
  cluster:
    server: {staging_server}
- name: prod-eks
  cluster:
    server: {prod_server}
contexts:
- name: staging
  context:
    cluster: staging
    user: staging-admin
    namespace: default
- name: prod
  context:
    cluster: prod-eks
    user: kstor-audit
users:
- name: staging-admin
  user:
    token: staging-token-not-for-prod
- name: kstor-audit
  user:
    token: {prod_token}
"#
    );
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}
