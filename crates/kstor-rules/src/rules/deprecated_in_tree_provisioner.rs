use kstor_model::catalog::InTreePlugin;
use kstor_model::graph::VolumeSource;
use kstor_model::path::Path;

use super::common::workload_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::{Check, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass whose `provisioner` is a deprecated or removed in-tree plugin
    /// (`kubernetes.io/aws-ebs`, `kubernetes.io/gce-pd`, `kubernetes.io/rbd`, …), and a
    /// PersistentVolume or pod volume that uses such a plugin's volume source
    /// (`awsElasticBlockStore`, `gcePersistentDisk`, `rbd`, `glusterfs`, …). The message names
    /// the CSI driver to use and the versions the plugin was deprecated, migrated and removed
    /// in. Plugins that are not deprecated (`nfs`, `iscsi`, `fc`, `local`, `hostPath`,
    /// `kubernetes.io/no-provisioner`) are not reported.
    ///
    /// Severity:
    /// - **error** for plugins whose code was removed *without* a CSI migration (rbd,
    ///   cephfs, glusterfs, flocker, quobyte, storageos, scaleIO, photonPersistentDisk): on
    ///   current Kubernetes nothing handles them; provisioning fails and volumes do not mount.
    /// - **warning** for migrated plugins (aws-ebs, gce-pd, azure-disk, azure-file, cinder,
    ///   vsphere-volume), even where the in-tree code is removed: the API still accepts the
    ///   provisioner and volume source, and CSI migration redirects every operation to the
    ///   CSI driver, so they keep working as long as that driver is installed.
    ///
    /// ## Why it matters
    /// A migrated plugin works only through its CSI driver: a cluster without the driver
    /// leaves claims `Pending` and pods stuck attaching, and new CSI features (snapshots,
    /// volume attributes classes, online resize) need the CSI provisioner name anyway. A
    /// removed plugin without migration simply fails: a `kubernetes.io/glusterfs` class
    /// produces `ProvisioningFailed`, an `rbd` volume cannot be mounted after the upgrade.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: standard
    /// provisioner: kubernetes.io/aws-ebs   # removed in 1.27, migrated to ebs.csi.aws.com
    /// parameters:
    ///   type: gp3
    /// ```
    ///
    /// ## Fix
    /// Use the CSI driver's provisioner name (`ebs.csi.aws.com`, `pd.csi.storage.gke.io`,
    /// `disk.csi.azure.com`, …) in a new class (the provisioner is immutable) and install
    /// the driver. For removed plugins without migration (rbd, cephfs) deploy the CSI driver
    /// (ceph-csi) and move the data before upgrading; static PersistentVolumes need a `csi`
    /// source instead of the in-tree one.
    ///
    /// ## References
    /// - Kubernetes docs, Volumes (in-tree types, deprecations and removals):
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/>
    /// - Kubernetes blog, "Kubernetes 1.23: Kubernetes In-Tree to CSI Volume Migration Status Update":
    ///   <https://kubernetes.io/blog/2021/12/10/storage-in-tree-to-csi-migration-status-update/>
    /// - kubernetes/csi-translation-lib (the migrated plugins)
    pub struct DeprecatedInTreeProvisioner {
        code: "KS801",
        name: "deprecated-in-tree-provisioner",
        group: Platform,
        severity: Warning,
        summary: "a StorageClass, PersistentVolume or pod volume uses a deprecated or removed in-tree volume plugin",
    }
}

impl Check for DeprecatedInTreeProvisioner {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let drivers = &graph.catalog.drivers;
        for class in &graph.classes {
            let Some(plugin) = drivers.in_tree(&class.provisioner).filter(|p| p.is_deprecated()) else {
                continue;
            };
            let subject =
                format!("storage class {} uses the in-tree provisioner {}", class.name, plugin.name);
            out.push(finding(plugin, class.object, Path::root().key("provisioner"), &subject, "provisioner"));
        }
        for volume in &graph.volumes {
            let Some((field, path)) = &volume.source else {
                continue;
            };
            let Some(plugin) = drivers.in_tree_by_volume_source(field).filter(|p| p.is_deprecated()) else {
                continue;
            };
            let subject = format!("persistent volume {} uses the in-tree {field} volume source", volume.name);
            out.push(finding(plugin, volume.object, path.clone(), &subject, "source"));
        }
        for workload in &graph.workloads {
            for volume in &workload.pod.volumes {
                let VolumeSource::Other { kind } = &volume.source else {
                    continue;
                };
                let Some(plugin) = drivers.in_tree_by_volume_source(kind).filter(|p| p.is_deprecated())
                else {
                    continue;
                };
                let subject = format!(
                    "volume {} of {} uses the in-tree {kind} volume source",
                    volume.name,
                    workload_name(workload)
                );
                out.push(finding(plugin, workload.object, volume.path.key(kind), &subject, "source"));
            }
        }
    }
}

fn finding(
    plugin: &InTreePlugin,
    object: kstor_model::ObjectId,
    path: Path,
    subject: &str,
    what: &str,
) -> Finding {
    let meta = &DeprecatedInTreeProvisioner::META;
    let versions = versions(plugin);
    let replacement = plugin.replacement_driver();
    let migrated = plugin.migrated_in.is_some();
    let consequence = match (migrated, &plugin.removed_in) {
        (true, _) => format!(
            "CSI migration (on by default since {}) sends every operation to {}, which must be installed: without it, provisioning and attaching hang",
            plugin.migrated_in.as_deref().unwrap_or("?"),
            replacement.unwrap_or("its CSI driver"),
        ),
        (false, Some(removed)) => format!(
            "there is no CSI migration, so on Kubernetes {removed} and later nothing provisions or mounts it"
        ),
        (false, None) => "it will be removed without a CSI migration".to_string(),
    };
    let message = format!("{subject} ({versions}): {consequence}");
    let help = match (replacement, what) {
        (Some(driver), "provisioner") => {
            format!(
                "use `provisioner: {driver}` in a new class (the provisioner is immutable) and install the driver"
            )
        }
        (Some(driver), _) => {
            format!("use a `csi` volume source with `driver: {driver}` and install the driver")
        }
        (None, _) => "move the data to a supported CSI driver before upgrading Kubernetes".to_string(),
    };
    let severity = if !migrated && plugin.removed_in.is_some() { Severity::Error } else { Severity::Warning };
    Finding::at(meta, object, path, message).severity(severity).help(help)
}

/// `deprecated in 1.19, migrated to ebs.csi.aws.com in 1.23, removed in 1.27`.
fn versions(plugin: &InTreePlugin) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &plugin.deprecated_in {
        parts.push(format!("deprecated in {v}"));
    }
    if let (Some(v), Some(driver)) = (&plugin.migrated_in, &plugin.csi) {
        parts.push(format!("migrated to {driver} in {v}"));
    }
    if let Some(v) = &plugin.removed_in {
        parts.push(format!("removed in {v}"));
    }
    if plugin.migrated_in.is_none()
        && let Some(driver) = &plugin.replacement
    {
        parts.push(format!("replaced by {driver}"));
    }
    parts.join(", ")
}
