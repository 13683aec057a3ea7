//! Running the rules: selection, severity overrides, suppression, ordering.

use std::collections::{HashMap, HashSet};

use kstor_model::graph::StorageGraph;
use kstor_model::{ObjectRef, Position};
use rayon::prelude::*;

use crate::config::Config;
use crate::context::{Context, RuleOptions};
use crate::finding::Finding;
use crate::registry::{self, RULES};
use crate::rule::{Rule, Severity};
use crate::suppress::is_suppressed;

/// Which rules run and how they are judged.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Codes of the rules that run.
    pub enabled: HashSet<&'static str>,
    /// Severity overrides by code.
    pub severity: HashMap<&'static str, Severity>,
    /// Options passed to rules.
    pub options: RuleOptions,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: RULES.iter().map(|r| r.meta().code).collect(),
            severity: HashMap::new(),
            options: RuleOptions::default(),
        }
    }
}

impl Settings {
    /// Settings from a config file and command-line selections. `--select` replaces the
    /// config's `select`; ignores from both apply.
    pub fn new(config: &Config, select: &[String], ignore: &[String]) -> Result<Settings, String> {
        let selectors = if !select.is_empty() { select } else { &config.select };
        let mut enabled: HashSet<&'static str> = if selectors.is_empty() {
            RULES.iter().map(|r| r.meta().code).collect()
        } else {
            let mut set = HashSet::new();
            for s in selectors.iter().flat_map(|s| s.split(',')) {
                set.extend(registry::select(s)?.iter().map(|r| r.meta().code));
            }
            set
        };
        for s in config.ignore.iter().chain(ignore).flat_map(|s| s.split(',')) {
            for rule in registry::select(s)? {
                enabled.remove(rule.meta().code);
            }
        }
        let mut severity = HashMap::new();
        for (key, value) in &config.severity {
            let rule = registry::find(key).ok_or_else(|| format!("severity: unknown rule `{key}`"))?;
            severity.insert(rule.meta().code, *value);
        }
        Ok(Settings { enabled, severity, options: RuleOptions::default() })
    }
}

/// A finding with its resolved positions, ready to render.
#[derive(Clone, Debug)]
pub struct Reported {
    /// The finding.
    pub finding: Finding,
    /// Where it is in a file (`None` for objects from an API server).
    pub position: Option<Position>,
    /// The object it is on.
    pub object: Option<ObjectRef>,
    /// Field path inside the object, when the finding is on a field.
    pub path: Option<String>,
    /// Positions and objects of the related locations, in order.
    pub related: Vec<(Option<Position>, Option<ObjectRef>)>,
}

/// The outcome of a lint run.
#[derive(Clone, Debug, Default)]
pub struct LintResult {
    /// Findings in file, line, column, code order.
    pub findings: Vec<Reported>,
    /// How many findings suppression removed.
    pub suppressed: usize,
}

impl LintResult {
    /// Number of findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.finding.severity == severity).count()
    }
}

/// Runs the enabled rules over the graph.
pub fn lint(graph: &StorageGraph, settings: &Settings) -> LintResult {
    let ctx = Context { graph, options: &settings.options };
    let enabled: Vec<&'static dyn Rule> =
        RULES.iter().copied().filter(|r| settings.enabled.contains(r.meta().code)).collect();
    let findings: Vec<Finding> = enabled
        .par_iter()
        .flat_map_iter(|rule| {
            let mut out = Vec::new();
            rule.check(&ctx, &mut out);
            out
        })
        .collect();
    let mut result = LintResult::default();
    for mut finding in findings {
        if let Some(severity) = settings.severity.get(finding.rule.code) {
            finding.severity = *severity;
        }
        if is_suppressed(graph, &finding) {
            result.suppressed += 1;
            continue;
        }
        result.findings.push(report(graph, finding));
    }
    result.findings.sort_by(|a, b| sort_key(graph, a).cmp(&sort_key(graph, b)));
    result
}

fn report(graph: &StorageGraph, finding: Finding) -> Reported {
    let ws = &graph.workspace;
    let object_ref = |location: &kstor_model::Location| match location {
        kstor_model::Location::Field { object, .. } => Some(ws.object(*object).reference.clone()),
        kstor_model::Location::Span { .. } => None,
    };
    let path = match &finding.location {
        kstor_model::Location::Field { path, .. } => Some(path.to_string()),
        kstor_model::Location::Span { .. } => None,
    };
    Reported {
        position: ws.position(&finding.location),
        object: object_ref(&finding.location),
        path,
        related: finding
            .related
            .iter()
            .map(|r| (ws.position(&r.location), object_ref(&r.location)))
            .collect(),
        finding,
    }
}

fn sort_key<'a>(graph: &'a StorageGraph, r: &'a Reported) -> (String, u32, u32, &'static str, &'a str) {
    match &r.position {
        Some(p) => (
            graph.workspace.sources[p.source.0 as usize].name.clone(),
            p.start.line,
            p.start.column,
            r.finding.rule.code,
            &r.finding.message,
        ),
        None => (
            r.object.as_ref().map(|o| format!("~{o}")).unwrap_or_default(),
            0,
            0,
            r.finding.rule.code,
            &r.finding.message,
        ),
    }
}
