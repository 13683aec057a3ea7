use kstor_model::api::SNAPSHOT_GROUP;
use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags VolumeSnapshotClass, VolumeSnapshot and VolumeSnapshotContent objects written
    /// with `apiVersion: snapshot.storage.k8s.io/v1alpha1` or `snapshot.storage.k8s.io/v1beta1`.
    ///
    /// ## Why it matters
    /// The snapshot API is served by CRDs from kubernetes-csi/external-snapshotter, not by
    /// the API server. v1alpha1 was dropped when the API moved to v1beta1 (external-snapshotter
    /// v2.0, Kubernetes 1.17); v1beta1 was deprecated in v4.1 and is `served: false` in the
    /// CRDs since external-snapshotter v6.0. Applying such an object fails with
    /// `no matches for kind "VolumeSnapshot" in version "snapshot.storage.k8s.io/v1beta1"`,
    /// so the backup or restore it describes never happens.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: snapshot.storage.k8s.io/v1beta1   # no longer served
    /// kind: VolumeSnapshotClass
    /// metadata:
    ///   name: csi-aws-vsc
    /// driver: ebs.csi.aws.com
    /// deletionPolicy: Retain
    /// ```
    ///
    /// ## Fix
    /// Use `apiVersion: snapshot.storage.k8s.io/v1`. The v1beta1 and v1 schemas are the same
    /// for these kinds; v1alpha1 objects need rewriting (`snapshotter` became `driver`,
    /// `snapshotClassName` became `volumeSnapshotClassName`, `source` names the claim with
    /// `persistentVolumeClaimName`).
    ///
    /// **Automatic fix:** safe: moves the object to `snapshot.storage.k8s.io/v1` where every
    /// field carries over; only suggested where a field differs between the versions.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - external-snapshotter release notes (v4.1 deprecation, v6.0 stops serving v1beta1):
    ///   <https://github.com/kubernetes-csi/external-snapshotter/releases>
    pub struct DeprecatedSnapshotApi {
        code: "KS403",
        name: "deprecated-snapshot-api",
        group: Snapshots,
        severity: Error,
        summary: "a snapshot object uses snapshot.storage.k8s.io/v1alpha1 or v1beta1, which are no longer served",
        fixes: [Safe, DisplayOnly],
    }
}

const SNAPSHOT_KINDS: [&str; 3] = ["VolumeSnapshotClass", "VolumeSnapshot", "VolumeSnapshotContent"];

impl Check for DeprecatedSnapshotApi {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for object in &ctx.graph.workspace.objects {
            let reference = &object.reference;
            if reference.group() != SNAPSHOT_GROUP || !SNAPSHOT_KINDS.contains(&reference.kind.as_str()) {
                continue;
            }
            let version = reference.version();
            let why = match version {
                "v1alpha1" => {
                    "was removed when the snapshot API moved to v1beta1 (external-snapshotter v2.0)"
                }
                "v1beta1" => "is no longer served by the snapshot CRDs (external-snapshotter v6.0 and later)",
                _ => continue,
            };
            let message = format!(
                "{reference} uses {}, which {why}: applying it fails with \"no matches for kind\", so the snapshot it describes is never created",
                reference.api_version,
            );
            let mut finding = Finding::at(&Self::META, object.id, Path::root().key("apiVersion"), message)
                .help("use `apiVersion: snapshot.storage.k8s.io/v1`");
            // v1beta1 and v1 have the same fields; v1alpha1's differ, so it is only suggested.
            let edits = vec![ObjectEdit::set(
                object.id,
                Path::root().key("apiVersion"),
                "snapshot.storage.k8s.io/v1",
            )];
            finding = finding.fix(match version {
                "v1beta1" => Fix::safe("use `apiVersion: snapshot.storage.k8s.io/v1` (the fields are the same)", edits),
                _ => Fix::display_only(
                    "use `apiVersion: snapshot.storage.k8s.io/v1` and rewrite the spec: v1alpha1's fields (snapshotClassName, source) differ from v1's",
                    edits,
                ),
            });
            out.push(finding);
        }
    }
}
