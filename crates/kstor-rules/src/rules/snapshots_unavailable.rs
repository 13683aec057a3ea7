use std::collections::BTreeMap;

use kstor_model::graph::{ClaimOrigin, StorageGraph, Workload};
use kstor_model::path::Path;

use super::common::{join_names, role_and_workload};
use crate::context::{Context, SnapshotApi};
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only, when stateful workloads (database, queue, search, coordination,
    /// object store) keep their data on claims. Reports, once per cause:
    ///
    /// - the snapshot API (`snapshot.storage.k8s.io`) is not served: the CRDs are missing;
    /// - no snapshot-controller runs: no workload's image contains `snapshot-controller`.
    ///   Judged only when the input has pods in `kube-system` (so system pods were listed)
    ///   and not on GKE or AKS nodes, whose managed control plane runs the controller
    ///   invisibly;
    /// - (API served) the CSI driver of a stateful claim bound to a static volume, which
    ///   supports snapshots, has no VolumeSnapshotClass. Drivers reached through a
    ///   StorageClass are left to KS401, which reports the class.
    ///
    /// ## Why it matters
    /// VolumeSnapshots are not built into Kubernetes: without the CRDs and the
    /// snapshot-controller, no VolumeSnapshot is ever taken, so backup tools built on them
    /// (Velero's CSI plugin, Kasten, operators' scheduled backups) fail or silently fall back
    /// to slow file copies, and point-in-time recovery of the databases is not available.
    ///
    /// ## Example
    /// ```yaml
    /// # kstor audit: a PostgreSQL StatefulSet keeps its data on a claim...
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: pg, namespace: db}
    /// spec:
    ///   serviceName: pg
    ///   selector: {matchLabels: {app: pg}}
    ///   template:
    ///     metadata: {labels: {app: pg}}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16
    ///           volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
    ///   volumeClaimTemplates:
    ///     - metadata: {name: data}
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         storageClassName: gp3
    ///         resources: {requests: {storage: 100Gi}}
    /// ---
    /// # ...but kube-system runs no snapshot-controller, only pods like this one
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: coredns-5d78c9869d-x2x4z
    ///   namespace: kube-system
    /// spec:
    ///   containers: [{name: coredns, image: "registry.k8s.io/coredns/coredns:v1.11.1"}]
    /// status: {phase: Running}
    /// ```
    ///
    /// ## Fix
    /// Install the snapshot CRDs and the snapshot-controller (your distribution's add-on, or
    /// `kubectl kustomize client/config/crd` and `deploy/kubernetes/snapshot-controller` from
    /// external-snapshotter), then add a VolumeSnapshotClass per CSI driver with
    /// `deletionPolicy: Retain`.
    ///
    /// **Automatic fix:** none: a live-state finding; installing the snapshot CRDs and controller
    /// is a cluster change.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - kubernetes-csi/external-snapshotter, "Usage":
    ///   <https://github.com/kubernetes-csi/external-snapshotter#usage>
    pub struct SnapshotsUnavailable {
        code: "KS910",
        name: "snapshots-unavailable",
        group: LiveState,
        severity: Warning,
        summary: "stateful workloads run but volume snapshots are not available in the cluster",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for SnapshotsUnavailable {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        let mut stateful: Vec<(&Workload, Path)> = graph
            .workloads
            .iter()
            .filter(|w| w.kind.is_long_running() && w.role.role.holds_critical_data())
            .filter_map(|w| {
                let (_, mount) =
                    graph.data_mounts(w).into_iter().find(|(_, m)| graph.claim_of_mount(w, m).is_some())?;
                Some((w, mount.path.clone()))
            })
            .collect();
        if stateful.is_empty() {
            return;
        }
        stateful.sort_by(|a, b| (&a.0.namespace, &a.0.name).cmp(&(&b.0.namespace, &b.0.name)));
        let (first, path) = &stateful[0];
        let names: Vec<String> = stateful.iter().take(3).map(|(w, _)| role_and_workload(w)).collect();
        let more =
            if stateful.len() > 3 { format!(" and {} more", stateful.len() - 3) } else { String::new() };
        let who = format!(
            "{} stateful workload{} ({}{more}) keep{} data on persistent volumes",
            stateful.len(),
            if stateful.len() == 1 { "" } else { "s" },
            join_names(&names),
            if stateful.len() == 1 { "s" } else { "" },
        );
        let finding = |message: String, help: &str| {
            let mut f = Finding::at(&Self::META, first.object, path.clone(), message).help(help.to_string());
            for (w, p) in stateful.iter().skip(1).take(2) {
                f = f.related(w.object, p.clone(), role_and_workload(w));
            }
            f
        };
        if audit.snapshot_api == SnapshotApi::Missing {
            out.push(finding(
                format!("{who}, but the cluster does not serve snapshot.storage.k8s.io (the snapshot CRDs are not installed): no VolumeSnapshot can be taken or restored"),
                "install the snapshot CRDs and the snapshot-controller (kubernetes-csi/external-snapshotter), then a VolumeSnapshotClass per driver",
            ));
            return;
        }
        if controller_checkable(graph) && !controller_runs(graph) {
            out.push(finding(
                format!("{who}, but no snapshot-controller pod was found: VolumeSnapshots stay unbound and never become ready"),
                "deploy the snapshot-controller (your distribution's add-on, or external-snapshotter's deploy/kubernetes/snapshot-controller)",
            ));
        }
        if audit.snapshot_api == SnapshotApi::Served {
            for (driver, (w, p)) in static_drivers_without_class(graph, &stateful) {
                out.push(
                    Finding::at(
                        &Self::META,
                        w.object,
                        p,
                        format!(
                            "{} keeps data on a static volume of {driver}, which supports snapshots, but no VolumeSnapshotClass has driver {driver}: its volumes cannot be snapshotted",
                            role_and_workload(w)
                        ),
                    )
                    .help(format!("add a VolumeSnapshotClass with `driver: {driver}` and `deletionPolicy: Retain`")),
                );
            }
        }
    }
}

/// System pods were listed, and the control plane is not a managed one that hides the
/// snapshot-controller (GKE, AKS).
fn controller_checkable(graph: &StorageGraph) -> bool {
    let managed = graph.nodes.iter().any(|n| {
        n.labels
            .iter()
            .any(|(k, _)| k.starts_with("cloud.google.com/gke-") || k.starts_with("kubernetes.azure.com/"))
    });
    !managed && graph.live_pods.iter().any(|p| p.namespace == "kube-system")
}

/// A workload (not scaled to zero) runs an image named like `snapshot-controller`.
fn controller_runs(graph: &StorageGraph) -> bool {
    graph
        .workloads
        .iter()
        .filter(|w| w.replicas.as_ref().is_none_or(|r| r.count > 0))
        .any(|w| w.pod.containers.iter().any(|c| c.image.contains("snapshot-controller")))
}

/// Snapshot-capable CSI drivers of stateful claims bound to static volumes (no class in the
/// input) that have no VolumeSnapshotClass, with the first workload using each.
fn static_drivers_without_class<'w>(
    graph: &StorageGraph,
    stateful: &[(&'w Workload, Path)],
) -> BTreeMap<String, (&'w Workload, Path)> {
    let mut out = BTreeMap::new();
    for (w, _) in stateful {
        for (_, mount) in graph.data_mounts(w) {
            let Some(mut claim) = graph.claim_of_mount(w, mount).map(|c| graph.claim(c)) else {
                continue;
            };
            // A StatefulSet's template: judge its first replica's claim as it runs.
            if matches!(claim.origin, ClaimOrigin::Template { .. })
                && let Some(instance) =
                    graph.claim_named(&w.namespace, &format!("{}-{}-0", claim.name, w.name))
            {
                claim = graph.claim(instance);
            }
            if graph.class_of(claim).is_some() || claim.volume.is_none() {
                continue;
            }
            let Some(driver) = graph.driver_of_claim(claim) else {
                continue;
            };
            if !driver.capabilities.as_ref().is_some_and(|caps| caps.snapshots && caps.csi) {
                continue;
            }
            let driver = driver.name.clone();
            if graph.snapshot_classes_for(&driver).next().is_none() {
                out.entry(driver).or_insert_with(|| (*w, mount.path.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{audit, run_rule};

    const PG: &str = "
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  template:
    spec:
      containers:
        - {name: pg, image: postgres:16, volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], storageClassName: gp3}
";

    fn messages(text: &str, api: SnapshotApi) -> Vec<String> {
        let mut options = audit();
        options.audit.as_mut().unwrap().snapshot_api = api;
        run_rule(&SnapshotsUnavailable, text, &options).into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn missing_crds_are_reported_once() {
        let found = messages(PG, SnapshotApi::Missing);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("snapshot CRDs are not installed"), "{}", found[0]);
    }

    #[test]
    fn the_controller_is_judged_only_when_system_pods_were_listed() {
        // No pods at all: nothing is known about the controller.
        assert!(messages(PG, SnapshotApi::Served).is_empty());
        let gke = format!(
            "{PG}---
apiVersion: v1
kind: Node
metadata: {{name: n1, labels: {{cloud.google.com/gke-nodepool: default}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: kube-dns-1, namespace: kube-system}}
spec: {{containers: [{{name: dns, image: kube-dns}}]}}
"
        );
        // GKE runs the controller in its managed control plane.
        assert!(messages(&gke, SnapshotApi::Served).is_empty());
        let plain = gke.replace("cloud.google.com/gke-nodepool", "pool");
        assert_eq!(messages(&plain, SnapshotApi::Served).len(), 1);
    }
}
