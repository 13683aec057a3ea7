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
    /// One line about it.
    pub summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    patterns: Vec<PatternInfo>,
}

/// The pattern table.
#[derive(Clone, Debug)]
pub struct PatternTable {
    /// Rows in table order.
    pub patterns: Vec<PatternInfo>,
}

impl PatternTable {
    /// The built-in table from `catalog/patterns.yaml`.
    pub fn builtin() -> PatternTable {
        let file: PatternFile =
            super::parse_data("catalog/patterns.yaml", include_str!("../../../../catalog/patterns.yaml"))
                .unwrap_or_else(|e| panic!("built-in pattern table is invalid: {e}"));
        PatternTable { patterns: file.patterns }
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
}
