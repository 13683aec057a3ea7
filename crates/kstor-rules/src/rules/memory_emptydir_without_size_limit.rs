use kstor_model::graph::VolumeSource;

use super::common::{format_mebibytes, is_csi_driver_pod, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags an `emptyDir` volume with `medium: Memory` that sets no `sizeLimit`.
    ///
    /// Pods of CSI drivers (those running a CSI sidecar, as recognised for KS802) are not
    /// reported: their memory-backed emptyDirs hold the driver's unix socket and short-lived
    /// key files, kept off the node's disk on purpose (ceph-csi's `socket-dir` and
    /// `keys-tmp-dir`), and do not grow. Every such finding on the CSI driver deploy folders
    /// kstor was run on was of this kind, and none was worth acting on.
    ///
    /// ## Why it matters
    /// A memory-backed emptyDir is a tmpfs. Files written to it count against the memory
    /// limit of the container that wrote them and are not reclaimable under memory pressure.
    /// Without `sizeLimit`, the tmpfs may grow to the node's allocatable memory: with a
    /// memory limit the container is OOM-killed when the files fill it, without one the node
    /// runs out of memory and the kubelet evicts pods, not necessarily this one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: heap-dump
    /// spec:
    ///   containers:
    ///     - name: tools
    ///       image: ghcr.io/example/jvm-tools:21
    ///       volumeMounts:
    ///         - {name: cache, mountPath: /cache}
    ///   volumes:
    ///     - name: cache
    ///       emptyDir:
    ///         medium: Memory    # no sizeLimit: the tmpfs grows until the container is OOM-killed
    /// ```
    ///
    /// ## Fix
    /// Set `sizeLimit` to what the cache needs, and a container memory limit that covers the
    /// process plus the tmpfs.
    ///
    /// **Automatic fix:** unsafe: sets `sizeLimit` to the pod's memory limit, a value kstor
    /// chooses; only suggested when the pod's containers set no memory limit (a sizeLimit alone
    /// would be KS602's finding).
    ///
    /// ## References
    /// - Kubernetes docs, Volumes, "emptyDir":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/#emptydir>
    /// - SizeMemoryBackedVolumes (GA 1.32): tmpfs size follows `sizeLimit`
    /// - ceph-csi RBD provisioner deployment (`socket-dir`, `keys-tmp-dir` in memory):
    ///   <https://github.com/ceph/ceph-csi/blob/devel/deploy/rbd/kubernetes/csi-rbdplugin-provisioner.yaml>
    pub struct MemoryEmptydirWithoutSizeLimit {
        code: "KS601",
        name: "memory-emptydir-without-size-limit",
        group: Ephemeral,
        severity: Warning,
        summary: "an emptyDir with medium Memory has no sizeLimit",
        fixes: [Unsafe, DisplayOnly],
    }
}

impl Check for MemoryEmptydirWithoutSizeLimit {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for workload in ctx.graph.workloads.iter().filter(|w| !is_csi_driver_pod(w)) {
            for volume in &workload.pod.volumes {
                if volume.shadowed_by.is_some() {
                    continue;
                }
                let VolumeSource::EmptyDir { memory: true, size_limit: None } = &volume.source else {
                    continue;
                };
                let message = format!(
                    "volume {} of {} is a memory-backed emptyDir without sizeLimit: its files count against container memory and can grow until the container is OOM-killed or the node runs out of memory",
                    volume.name,
                    workload_name(workload),
                );
                // The pod's memory limit when every container has one, else 1Gi.
                let limits: Option<Vec<f64>> =
                    workload.pod.containers.iter().map(|c| c.resources.memory_limit).collect();
                // Without memory limits a sizeLimit alone is KS602's finding: then only suggested.
                let (size, limited) = match limits {
                    Some(l) if !l.is_empty() => (format_mebibytes(l.iter().sum()), true),
                    _ => ("1Gi".to_string(), false),
                };
                let path = volume.path.key("emptyDir").key("sizeLimit");
                let fix = if limited {
                    Fix::unsafe_fix(
                        format!(
                            "set `sizeLimit: {size}`, the pod's memory limit (a value kstor chooses; writes beyond it evict the pod)"
                        ),
                        vec![ObjectEdit::set(workload.object, path, size.as_str())],
                    )
                } else {
                    Fix::display_only(
                        "set `sizeLimit` (e.g. 1Gi) together with container memory limits that cover it; a sizeLimit alone lets the tmpfs use node memory the pod never requested (KS602)",
                        vec![ObjectEdit::set(workload.object, path, size.as_str())],
                    )
                };
                out.push(
                    Finding::at(&Self::META, workload.object, volume.path.key("emptyDir"), message)
                        .help("set `emptyDir.sizeLimit` and a container memory limit that covers it")
                        .fix(fix),
                );
            }
        }
    }
}
