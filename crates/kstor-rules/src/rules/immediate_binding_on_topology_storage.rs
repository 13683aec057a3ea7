use kstor_model::catalog::Topology;
use kstor_model::path::Path;

use super::common::driver_name;
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::{Check, Severity};
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass whose driver creates zonal or node-local volumes while its
    /// `volumeBindingMode` is `Immediate` or unset (unset means `Immediate`). A zonal class
    /// whose `allowedTopologies` pins it to a single zone is accepted: every volume and
    /// every pod end up in that zone anyway. Node-local drivers are reported as errors.
    ///
    /// A static class (`provisioner: kubernetes.io/no-provisioner`, the documented way to
    /// use local disks) takes its topology from its PersistentVolumes in the input: an error
    /// when any is `local` or `hostPath` or is pinned to a host by its node affinity, a
    /// warning when any is pinned to a zone, nothing when all are network volumes without
    /// topology (NFS, iSCSI, CSI without node affinity). When the input holds none of its
    /// PersistentVolumes, the class is still reported, as a warning: static provisioning is
    /// almost always local disks, and the Kubernetes documentation for local volumes
    /// requires `WaitForFirstConsumer`. The exception is a static class whose name says its
    /// volumes are network storage (a name part `nfs`, `iscsi`, `smb`, `cifs`, `cephfs`,
    /// `glusterfs` or `nas`, as in KubeVirt CDI's `nfs` class for pre-created NFS volumes):
    /// those bind anywhere, so it is not reported.
    ///
    /// ## Why it matters
    /// With `Immediate`, the volume is provisioned (or a static PV is bound) as soon as the
    /// claim exists, before the scheduler has picked a node for the pod. A zonal disk lands
    /// in some zone; if the pod cannot run there (no capacity, affinity, taints), it stays
    /// Pending with `node(s) had volume node affinity conflict`. A node-local volume is
    /// created on an arbitrary node, and the pod is chained to that node for its life.
    /// `WaitForFirstConsumer` provisions the volume where the scheduler placed the pod.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com   # zonal
    /// parameters:
    ///   type: gp3
    /// # volumeBindingMode unset: Immediate
    /// ```
    ///
    /// ## Fix
    /// Set `volumeBindingMode: WaitForFirstConsumer`. The field is immutable, so create a new
    /// class (and move claims to it) rather than editing the existing one.
    ///
    /// **Automatic fix:** unsafe: sets `volumeBindingMode: WaitForFirstConsumer`. StorageClass
    /// fields are immutable: delete and recreate the class; volumes it already provisioned keep
    /// their placement.
    ///
    /// ## References
    /// - Kubernetes docs, Storage Classes, "Volume binding mode":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode>
    /// - Kubernetes docs, Storage Classes, "Local":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#local>
    /// - kube-scheduler VolumeBinding plugin (`binder.go`): "node(s) had volume node affinity conflict"
    pub struct ImmediateBindingOnTopologyStorage {
        code: "KS101",
        name: "immediate-binding-on-topology-storage",
        group: Topology,
        severity: Warning,
        summary: "a zonal or node-local StorageClass binds Immediately instead of WaitForFirstConsumer",
        fixes: [Unsafe],
    }
}

/// Zone topology keys end with this (`topology.kubernetes.io/zone`, `topology.ebs.csi.aws.com/zone`).
pub const ZONE_KEYS_SUFFIX: &str = "/zone";
/// The provisioner of static classes (local disks, pre-created volumes).
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

impl Check for ImmediateBindingOnTopologyStorage {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for class in &ctx.graph.classes {
            let Some(driver) = &class.driver else {
                continue;
            };
            let static_class = class.provisioner == NO_PROVISIONER;
            // A static class without PersistentVolumes in the input has an unknown topology.
            let unknown_static =
                static_class && driver.topology == Topology::Unknown && !names_network_storage(&class.name);
            let topological = matches!(driver.topology, Topology::Zonal | Topology::NodeLocal);
            if !(topological || unknown_static) || !class.binds_immediately() {
                continue;
            }
            let pinned_to_one_zone = class.allowed_topologies.len() == 1
                && class.allowed_topologies[0]
                    .iter()
                    .any(|(key, values)| key.ends_with(ZONE_KEYS_SUFFIX) && values.len() == 1);
            if driver.topology == Topology::Zonal && pinned_to_one_zone {
                continue;
            }
            let (path, how) = match &class.binding_mode {
                Some(_) => (Path::root().key("volumeBindingMode"), "binds volumes Immediately"),
                None => (Path::root().key("provisioner"), "leaves volumeBindingMode unset (Immediate)"),
            };
            const STATIC_LOCAL: &str = "a claim is bound to a local volume on some node before its pod is scheduled, and the pod can then only run on that node, even if it does not fit there";
            const ZONAL: &str = "a volume can be created in a zone where its pod cannot be scheduled, leaving the pod Pending with a volume node affinity conflict";
            let (severity, volumes, consequence) = match (static_class, driver.topology) {
                (true, Topology::NodeLocal) => {
                    (Severity::Error, "its PersistentVolumes are node-local".to_string(), STATIC_LOCAL)
                }
                (true, Topology::Zonal) => (
                    Severity::Warning,
                    "its PersistentVolumes are pinned to zones by their node affinity".to_string(),
                    "a claim is bound to a volume in some zone before its pod is scheduled, and the pod then stays Pending with a volume node affinity conflict if it cannot run there",
                ),
                (true, _) => (
                    Severity::Warning,
                    "the input holds none of its PersistentVolumes; if its volumes are local, as static provisioning almost always is".to_string(),
                    STATIC_LOCAL,
                ),
                (false, Topology::NodeLocal) => (
                    Severity::Error,
                    format!("{} volumes are node-local", driver_name(driver)),
                    "the volume is created on a node chosen before the pod is scheduled, and the pod can never run anywhere else",
                ),
                (false, _) => (Severity::Warning, format!("{} volumes are zonal", driver_name(driver)), ZONAL),
            };
            let message = format!("storage class {} {how}, but {volumes}: {consequence}", class.name);
            out.push(
                Finding::at(&Self::META, class.object, path, message)
                    .severity(severity)
                    .help("set `volumeBindingMode: WaitForFirstConsumer` (immutable: create a new class)")
                    .fix(Fix::unsafe_fix(
                        "set `volumeBindingMode: WaitForFirstConsumer`; StorageClass fields are immutable: delete and recreate the class; existing volumes keep their old settings",
                        vec![ObjectEdit::set(class.object, Path::root().key("volumeBindingMode"), "WaitForFirstConsumer")],
                    )),
            );
        }
    }
}

/// Name parts that say a static class holds network volumes, which have no topology.
pub const NETWORK_STORAGE: [&str; 7] = ["nfs", "iscsi", "smb", "cifs", "cephfs", "glusterfs", "nas"];

/// Whether a class name says its volumes are network storage (`nfs`, `static-iscsi`).
fn names_network_storage(name: &str) -> bool {
    name.split(['-', '_', '.']).any(|part| NETWORK_STORAGE.contains(&part.to_ascii_lowercase().as_str()))
}
