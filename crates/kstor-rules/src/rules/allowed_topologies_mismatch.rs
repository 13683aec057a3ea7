use std::collections::HashSet;

use kstor_model::catalog::{Confidence, Topology};
use kstor_model::graph::{ClaimId, StorageClassInfo, StorageGraph, VolumeSource, Workload};
use kstor_model::path::Path;

use super::common::{class_phrase, driver_name, is_zone_key, topology_key_path, workload_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags two ways a StorageClass's `allowedTopologies` leaves pods without a volume:
    ///
    /// - the class restricts a zone key its CSI driver does not publish, e.g.
    ///   `topology.gke.io/zone` on Amazon EBS (which labels nodes with
    ///   `topology.ebs.csi.aws.com/zone` and `topology.kubernetes.io/zone`), or
    ///   `topology.kubernetes.io/zone` on GCE Persistent Disk (`topology.gke.io/zone`
    ///   only). Only zonal drivers of kstor's curated catalog are judged, only for zone
    ///   keys, and only for classes that name the CSI driver (in-tree provisioner names are
    ///   translated by CSI migration);
    /// - a workload's `nodeSelector` or required node affinity restricts its pods to zones
    ///   that the class of one of its claims (named or default, including claim templates
    ///   and ephemeral volumes) does not allow. Claims already bound to a volume are not
    ///   judged.
    ///
    /// ## Why it matters
    /// With `WaitForFirstConsumer` the scheduler only places a pod with an unbound claim
    /// on a node whose labels satisfy the class's `allowedTopologies`, and the
    /// external-provisioner then matches the selected node's driver topology against it.
    /// A key the driver does not publish matches no node (or fails provisioning with
    /// "topology … from selected node … is not in requisite"); zones disjoint from the
    /// pod's own zone constraint leave no node at all. Either way the pods stay Pending
    /// ("didn't find available persistent volumes to bind"). With `Immediate` binding the
    /// volume is created in an allowed zone first, and the pod then fails with "volume
    /// node affinity conflict".
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3-east-1a
    /// provisioner: ebs.csi.aws.com
    /// volumeBindingMode: WaitForFirstConsumer
    /// allowedTopologies:
    ///   - matchLabelExpressions:
    ///       - key: topology.gke.io/zone      # a GKE key on EBS
    ///         values: [us-east-1a]
    /// ```
    ///
    /// ## Fix
    /// Use a key the driver publishes (`topology.kubernetes.io/zone` or
    /// `topology.ebs.csi.aws.com/zone` for EBS, `topology.gke.io/zone` for GCE PD,
    /// `topology.disk.csi.azure.com/zone` for Azure Disk), and keep the workload's zone
    /// constraint inside the zones its class allows (or give it a class for its zones).
    /// StorageClasses are immutable apart from metadata: create a new class.
    ///
    /// **Automatic fix:** none: whether the class or the nodes are wrong, and which zones are
    /// meant, is a decision about where the data should live.
    ///
    /// ## References
    /// - Kubernetes docs, Storage Classes, "Allowed Topologies":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#allowed-topologies>
    /// - Kubernetes CSI docs, "CSI Topology Feature":
    ///   <https://kubernetes-csi.github.io/docs/topology.html>
    /// - AWS EBS CSI driver, parameters and topology:
    ///   <https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md>
    pub struct AllowedTopologiesMismatch {
        code: "KS102",
        name: "allowed-topologies-mismatch",
        group: Topology,
        severity: Warning,
        summary: "a StorageClass's allowedTopologies uses a key its driver does not publish, or excludes its pods' zones",
        fixes: [],
    }
}

impl Check for AllowedTopologiesMismatch {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for class in &graph.classes {
            check_keys(graph, class, out);
        }
        for workload in &graph.workloads {
            check_zones(graph, workload, out);
        }
    }
}

/// Zone keys the class's (zonal, curated, CSI-named) driver does not publish.
fn check_keys(graph: &StorageGraph, class: &StorageClassInfo, out: &mut Vec<Finding>) {
    let Some(driver) = &class.driver else {
        return;
    };
    let zonal_driver = graph
        .catalog
        .drivers
        .lookup(&class.provisioner)
        .is_some_and(|m| m.in_tree.is_none() && m.spec.topology == Topology::Zonal);
    if !zonal_driver || driver.confidence != Confidence::Curated || driver.topology_keys.is_empty() {
        return;
    }
    for (t, term) in class.allowed_topologies.iter().enumerate() {
        for (e, (key, _)) in term.iter().enumerate() {
            if !is_zone_key(key) || driver.topology_keys.contains(key) {
                continue;
            }
            let message = format!(
                "class {} restricts allowedTopologies by `{key}`, a key {} does not publish (its nodes carry {}): no node matches, or the provisioner fails with \"topology … is not in requisite\", so pods using the class stay Pending",
                class.name,
                driver_name(driver),
                driver.topology_keys.join(", "),
            );
            let path = topology_key_path(t, e);
            out.push(
                Finding::at(&AllowedTopologiesMismatch::META, class.object, path, message)
                    .related(class.object, Path::root().key("provisioner"), format!("provisioned by {}", class.provisioner))
                    .help(format!(
                        "use a key the driver publishes ({}); StorageClasses are immutable: create a new class",
                        driver.topology_keys.join(" or ")
                    )),
            );
        }
    }
}

/// The zones a class allows, when every term restricts a zone key (`None`: any zone).
fn allowed_zones(class: &StorageClassInfo) -> Option<Vec<&str>> {
    if class.allowed_topologies.is_empty() {
        return None;
    }
    let mut zones = Vec::new();
    for term in &class.allowed_topologies {
        let mut term_zones = term.iter().filter(|(key, _)| is_zone_key(key)).peekable();
        term_zones.peek()?;
        zones.extend(term_zones.flat_map(|(_, values)| values.iter().map(String::as_str)));
    }
    zones.sort_unstable();
    zones.dedup();
    Some(zones)
}

/// The workload's zone constraint against the zones its claims' classes allow.
fn check_zones(graph: &StorageGraph, workload: &Workload, out: &mut Vec<Finding>) {
    let placement = &workload.pod.placement;
    let (Some(pod_zones), Some(zones_path)) = (&placement.zones, &placement.zones_path) else {
        return;
    };
    if pod_zones.is_empty() {
        return;
    }
    let claims: Vec<ClaimId> = workload
        .claim_templates
        .iter()
        .copied()
        .chain(workload.pod.volumes.iter().filter(|v| v.shadowed_by.is_none()).filter_map(
            |v| match &v.source {
                VolumeSource::Claim { claim, .. } => *claim,
                VolumeSource::Ephemeral { claim } => Some(*claim),
                _ => None,
            },
        ))
        .collect();
    let mut reported = HashSet::new();
    for claim_id in claims {
        let claim = graph.claim(claim_id);
        if claim.volume.is_some() || claim.volume_name.is_some() {
            continue;
        }
        let Some(class) = graph.class_of(claim) else {
            continue;
        };
        let Some(zones) = allowed_zones(class) else {
            continue;
        };
        let zonal = class.driver.as_ref().is_some_and(|d| d.topology == Topology::Zonal);
        if !zonal && class.binds_immediately() {
            continue;
        }
        if pod_zones.iter().any(|z| zones.contains(&z.as_str())) || !reported.insert(class.name.as_str()) {
            continue;
        }
        let consequence = if class.binds_immediately() {
            "its volume is created in an allowed zone, and the pod then cannot run there (\"volume node affinity conflict\")"
        } else {
            "no node satisfies both, so the pods stay Pending (\"didn't find available persistent volumes to bind\")"
        };
        let message = format!(
            "{} runs its pods only in {} {}, but {} uses {}, whose allowedTopologies allow only {}: {consequence}",
            workload_name(workload),
            if pod_zones.len() == 1 { "zone" } else { "zones" },
            pod_zones.join(", "),
            claim.describe(graph),
            class_phrase(graph, claim),
            zones.join(", "),
        );
        out.push(
            Finding::at(&AllowedTopologiesMismatch::META, workload.object, zones_path.clone(), message)
                .related(
                    class.object,
                    Path::root().key("allowedTopologies"),
                    format!("class {} allows {}", class.name, zones.join(", ")),
                )
                .related(
                    claim.object,
                    claim.class_path.clone(),
                    format!("{} uses {}", claim.describe(graph), class_phrase(graph, claim)),
                )
                .help(
                    "run the workload in a zone the class allows, or give its claims a class for its zones",
                ),
        );
    }
}
