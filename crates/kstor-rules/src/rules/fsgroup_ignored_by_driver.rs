use std::collections::HashSet;

use kstor_model::catalog::VolumeMode;
use kstor_model::graph::{Claim, MountTarget, StorageGraph, VolumeSource, Workload};
use kstor_model::path::Path;

use super::common::{FsGroupEffect, driver_field_of_claim, fs_group_effect, workload_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a pod that sets `securityContext.fsGroup` and mounts a claim whose driver will
    /// not apply it, according to the driver's CSIDriver `fsGroupPolicy` (a CSIDriver object
    /// in the input, else kstor's driver catalog):
    /// - `None`: the kubelet never changes ownership (also in-tree NFS and CephFS volumes);
    /// - `ReadWriteOnceWithFSType` (the default): ownership is changed only for volumes with
    ///   an fsType and a `ReadWriteOnce`/`ReadWriteOncePod` access mode, so not for
    ///   `ReadWriteMany`/`ReadOnlyMany` claims, nor for file-storage volumes (EFS, FSx,
    ///   Blob) whose class sets no `csi.storage.k8s.io/fstype`, nor for static CSI volumes
    ///   without `csi.fsType`.
    ///
    /// Drivers with `fsGroupPolicy: File`, drivers that apply fsGroup themselves at mount
    /// time (Azure Files, SMB: `VOLUME_MOUNT_GROUP`), dynamically provisioned block volumes
    /// (their provisioner sets a default fsType), EFS access points (`provisioningMode:
    /// efs-ap`, whose POSIX user owns the directory and performs every operation), read-only
    /// volumes and drivers known only
    /// from the vendor-reported CSI table (unless a CSIDriver object states the policy) are
    /// not reported.
    ///
    /// ## Why it matters
    /// `fsGroup` is usually set so a non-root process can write to the volume. When the
    /// driver does not apply it, the volume's root stays owned by root (or by whatever the
    /// file server says), and the process gets `permission denied` although the manifest
    /// looks right. The failure often appears only when a claim is switched to
    /// `ReadWriteMany` or moved to a file-storage class.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: fsx-lustre
    /// provisioner: fsx.csi.aws.com    # FSx for Lustre: file storage, no csi.storage.k8s.io/fstype
    /// parameters:
    ///   subnetId: subnet-0a1b2c3d
    ///   securityGroupIds: sg-0a1b2c3d
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: media
    /// spec:
    ///   accessModes: [ReadWriteMany]
    ///   storageClassName: fsx-lustre
    ///   resources:
    ///     requests:
    ///       storage: 1200Gi
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: uploads
    /// spec:
    ///   selector:
    ///     matchLabels: {app: uploads}
    ///   template:
    ///     metadata:
    ///       labels: {app: uploads}
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 1000
    ///         fsGroup: 1000           # not applied: RWX claim on a ReadWriteOnceWithFSType driver
    ///       containers:
    ///         - name: app
    ///           image: ghcr.io/example/uploads:2.1
    ///           volumeMounts:
    ///             - {name: media, mountPath: /media}
    ///       volumes:
    ///         - name: media
    ///           persistentVolumeClaim: {claimName: media}
    /// ```
    ///
    /// ## Fix
    /// Give the volume the right ownership another way: on EFS an access point with
    /// `uid`/`gid`/`directoryPerms`, on NFS an export owned by the pod's user, or an init
    /// container running as root that `chown`s the mount. Where the driver allows it, set
    /// its CSIDriver `fsGroupPolicy: File`.
    ///
    /// **Automatic fix:** none: the driver ignores `fsGroup`, so the fix is an init container, a
    /// driver option or a different driver, which depend on the platform.
    ///
    /// ## References
    /// - Kubernetes docs, Configure a Security Context (fsGroup):
    ///   <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    /// - kubernetes-csi docs, CSI Driver fsGroup Support:
    ///   <https://kubernetes-csi.github.io/docs/support-fsgroup.html>
    pub struct FsgroupIgnoredByDriver {
        code: "KS502",
        name: "fsgroup-ignored-by-driver",
        group: Permissions,
        severity: Warning,
        summary: "fsGroup is set but the volume's driver will not apply it",
        fixes: [],
    }
}

impl Check for FsgroupIgnoredByDriver {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let Some(fs_group) = workload.pod.security.fs_group else {
                continue;
            };
            let mut seen = HashSet::new();
            for mount in
                workload.pod.containers.iter().chain(&workload.pod.init_containers).flat_map(|c| &c.mounts)
            {
                let Some(claim_id) = graph.claim_of_mount(workload, mount) else {
                    continue;
                };
                if !seen.insert(claim_id) || volume_read_only(workload, &mount.target) {
                    continue;
                }
                let claim = graph.claim(claim_id);
                if claim.volume_mode == VolumeMode::Block {
                    continue;
                }
                let FsGroupEffect::Ignored(why) = fs_group_effect(graph, claim) else {
                    continue;
                };
                if ownership_from_access_point(graph, claim) {
                    continue;
                }
                let message = format!(
                    "{} sets fsGroup {fs_group}, but it is not applied to {} mounted at {}: {why}; the volume keeps its existing ownership, so a non-root process may get permission denied",
                    workload_name(workload),
                    claim.describe(graph),
                    mount.mount_path,
                );
                let mut finding = Finding::at(
                    &Self::META,
                    workload.object,
                    workload.pod.security.path.key("fsGroup"),
                    message,
                )
                .related(
                    workload.object,
                    mount.path.clone(),
                    format!("mount of {}", mount.volume),
                );
                if let Some(driver) = graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref())
                    && let Some(csi) = graph.csi_drivers.iter().find(|d| d.name == driver.driver)
                {
                    finding = finding.related(
                        csi.object,
                        Path::root().key("spec").key("fsGroupPolicy"),
                        format!("CSIDriver {} sets the policy", csi.name),
                    );
                } else if let Some((object, path, what)) = driver_field_of_claim(graph, claim) {
                    finding = finding.related(object, path, format!("{what} names the driver"));
                }
                out.push(finding.help(
                    "give the volume the right ownership another way (EFS access point uid/gid, an export owned by the pod's user, or a root init container that chowns the mount), or use a driver/policy that applies fsGroup",
                ));
            }
        }
    }
}

/// EFS dynamic provisioning through access points (`provisioningMode: efs-ap`): every
/// operation runs as the access point's POSIX user, which owns the directory, so the pod's
/// user can write whether or not fsGroup is applied.
fn ownership_from_access_point(graph: &StorageGraph, claim: &Claim) -> bool {
    graph.class_of(claim).is_some_and(|class| {
        class.driver.as_ref().is_some_and(|d| d.driver == "efs.csi.aws.com")
            && class.parameters.get("provisioningMode").is_some_and(|m| m == "efs-ap")
    })
}

/// The pod volume is read-only (`persistentVolumeClaim.readOnly`): the kubelet then applies
/// no fsGroup by design.
pub(crate) fn volume_read_only(workload: &Workload, target: &MountTarget) -> bool {
    match target {
        MountTarget::Volume(index) => {
            matches!(workload.pod.volumes[*index].source, VolumeSource::Claim { read_only: true, .. })
        }
        _ => false,
    }
}
