use std::collections::BTreeMap;

use kstor_model::api::DEFAULT_SNAPSHOT_CLASS_ANNOTATION as DEFAULT_ANNOTATION;
use kstor_model::graph::annotation_path;

use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags VolumeSnapshotClasses marked default
    /// (`snapshot.storage.kubernetes.io/is-default-class: "true"`) when more than one of them
    /// has the same `driver`. Each default class is reported, pointing at its annotation;
    /// copies of one class (same name) count once.
    ///
    /// ## Why it matters
    /// A VolumeSnapshot without `volumeSnapshotClassName` gets the default class of its source
    /// volume's driver. Unlike StorageClasses, where the newest default wins, the snapshot
    /// controller refuses to choose: with two defaults for one driver, every such snapshot
    /// fails with "%d default snapshot classes were found" and no backup is taken. Backup
    /// tools (Velero's CSI plugin, Kasten) that rely on the default class fail the same way.
    /// Clusters running the snapshot validation webhook (external-snapshotter v6.0 and
    /// later) instead reject the second default class when it is applied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshotClass
    /// metadata:
    ///   name: csi-rbd-snapclass
    ///   annotations:
    ///     snapshot.storage.kubernetes.io/is-default-class: "true"
    /// driver: rook-ceph.rbd.csi.ceph.com
    /// deletionPolicy: Delete
    /// ---
    /// apiVersion: snapshot.storage.k8s.io/v1
    /// kind: VolumeSnapshotClass
    /// metadata:
    ///   name: rbd-retain
    ///   annotations:
    ///     snapshot.storage.kubernetes.io/is-default-class: "true"   # a second default
    /// driver: rook-ceph.rbd.csi.ceph.com
    /// deletionPolicy: Retain
    /// ```
    ///
    /// ## Fix
    /// Keep the annotation on exactly one class per driver, and name the class explicitly
    /// (`volumeSnapshotClassName`) in VolumeSnapshots that need another one.
    ///
    /// **Automatic fix:** unsafe: removes the default annotation from every class of the driver
    /// but the first by name; which class stays the default is kstor's choice.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshot Classes (default class):
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshot-classes/>
    /// - kubernetes-csi/external-snapshotter, snapshot controller and validation webhook:
    ///   <https://github.com/kubernetes-csi/external-snapshotter>
    pub struct MultipleDefaultSnapshotClasses {
        code: "KS405",
        name: "multiple-default-snapshot-classes",
        group: Snapshots,
        severity: Error,
        summary: "more than one VolumeSnapshotClass is marked default for the same driver",
        fixes: [Unsafe],
    }
}

impl Check for MultipleDefaultSnapshotClasses {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let mut by_driver: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, class) in graph.snapshot_classes.iter().enumerate() {
            if !class.is_default || class.driver.is_empty() {
                continue;
            }
            let defaults = by_driver.entry(class.driver.as_str()).or_default();
            // The same class written twice (two copies of one manifest) is one class.
            if !defaults.iter().any(|&i| graph.snapshot_classes[i].name == class.name) {
                defaults.push(index);
            }
        }
        for (driver, defaults) in by_driver {
            if defaults.len() < 2 {
                continue;
            }
            for &index in &defaults {
                let class = &graph.snapshot_classes[index];
                let others: Vec<&str> = defaults
                    .iter()
                    .filter(|&&i| i != index)
                    .map(|&i| graph.snapshot_classes[i].name.as_str())
                    .collect();
                let message = format!(
                    "snapshot class {} is one of {} default snapshot classes for driver {driver} (also {}): a VolumeSnapshot without volumeSnapshotClassName fails with \"{} default snapshot classes were found\"",
                    class.name,
                    defaults.len(),
                    others.join(", "),
                    defaults.len(),
                );
                let object = graph.object(class.object);
                let mut finding = Finding::at(
                    &Self::META,
                    class.object,
                    annotation_path(object, DEFAULT_ANNOTATION),
                    message,
                );
                for &other in defaults.iter().filter(|&&i| i != index) {
                    let other = &graph.snapshot_classes[other];
                    finding = finding.related(
                        other.object,
                        annotation_path(graph.object(other.object), DEFAULT_ANNOTATION),
                        format!("snapshot class {} is also default for {driver}", other.name),
                    );
                }
                let kept = defaults.iter().map(|&i| graph.snapshot_classes[i].name.as_str()).min();
                if kept != Some(class.name.as_str()) {
                    finding = finding.fix(Fix::unsafe_fix(
                        format!(
                            "drop the default annotation from snapshot class {}, keeping {} default for {driver}: which class stays default is a choice",
                            class.name,
                            kept.unwrap_or_default()
                        ),
                        vec![ObjectEdit::remove(class.object, annotation_path(object, DEFAULT_ANNOTATION))],
                    ));
                }
                out.push(finding.help("keep the default annotation on exactly one class per driver"));
            }
        }
    }
}
