use kstor_model::graph::{MountTarget, StorageGraph, VolumeSource, Workload, WorkloadKind};

use super::common::role_and_workload;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a database, message queue, search engine, coordination service or object store
    /// whose engine keeps its data directory (`/var/lib/postgresql/data`, `/var/lib/mysql`,
    /// `/data/db`, `/bitnami/<engine>`, … or the directory set by `PGDATA`,
    /// `ETCD_DATA_DIR`, …) on an `emptyDir`, a `hostPath`, a generic ephemeral volume, or on
    /// no volume at all: the container's writable layer.
    ///
    /// It needs to know the engine (from the image, the `app.kubernetes.io/name` label, a
    /// data-directory mount, a `kstor.io/role` annotation or config); a role guessed only
    /// from a port or a component label is not enough to know where the data lives.
    ///
    /// ## Why it matters
    /// `emptyDir`, ephemeral volumes and the writable layer are deleted with the pod: a
    /// rollout, an eviction, a node drain or a crash-loop reschedule loses the database. A
    /// `hostPath` survives only on that node, escapes the pod's isolation, and is lost with
    /// the node; the pod cannot move.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: postgres
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16
    ///           volumeMounts:
    ///             - name: data
    ///               mountPath: /var/lib/postgresql/data
    ///       volumes:
    ///         - name: data
    ///           emptyDir: {}
    /// ```
    ///
    /// ## Fix
    /// Run it as a StatefulSet with a `volumeClaimTemplates` entry mounted at the data
    /// directory (`ReadWriteOnce`, a class with `reclaimPolicy: Retain`), or, for a single
    /// instance, a PersistentVolumeClaim with the `Recreate` strategy.
    ///
    /// **Automatic fix:** none: moving a data directory onto a claim needs a size, a class and a
    /// migration of the data that lives in the pod today.
    ///
    /// ## References
    /// - Kubernetes docs, Volumes, "emptyDir" and "hostPath":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/>
    /// - Kubernetes docs, "Run a Replicated Stateful Application"
    pub struct StatefulDataOnEphemeralStorage {
        code: "KS303",
        name: "stateful-data-on-ephemeral-storage",
        group: DataSafety,
        severity: Error,
        summary: "a stateful engine keeps its data directory on emptyDir, hostPath or the writable layer",
        fixes: [],
    }
}

impl Check for StatefulDataOnEphemeralStorage {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let role = &workload.role;
            if !engine_data_directory_is_known(graph, workload) {
                continue;
            }
            let who = role_and_workload(workload);
            let data_mounts = graph.data_mounts(workload);
            for (container, mount) in &data_mounts {
                let MountTarget::Volume(index) = mount.target else {
                    continue;
                };
                let volume = &workload.pod.volumes[index];
                let (field, what, consequence) = match &volume.source {
                    VolumeSource::EmptyDir { memory, .. } => (
                        "emptyDir",
                        if *memory { "a memory-backed emptyDir" } else { "an emptyDir" },
                        "it is deleted with the pod, so a rollout, eviction or reschedule loses the data",
                    ),
                    VolumeSource::HostPath { .. } => (
                        "hostPath",
                        "a hostPath",
                        "the data stays on one node, is lost with it, and the pod cannot move",
                    ),
                    VolumeSource::Ephemeral { .. } => (
                        "ephemeral",
                        "a generic ephemeral volume",
                        "its claim is deleted with the pod, so a rollout, eviction or reschedule loses the data",
                    ),
                    _ => continue,
                };
                let message = format!(
                    "{who} keeps its data ({}) on {what} (volume {}): {consequence}",
                    mount.mount_path, volume.name
                );
                out.push(
                    Finding::at(&Self::META, workload.object, volume.path.key(field), message)
                        .related(
                            workload.object,
                            mount.path.clone(),
                            format!("container {} mounts it at {}", container.name, mount.mount_path),
                        )
                        .help(help_for(workload.kind)),
                );
            }
            if data_mounts.is_empty() {
                let Some(container) = role.container.and_then(|i| workload.pod.containers.get(i)) else {
                    continue;
                };
                let message = format!(
                    "{who} mounts no volume at its data directory {}: the data lives in the container's writable layer and is lost whenever the container restarts or the pod is replaced",
                    role.data_dirs[0]
                );
                out.push(Finding::at(&Self::META, workload.object, container.path.clone(), message).help(
                    "mount a PersistentVolumeClaim (StatefulSet volumeClaimTemplates) at the data directory",
                ));
            }
        }
    }
}

/// How to fix it: a claim template, or for an operator's resource its persistent storage
/// setting.
fn help_for(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Operator => {
            "configure persistent storage (a PersistentVolumeClaim per instance) in the resource's storage field"
        }
        _ => "mount a PersistentVolumeClaim (StatefulSet volumeClaimTemplates) at the data directory",
    }
}

/// Whether the workload runs a known engine of a critical role whose data directory kstor
/// trusts (strong role evidence, data not optional): the condition under which this rule judges
/// what its data directory is mounted on.
fn engine_data_directory_is_known(graph: &StorageGraph, workload: &Workload) -> bool {
    let role = &workload.role;
    let engine = role.engine.as_deref().and_then(|e| graph.catalog.roles.engine(e));
    workload.kind.is_long_running()
        && role.role.holds_critical_data()
        && role.evidence.knows_data_directory()
        && !role.data_dirs.is_empty()
        && engine.is_some_and(|e| !e.data_optional)
}
