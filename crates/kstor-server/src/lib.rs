//! `kstor serve`: a ValidatingAdmissionWebhook that enforces kstor's storage rules.
//!
//! An HTTPS server (rustls, with certificate reload) answers `admission.k8s.io/v1` AdmissionReview
//! on `POST /validate`. Each admitted object is judged with the same model and rules as
//! `kstor lint`, against a cached view of the cluster's storage objects that kube-rs watchers keep
//! current ([`cache`]); the [`policy`] maps findings to deny / warn / ignore. Until the cache has
//! synced, requests are allowed with a warning (fail open) and `/readyz` says not ready.
//! `/metrics` exports Prometheus text; SIGTERM drains in-flight requests and returns.

pub mod cache;
pub mod judge;
pub mod metrics;
pub mod mutate;
pub mod review;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use kstor_engine::{Action, Engine, Policy};
use kstor_model::yaml::SharedText;

use crate::cache::Cache;
use crate::judge::{incoming_object, is_judged, judge};
use crate::metrics::Metrics;
use crate::mutate::{Admitted, mutate};
use crate::review::{BadReview, Verdict, mutation_response, parse, response};
use crate::tls::ReloadingCert;

/// Bodies above this are refused (the API server's own request limit is 3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// How `kstor serve` runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// PEM certificate chain.
    pub tls_cert: PathBuf,
    /// PEM private key.
    pub tls_key: PathBuf,
    /// The policy (by default errors deny, warnings warn, info is ignored).
    pub policy: Policy,
    /// The engine: rule selection, severities, drivers and roles of the configuration.
    pub engine: Engine,
    /// HTTPS address.
    pub listen: SocketAddr,
    /// Plain-HTTP address for /metrics, /healthz and /readyz (probes and scraping).
    pub metrics_listen: Option<SocketAddr>,
    /// How the cluster is reached (kubeconfig, context, timeouts).
    pub cluster: kstor_live::FetchOptions,
    /// How long SIGTERM waits for in-flight requests.
    pub drain: Duration,
}

/// What the handlers share.
pub struct AppState {
    /// The watched cluster objects.
    pub cache: Arc<Cache>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The policy.
    pub policy: Policy,
    /// The engine that judges, configured as `kstor lint` would be with the same file.
    pub engine: Engine,
}

impl AppState {
    /// State over a cache (the watchers fill it).
    pub fn new(cache: Arc<Cache>, metrics: Arc<Metrics>, policy: Policy, engine: Engine) -> AppState {
        AppState { cache, metrics, policy, engine }
    }
}

/// The routes: `/validate` and `/mutate` (POST), `/healthz`, `/readyz`, `/metrics`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate_route))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The probe and metrics routes only (the plain-HTTP listener).
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let unsynced = state.cache.read(|s| s.unsynced());
    if unsynced.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: waiting for the first list of {}\n", unsynced.join(", ")),
        )
            .into_response()
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.encode(),
    )
        .into_response()
}

fn bad_request(state: &AppState, bad: BadReview) -> Response {
    state.metrics.rejected(bad.reason);
    let body = serde_json::json!({ "error": bad.reason, "message": bad.message });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// Reads a request body: at most [`MAX_BODY`] bytes of UTF-8.
async fn read_body(state: &AppState, request: Request) -> Result<Arc<String>, Response> {
    let bytes = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Err(bad_request(
                state,
                BadReview {
                    reason: "too-large",
                    message: format!("the body is over {} bytes (or was cut off)", MAX_BODY),
                },
            ));
        }
    };
    match String::from_utf8(bytes.to_vec()) {
        Ok(s) => Ok(Arc::new(s)),
        Err(_) => Err(bad_request(
            state,
            BadReview { reason: "malformed-json", message: "the body is not UTF-8".into() },
        )),
    }
}

/// `apiVersion` of the request's kind (`v1`, `apps/v1`).
fn request_api_version(request: &review::AdmissionRequest<'_>) -> String {
    if request.kind.group.is_empty() {
        request.kind.version.clone()
    } else {
        format!("{}/{}", request.kind.group, request.kind.version)
    }
}

async fn mutate_route(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let body = match read_body(&state, request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = match parse(&body) {
        Ok(r) => r,
        Err(bad) => return bad_request(&state, bad),
    };
    let dry_run = request.dry_run.unwrap_or(false);
    let (decision, mutation, warnings) = decide_mutation(&state, &request);
    if !dry_run {
        for rule in &mutation.rules {
            state.metrics.mutation(rule);
        }
    }
    state.metrics.mutation_request(
        &request.kind.kind,
        &request.operation,
        decision,
        dry_run,
        started.elapsed(),
    );
    axum::Json(mutation_response(&request.uid, &mutation.patch, &warnings)).into_response()
}

/// The decision word (`patch`, `none`, `skip`, `unsynced`), the mutation and the warnings.
fn decide_mutation(
    state: &AppState,
    request: &review::AdmissionRequest<'_>,
) -> (&'static str, mutate::Mutation, Vec<String>) {
    let none = |decision| (decision, mutate::Mutation::default(), Vec::new());
    let Some(raw) = request.object else {
        return none("skip");
    };
    let api_version = request_api_version(request);
    let kind = request.kind.kind.as_str();
    // A pod's spec cannot change after creation: patching it on UPDATE would fail the update.
    let creating_or_mutable =
        request.operation == "CREATE" || (request.operation == "UPDATE" && kind != "Pod");
    if state.policy.mutated_rules().is_empty()
        || !creating_or_mutable
        || !is_judged(&state.engine, &api_version, kind)
    {
        return none("skip");
    }
    let Ok(object) = serde_json::from_str::<serde_json::Value>(raw.get()) else {
        return none("skip");
    };
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .or(request.namespace.as_deref())
        .unwrap_or_default()
        .to_string();
    let labels = |key: &str| object["metadata"]["labels"][key].as_str().map(str::to_string);
    if !state.policy.applies(&namespace, &labels) {
        return none("skip");
    }
    let admitted = Admitted {
        object: object.clone(),
        api_version: &api_version,
        kind,
        namespace: request.namespace.as_deref(),
    };
    let mutation = state
        .cache
        .read(|stores| stores.synced().then(|| mutate(&state.engine, &state.policy, admitted, stores)));
    let Some(mutation) = mutation else {
        let warning = "kstor: the storage cache has not synced yet; no fixes were applied".to_string();
        return ("unsynced", mutate::Mutation::default(), vec![warning]);
    };
    if mutation.patch.is_empty() {
        return ("none", mutation, Vec::new());
    }
    let warnings = mutation.messages.iter().map(|m| format!("kstor mutated: {m}")).collect();
    ("patch", mutation, warnings)
}

async fn validate(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let body = match read_body(&state, request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let shared = SharedText::from(Arc::clone(&body));
    let request = match parse(&body) {
        Ok(r) => r,
        Err(bad) => return bad_request(&state, bad),
    };
    let dry_run = request.dry_run.unwrap_or(false);
    let kind = request.kind.kind.clone();
    let (decision, verdict, counted) = decide(&state, &shared, &request);
    if !dry_run {
        for c in &counted {
            state.metrics.finding(c.code, c.action.as_str());
        }
    }
    state.metrics.request(&kind, &request.operation, decision, dry_run, started.elapsed());
    axum::Json(response(&request.uid, &verdict)).into_response()
}

/// The decision word, the verdict and the findings that counted.
fn decide(
    state: &AppState,
    body: &SharedText,
    request: &review::AdmissionRequest<'_>,
) -> (&'static str, Verdict, Vec<judge::Counted>) {
    let allow = |warnings: Vec<String>| Verdict { allowed: true, message: None, warnings };
    let Some(raw) = request.object else {
        return ("skip", allow(Vec::new()), Vec::new());
    };
    let api_version = request_api_version(request);
    if !is_judged(&state.engine, &api_version, &request.kind.kind) {
        return ("skip", allow(Vec::new()), Vec::new());
    }
    let object = match incoming_object(
        body,
        raw.get(),
        &api_version,
        &request.kind.kind,
        request.namespace.as_deref(),
    ) {
        Ok(o) => o,
        Err(e) => return ("skip", allow(vec![format!("kstor: not judged: {e}")]), Vec::new()),
    };
    let namespace = object.reference.namespace.clone().unwrap_or_default();
    let labels = |key: &str| {
        object
            .root()
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get_str(key))
            .map(str::to_string)
    };
    if !state.policy.applies(&namespace, &labels) {
        return ("skip", allow(Vec::new()), Vec::new());
    }
    // Judged under the read lock: the view is the stores themselves, and watch events wait
    // the few hundred microseconds a judgement takes.
    let judgement = state
        .cache
        .read(|stores| stores.synced().then(|| judge(&state.engine, &state.policy, object, stores)));
    let Some(judgement) = judgement else {
        // Fail open by design: a webhook that blocks until it has watched the cluster would
        // block the cluster's own recovery.
        let warning = "kstor: the storage cache has not synced yet; this object was not checked".to_string();
        return ("unsynced", allow(vec![warning]), Vec::new());
    };
    let decision = if !judgement.verdict.allowed {
        "deny"
    } else if judgement.counted.iter().any(|c| c.action == Action::Warn) {
        "warn"
    } else {
        "allow"
    };
    (decision, judgement.verdict, judgement.counted)
}

/// Error starting `kstor serve`.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// TLS files unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The cluster cannot be reached or configured.
    #[error(transparent)]
    Cluster(#[from] kstor_live::LiveError),
    /// A listener cannot bind.
    #[error("cannot listen on {addr}: {message}")]
    Listen {
        /// Address.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
}

/// Serves until SIGTERM or SIGINT, then drains in-flight requests for up to `options.drain`.
pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let metrics = Arc::new(Metrics::new());
    let resolver = Arc::new(
        ReloadingCert::new(options.tls_cert.clone(), options.tls_key.clone(), Arc::clone(&metrics))
            .map_err(ServeError::Tls)?,
    );
    let (client, server, context) = kstor_live::connect(&options.cluster).await?;
    eprintln!(
        "kstor: watching {server}{} for storage objects",
        context.map(|c| format!(" (context {c})")).unwrap_or_default()
    );
    let cache = Arc::new(Cache::with_catalog(options.engine.catalog().clone()));
    let state = Arc::new(AppState::new(
        Arc::clone(&cache),
        Arc::clone(&metrics),
        options.policy.clone(),
        options.engine.clone(),
    ));
    let watchers = tokio::spawn(cache::watch_all(client, cache, Arc::clone(&metrics)));
    let handle = Handle::new();
    let shutdown = {
        let handle = handle.clone();
        let drain = options.drain;
        tokio::spawn(async move {
            wait_for_signal().await;
            eprintln!("kstor: shutting down: draining in-flight requests (up to {}s)", drain.as_secs());
            handle.graceful_shutdown(Some(drain));
        })
    };
    let result = run_listeners(&options, state, resolver, handle).await;
    watchers.abort();
    shutdown.abort();
    result
}

/// Binds the HTTPS listener (and the plain metrics listener) and serves until the handle shuts
/// them down. Used by [`serve`] and by tests with a prepared state.
pub async fn run_listeners(
    options: &ServeOptions,
    state: Arc<AppState>,
    resolver: Arc<ReloadingCert>,
    handle: Handle,
) -> Result<(), ServeError> {
    let tls = RustlsConfig::from_config(Arc::new(tls::server_config(resolver)));
    let https = axum_server::bind_rustls(options.listen, tls).handle(handle.clone());
    let app = router(Arc::clone(&state));
    let mut tasks =
        vec![(options.listen, tokio::spawn(async move { https.serve(app.into_make_service()).await }))];
    if let Some(addr) = options.metrics_listen {
        let plain = axum_server::bind(addr).handle(handle.clone());
        let app = metrics_router(Arc::clone(&state));
        tasks.push((addr, tokio::spawn(async move { plain.serve(app.into_make_service()).await })));
    }
    for (addr, task) in tasks {
        let failed = match task.await {
            Ok(result) => result.err().map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(message) = failed {
            return Err(ServeError::Listen { addr, message });
        }
    }
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
