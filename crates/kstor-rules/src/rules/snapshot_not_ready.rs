use kstor_model::path::Path;

use crate::context::{Context, SnapshotApi};
use crate::finding::Finding;
use crate::live::{SNAPSHOT_GRACE_SECONDS, age_text, clause};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags a VolumeSnapshot that reports an error (`status.error`, at
    /// any age) or is not `readyToUse` 10 minutes after it was created, and a
    /// VolumeSnapshotContent whose VolumeSnapshot (`spec.volumeSnapshotRef`) does not exist,
    /// with its `deletionPolicy`. Orphaned contents are only judged when the input lists
    /// VolumeSnapshots (or the cluster serves the snapshot API), so that a dump without them
    /// does not make every content look orphaned.
    ///
    /// ## Why it matters
    /// A snapshot that never becomes ready is no backup: restores from it fail, and a
    /// backup tool that creates it may report success. An orphaned content with
    /// `deletionPolicy: Retain` keeps a storage-side snapshot that nothing references and
    /// that is still billed; with `Delete`, its presence means the snapshot controller failed
    /// to delete it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshot
    /// metadata:
    ///   name: pg-nightly
    ///   namespace: db
    ///   creationTimestamp: "2026-11-26T02:00:00Z"
    /// spec:
    ///   volumeSnapshotClassName: ebs-retain
    ///   source: {persistentVolumeClaimName: data-pg-0}
    /// status:
    ///   readyToUse: false
    ///   error: {message: "Failed to create snapshot: SnapshotLimitExceeded"}
    /// ```
    ///
    /// ## Fix
    /// For a failing snapshot, read its error and the `csi-snapshotter` sidecar's logs
    /// (quota, permissions, a missing VolumeSnapshotClass). For an orphaned content, delete it
    /// if the snapshot is not needed (with `Retain`, delete the storage-side snapshot as well),
    /// or bind a new VolumeSnapshot to it (`source.volumeSnapshotContentName`).
    ///
    /// **Automatic fix:** none: a live-state finding about a snapshot, not a file.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - kubernetes-csi/external-snapshotter:
    ///   <https://github.com/kubernetes-csi/external-snapshotter>
    pub struct SnapshotNotReady {
        code: "KS908",
        name: "snapshot-not-ready",
        group: LiveState,
        severity: Warning,
        summary: "a volume snapshot failed or is not ready after 10 minutes, or a snapshot content is orphaned",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for SnapshotNotReady {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        let status = Path::root().key("status");
        for snapshot in &graph.snapshots {
            let source = snapshot
                .source_claim
                .as_ref()
                .map(|(claim, _)| format!(" of claim {claim}"))
                .or_else(|| snapshot.source_content.as_ref().map(|c| format!(" of content {c}")))
                .unwrap_or_default();
            let (path, problem) = if let Some(error) = &snapshot.error {
                (status.key("error"), format!("failed: {}", clause(error)))
            } else if snapshot.ready_to_use != Some(true)
                && let Some(created) =
                    snapshot.created.filter(|t| audit.age_seconds(*t) > SNAPSHOT_GRACE_SECONDS)
            {
                let content =
                    if snapshot.bound_content.is_none() { ", and no content is bound to it" } else { "" };
                (
                    status.key("readyToUse"),
                    format!(
                        "is still not ready to use {} after it was created{content}",
                        age_text(audit.age_seconds(created))
                    ),
                )
            } else {
                continue;
            };
            let message = format!(
                "volume snapshot {}/{}{source} {problem}: it cannot be restored from, so it is no backup",
                snapshot.namespace, snapshot.name
            );
            out.push(Finding::at(&Self::META, snapshot.object, path, message).help(
                "read the snapshot's events and the csi-snapshotter sidecar's logs (quota, permissions, VolumeSnapshotClass)",
            ));
        }
        if graph.snapshots.is_empty() && audit.snapshot_api != SnapshotApi::Served {
            return;
        }
        for content in &graph.snapshot_contents {
            let Some((ns, name)) = &content.snapshot_ref else {
                continue;
            };
            if graph.snapshot_named(ns, name).is_some() {
                continue;
            }
            let policy = content.deletion_policy.as_deref().unwrap_or("Delete");
            let (consequence, help) = if policy == "Retain" {
                (
                    "with deletionPolicy Retain it keeps the storage-side snapshot, which nothing references and which is still billed",
                    "delete the content and its storage-side snapshot if not needed, or bind a new VolumeSnapshot to it with `source.volumeSnapshotContentName`",
                )
            } else {
                (
                    "with deletionPolicy Delete the snapshot controller should have deleted it: check the snapshot-controller and the driver's csi-snapshotter",
                    "check the snapshot-controller and csi-snapshotter logs; delete the content once the cause is fixed",
                )
            };
            let message = format!(
                "volume snapshot content {} ({}) belongs to volume snapshot {ns}/{name}, which does not exist: {consequence}",
                content.name, content.driver
            );
            out.push(
                Finding::at(
                    &Self::META,
                    content.object,
                    Path::root().key("spec").key("volumeSnapshotRef"),
                    message,
                )
                .related(
                    content.object,
                    Path::root().key("spec").key("deletionPolicy"),
                    format!("deletionPolicy {policy}"),
                )
                .help(help),
            );
        }
    }
}
