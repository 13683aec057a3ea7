use std::collections::HashMap;

use kstor_model::graph::Workload;
use kstor_model::path::Path;

use super::common::role_and_workload;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a VolumeSnapshotClass with `deletionPolicy: Delete` when it serves production
    /// data: its driver holds the claims of a stateful workload in the input (database,
    /// queue, search, coordination, object store), or the input defines no workload at all
    /// (a platform bundle, whose classes are for whatever runs later). Classes of bundles
    /// whose workloads are all stateless, or keep their data on other drivers, are not
    /// reported.
    ///
    /// ## Why it matters
    /// With `Delete`, deleting a VolumeSnapshot also deletes its VolumeSnapshotContent and the
    /// snapshot in the storage system. Deleting the namespace, an Argo CD/Flux prune, or
    /// `helm uninstall` of the chart that created the snapshots removes every backup taken
    /// with the class, often together with the data they were meant to protect.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshotClass
    /// metadata:
    ///   name: ebs-snapshots
    /// driver: ebs.csi.aws.com
    /// deletionPolicy: Delete   # deleting the VolumeSnapshot deletes the EBS snapshot
    /// ```
    ///
    /// ## Fix
    /// Use `deletionPolicy: Retain` for classes that take backups of production data, and
    /// expire old snapshots deliberately (a retention job, or the backup tool's policy).
    /// Keep `Delete` for short-lived snapshots, such as those taken only to clone a volume.
    ///
    /// **Automatic fix:** none: whether snapshots should outlive their VolumeSnapshot is a
    /// retention decision, and `deletionPolicy` of a class is immutable.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshot Classes (DeletionPolicy):
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshot-classes/#deletionpolicy>
    /// - Kubernetes docs, Volume Snapshots (Delete):
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/#delete>
    pub struct SnapshotClassDeletesSnapshots {
        code: "KS404",
        name: "snapshot-class-deletes-snapshots",
        group: Snapshots,
        severity: Info,
        summary: "a VolumeSnapshotClass for production data deletes the snapshots when their VolumeSnapshot is deleted",
        fixes: [],
    }
}

impl Check for SnapshotClassDeletesSnapshots {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let platform_bundle = !graph.shape.workloads;
        // Driver -> the first stateful workload keeping its data there, by namespace and name
        // rather than input order (admission gathers the same objects in another order).
        let mut stateful: HashMap<&str, usize> = HashMap::new();
        let mut workloads: Vec<(usize, &Workload)> = graph.workloads.iter().enumerate().collect();
        workloads.sort_by(|(_, a), (_, b)| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        for (index, workload) in workloads {
            if !workload.role.role.holds_critical_data() {
                continue;
            }
            for (_, mount) in graph.data_mounts(workload) {
                let Some(claim) = graph.claim_of_mount(workload, mount) else {
                    continue;
                };
                if let Some(driver) = graph.driver_of_claim(graph.claim(claim)) {
                    stateful.entry(&driver.name).or_insert(index);
                }
            }
        }
        for class in &graph.snapshot_classes {
            if class.deletion_policy.as_deref() != Some("Delete") {
                continue;
            }
            let why = match stateful.get(class.driver.as_str()) {
                Some(&index) => {
                    format!(
                        "{} keeps its data on {}",
                        role_and_workload(&graph.workloads[index]),
                        class.driver
                    )
                }
                None if platform_bundle => {
                    "the bundle defines no workloads, so the class serves whatever data runs later"
                        .to_string()
                }
                None => continue,
            };
            let message = format!(
                "snapshot class {} has deletionPolicy: Delete ({why}): deleting a VolumeSnapshot of this class, or its namespace, also deletes the backup in the storage system",
                class.name,
            );
            out.push(
                Finding::at(&Self::META, class.object, Path::root().key("deletionPolicy"), message)
                    .help("use `deletionPolicy: Retain` for backups of production data and expire old snapshots deliberately"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    const CLASSES: &str = "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: ebs-snapshots}
driver: ebs.csi.aws.com
deletionPolicy: Delete
";

    fn findings(text: &str) -> usize {
        run_rule(&SnapshotClassDeletesSnapshots, text, &Default::default()).len()
    }

    #[test]
    fn a_platform_bundle_without_workloads_is_reported() {
        assert_eq!(findings(CLASSES), 1);
    }

    #[test]
    fn stateless_workloads_only_are_not_reported() {
        let app = "
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: 'nginx:1.27'}]
";
        assert_eq!(findings(&format!("{CLASSES}{app}")), 0);
    }
}
