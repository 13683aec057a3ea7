use kstor_model::graph::{ClaimOrigin, ClassRef, ClassResolution, StorageGraph, VolumeSource, WorkloadKind};

use super::common::{did_you_mean, join_names, workload_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::{Check, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Flags a reference to a storage object the input does not define, when the input
    /// defines other objects of that kind (so the bundle is meant to be complete for it):
    ///
    /// - a pod volume's `persistentVolumeClaim.claimName`, when the input defines at least
    ///   one PersistentVolumeClaim (claims a StatefulSet creates from its
    ///   `volumeClaimTemplates`, `<template>-<statefulset>-<ordinal>`, count as defined, and so
    ///   does a claim of that name in another namespace when one of the two objects sets no
    ///   namespace, which `kubectl -n`, kustomize or Helm supply at deploy time);
    /// - a claim's `storageClassName`, when the input defines at least one StorageClass
    ///   (unless a PersistentVolume of the input carries that class name: static binding
    ///   needs no StorageClass object);
    /// - a VolumeSnapshot's `volumeSnapshotClassName`, when the input defines at least one
    ///   VolumeSnapshotClass.
    ///
    /// With `kstor lint --complete` every such reference is reported, whatever else the
    /// input defines. A close existing name is suggested (typos are the usual cause).
    ///
    /// A class name that a platform or storage system installs itself (GKE's `standard-rwo`
    /// and `premium-rwo`, AKS's `managed-csi` and `azurefile-csi`, EKS's `gp2`, kind's and
    /// minikube's `standard`, k3s's `local-path`, Longhorn's `longhorn`, …; the list with its
    /// sources is `catalog/platform-classes.yaml`) is reported as info, not a warning, unless
    /// `--complete` is given: manifests written for that platform name the class on purpose,
    /// and a bundle that defines its own classes besides is normal practice there. The
    /// finding still says which platforms provide it, since everywhere else the claim stays
    /// Pending. This was narrowed after linting real repositories (the GKE samples, the
    /// Azure CSI drivers' examples, the EKS workshop), where every such reference was
    /// deliberate.
    ///
    /// ## Why it matters
    /// Nothing validates these names when the objects are created. A pod whose claim does
    /// not exist is never scheduled ("persistentvolumeclaim \"x\" not found"); a claim
    /// whose class does not exist stays `Pending` with `ProvisioningFailed` events; a
    /// snapshot whose class does not exist is never taken. Each failure shows up only at
    /// deploy time, often on the first production install.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: fast-ssd
    /// provisioner: pd.csi.storage.gke.io
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data
    /// spec:
    ///   storageClassName: fast-sdd   # typo: no such class
    ///   accessModes: [ReadWriteOnce]
    ///   resources:
    ///     requests:
    ///       storage: 10Gi
    /// ```
    ///
    /// ## Fix
    /// Correct the name, or add the missing object to the bundle. If the object is meant to
    /// come from the cluster (a platform-provided class), lint without `--complete`.
    ///
    /// **Automatic fix:** none: the missing object may live outside the input, or the name may be
    /// a typo; kstor cannot tell which.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Claims As Volumes" and "Class":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#claims-as-volumes>
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - Built-in classes: AKS <https://learn.microsoft.com/azure/aks/create-volume-azure-disk>,
    ///   GKE <https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/gce-pd-csi-driver>,
    ///   and the other sources in `catalog/platform-classes.yaml`
    pub struct UnresolvedStorageReference {
        code: "KS703",
        name: "unresolved-storage-reference",
        group: Claims,
        severity: Warning,
        summary: "a claimName, storageClassName or volumeSnapshotClassName names an object the input lacks",
        fixes: [],
    }
}

impl Check for UnresolvedStorageReference {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let complete = ctx.options.complete;
        let why = |kind: &str| {
            if complete {
                "the input is declared complete (--complete)".to_string()
            } else {
                format!("the input defines other {kind}")
            }
        };

        // Pod volumes → claims.
        let defines_claims = graph.shape.claims;
        if complete || defines_claims {
            for workload in &graph.workloads {
                for volume in workload.pod.volumes.iter().filter(|v| v.shadowed_by.is_none()) {
                    let VolumeSource::Claim { claim_name, claim: None, .. } = &volume.source else {
                        continue;
                    };
                    if created_by_statefulset(graph, &workload.namespace, claim_name)
                        || namespace_left_to_deploy_time(graph, workload.object, claim_name)
                    {
                        continue;
                    }
                    let names = graph
                        .claims
                        .iter()
                        .filter(|c| c.origin == ClaimOrigin::Standalone && c.namespace == workload.namespace)
                        .map(|c| c.name.as_ref());
                    let message = format!(
                        "volume {} of {} uses claim {}/{claim_name}, which is not defined although {}: its pods are never scheduled (persistentvolumeclaim \"{claim_name}\" not found){}",
                        volume.name,
                        workload_name(workload),
                        workload.namespace,
                        why("PersistentVolumeClaims"),
                        did_you_mean(claim_name, names),
                    );
                    out.push(
                        Finding::at(
                            &Self::META,
                            workload.object,
                            volume.path.key("persistentVolumeClaim").key("claimName"),
                            message,
                        )
                        .help("correct `claimName` or add the PersistentVolumeClaim to the bundle"),
                    );
                }
            }
        }

        // Claims → StorageClasses.
        if complete || !graph.classes.is_empty() {
            for claim in graph.claims.iter().filter(|c| c.class == ClassResolution::NotFound) {
                let (ClassRef::Field(name) | ClassRef::Annotation(name)) = &claim.class_ref else {
                    continue;
                };
                // Static binding needs no StorageClass object: the PV's class name is enough.
                if claim.volume.is_some()
                    || graph.volumes.iter().any(|v| v.storage_class.as_deref() == Some(name))
                {
                    continue;
                }
                if !complete && let Some(platforms) = platform_class(graph, "StorageClass", name) {
                    let message = format!(
                        "{} names storage class {name}, which the input does not define; {platforms}, so the claim works there and stays Pending with ProvisioningFailed anywhere else",
                        claim.describe(graph),
                    );
                    out.push(
                        Finding::at(&Self::META, claim.object, claim.class_path.clone(), message)
                            .severity(Severity::Info)
                            .help("nothing to do on that platform; elsewhere add the StorageClass to the bundle"),
                    );
                    continue;
                }
                let message = format!(
                    "{} names storage class {name}, which is not defined although {}: it stays Pending with ProvisioningFailed (storageclass \"{name}\" not found){}",
                    claim.describe(graph),
                    why("StorageClasses"),
                    did_you_mean(name, graph.classes.iter().map(|c| c.name.as_str())),
                );
                out.push(
                    Finding::at(&Self::META, claim.object, claim.class_path.clone(), message)
                        .help("correct the class name or add the StorageClass to the bundle"),
                );
            }
        }

        // VolumeSnapshots → VolumeSnapshotClasses.
        if complete || !graph.snapshot_classes.is_empty() {
            for snapshot in &graph.snapshots {
                let Some((name, path)) = &snapshot.class_name else {
                    continue;
                };
                if graph.snapshot_class_named(name).is_some() {
                    continue;
                }
                if !complete && let Some(platforms) = platform_class(graph, "VolumeSnapshotClass", name) {
                    let message = format!(
                        "volume snapshot {}/{} names snapshot class {name}, which the input does not define; {platforms}, so the snapshot is taken there and never anywhere else",
                        snapshot.namespace, snapshot.name,
                    );
                    out.push(
                        Finding::at(&Self::META, snapshot.object, path.clone(), message)
                            .severity(Severity::Info)
                            .help("nothing to do on that platform; elsewhere add the VolumeSnapshotClass to the bundle"),
                    );
                    continue;
                }
                let message = format!(
                    "volume snapshot {}/{} names snapshot class {name}, which is not defined although {}: the snapshot is never taken{}",
                    snapshot.namespace,
                    snapshot.name,
                    why("VolumeSnapshotClasses"),
                    did_you_mean(name, graph.snapshot_classes.iter().map(|c| c.name.as_str())),
                );
                out.push(
                    Finding::at(&Self::META, snapshot.object, path.clone(), message).help(
                        "correct `volumeSnapshotClassName` or add the VolumeSnapshotClass to the bundle",
                    ),
                );
            }
        }
    }
}

/// `GKE, kind and minikube install a class of that name (pd.csi.storage.gke.io, …)` when
/// platforms install a class of this kind and name (`catalog/platform-classes.yaml`).
fn platform_class(graph: &StorageGraph, kind: &str, name: &str) -> Option<String> {
    let found: Vec<_> = graph.catalog.platform_classes.named(kind, name).collect();
    if found.is_empty() {
        return None;
    }
    let platforms: Vec<&str> = found.iter().map(|c| c.platform.as_str()).collect();
    let mut provisioners: Vec<&str> = found.iter().map(|c| c.provisioner.as_str()).collect();
    provisioners.dedup();
    let verb = if found.len() == 1 { "installs" } else { "install" };
    Some(format!("{} {verb} a class of that name ({})", join_names(&platforms), provisioners.join(", ")))
}

/// Whether a claim of that name exists in another namespace while the workload or that claim
/// sets no namespace: `kubectl -n`, kustomize or Helm will put them together at deploy time.
fn namespace_left_to_deploy_time(graph: &StorageGraph, workload: kstor_model::ObjectId, name: &str) -> bool {
    let unset = |id| graph.object(id).reference.namespace.is_none();
    graph
        .claims
        .iter()
        .filter(|c| c.origin == ClaimOrigin::Standalone && c.name == name)
        .any(|c| unset(workload) || unset(c.object))
}

/// Whether `name` is a claim a StatefulSet of the namespace creates from a claim template:
/// `<template>-<statefulset>-<ordinal>`.
fn created_by_statefulset(graph: &StorageGraph, namespace: &str, name: &str) -> bool {
    graph.workloads.iter().filter(|w| w.kind == WorkloadKind::StatefulSet && w.namespace == namespace).any(
        |sts| {
            sts.claim_templates.iter().any(|&t| {
                let prefix = format!("{}-{}-", graph.claim(t).name, sts.name);
                name.strip_prefix(prefix.as_str())
                    .is_some_and(|ordinal| !ordinal.is_empty() && ordinal.chars().all(|c| c.is_ascii_digit()))
            })
        },
    )
}
