use kstor_model::graph::ClaimOrigin;
use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::Finding;
use kstor_model::quantity::format_bytes;

use crate::live::{RESIZE_GRACE_SECONDS, age_text, clause, events_for};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags a PersistentVolumeClaim whose expansion does not complete:
    /// an infeasible resize (`status.allocatedResourceStatuses` ending in `Infeasible`, at
    /// any age), a `Resizing` or `FileSystemResizePending` condition older than 10 minutes,
    /// or a `VolumeResizeFailed` event while the capacity is still below the request. The
    /// message gives the requested and the current capacity.
    ///
    /// ## Why it matters
    /// A claim was grown because its volume was filling up; until the resize completes, the
    /// application still sees the old size and may run out of space. `FileSystemResizePending`
    /// means the disk grew but the filesystem waits for a pod to mount the volume; an
    /// infeasible resize (quota, maximum size, a driver that cannot expand online) never
    /// completes on its own.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data-es-0
    ///   namespace: search
    /// spec:
    ///   resources: {requests: {storage: 200Gi}}
    /// status:
    ///   capacity: {storage: 100Gi}
    ///   allocatedResourceStatuses: {storage: ControllerResizeInfeasible}
    /// ```
    ///
    /// ## Fix
    /// Read the claim's events (`kubectl describe pvc`): fix the driver's error, or, since
    /// Kubernetes 1.34 (RecoverVolumeExpansionFailure), lower the request to a size the
    /// driver accepts (still above the current capacity). For `FileSystemResizePending`, start
    /// (or restart) a pod that mounts the claim.
    ///
    /// **Automatic fix:** none: a live-state finding; the expansion's failure is in the driver or
    /// the backend.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Expanding Persistent Volumes Claims":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims>
    /// - Kubernetes docs, "Recovering from Failure when Expanding Volumes":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#recovering-from-failure-when-expanding-volumes>
    pub struct ResizePending {
        code: "KS907",
        name: "resize-pending",
        group: LiveState,
        severity: Warning,
        summary: "a claim's expansion failed or has been pending for more than 10 minutes",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for ResizePending {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        let status = Path::root().key("status");
        for claim in &graph.claims {
            let Some(live) = &claim.live else {
                continue;
            };
            if claim.origin != ClaimOrigin::Standalone {
                continue;
            }
            let grown = matches!((live.capacity, claim.request), (Some(c), Some(r)) if c >= r);
            let infeasible = live.resize_statuses.iter().find(|(_, s)| s.ends_with("Infeasible"));
            let condition = live.conditions.iter().enumerate().find(|(_, c)| {
                matches!(c.kind.as_str(), "Resizing" | "FileSystemResizePending")
                    && c.status == "True"
                    && c.since.is_some_and(|t| audit.age_seconds(t) > RESIZE_GRACE_SECONDS)
            });
            let failed = events_for(graph, "PersistentVolumeClaim", Some(&claim.namespace), &claim.name)
                .into_iter()
                .find(|e| e.reason == "VolumeResizeFailed");
            let (path, problem, help) = if let Some((resource, state)) = infeasible {
                let why = failed.map(|e| format!(": {}", clause(&e.message))).unwrap_or_default();
                (
                    status.key("allocatedResourceStatuses").key(resource),
                    format!(
                        "the resize was rejected as infeasible ({state}){why}; it will not complete on its own"
                    ),
                    "lower the request to a size the driver accepts, still above the current capacity (Kubernetes 1.34+), or lift the driver's limit",
                )
            } else if let Some((i, c)) = condition {
                let age = age_text(c.since.map_or(0, |t| audit.age_seconds(t)));
                let (text, help) = if c.kind == "FileSystemResizePending" {
                    (
                        format!(
                            "only the disk grew: its filesystem has waited {age} for a pod to mount the volume (FileSystemResizePending)"
                        ),
                        "start (or restart) a pod that mounts the claim: the kubelet grows the filesystem when it mounts the volume",
                    )
                } else {
                    let why = c.message.as_deref().map(|m| format!(" ({})", clause(m))).unwrap_or_default();
                    (
                        format!("the resize has been in progress for {age}{why}"),
                        "read the claim's events and the csi-resizer sidecar's logs",
                    )
                };
                (status.key("conditions").index(i), text, help)
            } else if let Some(event) = failed.filter(|_| !grown) {
                (
                    Path::root().key("spec").key("resources").key("requests").key("storage"),
                    format!("resizing failed: {}", clause(&event.message)),
                    "fix the error the resizer reports; it retries on its own",
                )
            } else {
                continue;
            };
            let sizes = match (claim.request, live.capacity) {
                (Some(r), Some(c)) => format!(" from {} to {}", format_bytes(c), format_bytes(r)),
                (Some(r), None) => format!(" to {}", format_bytes(r)),
                _ => String::new(),
            };
            let message = format!(
                "{} was expanded{sizes}, but {problem}; the application still sees the old size",
                claim.describe(graph)
            );
            out.push(Finding::at(&Self::META, claim.object, path, message).help(help));
        }
    }
}
