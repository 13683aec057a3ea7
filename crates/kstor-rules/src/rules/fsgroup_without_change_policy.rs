use kstor_model::catalog::VolumeMode;

use super::common::{FsGroupEffect, fs_group_effect, workload_name};
use super::fsgroup_ignored_by_driver::volume_read_only;
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a pod that sets `securityContext.fsGroup` and mounts at least one persistent
    /// claim whose driver has the kubelet apply fsGroup, without
    /// `fsGroupChangePolicy: OnRootMismatch` (unset means `Always`). A claim whose driver is
    /// not in the input is assumed to be such a volume when it is `ReadWriteOnce` (the
    /// default block storage of the major clouds). Claims whose driver ignores fsGroup
    /// (KS502) or applies it itself at mount time (Azure Files, SMB) are not counted.
    ///
    /// ## Why it matters
    /// With `Always`, the kubelet walks every file and directory of the volume on every
    /// mount, changing group ownership and permissions. On volumes with millions of files
    /// this delays each pod start by minutes (restarts, rollouts, rescheduling after a node
    /// failure), and the pod can hit its startup deadline; it also rewrites permissions an
    /// application may have set deliberately.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: es
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         fsGroup: 1000          # recursive chown of the whole index on every start
    ///       containers:
    ///         - name: es
    ///           volumeMounts: [{name: data, mountPath: /usr/share/elasticsearch/data}]
    ///   volumeClaimTemplates:
    ///     - metadata: {name: data}
    ///       spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Gi}}}
    /// ```
    ///
    /// ## Fix
    /// Add `fsGroupChangePolicy: OnRootMismatch` next to `fsGroup`: ownership is then changed
    /// only when the volume's root does not already match, which is the case only on the
    /// first mount.
    ///
    /// **Automatic fix:** safe: sets `fsGroupChangePolicy: OnRootMismatch`; the field is mutable
    /// and only skips the recursive ownership change when the volume's root already matches.
    ///
    /// ## References
    /// - Kubernetes docs, Configure volume permission and ownership change policy for Pods:
    ///   <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#configure-volume-permission-and-ownership-change-policy-for-pods>
    /// - Kubernetes blog, Allow pods to skip recursive permission changes (fsGroupChangePolicy):
    ///   <https://kubernetes.io/blog/2020/12/14/kubernetes-release-1.20-fsgroupchangepolicy-fsgrouppolicy/>
    pub struct FsgroupWithoutChangePolicy {
        code: "KS503",
        name: "fsgroup-without-change-policy",
        group: Permissions,
        severity: Info,
        summary: "fsGroup on a pod that mounts a claim, without fsGroupChangePolicy: OnRootMismatch",
        fixes: [Safe],
    }
}

impl Check for FsgroupWithoutChangePolicy {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let security = &workload.pod.security;
            let Some(fs_group) = security.fs_group else {
                continue;
            };
            let policy = security.fs_group_change_policy.as_deref();
            if policy.is_some_and(|p| p != "Always") {
                continue;
            }
            let mounts =
                workload.pod.containers.iter().chain(&workload.pod.init_containers).flat_map(|c| &c.mounts);
            let chowned = mounts.into_iter().find_map(|mount| {
                let claim = graph.claim(graph.claim_of_mount(workload, mount)?);
                if claim.volume_mode == VolumeMode::Block || volume_read_only(workload, &mount.target) {
                    return None;
                }
                let applied = match fs_group_effect(graph, claim) {
                    FsGroupEffect::Applied(_) => true,
                    FsGroupEffect::Unknown => {
                        graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()).is_none()
                            && claim.is_single_node()
                    }
                    FsGroupEffect::Delegated | FsGroupEffect::Ignored(_) => false,
                };
                applied.then_some((mount, claim))
            });
            let Some((mount, claim)) = chowned else {
                continue;
            };
            let (path, setting) = match policy {
                Some(_) => (security.path.key("fsGroupChangePolicy"), "fsGroupChangePolicy: Always"),
                None => (security.path.key("fsGroup"), "no fsGroupChangePolicy (Always)"),
            };
            let message = format!(
                "{} sets fsGroup {fs_group} with {setting}: on every mount the kubelet changes the group of every file in {} ({}), which makes pod starts slow on large volumes",
                workload_name(workload),
                claim.describe(graph),
                mount.mount_path,
            );
            out.push(
                Finding::at(&Self::META, workload.object, path, message)
                    .related(workload.object, mount.path.clone(), format!("mount of {}", mount.volume))
                    .help("add `fsGroupChangePolicy: OnRootMismatch` to the pod's securityContext")
                    .fix(Fix::safe(
                        "set `fsGroupChangePolicy: OnRootMismatch` in the pod's securityContext",
                        vec![ObjectEdit::set(
                            workload.object,
                            security.path.key("fsGroupChangePolicy"),
                            "OnRootMismatch",
                        )],
                    )),
            );
        }
    }
}
