use kstor_model::catalog::Topology;
use kstor_model::path::Path;

use super::common::driver_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::{Check, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass whose driver creates zonal or node-local volumes while its
    /// `volumeBindingMode` is `Immediate` or unset (unset means `Immediate`). A zonal class
    /// whose `allowedTopologies` pins it to a single zone is accepted: every volume and
    /// every pod end up in that zone anyway. Node-local drivers are reported as errors.
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
    /// ## References
    /// - Kubernetes docs, Storage Classes, "Volume binding mode":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode>
    /// - kube-scheduler VolumeBinding plugin (`binder.go`): "node(s) had volume node affinity conflict"
    pub struct ImmediateBindingOnTopologyStorage {
        code: "KS101",
        name: "immediate-binding-on-topology-storage",
        group: Topology,
        severity: Warning,
        summary: "a zonal or node-local StorageClass binds Immediately instead of WaitForFirstConsumer",
    }
}

const ZONE_KEYS_SUFFIX: &str = "/zone";

impl Check for ImmediateBindingOnTopologyStorage {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for class in &ctx.graph.classes {
            let Some(driver) = &class.driver else {
                continue;
            };
            if !matches!(driver.topology, Topology::Zonal | Topology::NodeLocal) || !class.binds_immediately()
            {
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
            let static_class = class.provisioner == "kubernetes.io/no-provisioner";
            let (severity, consequence) = match driver.topology {
                Topology::NodeLocal if static_class => (
                    Severity::Error,
                    "a claim is bound to a local volume on some node before its pod is scheduled, and the pod can then only run on that node, even if it does not fit there",
                ),
                Topology::NodeLocal => (
                    Severity::Error,
                    "the volume is created on a node chosen before the pod is scheduled, and the pod can never run anywhere else",
                ),
                _ => (
                    Severity::Warning,
                    "a volume can be created in a zone where its pod cannot be scheduled, leaving the pod Pending with a volume node affinity conflict",
                ),
            };
            let volumes = if static_class {
                "its local PersistentVolumes are node-local".to_string()
            } else {
                format!("{} volumes are {}", driver_name(driver), driver.topology)
            };
            let message = format!("storage class {} {how}, but {volumes}: {consequence}", class.name,);
            out.push(
                Finding::at(&Self::META, class.object, path, message)
                    .severity(severity)
                    .help("set `volumeBindingMode: WaitForFirstConsumer` (immutable: create a new class)"),
            );
        }
    }
}
