use kstor_model::edit::{NewValue, ObjectEdit};

use super::common::{csi_sidecar, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a container of a CSI controller or node plugin that sets neither resource
    /// requests nor limits. Containers are recognised by their image: `csi-provisioner`,
    /// `csi-attacher`, `csi-resizer`, `csi-snapshotter`, `snapshot-controller`,
    /// `csi-node-driver-registrar`, `livenessprobe` and the `csi-external-health-monitor-*`
    /// sidecars, from any registry, and by the names EKS Distro gives them
    /// (`external-provisioner`, `external-attacher`, `external-resizer`,
    /// `node-driver-registrar`).
    ///
    /// ## Why it matters
    /// A container without requests has no CPU or memory reserved: it is starved first under
    /// CPU contention, and a pod whose containers request nothing (BestEffort) is evicted
    /// first under memory pressure. When the CSI sidecars or the snapshot controller stall,
    /// volumes stop being provisioned, attached, resized or snapshotted, and stateful pods
    /// across the cluster wait in Pending or ContainerCreating.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ebs-csi-controller
    ///   namespace: kube-system
    /// spec:
    ///   selector:
    ///     matchLabels: {app: ebs-csi-controller}
    ///   template:
    ///     metadata:
    ///       labels: {app: ebs-csi-controller}
    ///     spec:
    ///       containers:
    ///         - name: ebs-plugin
    ///           image: public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.34.0
    ///           resources:
    ///             requests: {cpu: 10m, memory: 40Mi}
    ///             limits: {memory: 256Mi}
    ///         - name: csi-provisioner
    ///           image: registry.k8s.io/sig-storage/csi-provisioner:v5.1.0
    ///           # no resources: BestEffort sidecar, first to be evicted or starved
    /// ```
    ///
    /// ## Fix
    /// Set `resources.requests` (CPU and memory, from observed usage) and a memory limit on
    /// every CSI sidecar, and give the controller a PriorityClass.
    ///
    /// **Automatic fix:** unsafe: sets requests and a memory limit from kstor's catalog (the
    /// Azure Disk CSI driver's upstream values), values kstor chooses; only suggested for
    /// sidecars the catalog has no values for.
    ///
    /// ## References
    /// - Kubernetes docs, "Pod Quality of Service Classes":
    ///   <https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/>
    /// - kubernetes-csi sidecar containers: <https://kubernetes-csi.github.io/docs/sidecar-containers.html>
    pub struct CsiSidecarWithoutResources {
        code: "KS802",
        name: "csi-sidecar-without-resources",
        group: Platform,
        severity: Warning,
        summary: "a CSI sidecar container has no resource requests or limits",
        fixes: [Unsafe, DisplayOnly],
    }
}

impl Check for CsiSidecarWithoutResources {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for workload in &ctx.graph.workloads {
            for container in workload.pod.containers.iter().chain(&workload.pod.init_containers) {
                let Some(last) = csi_sidecar(&container.image) else {
                    continue;
                };
                if container.resources.has_requests || container.resources.has_limits {
                    continue;
                }
                let message = format!(
                    "CSI sidecar {} ({last}) of {} has no resource requests or limits: nothing reserves CPU or memory for it, so under node pressure it is starved or evicted and the volume operations it serves stall",
                    container.name,
                    workload_name(workload),
                );
                let mut finding =
                    Finding::at(&Self::META, workload.object, container.resources.path.clone(), message)
                        .help("set resources.requests (cpu, memory) and a memory limit");
                if let Some(reference) = ctx.graph.catalog.drivers.sidecar_resources(last) {
                    let quantities = |m: &std::collections::BTreeMap<String, String>| {
                        NewValue::Map(m.iter().map(|(k, v)| (k.clone(), NewValue::str(v.as_str()))).collect())
                    };
                    let value = NewValue::Map(vec![
                        ("requests".into(), quantities(&reference.requests)),
                        ("limits".into(), quantities(&reference.limits)),
                    ]);
                    let shown: Vec<String> = reference
                        .requests
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .chain(reference.limits.iter().map(|(k, v)| format!("{k} limit {v}")))
                        .collect();
                    finding = finding.fix(Fix::unsafe_fix(
                        format!(
                            "set the resources the catalog gives {last} ({}; values kstor chooses from the Azure Disk CSI driver's upstream manifests: size them to the driver's load)",
                            shown.join(", ")
                        ),
                        vec![ObjectEdit::set(workload.object, container.path.key("resources"), value)],
                    ));
                } else {
                    finding = finding.fix(Fix::display_only(
                        format!("set requests (cpu, memory) and a memory limit for {last}; kstor's catalog has no reference values for it"),
                        Vec::new(),
                    ));
                }
                out.push(finding);
            }
        }
    }
}
