//! Source files and byte spans, with line/column resolution.

use std::fmt;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a [`SourceFile`]'s text.
///
/// Offsets are `u32` to keep tree nodes small; the loader refuses files above
/// [`crate::Limits::max_file_bytes`], which is capped at [`crate::MAX_FILE_BYTES`] (4 GiB − 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start: start as u32, end: end as u32 }
    }

    /// An empty span, used for objects that come from an API server rather than a file.
    pub const NONE: Span = Span { start: 0, end: 0 };
}

/// Identifies one loaded source (a file or stdin) within a [`crate::Workspace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A 1-based line and column; columns count Unicode scalar values, as editors do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The text of one input together with the name it was given by ("-" for stdin).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as found while walking a directory); "-" for stdin.
    pub name: String,
    /// The full text.
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Creates a source and indexes its line starts.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Self> {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| (i + 1) as u32));
        Arc::new(SourceFile { name: name.into(), text, line_starts })
    }

    /// Resolves a byte offset to a 1-based line and character column.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let column = self.text[line_start..floor_char_boundary(&self.text, offset as usize)].chars().count();
        LineCol { line: line_index as u32 + 1, column: column as u32 + 1 }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line.max(1) - 1) as usize;
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self.line_starts.get(index + 1).map(|&e| e as usize).unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// Number of lines in the text.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_lines_and_character_columns() {
        let file = SourceFile::new("x.yaml", "a: 1\nb: ☃x\n\nc: 3".to_string());
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(5), LineCol { line: 2, column: 1 });
        // "☃" is three bytes but one column.
        let x = file.text.find('x').unwrap() as u32;
        assert_eq!(file.line_col(x), LineCol { line: 2, column: 5 });
        assert_eq!(file.line_col(file.text.len() as u32), LineCol { line: 4, column: 5 });
        assert_eq!(file.line_text(2), "b: ☃x");
        assert_eq!(file.line_text(3), "");
        assert_eq!(file.line_count(), 4);
    }
}
