use kstor_model::graph::WorkloadKind;
use kstor_model::path::Segment;

use super::common::role_and_workload;
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::{NewValue, ObjectEdit};

crate::declare_rule! {
    /// ## What it does
    /// Flags a StatefulSet of a database, message queue, search engine, coordination
    /// service or object store whose `persistentVolumeClaimRetentionPolicy` sets
    /// `whenDeleted: Delete` or `whenScaled: Delete` (one finding per field).
    ///
    /// ## Why it matters
    /// By default (`Retain`) the claims of a StatefulSet's `volumeClaimTemplates` outlive
    /// the StatefulSet and its scale-downs. With `Delete` (the policy is GA since
    /// Kubernetes 1.32):
    ///
    /// - `whenDeleted: Delete` deletes every claim once the StatefulSet is deleted: a
    ///   `helm uninstall`, a re-create to change an immutable field, or a `kubectl delete`
    ///   with the wrong selector removes the data of every replica;
    /// - `whenScaled: Delete` deletes the claims of the ordinals removed by a scale-down:
    ///   scaling from 3 to 1 (by hand, by an autoscaler, by a mistyped value) loses the
    ///   data of two replicas, and scaling back up starts them empty.
    ///
    /// The claims are deleted normally, so the volume's reclaim policy then applies: with
    /// the default `Delete` the disks are gone too. Pods replaced after a node failure do
    /// not trigger it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: kafka
    /// spec:
    ///   serviceName: kafka-headless
    ///   replicas: 3
    ///   persistentVolumeClaimRetentionPolicy:
    ///     whenDeleted: Delete   # uninstalling deletes every broker's log
    ///     whenScaled: Delete    # scaling 3 -> 1 deletes the logs of brokers 1 and 2
    ///   selector:
    ///     matchLabels: {app: kafka}
    ///   template:
    ///     metadata:
    ///       labels: {app: kafka}
    ///     spec:
    ///       containers:
    ///         - name: kafka
    ///           image: bitnami/kafka:3.7
    ///           volumeMounts:
    ///             - {name: data, mountPath: /bitnami/kafka}
    ///   volumeClaimTemplates:
    ///     - metadata:
    ///         name: data
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         resources:
    ///           requests:
    ///             storage: 200Gi
    /// ```
    ///
    /// ## Fix
    /// Keep the default `Retain` for both fields (or remove the policy) and delete the
    /// claims of a decommissioned database deliberately, after a backup. The policy is
    /// mutable, so the fix applies to a running StatefulSet.
    ///
    /// **Automatic fix:** safe: sets `persistentVolumeClaimRetentionPolicy` to `Retain` for
    /// deletion and scale-down (on an operator resource, its own setting); the field is mutable
    /// and only keeps claims that would have been deleted.
    ///
    /// ## References
    /// - Kubernetes docs, StatefulSets, "PersistentVolumeClaim retention":
    ///   <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention>
    /// - StatefulSetAutoDeletePVC feature gate (alpha 1.23, beta 1.27, GA 1.32)
    pub struct StatefulsetRetentionDeletesClaims {
        code: "KS302",
        name: "statefulset-retention-deletes-claims",
        group: DataSafety,
        severity: Warning,
        summary: "a StatefulSet of a stateful role deletes its claims when deleted or scaled down",
        fixes: [Safe],
    }
}

impl Check for StatefulsetRetentionDeletesClaims {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let Some(retention) = &workload.retention else {
                continue;
            };
            if !workload.role.role.holds_critical_data() {
                continue;
            }
            let fields = [
                (
                    &retention.when_deleted,
                    "whenDeleted",
                    "deleting the {kind} deletes the claims of every replica, and with them (reclaim policy Delete) the volumes and the data",
                ),
                (
                    &retention.when_scaled,
                    "whenScaled",
                    "scaling the {kind} down deletes the claims of the removed replicas: their data is lost, and scaling back up starts them empty",
                ),
            ];
            for (field, name, consequence) in fields {
                let Some((value, path)) = field else {
                    continue;
                };
                if value != "Delete" {
                    continue;
                }
                let consequence = consequence.replace("{kind}", workload.kind_word());
                // Operators spell the policy their own way (Strimzi `deleteClaim: true`).
                let (setting, fix) = match (workload.kind, path.segments().last()) {
                    (WorkloadKind::Operator, Some(Segment::Key(key))) => {
                        (format!("{key}: true"), format!("{key}: false"))
                    }
                    _ => (
                        format!("persistentVolumeClaimRetentionPolicy.{name}: Delete"),
                        format!("{name}: Retain"),
                    ),
                };
                let message = format!("{} sets {setting}: {consequence}", role_and_workload(workload));
                let value = match workload.kind {
                    WorkloadKind::Operator => NewValue::Bool(false),
                    _ => NewValue::str("Retain"),
                };
                let mut finding = Finding::at(&Self::META, workload.object, path.clone(), message)
                    .help(format!("set `{fix}` (the default) and delete claims deliberately, after a backup"))
                    .fix(Fix::safe(
                        format!("set `{fix}` (the field can be changed on an existing object)"),
                        vec![ObjectEdit::set(workload.object, path.clone(), value)],
                    ));
                for claim in workload.claim_templates.iter().map(|&id| graph.claim(id)) {
                    finding = finding.related(
                        claim.object,
                        claim.path.clone(),
                        format!("claims of template {} are deleted", claim.name),
                    );
                }
                out.push(finding);
            }
        }
    }
}
