use kstor_model::graph::ClaimOrigin;
use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::Finding;
use crate::live::{age_text, backing, clause, events_for};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags a PersistentVolumeClaim in phase `Lost` (it is bound to a
    /// PersistentVolume that no longer exists) and a PersistentVolume in phase `Failed` (its
    /// automatic reclamation failed), with the volume's status message.
    ///
    /// ## Why it matters
    /// A `Lost` claim's data is unreachable: the scheduler rejects every pod that uses it
    /// ("bound to non-existent persistentvolume"), so the workload is down until the volume
    /// is restored or the claim recreated from a backup. A `Failed` volume was meant to be
    /// deleted (or recycled) but was not: its backing disk may still exist and be billed, and
    /// the object needs an admin.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data-kafka-2
    ///   namespace: events
    /// spec:
    ///   volumeName: pvc-8e1d        # deleted by hand
    /// status:
    ///   phase: Lost
    /// ```
    ///
    /// ## Fix
    /// For a `Lost` claim: recreate the PersistentVolume object with the same name pointing at
    /// the backing disk if it still exists (then the claim binds again), or delete the claim
    /// and restore the data into a new one. For a `Failed` volume: fix the reported error
    /// (often permissions of the provisioner), delete the backing disk by hand if it is no
    /// longer needed, then delete the PersistentVolume.
    ///
    /// **Automatic fix:** none: a live-state finding about the cluster, not a file.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Phase":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#phase>
    /// - Kubernetes docs, Persistent Volumes, "Reclaiming":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reclaiming>
    pub struct ClaimLost {
        code: "KS903",
        name: "claim-lost",
        group: LiveState,
        severity: Error,
        summary: "a claim has lost its volume (Lost), or a volume failed to be reclaimed (Failed)",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for ClaimLost {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        let phase = Path::root().key("status").key("phase");
        for claim in &graph.claims {
            if claim.origin != ClaimOrigin::Standalone || claim.phase.as_deref() != Some("Lost") {
                continue;
            }
            let volume = claim.volume_name.as_deref().unwrap_or("its volume");
            let users: Vec<String> = graph
                .live_pods
                .iter()
                .filter(|p| p.namespace == claim.namespace && p.claims.contains(&claim.name))
                .take(3)
                .map(|p| format!("pod {}", p.name))
                .collect();
            let users = if users.is_empty() {
                "no pod can use it".to_string()
            } else {
                format!("{} cannot start", super::common::join_names(&users))
            };
            let message = format!(
                "{} is Lost: persistent volume {volume} it is bound to no longer exists, so its data is unreachable and {users}",
                claim.describe(graph)
            );
            let mut finding = Finding::at(&Self::META, claim.object, phase.clone(), message).help(format!(
                "recreate persistent volume {volume} pointing at the backing disk if it still exists, or delete the claim and restore its data into a new one"
            ));
            if let Some(event) =
                events_for(graph, "PersistentVolumeClaim", Some(&claim.namespace), &claim.name)
                    .into_iter()
                    .find(|e| e.reason == "ClaimLost" || e.reason == "ClaimMisbound")
            {
                let seen = event.last_seen.map(|t| format!(" ({} ago)", age_text(audit.age_seconds(t))));
                finding = finding.related(
                    event.object,
                    Path::root().key("message"),
                    format!("event {}{}", event.reason, seen.unwrap_or_default()),
                );
            }
            out.push(finding);
        }
        for volume in &graph.volumes {
            if volume.phase.as_deref() != Some("Failed") {
                continue;
            }
            let why =
                volume.status_message.as_deref().map(|m| format!(" ({})", clause(m))).unwrap_or_default();
            let policy = volume.reclaim_policy.as_deref().unwrap_or("its reclaim policy");
            let backing = backing(volume);
            let message = format!(
                "persistent volume {} is Failed: reclaiming it with {policy} failed{why}; {backing} may still exist and be billed, and the volume needs an admin",
                volume.name
            );
            out.push(Finding::at(&Self::META, volume.object, phase.clone(), message).help(format!(
                "fix the reported error, delete {backing} by hand if it is not needed, then delete the PersistentVolume"
            )));
        }
    }
}
