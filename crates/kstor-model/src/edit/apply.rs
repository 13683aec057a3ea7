//! Applying text edits.

use super::TextEdit;

/// Applies edits of one source to its text. The edits must not overlap ([`overlaps`]); they
/// may come in any order.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + sorted.iter().map(|e| e.content.len()).sum::<usize>());
    let mut at = 0usize;
    for edit in sorted {
        let (start, end) = (edit.span.start as usize, edit.span.end as usize);
        debug_assert!(start >= at, "overlapping edits");
        out.push_str(&text[at..start.max(at)]);
        out.push_str(&edit.content);
        at = end.max(at);
    }
    out.push_str(&text[at..]);
    out
}

/// Whether two groups of edits touch the same text: intersecting ranges, two insertions at one
/// place (their order would be a guess), or an insertion inside a replaced range.
pub fn overlaps(a: &[TextEdit], b: &[TextEdit]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            if x.source != y.source {
                return false;
            }
            let (xs, xe, ys, ye) = (x.span.start, x.span.end, y.span.start, y.span.end);
            (xs < ye && ys < xe)
                || (xs == xe && ys == ye && xs == ys)
                || (xs == xe && ys < xs && xs < ye)
                || (ys == ye && xs < ys && ys < xe)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceId, Span};

    fn edit(start: u32, end: u32, content: &str) -> TextEdit {
        TextEdit { source: SourceId(0), span: Span { start, end }, content: content.into() }
    }

    #[test]
    fn edits_apply_in_offset_order() {
        let text = "abcdef";
        assert_eq!(apply(text, &[edit(4, 6, "XY"), edit(0, 1, "Z"), edit(2, 2, "+")]), "Zb+cdXY");
    }

    #[test]
    fn overlap_is_intersection_or_a_shared_insertion_point() {
        assert!(overlaps(&[edit(0, 3, "")], &[edit(2, 4, "")]));
        assert!(overlaps(&[edit(2, 2, "a")], &[edit(2, 2, "b")]));
        assert!(overlaps(&[edit(2, 2, "a")], &[edit(0, 4, "b")]));
        assert!(!overlaps(&[edit(0, 2, "")], &[edit(2, 4, "")]));
        assert!(!overlaps(&[edit(2, 2, "a")], &[edit(2, 4, "b")]));
    }
}
