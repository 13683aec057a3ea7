//! `kstor recommend -f FILE`: the scenario of each workload found in manifests (its role and
//! engine from the lint model), the recommendation for it, and a diff of its current storage
//! against the recommendation.

use kstor_model::catalog::{Pattern, Role};
use kstor_model::graph::{Assessment, ClaimId, StorageGraph, Workload, WorkloadId};
use serde::Serialize;

use crate::PlanError;
use crate::recommend::{Context, Recommendation, Request, Target, recommend};

/// One setting compared.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// The setting key (`accessMode`).
    pub setting: &'static str,
    /// What the manifests have (`unset`, `none`, or the value).
    pub current: String,
    /// What kstor recommends.
    pub recommended: String,
    /// Whether they agree.
    pub matches: bool,
}

/// One workload with its recommendation and diff.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inferred {
    /// `statefulset data/pg`.
    pub workload: String,
    /// Where it is (`file:line`), when from a file.
    pub location: Option<String>,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// Current against recommended, per setting.
    pub diff: Vec<Difference>,
}

impl Inferred {
    /// Number of settings that differ.
    pub fn differences(&self) -> usize {
        self.diff.iter().filter(|d| !d.matches).count()
    }
}

/// A workload that could not be given a recommendation, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// `deployment web/nginx`.
    pub workload: String,
    /// Why.
    pub reason: String,
}

/// Infers a recommendation for every workload with a known role. `target` overrides the
/// provider otherwise inferred from the driver of the workload's data claim.
pub fn infer(
    ctx: &Context<'_>,
    graph: &StorageGraph,
    target: Option<&Target>,
) -> (Vec<Inferred>, Vec<Skipped>) {
    let assessments = graph.assess();
    let mut inferred = Vec::new();
    let mut skipped = Vec::new();
    for index in 0..graph.workloads.len() {
        let id = WorkloadId(index);
        let workload = graph.workload(id);
        let label = format!("{} {}/{}", workload.kind_word(), workload.namespace, workload.name);
        if workload.role.role == Role::Generic {
            skipped.push(Skipped { workload: label, reason: "no known role (kstor recommends for databases, queues, caches, …; set the kstor.io/role annotation)".into() });
            continue;
        }
        let rows: Vec<&Assessment> =
            assessments.iter().filter(|a| a.workload == id && a.holds_data).collect();
        let data_claim = data_claim(graph, workload);
        let target = target.cloned().or_else(|| data_claim.and_then(|c| target_of_claim(ctx, graph, c)));
        let name = workload
            .role
            .engine
            .clone()
            .or_else(|| ctx.scenarios.of_role(workload.role.role).map(|s| s.id.clone()))
            .unwrap_or_else(|| workload.role.role.to_string());
        let request = Request {
            workload: name,
            replicas: workload.replicas.as_ref().map(|r| r.count.max(1) as u32),
            zones: workload.pod.placement.zones.as_ref().map(|z| z.len().max(1)),
            target,
            pattern: None,
            default_engine: false,
        };
        match recommend(ctx, &request) {
            Ok(rec) => {
                let diff = diff(graph, workload, &rows, data_claim, &rec);
                let location = location_of(graph, workload);
                inferred.push(Inferred { workload: label, location, recommendation: rec, diff });
            }
            Err(PlanError { message, hint }) => {
                skipped.push(Skipped { workload: label, reason: format!("{message} ({hint})") })
            }
        }
    }
    (inferred, skipped)
}

/// `file:line:column` of the workload's object.
fn location_of(graph: &StorageGraph, workload: &Workload) -> Option<String> {
    let place = kstor_model::Location::Field { object: workload.object, path: kstor_model::Path::default() };
    let position = graph.workspace.position(&place)?;
    let file = graph.workspace.source_of(workload.object)?;
    Some(format!("{}:{}:{}", file.name, position.start.line, position.start.column))
}

/// The claim holding the workload's data: a claim template, else the claim of its first data mount.
fn data_claim(graph: &StorageGraph, workload: &Workload) -> Option<ClaimId> {
    let mounts = graph.data_mounts(workload);
    mounts
        .iter()
        .find_map(|(_, m)| graph.claim_of_mount(workload, m))
        .or_else(|| workload.claim_templates.first().copied())
}

/// The provider whose offering uses the claim's driver, else the driver itself.
fn target_of_claim(ctx: &Context<'_>, graph: &StorageGraph, claim: ClaimId) -> Option<Target> {
    let claim = graph.claim(claim);
    let class = graph.class_of(claim)?;
    let driver = graph.catalog.drivers.lookup(&class.provisioner)?;
    let provider =
        ctx.providers.providers.iter().find(|p| p.all().iter().any(|(_, o)| o.driver == driver.spec.name));
    Some(match provider {
        Some(p) => Target::Provider(p.id.clone()),
        None => Target::Provisioner(class.provisioner.clone()),
    })
}

fn diff(
    graph: &StorageGraph,
    workload: &Workload,
    rows: &[&Assessment],
    claim: Option<ClaimId>,
    rec: &Recommendation,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |setting, current: String, recommended: String, matches: bool| {
        out.push(Difference { setting, current, recommended, matches });
    };
    let current_pattern = rows.iter().find_map(|r| r.pattern);
    let acceptable = |p: Pattern| {
        p == rec.pattern
            || rec.realization.as_ref().is_some_and(|r| r.observed_pattern == p)
            || graph.catalog.patterns.recommendation(rec.role).is_some_and(|row| row.recommended.contains(&p))
    };
    push(
        "pattern",
        current_pattern.map_or("none (no data volume)".into(), |p| p.to_string()),
        rec.pattern.to_string(),
        current_pattern.is_some_and(acceptable),
    );
    let d = &rec.decisions;
    let claim = claim.map(|c| graph.claim(c));
    let class = claim.and_then(|c| graph.class_of(c));
    if let Some(mode) = d.access_mode {
        let current: Vec<String> =
            claim.map(|c| c.modes().map(|m| m.to_string()).collect()).unwrap_or_default();
        push(
            "accessMode",
            if current.is_empty() { "none".into() } else { current.join(", ") },
            mode.to_string(),
            current.len() == 1 && current[0] == mode.as_str(),
        );
    }
    if let Some(binding) = d.binding_mode {
        let current = class.map(|c| c.binding_mode.clone().unwrap_or_else(|| "Immediate (unset)".into()));
        push(
            "volumeBindingMode",
            current.clone().unwrap_or_else(|| "no StorageClass in the input".into()),
            binding.into(),
            current.is_some_and(|c| c == binding || (binding == "Immediate" && c.starts_with("Immediate"))),
        );
    }
    if let Some(reclaim) = d.reclaim_policy {
        let current = class.map(|c| c.reclaim_policy.clone().unwrap_or_else(|| "Delete (unset)".into()));
        push(
            "reclaimPolicy",
            current.clone().unwrap_or_else(|| "no StorageClass in the input".into()),
            reclaim.into(),
            current.is_some_and(|c| c.starts_with(reclaim)),
        );
    }
    if d.snapshot_class {
        let classes: Vec<_> = class
            .and_then(|c| c.driver.as_ref())
            .map(|caps| graph.snapshot_classes_for(&caps.driver).collect())
            .unwrap_or_default();
        let retained = classes.iter().any(|c| c.deletion_policy.as_deref() == Some("Retain"));
        push(
            "snapshots",
            match (classes.is_empty(), retained) {
                (true, _) => "no VolumeSnapshotClass for the driver".into(),
                (false, true) => "a VolumeSnapshotClass (Retain) for the driver".into(),
                (false, false) => "a VolumeSnapshotClass for the driver that deletes snapshots".into(),
            },
            if d.snapshots {
                "a VolumeSnapshotClass (Retain) for the driver, and a snapshot schedule".into()
            } else {
                "a VolumeSnapshotClass (Retain) for the driver".into()
            },
            retained,
        );
    }
    if let Some(expand) = d.expansion {
        let current = class.map(|c| c.allow_volume_expansion.unwrap_or(false));
        push(
            "allowVolumeExpansion",
            current.map_or("no StorageClass in the input".into(), |c| c.to_string()),
            expand.to_string(),
            current == Some(expand),
        );
    }
    // An operator sets its pods' security context itself.
    if let Some(gid) = d.fs_group.filter(|_| workload.kind != kstor_model::graph::WorkloadKind::Operator) {
        let current = workload.pod.security.fs_group;
        let policy = workload.pod.security.fs_group_change_policy.clone();
        push(
            "fsGroup",
            match (current, &policy) {
                (Some(g), Some(p)) => format!("{g}, {p}"),
                (Some(g), None) => format!("{g}, fsGroupChangePolicy unset"),
                (None, _) => "unset".into(),
            },
            format!("{gid} (the image's group), OnRootMismatch"),
            current.is_some() && policy.as_deref() == Some("OnRootMismatch"),
        );
    }
    out
}
