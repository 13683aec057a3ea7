//! `kstor recommend`: a scenario → the decision-matrix row of its role → the first recommended
//! pattern the provider can realise → concrete settings, with the alternatives and the decision
//! path.

use kstor_model::catalog::{
    AccessMode, Capabilities, Catalog, Engine, MatrixRow, Pattern, PatternInfo, StorageKind, Topology,
    Verdict, VolumeMode,
};
use serde::Serialize;

use std::sync::Arc;

use kstor_rules::rules::FsGroupEffect;

use crate::PlanError;
use crate::probe::probe;
use crate::provider::{Offering, OfferingKind, Provider, ProviderCatalog};
use crate::scenario::{Blueprint, Scenario, ScenarioCatalog, WorkloadKind};

/// The zone label every node carries (well-known label, set by the cloud provider).
pub use kstor_model::api::ZONE_LABEL;

/// Where the storage comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A provider of `catalog/providers.yaml`.
    Provider(String),
    /// Any catalogued CSI driver (`--provisioner`).
    Provisioner(String),
}

/// What the user asks about.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `--workload`: a scenario, alias or engine.
    pub workload: String,
    /// `--replicas` (default: the scenario's).
    pub replicas: Option<u32>,
    /// `--zones` as a count (default 1).
    pub zones: Option<usize>,
    /// `--provider` / `--provisioner`.
    pub target: Option<Target>,
    /// `--pattern`: judge and realise this pattern instead of the matrix's first choice.
    pub pattern: Option<Pattern>,
    /// Resolve the scenario's default engine when none was named (for `generate`).
    pub default_engine: bool,
}

/// How the pattern is realised on the provider.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Realization {
    /// Which offering.
    pub offering: OfferingKind,
    /// The offering (driver, parameters).
    #[serde(skip)]
    pub spec: Offering,
    /// In words (`EBS gp3`).
    pub title: String,
    /// The CSI driver.
    pub driver: String,
    /// The StorageClass provisioner.
    pub provisioner: String,
    /// What the driver can do with these parameters.
    #[serde(skip)]
    pub capabilities: Capabilities,
    /// The pattern kstor's model will name the resulting volumes (Ceph RBD is `distributed`).
    pub observed_pattern: Pattern,
    /// What the kubelet does with a pod's fsGroup on them (the rules' own answer).
    #[serde(skip)]
    pub fs_group: FsGroupEffect,
    /// The matrix's caveat when the observed pattern is only acceptable.
    pub caveat: Option<String>,
}

/// One setting with the reason for it.
#[derive(Clone, Debug, Serialize)]
pub struct Setting {
    /// Stable key (`accessMode`).
    pub key: &'static str,
    /// Label for text output (`access mode`).
    #[serde(skip)]
    pub label: &'static str,
    /// The value.
    pub value: String,
    /// Why.
    pub why: String,
}

/// A pattern that was considered and lost.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alternative {
    /// The pattern.
    pub pattern: Pattern,
    /// The matrix's verdict for the role (`fits`, `fits-with-caveat`, `mismatch`).
    pub verdict: &'static str,
    /// Why it lost.
    pub why: String,
    /// Its properties.
    #[serde(flatten)]
    pub properties: Properties,
}

/// A pattern's properties from the pattern table.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    /// Consistency model.
    pub consistency: String,
    /// p99 latency class.
    pub latency_p99: String,
    /// Pods per volume.
    pub pods_per_volume: String,
    /// Failure domain.
    pub failure_domain: String,
    /// Recovery time.
    pub recovery: String,
}

impl From<&PatternInfo> for Properties {
    fn from(info: &PatternInfo) -> Properties {
        Properties {
            consistency: info.consistency.clone(),
            latency_p99: info.latency_p99.clone(),
            pods_per_volume: info.pods_per_volume.clone(),
            failure_domain: info.failure_domain.clone(),
            recovery: info.recovery.clone(),
        }
    }
}

/// One step of the decision path (`--explain`).
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// What was decided.
    pub question: String,
    /// The answer and the evidence.
    pub answer: String,
}

/// The structured decisions `generate` realises.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    /// The workload kind.
    pub kind: WorkloadKind,
    /// Replicas.
    pub replicas: u32,
    /// Zones asked for.
    pub zones: usize,
    /// Access mode of the data claim (`None`: no claim).
    pub access_mode: Option<AccessMode>,
    /// `WaitForFirstConsumer` or `Immediate` (`None`: no StorageClass).
    pub binding_mode: Option<&'static str>,
    /// `Retain` or `Delete`.
    pub reclaim_policy: Option<&'static str>,
    /// An init container hands the shared volume's root to the container's user (drivers that
    /// ignore fsGroup for it).
    pub chown_init: bool,
    /// A snapshot schedule (the rwo-snapshot pattern).
    pub snapshots: bool,
    /// A VolumeSnapshotClass for the driver (whenever it can snapshot).
    pub snapshot_class: bool,
    /// `allowVolumeExpansion`.
    pub expansion: Option<bool>,
    /// The pod's fsGroup (`None`: not set, and why is in the settings).
    pub fs_group: Option<i64>,
    /// A PodDisruptionBudget.
    pub disruption_budget: bool,
    /// The data volume is memory-backed (emptyDir medium Memory).
    pub memory_backed: bool,
    /// The data volume is an emptyDir on node disk.
    pub node_disk: bool,
    /// The data is mounted read-only by the workload.
    pub read_only: bool,
}

/// The answer of `kstor recommend`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// What was asked, as given.
    pub workload: String,
    /// The scenario id.
    pub scenario: String,
    /// The scenario in words.
    pub scenario_title: String,
    /// The role.
    pub role: kstor_model::catalog::Role,
    /// The engine, when known.
    pub engine: Option<String>,
    /// The provider, when given.
    pub provider: Option<String>,
    /// The recommended pattern.
    pub pattern: Pattern,
    /// Its title (`RWO + snapshot`).
    pub pattern_title: String,
    /// Why it fits (the matrix's reason, or the engine's preference).
    pub why: String,
    /// What it costs, roughly.
    pub cost: String,
    /// Its properties.
    pub properties: Properties,
    /// How the provider realises it.
    pub realization: Option<Realization>,
    /// Concrete settings, in display order.
    pub settings: Vec<Setting>,
    /// The structured decisions.
    pub decisions: Decisions,
    /// Patterns considered and why they lost.
    pub alternatives: Vec<Alternative>,
    /// Things to know (single replica across zones, even quorum sizes, …).
    pub notes: Vec<String>,
    /// The decision path.
    pub decision_path: Vec<Step>,
}

/// What a recommendation needs to know.
pub struct Context<'a> {
    /// Drivers, roles, patterns.
    pub catalog: &'a Arc<Catalog>,
    /// Scenarios and blueprints.
    pub scenarios: &'a ScenarioCatalog,
    /// Providers.
    pub providers: &'a ProviderCatalog,
}

/// Recommends storage for a request.
pub fn recommend(ctx: &Context<'_>, request: &Request) -> Result<Recommendation, PlanError> {
    let resolved = ctx.scenarios.resolve(ctx.catalog, &request.workload)?;
    let scenario = resolved.scenario;
    let engine: Option<&Engine> = resolved.engine.or_else(|| {
        request.default_engine.then(|| ctx.catalog.roles.engine(&scenario.default_engine)).flatten()
    });
    let mut path = vec![Step { question: "What is the workload?".into(), answer: resolved.matched.clone() }];
    if resolved.engine.is_none()
        && let Some(e) = engine
    {
        path.push(Step {
            question: "Which engine does the bundle run?".into(),
            answer: format!("the scenario's default engine, {}", e.name),
        });
    }
    let provider = match &request.target {
        None => None,
        Some(Target::Provider(id)) => Some(ctx.providers.get(id)?.clone()),
        Some(Target::Provisioner(name)) => Some(Provider::for_provisioner(ctx.catalog, name)?),
    };
    let row = ctx
        .catalog
        .patterns
        .recommendation(scenario.role)
        .expect("every scenario's role has a matrix row (checked by a test)");
    path.push(Step {
        question: format!("What does the decision matrix say for the role {}?", scenario.role),
        answer: format!(
            "recommended {}; acceptable {}: {}",
            list(&row.recommended),
            if row.acceptable.is_empty() { "none".into() } else { list(&row.acceptable) },
            row.why
        ),
    });
    let blueprint = engine.and_then(|e| ctx.scenarios.blueprint(&e.name));
    let (pattern, realization, why) =
        choose_pattern(ctx, request, scenario, row, blueprint, provider.as_ref(), &mut path)?;
    let replicas = request.replicas.unwrap_or(scenario.replicas).max(1);
    let zones = request.zones.unwrap_or(1).max(1);
    let mut rec = Recommendation {
        workload: request.workload.clone(),
        scenario: scenario.id.clone(),
        scenario_title: scenario.title.clone(),
        role: scenario.role,
        engine: engine.map(|e| e.name.clone()),
        provider: provider.as_ref().map(|p| p.id.clone()),
        pattern,
        pattern_title: ctx.catalog.patterns.get(pattern).title.clone(),
        why,
        cost: row.cost.clone(),
        properties: ctx.catalog.patterns.get(pattern).into(),
        realization,
        settings: Vec::new(),
        decisions: Decisions {
            kind: scenario.kind,
            replicas,
            zones,
            access_mode: None,
            binding_mode: None,
            reclaim_policy: None,
            snapshots: false,
            snapshot_class: false,
            chown_init: false,
            expansion: None,
            fs_group: None,
            disruption_budget: false,
            memory_backed: pattern == Pattern::EphemeralMemory,
            node_disk: pattern == Pattern::EphemeralDisk,
            read_only: blueprint.is_some_and(|b| b.read_only) || pattern == Pattern::SharedReadOnly,
        },
        alternatives: Vec::new(),
        notes: Vec::new(),
        decision_path: path,
    };
    settle(&mut rec, scenario, engine, blueprint, provider.as_ref());
    rec.alternatives = alternatives(ctx, &rec, row, provider.as_ref(), scenario, blueprint);
    Ok(rec)
}

/// `a relational database`, `an object store`, `an ML training job`.
pub fn a(noun: &str) -> String {
    let vowel =
        noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) || noun.starts_with("ML");
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

fn list(patterns: &[Pattern]) -> String {
    patterns.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")
}

/// Picks the pattern: `--pattern` if the matrix allows it, else the engine's preference, else
/// the first recommended pattern the provider can realise. Never falls back to an acceptable
/// pattern silently: that is the user's call (`--pattern`).
fn choose_pattern(
    ctx: &Context<'_>,
    request: &Request,
    scenario: &Scenario,
    row: &MatrixRow,
    blueprint: Option<&Blueprint>,
    provider: Option<&Provider>,
    path: &mut Vec<Step>,
) -> Result<(Pattern, Option<Realization>, String), PlanError> {
    if let Some(pattern) = request.pattern {
        let why = match row.judge(pattern) {
            Verdict::Mismatch(reason) => {
                return Err(PlanError::new(
                    format!("{pattern} is the wrong pattern for {}: {reason}", a(&scenario.title)),
                    format!("use --pattern {}, or leave --pattern out", row.recommended[0]),
                ));
            }
            Verdict::FitsWithCaveat(caveat) => {
                format!("chosen with --pattern, accepting its caveat: {caveat}")
            }
            _ => format!("chosen with --pattern; the matrix recommends it: {}", row.why),
        };
        path.push(Step { question: "Which pattern?".into(), answer: format!("{pattern}, {why}") });
        let realization = match provider {
            None => None,
            Some(p) => realize(ctx, p, pattern, scenario, blueprint, row).map_err(|reason| {
                PlanError::new(
                    format!("{} cannot provide {pattern} for {}: {reason}", p.title, a(&scenario.title)),
                    hint_providers(ctx, pattern, scenario, blueprint, row),
                )
            })?,
        };
        note_realization(path, &realization);
        return Ok((pattern, realization, why));
    }
    let mut candidates: Vec<(Pattern, String)> = Vec::new();
    if let Some(b) = blueprint
        && let Some(prefer) = b.prefer
        && row.recommended.contains(&prefer)
    {
        candidates.push((prefer, b.prefer_why.clone().unwrap_or_default()));
    }
    for &p in &row.recommended {
        if !candidates.iter().any(|(c, _)| *c == p) {
            candidates.push((p, row.why.clone()));
        }
    }
    // Where the matrix takes either, snapshots win whenever the driver has them: recovery in
    // seconds instead of hours, and KS401 asks for a snapshot class for every such driver.
    let position = |p: Pattern| candidates.iter().position(|(c, _)| *c == p);
    if let (Some(block), Some(snapshot)) = (position(Pattern::RwoBlock), position(Pattern::RwoSnapshot))
        && snapshot > block
    {
        let entry = candidates.remove(snapshot);
        candidates.insert(block, entry);
    }
    let Some(provider) = provider else {
        let (pattern, why) = candidates.swap_remove(0);
        path.push(Step {
            question: "Which pattern?".into(),
            answer: format!(
                "{pattern}, the first choice{} (no provider given)",
                preferred_note(blueprint, pattern)
            ),
        });
        return Ok((pattern, None, why));
    };
    let mut refusals = Vec::new();
    for (pattern, why) in candidates {
        match realize(ctx, provider, pattern, scenario, blueprint, row) {
            Ok(r) => {
                let answer = if refusals.is_empty() {
                    format!("{pattern}, the first choice{}", preferred_note(blueprint, pattern))
                } else {
                    format!("{pattern}, because {}", refusals.join("; "))
                };
                path.push(Step { question: "Which pattern?".into(), answer });
                note_realization(path, &r);
                return Ok((pattern, r, why));
            }
            Err(reason) => refusals.push(format!("{} cannot provide {pattern}: {reason}", provider.id)),
        }
    }
    let first = row.recommended[0];
    let acceptable: Vec<String> = row
        .acceptable
        .iter()
        .filter(|&&p| realize(ctx, provider, p, scenario, blueprint, row).is_ok())
        .map(|p| format!("--pattern {p} ({})", row.caveats.get(p).map_or("", String::as_str)))
        .collect();
    let mut hint = hint_providers(ctx, first, scenario, blueprint, row);
    if !acceptable.is_empty() {
        hint = format!("{hint}; or accept a weaker pattern on {}: {}", provider.id, acceptable.join(", or "));
    }
    Err(PlanError::new(
        format!(
            "{} cannot provide the pattern {} needs: {}",
            provider.title,
            a(&scenario.title),
            refusals.join("; ")
        ),
        hint,
    ))
}

fn preferred_note(blueprint: Option<&Blueprint>, pattern: Pattern) -> String {
    match blueprint {
        Some(b) if b.prefer == Some(pattern) => {
            format!(" for {} ({})", b.engine, b.prefer_why.as_deref().unwrap_or_default())
        }
        _ => String::new(),
    }
}

fn note_realization(path: &mut Vec<Step>, realization: &Option<Realization>) {
    if let Some(r) = realization {
        let caveat = r
            .caveat
            .as_ref()
            .map_or(String::new(), |c| format!("; kstor will see it as {}: {c}", r.observed_pattern));
        path.push(Step {
            question: "Which storage realises it?".into(),
            answer: format!("{} ({}, the {} offering){caveat}", r.title, r.provisioner, r.offering),
        });
    }
}

/// The providers that can realise a pattern for the scenario, for hints.
fn hint_providers(
    ctx: &Context<'_>,
    pattern: Pattern,
    scenario: &Scenario,
    blueprint: Option<&Blueprint>,
    row: &MatrixRow,
) -> String {
    let able: Vec<&str> = ctx
        .providers
        .providers
        .iter()
        .filter(|p| realize(ctx, p, pattern, scenario, blueprint, row).is_ok())
        .map(|p| p.id.as_str())
        .collect();
    if able.is_empty() {
        format!("no built-in provider realises {pattern}; use --provisioner with a driver that does")
    } else {
        format!("choose a provider that can provide {pattern}: {}", able.join(", "))
    }
}

/// The offering kind a pattern needs.
fn offering_for(pattern: Pattern, scenario: &Scenario) -> Option<OfferingKind> {
    let block = if scenario.latency_sensitive { OfferingKind::Fast } else { OfferingKind::Block };
    match pattern {
        Pattern::EphemeralMemory | Pattern::EphemeralDisk => None,
        Pattern::RwoBlock | Pattern::RwoSnapshot => Some(block),
        Pattern::Distributed => Some(OfferingKind::Regional),
        Pattern::RwxFile | Pattern::SharedReadOnly => {
            Some(if scenario.role == kstor_model::catalog::Role::MlTraining {
                OfferingKind::Hpc
            } else {
                OfferingKind::File
            })
        }
    }
}

/// How a provider realises a pattern, or why it cannot.
pub fn realize(
    ctx: &Context<'_>,
    provider: &Provider,
    pattern: Pattern,
    scenario: &Scenario,
    blueprint: Option<&Blueprint>,
    row: &MatrixRow,
) -> Result<Option<Realization>, String> {
    let Some(kind) = offering_for(pattern, scenario) else {
        // Ephemeral patterns are realised by the pod itself.
        return Ok(None);
    };
    let found = provider.offering(kind).or_else(|| {
        // Distributed storage: the block offering when its driver replicates (Ceph, Longhorn).
        (kind == OfferingKind::Regional)
            .then(|| provider.offering(OfferingKind::Block))
            .flatten()
            .filter(|(_, o)| o.capabilities(ctx.catalog).distributed)
    });
    let Some((kind, offering)) = found else {
        return Err(match kind {
            OfferingKind::Regional => "its volumes are not replicated across failure domains".into(),
            OfferingKind::File | OfferingKind::Hpc => "it has no shared file system".into(),
            _ => "it has no block storage".into(),
        });
    };
    let caps = offering.capabilities(ctx.catalog);
    if pattern == Pattern::RwoSnapshot && !caps.snapshots {
        return Err(format!("{} has no volume snapshots", caps.display_name));
    }
    if matches!(pattern, Pattern::RwxFile | Pattern::SharedReadOnly)
        && !caps.access_modes.for_mode(VolumeMode::Filesystem).contains(&AccessMode::ReadWriteMany)
    {
        return Err(format!("{} cannot mount a volume on many nodes", caps.display_name));
    }
    let read_only = blueprint.is_some_and(|b| b.read_only) || pattern == Pattern::SharedReadOnly;
    let shared = matches!(pattern, Pattern::RwxFile | Pattern::SharedReadOnly);
    let mode = if shared { AccessMode::ReadWriteMany } else { AccessMode::ReadWriteOnce };
    let probed = probe(ctx.catalog, offering, mode, read_only, pattern == Pattern::RwoSnapshot);
    let observed = probed.pattern;
    let caveat = match row.judge(observed) {
        Verdict::Fits => None,
        Verdict::FitsWithCaveat(c) => Some(c),
        Verdict::Mismatch(_) => {
            return Err(format!(
                "{} volumes are {observed} storage, which does not fit {}",
                caps.display_name,
                a(&scenario.title)
            ));
        }
        Verdict::NoRecommendation | Verdict::NotData => None,
    };
    Ok(Some(Realization {
        offering: kind,
        title: offering.title.clone(),
        driver: offering.driver.clone(),
        provisioner: offering.provisioner().to_string(),
        spec: offering.clone(),
        capabilities: caps,
        observed_pattern: observed,
        fs_group: probed.fs_group,
        caveat,
    }))
}

/// Fills in the concrete settings and notes.
fn settle(
    rec: &mut Recommendation,
    scenario: &Scenario,
    engine: Option<&Engine>,
    blueprint: Option<&Blueprint>,
    provider: Option<&Provider>,
) {
    let pattern = rec.pattern;
    let d = &mut rec.decisions;
    let mut settings = Vec::new();
    let mut push = |key, label, value: String, why: String| settings.push(Setting { key, label, value, why });
    let caps = rec.realization.as_ref().map(|r| &r.capabilities);
    let claim = !matches!(pattern, Pattern::EphemeralMemory | Pattern::EphemeralDisk);
    let per_replica = scenario.kind == WorkloadKind::StatefulSet;

    // The volume itself.
    let volume = match pattern {
        Pattern::EphemeralMemory => (
            "emptyDir, medium: Memory, with a sizeLimit".to_string(),
            "tmpfs: the fastest scratch space; it counts against the container's memory limit, so the limit covers it".to_string(),
        ),
        Pattern::EphemeralDisk => (
            "emptyDir on the node's disk, with a sizeLimit".to_string(),
            "disposable data: lives and dies with the pod; the sizeLimit stops it from filling the node".to_string(),
        ),
        _ if per_replica => (
            "a claim template: one volume per replica (StatefulSet)".to_string(),
            "each replica owns its data; replicas never share a single-writer volume".to_string(),
        ),
        _ => (
            "one shared claim mounted by every pod".to_string(),
            "all pods see the same files".to_string(),
        ),
    };
    push("volume", "volume", volume.0, volume.1);

    // Access mode.
    if claim {
        let single_writer = engine.map_or(scenario.role.needs_single_writer(), |e| e.single_writer);
        let (mode, why) = if matches!(pattern, Pattern::RwxFile | Pattern::SharedReadOnly) {
            (
                AccessMode::ReadWriteMany,
                if d.read_only {
                    "many pods on many nodes read it (mounted readOnly); a publisher writes it".to_string()
                } else {
                    "many pods on many nodes read and write it".to_string()
                },
            )
        } else {
            let rwop = caps.is_none_or(|c| {
                c.csi
                    && c.access_modes.for_mode(VolumeMode::Filesystem).contains(&AccessMode::ReadWriteOncePod)
            });
            match (single_writer, rwop) {
                (true, true) => (
                    AccessMode::ReadWriteOncePod,
                    format!(
                        "{} is a single writer: ReadWriteOncePod (GA in Kubernetes 1.29, CSI only) stops a second pod from mounting it even on the same node{}",
                        engine.map_or_else(|| a(&scenario.title), |e| e.name.clone()),
                        caps.map_or(
                            " (where the driver supports it; ReadWriteOnce otherwise)".to_string(),
                            |c| format!("; {} supports it", c.driver)
                        )
                    ),
                ),
                (true, false) => (
                    AccessMode::ReadWriteOnce,
                    format!(
                        "a single writer; {} does not offer ReadWriteOncePod",
                        caps.map_or("the driver", |c| c.driver.as_str())
                    ),
                ),
                (false, _) => (AccessMode::ReadWriteOnce, "one node mounts it at a time".to_string()),
            }
        };
        d.access_mode = Some(mode);
        push("accessMode", "access mode", mode.to_string(), why);
    }

    // Binding mode.
    if claim {
        let topology = caps.map(|c| c.topology);
        let (mode, why) = match topology {
            Some(Topology::None) => (
                "Immediate",
                format!("{} volumes are reachable from every node: provisioning early surfaces errors before pods wait on it", caps.map_or("", |c| c.display_name.as_str())),
            ),
            Some(Topology::NodeLocal) => (
                "WaitForFirstConsumer",
                "volumes live on one node: the scheduler must pick the node first, then the volume is made there".to_string(),
            ),
            Some(Topology::Zonal) => (
                "WaitForFirstConsumer",
                "volumes are zonal: binding waits for the scheduler so each volume is made in its pod's zone".to_string(),
            ),
            _ => (
                "WaitForFirstConsumer",
                "block volumes are usually zonal or node-bound: binding waits for the scheduler's choice".to_string(),
            ),
        };
        d.binding_mode = Some(mode);
        push("volumeBindingMode", "binding mode", mode.into(), why);
        if d.zones > 1 && matches!(topology, Some(Topology::Zonal)) {
            let key = caps.and_then(|c| c.topology_keys.first()).map_or(ZONE_LABEL, String::as_str);
            push(
                "allowedTopologies",
                "allowed topologies",
                format!("{key} in the {} zones", d.zones),
                "volumes are only made in the zones the workload runs in".into(),
            );
        }
    }

    // Reclaim policy.
    if claim {
        let (policy, why) = if scenario.role == kstor_model::catalog::Role::MlTraining {
            ("Retain", "checkpoints are hours of accelerator time and datasets are slow to copy in: deleting the claim keeps the file system".to_string())
        } else if scenario.role.holds_critical_data() {
            (
                "Retain",
                format!(
                    "{} holds data that must outlive its claim: deleting the claim (or the namespace) keeps the volume",
                    a(&scenario.title)
                ),
            )
        } else {
            (
                "Delete",
                format!("the data of {} can be rebuilt: volumes go with their claims", a(&scenario.title)),
            )
        };
        d.reclaim_policy = Some(policy);
        push("reclaimPolicy", "reclaim policy", policy.into(), why);
    }

    // Snapshots.
    if pattern == Pattern::RwoSnapshot {
        d.snapshots = true;
        d.snapshot_class = true;
        push(
            "snapshots",
            "snapshots",
            "a VolumeSnapshotClass with deletionPolicy: Retain, and a CronJob taking a snapshot of every claim every 6 hours, keeping 28 (7 days)".into(),
            "point-in-time recovery in seconds to minutes; Retain keeps the snapshot's data if its VolumeSnapshot object is deleted. Snapshots are crash-consistent: the engine recovers them like a power loss".into(),
        );
    } else if claim && caps.is_some_and(|c| c.snapshots) {
        d.snapshot_class = true;
        push(
            "snapshots",
            "snapshots",
            "a VolumeSnapshotClass with deletionPolicy: Retain, no schedule".into(),
            format!(
                "{} can snapshot these volumes: the class lets you take one before risky changes; the pattern needs no schedule",
                caps.map_or("", |c| c.display_name.as_str())
            ),
        );
    } else if claim && scenario.role.holds_critical_data() {
        push(
            "snapshots",
            "snapshots",
            "none in this pattern".into(),
            "recovery relies on the engine's replicas and external backups".into(),
        );
    }

    // Expansion.
    if claim {
        let expand = caps.is_none_or(|c| c.expansion);
        d.expansion = Some(expand);
        let why = if expand {
            "grow a volume by editing its claim, without downtime on most drivers".to_string()
        } else {
            match caps {
                Some(c) if c.storage == StorageKind::File => format!(
                    "{} does not resize volumes: size them for growth (elastic file systems such as EFS do not enforce the size)",
                    c.display_name
                ),
                Some(c) => format!("{} cannot expand volumes: size them for growth", c.display_name),
                None => "the driver cannot expand volumes: size them for growth".to_string(),
            }
        };
        push("allowVolumeExpansion", "expansion", expand.to_string(), why);
    }

    // fsGroup.
    let user = blueprint.map(|b| b.user);
    if claim && !d.read_only {
        // The rules' own answer for these volumes (Delegated: the driver mounts with the group).
        let applies =
            rec.realization.as_ref().is_none_or(|r| !matches!(r.fs_group, FsGroupEffect::Ignored(_)));
        match user {
            Some(0) => push("fsGroup", "fsGroup", "not set".into(), "the container runs as root".into()),
            Some(gid) if applies => {
                d.fs_group = Some(gid);
                push(
                    "fsGroup",
                    "fsGroup",
                    format!("{gid}, fsGroupChangePolicy: OnRootMismatch"),
                    format!(
                        "{} runs as the non-root user {gid}: the kubelet gives the volume to its group; OnRootMismatch skips the recursive chown on every start once the root is right",
                        blueprint.map_or("the image", |b| b.image.as_str())
                    ),
                );
            }
            None if applies => push(
                "fsGroup",
                "fsGroup",
                "the image's group, fsGroupChangePolicy: OnRootMismatch".into(),
                "a non-root container needs the volume's group: the kubelet applies fsGroup; OnRootMismatch skips the recursive chown on every start once the root is right".into(),
            ),
            _ => {
                let owner_parameter = rec
                    .realization
                    .as_ref()
                    .and_then(|r| r.spec.parameters.iter().find(|p| p.value == "{uid}"))
                    .map(|p| p.name.clone());
                let display = caps.map_or("the driver", |c| c.display_name.as_str());
                let ignored_reason = rec.realization.as_ref().and_then(|r| match &r.fs_group {
                    FsGroupEffect::Ignored(reason) => Some(reason.clone()),
                    _ => None,
                });
                match owner_parameter {
                    Some(parameter) => push(
                        "fsGroup",
                        "fsGroup",
                        "not set".into(),
                        format!(
                            "{display} does not apply fsGroup to these volumes: the StorageClass's `{parameter}` parameter makes the container's user the owner"
                        ),
                    ),
                    None => {
                        d.chown_init = true;
                        push(
                            "fsGroup",
                            "fsGroup",
                            "not set; an init container gives the volume root to the container's user".into(),
                            format!(
                                "fsGroup would not be applied ({}), and the volume root belongs to root: a non-root writer needs it handed over once (chown, not recursive)",
                                ignored_reason.unwrap_or_else(|| format!("{display} ignores it"))
                            ),
                        );
                    }
                }
            }
        }
    }

    // Size limit for scratch.
    if !claim {
        push(
            "sizeLimit",
            "size limit",
            scenario.size.clone(),
            if pattern == Pattern::EphemeralMemory {
                "tmpfs pages are memory: the container's memory limit is raised by the same amount".into()
            } else {
                "an emptyDir over its sizeLimit gets the pod evicted instead of filling the node's disk"
                    .into()
            },
        );
    }

    // Replicas and replication.
    push("replicas", "replicas", d.replicas.to_string(), scenario.replication.clone());
    let spreads = matches!(scenario.kind, WorkloadKind::StatefulSet | WorkloadKind::Deployment);
    if d.zones > 1 && !spreads && claim {
        rec.notes.push(format!(
            "keep the {} pods in one zone, next to the file system: spreading them across {} zones adds cross-zone latency and traffic charges to every read",
            scenario.title.split(" or ").next().unwrap_or_default(),
            d.zones
        ));
    }
    if d.zones > 1 && spreads && d.replicas > 1 {
        push(
            "topologySpread",
            "spread",
            format!("topologySpreadConstraints on {ZONE_LABEL}, maxSkew 1, across {} zones", d.zones),
            "replicas land in different zones, so a zone outage takes at most its share".into(),
        );
    }
    if per_replica && d.replicas > 1 {
        d.disruption_budget = true;
        let why = if scenario.role == kstor_model::catalog::Role::Coordination {
            "drains take one member at a time: the quorum stays".to_string()
        } else {
            "node drains take one replica at a time".to_string()
        };
        push("podDisruptionBudget", "disruption budget", "maxUnavailable: 1".into(), why);
    }

    // Notes.
    let zonal = caps.is_some_and(|c| c.topology == Topology::Zonal && !c.distributed)
        || (caps.is_none() && matches!(pattern, Pattern::RwoBlock | Pattern::RwoSnapshot));
    if d.zones > 1 && d.replicas < 2 && claim && zonal {
        rec.notes.push(format!(
            "one replica on a zonal volume: a zone outage stops the {} until a volume is restored in another zone. Run 2 or more replicas with replication in {}, or use storage replicated across zones (--pattern distributed: regional PD on gcp, ZRS disks on azure){}",
            scenario.title,
            scenario.replication.split(':').next().unwrap_or_default().trim_start_matches("replication belongs to "),
            if pattern == Pattern::RwoSnapshot { "; snapshots are regional, so a restore in another zone works" } else { "" }
        ));
    }
    if scenario.role == kstor_model::catalog::Role::Coordination && d.replicas.is_multiple_of(2) {
        rec.notes.push(format!(
            "{} members tolerate no more failures than {}: use an odd number",
            d.replicas,
            d.replicas - 1
        ));
    }
    if per_replica && d.replicas > 1 && d.zones > 1 && d.replicas < d.zones as u32 {
        rec.notes.push(format!("{} replicas cannot cover {} zones", d.replicas, d.zones));
    }
    if let Some(r) = &rec.realization
        && let Some(caveat) = &r.caveat
    {
        rec.notes.push(format!("{} volumes are {} storage: {caveat}", r.title, r.observed_pattern));
    }
    if let Some(p) = provider
        && !claim
    {
        rec.notes.push(format!("no volume from {}: the data is ephemeral by design", p.title));
    }
    rec.settings = settings;
}

fn alternatives(
    ctx: &Context<'_>,
    rec: &Recommendation,
    row: &MatrixRow,
    provider: Option<&Provider>,
    scenario: &Scenario,
    blueprint: Option<&Blueprint>,
) -> Vec<Alternative> {
    ctx.catalog
        .patterns
        .patterns
        .iter()
        .filter(|info| info.id != rec.pattern)
        .map(|info| {
            let verdict = row.judge(info.id);
            let unavailable = provider.and_then(|p| {
                offering_for(info.id, scenario)
                    .and_then(|_| realize(ctx, p, info.id, scenario, blueprint, row).err())
                    .map(|reason| format!("not available on {}: {reason}", p.id))
            });
            let why = match &verdict {
                Verdict::Fits => {
                    let base = format!("also recommended; {} ranks first", rec.pattern);
                    match &unavailable {
                        Some(u) => format!("{base}; {u}"),
                        None => base,
                    }
                }
                Verdict::FitsWithCaveat(c) => c.clone(),
                Verdict::Mismatch(_) => {
                    mismatch_reason(info, rec, &ctx.catalog.patterns.get(rec.pattern).clone())
                }
                _ => String::new(),
            };
            Alternative { pattern: info.id, verdict: verdict.word(), why, properties: info.into() }
        })
        .collect()
}

/// Why a mismatching pattern lost, in terms of the properties that matter for the role.
fn mismatch_reason(loser: &PatternInfo, rec: &Recommendation, winner: &PatternInfo) -> String {
    let role = rec.role;
    match loser.id {
        Pattern::EphemeralMemory | Pattern::EphemeralDisk if role.holds_critical_data() => {
            format!("{}: the data of {} must survive restarts", loser.failure_domain, a(&rec.scenario_title))
        }
        Pattern::RwxFile if role.needs_single_writer() => format!(
            "{} consistency and {} p99 (against {}): shared file locking is not what a single-writer engine's fsync-bound log expects; several writers corrupt it",
            loser.consistency, loser.latency_p99, winner.latency_p99
        ),
        Pattern::SharedReadOnly => format!("read-only: {} writes its data", a(&rec.scenario_title)),
        Pattern::RwoBlock | Pattern::RwoSnapshot if winner.pods_per_volume == "N" => format!(
            "one pod per volume: the pods of {} on many nodes cannot share it",
            a(&rec.scenario_title)
        ),
        Pattern::RwoBlock | Pattern::RwoSnapshot | Pattern::Distributed if !role.holds_critical_data() => {
            format!(
                "persistence {} does not need: a volume to pay for, at p99 {}",
                a(&rec.scenario_title),
                loser.latency_p99
            )
        }
        Pattern::RwxFile => format!(
            "a network file system shared by every pod: p99 {} against {}, and its failure domain is {}",
            loser.latency_p99, winner.latency_p99, loser.failure_domain
        ),
        _ => format!(
            "{} ({}), where {} wants {}: {}",
            loser.title,
            loser.summary,
            a(&rec.scenario_title),
            winner.title,
            rec.why
        ),
    }
}

#[cfg(test)]
#[path = "recommend_tests.rs"]
mod tests;
