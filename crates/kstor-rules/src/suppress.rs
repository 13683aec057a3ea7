//! Suppression: `kstor.io/ignore` annotations and `# kstor:ignore` comments.

use kstor_model::graph::StorageGraph;
use kstor_model::{Location, ObjectId};

use crate::finding::Finding;

/// The annotation listing rules to ignore on an object (`"KS201,rwx-for-database"`).
pub const IGNORE_ANNOTATION: &str = "kstor.io/ignore";
/// Free text explaining why (shown nowhere, kept for reviewers).
pub const IGNORE_REASON_ANNOTATION: &str = "kstor.io/ignore-reason";

fn names_rule(list: &str, finding: &Finding) -> bool {
    list.split(',').map(str::trim).any(|item| {
        item.eq_ignore_ascii_case(finding.rule.code)
            || item == finding.rule.name
            || item.eq_ignore_ascii_case("all")
    })
}

/// Whether a finding is suppressed: by an ignore annotation on any object it involves (its
/// own or a related one), or by a `# kstor:ignore` comment on its line or the line above.
pub fn is_suppressed(graph: &StorageGraph, finding: &Finding) -> bool {
    let objects = std::iter::once(&finding.location)
        .chain(finding.related.iter().map(|r| &r.location))
        .filter_map(|l| match l {
            Location::Field { object, .. } => Some(*object),
            Location::Span { .. } => None,
        });
    if objects.into_iter().any(|o| annotated(graph, o, finding)) {
        return true;
    }
    let Some(position) = graph.workspace.position(&finding.location) else {
        return false;
    };
    let line = position.start.line;
    graph.workspace.ignore_lines[position.source.0 as usize]
        .iter()
        .filter(|c| c.line == line || c.line + 1 == line)
        .any(|c| c.rules.is_empty() || c.rules.iter().any(|r| names_rule(r, finding)))
}

fn annotated(graph: &StorageGraph, object: ObjectId, finding: &Finding) -> bool {
    graph.object(object).annotation(IGNORE_ANNOTATION).is_some_and(|list| names_rule(list, finding))
}
