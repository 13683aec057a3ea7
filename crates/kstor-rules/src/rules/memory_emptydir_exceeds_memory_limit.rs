use kstor_model::graph::{MountTarget, VolumeSource};
use kstor_model::quantity::{format_quantity, parse_quantity};

use kstor_model::edit::ObjectEdit;

use super::common::{format_mebibytes, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a memory-backed `emptyDir` (`medium: Memory`) whose `sizeLimit` is larger than
    /// the pod's total memory limit (the sum of its app containers' `limits.memory`, when
    /// every one sets it), or whose pod sets no memory limit in any app container.
    /// Volumes no container mounts are ignored, and so are memory-backed emptyDirs without
    /// a `sizeLimit` (KS601 reports those).
    ///
    /// ## Why it matters
    /// A memory-backed emptyDir is a tmpfs sized to `sizeLimit`. Its files are memory, not
    /// disk: they are charged to the memory cgroup of the container that wrote them, count
    /// against its memory limit and cannot be reclaimed under pressure.
    ///
    /// - With a `sizeLimit` above the memory limit, the limit is reached first: the
    ///   container is OOM-killed before the volume is full, and the files survive the
    ///   restart (the emptyDir lives as long as the pod), so the promised size is never
    ///   usable and the pod can crash-loop.
    /// - Without any memory limit, the tmpfs takes up to `sizeLimit` of node memory that
    ///   the pod never requested: the node runs short and the kubelet evicts pods, not
    ///   necessarily this one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: renderer
    /// spec:
    ///   selector:
    ///     matchLabels: {app: renderer}
    ///   template:
    ///     metadata:
    ///       labels: {app: renderer}
    ///     spec:
    ///       containers:
    ///         - name: renderer
    ///           image: ghcr.io/example/renderer:4.1
    ///           resources:
    ///             limits:
    ///               memory: 512Mi
    ///           volumeMounts:
    ///             - {name: scratch, mountPath: /scratch}
    ///       volumes:
    ///         - name: scratch
    ///           emptyDir:
    ///             medium: Memory
    ///             sizeLimit: 2Gi    # more than the pod may use: OOM-killed before it is full
    /// ```
    ///
    /// ## Fix
    /// Size the container memory limit to cover the process plus the tmpfs (limit ≥ working
    /// set + `sizeLimit`), or lower `sizeLimit`, or use a disk-backed emptyDir for scratch
    /// data that does not need RAM speed.
    ///
    /// **Automatic fix:** unsafe: lowers `sizeLimit` to the pod's memory limit, a value kstor
    /// chooses; only suggested when no container sets a memory limit (the limit's value is the
    /// team's choice).
    ///
    /// ## References
    /// - Kubernetes docs, Volumes, "emptyDir":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/#emptydir>
    /// - Kubernetes docs, "Resource Management for Pods and Containers", local ephemeral
    ///   storage and memory-backed emptyDir:
    ///   <https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/>
    pub struct MemoryEmptydirExceedsMemoryLimit {
        code: "KS602",
        name: "memory-emptydir-exceeds-memory-limit",
        group: Ephemeral,
        severity: Warning,
        summary: "a memory-backed emptyDir's sizeLimit exceeds the pod's memory limit, or the pod has none",
        fixes: [Unsafe, DisplayOnly],
    }
}

impl Check for MemoryEmptydirExceedsMemoryLimit {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for workload in &ctx.graph.workloads {
            let pod = &workload.pod;
            let limits: Vec<Option<f64>> = pod.containers.iter().map(|c| c.resources.memory_limit).collect();
            for (index, volume) in pod.volumes.iter().enumerate() {
                if volume.shadowed_by.is_some() {
                    continue;
                }
                let VolumeSource::EmptyDir { memory: true, size_limit: Some(size_text) } = &volume.source
                else {
                    continue;
                };
                let Some(size) = parse_quantity(size_text) else {
                    continue;
                };
                let writers: Vec<_> = pod
                    .containers
                    .iter()
                    .chain(&pod.init_containers)
                    .filter(|c| c.mounts.iter().any(|m| m.target == MountTarget::Volume(index)))
                    .collect();
                let Some(writer) = writers.first() else {
                    continue;
                };
                let what = format!(
                    "volume {} of {} is a memory-backed emptyDir with sizeLimit {size_text}",
                    volume.name,
                    workload_name(workload),
                );
                let size_path = volume.path.key("emptyDir").key("sizeLimit");
                let (message, related, fix) = if limits.iter().all(Option::is_none) {
                    (
                        format!(
                            "{what}, and no container of the pod sets a memory limit: the tmpfs can hold {size_text} of node memory the pod never requested, and memory pressure on the node makes the kubelet evict pods"
                        ),
                        (
                            writer.resources.path.clone(),
                            format!("container {} sets no memory limit", writer.name),
                        ),
                        Fix::display_only(
                            "set `resources.limits.memory` on the pod's containers to cover the process plus the tmpfs; kstor cannot choose the value",
                            Vec::new(),
                        ),
                    )
                } else if limits.iter().all(Option::is_some) {
                    let total: f64 = limits.iter().flatten().sum();
                    if size <= total {
                        continue;
                    }
                    (
                        format!(
                            "{what}, more than the pod's total memory limit ({}): its files count against the memory limit of the container writing them, so the container is OOM-killed before the volume is full, and the files stay in memory across the restart",
                            format_quantity(total)
                        ),
                        (
                            writer.resources.path.clone(),
                            format!(
                                "container {} writes it with a memory limit of {}",
                                writer.name,
                                writer.resources.memory_limit.map_or_else(String::new, format_quantity)
                            ),
                        ),
                        {
                            let lowered = format_mebibytes(total);
                            Fix::unsafe_fix(
                                format!(
                                    "lower `sizeLimit` to `{lowered}`, the pod's memory limit (a value kstor chooses; the volume holds less than it did, and writes beyond it evict the pod)"
                                ),
                                vec![ObjectEdit::set(workload.object, size_path.clone(), lowered.as_str())],
                            )
                        },
                    )
                } else {
                    continue;
                };
                out.push(
                    Finding::at(&Self::META, workload.object, size_path, message)
                        .related(workload.object, related.0, related.1)
                        .help("set container memory limits that cover the process plus the tmpfs, or lower `sizeLimit`")
                        .fix(fix),
                );
            }
        }
    }
}
