use kstor_model::catalog::VolumeMode;

use super::common::workload_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a container that uses a claim the wrong way for its `volumeMode`: a
    /// `volumeMode: Block` claim listed in `volumeMounts`, or a `Filesystem` claim (the
    /// default when `volumeMode` is unset) listed in `volumeDevices`. Standalone claims,
    /// StatefulSet claim templates and generic ephemeral volumes are checked.
    ///
    /// ## Why it matters
    /// A `Block` volume is a raw device with no filesystem to mount; a `Filesystem` volume
    /// has no device node to hand to the container. The API server accepts the pod, but
    /// the kubelet refuses to set the volume up ("volume … has volumeMode Block, but is
    /// specified in volumeMounts" / "… has volumeMode Filesystem, but is specified in
    /// volumeDevices"): the pod stays in `ContainerCreating` and never starts. Binding
    /// also requires the claim's and the volume's `volumeMode` to match, so the fix is on
    /// the pod side unless the claim was meant to be the other mode.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: block-writer
    /// spec:
    ///   serviceName: block-writer
    ///   selector:
    ///     matchLabels: {app: block-writer}
    ///   template:
    ///     metadata:
    ///       labels: {app: block-writer}
    ///     spec:
    ///       containers:
    ///         - name: writer
    ///           image: ghcr.io/example/block-writer:1.0
    ///           volumeMounts:             # a raw device cannot be mounted: use volumeDevices
    ///             - name: data
    ///               mountPath: /var/lib/data
    ///   volumeClaimTemplates:
    ///     - metadata:
    ///         name: data
    ///       spec:
    ///         volumeMode: Block           # a raw block device, no filesystem
    ///         accessModes: [ReadWriteOnce]
    ///         resources:
    ///           requests:
    ///             storage: 100Gi
    /// ```
    ///
    /// ## Fix
    /// Use `volumeDevices` (`devicePath: /dev/xvda`) for `Block` claims and `volumeMounts`
    /// for `Filesystem` claims, or change the claim's `volumeMode` (a new claim: the field
    /// is immutable).
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Raw Block Volume Support":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#raw-block-volume-support>
    /// - Kubernetes docs, Persistent Volumes, "Volume Mode":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#volume-mode>
    pub struct BlockVolumeModeMismatch {
        code: "KS704",
        name: "block-volume-mode-mismatch",
        group: Claims,
        severity: Error,
        summary: "a Block claim is used through volumeMounts, or a Filesystem claim through volumeDevices",
    }
}

impl Check for BlockVolumeModeMismatch {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let containers = workload.pod.containers.iter().chain(&workload.pod.init_containers);
            for container in containers {
                let uses = container
                    .mounts
                    .iter()
                    .map(|m| (m, VolumeMode::Block))
                    .chain(container.devices.iter().map(|d| (d, VolumeMode::Filesystem)));
                for (mount, wrong_mode) in uses {
                    let Some(claim_id) = graph.claim_of_mount(workload, mount) else {
                        continue;
                    };
                    let claim = graph.claim(claim_id);
                    if claim.volume_mode != wrong_mode {
                        continue;
                    }
                    let mode_path = claim.path.key("spec").key("volumeMode");
                    let written = mode_path.node(graph.object(claim.object).root()).is_some();
                    let (mode, list, what, help) = match wrong_mode {
                        VolumeMode::Block => (
                            "volumeMode: Block",
                            "volumeMounts",
                            format!("mounts it at {}", mount.mount_path),
                            "a Block volume is a raw device: list it under `volumeDevices` with a `devicePath`, or use a Filesystem claim",
                        ),
                        VolumeMode::Filesystem => (
                            if written {
                                "volumeMode: Filesystem"
                            } else {
                                "volumeMode unset, so Filesystem"
                            },
                            "volumeDevices",
                            format!("maps it as device {}", mount.mount_path),
                            "a Filesystem volume has no device node: mount it under `volumeMounts`, or use a `volumeMode: Block` claim",
                        ),
                    };
                    let message = format!(
                        "container {} of {} lists {} ({mode}) in {list} and {what}: the kubelet refuses to set up the volume and the pod never starts",
                        container.name,
                        workload_name(workload),
                        claim.describe(graph),
                    );
                    let related_path = if written { mode_path } else { claim.path.key("spec") };
                    out.push(
                        Finding::at(&Self::META, workload.object, mount.path.clone(), message)
                            .related(
                                claim.object,
                                related_path,
                                format!("{} has {mode}", claim.describe(graph)),
                            )
                            .help(help),
                    );
                }
            }
        }
    }
}
