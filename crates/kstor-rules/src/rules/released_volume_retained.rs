use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::Finding;
use crate::live::{
    age_text, backing, dollars, gib, is_orphaned, monthly_cost, orphaned_volumes, reclaim_policy,
};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags each PersistentVolume in phase `Released` whose reclaim
    /// policy is `Retain`: its claim was deleted, and the volume with its backing disk stays.
    /// The finding gives the volume's size, how long it has been released
    /// (`status.lastPhaseTransitionTime`, else its age), its driver and volume handle, and the
    /// total over all such volumes, with a monthly cost when `kstor audit` is given a price
    /// per GiB-month.
    ///
    /// A volume whose `persistentVolumeReclaimPolicy` is not written counts as `Retain` when
    /// it has no class (the API's default for static volumes), and takes its class's policy
    /// otherwise.
    ///
    /// ## Why it matters
    /// A `Released` volume never binds again (its `claimRef` still names the deleted claim),
    /// so nothing will ever use it unless an admin acts, yet the cloud disk is billed every
    /// month. Clusters that retain critical data (as they should) accumulate them after every
    /// `helm uninstall` and namespace deletion.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolume
    /// metadata:
    ///   name: pvc-5f1c
    /// spec:
    ///   capacity: {storage: 100Gi}
    ///   persistentVolumeReclaimPolicy: Retain
    ///   claimRef: {namespace: shop, name: data-mysql-0}   # deleted
    ///   csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0abc}
    /// status:
    ///   phase: Released
    /// ```
    ///
    /// ## Fix
    /// Decide per volume: if the data is still needed, back it up or make it bindable again
    /// (remove `spec.claimRef`, then pre-bind a new claim with `volumeName`); if not, delete
    /// the PersistentVolume and then the backing disk (with `Retain`, deleting the PV object
    /// leaves the disk in place).
    ///
    /// **Automatic fix:** none: a live-state finding; whether the Released volume's data is still
    /// needed is for its owner to decide.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Retain":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#retain>
    /// - Kubernetes docs, "Change the Reclaim Policy of a PersistentVolume":
    ///   <https://kubernetes.io/docs/tasks/administer-cluster/change-pv-reclaim-policy/>
    pub struct ReleasedVolumeRetained {
        code: "KS902",
        name: "released-volume-retained",
        group: LiveState,
        severity: Warning,
        summary: "a Released volume is kept by Retain: orphaned capacity that is still paid for",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for ReleasedVolumeRetained {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        let (count, total) = orphaned_volumes(graph);
        let cost = audit
            .price_per_gib_month
            .map(|price| {
                format!(
                    ", ~{}/month at {} per GiB-month",
                    dollars(monthly_cost(total, price)),
                    dollars(price)
                )
            })
            .unwrap_or_default();
        let summary = if count == 1 {
            format!("it is the only released volume ({} in total{cost})", gib(total))
        } else {
            format!("{count} released volumes hold {} in total{cost}", gib(total))
        };
        for volume in graph.volumes.iter().filter(|v| is_orphaned(graph, v)) {
            let size = volume.capacity.map_or_else(|| "unknown size".to_string(), gib);
            let since = match (volume.phase_since, volume.created) {
                (Some(t), _) => format!(" for {}", age_text(audit.age_seconds(t))),
                (None, Some(t)) => format!(" (created {} ago)", age_text(audit.age_seconds(t))),
                (None, None) => String::new(),
            };
            let backing = backing(volume);
            let policy = if volume.reclaim_policy.is_some() {
                "Retain"
            } else {
                "Retain (unset: the default for a volume without a class)"
            };
            debug_assert_eq!(reclaim_policy(graph, volume), Some("Retain"));
            let claim = volume
                .claim_ref
                .as_ref()
                .map(|(ns, name)| format!("its claim {ns}/{name} is gone, "))
                .unwrap_or_default();
            let message = format!(
                "persistent volume {} ({size}) has been Released{since} with reclaim policy {policy}: {claim}it never binds again, and {backing} still occupies (and bills) the storage; {summary}",
                volume.name
            );
            let mut finding =
                Finding::at(&Self::META, volume.object, Path::root().key("status").key("phase"), message).help(
                    format!(
                        "if the data is needed, back it up or remove `spec.claimRef` to rebind it; otherwise delete the PersistentVolume and then {backing}"
                    ),
                );
            if volume.claim_ref.is_some() {
                finding = finding.related(
                    volume.object,
                    Path::root().key("spec").key("claimRef"),
                    "the deleted claim it was bound to",
                );
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{audit, graph, run_rule};

    const VOLUMES: &str = "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: kept}
spec: {capacity: {storage: 100Gi}, persistentVolumeReclaimPolicy: Retain, storageClassName: gp3}
status: {phase: Released}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: static}
spec: {capacity: {storage: 50Gi}, nfs: {server: nas, path: /x}}
status: {phase: Released}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: inherits-delete}
spec: {capacity: {storage: 1Ti}, storageClassName: gp3}
status: {phase: Released}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: bound}
spec: {capacity: {storage: 1Ti}, persistentVolumeReclaimPolicy: Retain}
status: {phase: Bound}
";

    #[test]
    fn orphaned_capacity_sums_released_retained_volumes_and_costs_it() {
        let (count, bytes) = orphaned_volumes(&graph(VOLUMES));
        assert_eq!(count, 2);
        assert_eq!(gib(bytes), "150 GiB");
        assert_eq!(dollars(monthly_cost(bytes, 0.08)), "$12.00");

        let mut options = audit();
        options.audit.as_mut().unwrap().price_per_gib_month = Some(0.08);
        let out = run_rule(&ReleasedVolumeRetained, VOLUMES, &options);
        assert_eq!(out.len(), 2);
        assert!(
            out[0].message.contains("2 released volumes hold 150 GiB in total, ~$12.00/month"),
            "{}",
            out[0].message
        );

        // Without audit facts (kstor lint) the engine does not run the rule.
        assert!(run_rule(&ReleasedVolumeRetained, VOLUMES, &Default::default()).is_empty());
    }
}
