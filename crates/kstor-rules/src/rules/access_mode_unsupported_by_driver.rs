use kstor_model::catalog::{AccessMode, Confidence, VolumeMode};
use kstor_model::path::Path;

use super::common::{class_phrase, driver_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a claim (a PVC, a StatefulSet claim template or a generic ephemeral volume)
    /// that requests an access mode its resolved driver does not support for the claim's
    /// `volumeMode`: `ReadWriteMany` on Amazon EBS or GCE PD with `Filesystem`, `Block` mode
    /// on a file system driver, `ReadWriteOncePod` on a provisioner that is not a CSI driver.
    ///
    /// The driver is found through the claim's StorageClass (or its default class, or its
    /// static PersistentVolume) and kstor's curated driver catalog. Parameters that enable a
    /// mode are honoured (EBS `type: io2` allows `ReadWriteMany` with `volumeMode: Block`).
    /// Drivers known only from the vendor-reported CSI table are never reported.
    ///
    /// ## Why it matters
    /// The provisioner refuses to create the volume (`ProvisioningFailed`), so the claim
    /// stays Pending and so does every pod that mounts it; a static volume never binds.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com   # block storage, attaches to one node
    /// volumeBindingMode: WaitForFirstConsumer
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: shared
    /// spec:
    ///   accessModes: [ReadWriteMany]  # EBS cannot provide this: the claim stays Pending
    ///   storageClassName: gp3
    ///   resources:
    ///     requests:
    ///       storage: 20Gi
    /// ```
    ///
    /// ## Fix
    /// Use a class of a driver that supports the mode (EFS, Filestore, Azure Files, CephFS or
    /// NFS for shared file access), or request the mode the driver supports.
    ///
    /// **Automatic fix:** none: either the access mode or the driver must change, and which one
    /// depends on how the workload uses the volume.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Access Modes" (per-plugin table):
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes>
    /// - kstor catalog, `catalog/drivers.yaml` (sources per driver)
    pub struct AccessModeUnsupportedByDriver {
        code: "KS204",
        name: "access-mode-unsupported-by-driver",
        group: AccessModes,
        severity: Error,
        summary: "a claim requests an access mode its driver does not support for its volumeMode",
        fixes: [],
    }
}

impl Check for AccessModeUnsupportedByDriver {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for claim in &graph.claims {
            let Some(driver) = graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()) else {
                continue;
            };
            if driver.confidence != Confidence::Curated {
                continue;
            }
            let supported = driver.access_modes.for_mode(claim.volume_mode);
            let spec = graph.catalog.drivers.lookup(&driver.driver).map(|m| m.spec);
            for (mode, path) in &claim.access_modes {
                if supported.contains(mode) {
                    continue;
                }
                let why = if supported.is_empty() {
                    format!("{} does not support volumeMode {}", driver_name(driver), claim.volume_mode)
                } else if *mode == AccessMode::ReadWriteOncePod && !driver.csi {
                    format!("ReadWriteOncePod needs a CSI driver and {} is not one", driver_name(driver))
                } else {
                    let supported: Vec<&str> = supported.iter().map(|m| m.as_str()).collect();
                    format!(
                        "{} supports only {} with volumeMode {}",
                        driver_name(driver),
                        supported.join(", "),
                        claim.volume_mode
                    )
                };
                let note = spec
                    .and_then(|s| s.conditional_note(*mode, claim.volume_mode))
                    .or_else(|| {
                        let other = match claim.volume_mode {
                            VolumeMode::Filesystem => VolumeMode::Block,
                            VolumeMode::Block => VolumeMode::Filesystem,
                        };
                        spec.and_then(|s| s.conditional_note(*mode, other))
                    })
                    .map(|n| format!(" ({mode} needs {n})"))
                    .unwrap_or_default();
                // A static volume binds whatever it declares; the driver fails later, when a
                // second node (or pod) tries to use it. A dynamic claim is never provisioned.
                let consequence = if claim.volume.is_some() {
                    "the claim binds to its PersistentVolume, but the driver cannot serve the mode, so pods that rely on it fail to attach or mount"
                } else {
                    "provisioning fails and the claim stays Pending"
                };
                let message = format!(
                    "{} requests {mode} on {}, but {why}{note}: {consequence}",
                    claim.describe(graph),
                    class_phrase(graph, claim),
                );
                let mut finding = Finding::at(&Self::META, claim.object, path.clone(), message)
                    .help("use a class whose driver supports the mode (a file storage class for shared access), or request a supported mode");
                if let Some(class) = graph.class_of(claim) {
                    finding = finding.related(
                        class.object,
                        Path::root().key("provisioner"),
                        format!("class {} provisions with {}", class.name, class.provisioner),
                    );
                }
                out.push(finding);
            }
        }
    }
}
