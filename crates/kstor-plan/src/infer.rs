//! `kstor recommend -f FILE`: the scenario of each workload found in manifests (its role and
//! engine from the lint model), the recommendation for it, and a diff of its current storage
//! against the recommendation.

use kstor_model::catalog::{Pattern, Role};
use kstor_model::graph::{Assessment, ClaimId, StorageGraph, Workload, WorkloadId};
use serde::Serialize;

use crate::PlanError;
use crate::recommend::{Context, Recommendation, Request, Target, recommend};

/// How a current setting compares with the recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It follows the recommendation.
    Matches,
    /// It does not.
    Differs,
    /// The manifests do not say (the claim's StorageClass is not in the input).
    Unknown,
}

impl Status {
    fn of(matches: bool) -> Status {
        if matches { Status::Matches } else { Status::Differs }
    }
}

/// One setting compared.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// The setting key (`accessMode`).
    pub setting: &'static str,
    /// What the manifests have (`unset`, or the value).
    pub current: String,
    /// What kstor recommends.
    pub recommended: String,
    /// How they compare.
    pub status: Status,
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
        self.diff.iter().filter(|d| d.status == Status::Differs).count()
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
    let mut push = |setting, current: String, recommended: String, status: Status| {
        out.push(Difference { setting, current, recommended, status });
    };
    let current_pattern = rows.iter().find_map(|r| r.pattern);
    let acceptable = |p: Pattern| {
        p == rec.pattern
            || rec.realization.as_ref().is_some_and(|r| r.observed_pattern == p)
            || graph.catalog.patterns.recommendation(rec.role).is_some_and(|row| row.recommended.contains(&p))
    };
    // A claim whose driver is not in the input reads as plain RWO block: its snapshot or
    // replication story is unknown, not different.
    let driver_unknown = claim.is_some_and(|c| {
        graph.driver_of_claim(graph.claim(c)).and_then(|d| d.capabilities.as_ref()).is_none()
    });
    let pattern_status = match current_pattern {
        Some(Pattern::RwoBlock) if driver_unknown && !acceptable(Pattern::RwoBlock) => Status::Unknown,
        Some(p) => Status::of(acceptable(p)),
        // Nothing to keep (a cache, content baked into the image) fits an ephemeral role;
        // critical data in the container's writable layer does not.
        None => Status::of(!rec.role.holds_critical_data()),
    };
    push(
        "pattern",
        current_pattern.map_or("none (no data volume)".into(), |p| p.to_string()),
        rec.pattern.to_string(),
        pattern_status,
    );
    let d = &rec.decisions;
    // The claim settings compare a claim; without one the pattern row says it all.
    let Some(claim) = claim.map(|c| graph.claim(c)) else {
        return out;
    };
    let class = graph.class_of(claim);
    let no_class = || ("no StorageClass in the input".to_string(), Status::Unknown);
    if let Some(mode) = d.access_mode {
        let current: Vec<String> = claim.modes().map(|m| m.to_string()).collect();
        let matches = current.len() == 1 && current[0] == mode.as_str();
        push("accessMode", current.join(", "), mode.to_string(), Status::of(matches));
    }
    if let Some(binding) = d.binding_mode {
        let (current, status) = class.map_or_else(no_class, |c| {
            let current = c.binding_mode.clone().unwrap_or_else(|| "Immediate (unset)".into());
            // Waiting for the scheduler is never wrong; Immediate is only right where recommended.
            let status = Status::of(current == "WaitForFirstConsumer" || current.starts_with(binding));
            (current, status)
        });
        push("volumeBindingMode", current, binding.into(), status);
    }
    if let Some(reclaim) = d.reclaim_policy {
        let (current, status) = class.map_or_else(no_class, |c| {
            let current = c.reclaim_policy.clone().unwrap_or_else(|| "Delete (unset)".into());
            let status = Status::of(current.starts_with(reclaim));
            (current, status)
        });
        push("reclaimPolicy", current, reclaim.into(), status);
    }
    if d.snapshot_class {
        let recommended = if d.snapshots {
            "a VolumeSnapshotClass (Retain) for the driver, and a snapshot schedule"
        } else {
            "a VolumeSnapshotClass (Retain) for the driver"
        };
        let (current, status) = match class.and_then(|c| c.driver.as_ref()) {
            None => no_class(),
            Some(caps) => {
                let classes: Vec<_> = graph.snapshot_classes_for(&caps.driver).collect();
                let retained = classes.iter().any(|c| c.deletion_policy.as_deref() == Some("Retain"));
                let current = match (classes.is_empty(), retained) {
                    (true, _) => "no VolumeSnapshotClass for the driver",
                    (false, true) => "a VolumeSnapshotClass (Retain) for the driver",
                    (false, false) => "a VolumeSnapshotClass for the driver that deletes snapshots",
                };
                (current.to_string(), Status::of(retained))
            }
        };
        push("snapshots", current, recommended.into(), status);
    }
    if let Some(expand) = d.expansion {
        let (current, status) = class.map_or_else(no_class, |c| {
            let current = c.allow_volume_expansion.unwrap_or(false);
            (current.to_string(), Status::of(current == expand))
        });
        push("allowVolumeExpansion", current, expand.to_string(), status);
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
            Status::of(current.is_some() && policy.as_deref() == Some("OnRootMismatch")),
        );
    }
    out
}
