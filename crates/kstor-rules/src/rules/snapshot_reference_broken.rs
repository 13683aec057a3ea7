use kstor_model::catalog::Confidence;
use kstor_model::graph::{Claim, StorageGraph};
use kstor_model::path::Path;

use super::common::{driver_field_of_claim, driver_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Checks the references between snapshot objects and claims that the input defines
    /// on both ends, and flags:
    /// - a VolumeSnapshot whose `volumeSnapshotClassName` names a VolumeSnapshotClass of a
    ///   different driver than the one behind its source claim;
    /// - a claim restored from a VolumeSnapshot (`dataSource`/`dataSourceRef`) whose class
    ///   uses a different driver than the snapshot's source claim (or, when that claim is not
    ///   in the input, the snapshot's class);
    /// - a claim cloned from another claim (`dataSource` kind `PersistentVolumeClaim`) of a
    ///   different driver;
    /// - a VolumeSnapshotClass whose `driver` is a driver known not to support snapshots.
    ///
    /// References to objects the input does not define, and drivers kstor does not know,
    /// are not judged. Drivers known only from the vendor-reported CSI table are never
    /// reported as lacking snapshot support.
    ///
    /// ## Why it matters
    /// A snapshot is taken by the CSI driver of the source volume, and a restore or clone is
    /// provisioned by the driver of the new claim's class; both must be the same driver. With
    /// a mismatch the snapshot controller fails the VolumeSnapshot ("driver does not match"),
    /// and a restored or cloned claim stays Pending forever, so the backup or the copy the
    /// manifests promise does not exist. A VolumeSnapshotClass for a driver without snapshot
    /// support produces snapshots that never become ready.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: ceph-block
    /// provisioner: rook-ceph.rbd.csi.ceph.com
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: pg-data
    ///   namespace: data
    /// spec:
    ///   storageClassName: ceph-block            # the database moved from EBS to Ceph...
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 50Gi}}
    /// ---
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshotClass
    /// metadata:
    ///   name: csi-aws-vsc
    /// driver: ebs.csi.aws.com
    /// deletionPolicy: Retain
    /// ---
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshot
    /// metadata:
    ///   name: pg-nightly
    ///   namespace: data
    /// spec:
    ///   volumeSnapshotClassName: csi-aws-vsc    # ...but the snapshot still uses the EBS class
    ///   source:
    ///     persistentVolumeClaimName: pg-data
    /// ```
    ///
    /// ## Fix
    /// Use a VolumeSnapshotClass of the source volume's driver, and restore or clone into a
    /// class of that same driver (in the same namespace). To move data between drivers, use a
    /// backup tool (Velero, Kasten) or an application-level dump instead of CSI snapshots.
    ///
    /// **Automatic fix:** none: the reference or the class names the wrong driver, and which
    /// object is meant cannot be known.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - Kubernetes docs, CSI Volume Cloning:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-pvc-datasource/>
    /// - kubernetes-csi docs, Snapshot & Restore Feature:
    ///   <https://kubernetes-csi.github.io/docs/snapshot-restore-feature.html>
    pub struct SnapshotReferenceBroken {
        code: "KS402",
        name: "snapshot-reference-broken",
        group: Snapshots,
        severity: Error,
        summary: "a snapshot, restore or clone references an object of a different CSI driver, or a snapshot class names a driver without snapshots",
        fixes: [],
    }
}

impl Check for SnapshotReferenceBroken {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        snapshot_class_mismatch(graph, out);
        data_source_mismatch(graph, out);
        class_without_snapshots(graph, out);
    }
}

/// A standalone claim in the input and its known driver.
fn known_claim<'g>(graph: &'g StorageGraph, namespace: &str, name: &str) -> Option<(&'g Claim, String)> {
    let claim = graph.claim(graph.claim_named(namespace, name)?);
    let driver = graph.driver_of_claim(claim)?;
    // Non-CSI provisioners cannot take snapshots at all; that is not a driver mismatch.
    if driver.capabilities.as_ref().is_some_and(|d| !d.csi) {
        return None;
    }
    Some((claim, driver.name.clone()))
}

/// (a) A VolumeSnapshot's class is of another driver than its source claim.
fn snapshot_class_mismatch(graph: &StorageGraph, out: &mut Vec<Finding>) {
    for snapshot in &graph.snapshots {
        let (Some((class_name, class_path)), Some((claim_name, _))) =
            (&snapshot.class_name, &snapshot.source_claim)
        else {
            continue;
        };
        let Some(class) = graph.snapshot_class_named(class_name) else {
            continue;
        };
        let Some((claim, driver)) = known_claim(graph, &snapshot.namespace, claim_name) else {
            continue;
        };
        if class.driver.is_empty() || class.driver == driver {
            continue;
        }
        let message = format!(
            "volume snapshot {}/{} uses snapshot class {} (driver {}), but its source {} is on driver {driver}: the snapshot controller rejects the snapshot and no backup is taken",
            snapshot.namespace,
            snapshot.name,
            class.name,
            class.driver,
            claim.describe(graph),
        );
        let mut finding =
            Finding::at(&SnapshotReferenceBroken::META, snapshot.object, class_path.clone(), message)
                .related(
                    class.object,
                    Path::root().key("driver"),
                    format!("snapshot class {} is for {}", class.name, class.driver),
                );
        if let Some((object, path, what)) = driver_field_of_claim(graph, claim) {
            finding = finding.related(object, path, format!("{what} of the source claim uses {driver}"));
        }
        out.push(finding.help(format!("use a VolumeSnapshotClass with `driver: {driver}`")));
    }
}

/// (b), (c) A restore or clone into a class of another driver than the source.
fn data_source_mismatch(graph: &StorageGraph, out: &mut Vec<Finding>) {
    for claim in &graph.claims {
        let Some(source) = &claim.data_source else {
            continue;
        };
        let namespace = source.namespace.as_deref().unwrap_or(&claim.namespace);
        let Some(driver) = graph.driver_of_claim(claim) else {
            continue;
        };
        if driver.capabilities.as_ref().is_some_and(|d| !d.csi) {
            continue;
        }
        let driver = driver.name.clone();
        // (source driver, description of the source, related location)
        let (source_driver, what, related) = if source.is_snapshot() {
            let Some(snapshot) = graph.snapshot_named(namespace, &source.name) else {
                continue;
            };
            let from_claim = snapshot
                .source_claim
                .as_ref()
                .and_then(|(name, path)| Some((known_claim(graph, &snapshot.namespace, name)?, path)));
            match from_claim {
                Some(((origin, origin_driver), path)) => (
                    origin_driver.clone(),
                    format!(
                        "volume snapshot {}/{}, taken from {} on driver {origin_driver}",
                        snapshot.namespace,
                        snapshot.name,
                        origin.describe(graph)
                    ),
                    (
                        snapshot.object,
                        path.clone(),
                        format!("the snapshot's source claim uses {origin_driver}"),
                    ),
                ),
                None => {
                    let Some((class, path)) = snapshot
                        .class_name
                        .as_ref()
                        .and_then(|(name, path)| Some((graph.snapshot_class_named(name)?, path)))
                    else {
                        continue;
                    };
                    if class.driver.is_empty() {
                        continue;
                    }
                    (
                        class.driver.clone(),
                        format!(
                            "volume snapshot {}/{}, taken with snapshot class {} of driver {}",
                            snapshot.namespace, snapshot.name, class.name, class.driver
                        ),
                        (
                            snapshot.object,
                            path.clone(),
                            format!("the snapshot's class is for {}", class.driver),
                        ),
                    )
                }
            }
        } else if source.is_claim() {
            let Some((origin, origin_driver)) = known_claim(graph, namespace, &source.name) else {
                continue;
            };
            let related = driver_field_of_claim(graph, origin)
                .map(|(object, path, what)| {
                    (object, path, format!("{what} of the source claim uses {origin_driver}"))
                })
                .unwrap_or((
                    origin.object,
                    origin.path.clone(),
                    format!("the source claim uses {origin_driver}"),
                ));
            (origin_driver.clone(), format!("{} on driver {origin_driver}", origin.describe(graph)), related)
        } else {
            continue;
        };
        if source_driver == driver {
            continue;
        }
        let (verb, result) =
            if source.is_snapshot() { ("is restored from", "restore") } else { ("is cloned from", "clone") };
        let message = format!(
            "{} {verb} {what}, but its own class uses driver {driver}: a {result} must be provisioned by the source's driver, so the claim stays Pending",
            claim.describe(graph),
        );
        let mut finding =
            Finding::at(&SnapshotReferenceBroken::META, claim.object, source.path.key("name"), message)
                .related(related.0, related.1, related.2);
        if let Some((object, path, what)) = driver_field_of_claim(graph, claim) {
            finding = finding.related(object, path, format!("{what} uses {driver}"));
        }
        out.push(finding.help(format!("give the claim a class whose provisioner is {source_driver}")));
    }
}

/// (d) A VolumeSnapshotClass for a driver that cannot take snapshots.
fn class_without_snapshots(graph: &StorageGraph, out: &mut Vec<Finding>) {
    for class in &graph.snapshot_classes {
        let Some(caps) = graph.catalog.drivers.capabilities(&class.driver, &Default::default()) else {
            continue;
        };
        if caps.snapshots || caps.confidence == Confidence::Vendor {
            continue;
        }
        let kind = if caps.csi {
            "does not support snapshots"
        } else {
            "is not a CSI driver, and only CSI drivers take snapshots"
        };
        let message = format!(
            "snapshot class {} is for {}, which {kind}: VolumeSnapshots of this class never become ready",
            class.name,
            driver_name(&caps),
        );
        out.push(
            Finding::at(&SnapshotReferenceBroken::META, class.object, Path::root().key("driver"), message)
                .help("remove the class, and back this data up with a file-level backup tool instead"),
        );
    }
}
