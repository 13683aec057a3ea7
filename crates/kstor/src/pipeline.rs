//! The lint pipeline shared by the CLI and the tests: load → graph → rules.

use std::sync::Arc;

use kstor_model::catalog::Catalog;
use kstor_model::graph::{self, StorageGraph};
use kstor_model::load::InputError;
use kstor_model::{Input, Limits, LoadOptions};
use kstor_rules::{Config, LintResult, Settings};

/// The catalog for a config: built-in, or extended by its drivers and roles.
pub fn catalog_for(config: &Config) -> Arc<Catalog> {
    if config.drivers.is_empty() && config.roles.is_empty() {
        Catalog::builtin()
    } else {
        Arc::new(Catalog::extended(config.drivers.clone(), config.roles.clone()))
    }
}

/// Loads the inputs and builds the graph.
pub fn build_graph(inputs: &[Input], config: &Config, limits: Limits) -> Result<StorageGraph, PipelineError> {
    let options = LoadOptions { limits, exclude: config.exclude_matchers().map_err(PipelineError::Usage)? };
    let workspace = kstor_model::load(inputs, &options)?;
    Ok(graph::build(workspace, catalog_for(config)))
}

/// Loads, builds and lints.
pub fn lint(
    inputs: &[Input],
    config: &Config,
    settings: &Settings,
    limits: Limits,
) -> Result<(StorageGraph, LintResult), PipelineError> {
    let graph = build_graph(inputs, config, limits)?;
    let result = kstor_rules::lint(&graph, settings);
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
