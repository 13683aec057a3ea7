//! Test helpers: a graph from YAML, and one rule run over it as the engine runs it.

use kstor_model::catalog::Catalog;
use kstor_model::graph::{self, StorageGraph};
use kstor_model::{Limits, Workspace};

use crate::context::{AuditFacts, Context, RuleOptions};
use crate::engine;
use crate::finding::Finding;
use crate::rule::Rule;

/// The graph of one YAML file with the built-in catalog.
pub fn graph(yaml: &str) -> StorageGraph {
    let mut workspace = Workspace::default();
    workspace.add_text("t.yaml", yaml.to_string(), &Limits::default());
    graph::build(workspace, Catalog::builtin())
}

/// The findings of one rule over the graph of `yaml`, run as the engine runs it: nothing
/// when `options` lack what the rule requires.
pub fn run_rule(rule: &dyn Rule, yaml: &str, options: &RuleOptions) -> Vec<Finding> {
    let graph = graph(yaml);
    engine::check(rule, &Context { graph: &graph, options })
}

/// The options of `kstor audit`, with its clock at 2026-11-26T12:00:00Z and nothing else known.
pub fn audit() -> RuleOptions {
    RuleOptions { audit: Some(AuditFacts::at("2026-11-26T12:00:00Z".parse().unwrap())), ..Default::default() }
}
