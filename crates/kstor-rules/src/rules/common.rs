//! Wording and small judgements shared by several rules.

use kstor_model::ObjectId;
use kstor_model::catalog::roles::image_repository;
use kstor_model::catalog::{AccessMode, Capabilities, Confidence, FsGroupPolicy, StorageKind, Topology};
use kstor_model::graph::{Claim, ClassRef, ClassResolution, StorageGraph, Workload, WorkloadKind};
use kstor_model::path::Path;

/// Images of the kubernetes-csi sidecars and the snapshot controller (the last segment of the
/// repository, from any registry).
pub const CSI_SIDECARS: [&str; 9] = [
    "csi-provisioner",
    "csi-attacher",
    "csi-resizer",
    "csi-snapshotter",
    "snapshot-controller",
    "csi-node-driver-registrar",
    "livenessprobe",
    "csi-external-health-monitor-controller",
    "csi-external-health-monitor-agent",
];

/// Image names some distributions give the sidecars, with the sidecar they run: EKS Distro
/// publishes `kubernetes-csi/external-provisioner`, named after the source repository.
const SIDECAR_ALIASES: [(&str, &str); 5] = [
    ("external-provisioner", "csi-provisioner"),
    ("external-attacher", "csi-attacher"),
    ("external-resizer", "csi-resizer"),
    ("node-driver-registrar", "csi-node-driver-registrar"),
    ("external-health-monitor-controller", "csi-external-health-monitor-controller"),
];

/// The last image path segments that run a CSI sidecar (names and distribution aliases).
pub fn csi_sidecar_image_names() -> Vec<&'static str> {
    CSI_SIDECARS.iter().copied().chain(SIDECAR_ALIASES.iter().map(|(alias, _)| *alias)).collect()
}

/// The CSI sidecar an image runs (`csi-provisioner`), if it runs one.
pub fn csi_sidecar(image: &str) -> Option<&'static str> {
    let repository = image_repository(image);
    let last = repository.rsplit('/').next().unwrap_or(&repository);
    CSI_SIDECARS
        .iter()
        .copied()
        .find(|s| *s == last)
        .or_else(|| SIDECAR_ALIASES.iter().find(|(alias, _)| *alias == last).map(|&(_, sidecar)| sidecar))
}

/// Whether a workload is a CSI driver's controller or node plugin: it runs a CSI sidecar.
pub fn is_csi_driver_pod(w: &Workload) -> bool {
    w.pod.containers.iter().chain(&w.pod.init_containers).any(|c| csi_sidecar(&c.image).is_some())
}

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
    match graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()) {
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

/// The object and field that name a claim's driver (the class's `provisioner`, or the static
/// volume), for related locations.
pub fn driver_field_of_claim(graph: &StorageGraph, claim: &Claim) -> Option<(ObjectId, Path, String)> {
    if let Some(class) = graph.class_of(claim) {
        return Some((class.object, Path::root().key("provisioner"), format!("class {}", class.name)));
    }
    let volume = graph.volume(claim.volume?);
    let path = volume.source.as_ref().map_or_else(|| Path::root().key("spec"), |(_, p)| p.clone());
    Some((volume.object, path, format!("persistent volume {}", volume.name)))
}

/// Drivers that take fsGroup through the CSI `VOLUME_MOUNT_GROUP` node capability and mount
/// with `gid=<fsGroup>` themselves; the kubelet then ignores `fsGroupPolicy` and
/// `fsGroupChangePolicy` (delegation, GA 1.26).
const MOUNT_GROUP_DRIVERS: [&str; 2] = ["file.csi.azure.com", "smb.csi.k8s.io"];

/// What the kubelet does with a pod's `fsGroup` for one claim's volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsGroupEffect {
    /// Applied by the kubelet: ownership changed (recursively, unless `OnRootMismatch`).
    Applied(String),
    /// Passed to the driver, which mounts with the group (no recursive change).
    Delegated,
    /// Not applied, and why.
    Ignored(String),
    /// Not known (driver unknown or only vendor-reported).
    Unknown,
}

/// What happens to `fsGroup` on a claim's volume, following the kubelet's CSI mounter:
/// `fsGroupPolicy` (a CSIDriver object in the input wins over the catalog) `None` never
/// applies it, `File` always does, `ReadWriteOnceWithFSType` only when the volume has an
/// fsType and an RWO/RWOP access mode. Dynamically provisioned block volumes are assumed
/// to get an fsType (block drivers deploy their provisioner with `--default-fstype`); file
/// and object volumes get none unless the class sets one.
pub fn fs_group_effect(graph: &StorageGraph, claim: &Claim) -> FsGroupEffect {
    let Some(driver) = graph.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref()) else {
        return FsGroupEffect::Unknown;
    };
    if MOUNT_GROUP_DRIVERS.contains(&driver.driver.as_str()) {
        return FsGroupEffect::Delegated;
    }
    let csi_object = graph.csi_drivers.iter().find(|d| d.name == driver.driver);
    if driver.confidence == Confidence::Vendor && csi_object.is_none() {
        return FsGroupEffect::Unknown;
    }
    let policy_source = match csi_object {
        Some(_) => format!("its CSIDriver object sets `fsGroupPolicy: {:?}`", driver.fs_group_policy),
        None => format!("{} uses `fsGroupPolicy: {:?}`", driver_name(driver), driver.fs_group_policy),
    };
    if !driver.csi {
        // fsGroupPolicy is a CSI notion; the catalog's None marks in-tree types the kubelet
        // never changes ownership of (NFS, CephFS, GlusterFS).
        return if driver.fs_group_policy == FsGroupPolicy::None {
            FsGroupEffect::Ignored(format!(
                "{} volumes do not support ownership management",
                driver_name(driver)
            ))
        } else {
            FsGroupEffect::Unknown
        };
    }
    match driver.fs_group_policy {
        FsGroupPolicy::None => {
            FsGroupEffect::Ignored(format!("{policy_source}, so the kubelet never changes ownership"))
        }
        FsGroupPolicy::File => FsGroupEffect::Applied(policy_source),
        FsGroupPolicy::ReadWriteOnceWithFSType => {
            if !claim.modes().any(AccessMode::is_single_node) {
                return FsGroupEffect::Ignored(format!(
                    "{policy_source}, which applies fsGroup only to ReadWriteOnce/ReadWriteOncePod volumes, and the claim requests {}",
                    modes_text(claim)
                ));
            }
            let volume = claim.volume.map(|v| graph.volume(v));
            let fs_type = volume
                .and_then(|v| v.fs_type.clone())
                .or_else(|| graph.class_of(claim).and_then(|c| c.fs_type()).map(|(_, v)| v.to_string()));
            if fs_type.is_some() {
                return FsGroupEffect::Applied(policy_source);
            }
            let static_csi =
                volume.is_some_and(|v| v.source.as_ref().is_some_and(|(field, _)| field == "csi"));
            if static_csi {
                return FsGroupEffect::Ignored(format!(
                    "{policy_source}, which applies fsGroup only to volumes with an fsType, and persistent volume {} sets no `csi.fsType`",
                    volume.map(|v| v.name.as_str()).unwrap_or_default()
                ));
            }
            match (volume, driver.storage) {
                (None, StorageKind::File | StorageKind::Object) => FsGroupEffect::Ignored(format!(
                    "{policy_source}, which applies fsGroup only to volumes with an fsType, and its {} volumes get none (the class sets no `csi.storage.k8s.io/fstype`)",
                    driver.storage
                )),
                (None, StorageKind::Block) => FsGroupEffect::Applied(policy_source),
                _ => FsGroupEffect::Unknown,
            }
        }
    }
}
/// The candidate closest to `name` by edit distance, when it is close enough to be a typo
/// (at most a quarter of the name's length, and at least 1, edits away).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 4).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` when a candidate is close, else nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default()
}

/// Edit distance (insertions, deletions, substitutions) between two strings.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// The default-class annotation an object carries (the GA one unless only the beta one is set).
pub fn default_annotation(object: &kstor_model::Object) -> &'static str {
    use kstor_model::api::{BETA_DEFAULT_CLASS_ANNOTATION as BETA, DEFAULT_CLASS_ANNOTATION as GA};
    if object.annotation(GA) != Some("true") && object.annotation(BETA) == Some("true") { BETA } else { GA }
}

/// A node label key that names a zone: `topology.kubernetes.io/zone`, the deprecated
/// `failure-domain.beta.kubernetes.io/zone`, or a driver's `…/zone` key.
pub fn is_zone_key(key: &str) -> bool {
    key == "failure-domain.beta.kubernetes.io/zone" || key.ends_with("/zone")
}

/// `allowedTopologies[term].matchLabelExpressions[expression].key` of a StorageClass.
pub fn topology_key_path(term: usize, expression: usize) -> Path {
    Path::root()
        .key("allowedTopologies")
        .index(term)
        .key("matchLabelExpressions")
        .index(expression)
        .key("key")
}

/// A byte count as a quantity in whole mebibytes (`512Mi`), or gibibytes when exact.
pub(crate) fn format_mebibytes(bytes: f64) -> String {
    let mib = (bytes / 1_048_576.0).floor() as u64;
    if mib > 0 && mib.is_multiple_of(1024) {
        format!("{}Gi", mib / 1024)
    } else {
        format!("{}Mi", mib.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("fast", "fast"), 0);
        assert_eq!(levenshtein("fast", "fats"), 2);
        assert_eq!(levenshtein("gp3", "gp2"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("standard", "standard-rwo"), 4);
    }

    #[test]
    fn closest_suggests_only_near_names() {
        assert_eq!(closest("data-pg", ["data-pg-0", "data-pq", "logs"]), Some("data-pq"));
        assert_eq!(closest("fast", ["slow", "standard"]), None);
        assert_eq!(closest("fast", ["fast"]), None);
    }

    #[test]
    fn sidecars_are_recognised_from_any_registry_and_by_their_aliases() {
        assert_eq!(
            csi_sidecar("registry.k8s.io/sig-storage/csi-provisioner:v5.1.0"),
            Some("csi-provisioner")
        );
        assert_eq!(
            csi_sidecar("public.ecr.aws/eks-distro/kubernetes-csi/external-attacher:v4.4.2-eks-1-28-9"),
            Some("csi-attacher")
        );
        assert_eq!(
            csi_sidecar(
                "public.ecr.aws/eks-distro/kubernetes-csi/external-snapshotter/csi-snapshotter:v6.3.2"
            ),
            Some("csi-snapshotter")
        );
        assert_eq!(csi_sidecar("public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.25.0"), None);
    }

    #[test]
    fn join_names_reads_like_prose() {
        assert_eq!(join_names(&["a"]), "a");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }
}
