//! The p99 latency classes of kstor's pattern table, read from `catalog/patterns.yaml`, the
//! file `kstor report` and `kstor patterns` show, so that the bench judges with the same ranges.
//!
//! The file is embedded and scanned for the two fields needed (`id`, `latency_p99`) instead of
//! depending on `kstor-model` (and its Kubernetes API types) or on a YAML parser: the rows are
//! plain `key: value` lines, and a test in the `kstor` crate checks that this scan agrees with
//! the model's YAML reading of the same file.

use std::sync::LazyLock;

/// `catalog/patterns.yaml`, as built into the binary.
const PATTERNS_YAML: &str = include_str!("../../../catalog/patterns.yaml");

const MS: f64 = 1e6;

/// A latency class of the table: its text and the half-open range `[low, high)` it means.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyClass {
    /// The pattern's id in the catalog (`rwo-block`).
    pub id: String,
    /// The text of `latency_p99` (`2–8 ms`, `< 0.5 ms`).
    pub text: String,
    /// Lower bound in nanoseconds (inclusive).
    pub low_ns: u64,
    /// Upper bound in nanoseconds (exclusive).
    pub high_ns: u64,
}

/// The `latency_p99` of every pattern row of `yaml` whose value is a range in milliseconds
/// (`a–b ms` or `< b ms`); rows with a description instead (`the node's disk`) are skipped.
pub fn latency_classes(yaml: &str) -> Vec<LatencyClass> {
    let mut classes = Vec::new();
    let mut id = None;
    for line in yaml.lines() {
        if line.starts_with("matrix:") {
            break;
        }
        let line = line.trim_start().trim_start_matches("- ");
        if let Some(value) = line.strip_prefix("id:") {
            id = Some(unquote(value).to_string());
        } else if let Some(value) = line.strip_prefix("latency_p99:") {
            let text = unquote(value);
            if let (Some(id), Some((low_ns, high_ns))) = (id.take(), range_ns(text)) {
                classes.push(LatencyClass { id, text: text.to_string(), low_ns, high_ns });
            }
        }
    }
    classes
}

/// Parses `2–8 ms` (an en dash or a hyphen) or `< 0.5 ms` into nanoseconds.
pub fn range_ns(text: &str) -> Option<(u64, u64)> {
    let number = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    let ms = text.trim().strip_suffix("ms")?;
    let (low, high) = match ms.trim().strip_prefix('<') {
        Some(high) => (0.0, number(high)?),
        None => {
            let (low, high) = ms.split_once(['–', '-'])?;
            (number(low)?, number(high)?)
        }
    };
    (low < high).then_some(((low * MS).round() as u64, (high * MS).round() as u64))
}

fn unquote(value: &str) -> &str {
    value.trim().trim_matches('"')
}

/// The latency classes of the built-in table.
pub fn builtin() -> &'static [LatencyClass] {
    static CLASSES: LazyLock<Vec<LatencyClass>> = LazyLock::new(|| latency_classes(PATTERNS_YAML));
    &CLASSES
}

/// The built-in latency class of a catalog pattern id.
///
/// # Panics
/// When the built-in table has no millisecond range for it (a test checks every pattern the
/// bench judges with).
pub fn class(id: &str) -> &'static LatencyClass {
    builtin()
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("catalog/patterns.yaml gives no p99 range in ms for `{id}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(range_ns("2–8 ms"), Some((2_000_000, 8_000_000)));
        assert_eq!(range_ns("15-40 ms"), Some((15_000_000, 40_000_000)));
        assert_eq!(range_ns("< 0.5 ms"), Some((0, 500_000)));
        for bad in ["the node's disk", "8–2 ms", "2–8 s", "fast", "< ms"] {
            assert_eq!(range_ns(bad), None, "{bad}");
        }
    }

    #[test]
    fn scans_rows_and_skips_descriptions() {
        let yaml = "patterns:\n  - id: a\n    latency_p99: \"< 1 ms\"\n  - id: b\n    latency_p99: the node's disk\n  - id: c\n    title: C\n    latency_p99: 2–3 ms\nmatrix:\n  - id: d\n    latency_p99: 1–2 ms\n";
        let ids: Vec<(String, u64, u64)> =
            latency_classes(yaml).into_iter().map(|c| (c.id, c.low_ns, c.high_ns)).collect();
        assert_eq!(ids, [("a".into(), 0, 1_000_000), ("c".into(), 2_000_000, 3_000_000)]);
    }

    #[test]
    fn builtin_table_has_the_rows_the_verdict_uses() {
        for id in ["ephemeral-memory", "rwo-block", "distributed", "rwx-file"] {
            assert!(class(id).high_ns > 0, "{id}");
        }
    }
}
