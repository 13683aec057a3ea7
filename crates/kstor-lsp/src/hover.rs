//! Hover on a storage name: the chain the graph resolved it to, as Markdown — workload(s) →
//! claim → StorageClass → driver and its catalog capabilities → VolumeSnapshotClass.
//!
//! What is under the cursor is found from the graph's own paths (a claim's class field, a pod
//! volume's `claimName`, a claim template's name, a class's name or provisioner, a snapshot
//! class's name or driver), never by searching the text.

use std::fmt::Write;

use kstor_model::catalog::Capabilities;
use kstor_model::graph::{
    ClaimId, ClaimOrigin, ClassId, ClassRef, ClassResolution, MountTarget, SnapshotClassId, StorageGraph,
    VolumeSource, WorkloadId,
};
use kstor_model::{Object, Path, SourceId, Span};

/// At most this many workloads or claims are listed; the rest are counted.
const LISTED: usize = 8;

/// What a hover names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A claim (a PVC, a claim template, an ephemeral volume's claim).
    Claim(ClaimId),
    /// A pod volume naming a claim the workspace does not define.
    MissingClaim {
        /// The workload.
        workload: WorkloadId,
        /// The claim name.
        name: String,
    },
    /// A StorageClass.
    Class(ClassId),
    /// A VolumeSnapshotClass.
    SnapshotClass(SnapshotClassId),
}

/// The hover at a byte offset of a source: the target and the span of the field it is on.
pub fn hover(graph: &StorageGraph, source: SourceId, offset: usize) -> Option<(Span, String)> {
    let (span, target) = target_at(graph, source, offset)?;
    Some((span, render(graph, &target)))
}

/// The innermost object of a source whose text contains `offset`.
fn object_at(graph: &StorageGraph, source: SourceId, offset: usize) -> Option<&Object> {
    graph
        .workspace
        .objects
        .iter()
        .filter(|o| o.origin.source == Some(source))
        .filter(|o| contains(o.root().span(), offset))
        .min_by_key(|o| o.root().span().end - o.root().span().start)
}

fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize..=span.end as usize).contains(&offset)
}

/// The span of a field (`key: value`) of an object, when the field exists.
fn field(object: &Object, path: &Path) -> Option<Span> {
    let resolved = path.resolve(object.root());
    (resolved.matched == path.len()).then_some(resolved.span)
}

/// What the storage name at `offset` is, with the span of its field.
pub fn target_at(graph: &StorageGraph, source: SourceId, offset: usize) -> Option<(Span, Target)> {
    let object = object_at(graph, source, offset)?;
    let at = |path: &Path| field(object, path).filter(|span| contains(*span, offset));
    for (index, claim) in graph.claims.iter().enumerate() {
        if claim.object != object.id {
            continue;
        }
        let named = matches!(claim.class_ref, ClassRef::Field(_) | ClassRef::Annotation(_));
        let class = if named { at(&claim.class_path) } else { None };
        if let Some(span) = class.or_else(|| at(&claim.path.key("metadata").key("name"))) {
            return Some((span, Target::Claim(ClaimId(index))));
        }
    }
    for (index, workload) in graph.workloads.iter().enumerate() {
        if workload.object != object.id {
            continue;
        }
        for volume in &workload.pod.volumes {
            let found = match &volume.source {
                VolumeSource::Claim { claim, claim_name, .. } => at(&volume
                    .path
                    .key("persistentVolumeClaim")
                    .key("claimName"))
                .map(|span| match claim {
                    Some(claim) => (span, Target::Claim(*claim)),
                    None => (
                        span,
                        Target::MissingClaim { workload: WorkloadId(index), name: claim_name.to_string() },
                    ),
                }),
                VolumeSource::Ephemeral { claim } => {
                    at(&volume.path.key("name")).map(|s| (s, Target::Claim(*claim)))
                }
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        // A container's mount of a claim: its `name`.
        let containers = workload.pod.containers.iter().chain(&workload.pod.init_containers);
        for mount in containers.flat_map(|c| c.mounts.iter().chain(&c.devices)) {
            if matches!(mount.target, MountTarget::Missing) {
                continue;
            }
            if let (Some(span), Some(claim)) =
                (at(&mount.path.key("name")), graph.claim_of_mount(workload, mount))
            {
                return Some((span, Target::Claim(claim)));
            }
        }
    }
    for (index, class) in graph.classes.iter().enumerate() {
        if class.object == object.id {
            let span = at(&Path::root().key("metadata").key("name"))
                .or_else(|| at(&Path::root().key("provisioner")));
            return span.map(|span| (span, Target::Class(ClassId(index))));
        }
    }
    for (index, class) in graph.snapshot_classes.iter().enumerate() {
        if class.object == object.id {
            let span =
                at(&Path::root().key("driver")).or_else(|| at(&Path::root().key("metadata").key("name")));
            return span.map(|span| (span, Target::SnapshotClass(SnapshotClassId(index))));
        }
    }
    None
}

/// The Markdown of a target.
pub fn render(graph: &StorageGraph, target: &Target) -> String {
    let mut out = String::from("**kstor** · workload → claim → class → driver → snapshot class\n\n");
    match target {
        Target::Claim(id) => claim_chain(graph, *id, &mut out),
        Target::MissingClaim { workload, name } => {
            line(&mut out, "Workload", &workload_name(graph, *workload));
            line(&mut out, "Claim", &format!("`{name}` is not defined in the workspace"));
        }
        Target::Class(id) => class_chain(graph, *id, &mut out),
        Target::SnapshotClass(id) => snapshot_class_chain(graph, *id, &mut out),
    }
    out
}

fn line(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "- **{label}**: {text}");
}

fn workload_name(graph: &StorageGraph, id: WorkloadId) -> String {
    let w = graph.workload(id);
    let role = match &w.role.engine {
        Some(engine) => format!("{}, {engine}", w.role.role),
        None => w.role.role.to_string(),
    };
    format!("{} `{}/{}` ({role})", w.kind_word(), w.namespace, w.name)
}

/// A list with at most [`LISTED`] entries and the count of the others.
fn listed(items: Vec<String>) -> String {
    let more = items.len().saturating_sub(LISTED);
    let mut text = items.into_iter().take(LISTED).collect::<Vec<_>>().join(", ");
    if more > 0 {
        let _ = write!(text, " and {more} more");
    }
    text
}

fn claim_workloads(graph: &StorageGraph, id: ClaimId) -> Vec<WorkloadId> {
    match graph.claim(id).origin {
        ClaimOrigin::Template { workload } | ClaimOrigin::Ephemeral { workload } => vec![workload],
        ClaimOrigin::Standalone => graph.claim_users(id).to_vec(),
    }
}

fn claim_chain(graph: &StorageGraph, id: ClaimId, out: &mut String) {
    let claim = graph.claim(id);
    let workloads: Vec<String> =
        claim_workloads(graph, id).into_iter().map(|w| workload_name(graph, w)).collect();
    line(
        out,
        "Workload",
        &if workloads.is_empty() { "none uses it in the workspace".into() } else { listed(workloads) },
    );
    let modes: Vec<&str> = claim.modes().map(|m| m.as_str()).collect();
    let mut text = format!("{} · {}", claim.describe(graph), claim.volume_mode);
    if !modes.is_empty() {
        let _ = write!(text, " · {}", modes.join(", "));
    }
    if let Some(bytes) = claim.request {
        let _ = write!(text, " · {}", kstor_model::quantity::format_bytes(bytes));
    }
    line(out, "Claim", &text);
    let class = match (&claim.class, &claim.class_ref) {
        (ClassResolution::Named(id), _) => Some(*id),
        (ClassResolution::Default(id), _) => Some(*id),
        (ClassResolution::NoClass, _) => {
            line(out, "StorageClass", "`\"\"`: none, bound statically to a PersistentVolume");
            None
        }
        (ClassResolution::NotFound, ClassRef::Field(name) | ClassRef::Annotation(name)) => {
            line(out, "StorageClass", &format!("`{name}` is not defined in the workspace"));
            None
        }
        (ClassResolution::NotFound | ClassResolution::UnknownDefault, _) => {
            line(
                out,
                "StorageClass",
                "unset: the cluster's default class (none is defined in the workspace)",
            );
            None
        }
    };
    match class {
        Some(class) => {
            let defaulted = matches!(claim.class, ClassResolution::Default(_));
            class_line(graph, class, defaulted, out);
            driver_and_snapshots(
                graph,
                class_driver_name(graph, class),
                graph.class(class).driver.as_ref(),
                out,
            );
        }
        None => {
            // A class-less claim's static volume may still name a driver.
            if let Some(driver) = graph.driver_of_claim(claim) {
                driver_and_snapshots(graph, driver.name.clone(), driver.capabilities.as_ref(), out);
            }
        }
    }
}

fn class_driver_name(graph: &StorageGraph, id: ClassId) -> String {
    let class = graph.class(id);
    class.driver.as_ref().map_or_else(|| class.provisioner.clone(), |c| c.driver.clone())
}

fn class_line(graph: &StorageGraph, id: ClassId, defaulted: bool, out: &mut String) {
    let class = graph.class(id);
    let mut text = format!("`{}`", class.name);
    if defaulted {
        text.push_str(" (the default class: the claim names none)");
    } else if class.is_default {
        text.push_str(" (default)");
    }
    let _ = write!(
        text,
        " · provisioner `{}` · reclaim {} · binding {} · expansion {}",
        class.provisioner,
        class.reclaim_policy.as_deref().unwrap_or("Delete"),
        class.binding_mode.as_deref().unwrap_or("Immediate"),
        if class.allow_volume_expansion == Some(true) { "allowed" } else { "not allowed" }
    );
    line(out, "StorageClass", &text);
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn capabilities(c: &Capabilities) -> String {
    let modes = |m: &[kstor_model::catalog::AccessMode]| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        }
    };
    let mut text = format!("{} (`{}`)", c.display_name, c.driver);
    if let Some(variant) = &c.variant {
        let _ = write!(text, ", {variant}");
    }
    let _ = write!(
        text,
        "\n  - storage: {}{}, topology: {}\n  - access modes: {} (Filesystem); {} (Block)\n  - expansion: {} · snapshots: {} · cloning: {}\n  - fsGroupPolicy: {:?} · attach required: {} · {}",
        c.storage,
        if c.distributed { ", replicated" } else { "" },
        c.topology,
        modes(&c.access_modes.filesystem),
        modes(&c.access_modes.block),
        yes_no(c.expansion),
        yes_no(c.snapshots),
        yes_no(c.cloning),
        c.fs_group_policy,
        yes_no(c.attach_required),
        match c.confidence {
            kstor_model::catalog::Confidence::Curated => "curated catalog entry",
            kstor_model::catalog::Confidence::Vendor => "vendor-reported catalog entry",
        }
    );
    text
}

fn driver_and_snapshots(graph: &StorageGraph, driver: String, caps: Option<&Capabilities>, out: &mut String) {
    match caps {
        Some(caps) => line(out, "Driver", &capabilities(caps)),
        None => line(out, "Driver", &format!("`{driver}` is not in kstor's catalog")),
    }
    let classes: Vec<String> = graph
        .snapshot_classes_for(&driver)
        .map(|s| {
            let mut text = format!("`{}`", s.name);
            if s.is_default {
                text.push_str(" (default)");
            }
            let _ = write!(text, " · deletionPolicy {}", s.deletion_policy.as_deref().unwrap_or("unset"));
            text
        })
        .collect();
    let text =
        if classes.is_empty() { format!("none for `{driver}` in the workspace") } else { listed(classes) };
    line(out, "VolumeSnapshotClass", &text);
}

fn class_chain(graph: &StorageGraph, id: ClassId, out: &mut String) {
    let claims: Vec<ClaimId> = (0..graph.claims.len())
        .map(ClaimId)
        .filter(|c| matches!(graph.claim(*c).class, ClassResolution::Named(x) | ClassResolution::Default(x) if x == id))
        .collect();
    let mut workloads: Vec<WorkloadId> = claims.iter().flat_map(|c| claim_workloads(graph, *c)).collect();
    workloads.sort();
    workloads.dedup();
    let workloads: Vec<String> = workloads.into_iter().map(|w| workload_name(graph, w)).collect();
    line(
        out,
        "Workload",
        &if workloads.is_empty() { "none in the workspace".into() } else { listed(workloads) },
    );
    let claims: Vec<String> = claims.into_iter().map(|c| graph.claim(c).describe(graph)).collect();
    line(
        out,
        "Claim",
        &if claims.is_empty() { "none uses this class in the workspace".into() } else { listed(claims) },
    );
    class_line(graph, id, false, out);
    driver_and_snapshots(graph, class_driver_name(graph, id), graph.class(id).driver.as_ref(), out);
}

fn snapshot_class_chain(graph: &StorageGraph, id: SnapshotClassId, out: &mut String) {
    let snapshot_class = &graph.snapshot_classes[id.0];
    let classes: Vec<ClassId> = (0..graph.classes.len())
        .map(ClassId)
        .filter(|c| class_driver_name(graph, *c) == snapshot_class.driver)
        .collect();
    let claims = graph
        .claims
        .iter()
        .filter(|c| matches!(c.class, ClassResolution::Named(x) | ClassResolution::Default(x) if classes.contains(&x)))
        .count();
    line(
        out,
        "Claim",
        &format!("{claims} in the workspace through the classes of `{}`", snapshot_class.driver),
    );
    let names: Vec<String> = classes.iter().map(|c| format!("`{}`", graph.class(*c).name)).collect();
    line(
        out,
        "StorageClass",
        &if names.is_empty() { "none of this driver in the workspace".into() } else { listed(names) },
    );
    let caps = classes.iter().find_map(|c| graph.class(*c).driver.as_ref());
    let caps_owned;
    let caps = match caps {
        Some(caps) => Some(caps),
        None => {
            let parameters = kstor_model::strmap::StrMap::default();
            caps_owned = graph.catalog.drivers.capabilities(&snapshot_class.driver, &parameters);
            caps_owned.as_ref()
        }
    };
    driver_and_snapshots(graph, snapshot_class.driver.clone(), caps, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &str = "\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
provisioner: ebs.csi.aws.com
allowVolumeExpansion: true
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: ebs-snap
driver: ebs.csi.aws.com
deletionPolicy: Retain
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: db
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: db
spec:
  containers:
    - name: app
      image: postgres:16
      volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data
    - name: gone
      persistentVolumeClaim:
        claimName: missing
";

    fn graph() -> StorageGraph {
        kstor_engine::Engine::default().graph_of_texts(&[("b.yaml".into(), BUNDLE.into())])
    }

    fn at(graph: &StorageGraph, needle: &str, nth: usize) -> Option<(Span, String)> {
        let offset = BUNDLE.match_indices(needle).nth(nth).unwrap().0 + 1;
        hover(graph, SourceId(0), offset)
    }

    #[test]
    fn a_claim_name_shows_the_whole_chain() {
        let graph = graph();
        // `claimName: data` in the pod's volume.
        let (span, text) = at(&graph, "claimName: data", 0).unwrap();
        assert_eq!(&BUNDLE[span.start as usize..span.end as usize], "claimName: data");
        for expected in [
            "pod `db/app` (database, postgres)",
            "claim db/data · Filesystem · ReadWriteOnce · 10",
            "`fast` · provisioner `ebs.csi.aws.com`",
            "expansion allowed",
            "topology: zonal",
            "snapshots: yes",
            "`ebs-snap` · deletionPolicy Retain",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        // The claim's own class field and name give the same chain.
        assert_eq!(at(&graph, "storageClassName: fast", 0).unwrap().1, text);
        assert_eq!(at(&graph, "name: data", 0).unwrap().1, text);
    }

    #[test]
    fn classes_snapshot_classes_and_missing_claims() {
        let graph = graph();
        let text = at(&graph, "name: fast", 0).unwrap().1;
        assert!(text.contains("claim db/data"), "{text}");
        assert!(text.contains("pod `db/app`"), "{text}");
        let text = at(&graph, "driver: ebs.csi.aws.com", 0).unwrap().1;
        assert!(text.contains("1 in the workspace"), "{text}");
        assert!(text.contains("`fast`"), "{text}");
        let text = at(&graph, "claimName: missing", 0).unwrap().1;
        assert!(text.contains("`missing` is not defined in the workspace"), "{text}");
        // Not a storage name.
        assert!(at(&graph, "image: postgres", 0).is_none());
        assert!(hover(&graph, SourceId(0), 99_999).is_none());
        assert!(hover(&graph, SourceId(7), 0).is_none());
    }
}
