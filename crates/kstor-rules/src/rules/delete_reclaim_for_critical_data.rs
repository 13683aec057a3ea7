use std::collections::HashSet;

use kstor_model::graph::ClaimOrigin;
use kstor_model::path::Path;

use super::common::{class_phrase, role_and_workload};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a claim that holds the data of a database, message queue, search engine,
    /// coordination service or object store when its volume will be deleted together with
    /// the claim: its StorageClass has `reclaimPolicy: Delete` (or leaves it unset, which
    /// means `Delete`), or the static PersistentVolume it binds to has
    /// `persistentVolumeReclaimPolicy: Delete`.
    ///
    /// Claims whose class the input does not define are not judged (their reclaim policy is
    /// unknown); `kstor audit` sees the cluster's classes.
    ///
    /// ## Why it matters
    /// Deleting the claim deletes the disk and every byte on it: a `helm uninstall`, a
    /// deleted namespace, a StatefulSet retention policy of `Delete`, or a mistyped
    /// `kubectl delete pvc`. With `Retain` the volume survives as `Released` and can be
    /// re-bound; recovery is an admin task instead of a restore from backup.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: standard
    /// provisioner: pd.csi.storage.gke.io
    /// volumeBindingMode: WaitForFirstConsumer
    /// # reclaimPolicy unset: Delete, the disk goes with the claim
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
    ///         accessModes: [ReadWriteOnce]
    ///         storageClassName: standard   # database data on a Delete class
    ///         resources:
    ///           requests:
    ///             storage: 100Gi
    /// ```
    ///
    /// ## Fix
    /// Put critical data on a class with `reclaimPolicy: Retain` (the field is immutable:
    /// create a new class), and patch existing volumes with
    /// `persistentVolumeReclaimPolicy: Retain`. Clean up `Released` volumes deliberately.
    ///
    /// **Automatic fix:** safe on a PersistentVolume (`persistentVolumeReclaimPolicy: Retain`, a
    /// mutable field); unsafe on a StorageClass (`reclaimPolicy: Retain`): class fields are
    /// immutable, and volumes it already provisioned keep `Delete`.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Reclaiming":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reclaiming>
    /// - Kubernetes docs, "Change the Reclaim Policy of a PersistentVolume"
    pub struct DeleteReclaimForCriticalData {
        code: "KS301",
        name: "delete-reclaim-for-critical-data",
        group: DataSafety,
        severity: Warning,
        summary: "critical data sits on a volume that is deleted with its claim (reclaimPolicy Delete)",
        fixes: [Safe, Unsafe],
    }
}

impl Check for DeleteReclaimForCriticalData {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let mut reported = HashSet::new();
        for workload in &graph.workloads {
            if !workload.kind.is_long_running() || !workload.role.role.holds_critical_data() {
                continue;
            }
            for (container, mount) in graph.data_mounts(workload) {
                let Some(claim_id) = graph.claim_of_mount(workload, mount) else {
                    continue;
                };
                let claim = graph.claim(claim_id);
                if matches!(claim.origin, ClaimOrigin::Ephemeral { .. }) || !reported.insert(claim_id) {
                    continue;
                }
                let holder = format!("{} holds {} data", claim.describe(graph), role_and_workload(workload));
                let mount_note =
                    format!("container {} keeps its data at {}", container.name, mount.mount_path);
                if let Some(volume_id) = claim.volume {
                    let volume = graph.volume(volume_id);
                    if volume.reclaim_policy.as_deref() == Some("Delete") {
                        let message = format!(
                            "{holder} on persistent volume {}, whose persistentVolumeReclaimPolicy is Delete: deleting the claim deletes the volume and its data",
                            volume.name
                        );
                        out.push(
                            Finding::at(
                                &Self::META,
                                volume.object,
                                Path::root().key("spec").key("persistentVolumeReclaimPolicy"),
                                message,
                            )
                            .related(workload.object, mount.path.clone(), mount_note)
                            .help("set `persistentVolumeReclaimPolicy: Retain` on the volume")
                            .fix(Fix::safe(
                                "set `persistentVolumeReclaimPolicy: Retain` (the field can be changed on an existing volume)",
                                vec![ObjectEdit::set(
                                    volume.object,
                                    Path::root().key("spec").key("persistentVolumeReclaimPolicy"),
                                    "Retain",
                                )],
                            )),
                        );
                    }
                    continue;
                }
                let Some(class) = graph.class_of(claim) else {
                    continue;
                };
                if !class.deletes_volumes() {
                    continue;
                }
                let policy = if class.reclaim_policy.is_some() {
                    "reclaimPolicy is Delete"
                } else {
                    "reclaimPolicy is unset (Delete)"
                };
                let message = format!(
                    "{holder} on {}, whose {policy}: deleting the claim (or its namespace) deletes the volume and its data",
                    class_phrase(graph, claim)
                );
                let class_path = if class.reclaim_policy.is_some() {
                    Path::root().key("reclaimPolicy")
                } else {
                    Path::root().key("provisioner")
                };
                out.push(
                    Finding::at(&Self::META, claim.object, claim.class_path.clone(), message)
                        .related(class.object, class_path, format!("class {} deletes volumes with their claims", class.name))
                        .related(workload.object, mount.path.clone(), mount_note)
                        .help("use a StorageClass with `reclaimPolicy: Retain` for critical data (immutable: create a new class)")
                        .fix(Fix::unsafe_fix(
                            format!("set `reclaimPolicy: Retain` on class {}; StorageClass fields are immutable: delete and recreate the class; existing volumes keep their old settings, and every claim of the class keeps its volume after deletion", class.name),
                            vec![ObjectEdit::set(class.object, Path::root().key("reclaimPolicy"), "Retain")],
                        )),
                );
            }
        }
    }
}
