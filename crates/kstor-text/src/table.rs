//! The one layout of kstor's plain-text tables: borderless aligned columns, laid out by
//! comfy-table, with no trailing spaces.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, Width, presets::NOTHING};

/// How the cells of a column line up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    /// Flush left (text).
    #[default]
    Left,
    /// Flush right (numbers).
    Right,
}

/// How a table's columns are laid out.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// Written before every line.
    pub indent: &'a str,
    /// Spaces after every column but the last.
    pub gap: u16,
    /// Alignment per column; columns past the end are [`Align::Left`].
    pub align: &'a [Align],
    /// Smallest width per column, gap not included (like `{:>9}`); columns past the end have none.
    pub min_width: &'a [u16],
}

impl Columns<'static> {
    /// Left-aligned columns two spaces apart, without indent.
    pub const PLAIN: Columns<'static> = Columns { indent: "", gap: 2, align: &[], min_width: &[] };
}

impl<'a> Columns<'a> {
    /// The same layout with every line indented by `indent`.
    pub fn indented(self, indent: &'a str) -> Self {
        Columns { indent, ..self }
    }
}

/// Lays `rows` out as aligned columns: each column as wide as its widest cell (at least its
/// `min_width`), followed by `gap` spaces except the last. A header is just the first row.
/// Every line ends with a newline and without trailing spaces; rows may be shorter than others.
pub fn layout<R, C>(rows: R, columns: &Columns<'_>) -> String
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = C>,
    C: Into<String>,
{
    let mut table = Table::new();
    // Never wrap, whatever the terminal: the columns are as wide as their content.
    table.load_preset(NOTHING).set_content_arrangement(ContentArrangement::Disabled);
    for row in rows {
        table.add_row(row.into_iter().map(Into::into).collect::<Vec<String>>());
    }
    let count = table.column_count();
    for (index, column) in table.column_iter_mut().enumerate() {
        let gap = if index + 1 < count { columns.gap } else { 0 };
        column.set_padding((0, gap));
        if columns.align.get(index) == Some(&Align::Right) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        if let Some(&min) = columns.min_width.get(index) {
            // comfy-table's bound includes the padding, that is the gap.
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(min + gap)));
        }
    }
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(columns.indent);
        out.push_str(&line);
        // Trailing spaces of the last column's padding (and of the indent of an empty line).
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell_plus_the_gap() {
        let rows =
            [vec!["NAME", "KIND", "NOTE"], vec!["a", "StatefulSet", "x"], vec!["longer-name", "Pod", ""]];
        assert_eq!(
            layout(rows, &Columns::PLAIN),
            "NAME         KIND         NOTE\na            StatefulSet  x\nlonger-name  Pod\n"
        );
    }

    #[test]
    fn indent_short_rows_and_wide_characters() {
        let rows = vec![vec!["µs", "–", "last"], vec!["a"], vec!["b", "c"]];
        assert_eq!(layout(rows, &Columns::PLAIN.indented("  ")), "  µs  –  last\n  a\n  b   c\n");
    }

    #[test]
    fn right_alignment_and_minimum_widths_like_format_specifiers() {
        let columns = Columns { indent: "", gap: 0, align: &[Align::Left, Align::Right], min_width: &[6, 5] };
        let rows = [vec!["ab", "1"], vec!["abcdefg", "123456"]];
        // A column grows to its widest cell (a format specifier would shift that line only).
        assert_eq!(layout(rows, &columns), "ab          1\nabcdefg123456\n");
        let rows = [vec!["ab", "1"], vec!["abcd", "12"]];
        assert_eq!(layout(rows, &columns), format!("{:<6}{:>5}\n{:<6}{:>5}\n", "ab", "1", "abcd", "12"));
    }

    #[test]
    fn no_rows_no_lines() {
        assert_eq!(layout(Vec::<Vec<String>>::new(), &Columns::PLAIN), "");
    }
}
