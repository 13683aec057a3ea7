//! The HTTP API server on 127.0.0.1: bearer-token authentication, discovery, access reviews,
//! and GET / LIST (selectors, pagination, watch) / POST / PUT / PATCH / DELETE of every
//! served resource and its `/status`, with `Status` error bodies. It can be stopped (the port
//! refuses connections) and restarted on the same port with the same cluster.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::api::PatchKind;
use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::resources::{self, ResourceType};
use crate::select::Selector;

type Body = BoxBody<Bytes, Infallible>;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The URL path.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The response's HTTP status (0 for a watch still streaming when logged).
    pub status: u16,
}

impl Logged {
    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The running tasks of one listening period.
#[derive(Default)]
struct Tasks {
    accept: Option<tokio::task::JoinHandle<()>>,
    connections: Vec<AbortHandle>,
}

/// A running API server over a [`Cluster`].
pub struct ApiServer {
    cluster: Cluster,
    addr: SocketAddr,
    runtime: tokio::runtime::Handle,
    log: Arc<Mutex<Vec<Logged>>>,
    tasks: Arc<Mutex<Tasks>>,
}

fn json_response(code: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .header("audit-id", "0f2c6a7e-3b1d-4c5e-9f8a-testkube")
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .expect("valid response parts")
}

fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.status())
}

/// What the API server answers for a path nothing serves: plain text, not a Status.
fn page_not_found() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from_static(b"404 page not found\n")).boxed())
        .expect("valid response parts")
}

/// A response body fed by a channel (watch streams).
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

impl ApiServer {
    /// Starts the server on `127.0.0.1` (a free port) and the cluster's controllers, on the
    /// current tokio runtime.
    pub async fn start(cluster: Cluster) -> io::Result<ApiServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let server = ApiServer {
            addr: listener.local_addr()?,
            cluster,
            runtime: tokio::runtime::Handle::current(),
            log: Arc::new(Mutex::new(Vec::new())),
            tasks: Arc::new(Mutex::new(Tasks::default())),
        };
        server.cluster.start_controllers();
        server.serve(listener);
        Ok(server)
    }

    /// The cluster served.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The listening address (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes `dir/kubeconfig` (atomically) pointing at this server: cluster, user and
    /// context [`crate::CONTEXT`], the cluster's bearer token, namespace `default`.
    pub fn kubeconfig(&self, dir: &Path) -> io::Result<PathBuf> {
        let token = self.cluster.config().token;
        let context = crate::CONTEXT;
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {context}\nclusters:\n- name: {context}\n  cluster:\n    server: {}\ncontexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\n    namespace: default\nusers:\n- name: {context}\n  user:\n    token: {token}\n",
            self.url()
        );
        let path = dir.join("kubeconfig");
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        io::Write::write_all(&mut file, text.as_bytes())?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(path)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops serving: the port refuses new connections and open ones (watches included) are
    /// closed. The cluster and its controllers keep running. Waits (up to a second) until the
    /// listener is closed; call it from outside the runtime or from a multi-thread runtime.
    pub fn stop(&self) {
        let accept = {
            let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
            for c in tasks.connections.drain(..) {
                c.abort();
            }
            tasks.accept.take()
        };
        if let Some(accept) = accept {
            accept.abort();
            let deadline = std::time::Instant::now() + Duration::from_secs(1);
            while !accept.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Serves again on the same port with the same cluster (after [`ApiServer::stop`]).
    pub fn restart(&self) -> io::Result<()> {
        self.stop();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        let std_listener = loop {
            match std::net::TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e),
            }
        };
        std_listener.set_nonblocking(true)?;
        let _guard = self.runtime.enter();
        let listener = TcpListener::from_std(std_listener)?;
        self.serve(listener);
        Ok(())
    }

    fn serve(&self, listener: TcpListener) {
        let cluster = self.cluster.clone();
        let log = self.log.clone();
        let tasks = self.tasks.clone();
        let accept = self.runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (cluster, log) = (cluster.clone(), log.clone());
                let connection = tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let (cluster, log) = (cluster.clone(), log.clone());
                        async move { Ok::<_, Infallible>(answer(&cluster, &log, req).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
                let mut tasks = tasks.lock().unwrap_or_else(|e| e.into_inner());
                tasks.connections.retain(|c| !c.is_finished());
                tasks.connections.push(connection.abort_handle());
            }
        });
        self.tasks.lock().unwrap_or_else(|e| e.into_inner()).accept = Some(accept);
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        for c in tasks.connections.drain(..) {
            c.abort();
        }
        if let Some(accept) = tasks.accept.take() {
            accept.abort();
        }
    }
}

/// A parsed request.
struct Call {
    method: Method,
    query: Vec<(String, String)>,
    content_type: String,
    body: Bytes,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("the body of the request is not valid JSON: {e}")))
    }
}

async fn answer(cluster: &Cluster, log: &Mutex<Vec<Logged>>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let header =
        |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or("<not ascii>").to_string());
    let mut logged = Logged {
        method: req.method().to_string(),
        path: path.clone(),
        query: query.clone(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        status: 0,
    };
    let method = req.method().clone();
    let content_type = logged.content_type.clone().unwrap_or_default();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let call = Call { method, query, content_type, body };
    let expected = format!("Bearer {}", cluster.config().token);
    let response = if logged.authorization.as_deref() != Some(expected.as_str()) {
        let e = ApiError {
            code: 401,
            reason: "Unauthorized",
            message: "Unauthorized".into(),
            details: json!({}),
        };
        error_response(&e)
    } else {
        route(cluster, &path, &call)
    };
    logged.status = response.status().as_u16();
    log.lock().unwrap_or_else(|e| e.into_inner()).push(logged);
    response
}

fn route(cluster: &Cluster, path: &str, call: &Call) -> Response<Body> {
    let config = cluster.config();
    let snapshots = config.snapshot_crds;
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let get = call.method == Method::GET;
    let (group, version, rest) = match segments.as_slice() {
        ["version"] if get => return json_response(200, &crate::discovery::version(config.version)),
        ["api"] if get => return json_response(200, &crate::discovery::core_versions()),
        ["apis"] if get => return json_response(200, &crate::discovery::groups(snapshots)),
        ["apis", g] if get => {
            return crate::discovery::group(g, snapshots)
                .map_or_else(page_not_found, |d| json_response(200, &d));
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return page_not_found(),
    };
    if group == resources::SNAPSHOT_GROUP && !snapshots {
        return page_not_found();
    }
    if rest.is_empty() {
        if !get {
            return error_response(&ApiError::method_not_allowed());
        }
        return crate::discovery::resources(group, version, snapshots)
            .map_or_else(page_not_found, |d| json_response(200, &d));
    }
    if group == "authorization.k8s.io" && rest == ["selfsubjectaccessreviews"] {
        return access_review(cluster, call);
    }
    // `namespaces/{ns}/{plural}…` for namespaced types; `{plural}[/{name}[/{sub}]]` otherwise.
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..]
            if resources::by_path(group, version, plural).is_some_and(|t| t.namespaced)
                && tail.len() <= 2 =>
        {
            (Some(*ns), *plural, tail.first().copied(), tail.get(1).copied())
        }
        [plural, tail @ ..] if tail.len() <= 2 => {
            (None, *plural, tail.first().copied(), tail.get(1).copied())
        }
        _ => return page_not_found(),
    };
    let Some(t) = resources::by_path(group, version, plural) else { return page_not_found() };
    match (name, sub) {
        (None, _) => collection(cluster, t, namespace, call),
        (Some(name), None | Some("status")) => {
            item(cluster, t, namespace.unwrap_or(""), name, sub.is_some(), call)
        }
        (Some(name), Some("log")) if t.kind == "Pod" && get => {
            pod_log(cluster, namespace.unwrap_or(""), name)
        }
        _ => page_not_found(),
    }
}

/// LIST, WATCH, POST and DELETE on a collection.
fn collection(
    cluster: &Cluster,
    t: &'static ResourceType,
    namespace: Option<&str>,
    call: &Call,
) -> Response<Body> {
    if namespace.is_some() && !t.namespaced {
        return page_not_found();
    }
    let selectors = || -> Result<(Selector, Selector), ApiError> {
        let labels =
            Selector::labels(call.param("labelSelector").unwrap_or("")).map_err(ApiError::bad_request)?;
        let fields =
            Selector::fields(call.param("fieldSelector").unwrap_or("")).map_err(ApiError::bad_request)?;
        Ok((labels, fields))
    };
    match call.method {
        Method::GET => {
            let (labels, fields) = match selectors() {
                Ok(s) => s,
                Err(e) => return error_response(&e),
            };
            if matches!(call.param("watch"), Some("true" | "1")) {
                return watch(cluster, t, namespace, labels, fields, call);
            }
            list(cluster, t, namespace, &labels, &fields, call)
        }
        Method::POST => {
            let result = call.json().and_then(|body| cluster.lock().create(t, namespace, body));
            match result {
                Ok(created) => json_response(201, &created),
                Err(e) => error_response(&e),
            }
        }
        Method::DELETE => {
            let (labels, fields) = match selectors() {
                Ok(s) => s,
                Err(e) => return error_response(&e),
            };
            let mut state = cluster.lock();
            let mut deleted = Vec::new();
            for object in state.store.list(t, namespace) {
                if labels.matches_labels(&object) && fields.matches_fields(&object) {
                    let ns = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
                    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
                    if let Ok(d) = state.delete(t, &ns, &name, grace(call)) {
                        deleted.push(d);
                    }
                }
            }
            let rv = state.store.resource_version().to_string();
            drop(state);
            json_response(
                200,
                &json!({"kind": format!("{}List", t.kind), "apiVersion": t.api_version(),
                                       "metadata": {"resourceVersion": rv}, "items": deleted}),
            )
        }
        _ => error_response(&ApiError::method_not_allowed()),
    }
}

fn list(
    cluster: &Cluster,
    t: &'static ResourceType,
    namespace: Option<&str>,
    labels: &Selector,
    fields: &Selector,
    call: &Call,
) -> Response<Body> {
    let (items, rv) = {
        let state = cluster.lock();
        let items: Vec<Value> = state
            .store
            .list(t, namespace)
            .into_iter()
            .filter(|o| labels.matches_labels(o) && fields.matches_fields(o))
            .collect();
        (items, state.store.resource_version())
    };
    let start = match call.param("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => match token.strip_prefix("testkube-").and_then(|o| o.parse::<usize>().ok()) {
            Some(offset) => offset,
            None => {
                return error_response(&ApiError::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion",
                ));
            }
        },
    };
    let limit = call.param("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
    let end = limit.map_or(items.len(), |l| start.saturating_add(l).min(items.len()));
    let start = start.min(end);
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if end < items.len() {
        metadata["continue"] = json!(format!("testkube-{end}"));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    json_response(
        200,
        &json!({"kind": format!("{}List", t.kind), "apiVersion": t.api_version(), "metadata": metadata, "items": items[start..end]}),
    )
}

/// A watch: the changes after `resourceVersion` (or every current object as ADDED first when
/// none is given), filtered by namespace and selectors, newline-delimited, until
/// `timeoutSeconds` or the server stops.
fn watch(
    cluster: &Cluster,
    t: &'static ResourceType,
    namespace: Option<&str>,
    labels: Selector,
    fields: Selector,
    call: &Call,
) -> Response<Body> {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let matches = {
        let namespace = namespace.map(String::from);
        move |o: &Value| {
            namespace.as_deref().is_none_or(|ns| o["metadata"]["namespace"] == ns)
                && labels.matches_labels(o)
                && fields.matches_fields(o)
        }
    };
    let line =
        |kind: &str, object: &Value| Bytes::from(format!("{}\n", json!({"type": kind, "object": object})));
    let mut changes = {
        let mut state = cluster.lock();
        let since =
            match call.param("resourceVersion").and_then(|rv| rv.parse::<u64>().ok()).filter(|rv| *rv > 0) {
                Some(rv) => rv,
                None => {
                    for object in state.store.list(t, namespace).iter().filter(|o| matches(o)) {
                        let _ = tx.send(line("ADDED", object));
                    }
                    state.store.resource_version()
                }
            };
        state.store.subscribe(since)
    };
    let timeout = call
        .param("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let target = t;
    tokio::spawn(async move {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                change = changes.recv() => {
                    let Some(change) = change else { return };
                    if !std::ptr::eq(change.rt, target) || !matches(&change.object) {
                        continue;
                    }
                    if tx.send(line(change.kind, &change.object)).is_err() {
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(ChannelBody { rx }.boxed())
        .expect("valid response parts")
}

fn grace(call: &Call) -> Option<i64> {
    call.param("gracePeriodSeconds").and_then(|g| g.parse().ok()).or_else(|| {
        serde_json::from_slice::<Value>(&call.body).ok().and_then(|b| b["gracePeriodSeconds"].as_i64())
    })
}

/// GET, PUT, PATCH and DELETE of one object (or its status).
fn item(
    cluster: &Cluster,
    t: &'static ResourceType,
    namespace: &str,
    name: &str,
    status: bool,
    call: &Call,
) -> Response<Body> {
    let ns = if t.namespaced { namespace } else { "" };
    let mut state = cluster.lock();
    let result = match call.method {
        Method::GET => state.read(t, ns, name).map(|o| (200, o)),
        Method::PUT => {
            call.json().and_then(|body| state.replace(t, ns, name, body, status)).map(|o| (200, o))
        }
        Method::PATCH => match PatchKind::from_content_type(&call.content_type) {
            None => Err(ApiError::unsupported_media_type(&call.content_type)),
            Some(kind) => {
                call.json().and_then(|patch| state.patch(t, ns, name, kind, &patch, status)).map(|o| (200, o))
            }
        },
        Method::DELETE if !status => {
            let preconditions = serde_json::from_slice::<Value>(&call.body)
                .ok()
                .map(|b| b["preconditions"].clone())
                .unwrap_or(Value::Null);
            match state.read(t, ns, name) {
                Ok(current)
                    if preconditions["uid"].as_str().is_some_and(|u| current["metadata"]["uid"] != u)
                        || preconditions["resourceVersion"]
                            .as_str()
                            .is_some_and(|rv| current["metadata"]["resourceVersion"] != rv) =>
                {
                    Err(ApiError::conflict(t.group, t.plural, name))
                }
                _ => state.delete(t, ns, name, grace(call)).map(|o| {
                    let gone = state.store.get(t, ns, name).is_none();
                    (if gone { 200 } else { 202 }, o)
                }),
            }
        }
        _ => Err(ApiError::method_not_allowed()),
    };
    drop(state);
    match result {
        Ok((code, object)) => json_response(code, &object),
        Err(e) => error_response(&e),
    }
}

/// `pods/{name}/log`: the termination message stands for the container's output.
fn pod_log(cluster: &Cluster, namespace: &str, name: &str) -> Response<Body> {
    match cluster.lock().read(resources::lookup("Pod").expect("pods are served"), namespace, name) {
        Ok(pod) => {
            let message = pod["status"]["containerStatuses"][0]["state"]["terminated"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            Response::builder()
                .status(200)
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from(message)).boxed())
                .expect("valid response parts")
        }
        Err(e) => error_response(&e),
    }
}

/// SelfSubjectAccessReview: allowed unless a configured denial matches.
fn access_review(cluster: &Cluster, call: &Call) -> Response<Body> {
    if call.method != Method::POST {
        return error_response(&ApiError::method_not_allowed());
    }
    let mut review = match call.json() {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    let attributes = &review["spec"]["resourceAttributes"];
    let field = |name: &str| attributes[name].as_str().unwrap_or_default().to_string();
    let (verb, group, resource) = (field("verb"), field("group"), field("resource"));
    let denied =
        attributes.is_object() && cluster.config().denied.iter().any(|d| d.matches(&verb, &group, &resource));
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    review["metadata"] = json!({"creationTimestamp": null});
    review["status"] = if denied {
        json!({"allowed": false})
    } else {
        json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"kstor-probe\" of ClusterRole \"kstor-probe\" to User \"kstor-probe\""})
    };
    json_response(201, &review)
}
