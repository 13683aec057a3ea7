use kstor_model::graph::{AttachmentInfo, StorageGraph, Timestamp};
use kstor_model::path::Path;

use crate::context::{AuditFacts, Context};
use crate::finding::Finding;
use crate::live::{ATTACH_GRACE_SECONDS, age_text, clause};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags a VolumeAttachment that reports an attach or detach error
    /// (`status.attachError`, `status.detachError`, at any age), that is still not attached 5
    /// minutes after it was created, or that has been detaching (deleted but still present)
    /// for more than 5 minutes. The message gives the error and its time, the
    /// PersistentVolume, and whether the node still exists and is Ready.
    ///
    /// ## Why it matters
    /// Until the volume is attached, the pod using it stays in `ContainerCreating` with
    /// `FailedAttachVolume` / "Multi-Attach error". A stuck detach keeps a ReadWriteOnce
    /// volume on a dead or drained node, so its pod cannot move: the classic outage after a
    /// node failure, which lasts until the attachment is cleaned up (for a node that is down,
    /// the attach/detach controller force-detaches only after a timeout or once the node is
    /// tainted `node.kubernetes.io/out-of-service`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: VolumeAttachment
    /// metadata:
    ///   name: csi-3f2a…
    /// spec:
    ///   attacher: ebs.csi.aws.com
    ///   nodeName: ip-10-0-3-17
    ///   source: {persistentVolumeName: pvc-5f1c}
    /// status:
    ///   attached: false
    ///   attachError:
    ///     message: "rpc error: code = Internal desc = volume vol-0abc is attached to another instance"
    /// ```
    ///
    /// ## Fix
    /// Act on the error: a volume still attached to another (often dead) node needs that
    /// node removed or tainted `node.kubernetes.io/out-of-service` so the volume is
    /// force-detached; a driver error needs the CSI driver's controller logs
    /// (`csi-attacher` sidecar). Delete a VolumeAttachment by hand only when the node is gone
    /// and the disk is known to be detached.
    ///
    /// **Automatic fix:** none: a live-state finding about an attachment, not a file.
    ///
    /// ## References
    /// - Kubernetes API, VolumeAttachment:
    ///   <https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/volume-attachment-v1/>
    /// - Kubernetes docs, Node Shutdowns, "Non-graceful node shutdown":
    ///   <https://kubernetes.io/docs/concepts/cluster-administration/node-shutdown/#non-graceful-node-shutdown>
    pub struct AttachmentStuck {
        code: "KS906",
        name: "attachment-stuck",
        group: LiveState,
        severity: Error,
        summary: "a volume attachment reports an error or is stuck attaching or detaching",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for AttachmentStuck {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        for va in &graph.attachments {
            let status = Path::root().key("status");
            let (path, problem) = if let Some((message, time)) = &va.attach_error {
                (
                    status.key("attachError"),
                    format!("attaching failed{}: {}", when(audit, *time), clause(message)),
                )
            } else if let Some((message, time)) = &va.detach_error {
                (
                    status.key("detachError"),
                    format!("detaching failed{}: {}", when(audit, *time), clause(message)),
                )
            } else if let Some(deleting) =
                va.deleting.filter(|t| audit.age_seconds(*t) > ATTACH_GRACE_SECONDS)
            {
                (
                    Path::root().key("metadata").key("deletionTimestamp"),
                    format!("it has been detaching for {}", age_text(audit.age_seconds(deleting))),
                )
            } else if !va.attached
                && va.deleting.is_none()
                && let Some(created) = va.created.filter(|t| audit.age_seconds(*t) > ATTACH_GRACE_SECONDS)
            {
                (
                    status.key("attached"),
                    format!(
                        "it is still not attached {} after it was created",
                        age_text(audit.age_seconds(created))
                    ),
                )
            } else {
                continue;
            };
            out.push(finding(graph, va, path, problem));
        }
    }
}

fn when(audit: &AuditFacts, time: Option<Timestamp>) -> String {
    time.map(|t| format!(" {} ago", age_text(audit.age_seconds(t)))).unwrap_or_default()
}

fn finding(graph: &StorageGraph, va: &AttachmentInfo, path: Path, problem: String) -> Finding {
    let volume_name = va.volume_name.as_deref().unwrap_or("(inline volume)");
    let node = graph.nodes.iter().find(|n| n.name == va.node_name);
    let node_state = match node {
        None if graph.nodes.is_empty() => String::new(),
        None => " (the node no longer exists)".to_string(),
        Some(n) if n.ready != Some(true) => " (the node is NotReady)".to_string(),
        Some(_) => String::new(),
    };
    let impact = if va.deleting.is_some() || va.detach_error.is_some() {
        "the volume cannot be attached to another node until it is detached, so a pod that moved cannot start"
    } else {
        "the pod that needs the volume on this node cannot start"
    };
    let message = format!(
        "volume attachment {} of persistent volume {volume_name} to node {}{node_state} via {}: {problem}; {impact}",
        va.name, va.node_name, va.attacher
    );
    let help = match node {
        Some(n) if n.ready != Some(true) => "the node is down: if it is shut down, taint it `node.kubernetes.io/out-of-service=nodeshutdown:NoExecute` so its volumes are force-detached".to_string(),
        None if !graph.nodes.is_empty() => format!(
            "the node is gone: check the {} controller's logs (csi-attacher sidecar); once the disk is known to be detached, delete the VolumeAttachment",
            va.attacher
        ),
        _ => format!("check the {} controller's logs (csi-attacher sidecar) and the storage side", va.attacher),
    };
    let mut finding = Finding::at(&AttachmentStuck::META, va.object, path, message).help(help);
    if let Some(volume) = graph.volumes.iter().find(|v| Some(v.name.as_str()) == va.volume_name.as_deref()) {
        let claim =
            volume.claim_ref.as_ref().map(|(ns, n)| format!(" of claim {ns}/{n}")).unwrap_or_default();
        finding = finding.related(
            volume.object,
            Path::root().key("spec"),
            format!("persistent volume {}{claim}", volume.name),
        );
    }
    if let Some(node) = node {
        let state = if node.ready == Some(true) { "Ready" } else { "not Ready" };
        finding = finding.related(
            node.object,
            Path::root().key("status"),
            format!("node {} is {state}", node.name),
        );
    }
    finding
}
