use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::{Check, Severity};
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass of a driver that encrypts volumes at rest only when a parameter
    /// asks for it, when the class does not ask (the parameter is unset, or set to another
    /// value). Which drivers, which parameter and which values turn encryption on is catalog
    /// data (`encryption:` in `catalog/drivers.yaml`, each with its source): Amazon EBS
    /// (`ebs.csi.aws.com` and the in-tree `kubernetes.io/aws-ebs`, `encrypted: "true"`),
    /// Ceph RBD and Longhorn (`encrypted: "true"`). Drivers that always encrypt at rest, such
    /// as GCE Persistent Disk and Azure Disk, are never reported.
    ///
    /// ## Why it matters
    /// Unencrypted volumes, and the snapshots taken of them, expose their data to anyone who
    /// gets hold of the disk or a snapshot copy, and fail most compliance baselines. The
    /// setting is fixed when a volume is created: StorageClass parameters are immutable and
    /// existing volumes stay unencrypted. For EBS the account/region setting "EBS encryption
    /// by default" encrypts every new volume anyway; for Ceph, encrypted OSD devices protect
    /// the disks (but not a mapped image). kstor cannot see either, so check them before
    /// dismissing a finding.
    ///
    /// Ceph RBD classes are reported as info, not warnings (`advisory: true` in the
    /// catalog): Ceph deployments usually encrypt at rest below the driver, with dm-crypt
    /// under every OSD (Rook's `encryptedDevice: "true"`, cephadm's `encrypted: true`),
    /// which covers every image, and per-image encryption through the class (which needs a
    /// KMS) is the exception. Every Ceph RBD class of the real repositories kstor was run
    /// on (ceph-csi's and Rook's examples) left `encrypted` unset for that reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com
    /// parameters:
    ///   type: gp3          # no `encrypted: "true"`: volumes are unencrypted
    /// volumeBindingMode: WaitForFirstConsumer
    /// ```
    ///
    /// ## Fix
    /// Add the parameter (`encrypted: "true"`, with `kmsKeyId` for a customer-managed key on
    /// EBS) in a new class, since parameters are immutable. Longhorn and Ceph RBD also need
    /// the key's Secret or KMS configuration. Move data from old volumes by snapshot and
    /// restore, or by copying.
    ///
    /// **Automatic fix:** unsafe: sets the driver's encryption parameter (`encrypted: "true"` for
    /// EBS); StorageClass parameters are immutable, and volumes already provisioned stay
    /// unencrypted.
    ///
    /// ## References
    /// - AWS EBS CSI driver parameters:
    ///   <https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md>
    /// - Amazon EBS encryption by default:
    ///   <https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html>
    /// - ceph-csi RBD StorageClass example:
    ///   <https://github.com/ceph/ceph-csi/blob/devel/examples/rbd/storageclass.yaml>
    /// - Rook CephCluster OSD settings (`encryptedDevice`):
    ///   <https://rook.io/docs/rook/latest/CRDs/Cluster/ceph-cluster-crd/#osd-configuration-settings>
    /// - Ceph, encrypted OSDs: <https://docs.ceph.com/en/latest/ceph-volume/lvm/encryption/>
    /// - Longhorn volume encryption:
    ///   <https://longhorn.io/docs/latest/advanced-resources/security/volume-encryption/>
    pub struct UnencryptedVolume {
        code: "KS804",
        name: "unencrypted-volume",
        group: Platform,
        severity: Warning,
        summary: "a StorageClass of a driver that encrypts only when asked does not ask for encryption",
        fixes: [Unsafe],
    }
}

impl Check for UnencryptedVolume {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for class in &graph.classes {
            let Some(found) = graph.catalog.drivers.lookup(&class.provisioner) else {
                continue;
            };
            let Some(encryption) = &found.spec.encryption else {
                continue;
            };
            if !encryption.leaves_unencrypted(&class.parameters) {
                continue;
            }
            let (setting, path) = match encryption.value(&class.parameters) {
                Some((key, value)) => {
                    (format!("`{key}: \"{value}\"` turns it off"), Path::root().key("parameters").key(key))
                }
                None if class.parameters.iter().next().is_some() => (
                    format!("`{}` is unset and the driver encrypts only when asked", encryption.parameter),
                    Path::root().key("parameters"),
                ),
                None => (
                    format!("`{}` is unset and the driver encrypts only when asked", encryption.parameter),
                    Path::root().key("provisioner"),
                ),
            };
            let caveat = encryption.note.as_deref().map(|n| format!(", {n}")).unwrap_or_default();
            let message = format!(
                "storage class {} creates {} volumes ({}) unencrypted at rest: {setting}{caveat}",
                class.name, found.spec.display_name, class.provisioner,
            );
            let enable = encryption.enable_values.first().map(String::as_str).unwrap_or("true");
            let severity = if encryption.advisory { Severity::Info } else { Severity::Warning };
            let key = encryption.value(&class.parameters).map_or(encryption.parameter.as_str(), |(k, _)| k);
            let fix = Fix::unsafe_fix(
                format!(
                    "set `{key}: \"{enable}\"`; StorageClass fields are immutable: delete and recreate the class; existing volumes stay unencrypted"
                ),
                vec![ObjectEdit::set(class.object, Path::root().key("parameters").key(key), enable)],
            );
            out.push(
                Finding::at(&Self::META, class.object, path, message)
                    .severity(severity)
                    .help(format!(
                        "set `{}: \"{enable}\"` in the class's parameters (immutable: create a new class; existing volumes stay unencrypted)",
                        encryption.parameter
                    ))
                    .fix(fix),
            );
        }
    }
}
