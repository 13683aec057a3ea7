use std::collections::HashSet;

use kstor_model::catalog::{AccessMode, Confidence, Role};
use kstor_model::graph::{ClaimOrigin, StorageGraph, Workload, WorkloadKind};

use super::common::{driver_name, role_and_workload};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Suggests `ReadWriteOncePod` for the data claim of a single-writer database or
    /// coordination service (postgres, mysql, etcd, ZooKeeper, …) that requests only
    /// `ReadWriteOnce`, when the claim's CSI driver is in kstor's curated catalog and
    /// supports `ReadWriteOncePod` for the claim's `volumeMode`.
    ///
    /// It only suggests it where the switch is safe: StatefulSet claim templates (one
    /// claim per pod), and standalone claims mounted by exactly one workload that runs a
    /// single pod and never runs two at once (a Pod, a one-replica StatefulSet, or a
    /// one-replica Deployment with `strategy: Recreate` or `maxSurge: 0`); claims bound to a
    /// static PersistentVolume in the input are left alone (the volume would have to list
    /// the mode too). Where a rollout
    /// or a second replica would need the volume in two pods (KS202, KS203),
    /// `ReadWriteOncePod` would make it hang instead.
    ///
    /// ## Why it matters
    /// `ReadWriteOnce` is a node-level guarantee: any number of pods on the node that has
    /// the volume attached may mount it read-write. A stuck old pod, a debug pod with the
    /// same claim, or a mis-scaled copy on the same node opens the same data files, and two
    /// database processes writing one data directory corrupt it. `ReadWriteOncePod` (GA
    /// since Kubernetes 1.29, CSI volumes only) admits a single pod in the whole cluster:
    /// the scheduler keeps a second pod Pending and the kubelet refuses to mount it twice.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com    # CSI: supports ReadWriteOncePod
    /// volumeBindingMode: WaitForFirstConsumer
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: pg
    /// spec:
    ///   serviceName: pg
    ///   selector:
    ///     matchLabels: {app: pg}
    ///   template:
    ///     metadata:
    ///       labels: {app: pg}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16.4
    ///           volumeMounts:
    ///             - {name: data, mountPath: /var/lib/postgresql/data}
    ///   volumeClaimTemplates:
    ///     - metadata:
    ///         name: data
    ///       spec:
    ///         accessModes: [ReadWriteOnce]   # any pod on the node may open the data directory
    ///         storageClassName: gp3
    ///         resources:
    ///           requests:
    ///             storage: 100Gi
    /// ```
    ///
    /// ## Fix
    /// Request `accessModes: [ReadWriteOncePod]` for new claims. Access modes of an existing
    /// claim and a StatefulSet's `volumeClaimTemplates` are immutable: adopt it when the
    /// StatefulSet or claim is next re-created (restore or migrate the data). It needs a
    /// CSI driver whose sidecars are recent enough (csi-provisioner ≥ 3.0, csi-attacher ≥
    /// 3.3, csi-resizer ≥ 1.3).
    ///
    /// **Automatic fix:** unsafe: changes `ReadWriteOnce` to `ReadWriteOncePod`. accessModes of a
    /// claim are immutable, and a second pod on the same node can no longer mount the volume.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Access Modes":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes>
    /// - Kubernetes blog, "Kubernetes 1.29: Single Pod Access Mode for PersistentVolumes Graduates to Stable":
    ///   <https://kubernetes.io/blog/2023/12/18/read-write-once-pod-access-mode-ga/>
    pub struct PreferReadWriteOncePod {
        code: "KS205",
        name: "prefer-read-write-once-pod",
        group: AccessModes,
        severity: Info,
        summary: "a single-writer database or coordination service uses ReadWriteOnce where its driver supports ReadWriteOncePod",
        fixes: [Unsafe],
    }
}

impl Check for PreferReadWriteOncePod {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for (index, workload) in graph.workloads.iter().enumerate() {
            if !single_writer(graph, workload) {
                continue;
            }
            let mut reported = HashSet::new();
            for (container, mount) in graph.data_mounts(workload) {
                let Some(claim_id) = graph.claim_of_mount(workload, mount) else {
                    continue;
                };
                if graph.mount_is_read_only(workload, mount) || !reported.insert(claim_id) {
                    continue;
                }
                let claim = graph.claim(claim_id);
                // A static volume must list the mode too: not a one-line change.
                if claim.volume.is_some() {
                    continue;
                }
                let safe = match claim.origin {
                    ClaimOrigin::Template { workload: owner } => {
                        owner.0 == index && workload.kind == WorkloadKind::StatefulSet
                    }
                    ClaimOrigin::Standalone => {
                        graph.claim_users(claim_id).len() == 1 && runs_one_pod_at_a_time(workload)
                    }
                    ClaimOrigin::Ephemeral { .. } => false,
                };
                if !safe {
                    continue;
                }
                let [(AccessMode::ReadWriteOnce, rwo_path)] = claim.access_modes.as_slice() else {
                    continue;
                };
                let Some(driver) = graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()) else {
                    continue;
                };
                if driver.confidence != Confidence::Curated
                    || !driver.csi
                    || !driver
                        .access_modes
                        .for_mode(claim.volume_mode)
                        .contains(&AccessMode::ReadWriteOncePod)
                {
                    continue;
                }
                let message = format!(
                    "{} keeps its data ({}) on {}, which requests ReadWriteOnce on {}: any pod on the same node may mount it read-write too; ReadWriteOncePod (GA since Kubernetes 1.29, CSI only, supported by this driver) admits a single pod cluster-wide, so a second instance can never open the same data files",
                    role_and_workload(workload),
                    mount.mount_path,
                    claim.describe(graph),
                    driver_name(driver),
                );
                out.push(
                    Finding::at(&Self::META, claim.object, rwo_path.clone(), message)
                        .related(
                            workload.object,
                            mount.path.clone(),
                            format!("container {} mounts it at {}", container.name, mount.mount_path),
                        )
                        .help("request `ReadWriteOncePod` when the claim is next created (access modes are immutable)")
                        .fix(Fix::unsafe_fix(
                            "request ReadWriteOncePod; a claim's access modes are immutable: recreate the claim (a StatefulSet's claim templates apply to new claims only), and a second pod using the claim will no longer start",
                            vec![ObjectEdit::set(claim.object, rwo_path.clone(), "ReadWriteOncePod")],
                        )),
                );
            }
        }
    }
}

/// A database or coordination service whose engine (when known) has one process owning
/// its data files.
fn single_writer(graph: &StorageGraph, workload: &Workload) -> bool {
    if !workload.kind.is_long_running() || !matches!(workload.role.role, Role::Database | Role::Coordination)
    {
        return false;
    }
    match workload.role.engine.as_deref() {
        Some(name) => graph.catalog.roles.engine(name).is_none_or(|e| e.single_writer),
        None => true,
    }
}

/// Exactly one pod, never two at once (rollouts stop the old pod first).
fn runs_one_pod_at_a_time(workload: &Workload) -> bool {
    let one_replica = workload.replicas.as_ref().is_some_and(|r| r.count == 1);
    match workload.kind {
        WorkloadKind::Pod => true,
        WorkloadKind::StatefulSet => one_replica,
        WorkloadKind::Deployment => {
            one_replica && workload.strategy.as_ref().is_some_and(|s| s.recreate || !s.surges)
        }
        _ => false,
    }
}
