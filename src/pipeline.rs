//! The pipelines shared by the CLI and the tests: load → graph → rules, for manifests (lint)
//! and for a cluster's objects (audit).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kstor_model::catalog::Catalog;
use kstor_model::graph::{self, StorageGraph};
use kstor_model::load::InputError;
use kstor_model::{ClusterError, ClusterLoadStats, ClusterScope, Input, Limits, LoadOptions};
use kstor_rules::{AuditFacts, Config, LintResult, SNAPSHOT_GROUP, Settings, SnapshotApi};

/// The catalog for a config: built-in, or extended by its drivers and roles.
pub fn catalog_for(config: &Config) -> Arc<Catalog> {
    if config.drivers.is_empty() && config.roles.is_empty() {
        Catalog::builtin()
    } else {
        Arc::new(Catalog::extended(config.drivers.clone(), config.roles.clone()))
    }
}

/// Wall time of each phase of a run (printed by `kstor lint --timings`).
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Reading and parsing the files.
    pub load: Duration,
    /// Typed decoding, extraction and linking.
    pub graph: Duration,
    /// Running the rules, suppression and ordering.
    pub rules: Duration,
}

/// Loads the inputs and builds the graph.
pub fn build_graph(inputs: &[Input], config: &Config, limits: Limits) -> Result<StorageGraph, PipelineError> {
    build_graph_timed(inputs, config, limits, &mut Timings::default())
}

fn build_graph_timed(
    inputs: &[Input],
    config: &Config,
    limits: Limits,
    timings: &mut Timings,
) -> Result<StorageGraph, PipelineError> {
    let options = LoadOptions { limits, exclude: config.exclude_matchers().map_err(PipelineError::Usage)? };
    let start = Instant::now();
    let workspace = kstor_model::load(inputs, &options)?;
    timings.load = start.elapsed();
    let start = Instant::now();
    let graph = graph::build(workspace, catalog_for(config));
    timings.graph = start.elapsed();
    Ok(graph)
}

/// Loads, builds and lints.
pub fn lint(
    inputs: &[Input],
    config: &Config,
    settings: &Settings,
    limits: Limits,
) -> Result<(StorageGraph, LintResult), PipelineError> {
    lint_timed(inputs, config, settings, limits, &mut Timings::default())
}

/// [`lint`], recording how long each phase took.
pub fn lint_timed(
    inputs: &[Input],
    config: &Config,
    settings: &Settings,
    limits: Limits,
    timings: &mut Timings,
) -> Result<(StorageGraph, LintResult), PipelineError> {
    let graph = build_graph_timed(inputs, config, limits, timings)?;
    let start = Instant::now();
    let result = kstor_rules::lint(&graph, settings);
    timings.rules = start.elapsed();
    Ok((graph, result))
}

/// Why the pipeline could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A path does not exist or cannot be walked.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Bad options or config.
    #[error("{0}")]
    Usage(String),
    /// A cluster document is not JSON or not Kubernetes objects.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// What `kstor audit` read and found.
pub struct Audited {
    /// The graph of the cluster's objects.
    pub graph: StorageGraph,
    /// The findings.
    pub result: LintResult,
    /// The facts the live rules ran with (the snapshot API filled in from the objects when
    /// the reader did not know).
    pub facts: AuditFacts,
    /// What loading dropped (duplicates, items out of scope, non-objects).
    pub stats: ClusterLoadStats,
}

/// Audits cluster documents (`kubectl get -o json` output, or lists read live) as one cluster:
/// loads them into API objects, builds the graph and runs every enabled rule with `facts`.
pub fn audit_documents(
    documents: Vec<(String, String)>,
    config: &Config,
    settings: &Settings,
    scope: &ClusterScope,
    mut facts: AuditFacts,
    timings: &mut Timings,
) -> Result<Audited, PipelineError> {
    let start = Instant::now();
    let (workspace, stats) = kstor_model::load_cluster(documents, scope)?;
    timings.load = start.elapsed();
    if facts.snapshot_api == SnapshotApi::Unknown && serves_snapshots(&workspace) {
        facts.snapshot_api = SnapshotApi::Served;
    }
    let start = Instant::now();
    let graph = graph::build(workspace, catalog_for(config));
    timings.graph = start.elapsed();
    let start = Instant::now();
    let mut settings = settings.clone();
    settings.options.audit = Some(facts.clone());
    let result = kstor_rules::lint(&graph, &settings);
    timings.rules = start.elapsed();
    Ok(Audited { graph, result, facts, stats })
}

/// Whether the objects include any of `snapshot.storage.k8s.io` (so the API is served).
fn serves_snapshots(workspace: &kstor_model::Workspace) -> bool {
    workspace.objects.iter().any(|o| o.reference.group() == SNAPSHOT_GROUP)
}

/// Lints in-memory files (name, text) as one bundle, with the built-in catalog. Used by
/// tests and tools that hold manifests in memory.
pub fn lint_texts(files: &[(String, String)], settings: &Settings) -> (StorageGraph, LintResult) {
    let mut workspace = kstor_model::Workspace::default();
    for (name, text) in files {
        workspace.add_text(name, text.clone(), &Limits::default());
    }
    let graph = graph::build(workspace, Catalog::builtin());
    let result = kstor_rules::lint(&graph, settings);
    (graph, result)
}
