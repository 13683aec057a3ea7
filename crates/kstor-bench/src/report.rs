//! The benchmark report: the structs that serialize to the documented JSON schema
//! (docs/bench.md), and its JSON encoding. Text rendering is in [`crate::text`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fs::FsInfo;
use crate::histogram::{CurvePoint, Percentiles};
use crate::profile::Profile;
use crate::verdict::Verdict;

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole `kstor bench` run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `kstor-bench`.
    pub tool: String,
    /// Version of the crate that produced the report.
    pub tool_version: String,
    /// The benchmarked directory, as given.
    pub path: PathBuf,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// What the directory is stored on.
    pub filesystem: FsInfo,
    /// The machine that ran the benchmark.
    pub host: HostInfo,
    /// The settings of the run.
    pub settings: Settings,
    /// Things that make figures less representative (cache, tmpfs, …).
    pub warnings: Vec<String>,
    /// One entry per profile that completed, in run order.
    pub profiles: Vec<ProfileResult>,
    /// Profiles that failed, with the error.
    pub errors: Vec<ProfileError>,
}

/// The machine the benchmark ran on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// CPUs available to the process.
    pub cpus: usize,
    /// `MemAvailable` at the start, in bytes (how much the page cache could hold).
    pub mem_available_bytes: Option<u64>,
    /// Kernel release (`uname -r`).
    pub kernel: Option<String>,
}

impl HostInfo {
    /// Reads the current machine's facts.
    pub fn current() -> Self {
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            mem_available_bytes: crate::fs::mem_available_bytes(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_string()),
        }
    }
}

/// The settings of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Measuring time per profile, in milliseconds.
    pub duration_ms: u64,
    /// Size of the test files, in bytes.
    pub size_bytes: u64,
    /// The profiles requested, in run order.
    pub profiles: Vec<Profile>,
}

/// The result of one profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileResult {
    /// Which profile.
    pub profile: Profile,
    /// What one operation is.
    pub description: String,
    /// Bytes moved by one operation.
    pub block_size_bytes: u64,
    /// Whether O_DIRECT was used.
    pub direct_io: bool,
    /// Operations completed.
    pub ops: u64,
    /// Bytes read or written by them.
    pub bytes: u64,
    /// Wall time of the measuring loop, in seconds.
    pub elapsed_s: f64,
    /// `ops / elapsed_s`.
    pub ops_per_sec: f64,
    /// `bytes / elapsed_s`.
    pub bytes_per_sec: f64,
    /// Latency of a whole operation, in nanoseconds.
    pub latency_ns: Percentiles,
    /// `wal` and `fsync-small` only: latency of the fdatasync alone, in nanoseconds.
    pub sync_latency_ns: Option<Percentiles>,
    /// Where the p99 of `latency_ns` places the path and what it suits.
    pub verdict: Verdict,
    /// Profile-specific remarks (e.g. buffered I/O fallback).
    pub notes: Vec<String>,
    /// The full percentile curve for plots; not serialized.
    #[serde(skip)]
    pub curve: Vec<CurvePoint>,
}

/// A profile that could not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileError {
    /// Which profile.
    pub profile: Profile,
    /// The error, one line.
    pub error: String,
}

impl Report {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// Parses a report from JSON (e.g. collected from an in-cluster probe).
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }
}
