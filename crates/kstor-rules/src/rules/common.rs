//! Wording and small judgements shared by several rules.

use kstor_model::catalog::{Capabilities, Topology};
use kstor_model::graph::{Claim, ClassRef, ClassResolution, StorageGraph, Workload, WorkloadKind};

/// `statefulset data/pg`.
pub fn workload_name(w: &Workload) -> String {
    format!("{} {}/{}", w.kind_word(), w.namespace, w.name)
}

/// `database postgres (statefulset data/pg)` or `database (statefulset data/pg)`.
pub fn role_and_workload(w: &Workload) -> String {
    match &w.role.engine {
        Some(engine) => format!("{} {} ({})", w.role.role, engine, workload_name(w)),
        None => format!("{} ({})", w.role.role, workload_name(w)),
    }
}

/// `Amazon EBS (ebs.csi.aws.com)`, `GCE Persistent Disk, regional PD (pd.csi.storage.gke.io)`.
pub fn driver_name(d: &Capabilities) -> String {
    match &d.variant {
        Some(variant) => format!("{}, {variant} ({})", d.display_name, d.driver),
        None => format!("{} ({})", d.display_name, d.driver),
    }
}

/// `class gp3`, `the default class gp3`, `the cluster's default class`, ….
pub fn class_phrase(graph: &StorageGraph, claim: &Claim) -> String {
    if let (Some(volume), ClassResolution::NoClass | ClassResolution::NotFound) = (claim.volume, &claim.class)
    {
        return format!("persistent volume {}", graph.volume(volume).name);
    }
    match (&claim.class, &claim.class_ref) {
        (ClassResolution::Named(id), _) => format!("class {}", graph.class(*id).name),
        (ClassResolution::Default(id), _) => format!("the default class {}", graph.class(*id).name),
        (ClassResolution::NoClass, _) => "no class (static volumes only)".into(),
        (ClassResolution::NotFound, ClassRef::Field(name) | ClassRef::Annotation(name)) => {
            format!("class {name}")
        }
        _ => "the cluster's default class".into(),
    }
}

/// Whether pods of this workload on different nodes would fight over one single-node claim.
///
/// ReadWriteOncePod admits one pod cluster-wide, so it conflicts even on one node. For
/// ReadWriteOnce the conflict is the attach/detach controller's Multi-Attach check, which
/// only applies to drivers that attach (CSIDriver `attachRequired`, true by default and for
/// unknown drivers); node-local volumes instead pin every pod to their node, which breaks a
/// DaemonSet (its pods on other nodes cannot start).
pub fn single_node_claim_conflicts(
    graph: &StorageGraph,
    workload: &Workload,
    claim: &Claim,
) -> Option<Conflict> {
    if !claim.is_single_node() {
        return None;
    }
    if claim.is_single_pod() {
        return Some(Conflict::SinglePod);
    }
    if workload.pod.placement.pinned_to_one_node() {
        return None;
    }
    match graph.driver_of_claim(claim) {
        Some(d) if d.topology == Topology::NodeLocal => {
            (workload.kind == WorkloadKind::DaemonSet).then_some(Conflict::NodeLocal)
        }
        Some(d) if !d.attach_required => None,
        _ => Some(Conflict::MultiAttach),
    }
}

/// How pods sharing a single-node claim fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// ReadWriteOncePod: the second pod is unschedulable.
    SinglePod,
    /// ReadWriteOnce on an attaching driver: Multi-Attach error on other nodes.
    MultiAttach,
    /// A node-local volume: pods elsewhere cannot start.
    NodeLocal,
}

/// The access modes of a claim, joined (`ReadWriteOnce, ReadWriteOncePod`).
pub fn modes_text(claim: &Claim) -> String {
    let modes: Vec<&str> = claim.modes().map(|m| m.as_str()).collect();
    if modes.is_empty() { "no access mode".into() } else { modes.join(", ") }
}

/// A node label key that names a zone: `topology.kubernetes.io/zone`, the deprecated
/// `failure-domain.beta.kubernetes.io/zone`, or a driver's `…/zone` key.
pub fn is_zone_key(key: &str) -> bool {
    key == "failure-domain.beta.kubernetes.io/zone" || key.ends_with("/zone")
}

/// Whether the workload runs a known engine of a critical role whose data directory kstor
/// trusts (strong role evidence, data not optional): the condition under which KS303 judges
/// what its data directory is mounted on.
pub fn engine_data_directory_is_known(graph: &StorageGraph, workload: &Workload) -> bool {
    let role = &workload.role;
    let engine = role.engine.as_deref().and_then(|e| graph.catalog.roles.engine(e));
    workload.kind.is_long_running()
        && role.role.holds_critical_data()
        && role.evidence.knows_data_directory()
        && !role.data_dirs.is_empty()
        && engine.is_some_and(|e| !e.data_optional)
}
