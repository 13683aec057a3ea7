//! kstor's cluster reader: lists the storage-relevant objects of a live cluster, read-only.
//!
//! [`fetch`] connects through kube-rs (kubeconfig with contexts, in-cluster config, token, client
//! certificate and exec auth, custom CAs), lists every resource of [`RESOURCES`] with paginated
//! `GET` requests (`limit` / `continue`), a bounded number at a time and each with a timeout, and
//! hands back every page's text as the API server sent it (a typed list such as
//! `PersistentVolumeList`), for `kstor_model::load_cluster` to parse once. Pages are only
//! scanned here, for their continue token and item count; nothing is decoded into values or
//! written out again. It never writes: only `get` and `list` are used (see
//! `deploy/rbac/kstor-audit.yaml`).
//!
//! A resource the API refuses to list (403) lands in [`Fetched::forbidden`] and the rest is still
//! read; an API group the server does not serve (404, e.g. the snapshot CRDs are not installed)
//! lands in [`Fetched::missing_groups`]. Everything else that goes wrong is a [`LiveError`] with a
//! one-line message.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt, stream};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use serde_json::Value;

mod page;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Kubeconfig file to use; `None` = `$KUBECONFIG` or `~/.kube/config`, and the in-cluster
    /// service account when neither exists and no context was asked for.
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use; `None` = the kubeconfig's `current-context`.
    pub context: Option<String>,
    /// Namespaces whose namespaced objects are read; empty = all namespaces. Cluster-scoped
    /// objects (PVs, StorageClasses, nodes, …) are always read. A resource's items from several
    /// namespaces are merged into one list, in namespace order.
    pub namespaces: Vec<String>,
    /// Timeout of each request (one page of one list). Default 30 s.
    pub request_timeout: Duration,
    /// Objects per page (`limit`). Default 500, as kubectl.
    pub page_size: u32,
    /// How many lists run at the same time. Default 8.
    pub concurrency: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            request_timeout: Duration::from_secs(30),
            page_size: 500,
            concurrency: 8,
        }
    }
}

/// What [`fetch`] read.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// The pages read for each resource listed, in the order of [`RESOURCES`]; a resource that was
    /// forbidden everywhere or is not served has no entry.
    pub lists: Vec<FetchedList>,
    /// Resources skipped because the API refused to list them (403): resource, verb, namespace.
    pub forbidden: Vec<Forbidden>,
    /// API groups the server does not serve (404 / absent from discovery), e.g. `snapshot.storage.k8s.io`.
    pub missing_groups: Vec<String>,
    /// Resources whose list path answered 404 although their API group is served (a CRD missing
    /// from an otherwise installed group, an old server), e.g. `volumeattachments.storage.k8s.io`.
    pub missing_resources: Vec<String>,
    /// The kubeconfig context actually used (`None` for the in-cluster service account).
    pub context: Option<String>,
    /// The API server actually used, e.g. `https://10.0.0.1:6443` (for the report header).
    pub server: String,
}

/// One resource's objects, as the pages the API server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedList {
    /// The resource as kubectl and RBAC name it: `persistentvolumes`, `storageclasses.storage.k8s.io`.
    pub resource: String,
    /// `apiVersion` of the items, e.g. `v1`, `storage.k8s.io/v1`.
    pub api_version: String,
    /// `kind` of the items, e.g. `PersistentVolume`.
    pub kind: String,
    /// Number of items in all pages.
    pub count: usize,
    /// Every page's JSON text, unchanged: a typed list (`"kind":"PersistentVolumeList"`, with
    /// this `apiVersion`) whose items carry no `apiVersion` and `kind` (`load_cluster` takes
    /// them from the list). With namespaces given, the pages of each namespace in turn.
    pub pages: Vec<String>,
}

impl FetchedList {
    /// The pages as named documents for `kstor_model::load_cluster`: `GET persistentvolumes`,
    /// and `GET pods (page 2)` from a list's second page on.
    pub fn into_documents(self) -> impl Iterator<Item = (String, String)> {
        let resource = self.resource;
        self.pages.into_iter().enumerate().map(move |(i, page)| {
            let name =
                if i == 0 { format!("GET {resource}") } else { format!("GET {resource} (page {})", i + 1) };
            (name, page)
        })
    }
}

/// A list the API refused (403 Forbidden); the resource is skipped, the rest is still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    /// The resource, as in [`FetchedList::resource`].
    pub resource: String,
    /// The verb refused: always `list` (kstor only lists).
    pub verb: String,
    /// The namespace the list was for; `None` = all namespaces / cluster scope.
    pub namespace: Option<String>,
    /// The API server's message.
    pub message: String,
}

impl fmt::Display for Forbidden {
    /// One warning line: `not allowed to list events at the cluster scope (403 Forbidden); skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not allowed to {} {} ", self.verb, self.resource)?;
        match &self.namespace {
            Some(ns) => write!(f, "in namespace {ns}")?,
            None => write!(f, "at the cluster scope")?,
        }
        write!(f, " (403 Forbidden); skipped")
    }
}

/// Why reading the cluster failed. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No kubeconfig file and not running in a pod.
    #[error("no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster: {0}")]
    NoKubeconfig(String),
    /// The kubeconfig could not be read or used.
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig {
        /// The file, or `$KUBECONFIG / ~/.kube/config`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No `--context` and no `current-context` in the kubeconfig.
    #[error("kubeconfig {path} has no current-context; choose one with --context ({available})")]
    NoCurrentContext {
        /// The kubeconfig.
        path: String,
        /// The contexts it has, comma-separated.
        available: String,
    },
    /// The asked context is not in the kubeconfig.
    #[error("context {context:?} not found in kubeconfig {path} (available: {available})")]
    ContextNotFound {
        /// The context asked for.
        context: String,
        /// The kubeconfig.
        path: String,
        /// The contexts it has, comma-separated.
        available: String,
    },
    /// The client could not be built (TLS setup, certificates).
    #[error("cannot set up a client for {server}: {message}")]
    Client {
        /// The API server.
        server: String,
        /// What failed.
        message: String,
    },
    /// Nothing listens at the API server's address.
    #[error("connection refused by {server} while listing {resource}: is the API server reachable?")]
    ConnectionRefused {
        /// The API server.
        server: String,
        /// The resource being listed.
        resource: String,
    },
    /// A request got no complete answer in time.
    #[error("timeout after {} while listing {resource} from {server}", secs(*.timeout))]
    Timeout {
        /// The configured per-request timeout.
        timeout: Duration,
        /// The resource being listed.
        resource: String,
        /// The API server.
        server: String,
    },
    /// 401: the credentials were refused.
    #[error(
        "401 unauthorized by {server} while listing {resource}: the credentials were refused ({message})"
    )]
    Unauthorized {
        /// The API server.
        server: String,
        /// The resource being listed.
        resource: String,
        /// The API server's message.
        message: String,
    },
    /// Any other error status from the API server.
    #[error("{code} from {server} while listing {resource}: {message}")]
    Api {
        /// HTTP status code.
        code: u16,
        /// The API server.
        server: String,
        /// The resource being listed.
        resource: String,
        /// The API server's message.
        message: String,
    },
    /// The request failed below HTTP (DNS, TLS, connection reset, auth plugin, …).
    #[error("request to {server} failed while listing {resource}: {message}")]
    Request {
        /// The API server.
        server: String,
        /// The resource being listed.
        resource: String,
        /// The error chain, joined with `: `.
        message: String,
    },
    /// The answer was not a list (not JSON, no `items`).
    #[error("unexpected answer from {server} while listing {resource}: {message}")]
    BadResponse {
        /// The API server.
        server: String,
        /// The resource being listed.
        resource: String,
        /// What is wrong with it.
        message: String,
    },
    /// [`fetch_blocking`] could not start its runtime.
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

/// One resource kstor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceKind {
    /// API group; `""` = core.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// Plural resource name, as in the URL path and RBAC.
    pub plural: &'static str,
    /// Kind of the objects.
    pub kind: &'static str,
    /// Namespaced (listed per namespace when namespaces are given) or cluster-scoped.
    pub namespaced: bool,
}

impl ResourceKind {
    /// `apiVersion` of the objects: `v1`, `storage.k8s.io/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource as kubectl and RBAC name it: `pods`, `storageclasses.storage.k8s.io`.
    pub fn name(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `/api/v1` or `/apis/<group>/<version>`.
    fn group_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The list path, cluster-wide or in one namespace.
    fn list_path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("{}/namespaces/{}/{}", self.group_path(), ns, self.plural),
            None => format!("{}/{}", self.group_path(), self.plural),
        }
    }
}

const fn rk(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceKind {
    ResourceKind { group, version, plural, kind, namespaced }
}

/// Every resource [`fetch`] lists, in the order of [`Fetched::lists`]. The ClusterRole in
/// `deploy/rbac/kstor-audit.yaml` grants `get` and `list` on exactly these.
pub const RESOURCES: &[ResourceKind] = &[
    rk("", "v1", "persistentvolumes", "PersistentVolume", false),
    rk("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true),
    rk("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
    rk("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false),
    rk("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true),
    rk("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", false),
    rk("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false),
    rk("storage.k8s.io", "v1", "csinodes", "CSINode", false),
    rk("", "v1", "nodes", "Node", false),
    rk("", "v1", "pods", "Pod", true),
    rk("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false),
    rk("", "v1", "events", "Event", true),
    rk("apps", "v1", "statefulsets", "StatefulSet", true),
    rk("apps", "v1", "deployments", "Deployment", true),
    rk("apps", "v1", "daemonsets", "DaemonSet", true),
    rk("apps", "v1", "replicasets", "ReplicaSet", true),
    rk("batch", "v1", "jobs", "Job", true),
    rk("batch", "v1", "cronjobs", "CronJob", true),
];

/// Blocking wrapper of [`fetch`] for the CLI: runs it on a small current-thread tokio runtime.
/// Must not be called from inside a tokio runtime.
pub fn fetch_blocking(options: &FetchOptions) -> Result<Fetched, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LiveError::Runtime(e.to_string()))?;
    runtime.block_on(fetch(options))
}

/// A client for the cluster the options name (kubeconfig and context, else the in-cluster
/// service account): the client, the server URL and the context used. `kstor serve` watches
/// through it.
pub async fn connect(options: &FetchOptions) -> Result<(Client, String, Option<String>), LiveError> {
    let (mut config, context) = load_config(options).await?;
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    config.connect_timeout =
        Some(config.connect_timeout.map_or(options.request_timeout, |t| t.min(options.request_timeout)));
    let client = Client::try_from(config)
        .map_err(|e| LiveError::Client { server: server.clone(), message: chain(&e) })?;
    Ok((client, server, context))
}

/// Reads the cluster: every resource of [`RESOURCES`], cluster-scoped ones always, namespaced ones in
/// `options.namespaces` (all namespaces when empty).
pub async fn fetch(options: &FetchOptions) -> Result<Fetched, LiveError> {
    let (client, server, context) = connect(options).await?;

    // Sorted like the API server sorts a cluster-wide list (by namespace, then name).
    let mut namespaces: Vec<&str> = options.namespaces.iter().map(String::as_str).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let jobs: Vec<(usize, Option<&str>)> = RESOURCES
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            if r.namespaced && !namespaces.is_empty() {
                namespaces.iter().map(|ns| (i, Some(*ns))).collect::<Vec<_>>()
            } else {
                vec![(i, None)]
            }
        })
        .collect();

    let reader = Reader { client: &client, server: &server, options };
    let mut outcomes: Vec<(usize, usize, Outcome)> = stream::iter(jobs.iter().enumerate())
        .map(|(job, &(res, ns))| {
            let reader = &reader;
            async move { reader.list_all(&RESOURCES[res], ns).await.map(|o| (job, res, o)) }
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect()
        .await?;
    outcomes.sort_by_key(|(job, _, _)| *job);

    let mut fetched = Fetched { context, server, ..Fetched::default() };
    let mut current: Option<(usize, Listed, bool)> = None; // resource, pages, any list succeeded
    let flush = |current: Option<(usize, Listed, bool)>, fetched: &mut Fetched| {
        if let Some((res, listed, true)) = current {
            let kind = &RESOURCES[res];
            fetched.lists.push(FetchedList {
                resource: kind.name(),
                api_version: kind.api_version(),
                kind: kind.kind.to_string(),
                count: listed.count,
                pages: listed.pages,
            });
        }
    };
    for (job, res, outcome) in outcomes {
        if current.as_ref().is_some_and(|(r, _, _)| *r != res) {
            flush(current.take(), &mut fetched);
        }
        let entry = current.get_or_insert_with(|| (res, Listed::default(), false));
        let kind = &RESOURCES[res];
        match outcome {
            Outcome::Listed(listed) => {
                entry.1.count += listed.count;
                entry.1.pages.extend(listed.pages);
                entry.2 = true;
            }
            Outcome::Forbidden(message) => fetched.forbidden.push(Forbidden {
                resource: kind.name(),
                verb: "list".into(),
                namespace: jobs[job].1.map(str::to_string),
                message,
            }),
            Outcome::MissingGroup => {
                if !fetched.missing_groups.iter().any(|g| g == kind.group) {
                    fetched.missing_groups.push(kind.group.to_string());
                }
            }
            Outcome::MissingResource => {
                if !fetched.missing_resources.contains(&kind.name()) {
                    fetched.missing_resources.push(kind.name());
                }
            }
        }
    }
    flush(current.take(), &mut fetched);
    Ok(fetched)
}

/// Finds the kubeconfig / in-cluster config and the context.
async fn load_config(options: &FetchOptions) -> Result<(Config, Option<String>), LiveError> {
    let (kubeconfig, path) = match &options.kubeconfig {
        Some(path) => {
            let shown = path.display().to_string();
            let kc = Kubeconfig::read_from(path).map_err(|e| match e {
                KubeconfigError::ReadConfig(io, _) => {
                    LiveError::Kubeconfig { path: shown.clone(), message: format!("cannot read it: {io}") }
                }
                e => LiveError::Kubeconfig { path: shown.clone(), message: chain(&e) },
            })?;
            (kc, shown)
        }
        None => {
            let shown = std::env::var("KUBECONFIG")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "~/.kube/config".to_string());
            match Kubeconfig::read() {
                Ok(kc) => (kc, shown),
                Err(KubeconfigError::FindPath | KubeconfigError::ReadConfig(..))
                    if options.context.is_none() =>
                {
                    let config = Config::incluster().map_err(|e| LiveError::NoKubeconfig(chain(&e)))?;
                    return Ok((config, None));
                }
                Err(KubeconfigError::FindPath) => {
                    return Err(LiveError::NoKubeconfig("no home directory".into()));
                }
                Err(KubeconfigError::ReadConfig(io, p)) => {
                    return Err(LiveError::NoKubeconfig(format!("{}: {io}", p.display())));
                }
                Err(e) => return Err(LiveError::Kubeconfig { path: shown, message: chain(&e) }),
            }
        }
    };
    let available = || {
        let names: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
        if names.is_empty() { "none".to_string() } else { names.join(", ") }
    };
    let context = match options.context.clone().or_else(|| kubeconfig.current_context.clone()) {
        Some(c) if !c.is_empty() => c,
        _ => return Err(LiveError::NoCurrentContext { path, available: available() }),
    };
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        return Err(LiveError::ContextNotFound { context, path, available: available() });
    }
    let kube_options = KubeConfigOptions { context: Some(context.clone()), ..KubeConfigOptions::default() };
    let config = Config::from_custom_kubeconfig(kubeconfig, &kube_options)
        .await
        .map_err(|e| LiveError::Kubeconfig { path, message: chain(&e) })?;
    Ok((config, Some(context)))
}

/// The result of listing one resource in one namespace (or everywhere).
enum Outcome {
    Listed(Listed),
    Forbidden(String),
    MissingGroup,
    MissingResource,
}

/// The pages of one list and how many items they hold.
#[derive(Default)]
struct Listed {
    pages: Vec<String>,
    count: usize,
}

/// What one GET came back with, before it is turned into an [`Outcome`] or a [`LiveError`].
enum Answer {
    Body(String),
    Status(u16, String),
}

struct Reader<'a> {
    client: &'a Client,
    server: &'a str,
    options: &'a FetchOptions,
}

impl Reader<'_> {
    /// Lists every page of one resource.
    async fn list_all(&self, kind: &ResourceKind, namespace: Option<&str>) -> Result<Outcome, LiveError> {
        let path = kind.list_path(namespace);
        let resource = kind.name();
        let api_version = kind.api_version();
        let list_kind = format!("{}List", kind.kind);
        let mut listed = Listed::default();
        let mut token = String::new();
        loop {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("limit", &self.options.page_size.to_string());
            if !token.is_empty() {
                query.append_pair("continue", &token);
            }
            let url = format!("{path}?{}", query.finish());
            let text = match self.get(&url, &resource).await? {
                Answer::Body(text) => text,
                Answer::Status(403, message) => return Ok(Outcome::Forbidden(message)),
                Answer::Status(404, _) => return self.missing(kind, &resource).await,
                Answer::Status(code, message) => return Err(self.status_error(code, message, &resource)),
            };
            let bad = |message: String| LiveError::BadResponse {
                server: self.server.to_string(),
                resource: resource.clone(),
                message,
            };
            // A scan, not a parse into values: the loader parses the text once.
            let page = page::scan(&text).map_err(|e| bad(format!("{e} from GET {url}")))?;
            if page.kind != list_kind || page.api_version != api_version {
                let found = format!("{} {}", page.api_version, page.kind);
                return Err(bad(format!(
                    "expected a {api_version} {list_kind}, found {found} from GET {url}"
                )));
            }
            let next = page.next;
            listed.count += page.items;
            listed.pages.push(text);
            if next.is_empty() {
                return Ok(Outcome::Listed(listed));
            }
            if next == token {
                return Err(bad(format!("the continue token {next:?} repeats")));
            }
            token = next;
        }
    }

    /// A list path answered 404: is the whole group missing, or only this resource?
    async fn missing(&self, kind: &ResourceKind, resource: &str) -> Result<Outcome, LiveError> {
        if kind.group.is_empty() {
            return Ok(Outcome::MissingResource);
        }
        match self.get(&kind.group_path(), resource).await? {
            Answer::Status(404, _) => Ok(Outcome::MissingGroup),
            Answer::Body(discovery) => {
                let served = serde_json::from_str::<Value>(&discovery).ok().is_some_and(|d| {
                    d["resources"]
                        .as_array()
                        .is_some_and(|rs| rs.iter().any(|r| r["name"].as_str() == Some(kind.plural)))
                });
                if served {
                    // Discovery lists it but its list path is 404: report it rather than guess.
                    Err(self.status_error(404, format!("GET {} not found", kind.list_path(None)), resource))
                } else {
                    Ok(Outcome::MissingResource)
                }
            }
            Answer::Status(_, _) => Ok(Outcome::MissingResource),
        }
    }

    /// One GET with the per-request timeout; error statuses come back as [`Answer::Status`].
    async fn get(&self, url: &str, resource: &str) -> Result<Answer, LiveError> {
        let request = http::Request::get(url).body(Vec::new()).map_err(|e| LiveError::Request {
            server: self.server.to_string(),
            resource: resource.to_string(),
            message: e.to_string(),
        })?;
        let answer = tokio::time::timeout(self.options.request_timeout, self.client.request_text(request))
            .await
            .map_err(|_| LiveError::Timeout {
                timeout: self.options.request_timeout,
                resource: resource.to_string(),
                server: self.server.to_string(),
            })?;
        match answer {
            Ok(text) => Ok(Answer::Body(text)),
            Err(kube::Error::Api(status)) => {
                let message =
                    if status.message.is_empty() { status.reason.clone() } else { status.message.clone() };
                Ok(Answer::Status(status.code, message))
            }
            Err(e) => {
                if refused(&e) {
                    Err(LiveError::ConnectionRefused {
                        server: self.server.to_string(),
                        resource: resource.to_string(),
                    })
                } else {
                    Err(LiveError::Request {
                        server: self.server.to_string(),
                        resource: resource.to_string(),
                        message: chain(&e),
                    })
                }
            }
        }
    }

    fn status_error(&self, code: u16, message: String, resource: &str) -> LiveError {
        let server = self.server.to_string();
        let resource = resource.to_string();
        let message = one_line(&message);
        if code == 401 {
            LiveError::Unauthorized { server, resource, message }
        } else {
            LiveError::Api { code, server, resource, message }
        }
    }
}

/// Whether the error comes from a refused TCP connection.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// An error and its sources on one line, without repeats.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(error);
    while let Some(e) = source {
        let text = one_line(&e.to_string());
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names() {
        let pods = RESOURCES.iter().find(|r| r.plural == "pods").unwrap();
        assert_eq!(pods.list_path(None), "/api/v1/pods");
        assert_eq!(pods.list_path(Some("data")), "/api/v1/namespaces/data/pods");
        assert_eq!(pods.name(), "pods");
        let vs = RESOURCES.iter().find(|r| r.plural == "volumesnapshots").unwrap();
        assert_eq!(vs.list_path(Some("q")), "/apis/snapshot.storage.k8s.io/v1/namespaces/q/volumesnapshots");
        assert_eq!(vs.name(), "volumesnapshots.snapshot.storage.k8s.io");
        assert_eq!(vs.api_version(), "snapshot.storage.k8s.io/v1");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(secs(Duration::from_secs(30)), "30 s");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn forbidden_is_one_warning_line() {
        let f = Forbidden {
            resource: "events".into(),
            verb: "list".into(),
            namespace: Some("data".into()),
            message: "events is forbidden".into(),
        };
        assert_eq!(f.to_string(), "not allowed to list events in namespace data (403 Forbidden); skipped");
    }
}
