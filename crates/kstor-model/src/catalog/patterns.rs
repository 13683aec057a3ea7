//! The storage pattern table.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A storage pattern, in the terms kstor reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// tmpfs emptyDir.
    EphemeralMemory,
    /// Disk emptyDir, generic ephemeral volume, hostPath.
    EphemeralDisk,
    /// A single-writer block volume.
    RwoBlock,
    /// A shared network file system.
    RwxFile,
    /// configMap/secret/projected or a read-only claim.
    SharedReadOnly,
    /// Storage replicated by the storage layer.
    Distributed,
    /// RWO block with snapshots available.
    RwoSnapshot,
}

impl Pattern {
    /// The pattern's id (`rwo-block`).
    pub fn id(self) -> &'static str {
        match self {
            Pattern::EphemeralMemory => "ephemeral-memory",
            Pattern::EphemeralDisk => "ephemeral-disk",
            Pattern::RwoBlock => "rwo-block",
            Pattern::RwxFile => "rwx-file",
            Pattern::SharedReadOnly => "shared-read-only",
            Pattern::Distributed => "distributed",
            Pattern::RwoSnapshot => "rwo-snapshot",
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One row of the pattern table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatternInfo {
    /// The pattern.
    pub id: Pattern,
    /// Its title (`RWO block`).
    pub title: String,
    /// Consistency model.
    pub consistency: String,
    /// Typical p99 latency class.
    pub latency_p99: String,
    /// How many pods can use one volume.
    pub pods_per_volume: String,
    /// What takes the data down.
    pub failure_domain: String,
    /// How long recovery takes after the failure domain fails.
    pub recovery: String,
    /// One line about it.
    pub summary: String,
}

/// One row of the decision matrix: the pattern a role's data volumes should follow.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    /// The workload role.
    pub role: super::Role,
    /// The scenario in words (`relational / document database`).
    pub scenario: String,
    /// What the recommended pattern costs, roughly.
    pub cost: String,
    /// Patterns that fit, best first.
    pub recommended: Vec<Pattern>,
    /// Patterns that work, with the caveat in `caveats`.
    pub acceptable: Vec<Pattern>,
    /// Why an acceptable pattern is second best.
    pub caveats: std::collections::BTreeMap<Pattern, String>,
    /// Why the recommended patterns fit.
    pub why: String,
}

/// How a volume's pattern compares with the decision matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// A recommended pattern.
    Fits,
    /// An acceptable pattern, with its caveat.
    FitsWithCaveat(String),
    /// Neither: why the recommended one is better.
    Mismatch(String),
    /// The matrix has no row for the role (generic workloads).
    NoRecommendation,
    /// Not a data volume (configuration, sockets, scratch beside the data directory).
    NotData,
}

impl Verdict {
    /// The verdict's word (`fits`, `fits-with-caveat`, `mismatch`, …).
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::FitsWithCaveat(_) => "fits-with-caveat",
            Verdict::Mismatch(_) => "mismatch",
            Verdict::NoRecommendation => "no-recommendation",
            Verdict::NotData => "not-data",
        }
    }

    /// The reason, when there is one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::FitsWithCaveat(r) | Verdict::Mismatch(r) => Some(r),
            _ => None,
        }
    }
}

impl MatrixRow {
    /// Judges a pattern for this role.
    pub fn judge(&self, pattern: Pattern) -> Verdict {
        if self.recommended.contains(&pattern) {
            Verdict::Fits
        } else if self.acceptable.contains(&pattern) {
            Verdict::FitsWithCaveat(self.caveats.get(&pattern).cloned().unwrap_or_default())
        } else {
            Verdict::Mismatch(format!("a {} wants {}: {}", self.scenario, names(&self.recommended), self.why))
        }
    }
}

/// `rwo-block or rwo-snapshot`.
fn names(patterns: &[Pattern]) -> String {
    patterns.iter().map(|p| p.id()).collect::<Vec<_>>().join(" or ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    patterns: Vec<PatternInfo>,
    matrix: Vec<MatrixRow>,
}

/// The pattern table and the decision matrix.
#[derive(Clone, Debug)]
pub struct PatternTable {
    /// Rows in table order.
    pub patterns: Vec<PatternInfo>,
    /// The decision matrix, one row per role (none for `generic`).
    pub matrix: Vec<MatrixRow>,
}

impl PatternTable {
    /// The built-in table from `catalog/patterns.yaml`.
    pub fn builtin() -> PatternTable {
        let file: PatternFile =
            super::parse_data("catalog/patterns.yaml", include_str!("../../../../catalog/patterns.yaml"))
                .unwrap_or_else(|e| panic!("built-in pattern table is invalid: {e}"));
        PatternTable { patterns: file.patterns, matrix: file.matrix }
    }

    /// The decision-matrix row of a role, if it has one.
    pub fn recommendation(&self, role: super::Role) -> Option<&MatrixRow> {
        self.matrix.iter().find(|r| r.role == role)
    }

    /// The row of a pattern.
    pub fn get(&self, pattern: Pattern) -> &PatternInfo {
        self.patterns
            .iter()
            .find(|p| p.id == pattern)
            .expect("the built-in table has every pattern (checked by a test)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_pattern_once() {
        let table = PatternTable::builtin();
        let all = [
            Pattern::EphemeralMemory,
            Pattern::EphemeralDisk,
            Pattern::RwoBlock,
            Pattern::RwxFile,
            Pattern::SharedReadOnly,
            Pattern::Distributed,
            Pattern::RwoSnapshot,
        ];
        assert_eq!(table.patterns.len(), all.len());
        for p in all {
            assert_eq!(table.get(p).id, p);
        }
        assert_eq!(table.get(Pattern::RwxFile).latency_p99, "15–40 ms");
    }

    #[test]
    fn matrix_covers_every_role_but_generic_once_and_is_consistent() {
        use super::super::Role;
        let table = PatternTable::builtin();
        for role in Role::ALL {
            let rows = table.matrix.iter().filter(|r| r.role == role).count();
            assert_eq!(rows, usize::from(role != Role::Generic), "{role}");
        }
        for row in &table.matrix {
            assert!(!row.recommended.is_empty(), "{}", row.role);
            for p in &row.acceptable {
                assert!(!row.recommended.contains(p), "{}: {p} both recommended and acceptable", row.role);
                assert!(
                    row.caveats.get(p).is_some_and(|c| !c.is_empty()),
                    "{}: {p} lacks a caveat",
                    row.role
                );
            }
        }
        let db = table.recommendation(Role::Database).unwrap();
        assert_eq!(db.judge(Pattern::RwoSnapshot), Verdict::Fits);
        assert!(matches!(db.judge(Pattern::RwoBlock), Verdict::FitsWithCaveat(_)));
        assert!(matches!(db.judge(Pattern::RwxFile), Verdict::Mismatch(_)));
        assert!(table.recommendation(Role::Generic).is_none());
    }
}
