use std::collections::HashSet;

use kstor_model::graph::{Claim, ClaimOrigin, StorageGraph, WorkloadKind};
use kstor_model::path::Path;

use super::common::workload_name;
use crate::context::Context;
use crate::finding::Finding;
use kstor_model::quantity::format_bytes;

use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only, and only when the input contains Pods (a dump without pods says
    /// nothing about use). Flags a `Bound` PersistentVolumeClaim that no Pod names, in any
    /// phase (a completed Job's pod still counts as a user). The message tells the common
    /// cases apart:
    ///
    /// - a claim of a StatefulSet scaled to zero (`<template>-<statefulset>-<ordinal>`): kept
    ///   for the next scale-up;
    /// - a claim of an ordinal at or above the StatefulSet's replicas: left over after a
    ///   scale-down (`persistentVolumeClaimRetentionPolicy.whenScaled: Retain`, the default);
    /// - a claim a Deployment or other workload names while it is scaled to zero.
    ///
    /// Claims a CronJob or Job in the input names are not reported (they are used between
    /// runs), nor are claims being deleted.
    ///
    /// ## Why it matters
    /// A bound claim keeps its volume provisioned and billed. Claims nobody mounts are
    /// typically leftovers of removed applications or scale-downs; they also keep their data
    /// (which may be wanted, or a compliance problem).
    ///
    /// ## Example
    /// ```yaml
    /// # kstor audit: redis was scaled from 4 to 3 replicas
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: redis, namespace: cache}
    /// spec:
    ///   replicas: 3
    ///   serviceName: redis
    ///   selector: {matchLabels: {app: redis}}
    ///   template:
    ///     metadata: {labels: {app: redis}}
    ///     spec:
    ///       containers:
    ///         - name: redis
    ///           image: redis:7.4
    ///           volumeMounts: [{name: data, mountPath: /data}]
    ///   volumeClaimTemplates:
    ///     - metadata: {name: data}
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         resources: {requests: {storage: 20Gi}}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: redis-0
    ///   namespace: cache
    ///   ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: redis, uid: u1, controller: true}]
    /// spec:
    ///   containers: [{name: redis, image: "redis:7.4"}]
    ///   volumes: [{name: data, persistentVolumeClaim: {claimName: data-redis-0}}]
    /// status: {phase: Running}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data-redis-3          # ordinal 3 no longer runs: no pod mounts it, still billed
    ///   namespace: cache
    /// spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}
    /// status:
    ///   phase: Bound
    ///   capacity: {storage: 20Gi}
    /// ```
    ///
    /// ## Fix
    /// Delete claims that are no longer needed (their volume follows its reclaim policy), or
    /// set the StatefulSet's `persistentVolumeClaimRetentionPolicy.whenScaled: Delete` if
    /// scaled-down replicas never need their data back.
    ///
    /// **Automatic fix:** none: a live-state finding; an unused claim may hold data someone still
    /// needs.
    ///
    /// ## References
    /// - Kubernetes docs, StatefulSets, "PersistentVolumeClaim retention":
    ///   <https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention>
    /// - Kubernetes docs, Persistent Volumes, "Lifecycle of a volume and claim":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#lifecycle-of-a-volume-and-claim>
    pub struct UnusedClaim {
        code: "KS904",
        name: "unused-claim",
        group: LiveState,
        severity: Info,
        summary: "a bound claim is mounted by no pod",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for UnusedClaim {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if ctx.graph.live_pods.is_empty() {
            return;
        }
        let graph = ctx.graph;
        let mounted: HashSet<(&str, &str)> = graph
            .live_pods
            .iter()
            .flat_map(|p| p.claims.iter().map(move |c| (p.namespace.as_str(), c.as_str())))
            .collect();
        for (i, claim) in graph.claims.iter().enumerate() {
            if claim.origin != ClaimOrigin::Standalone
                || claim.phase.as_deref() != Some("Bound")
                || claim.live.as_ref().is_some_and(|l| l.deleting.is_some())
            {
                continue;
            }
            if mounted.contains(&(claim.namespace.as_str(), claim.name.as_str())) {
                continue;
            }
            let users = graph.claim_users(kstor_model::graph::ClaimId(i));
            if users
                .iter()
                .any(|&w| matches!(graph.workload(w).kind, WorkloadKind::Job | WorkloadKind::CronJob))
            {
                continue;
            }
            let reason = statefulset_reason(graph, claim).or_else(|| {
                users
                    .iter()
                    .map(|&w| graph.workload(w))
                    .find(|w| w.replicas.as_ref().is_some_and(|r| r.count == 0))
                    .map(|w| format!("{} that names it is scaled to zero", workload_name(w)))
            });
            let size = claim
                .live
                .as_ref()
                .and_then(|l| l.capacity)
                .or(claim.request)
                .map(|b| format!(" ({})", format_bytes(b)))
                .unwrap_or_default();
            let message = match reason {
                Some(reason) => format!(
                    "{}{size} is Bound but no pod mounts it: {reason}; its volume stays provisioned and billed",
                    claim.describe(graph)
                ),
                None => format!(
                    "{}{size} is Bound but no pod mounts it: its volume stays provisioned and billed; it may be a leftover of a removed application",
                    claim.describe(graph)
                ),
            };
            out.push(
                Finding::at(&Self::META, claim.object, Path::root().key("metadata").key("name"), message)
                    .help("delete the claim if its data is no longer needed (its volume then follows its reclaim policy)"),
            );
        }
    }
}

/// For a claim named `<template>-<statefulset>-<ordinal>` of a StatefulSet in the input:
/// scaled to zero, or an ordinal left over after a scale-down.
fn statefulset_reason(graph: &StorageGraph, claim: &Claim) -> Option<String> {
    graph.workloads.iter().filter(|w| w.kind == WorkloadKind::StatefulSet && w.namespace == claim.namespace).find_map(
        |sts| {
            let ordinal = sts.claim_templates.iter().find_map(|&t| {
                let prefix = format!("{}-{}-", graph.claim(t).name, sts.name);
                claim.name.strip_prefix(prefix.as_str())?.parse::<i32>().ok()
            })?;
            let replicas = sts.replicas.as_ref().map_or(1, |r| r.count);
            if replicas == 0 {
                Some(format!("{} is scaled to zero, and keeps the claim for the next scale-up", workload_name(sts)))
            } else if ordinal >= replicas {
                Some(format!(
                    "{} runs {replicas} replica{} (ordinals 0–{}), so this claim of ordinal {ordinal} is left over from a scale-down (`whenScaled: Retain`)",
                    workload_name(sts),
                    if replicas == 1 { "" } else { "s" },
                    replicas - 1
                ))
            } else {
                None
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{audit, run_rule};

    fn count(text: &str) -> usize {
        run_rule(&UnusedClaim, text, &audit()).len()
    }

    const CLAIM: &str = "
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: leftover, namespace: web}
spec: {accessModes: [ReadWriteOnce]}
status: {phase: Bound}
";

    #[test]
    fn claims_are_judged_only_when_the_input_has_pods() {
        assert_eq!(count(CLAIM), 0);
        let with_pod = format!(
            "{CLAIM}---
apiVersion: v1
kind: Pod
metadata: {{name: other, namespace: web}}
spec: {{containers: [{{name: c, image: nginx}}]}}
"
        );
        assert_eq!(count(&with_pod), 1);
    }
}
