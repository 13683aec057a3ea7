//! Byte offsets ↔ LSP positions. LSP counts columns in UTF-16 code units (the default and only
//! encoding this server announces); kstor's spans are byte offsets into UTF-8 text.
//!
//! Lines end at `\n` (a `\r` before it stays on its line and counts as a column); positions
//! past the end of a line or of the text are clamped to it, never an error.

use lsp_types::{Position, Range};

/// The line starts of a text, for converting many positions of one text.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`'s lines.
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The LSP position of a byte offset (clamped to the text, moved back to a character
    /// boundary).
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_boundary(self.text, offset.min(self.text.len()));
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let character: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    /// The LSP range of a byte range.
    pub fn range(&self, start: usize, end: usize) -> Range {
        Range { start: self.position(start), end: self.position(end.max(start)) }
    }

    /// The byte offset of an LSP position: a line past the end gives the end of the text, a
    /// column past the end of its line gives the end of the line, a column inside a surrogate
    /// pair gives the start of its character.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self.starts.get(position.line as usize + 1).map_or(self.text.len(), |&next| next - 1);
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units + c.len_utf16() > position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Applies one `textDocument/didChange` content change: the whole text when there is no
/// range, else the replacement of the range (its positions clamped as [`LineIndex::offset`]).
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => {
            text.clear();
            text.push_str(new_text);
        }
        Some(range) => {
            let index = LineIndex::new(text);
            let start = index.offset(range.start);
            let end = index.offset(range.end).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

/// Whether two ranges share a position (touching ranges intersect, so a cursor at the end
/// of a diagnostic still gets its actions).
pub fn intersects(a: &Range, b: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    key(&a.start) <= key(&b.end) && key(&b.start) <= key(&a.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn columns_count_utf16_units() {
        // "é" is 2 bytes, 1 unit; "𝄞" is 4 bytes, 2 units.
        let text = "a: é𝄞x\nb: 1\r\n\nlast";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(x), pos(0, 6));
        assert_eq!(index.offset(pos(0, 6)), x);
        assert_eq!(index.position(text.find('b').unwrap()), pos(1, 0));
        assert_eq!(index.position(text.len()), pos(3, 4));
        // Inside the surrogate pair: the character's start.
        let clef = text.find('𝄞').unwrap();
        assert_eq!(index.offset(pos(0, 5)), clef);
        // Inside a multi-byte character: back to its start.
        assert_eq!(index.position(clef + 1), pos(0, 4));
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(pos(0, 99)), 2, "end of the line, before its break");
        assert_eq!(index.offset(pos(2, 0)), 6);
        assert_eq!(index.offset(pos(9, 9)), 6);
        assert_eq!(index.position(999), pos(2, 0));
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut text = String::from("name: é1\nsize: 1Gi\n");
        apply_change(&mut text, Some(Range { start: pos(0, 7), end: pos(0, 8) }), "2");
        assert_eq!(text, "name: é2\nsize: 1Gi\n");
        apply_change(&mut text, Some(Range { start: pos(1, 6), end: pos(1, 9) }), "10Gi\nmore: x");
        assert_eq!(text, "name: é2\nsize: 10Gi\nmore: x\n");
        // A reversed range deletes nothing and inserts at its start.
        apply_change(&mut text, Some(Range { start: pos(0, 2), end: pos(0, 0) }), "-");
        assert_eq!(text, "na-me: é2\nsize: 10Gi\nmore: x\n");
        apply_change(&mut text, None, "whole");
        assert_eq!(text, "whole");
        apply_change(&mut text, Some(Range { start: pos(7, 0), end: pos(9, 0) }), "!");
        assert_eq!(text, "whole!");
    }

    #[test]
    fn touching_ranges_intersect() {
        let a = Range { start: pos(1, 2), end: pos(1, 5) };
        assert!(intersects(&a, &Range { start: pos(1, 5), end: pos(1, 5) }));
        assert!(intersects(&a, &Range { start: pos(0, 0), end: pos(3, 0) }));
        assert!(!intersects(&a, &Range { start: pos(1, 6), end: pos(2, 0) }));
    }
}
