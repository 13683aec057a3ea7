use kstor_model::catalog::VolumeMode;

use kstor_model::edit::ObjectEdit;
use kstor_model::graph::{ContainerInfo, Mount};
use kstor_model::yaml::Node;

use super::common::workload_name;
use crate::context::Context;
use crate::finding::{Finding, Fix};
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
    /// **Automatic fix:** unsafe: moves the entry between `volumeMounts` and `volumeDevices`
    /// (`mountPath` and `devicePath`) when it is its list's only entry; the program then sees a
    /// device instead of a directory, or the reverse. Only suggested when the lists hold other
    /// entries.
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
        fixes: [Unsafe, DisplayOnly],
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
                    let root = graph.object(workload.object).root();
                    let fix = move_fix(workload.object, root, container, mount, wrong_mode);
                    out.push(
                        Finding::at(&Self::META, workload.object, mount.path.clone(), message)
                            .related(
                                claim.object,
                                related_path,
                                format!("{} has {mode}", claim.describe(graph)),
                            )
                            .help(help)
                            .fix(fix),
                    );
                }
            }
        }
    }
}

/// Keys of a volumeMount that a volumeDevice does not have.
const MOUNT_ONLY_KEYS: [&str; 5] =
    ["readOnly", "subPath", "subPathExpr", "mountPropagation", "recursiveReadOnly"];

/// Moves the entry to the other list when it is the only entry of its list and the other list
/// does not exist (renaming the list and `mountPath` ↔ `devicePath`); otherwise the move is
/// only described. Unsafe: the container sees a device node instead of a directory (or the
/// reverse), so the program in it must expect that.
fn move_fix(
    object: kstor_model::ObjectId,
    root: Node<'_>,
    container: &ContainerInfo,
    mount: &Mount,
    wrong_mode: VolumeMode,
) -> Fix {
    let (from_list, to_list, from_key, to_key, count) = match wrong_mode {
        VolumeMode::Block => {
            ("volumeMounts", "volumeDevices", "mountPath", "devicePath", container.mounts.len())
        }
        VolumeMode::Filesystem => {
            ("volumeDevices", "volumeMounts", "devicePath", "mountPath", container.devices.len())
        }
    };
    let what = format!(
        "move `{}` from `{from_list}` to `{to_list}` with `{to_key}: {}`",
        mount.volume, mount.mount_path
    );
    let why = match wrong_mode {
        VolumeMode::Block => {
            "the container then sees a raw device at that path, not a directory, and must format or read it itself"
        }
        VolumeMode::Filesystem => {
            "the container then sees a mounted directory at that path, not a device node"
        }
    };
    let target_exists = container.path.key(to_list).node(root).is_some();
    let entry = mount.path.node(root).and_then(|n| n.as_map());
    let (Some(entry), 1, false) = (entry, count, target_exists) else {
        return Fix::display_only(
            format!("{what} (by hand: the lists hold other entries); {why}"),
            Vec::new(),
        );
    };
    let mut edits = vec![ObjectEdit::rename(object, mount.path.key(from_key), to_key)];
    if wrong_mode == VolumeMode::Block {
        for key in MOUNT_ONLY_KEYS.iter().filter(|k| entry.entry(k).is_some()) {
            edits.push(ObjectEdit::remove(object, mount.path.key(key)));
        }
    }
    // The list last: JSON Patch applies operations in order, and the entry's own paths go
    // through the old list name.
    edits.push(ObjectEdit::rename(object, container.path.key(from_list), to_list));
    Fix::unsafe_fix(format!("{what}; {why}"), edits)
}
