//! The list-and-watch fake of `kstor serve`'s tests and benchmark (moved from
//! `tests/support/watch_api.rs`): it answers the watchers' LIST requests with recorded lists
//! (crates/kstor-live/tests/data, or generated ones for the benchmark) and keeps their WATCH
//! requests open, streaming the events a test pushes, as the API server does
//! (newline-delimited `{"type", "object"}` over a chunked response). It checks the bearer
//! token and logs requests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

/// The bearer token the fake accepts.
pub const TOKEN: &str = "kstor-serve-test-token";

/// What kstor serve watches: (group, version, plural, kind).
pub const WATCHED: [(&str, &str, &str, &str); 7] = [
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass"),
    ("storage.k8s.io", "v1", "csidrivers", "CSIDriver"),
    ("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass"),
    ("", "v1", "persistentvolumes", "PersistentVolume"),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot"),
    ("", "v1", "nodes", "Node"),
];

/// The recorded lists (`<dir>/<plural>.json`) of the watched resources, by plural; an error
/// names the file that cannot be read.
pub fn recorded_lists(dir: &Path) -> Result<HashMap<String, Vec<Value>>, String> {
    WATCHED
        .iter()
        .map(|(_, _, plural, _)| {
            let path = dir.join(format!("{plural}.json"));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((plural.to_string(), doc["items"].as_array().cloned().unwrap_or_default()))
        })
        .collect()
}

/// A response body fed by a channel (the watch streams).
struct ChannelBody {
    rx: mpsc::UnboundedReceiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct State {
    lists: HashMap<String, Vec<Value>>,
    watchers: HashMap<String, Vec<mpsc::UnboundedSender<Bytes>>>,
    log: Vec<String>,
}

/// A running fake API server.
#[derive(Clone)]
pub struct FakeApi {
    /// Its address.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    resource_version: Arc<AtomicU64>,
    /// While set, LIST requests wait (the cache cannot sync).
    hold: Arc<AtomicBool>,
    released: Arc<Notify>,
    /// Answer 404 for the snapshot group (CRDs not installed).
    no_snapshots: bool,
}

impl FakeApi {
    /// Serves these lists; `hold` keeps LIST requests waiting until [`FakeApi::release`].
    ///
    /// # Panics
    /// When no port can be bound on 127.0.0.1.
    pub async fn start(lists: HashMap<String, Vec<Value>>, hold: bool, no_snapshots: bool) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port on 127.0.0.1");
        let api = FakeApi {
            addr: listener.local_addr().expect("a bound address"),
            state: Arc::new(Mutex::new(State { lists, watchers: HashMap::new(), log: Vec::new() })),
            resource_version: Arc::new(AtomicU64::new(1000)),
            hold: Arc::new(AtomicBool::new(hold)),
            released: Arc::new(Notify::new()),
            no_snapshots,
        };
        let served = api.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let api = served.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(api.answer(req).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        api
    }

    /// Lets held LIST requests through.
    pub fn release(&self) {
        self.hold.store(false, Ordering::SeqCst);
        self.released.notify_waiters();
    }

    /// Every request line seen (`GET /api/v1/nodes?…`).
    pub fn log(&self) -> Vec<String> {
        lock(&self.state).log.clone()
    }

    /// Sends a watch event (`ADDED`, `MODIFIED`, `DELETED`) to every open watch of the plural,
    /// and applies it to the list later LISTs return.
    pub fn push(&self, plural: &str, event_type: &str, mut object: Value) {
        let rv = self.resource_version.fetch_add(1, Ordering::SeqCst) + 1;
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        let mut state = lock(&self.state);
        let name = object["metadata"]["name"].clone();
        let namespace = object["metadata"]["namespace"].clone();
        let list = state.lists.entry(plural.to_string()).or_default();
        list.retain(|o| !(o["metadata"]["name"] == name && o["metadata"]["namespace"] == namespace));
        if event_type != "DELETED" {
            list.push(object.clone());
        }
        let line = format!("{}\n", json!({ "type": event_type, "object": object }));
        if let Some(senders) = state.watchers.get_mut(plural) {
            senders.retain(|s| s.send(Bytes::from(line.clone())).is_ok());
        }
    }

    /// How many watch connections are open for a plural.
    pub fn watching(&self, plural: &str) -> usize {
        lock(&self.state).watchers.get(plural).map_or(0, |w| w.iter().filter(|s| !s.is_closed()).count())
    }

    /// Writes `dir/kubeconfig` pointing at this server with the test token.
    pub fn kubeconfig(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: {TOKEN}\n",
            self.addr
        );
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    fn json(status: StatusCode, body: Value) -> Response<BoxBody<Bytes, Infallible>> {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())).boxed())
            .expect("valid response parts")
    }

    async fn answer(&self, req: Request<hyper::body::Incoming>) -> Response<BoxBody<Bytes, Infallible>> {
        let path = req.uri().path().to_string();
        let query: HashMap<String, String> = req
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        lock(&self.state).log.push(format!("{} {}", req.method(), req.uri()));
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {TOKEN}"));
        if !authorized {
            return Self::json(
                StatusCode::UNAUTHORIZED,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Unauthorized", "code": 401}),
            );
        }
        if req.method() != hyper::Method::GET {
            return Self::json(StatusCode::METHOD_NOT_ALLOWED, json!({"kind": "Status", "code": 405}));
        }
        let not_found = || {
            Self::json(
                StatusCode::NOT_FOUND,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "the server could not find the requested resource"}),
            )
        };
        if path == "/apis/snapshot.storage.k8s.io/v1" {
            if self.no_snapshots {
                return not_found();
            }
            return Self::json(
                StatusCode::OK,
                json!({
                    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "snapshot.storage.k8s.io/v1",
                    "resources": [
                        {"name": "volumesnapshotclasses", "singularName": "volumesnapshotclass", "namespaced": false, "kind": "VolumeSnapshotClass", "verbs": ["get", "list", "watch"]},
                        {"name": "volumesnapshots", "singularName": "volumesnapshot", "namespaced": true, "kind": "VolumeSnapshot", "verbs": ["get", "list", "watch"]}
                    ]
                }),
            );
        }
        let Some((group, version, plural, kind)) = WATCHED.iter().find(|(g, v, p, _)| {
            let prefix = if g.is_empty() { format!("/api/{v}") } else { format!("/apis/{g}/{v}") };
            path == format!("{prefix}/{p}")
        }) else {
            return not_found();
        };
        if *group == "snapshot.storage.k8s.io" && self.no_snapshots {
            return not_found();
        }
        let api_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        if query.get("watch").is_some_and(|w| w == "true" || w == "1") {
            let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
            lock(&self.state).watchers.entry(plural.to_string()).or_default().push(tx);
            return Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(ChannelBody { rx }.boxed())
                .expect("valid response parts");
        }
        while self.hold.load(Ordering::SeqCst) {
            let waiting = self.released.notified();
            if !self.hold.load(Ordering::SeqCst) {
                break;
            }
            waiting.await;
        }
        let items = lock(&self.state).lists.get(*plural).cloned().unwrap_or_default();
        let rv = self.resource_version.load(Ordering::SeqCst).to_string();
        Self::json(
            StatusCode::OK,
            json!({
                "apiVersion": api_version,
                "kind": format!("{kind}List"),
                "metadata": {"resourceVersion": rv},
                "items": items,
            }),
        )
    }
}
