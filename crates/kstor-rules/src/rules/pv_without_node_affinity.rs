use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a PersistentVolume backed by `hostPath` or `local` (a directory or disk of one
    /// node) that has no `spec.nodeAffinity.required`.
    ///
    /// ## Why it matters
    /// A node-local volume's data exists on one node only. `spec.nodeAffinity` is how the
    /// scheduler learns which node that is: pods using the volume are placed there
    /// ("volume node affinity conflict" elsewhere).
    ///
    /// - A `hostPath` PersistentVolume without it is accepted, and its pods can run on any
    ///   node: each node serves its own, usually empty, directory at that path. Data
    ///   written on one node is missing after the pod moves, and two pods on two nodes
    ///   write two different copies.
    /// - A `local` PersistentVolume without it is rejected by the API server ("Local
    ///   volume requires node affinity"): the manifest cannot be applied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolume
    /// metadata:
    ///   name: data-node1
    /// spec:
    ///   capacity:
    ///     storage: 100Gi
    ///   accessModes: [ReadWriteOnce]
    ///   storageClassName: local
    ///   hostPath:
    ///     path: /mnt/data     # which node's /mnt/data?
    /// ```
    ///
    /// ## Fix
    /// Add the node the data lives on:
    ///
    /// ```yaml
    ///   nodeAffinity:
    ///     required:
    ///       nodeSelectorTerms:
    ///         - matchExpressions:
    ///             - {key: kubernetes.io/hostname, operator: In, values: [node1]}
    /// ```
    ///
    /// and prefer `local` over `hostPath` for static node-local volumes, with a class in
    /// `WaitForFirstConsumer` mode (or a local-volume provisioner that writes both).
    ///
    /// **Automatic fix:** none: the node a volume lives on is a fact about the cluster that the
    /// manifest does not contain.
    ///
    /// ## References
    /// - Kubernetes docs, Volumes, "local":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/#local>
    /// - Kubernetes docs, Persistent Volumes, "Node Affinity":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#node-affinity>
    pub struct PvWithoutNodeAffinity {
        code: "KS305",
        name: "pv-without-node-affinity",
        group: DataSafety,
        severity: Warning,
        summary: "a hostPath or local PersistentVolume has no nodeAffinity",
        fixes: [],
    }
}

impl Check for PvWithoutNodeAffinity {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for volume in &ctx.graph.volumes {
            if volume.has_node_affinity {
                continue;
            }
            let Some((field, path)) = &volume.source else {
                continue;
            };
            let (message, help) = match field.as_str() {
                "hostPath" => (
                    format!(
                        "persistent volume {} is a hostPath without nodeAffinity: pods using it can be scheduled on any node, and each node serves its own (usually empty) directory at that path, so data present on one node is missing on the others and after the pod moves",
                        volume.name
                    ),
                    "add `spec.nodeAffinity.required` naming the node that holds the data (and prefer a `local` volume)",
                ),
                "local" => (
                    format!(
                        "persistent volume {} is a local volume without nodeAffinity: the API server rejects it (\"Local volume requires node affinity\"), and the scheduler could not know which node holds the disk",
                        volume.name
                    ),
                    "add `spec.nodeAffinity.required` naming the node the disk is attached to",
                ),
                _ => continue,
            };
            out.push(Finding::at(&Self::META, volume.object, path.clone(), message).help(help));
        }
    }
}
