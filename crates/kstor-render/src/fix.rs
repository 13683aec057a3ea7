//! A finding's fix as text edits with line/column positions, for every format.

use kstor_model::LineCol;
use kstor_model::edit::resolve_all;
use kstor_rules::Fix;

use crate::Output;

/// One text edit of a fix, positioned.
pub(crate) struct PositionedEdit {
    /// The file.
    pub file: String,
    /// Start of the replaced text.
    pub start: LineCol,
    /// End of the replaced text (equal to `start` for an insertion).
    pub end: LineCol,
    /// The new text.
    pub content: String,
}

/// The fix's edits on the loaded files; empty when an edit cannot be made as text (an alias,
/// a template expression, an object without a file).
pub(crate) fn positioned(output: &Output<'_>, fix: &Fix) -> Vec<PositionedEdit> {
    let workspace = &output.graph.workspace;
    // Resolved together, as the engine applies them.
    let Ok(edits) = resolve_all(workspace, &fix.edits) else {
        return Vec::new();
    };
    edits
        .into_iter()
        .map(|e| {
            let file = &workspace.sources[e.source.0 as usize];
            PositionedEdit {
                file: file.name.clone(),
                start: file.line_col(e.span.start),
                end: file.line_col(e.span.end),
                content: e.content,
            }
        })
        .collect()
}
