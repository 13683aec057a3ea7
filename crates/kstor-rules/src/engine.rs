//! Running the rules: selection, requirements, overlaps, severity overrides, suppression,
//! ordering.

use std::collections::{HashMap, HashSet};

use kstor_model::graph::StorageGraph;
use kstor_model::{Location, ObjectRef, Position};
use rayon::prelude::*;

use crate::context::{Context, RuleOptions};
use crate::finding::Finding;
use crate::overlap::drop_restated;
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
    /// Settings from rule selectors (codes, names, code prefixes or `ALL`; every rule when
    /// empty), rules to ignore, and severity overrides by code or name.
    pub fn from_selection<'a>(
        select: impl IntoIterator<Item = &'a str>,
        ignore: impl IntoIterator<Item = &'a str>,
        severity: impl IntoIterator<Item = (&'a str, Severity)>,
    ) -> Result<Settings, String> {
        let mut selectors = select.into_iter().flat_map(|s| s.split(',')).peekable();
        let mut enabled: HashSet<&'static str> = if selectors.peek().is_none() {
            RULES.iter().map(|r| r.meta().code).collect()
        } else {
            let mut set = HashSet::new();
            for s in selectors {
                set.extend(registry::select(s)?.iter().map(|r| r.meta().code));
            }
            set
        };
        for s in ignore.into_iter().flat_map(|s| s.split(',')) {
            for rule in registry::select(s)? {
                enabled.remove(rule.meta().code);
            }
        }
        let mut overrides = HashMap::new();
        for (key, value) in severity {
            let rule = registry::find(key).ok_or_else(|| format!("severity: unknown rule `{key}`"))?;
            overrides.insert(rule.meta().code, value);
        }
        Ok(Settings { enabled, severity: overrides, options: RuleOptions::default() })
    }
}

/// A finding with its resolved positions, ready to render.
#[derive(Clone, Debug)]
pub struct Reported {
    /// The finding.
    pub finding: Finding,
    /// Where it is in a file (`None` for objects from an API server).
    pub position: Option<Position>,
    /// Positions of the related locations, in order.
    pub related: Vec<Option<Position>>,
}

fn object_of<'g>(graph: &'g StorageGraph, location: &Location) -> Option<&'g ObjectRef> {
    match location {
        Location::Field { object, .. } => Some(&graph.object(*object).reference),
        Location::Span { .. } => None,
    }
}

impl Reported {
    /// The object the finding is on.
    pub fn object<'g>(&self, graph: &'g StorageGraph) -> Option<&'g ObjectRef> {
        object_of(graph, &self.finding.location)
    }

    /// The field path inside the object, when the finding is on a field.
    pub fn path(&self) -> Option<String> {
        match &self.finding.location {
            Location::Field { path, .. } => Some(path.to_string()),
            Location::Span { .. } => None,
        }
    }

    /// The related locations with their positions and objects.
    pub fn related_with<'a, 'g>(
        &'a self,
        graph: &'g StorageGraph,
    ) -> impl Iterator<Item = (&'a crate::Related, Option<&'a Position>, Option<&'g ObjectRef>)> + use<'a, 'g>
    {
        self.finding
            .related
            .iter()
            .zip(&self.related)
            .map(move |(related, position)| (related, position.as_ref(), object_of(graph, &related.location)))
    }
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

/// Runs the enabled rules whose requirements the options meet over the graph; of two
/// overlapping rules' findings on the same fact, keeps the more specific one
/// ([`crate::overlap`]).
pub fn lint(graph: &StorageGraph, settings: &Settings) -> LintResult {
    let ctx = Context { graph, options: &settings.options };
    let enabled: Vec<&'static dyn Rule> =
        RULES.iter().copied().filter(|r| settings.enabled.contains(r.meta().code)).collect();
    let check = |rule: &&'static dyn Rule| check(*rule, &ctx);
    // Small graphs (an admission request) run on the calling thread: handing 42 tiny jobs to
    // the pool costs more than running them.
    let mut findings: Vec<Finding> =
        if graph.workspace.objects.len() >= kstor_model::graph::PARALLEL_MIN_OBJECTS {
            enabled.par_iter().flat_map_iter(check).collect()
        } else {
            enabled.iter().flat_map(check).collect()
        };
    // Before suppression: a suppressed specific finding still covers its general restatement.
    drop_restated(&mut findings);
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
    result.findings.sort_by(|a, b| order(graph, a, b));
    result
}

/// One rule's findings, or none when the options lack what it requires.
pub(crate) fn check(rule: &dyn Rule, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if rule.meta().requires.met_by(ctx.options) {
        rule.check(ctx, &mut out);
    }
    out
}

fn report(graph: &StorageGraph, finding: Finding) -> Reported {
    let ws = &graph.workspace;
    Reported {
        position: ws.position(&finding.location),
        related: finding.related.iter().map(|r| ws.position(&r.location)).collect(),
        finding,
    }
}

/// Orders findings by file name, line, column, code and message; findings on objects
/// without a file (from a cluster) come last, by namespace, kind and name.
fn order(graph: &StorageGraph, a: &Reported, b: &Reported) -> std::cmp::Ordering {
    let file = |r: &Reported| {
        r.position.as_ref().map(|p| graph.workspace.sources[p.source.0 as usize].name.as_str())
    };
    let place = |r: &Reported| r.position.as_ref().map(|p| (p.start.line, p.start.column));
    // Cluster objects group by namespace (cluster-scoped first), then kind and name.
    let object = |r: &Reported| {
        r.object(graph)
            .map(|o| (o.namespace.as_deref(), o.kind.as_str(), o.name.as_str(), o.api_version.as_str()))
    };
    (file(a).is_none(), file(a), place(a), object(a), a.finding.rule.code, &a.finding.message).cmp(&(
        file(b).is_none(),
        file(b),
        place(b),
        object(b),
        b.finding.rule.code,
        &b.finding.message,
    ))
}
