use kstor_model::graph::{VolumeSource, WorkloadKind};

use super::common::{Conflict, modes_text, single_node_claim_conflicts, workload_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a Deployment, ReplicaSet or ReplicationController with more than one replica,
    /// or a DaemonSet, whose pods all mount the same standalone claim while that claim's
    /// access modes are only `ReadWriteOnce` / `ReadWriteOncePod`, and the pods are not
    /// pinned to a single node (`nodeName`, or a `kubernetes.io/hostname` selector or
    /// required affinity). With `ReadWriteOncePod` it fires even when they are pinned.
    ///
    /// StatefulSets are reported too when their pod template (not a claim template) mounts a
    /// standalone claim: every replica shares it.
    ///
    /// `ReadWriteOnce` on drivers that do not attach volumes (NFS-like drivers with
    /// `attachRequired: false`) is not reported: nothing enforces the mode there.
    ///
    /// ## Why it matters
    /// `ReadWriteOnce` means one *node*. The attach/detach controller refuses to attach the
    /// volume to a second node, so every replica scheduled elsewhere hangs in
    /// `ContainerCreating` with `Multi-Attach error for volume … Volume is already used by
    /// pod(s) …`. `ReadWriteOncePod` means one *pod*: the other replicas stay Pending. A
    /// node-local volume pins every pod to its node, so a DaemonSet's other pods never start.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com    # block storage: attaches to one node
    /// volumeBindingMode: WaitForFirstConsumer
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: uploads
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   storageClassName: gp3
    ///   resources:
    ///     requests:
    ///       storage: 20Gi
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: uploads
    /// spec:
    ///   replicas: 3                   # replicas on a second node hang on Multi-Attach
    ///   selector:
    ///     matchLabels: {app: uploads}
    ///   template:
    ///     metadata:
    ///       labels: {app: uploads}
    ///     spec:
    ///       containers:
    ///         - name: app
    ///           image: ghcr.io/example/uploads:2.1
    ///           volumeMounts:
    ///             - {name: files, mountPath: /srv/uploads}
    ///       volumes:
    ///         - name: files
    ///           persistentVolumeClaim:
    ///             claimName: uploads  # one ReadWriteOnce claim for all three
    /// ```
    ///
    /// ## Fix
    /// Give each replica its own claim (a StatefulSet with `volumeClaimTemplates`), or use a
    /// `ReadWriteMany` file storage class when the pods really must share files, or run a
    /// single replica.
    ///
    /// **Automatic fix:** none: the way out is one claim per replica (a StatefulSet with claim
    /// templates), a single replica, or shared file storage, and the choice changes the
    /// workload's design.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Access Modes":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes>
    /// - attach/detach controller `reportMultiAttachError` (kubernetes/kubernetes)
    pub struct RwoClaimSharedAcrossNodes {
        code: "KS202",
        name: "rwo-claim-shared-across-nodes",
        group: AccessModes,
        severity: Error,
        summary: "replicas or DaemonSet pods on several nodes share one ReadWriteOnce/ReadWriteOncePod claim",
        fixes: [],
    }
}

impl Check for RwoClaimSharedAcrossNodes {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let many_pods = match workload.kind {
                WorkloadKind::DaemonSet => true,
                // A StatefulSet's claim templates give each pod its own claim, but a standalone
                // claim in its pod template is shared by every replica just the same.
                WorkloadKind::StatefulSet => workload.replicas.as_ref().is_some_and(|r| r.count > 1),
                kind if kind.is_replicated_stateless() => {
                    workload.replicas.as_ref().is_some_and(|r| r.count > 1)
                }
                _ => false,
            };
            if !many_pods {
                continue;
            }
            for volume in &workload.pod.volumes {
                let VolumeSource::Claim { claim: Some(claim_id), claim_name, .. } = &volume.source else {
                    continue;
                };
                let claim = graph.claim(*claim_id);
                let Some(conflict) = single_node_claim_conflicts(graph, workload, claim) else {
                    continue;
                };
                let pods = match workload.kind {
                    WorkloadKind::DaemonSet => "runs a pod on every node, and all of them mount".to_string(),
                    _ => format!(
                        "runs {} replicas that all mount",
                        workload.replicas.as_ref().map_or(1, |r| r.count)
                    ),
                };
                let consequence = match conflict {
                    Conflict::SinglePod => {
                        "only one pod in the cluster may use it, so the others stay Pending"
                    }
                    Conflict::MultiAttach => {
                        "pods scheduled on a second node cannot attach it (Multi-Attach error) and hang in ContainerCreating"
                    }
                    Conflict::NodeLocal => {
                        "the volume lives on one node, so the pods on every other node cannot start"
                    }
                };
                let message = format!(
                    "{} {pods} {} ({}): {consequence}",
                    workload_name(workload),
                    claim.describe(graph),
                    modes_text(claim),
                );
                let mut finding = Finding::at(
                    &Self::META,
                    workload.object,
                    volume.path.key("persistentVolumeClaim").key("claimName"),
                    message,
                )
                .related(
                    claim.object,
                    claim.access_modes.first().map(|(_, p)| p.clone()).unwrap_or_else(|| claim.path.clone()),
                    format!("claim {claim_name} requests {}", modes_text(claim)),
                )
                .help("give each replica its own claim (StatefulSet volumeClaimTemplates), use ReadWriteMany file storage, or run one replica");
                if let Some(path) = workload.replicas.as_ref().and_then(|r| r.path.clone()) {
                    finding = finding.related(workload.object, path, "replicas set here");
                }
                out.push(finding);
            }
        }
    }
}
