use kstor_model::catalog::{FsGroupPolicy, StorageKind, VolumeMode};
use kstor_model::graph::{Claim, ContainerInfo, PodSecurity, StorageGraph, Workload};

use super::common::{driver_name, workload_name};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::{NewValue, ObjectEdit};

crate::declare_rule! {
    /// ## What it does
    /// Flags a pod that runs a container as non-root (`runAsUser` above 0, or
    /// `runAsNonRoot: true`, at pod or container level) which mounts a writable claim whose
    /// driver applies `fsGroup`, while the pod sets no `securityContext.fsGroup`.
    ///
    /// A driver applies fsGroup when its CSIDriver `fsGroupPolicy` is `File`, or
    /// `ReadWriteOnceWithFSType` (the default) for a block volume with a filesystem and a
    /// `ReadWriteOnce`/`ReadWriteOncePod` claim. When the claim's driver is unknown (its
    /// class is not in the input), a single-node claim is assumed to be such a block volume,
    /// as the default classes of the major clouds are. Pods whose init container runs as
    /// root and `chown`s or `chmod`s the mount are not reported.
    ///
    /// ## Why it matters
    /// A freshly formatted volume's root directory belongs to root with mode 0755. Without
    /// `fsGroup`, the kubelet does not change its ownership, so a non-root process gets
    /// `permission denied` on its first write and the pod crash-loops; this often surfaces
    /// only on the first deploy to a new cluster, not on a developer's root-run setup.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: app
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 1000
    ///         runAsNonRoot: true
    ///         # no fsGroup
    ///       containers:
    ///         - name: app
    ///           volumeMounts:
    ///             - {name: data, mountPath: /data}
    ///   volumeClaimTemplates:
    ///     - metadata: {name: data}
    ///       spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.fsGroup` to the group the process runs with, and
    /// `fsGroupChangePolicy: OnRootMismatch` so large volumes are not re-chowned on every
    /// mount.
    ///
    /// **Automatic fix:** safe when the pod sets `runAsGroup` or `runAsUser` (`fsGroup` takes
    /// that id); unsafe otherwise, with `fsGroup: 65532`, a value kstor chooses.
    ///
    /// ## References
    /// - Kubernetes docs, "Configure a Security Context for a Pod or Container":
    ///   <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    /// - kubernetes-csi docs, "CSI Driver fsGroup Support" (`fsGroupPolicy`)
    pub struct NonRootWithoutFsgroup {
        code: "KS501",
        name: "non-root-without-fsgroup",
        group: Permissions,
        severity: Warning,
        summary: "a non-root container writes to a claim whose driver applies fsGroup, but the pod sets no fsGroup",
        fixes: [Safe, Unsafe],
    }
}

impl Check for NonRootWithoutFsgroup {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let security = &workload.pod.security;
            if security.fs_group.is_some() {
                continue;
            }
            let offending = workload.pod.containers.iter().find_map(|container| {
                let user = non_root_user(container, security)?;
                container.mounts.iter().filter(|m| !graph.mount_is_read_only(workload, m)).find_map(|mount| {
                    let claim = graph.claim(graph.claim_of_mount(workload, mount)?);
                    let how = applies_fs_group(graph, claim)?;
                    (!chowned_by_init(workload, &mount.volume))
                        .then(|| (container, user.clone(), mount, claim, how))
                })
            });
            let Some((container, user, mount, claim, how)) = offending else {
                continue;
            };
            let message = format!(
                "container {} of {} runs as non-root ({user}) and writes to {} at {} ({how}), but the pod sets no fsGroup: the volume's root directory belongs to root, so writes fail with permission denied",
                container.name,
                workload_name(workload),
                claim.describe(graph),
                mount.mount_path,
            );
            out.push(
                Finding::at(&Self::META, workload.object, security.path.clone(), message)
                    .related(workload.object, mount.path.clone(), format!("writable mount of {}", mount.volume))
                    .help("set `securityContext.fsGroup` to the process's group, with `fsGroupChangePolicy: OnRootMismatch`")
                    .fix(fs_group_fix(graph, workload, container)),
            );
        }
    }
}

/// `runAsUser 1000` or `runAsNonRoot` when the container effectively runs as non-root.
fn non_root_user(container: &ContainerInfo, pod: &PodSecurity) -> Option<String> {
    let user = container.run_as_user.or(pod.run_as_user);
    let non_root = container.run_as_non_root.or(pod.run_as_non_root);
    match (user, non_root) {
        (Some(uid), _) if uid > 0 => Some(format!("runAsUser {uid}")),
        (None, Some(true)) => Some("runAsNonRoot".into()),
        _ => None,
    }
}

/// fsGroup from the pod's `runAsGroup`, else the process's user id (safe: the group the
/// process already runs with); with neither, 65532 (the distroless nonroot group, a value
/// kstor chooses: unsafe). `fsGroupChangePolicy: OnRootMismatch` comes with it (KS503).
fn fs_group_fix(graph: &StorageGraph, workload: &Workload, container: &ContainerInfo) -> Fix {
    let security = &workload.pod.security;
    let root = graph.object(workload.object).root();
    // The model points at the pod spec when the pod has no securityContext.
    let context = match security.path.segments().last() {
        Some(kstor_model::path::Segment::Key(key)) if key == "securityContext" => security.path.clone(),
        _ => security.path.key("securityContext"),
    };
    let group = context.key("runAsGroup").node(root).and_then(|n| match n.value() {
        kstor_model::yaml::Value::Int(gid) if gid > 0 => Some(gid),
        _ => None,
    });
    let known = group.or(container.run_as_user.or(security.run_as_user).filter(|uid| *uid > 0));
    let value = |gid: i64| {
        NewValue::Map(vec![
            ("fsGroup".into(), NewValue::Int(gid)),
            ("fsGroupChangePolicy".into(), NewValue::str("OnRootMismatch")),
        ])
    };
    match known {
        Some(gid) => Fix::safe(
            format!(
                "set `fsGroup: {gid}` (the process's {}) with `fsGroupChangePolicy: OnRootMismatch`",
                if group.is_some() { "runAsGroup" } else { "user id" }
            ),
            vec![ObjectEdit::set(workload.object, context.clone(), value(gid))],
        ),
        None => Fix::unsafe_fix(
            "set `fsGroup: 65532` with `fsGroupChangePolicy: OnRootMismatch`: a value kstor chooses (the pod sets neither runAsGroup nor runAsUser); use the image's group",
            vec![ObjectEdit::set(workload.object, context, value(65532))],
        ),
    }
}

/// Why the claim's driver applies fsGroup, or `None` when it does not.
fn applies_fs_group(graph: &StorageGraph, claim: &Claim) -> Option<String> {
    match graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()) {
        Some(driver) => {
            let applies = match driver.fs_group_policy {
                FsGroupPolicy::None => false,
                FsGroupPolicy::File => true,
                FsGroupPolicy::ReadWriteOnceWithFSType => {
                    driver.storage == StorageKind::Block
                        && claim.volume_mode == VolumeMode::Filesystem
                        && claim.modes().any(|m| m.is_single_node())
                }
            };
            applies.then(|| format!("on {}", driver_name(driver)))
        }
        None => (claim.is_single_node() && claim.volume_mode == VolumeMode::Filesystem)
            .then(|| "a ReadWriteOnce volume, assumed block storage".to_string()),
    }
}

/// An init container running as root that changes ownership or mode of the volume.
fn chowned_by_init(workload: &Workload, volume: &str) -> bool {
    workload.pod.init_containers.iter().any(|init| {
        let root = match init.run_as_user.or(workload.pod.security.run_as_user) {
            Some(uid) => uid == 0,
            None => init.run_as_non_root.or(workload.pod.security.run_as_non_root) != Some(true),
        };
        let changes_ownership = init.command.iter().any(|arg| arg.contains("chown") || arg.contains("chmod"));
        root && changes_ownership && init.mounts.iter().any(|m| m.volume == volume)
    })
}
