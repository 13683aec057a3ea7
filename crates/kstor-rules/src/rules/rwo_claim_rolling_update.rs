use kstor_model::edit::NewValue;
use kstor_model::graph::{StorageGraph, VolumeSource, Workload, WorkloadKind};
use kstor_model::path::Path;

use super::common::{Conflict, modes_text, single_node_claim_conflicts, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a single-replica Deployment that mounts a `ReadWriteOnce` or
    /// `ReadWriteOncePod` claim and updates with the `RollingUpdate` strategy (the default)
    /// while `maxSurge` lets a new pod start before the old one stops (the default `25%`
    /// rounds up to one pod) and `maxUnavailable` keeps the old pod until the new one is
    /// ready (the default `25%` rounds down to zero). Drivers that do not attach volumes are
    /// exempt for `ReadWriteOnce`, as in KS202.
    ///
    /// ## Why it matters
    /// During every rollout the new pod is created while the old one still holds the
    /// volume, and with one replica the default `maxUnavailable` (25%, rounded down to 0)
    /// keeps the old pod until the new one is ready. If the new pod lands on another node it
    /// cannot attach the volume (Multi-Attach error); with `ReadWriteOncePod` it cannot even
    /// be scheduled. Neither pod gives way: the rollout hangs until someone deletes the old
    /// pod by hand.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com
    /// volumeBindingMode: WaitForFirstConsumer
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: wiki-data
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   storageClassName: gp3
    ///   resources:
    ///     requests:
    ///       storage: 10Gi
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: wiki
    /// spec:
    ///   replicas: 1
    ///   # strategy unset: RollingUpdate with maxSurge 25%, so a rollout starts a second pod
    ///   selector:
    ///     matchLabels: {app: wiki}
    ///   template:
    ///     metadata:
    ///       labels: {app: wiki}
    ///     spec:
    ///       containers:
    ///         - name: wiki
    ///           image: ghcr.io/example/wiki:1.40
    ///           volumeMounts:
    ///             - {name: data, mountPath: /var/www/data}
    ///       volumes:
    ///         - name: data
    ///           persistentVolumeClaim:
    ///             claimName: wiki-data   # ReadWriteOnce: held by the old pod
    /// ```
    ///
    /// ## Fix
    /// Set `spec.strategy.type: Recreate` (the old pod stops before the new one starts), or
    /// `rollingUpdate: {maxSurge: 0, maxUnavailable: 1}`; or run it as a StatefulSet.
    ///
    /// **Automatic fix:** safe: sets `maxSurge: 0` and `maxUnavailable: 1` where the Deployment
    /// writes `rollingUpdate`, else `strategy.type: Recreate`; the strategy is mutable and only
    /// the rollout order changes.
    ///
    /// ## References
    /// - Kubernetes docs, Deployments, "Strategy":
    ///   <https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy>
    /// - `apps/v1` defaults: maxSurge and maxUnavailable 25%
    pub struct RwoClaimRollingUpdate {
        code: "KS203",
        name: "rwo-claim-rolling-update",
        group: AccessModes,
        severity: Warning,
        summary: "a single-replica Deployment with a ReadWriteOnce claim rolls out with maxSurge > 0",
        fixes: [Safe],
    }
}

impl Check for RwoClaimRollingUpdate {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            if workload.kind != WorkloadKind::Deployment
                || workload.replicas.as_ref().is_none_or(|r| r.count != 1)
            {
                continue;
            }
            let Some(strategy) = &workload.strategy else {
                continue;
            };
            if strategy.recreate || !strategy.surges || !strategy.keeps_old_pod {
                continue;
            }
            for volume in &workload.pod.volumes {
                let VolumeSource::Claim { claim: Some(claim_id), .. } = &volume.source else {
                    continue;
                };
                let claim = graph.claim(*claim_id);
                let Some(conflict) = single_node_claim_conflicts(graph, workload, claim) else {
                    continue;
                };
                let consequence = match conflict {
                    Conflict::SinglePod => {
                        "the new pod cannot be scheduled while the old one holds the ReadWriteOncePod volume, and the old one waits for the new one: the rollout hangs"
                    }
                    _ => {
                        "during a rollout the new pod starts before the old one stops; on another node it cannot attach the volume (Multi-Attach error) and the rollout hangs"
                    }
                };
                let message = format!(
                    "{} (1 replica, RollingUpdate with maxSurge {}) mounts {} ({}): {consequence}",
                    workload_name(workload),
                    strategy.max_surge,
                    claim.describe(graph),
                    modes_text(claim),
                );
                out.push(
                    Finding::at(&Self::META, workload.object, strategy.path.clone(), message)
                        .related(
                            workload.object,
                            volume.path.key("persistentVolumeClaim").key("claimName"),
                            "the claim is mounted here",
                        )
                        .related(
                            claim.object,
                            claim
                                .access_modes
                                .first()
                                .map(|(_, p)| p.clone())
                                .unwrap_or_else(|| claim.path.clone()),
                            format!("{} requests {}", claim.describe(graph), modes_text(claim)),
                        )
                        .help(
                            "set `strategy.type: Recreate` (or rollingUpdate maxSurge: 0, maxUnavailable: 1)",
                        )
                        .fix(strategy_fix(graph, workload)),
                );
            }
        }
    }
}
/// A written `rollingUpdate` gets maxSurge 0 and maxUnavailable 1 (the old pod stops
/// first); otherwise the strategy becomes `Recreate`. Both are mutable and safe.
fn strategy_fix(graph: &StorageGraph, workload: &Workload) -> Fix {
    let strategy = Path::root().key("spec").key("strategy");
    let rolling = strategy.key("rollingUpdate");
    if rolling.node(graph.object(workload.object).root()).is_some_and(|n| n.as_map().is_some()) {
        let value = NewValue::Map(vec![
            ("maxSurge".into(), NewValue::Int(0)),
            ("maxUnavailable".into(), NewValue::Int(1)),
        ]);
        Fix::safe(
            "set `rollingUpdate.maxSurge: 0` and `maxUnavailable: 1`: the old pod stops before the new one starts",
            vec![ObjectEdit::set(workload.object, rolling, value)],
        )
    } else {
        Fix::safe(
            "set `strategy.type: Recreate`: the old pod stops before the new one starts",
            vec![ObjectEdit::set(workload.object, strategy.key("type"), "Recreate")],
        )
    }
}
