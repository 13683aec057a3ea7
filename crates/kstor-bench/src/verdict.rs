//! Placing a measured p99 in the storage pattern table and saying what the path suits.
//!
//! The table's p99 ranges are kstor's, from `catalog/patterns.yaml` (see [`crate::patterns`]):
//! memory (`ephemeral-memory`), RWO block, distributed and RWX file. Every range is half-open,
//! `[low, high)`; with the built-in table (< 0.5, 2–8, 5–15 and 15–40 ms), 8 ms is distributed
//! only, 15 ms is RWX file only, 40 ms is beyond the table, and RWO block and distributed
//! overlap on `[5, 8)` ms.

use serde::{Deserialize, Serialize};

use crate::patterns::{LatencyClass, class};
use crate::profile::Profile;
use crate::units::format_ns;

/// etcd's guideline: the 99th percentile of WAL fdatasync should stay below 10 ms.
pub const ETCD_GUIDELINE_NS: u64 = 10_000_000;

/// A row of the pattern table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// tmpfs, page cache (`ephemeral-memory`).
    Memory,
    /// A ReadWriteOnce block volume (cloud disk, local SSD behind a CSI driver).
    RwoBlock,
    /// Replicated distributed block or file storage (Ceph RBD, Longhorn…).
    Distributed,
    /// ReadWriteMany file storage (NFS, EFS, Azure Files…).
    RwxFile,
}

/// The table, in order of increasing latency.
pub const PATTERN_TABLE: [Pattern; 4] =
    [Pattern::Memory, Pattern::RwoBlock, Pattern::Distributed, Pattern::RwxFile];

impl Pattern {
    /// The pattern's id in `catalog/patterns.yaml`.
    pub fn catalog_id(self) -> &'static str {
        match self {
            Pattern::Memory => "ephemeral-memory",
            Pattern::RwoBlock => "rwo-block",
            Pattern::Distributed => "distributed",
            Pattern::RwxFile => "rwx-file",
        }
    }

    /// The row's latency class in the catalog.
    pub fn latency(self) -> &'static LatencyClass {
        class(self.catalog_id())
    }

    /// The p99 range `[low, high)` of the row, in nanoseconds.
    pub fn range_ns(self) -> (u64, u64) {
        let c = self.latency();
        (c.low_ns, c.high_ns)
    }

    /// The row's name: `RWO block`.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Memory => "memory",
            Pattern::RwoBlock => "RWO block",
            Pattern::Distributed => "distributed",
            Pattern::RwxFile => "RWX file",
        }
    }

    /// Human name with its range: `RWO block (2–8 ms)`.
    pub fn label(self) -> String {
        format!("{} ({})", self.name(), self.latency().text)
    }
}

/// Where a p99 falls relative to the table, including its gaps and overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// In the memory row (`< 0.5 ms`).
    Memory,
    /// Between memory and RWO block (`[0.5, 2) ms`), typical of local NVMe/SSD.
    BetweenMemoryAndRwoBlock,
    /// In the RWO block row only (`[2, 5) ms`).
    RwoBlock,
    /// Where RWO block and distributed overlap (`[5, 8) ms`).
    RwoBlockOrDistributed,
    /// In the distributed row only (`[8, 15) ms`).
    Distributed,
    /// In the RWX file row (`[15, 40) ms`).
    RwxFile,
    /// Beyond the RWX file row (`≥ 40 ms`).
    SlowerThanRwxFile,
}

/// Milliseconds as the table writes them: `0.5`, `2`, `15`.
fn ms(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ms.fract() == 0.0 { format!("{ms:.0}") } else { format!("{ms}") }
}

impl Placement {
    /// How the report phrases the placement.
    pub fn describe(self) -> String {
        let text = |p: Pattern| &p.latency().text;
        let (memory, rwo, distributed, rwx) =
            (Pattern::Memory, Pattern::RwoBlock, Pattern::Distributed, Pattern::RwxFile);
        match self {
            Placement::Memory => {
                format!("memory-class, {}: tmpfs, page cache or local NVMe", text(memory))
            }
            Placement::BetweenMemoryAndRwoBlock => format!(
                "between memory and RWO block, {}–{} ms: fast local SSD/NVMe",
                ms(memory.range_ns().1),
                ms(rwo.range_ns().0)
            ),
            Placement::RwoBlock => format!("RWO block, {}", text(rwo)),
            Placement::RwoBlockOrDistributed => format!(
                "RWO block or distributed, {}–{} ms overlap",
                ms(distributed.range_ns().0),
                ms(rwo.range_ns().1)
            ),
            Placement::Distributed => format!("distributed, {}", text(distributed)),
            Placement::RwxFile => format!("RWX file, {}", text(rwx)),
            Placement::SlowerThanRwxFile => {
                format!("slower than RWX file storage, ≥ {} ms", ms(rwx.range_ns().1))
            }
        }
    }
}

/// The rows of the table whose range contains `p99_ns` (zero, one or two rows).
pub fn matching_patterns(p99_ns: u64) -> Vec<Pattern> {
    PATTERN_TABLE
        .into_iter()
        .filter(|p| {
            let (low, high) = p.range_ns();
            (low..high).contains(&p99_ns)
        })
        .collect()
}

/// Places a p99 latency in the pattern table.
///
/// The placements name the table's shape: memory, a gap, RWO block overlapping distributed,
/// and RWX file right after distributed (a test in `tests/verdict.rs` checks the built-in table
/// has that shape).
pub fn place(p99_ns: u64) -> Placement {
    match matching_patterns(p99_ns).as_slice() {
        [Pattern::Memory] => Placement::Memory,
        [Pattern::RwoBlock] => Placement::RwoBlock,
        [Pattern::RwoBlock, Pattern::Distributed] => Placement::RwoBlockOrDistributed,
        [Pattern::Distributed] => Placement::Distributed,
        [Pattern::RwxFile] => Placement::RwxFile,
        _ if p99_ns < Pattern::RwoBlock.range_ns().0 => Placement::BetweenMemoryAndRwoBlock,
        _ => Placement::SlowerThanRwxFile,
    }
}

/// The verdict on one profile's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The p99 the verdict is based on, in milliseconds.
    pub p99_ms: f64,
    /// Where it falls in the table.
    pub placement: Placement,
    /// The table rows whose range contains it (empty in the gaps).
    pub patterns: Vec<Pattern>,
    /// For `wal` and `fsync-small`: whether p99 is below etcd's 10 ms guideline.
    pub meets_etcd_guideline: Option<bool>,
    /// One sentence: figure, placement, what the path suits.
    pub summary: String,
}

/// Builds the verdict for `profile` from its p99 latency (of a whole operation) and its
/// throughput in bytes per second (used for the sequential profiles).
pub fn verdict(profile: Profile, p99_ns: u64, bytes_per_sec: f64) -> Verdict {
    let placement = place(p99_ns);
    let p99 = format_ns(p99_ns);
    let fast = matches!(placement, Placement::Memory | Placement::BetweenMemoryAndRwoBlock);
    let mut meets_etcd_guideline = None;
    let summary = match profile {
        Profile::Wal | Profile::FsyncSmall => {
            let ok = p99_ns < ETCD_GUIDELINE_NS;
            meets_etcd_guideline = Some(ok);
            let label = if profile == Profile::Wal { "WAL" } else { "2300-byte fdatasync write" };
            let suits = match (ok, fast) {
                (true, true) => "within the 10 ms etcd guideline; suits etcd and busy database WALs",
                (true, false) => {
                    "within the 10 ms etcd guideline; suits etcd and moderately busy database WALs"
                }
                (false, _) => {
                    "above the 10 ms etcd guideline; fine for bulk data, not for a busy database's WAL"
                }
            };
            format!("{label} p99 {p99} ({}): {suits}", placement.describe())
        }
        Profile::Randread4k | Profile::Randwrite4k => {
            let label =
                if profile == Profile::Randread4k { "4 KiB random read" } else { "4 KiB random write" };
            let suits = match placement {
                Placement::Memory | Placement::BetweenMemoryAndRwoBlock => {
                    "suits latency-sensitive databases"
                }
                Placement::RwoBlock => "suits databases and general application data",
                Placement::RwoBlockOrDistributed | Placement::Distributed => {
                    "suits application data and moderate databases; busy OLTP will feel it"
                }
                Placement::RwxFile => "suits shared files, media and home directories, not databases",
                Placement::SlowerThanRwxFile => "suits archives and backups only",
            };
            format!("{label} p99 {p99} ({}): {suits}", placement.describe())
        }
        Profile::SeqRead | Profile::SeqWrite => {
            let label = if profile == Profile::SeqRead { "sequential read" } else { "sequential write" };
            let mib = bytes_per_sec / (1024.0 * 1024.0);
            let suits = if mib < 50.0 {
                "low bandwidth: logs and small backups only"
            } else if mib < 200.0 {
                "suits backups and bulk data at moderate rates"
            } else if mib < 1000.0 {
                "suits bulk data, analytics and streaming"
            } else {
                "memory- or NVMe-class bandwidth"
            };
            format!("{label} {mib:.0} MiB/s (1 MiB block p99 {p99}): {suits}")
        }
        Profile::Metadata => {
            let suits = match placement {
                Placement::Memory | Placement::BetweenMemoryAndRwoBlock => {
                    "suits small-file-heavy work (builds, package installs, git)"
                }
                Placement::RwoBlock => "fine for small-file workloads",
                Placement::RwoBlockOrDistributed | Placement::Distributed => {
                    "small-file-heavy work (CI caches, node_modules, git) will be slow"
                }
                Placement::RwxFile | Placement::SlowerThanRwxFile => {
                    "typical of RWX file storage: keep small-file-heavy work (builds, git, package installs) off it"
                }
            };
            format!("small-file create+fsync+rename+unlink p99 {p99} ({}): {suits}", placement.describe())
        }
    };
    Verdict {
        p99_ms: p99_ns as f64 / 1e6,
        placement,
        patterns: matching_patterns(p99_ns),
        meets_etcd_guideline,
        summary,
    }
}
