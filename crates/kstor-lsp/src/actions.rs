//! Code actions from the fixes findings carry: one quick fix per finding in the requested
//! range (safe ones preferred, unsafe ones marked), with the text edits `kstor lint --fix` and
//! the JSON output compute ([`kstor_model::edit::resolve_all`]); and `source.fixAll.kstor`,
//! every safe fix of the document as `kstor lint --fix` applies them (the engine's fix
//! pipeline, passes until nothing changes).

use std::collections::HashMap;

use kstor_engine::{Engine, FixOptions};
use kstor_model::SourceId;
use kstor_model::edit::resolve_all;
use kstor_rules::{Applicability, Reported};
use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit};

use crate::diagnostics::{self, Locator};
use crate::position::{LineIndex, intersects};
use crate::state::{Analysis, Document};

/// The kind of the fix-all action.
pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.kstor")
}

/// Whether a requested kind (`only`) covers an action's kind: equal, or a parent
/// (`source` covers `source.fixAll.kstor`).
fn covers(requested: &CodeActionKind, kind: &CodeActionKind) -> bool {
    let (requested, kind) = (requested.as_str(), kind.as_str());
    kind == requested || kind.strip_prefix(requested).is_some_and(|rest| rest.starts_with('.'))
}

/// The code actions of a document's range.
pub fn code_actions(
    analysis: &Analysis,
    open: &HashMap<String, Document>,
    engine: &Engine,
    key: &str,
    range: Range,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    let Some(source) = analysis.source(key) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    let mut locator = Locator::new(analysis, open);
    if only.is_none_or(|only| only.iter().any(|k| covers(k, &CodeActionKind::QUICKFIX))) {
        for reported in &analysis.result.findings {
            if reported.position.as_ref().is_none_or(|p| p.source != source) {
                continue;
            }
            if let Some(action) = quick_fix(analysis, &mut locator, reported, &range) {
                actions.push(CodeActionOrCommand::CodeAction(action));
            }
        }
    }
    // Only on request (on save, or the "Source Action…" menu): it runs the whole fix pipeline.
    if only.is_some_and(|only| only.iter().any(|k| covers(k, &fix_all_kind())))
        && let Some(action) = fix_all(analysis, &mut locator, engine, key, source)
    {
        actions.push(CodeActionOrCommand::CodeAction(action));
    }
    actions
}

/// A finding's fix as a quick fix, when its diagnostic meets the range and the fix can be
/// written as text.
// `WorkspaceEdit::changes` is keyed by `Uri`, whose fluent-uri core caches parse data in a
// `Cell`; its `Hash` and `Eq` read only the text, so the key is stable.
#[allow(clippy::mutable_key_type)]
fn quick_fix(
    analysis: &Analysis,
    locator: &mut Locator<'_>,
    reported: &Reported,
    range: &Range,
) -> Option<CodeAction> {
    let fix = reported.finding.fix.as_ref()?;
    if fix.applicability == Applicability::DisplayOnly {
        return None;
    }
    let diagnostic = diagnostics::diagnostic(locator, reported)?;
    if !intersects(&diagnostic.range, range) {
        return None;
    }
    let mut edits = resolve_all(&analysis.graph.workspace, &fix.edits).ok()?;
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| (e.source, e.span.start, e.span.end));
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for edit in edits {
        let uri = locator.uri(edit.source)?;
        let range = locator.range(edit.source, edit.span);
        changes.entry(uri).or_default().push(TextEdit { range, new_text: edit.content });
    }
    let code = reported.finding.rule.code;
    let safe = fix.applicability == Applicability::Safe;
    let title = if safe {
        format!("Fix {code}: {}", fix.message)
    } else {
        format!("Fix {code} (unsafe, review it): {}", fix.message)
    };
    Some(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic]),
        edit: Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }),
        is_preferred: safe.then_some(true),
        ..CodeAction::default()
    })
}

/// Every safe fix of the document, applied as `kstor lint --fix` applies them, as one edit of
/// the changed part of the text.
#[allow(clippy::mutable_key_type)]
fn fix_all(
    analysis: &Analysis,
    locator: &mut Locator<'_>,
    engine: &Engine,
    key: &str,
    source: SourceId,
) -> Option<CodeAction> {
    let fixable = analysis.result.findings.iter().any(|r| {
        r.position.as_ref().is_some_and(|p| p.source == source)
            && r.finding.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Safe)
    });
    if !fixable {
        return None;
    }
    let outcome = engine.fix_texts(&analysis.texts(), FixOptions::default());
    let fixed = outcome.sources.iter().find(|s| s.name == key && s.changed())?;
    let edit = minimal_edit(&fixed.original, &fixed.fixed);
    let uri = locator.uri(source)?;
    Some(CodeAction {
        title: format!("Fix all safe kstor findings ({} fixes)", outcome.fixed()),
        kind: Some(fix_all_kind()),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri, vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// One edit turning `before` into `after`: the part between their common prefix and suffix
/// (on character boundaries), so the rest of the document, and the cursor, stay put.
pub fn minimal_edit(before: &str, after: &str) -> TextEdit {
    let mut prefix = before.bytes().zip(after.bytes()).take_while(|(a, b)| a == b).count();
    while !before.is_char_boundary(prefix) || !after.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let limit = before.len().min(after.len()) - prefix;
    let mut suffix =
        before.bytes().rev().zip(after.bytes().rev()).take(limit).take_while(|(a, b)| a == b).count();
    while !before.is_char_boundary(before.len() - suffix) || !after.is_char_boundary(after.len() - suffix) {
        suffix -= 1;
    }
    let index = LineIndex::new(before);
    TextEdit {
        range: index.range(prefix, before.len() - suffix),
        new_text: after[prefix..after.len() - suffix].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edit: &TextEdit) -> String {
        let index = LineIndex::new(text);
        let (start, end) = (index.offset(edit.range.start), index.offset(edit.range.end));
        format!("{}{}{}", &text[..start], edit.new_text, &text[end..])
    }

    #[test]
    fn minimal_edits_keep_the_rest_of_the_text() {
        for (before, after) in [
            ("a: 1\nb: 2\n", "a: 1\nb: 3\n"),
            ("a: 1\n", "a: 1\nc: é\n"),
            ("é: 1\n", "è: 1\n"),
            ("same", "same"),
            ("", "new"),
            ("aaa", "aa"),
        ] {
            let edit = minimal_edit(before, after);
            assert_eq!(apply(before, &edit), after, "{before:?} → {after:?}: {edit:?}");
        }
        let edit = minimal_edit("a: 1\nb: 2\n", "a: 1\nb: 3\n");
        assert_eq!(edit.new_text, "3");
    }

    #[test]
    fn requested_kinds_cover_their_children() {
        assert!(covers(&CodeActionKind::SOURCE, &fix_all_kind()));
        assert!(covers(&CodeActionKind::SOURCE_FIX_ALL, &fix_all_kind()));
        assert!(covers(&fix_all_kind(), &fix_all_kind()));
        assert!(!covers(&CodeActionKind::QUICKFIX, &fix_all_kind()));
        assert!(!covers(&CodeActionKind::new("source.fix"), &fix_all_kind()));
    }
}
