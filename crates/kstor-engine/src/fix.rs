//! The fix pipeline: lint, turn the eligible findings' fixes into text edits on their files,
//! apply those that do not collide, and lint again, until nothing changes (or a bound).
//!
//! Edits are text edits on the source spans ([`kstor_model::edit`]), so everything else in a
//! file keeps its form. Of two fixes touching the same text, the second waits for the next
//! pass, where it is recomputed on the new text (or is gone because the first fixed it too).
//! A file whose fixed text would not parse as well as before is left as it was.

use std::collections::BTreeMap;
use std::sync::Arc;

use kstor_model::edit::{self, Skip, TextEdit};
use kstor_model::graph::StorageGraph;
use kstor_model::{Input, Limits, SourceId, Workspace};
use kstor_rules::{Applicability, LintResult, Reported};

use crate::{Engine, EngineError};

/// Passes of fix, re-lint, fix: each pass applies every fix that does not collide with
/// another, so real inputs settle in two or three.
pub const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Also apply unsafe fixes (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl FixOptions {
    /// Whether a fix of this applicability is applied.
    pub fn applies(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// One input file before and after fixing.
#[derive(Clone, Debug)]
pub struct FixedSource {
    /// The name it was loaded by (the path as given, `-` for stdin).
    pub name: String,
    /// The text as read.
    pub original: Arc<str>,
    /// The text with the fixes applied (equal to `original` when nothing changed).
    pub fixed: String,
}

impl FixedSource {
    /// Whether fixing changed the file.
    pub fn changed(&self) -> bool {
        *self.original != *self.fixed
    }
}

/// A fix that was not applied, and why.
#[derive(Clone, Debug)]
pub struct SkippedFix {
    /// The rule.
    pub code: &'static str,
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// What fixing did.
pub struct FixOutcome {
    /// Every input file, fixed or not, in load order.
    pub sources: Vec<FixedSource>,
    /// Fixes applied, per rule code.
    pub applied: BTreeMap<&'static str, usize>,
    /// Fixes that could not be applied (anchors, templates, files that would not parse).
    pub skipped: Vec<SkippedFix>,
    /// The graph of the fixed files.
    pub graph: StorageGraph,
    /// The findings that remain.
    pub result: LintResult,
    /// Lint passes run.
    pub passes: usize,
}

impl FixOutcome {
    /// Fixes applied in all.
    pub fn fixed(&self) -> usize {
        self.applied.values().sum()
    }

    /// Remaining findings whose fix only `--unsafe-fixes` applies.
    pub fn unsafe_available(&self) -> usize {
        self.result
            .findings
            .iter()
            .filter(|r| r.finding.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Unsafe))
            .filter(|r| r.position.is_some())
            .count()
    }
}

impl Engine {
    /// Loads the inputs and fixes them in memory (nothing is written: the caller writes
    /// [`FixOutcome::sources`] that changed).
    pub fn fix(
        &self,
        inputs: &[Input],
        limits: Limits,
        options: FixOptions,
    ) -> Result<FixOutcome, EngineError> {
        let graph = self.graph(inputs, limits)?;
        Ok(self.fix_graph(graph, options))
    }

    /// Fixes in-memory files `(name, text)` as one bundle.
    pub fn fix_texts(&self, files: &[(String, String)], options: FixOptions) -> FixOutcome {
        self.fix_graph(self.graph_of_texts(files), options)
    }

    fn fix_graph(&self, mut graph: StorageGraph, options: FixOptions) -> FixOutcome {
        let originals: Vec<(String, Arc<str>)> =
            graph.workspace.sources.iter().map(|s| (s.name.clone(), Arc::clone(&s.text))).collect();
        let io_errors = graph.workspace.io_errors.clone();
        let mut texts: Vec<String> = originals.iter().map(|(_, t)| t.to_string()).collect();
        let mut applied: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut skipped: Vec<SkippedFix> = Vec::new();
        let mut passes = 0;
        let result = loop {
            passes += 1;
            let result = kstor_rules::lint(&graph, self.settings());
            if passes > MAX_PASSES {
                break result;
            }
            let planned = plan(&graph.workspace, &result.findings, options, &mut skipped);
            if planned.is_empty() {
                break result;
            }
            // The next pass reparses only the files that changed; the others keep their trees.
            let mut workspace = std::mem::take(&mut graph.workspace);
            let mut reload = false;
            let mut changed = false;
            // The new texts, parsed in parallel; kept only where they parse as well as before.
            let mut candidates = Vec::new();
            for (source, fixes) in group_by_source(planned) {
                let before = &texts[source.0 as usize];
                let mut edits: Vec<TextEdit> = fixes.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
                // Lines inserted at one place: deeper keys first (they end the inner mapping).
                edits.sort_by_key(|e| {
                    (
                        e.span.start,
                        e.span.end,
                        std::cmp::Reverse(inserted_key(e).map_or(0, |(indent, _)| indent)),
                    )
                });
                let after = edit::apply(before, &edits);
                if after != *before {
                    candidates.push((source, fixes, after));
                }
            }
            let reparsed = workspace.reparse_all(
                candidates.iter().map(|(source, _, after)| (*source, after.clone())).collect(),
                &Limits::default(),
            );
            for ((source, fixes, after), reparsed) in candidates.into_iter().zip(reparsed) {
                let index = source.0 as usize;
                if reparsed.problems() > workspace.problems_in(source) {
                    // A bug in a fix, never the user's problem: keep their file as it was.
                    for (code, _) in &fixes {
                        skipped.push(SkippedFix {
                            code,
                            file: originals[index].0.clone(),
                            reason: "the fixed text would not parse; the file was left as it was".into(),
                        });
                    }
                    continue;
                }
                for (code, _) in fixes.iter().filter(|(code, _)| !code.is_empty()) {
                    *applied.entry(code).or_default() += 1;
                }
                reload |= !workspace.replace(reparsed);
                texts[index] = after;
                changed = true;
            }
            if !changed {
                graph.workspace = workspace;
                break result;
            }
            if reload {
                let files: Vec<(String, String)> = originals
                    .iter()
                    .zip(&texts)
                    .map(|((name, _), text)| (name.clone(), text.clone()))
                    .collect();
                workspace = crate::pipeline::workspace_of(&files);
                workspace.io_errors = io_errors.clone();
            } else {
                // Diagnostics the graph added are added again by the next build.
                workspace.diagnostics.retain(|d| matches!(d.location, kstor_model::Location::Span { .. }));
            }
            graph = kstor_model::graph::build(workspace, self.catalog().clone());
        };
        skipped.sort_by(|a, b| (&a.file, a.code, &a.reason).cmp(&(&b.file, b.code, &b.reason)));
        skipped.dedup_by(|a, b| a.file == b.file && a.code == b.code && a.reason == b.reason);
        let sources = originals
            .into_iter()
            .zip(texts)
            .map(|((name, original), fixed)| FixedSource { name, original, fixed })
            .collect();
        FixOutcome { sources, applied, skipped, graph, result, passes }
    }
}

/// The fixes of one pass: each eligible finding's edits resolved to text, in finding order,
/// without two that touch the same text.
fn plan(
    workspace: &Workspace,
    findings: &[Reported],
    options: FixOptions,
    skipped: &mut Vec<SkippedFix>,
) -> Vec<(&'static str, Vec<TextEdit>)> {
    let mut accepted: Vec<(&'static str, Vec<TextEdit>)> = Vec::new();
    for reported in findings {
        let Some(fix) = &reported.finding.fix else {
            continue;
        };
        if !options.applies(fix.applicability) || reported.position.is_none() {
            continue;
        }
        let code = reported.finding.rule.code;
        let edits = match text_edits(workspace, &fix.edits) {
            Ok(edits) => edits,
            Err(skip) => {
                let file = reported
                    .position
                    .as_ref()
                    .and_then(|p| workspace.sources.get(p.source.0 as usize))
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                skipped.push(SkippedFix { code, file, reason: skip.to_string() });
                continue;
            }
        };
        if edits.is_empty() || accepted.iter().any(|(_, other)| conflicts(other, &edits)) {
            continue;
        }
        accepted.push((code, edits));
    }
    accepted
}

/// The indentation and key of the first line an insertion adds (`  encrypted: "true"`), when
/// it adds whole lines starting with a mapping key.
fn inserted_key(edit: &TextEdit) -> Option<(usize, &str)> {
    if edit.span.start != edit.span.end {
        return None;
    }
    let line = edit
        .content
        .strip_prefix("\r\n")
        .or_else(|| edit.content.strip_prefix('\n'))
        .unwrap_or(&edit.content);
    let whole_lines =
        edit.content.starts_with('\n') || edit.content.starts_with("\r\n") || edit.content.ends_with('\n');
    let indent = line.len() - line.trim_start_matches(' ').len();
    let key = line[indent..].split(':').next()?;
    (whole_lines && !key.is_empty() && !key.starts_with(['-', '{', '[', '#', '"', '\'']))
        .then_some((indent, key))
}

/// Whether two fixes' edits cannot go into one pass. As [`edit::overlaps`], except that lines
/// two fixes insert at one place compose when they are keys of different mappings (different
/// indentation: the deeper one goes first, closing its mapping) or different keys of one
/// mapping (the earlier finding's line first).
fn conflicts(a: &[TextEdit], b: &[TextEdit]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            let composable = x.source == y.source
                && x.span.start == y.span.start
                && matches!((inserted_key(x), inserted_key(y)), (Some(kx), Some(ky)) if kx != ky);
            !composable && edit::overlaps(std::slice::from_ref(x), std::slice::from_ref(y))
        })
    })
}

/// All text edits of a fix, or why one of them cannot be made ([`edit::resolve_all`]).
pub fn text_edits(workspace: &Workspace, edits: &[edit::ObjectEdit]) -> Result<Vec<TextEdit>, Skip> {
    edit::resolve_all(workspace, edits)
}

type SourceFixes = Vec<(&'static str, Vec<TextEdit>)>;

/// Fixes grouped by the file they edit (a fix spanning files goes with its first edit's file
/// and is applied there only if all its edits are in that file).
fn group_by_source(planned: Vec<(&'static str, Vec<TextEdit>)>) -> BTreeMap<SourceId, SourceFixes> {
    let mut by_source: BTreeMap<SourceId, SourceFixes> = BTreeMap::new();
    let mut spanning: Vec<(&'static str, Vec<TextEdit>)> = Vec::new();
    for (code, edits) in planned {
        let source = edits[0].source;
        if edits.iter().all(|e| e.source == source) {
            by_source.entry(source).or_default().push((code, edits));
        } else {
            spanning.push((code, edits));
        }
    }
    // A fix over several files: split per file (each file's part is self-contained text).
    for (code, edits) in spanning {
        let mut parts: BTreeMap<SourceId, Vec<TextEdit>> = BTreeMap::new();
        for e in edits {
            parts.entry(e.source).or_default().push(e);
        }
        let mut first = true;
        for (source, part) in parts {
            // Counted once, on its first file.
            let label = if first { code } else { "" };
            first = false;
            by_source.entry(source).or_default().push((label, part));
        }
    }
    by_source
}

#[cfg(test)]
mod tests {
    use super::*;
    use kstor_model::Span;

    fn insert(at: usize, content: &str) -> TextEdit {
        TextEdit { source: SourceId(0), span: Span::new(at, at), content: content.into() }
    }

    #[test]
    fn lines_added_at_one_place_compose_unless_they_add_the_same_key() {
        let root_key = [insert(40, "volumeBindingMode: WaitForFirstConsumer\n")];
        assert!(!conflicts(&root_key, &[insert(40, "allowVolumeExpansion: true\n")]));
        assert!(!conflicts(&root_key, &[insert(40, "  encrypted: \"true\"\n")]), "another mapping");
        assert!(conflicts(&root_key, &[insert(40, "volumeBindingMode: Immediate\n")]), "the same key twice");
        assert!(conflicts(&root_key, &[insert(40, "- item\n")]), "not a key");
        assert!(!conflicts(&root_key, &[insert(41, "x: 1\n")]));
        let replaced = [TextEdit { source: SourceId(0), span: Span::new(30, 50), content: "x".into() }];
        assert!(conflicts(&root_key, &replaced), "inside a replaced range");
    }
}
