//! kstor-testkube: the one simulated Kubernetes API server of kstor's tests.
//!
//! A [`Cluster`] is in-memory state (objects, a global resourceVersion counter, events) on
//! which small controllers run as tokio tasks: the PV controller and a provisioner per
//! simulated [`Driver`], the scheduler, the attach/detach controller and external attacher,
//! a kubelet per node that runs the test's container callback ([`Cluster::set_agent`]), the
//! snapshot controller, the resizer, the namespace controller, and the pvc-/pv-protection
//! finalizers. An [`ApiServer`] serves the cluster over HTTP on 127.0.0.1 as kube-rs expects
//! it. Everything is fast: each controller step waits [`Timing::step`] (2 ms by default).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kstor_testkube::{ApiServer, AgentExit, Cluster, ClusterConfig, Driver, objects};
//! let cluster = Cluster::new(ClusterConfig::default());
//! cluster.add_driver(Driver::zonal("ebs.csi.aws.com", &["eu-west-1a", "eu-west-1b"]));
//! cluster.add_node("node-a", "eu-west-1a");
//! cluster.add_node("node-b", "eu-west-1b");
//! cluster.create(objects::storage_class("gp3", "ebs.csi.aws.com", "WaitForFirstConsumer")).unwrap();
//! cluster.set_agent(|call| AgentExit::success(format!("wrote to {:?}", call.mounts)));
//! let server = ApiServer::start(cluster.clone()).await?;
//! let dir = tempfile::tempdir()?;
//! let kubeconfig = server.kubeconfig(dir.path())?; // context "testkube", token TOKEN
//! // … run the probe against `kubeconfig` …
//! server.stop();    // connections refused
//! server.restart()?; // same port, same state
//! # Ok(()) }
//! ```
//!
//! # Public API
//!
//! **Cluster** ([`Cluster`], a cheap `Clone` handle):
//! - `Cluster::new(ClusterConfig) -> Cluster`: namespaces `default`, `kube-system`,
//!   `kube-public`; no nodes, no drivers. `start_controllers()` (idempotent; `ApiServer::start`
//!   calls it).
//! - Seeding: `add_driver(Driver)` (also creates its CSIDriver and labels nodes with its
//!   topology key), `add_node(name, zone)` (labels `kubernetes.io/hostname`,
//!   `topology.kubernetes.io/zone` + each driver's key; a CSINode), `create(Value) ->
//!   Result<Value, ApiError>` (through admission: any served kind, e.g. StorageClass,
//!   VolumeSnapshotClass, Namespace, Node).
//! - Reading and steering: `get(kind, namespace, name) -> Option<Value>` (kind = `Pod`,
//!   `pods` or `volumesnapshots.snapshot.storage.k8s.io`; namespace `""` for cluster-scoped),
//!   `list(kind, Option<namespace>) -> Vec<Value>`, `events(Option<namespace>) -> Vec<Value>`
//!   (oldest first), `modify(kind, namespace, name, FnOnce(&mut Value)) -> Result<Value,
//!   ApiError>` (raw, e.g. cordon: `spec.unschedulable = true`), `delete(kind, namespace,
//!   name) -> Result<Value, ApiError>` (DELETE semantics), `volume_dir(pv) -> Option<PathBuf>`,
//!   `snapshot_dir(content) -> Option<PathBuf>`, `data_root()`, `resource_version()`,
//!   `config() -> ClusterConfig`, `drivers() -> Vec<Driver>`.
//! - Behaviour at run time: `set_agent(Fn(&AgentCall) -> AgentExit)`, `set_faults(Faults)`,
//!   `update_faults(FnOnce(&mut Faults))`, `set_timing(Timing)`, `set_denied(Vec<Denied>)`,
//!   `set_snapshot_crds(bool)`.
//! - `async wait_until(timeout, FnMut(&Cluster) -> bool) -> bool`.
//!
//! **ApiServer** ([`ApiServer`]): `async start(Cluster) -> io::Result<ApiServer>`, `addr()`,
//! `url()`, `kubeconfig(dir) -> io::Result<PathBuf>` (writes `dir/kubeconfig`, context
//! [`CONTEXT`], namespace `default`), `requests() -> Vec<Logged>`, `stop()`, `restart() ->
//! io::Result<()>`, `cluster()`.
//!
//! **Configuration** ([`ClusterConfig`]: `token`, `snapshot_crds`, `denied: Vec<Denied>`,
//! `timing: Timing`, `faults: Faults`, `version`), [`Driver`] (`name`, `topology: Topology`,
//! `snapshots`, `clone`, `expansion`, `access_modes`, `fs_group_policy`, `attach_required`;
//! presets `Driver::zonal(name, zones)`, `Driver::node_local(name)`, `Driver::file(name)`),
//! [`Topology`] (`Zonal { key, zones }`, `NodeLocal { key }`, `Global`), [`Timing`] (`step`,
//! `snapshot_ready`, `resize`, `namespace_termination`, `attach_timeout`, `retry`),
//! [`Faults`] (`provisioning_fails: Option<String>`, `attach_stuck`, `multi_attach`,
//! `mount_fails: Option<String>`, `snapshot_never_ready`, `lose_data_on_reschedule`,
//! `empty_restore`), [`Denied`] (`Denied::new(verb, group, resource)`, `"*"` wildcards).
//!
//! **Containers**: [`AgentCall`] (`namespace`, `pod`, `node`, `container`, `image`,
//! `command`, `args`, `env`, `run_as_user`, `run_as_group`, `fs_group`, `mounts: mount path →
//! host dir`, `sizes: mount path → bytes`, `fs_group_applied`, `access_modes`;
//! `current_size(mount_path)`, `env(name)`), [`AgentExit`] (`success(msg)`, `failure(code,
//! msg)`, `running()`).
//!
//! **Other items**: [`ApiError`] (`code`, `reason`, `message`, `details`; `status()`),
//! [`Logged`] (`method`, `path`, `query`, `authorization`, `content_type`, `status`;
//! `param(name)`), [`attachment_name`]`(handle, driver, node)` (`csi-<sha256>`), constants
//! [`TOKEN`], [`CONTEXT`], [`ZONE_LABEL`], [`HOSTNAME_LABEL`], [`SELECTED_NODE`],
//! [`resources::TYPES`] (what is served).
//!
//! `ApiServer::stop` waits until the listener is closed: call it outside the runtime or from
//! a multi-thread runtime (`#[tokio::test(flavor = "multi_thread")]`).
//!
//! **Builders** ([`objects`]): `namespace`, `node`, `csi_driver`, `storage_class(name,
//! provisioner, binding_mode)`, `snapshot_class(name, driver, deletion_policy)`,
//! `claim(ns, name, class, size, access_mode)`, `pod(ns, name, claim, mount_path, args)`.
//!
//! # What the server does
//! - Core (`/api/v1/…`) and group (`/apis/{group}/{version}/…`) resources of
//!   [`resources::TYPES`], namespaced and cluster-scoped: GET, LIST (`labelSelector` with
//!   `=`, `==`, `!=`, `in`, `notin`, exists, `!key`; `fieldSelector` on any dotted field, e.g.
//!   `metadata.name`, `involvedObject.name`, `spec.nodeName`; `limit`/`continue`), WATCH
//!   (`watch=true`, from `resourceVersion`), POST (`generateName`; 409 AlreadyExists; 404 in a
//!   missing namespace, 403 Forbidden in a Terminating one), PUT (409 Conflict on a stale
//!   resourceVersion), PATCH (merge, strategic merge as merge, JSON patch, apply as merge that
//!   may create), DELETE (finalizers, graceful pod deletion, namespace termination,
//!   preconditions) and DELETE on collections, `/status`, `pods/{name}/log` (the termination
//!   message). Errors are `Status` objects; unknown paths answer a plain-text 404.
//! - Discovery (`/version`, `/api`, `/apis`, per group-version), without the snapshot group
//!   when [`ClusterConfig::snapshot_crds`] is false (then its paths answer 404).
//! - `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`.
//! - Admission: the default StorageClass for claims without one, the pvc-/pv-protection
//!   finalizers, pod defaults, and the resize check ("only dynamically provisioned pvc can be
//!   resized and the storageclass that provisions the pvc must support resize", 403).
//!
//! # Events (reason: message), as upstream words them
//! - claim: `WaitForFirstConsumer`: waiting for first consumer to be created before binding;
//!   `ExternalProvisioning`: Waiting for a volume to be created either by the external
//!   provisioner '{driver}' or manually …; `Provisioning`: External provisioner is
//!   provisioning volume for claim "{ns}/{name}"; `ProvisioningSucceeded`: Successfully
//!   provisioned volume pvc-{uid}; `ProvisioningFailed` (Warning): failed to provision volume
//!   with StorageClass "{class}": {why} (unsupported access mode: `rpc error: code =
//!   InvalidArgument desc = Volume capabilities [MULTI_NODE_MULTI_WRITER] not supported`;
//!   snapshot not ready: `error getting handle for DataSource Type VolumeSnapshot by Name
//!   {snap}: snapshot {snap} is not Ready`); `Resizing`, `FileSystemResizeRequired`,
//!   `ExternalExpanding`, `ClaimLost`.
//! - pod: `Scheduled`: Successfully assigned {ns}/{pod} to {node}; `FailedScheduling`
//!   (Warning): `0/N nodes are available: 1 node(s) had volume node affinity conflict, 2
//!   node(s) didn't match Pod's node affinity/selector. preemption: 0/N nodes are available: N
//!   Preemption is not helpful for scheduling.` (also: didn't match pod anti-affinity rules,
//!   were unschedulable, had untolerated taint {…}, didn't find available persistent volumes
//!   to bind; PreFilter: pod has unbound immediate PersistentVolumeClaims, node has pod using
//!   PersistentVolumeClaim with the same name and ReadWriteOncePod access mode, persistentvolumeclaim
//!   "x" not found); `SuccessfulAttachVolume`: AttachVolume.Attach succeeded for volume
//!   "{pv}" (trailing space); `FailedAttachVolume` (Warning): Multi-Attach error for volume
//!   "{pv}" Volume is already used by pod(s) {a, b} | … exclusively attached to one node and
//!   can't be attached to another, or AttachVolume.Attach failed for volume "{pv}" : timed out
//!   waiting for external-attacher of {driver} CSI driver to attach volume {handle};
//!   `FailedMount` (Warning): MountVolume.MountDevice failed for volume "{pv}" : rpc error:
//!   code = Internal desc = {why}; `Pulled`, `Created`: Created container: {name}, `Started`:
//!   Started container {name}; `Killing`: Stopping container {name};
//!   `FileSystemResizeSuccessful`: MountVolume.NodeExpandVolume succeeded for volume "{pv}"
//!   {node}.
//! - VolumeSnapshot: `CreatingSnapshot`, `SnapshotCreated`, `SnapshotReady`,
//!   `SnapshotContentCreationFailed` (Warning).
//!
//! Not simulated: authentication beyond one bearer token, RBAC other than access reviews,
//! `dryRun`, aggregated discovery, owner-reference garbage collection, workload controllers.
//!
//! # The earlier fakes
//! - [`recorded`] (`kstor audit`'s live tests): `recorded(data_dir, &[RecordedType]) ->
//!   Result<Vec<Recorded>, String>`, `async start(Vec<Recorded>, Behaviour) -> FakeApi`
//!   (`Behaviour { forbidden, no_snapshot_group, missing, delay }`; `FakeApi { addr, log,
//!   tokens, max_in_flight }`, `url()`, `requests()`), `start_silent()`, `refused_addr()`,
//!   `kubeconfig(dir, prod_server, staging_server, prod_token)`, `TOKEN`.
//! - [`watch`] (`kstor serve`'s tests and benchmark): `recorded_lists(dir) ->
//!   Result<HashMap<plural, Vec<Value>>, String>`, `async FakeApi::start(lists, hold,
//!   no_snapshots)`, `release()`, `push(plural, event_type, object)`, `watching(plural)`,
//!   `log()`, `kubeconfig(dir)`, `WATCHED`, `TOKEN`.

mod agent;
mod api;
mod cluster;
mod config;
mod controllers;
mod discovery;
mod error;
pub mod objects;
mod patch;
mod quantity;
pub mod recorded;
pub mod resources;
mod select;
mod server;
mod state;
mod store;
mod time;
pub mod watch;

pub use agent::{Agent, AgentCall, AgentExit};
pub use cluster::Cluster;
pub use config::{ClusterConfig, Denied, Driver, Faults, Timing, Topology};
pub use controllers::attach::attachment_name;
pub use controllers::pv::SELECTED_NODE;
pub use error::ApiError;
pub use server::{ApiServer, Logged};

/// The bearer token the API server accepts by default.
pub const TOKEN: &str = "kstor-testkube-token";
/// The kubeconfig context (and cluster and user) name [`ApiServer::kubeconfig`] writes.
pub const CONTEXT: &str = "testkube";
/// The zone label of nodes.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// The hostname label of nodes.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
