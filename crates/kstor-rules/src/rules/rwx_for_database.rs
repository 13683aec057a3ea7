use std::collections::HashSet;

use kstor_model::catalog::AccessMode;

use super::common::{class_phrase, role_and_workload};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a database, message queue, search engine or coordination service (a workload
    /// whose role kstor recognises from its image, labels, ports or a `kstor.io/role`
    /// annotation) that keeps its data directory on a claim requesting `ReadWriteMany`.
    ///
    /// ## Why it matters
    /// These engines assume they are the only writer of their data files and rely on
    /// `fsync` and POSIX locking semantics that shared network file systems weaken. Two pods
    /// mounting the same `ReadWriteMany` volume (a second replica, a rollout, a failover that
    /// did not fence the old pod) write the same files and corrupt them. Shared file storage
    /// is also 3–5× slower at the p99 than block storage, which a write-ahead log feels first.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: nfs
    /// provisioner: nfs.csi.k8s.io     # shared file storage
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: pg-data
    /// spec:
    ///   accessModes: [ReadWriteMany]   # a database directory opened from several nodes
    ///   storageClassName: nfs
    ///   resources:
    ///     requests:
    ///       storage: 50Gi
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: pg
    /// spec:
    ///   strategy: {type: Recreate}
    ///   selector:
    ///     matchLabels: {app: pg}
    ///   template:
    ///     metadata:
    ///       labels: {app: pg}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:16
    ///           volumeMounts:
    ///             - {name: data, mountPath: /var/lib/postgresql/data}
    ///       volumes:
    ///         - name: data
    ///           persistentVolumeClaim: {claimName: pg-data}
    /// ```
    ///
    /// ## Fix
    /// Give each replica its own `ReadWriteOnce` (or `ReadWriteOncePod`) block volume, with a
    /// StatefulSet's `volumeClaimTemplates`, and replicate at the database layer (streaming
    /// replication, a replicated log), not through shared storage.
    ///
    /// **Automatic fix:** unsafe: changes the claim (or claim template) to `ReadWriteOnce`.
    /// accessModes of a claim are immutable, and the data must move to a volume of a block
    /// driver, which kstor cannot do.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Access Modes":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes>
    /// - PostgreSQL docs, "Use of Network File Systems" (storage)
    pub struct RwxForDatabase {
        code: "KS201",
        name: "rwx-for-database",
        group: AccessModes,
        severity: Error,
        summary: "a database, queue, search or coordination workload keeps its data on a ReadWriteMany claim",
        fixes: [Unsafe],
    }
}

impl Check for RwxForDatabase {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            if !workload.kind.is_long_running() || !workload.role.role.needs_single_writer() {
                continue;
            }
            let mut reported = HashSet::new();
            for (container, mount) in graph.data_mounts(workload) {
                let Some(claim_id) = graph.claim_of_mount(workload, mount) else {
                    continue;
                };
                let claim = graph.claim(claim_id);
                let Some((_, rwx_path)) =
                    claim.access_modes.iter().find(|(m, _)| *m == AccessMode::ReadWriteMany)
                else {
                    continue;
                };
                if !reported.insert(claim_id) {
                    continue;
                }
                let message = format!(
                    "{} keeps its data ({}) on {}, which requests ReadWriteMany on {}: shared file storage gives no single-writer guarantee, and two pods writing the same data files corrupt them",
                    role_and_workload(workload),
                    mount.mount_path,
                    claim.describe(graph),
                    class_phrase(graph, claim),
                );
                let mut finding = Finding::at(&Self::META, claim.object, rwx_path.clone(), message)
                    .related(
                        workload.object,
                        mount.path.clone(),
                        format!("container {} mounts it at {}", container.name, mount.mount_path),
                    )
                    .help("request ReadWriteOnce (or ReadWriteOncePod) block storage per replica and replicate at the database layer")
                    .fix(Fix::unsafe_fix(
                        "request ReadWriteOnce; a claim's access modes are immutable: recreate the claim and move its data (a StatefulSet's claim templates apply to new claims only)",
                        vec![ObjectEdit::set(claim.object, rwx_path.clone(), "ReadWriteOnce")],
                    ));
                if let Some(class) = graph.class_of(claim) {
                    finding = finding.related(
                        class.object,
                        kstor_model::Path::root().key("provisioner"),
                        format!("class {} provisions with {}", class.name, class.provisioner),
                    );
                }
                out.push(finding);
            }
        }
    }
}
