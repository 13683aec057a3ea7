//! The simulated cluster: shared state that the API server serves and the controllers act on,
//! and the handle tests seed, inspect and steer it through.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use crate::agent::{Agent, AgentCall, AgentExit};
use crate::config::{ClusterConfig, Denied, Driver, Faults, Timing, Topology};
use crate::error::ApiError;
use crate::resources;
use crate::state::{State, rt};

pub(crate) struct Inner {
    state: Mutex<State>,
    agent: Mutex<Option<Agent>>,
    controllers: AtomicBool,
    /// Holds the data directories; removed with the cluster.
    _data: tempfile::TempDir,
}

impl Inner {
    /// The state; a panic elsewhere while holding it does not make it unusable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn agent(&self) -> Option<Agent> {
        self.agent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A simulated cluster. Cheap to clone (a handle); the controllers stop when the last handle
/// (including the API server's) is dropped.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

fn unknown(kind: &str) -> ApiError {
    ApiError {
        code: 404,
        reason: "NotFound",
        message: format!("the server doesn't have a resource type \"{kind}\""),
        details: json!({}),
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("resource_version", &self.resource_version()).finish_non_exhaustive()
    }
}

impl Cluster {
    /// An empty cluster with the namespaces `default`, `kube-system` and `kube-public`, no
    /// nodes and no drivers. Its data directories live in a temporary directory removed with
    /// the cluster.
    ///
    /// # Panics
    /// When no temporary directory can be created.
    pub fn new(config: ClusterConfig) -> Cluster {
        let data = tempfile::Builder::new()
            .prefix("kstor-testkube-")
            .tempdir()
            .expect("a temporary directory for volume data");
        let mut state = State::new(config, data.path().to_path_buf());
        for ns in ["default", "kube-system", "kube-public"] {
            let _ = state.create(rt("Namespace"), None, crate::objects::namespace(ns));
        }
        Cluster {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                agent: Mutex::new(None),
                controllers: AtomicBool::new(false),
                _data: data,
            }),
        }
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Cluster {
        Cluster { inner }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Starts the controllers on the current tokio runtime (once; [`crate::ApiServer::start`]
    /// calls it).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start_controllers(&self) {
        if !self.inner.controllers.swap(true, Ordering::SeqCst) {
            tokio::spawn(crate::controllers::run(Arc::downgrade(&self.inner)));
        }
    }

    /// Registers a simulated driver: its provisioner, attacher, snapshotter and resizer run,
    /// its CSIDriver object is created, and nodes get its topology label.
    pub fn add_driver(&self, driver: Driver) {
        let mut state = self.lock();
        let object = crate::objects::csi_driver(&driver);
        state.drivers.retain(|d| d.name != driver.name);
        state.drivers.push(driver);
        let _ = state.create(rt("CSIDriver"), None, object);
        drop(state);
        self.relabel_nodes();
    }

    /// Adds a Ready node with `kubernetes.io/hostname`, `topology.kubernetes.io/zone` (when
    /// `zone` is not empty) and each driver's topology label, and its CSINode.
    pub fn add_node(&self, name: &str, zone: &str) {
        let _ = self.lock().create(rt("Node"), None, crate::objects::node(name, zone));
        self.relabel_nodes();
    }

    /// Labels every node with each driver's topology key (zone or node name) and refreshes
    /// the CSINode objects, as node registration of the drivers does.
    fn relabel_nodes(&self) {
        let mut state = self.lock();
        let drivers = state.drivers.clone();
        for mut node in state.list("Node", None) {
            let name = node["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let zone = node["metadata"]["labels"][crate::ZONE_LABEL].as_str().unwrap_or_default().to_string();
            let mut entries = Vec::new();
            for d in &drivers {
                let value = match &d.topology {
                    Topology::Zonal { .. } => zone.clone(),
                    Topology::NodeLocal { .. } => name.clone(),
                    Topology::Global => String::new(),
                };
                if let Some(key) = d.topology_key().filter(|_| !value.is_empty()) {
                    node["metadata"]["labels"][key] = json!(value);
                }
                entries.push(json!({"name": d.name, "nodeID": name, "topologyKeys": d.topology_key().map(|k| vec![k])}));
            }
            state.put("Node", node);
            let csinode = json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSINode", "metadata": {"name": name},
                                 "spec": {"drivers": entries}});
            match state.get("CSINode", "", &name) {
                Some(mut existing) => {
                    existing["spec"] = csinode["spec"].clone();
                    state.put("CSINode", existing);
                }
                None => {
                    let _ = state.create(rt("CSINode"), None, csinode);
                }
            }
        }
    }

    /// Creates an object through the API server's admission (defaults, finalizers,
    /// validation): the way to seed StorageClasses, VolumeSnapshotClasses, namespaces, nodes
    /// (which then get the drivers' topology labels and a CSINode), ….
    pub fn create(&self, object: Value) -> Result<Value, ApiError> {
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let t = resources::of_object(api_version, &kind).ok_or_else(|| unknown(&kind))?;
        let ns = object["metadata"]["namespace"].as_str().map(String::from);
        let created = self.lock().create(t, ns.as_deref(), object)?;
        if t.kind == "Node" {
            self.relabel_nodes();
            return self
                .get("Node", "", created["metadata"]["name"].as_str().unwrap_or_default())
                .ok_or_else(|| unknown("Node"));
        }
        Ok(created)
    }

    /// One object (`kind` is a kind, a plural or `plural.group`; `namespace` is `""` for
    /// cluster-scoped objects).
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let t = resources::lookup(kind)?;
        self.lock().store.get(t, if t.namespaced { namespace } else { "" }, name).cloned()
    }

    /// The objects of a kind, in one namespace or all, by namespace and name.
    pub fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        resources::lookup(kind).map(|t| self.lock().store.list(t, namespace)).unwrap_or_default()
    }

    /// Changes an object directly (no admission, no conflict check: a test's hand on the
    /// cluster, e.g. cordoning a node). The change gets a new resourceVersion.
    pub fn modify(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<Value, ApiError> {
        let t = resources::lookup(kind).ok_or_else(|| unknown(kind))?;
        let mut state = self.lock();
        let mut object = state.read(t, if t.namespaced { namespace } else { "" }, name)?;
        change(&mut object);
        Ok(state.store.put(t, object))
    }

    /// Deletes an object as a DELETE request does (finalizers, graceful pod deletion,
    /// namespace termination).
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> Result<Value, ApiError> {
        let t = resources::lookup(kind).ok_or_else(|| unknown(kind))?;
        self.lock().delete(t, if t.namespaced { namespace } else { "" }, name, None)
    }

    /// Events, in one namespace or all, oldest first.
    pub fn events(&self, namespace: Option<&str>) -> Vec<Value> {
        let mut events = self.list("Event", namespace);
        events
            .sort_by_key(|e| e["metadata"]["resourceVersion"].as_str().and_then(|rv| rv.parse::<u64>().ok()));
        events
    }

    /// The current configuration.
    pub fn config(&self) -> ClusterConfig {
        self.lock().config.clone()
    }

    /// The registered drivers.
    pub fn drivers(&self) -> Vec<Driver> {
        self.lock().drivers.clone()
    }

    /// Replaces the injected faults (effective at the controllers' next pass).
    pub fn set_faults(&self, faults: Faults) {
        self.lock().config.faults = faults;
    }

    /// Changes the injected faults in place.
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.lock().config.faults);
    }

    /// Replaces the controllers' delays.
    pub fn set_timing(&self, timing: Timing) {
        self.lock().config.timing = timing;
    }

    /// Replaces the denied access reviews.
    pub fn set_denied(&self, denied: Vec<Denied>) {
        self.lock().config.denied = denied;
    }

    /// Installs or removes the snapshot CRDs (served, discovered, reconciled).
    pub fn set_snapshot_crds(&self, installed: bool) {
        self.lock().config.snapshot_crds = installed;
    }

    /// Sets the container callback the kubelet calls for each started pod (its first
    /// container). Without one, pods stay Running until deleted.
    pub fn set_agent(&self, agent: impl Fn(&AgentCall) -> AgentExit + Send + Sync + 'static) {
        *self.inner.agent.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(agent));
    }

    /// The data directory of a provisioned volume (PV name).
    pub fn volume_dir(&self, pv: &str) -> Option<PathBuf> {
        self.lock().memo.volumes.get(pv).map(|v| v.dir.clone())
    }

    /// The copied data of a snapshot (VolumeSnapshotContent name).
    pub fn snapshot_dir(&self, content: &str) -> Option<PathBuf> {
        self.lock().memo.snapshots.get(content).cloned()
    }

    /// The directory holding every volume's and snapshot's data.
    pub fn data_root(&self) -> PathBuf {
        self.lock().data_root.clone()
    }

    /// The current resourceVersion (the global counter).
    pub fn resource_version(&self) -> u64 {
        self.lock().store.resource_version()
    }

    /// Polls `condition` every millisecond until it holds or `timeout` passes; whether it held.
    pub async fn wait_until(&self, timeout: Duration, mut condition: impl FnMut(&Cluster) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if condition(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// The live filesystem size of a pod's mount (its claim's `status.capacity`).
    pub(crate) fn mounted_size(&self, namespace: &str, pod: &str, mount_path: &str) -> Option<u64> {
        let state = self.lock();
        let pod = state.get("Pod", namespace, pod)?;
        let container = &pod["spec"]["containers"][0];
        let mount = container["volumeMounts"].as_array()?.iter().find(|m| m["mountPath"] == mount_path)?;
        let volume = pod["spec"]["volumes"].as_array()?.iter().find(|v| v["name"] == mount["name"])?;
        let claim = state.get(
            "PersistentVolumeClaim",
            namespace,
            volume["persistentVolumeClaim"]["claimName"].as_str()?,
        )?;
        claim["status"]["capacity"]["storage"].as_str().and_then(crate::quantity::parse)
    }
}
