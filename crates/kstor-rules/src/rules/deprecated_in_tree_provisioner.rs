use kstor_model::catalog::{ClassTranslation, InTreePlugin};
use kstor_model::edit::{NewValue, ObjectEdit};
use kstor_model::graph::{StorageClassInfo, VolumeSource};
use kstor_model::path::Path;

use super::common::{topology_key_path, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
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
    /// **Automatic fix:** unsafe, for StorageClasses of migrated plugins: `provisioner` becomes
    /// the CSI driver and the parameters are translated as CSI migration translates them
    /// (kubernetes/csi-translation-lib: `fstype`, `zone`/`zones` into `allowedTopologies`, zone
    /// topology keys); class fields are immutable. Only suggested for parameters a CSI class
    /// cannot express; none for PersistentVolumes and pod volumes, whose sources are immutable
    /// and need the data moved.
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
        fixes: [Unsafe, DisplayOnly],
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
            let mut finding =
                finding(plugin, class.object, Path::root().key("provisioner"), &subject, "provisioner");
            if let Some(fix) = class_fix(plugin, class) {
                finding = finding.fix(fix);
            }
            out.push(finding);
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

/// Zone topology keys csi-translation-lib rewrites to the driver's own key.
const ZONE_KEYS: [&str; 2] = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

/// The class rewritten for the CSI driver, its parameters translated as CSI migration does
/// (the catalog's `class_translation`). Unsafe: the provisioner is immutable.
fn class_fix(plugin: &InTreePlugin, class: &StorageClassInfo) -> Option<Fix> {
    let driver = plugin.replacement_driver().filter(|_| plugin.migrated_in.is_some())?;
    let translation: &ClassTranslation = plugin.class_translation.as_ref()?;
    let object = class.object;
    let why_unsafe = "StorageClass fields are immutable: delete and recreate the class; volumes it already provisioned keep the in-tree name and are served through CSI migration";
    let mut edits = vec![ObjectEdit::set(object, Path::root().key("provisioner"), driver)];
    let mut notes = Vec::new();
    let mut zones: Option<Vec<String>> = None;
    let mut blocked = Vec::new();
    for (key, value) in class.parameters.iter() {
        let lower = key.to_ascii_lowercase();
        let path = Path::root().key("parameters").key(key);
        if let Some((added, value)) = translation.adds.get(&lower)
            && !class.parameters.iter().any(|(k, _)| k.eq_ignore_ascii_case(added))
        {
            edits.push(ObjectEdit::set(object, Path::root().key("parameters").key(added), value.as_str()));
            notes.push(format!("`{added}: \"{value}\"` is added with `{key}`"));
        }
        if translation.unsupported.contains(&lower) {
            blocked.push(format!("`{key}`"));
        } else if let Some(to) = translation.rename.get(&lower) {
            edits.push(ObjectEdit::rename(object, path, to.as_str()));
            notes.push(format!("`{key}` becomes `{to}`"));
        } else if translation.zone_topology_key.is_some() && (lower == "zone" || lower == "zones") {
            edits.push(ObjectEdit::remove(object, path));
            zones.get_or_insert_with(Vec::new).extend(value.split(',').map(|z| z.trim().to_string()));
        }
    }
    if !blocked.is_empty() {
        return Some(Fix::display_only(
            format!(
                "use `provisioner: {driver}` in a new class; {} {} no counterpart in a CSI class (CSI migration passes {} only to migrated volumes): express {} through the driver's storage policy",
                blocked.join(", "),
                if blocked.len() == 1 { "has" } else { "have" },
                if blocked.len() == 1 { "it" } else { "them" },
                if blocked.len() == 1 { "it" } else { "them" },
            ),
            Vec::new(),
        ));
    }
    if let Some(key) = &translation.zone_topology_key {
        if let Some(zones) = zones {
            if !class.allowed_topologies.is_empty() {
                // csi-translation-lib refuses this combination too.
                return Some(Fix::display_only(
                    format!(
                        "use `provisioner: {driver}` in a new class; it cannot have both `zone`/`zones` parameters and `allowedTopologies`: keep one"
                    ),
                    Vec::new(),
                ));
            }
            let expression = NewValue::Map(vec![
                ("key".into(), NewValue::str(key.as_str())),
                ("values".into(), NewValue::Seq(zones.into_iter().map(NewValue::Str).collect())),
            ]);
            let term = NewValue::Map(vec![("matchLabelExpressions".into(), NewValue::Seq(vec![expression]))]);
            edits.push(ObjectEdit::set(
                object,
                Path::root().key("allowedTopologies"),
                NewValue::Seq(vec![term]),
            ));
            notes.push(format!("`zone`/`zones` become `allowedTopologies` on `{key}`"));
        }
        for (t, term) in class.allowed_topologies.iter().enumerate() {
            for (e, (label, _)) in term.iter().enumerate() {
                if label == key {
                    continue;
                }
                if !ZONE_KEYS.contains(&label.as_str()) {
                    return Some(Fix::display_only(
                        format!(
                            "use `provisioner: {driver}` in a new class; its `allowedTopologies` key `{label}` has no counterpart for the driver (only zone keys translate to `{key}`)"
                        ),
                        Vec::new(),
                    ));
                }
                let path = topology_key_path(t, e);
                edits.push(ObjectEdit::set(object, path, key.as_str()));
                notes.push(format!("the topology key `{label}` becomes `{key}`"));
            }
        }
    }
    for default in &plugin.parameter_defaults {
        if !class.parameters.iter().any(|(k, _)| k.eq_ignore_ascii_case(&default.parameter)) {
            notes.push(format!(
                "`{}` stays unset, so the driver's own default applies, not the in-tree `{}`",
                default.parameter, default.value
            ));
        }
    }
    let translated =
        if notes.is_empty() { "its parameters carry over unchanged".to_string() } else { notes.join("; ") };
    Some(Fix::unsafe_fix(
        format!(
            "use `provisioner: {driver}`, with the parameters translated as CSI migration does ({translated}); {why_unsafe}"
        ),
        edits,
    ))
}
