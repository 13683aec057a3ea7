use std::collections::HashSet;

use kstor_model::path::Path;

use super::common::driver_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass whose CSI driver supports volume snapshots when the input defines
    /// no VolumeSnapshotClass for that driver, provided the bundle is about storage: it
    /// defines VolumeSnapshotClasses for other drivers, or a stateful workload (database,
    /// queue, search, coordination, object store) keeps its data on the class. Application
    /// bundles that define no StorageClass are never reported.
    ///
    /// ## Why it matters
    /// A VolumeSnapshot needs a VolumeSnapshotClass of the volume's driver. Without one, no
    /// snapshot can be taken, and point-in-time recovery falls back to restoring external
    /// backups: minutes to hours instead of seconds.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: premium
    /// provisioner: disk.csi.azure.com   # supports snapshots...
    /// volumeBindingMode: WaitForFirstConsumer
    /// # ...but no VolumeSnapshotClass with driver: disk.csi.azure.com
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: orders-db
    /// spec:
    ///   serviceName: orders-db
    ///   selector:
    ///     matchLabels: {app: orders-db}
    ///   template:
    ///     metadata:
    ///       labels: {app: orders-db}
    ///     spec:
    ///       containers:
    ///         - name: mariadb
    ///           image: mariadb:11.4
    ///           volumeMounts:
    ///             - {name: data, mountPath: /var/lib/mysql}
    ///   volumeClaimTemplates:
    ///     - metadata:
    ///         name: data
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         storageClassName: premium   # database data that cannot be snapshotted
    ///         resources:
    ///           requests:
    ///             storage: 40Gi
    /// ```
    ///
    /// ## Fix
    /// Add a VolumeSnapshotClass for the driver, with `deletionPolicy: Retain` for production
    /// data, and install the snapshot CRDs and controller if the cluster lacks them.
    ///
    /// **Automatic fix:** none: a VolumeSnapshotClass needs a deletion policy and driver
    /// parameters that are choices about backup, not defaults.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshot Classes:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshot-classes/>
    /// - kubernetes-csi/external-snapshotter (CRDs and snapshot-controller)
    pub struct NoSnapshotClassForDriver {
        code: "KS401",
        name: "no-snapshot-class-for-driver",
        group: Snapshots,
        severity: Warning,
        summary: "a StorageClass's driver supports snapshots but no VolumeSnapshotClass exists for it",
        fixes: [],
    }
}

impl Check for NoSnapshotClassForDriver {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let defines_snapshot_classes = !graph.snapshot_classes.is_empty();
        // Classes that hold critical data of a stateful workload.
        let mut stateful_classes = HashSet::new();
        for workload in graph.workloads.iter().filter(|w| w.role.role.holds_critical_data()) {
            for (_, mount) in graph.data_mounts(workload) {
                if let Some(class) =
                    graph.claim_of_mount(workload, mount).and_then(|c| graph.class_of(graph.claim(c)))
                {
                    stateful_classes.insert(class.name.clone());
                }
            }
        }
        for class in &graph.classes {
            let Some(driver) = &class.driver else {
                continue;
            };
            if !driver.snapshots || !driver.csi || graph.snapshot_classes_for(&driver.driver).next().is_some()
            {
                continue;
            }
            let stateful = stateful_classes.contains(&class.name);
            if !(defines_snapshot_classes || stateful) {
                continue;
            }
            let why = if stateful {
                "stateful workloads keep their data on it"
            } else {
                "the input defines snapshot classes for other drivers"
            };
            let message = format!(
                "storage class {} uses {}, which supports snapshots, but no VolumeSnapshotClass has driver {} ({why}): its volumes cannot be snapshotted, so recovery falls back to slower backups",
                class.name,
                driver_name(driver),
                driver.driver,
            );
            out.push(Finding::at(&Self::META, class.object, Path::root().key("provisioner"), message).help(
                format!(
                    "add a VolumeSnapshotClass with `driver: {}` and `deletionPolicy: Retain`",
                    driver.driver
                ),
            ));
        }
    }
}
