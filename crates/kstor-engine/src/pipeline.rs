//! The pipelines: load → graph → rules, for manifests (lint) and for a cluster's objects
//! (audit).

use std::time::{Duration, Instant};

use kstor_model::graph::{self, StorageGraph};
use kstor_model::load::InputError;
use kstor_model::{ClusterError, ClusterLoadStats, ClusterScope, Input, Limits, LoadOptions, Workspace};
use kstor_rules::{AuditFacts, LintResult, SNAPSHOT_GROUP, SnapshotApi};

use crate::Engine;

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

/// Why a pipeline could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
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

impl Engine {
    /// Loads the inputs (files, directories, stdin) and builds the graph; the config's
    /// `exclude` patterns skip paths while walking directories.
    pub fn graph(&self, inputs: &[Input], limits: Limits) -> Result<StorageGraph, EngineError> {
        self.graph_timed(inputs, limits, &mut Timings::default())
    }

    fn graph_timed(
        &self,
        inputs: &[Input],
        limits: Limits,
        timings: &mut Timings,
    ) -> Result<StorageGraph, EngineError> {
        let exclude = self.config().exclude_matchers().map_err(EngineError::Usage)?;
        let options = LoadOptions { limits, exclude };
        let start = Instant::now();
        let workspace = kstor_model::load(inputs, &options)?;
        timings.load = start.elapsed();
        let start = Instant::now();
        let graph = graph::build(workspace, self.catalog().clone());
        timings.graph = start.elapsed();
        Ok(graph)
    }

    /// Loads, builds and lints.
    pub fn lint(&self, inputs: &[Input], limits: Limits) -> Result<(StorageGraph, LintResult), EngineError> {
        self.lint_timed(inputs, limits, &mut Timings::default())
    }

    /// [`Engine::lint`], recording how long each phase took.
    pub fn lint_timed(
        &self,
        inputs: &[Input],
        limits: Limits,
        timings: &mut Timings,
    ) -> Result<(StorageGraph, LintResult), EngineError> {
        let graph = self.graph_timed(inputs, limits, timings)?;
        let start = Instant::now();
        let result = kstor_rules::lint(&graph, self.settings());
        timings.rules = start.elapsed();
        Ok((graph, result))
    }

    /// Builds and lints objects already loaded (generated bundles, objects held in memory).
    pub fn lint_workspace(&self, workspace: Workspace) -> (StorageGraph, LintResult) {
        let graph = graph::build(workspace, self.catalog().clone());
        let result = kstor_rules::lint(&graph, self.settings());
        (graph, result)
    }

    /// Lints in-memory files `(name, text)` as one bundle.
    pub fn lint_texts(&self, files: &[(String, String)]) -> (StorageGraph, LintResult) {
        self.lint_workspace(workspace_of(files))
    }

    /// The graph of in-memory files `(name, text)` as one bundle.
    pub fn graph_of_texts(&self, files: &[(String, String)]) -> StorageGraph {
        graph::build(workspace_of(files), self.catalog().clone())
    }

    /// Audits cluster documents (`kubectl get -o json` output, or lists read live) as one
    /// cluster: loads them into API objects, builds the graph and runs every enabled rule,
    /// the live-state rules with `facts`.
    pub fn audit(
        &self,
        documents: Vec<(String, String)>,
        scope: &ClusterScope,
        mut facts: AuditFacts,
        timings: &mut Timings,
    ) -> Result<Audited, EngineError> {
        let start = Instant::now();
        let (workspace, stats) = kstor_model::load_cluster(documents, scope)?;
        timings.load = start.elapsed();
        if facts.snapshot_api == SnapshotApi::Unknown && serves_snapshots(&workspace) {
            facts.snapshot_api = SnapshotApi::Served;
        }
        let start = Instant::now();
        let graph = graph::build(workspace, self.catalog().clone());
        timings.graph = start.elapsed();
        let start = Instant::now();
        let mut settings = self.settings().clone();
        settings.options.audit = Some(facts.clone());
        let result = kstor_rules::lint(&graph, &settings);
        timings.rules = start.elapsed();
        Ok(Audited { graph, result, facts, stats })
    }
}

pub(crate) fn workspace_of(files: &[(String, String)]) -> Workspace {
    let mut workspace = Workspace::default();
    for (name, text) in files {
        workspace.add_text(name, text.clone(), &Limits::default());
    }
    workspace
}

/// Whether the objects include any of `snapshot.storage.k8s.io` (so the API is served).
fn serves_snapshots(workspace: &Workspace) -> bool {
    workspace.objects.iter().any(|o| o.reference.group() == SNAPSHOT_GROUP)
}
