use kstor_model::graph::VolumeSource;

use super::common::workload_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags an `emptyDir` volume with `medium: Memory` that sets no `sizeLimit`.
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
    /// ## References
    /// - Kubernetes docs, Volumes, "emptyDir":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/#emptydir>
    /// - SizeMemoryBackedVolumes (GA 1.32): tmpfs size follows `sizeLimit`
    pub struct MemoryEmptydirWithoutSizeLimit {
        code: "KS601",
        name: "memory-emptydir-without-size-limit",
        group: Ephemeral,
        severity: Warning,
        summary: "an emptyDir with medium Memory has no sizeLimit",
    }
}

impl Check for MemoryEmptydirWithoutSizeLimit {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for workload in &ctx.graph.workloads {
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
                out.push(
                    Finding::at(&Self::META, workload.object, volume.path.key("emptyDir"), message)
                        .help("set `emptyDir.sizeLimit` and a container memory limit that covers it"),
                );
            }
        }
    }
}
