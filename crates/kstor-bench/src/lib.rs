//! `kstor bench`: measure the latency percentiles that tell storage patterns apart.
//!
//! Seven profiles ([`Profile`]) time every single operation with [`std::time::Instant`]
//! and record it in an HDR histogram ([`LatencyHistogram`]); a [`Report`] gives per
//! profile the operations, throughput, min/p50/p90/p99/p99.9/max and a [`Verdict`]
//! placing the p99 in the pattern table (memory < 0.5 ms, RWO block 2–8 ms,
//! distributed 5–15 ms, RWX file 15–40 ms).
//!
//! The CLI calls [`run`] with [`BenchArgs`]; an in-cluster probe can use the pieces:
//! [`preflight::check`], [`BenchDir`], [`run_profile`], [`Report::to_json`].
//! The JSON schema is documented in docs/bench.md.

#![warn(missing_docs)]

pub mod args;
pub mod cleanup;
pub mod fs;
pub mod histogram;
pub mod patterns;
pub mod plot;
pub mod preflight;
pub mod profile;
pub mod progress;
pub mod report;
mod run;
pub mod text;
pub mod units;
pub mod verdict;
pub mod workdir;

pub use args::{BenchArgs, Format};
pub use fs::{FsInfo, FsKind, detect};
pub use histogram::{CurvePoint, LatencyHistogram, Percentiles};
pub use preflight::PreflightError;
pub use profile::{Profile, RunOptions, run_profile};
pub use progress::Progress;
pub use report::{HostInfo, ProfileError, ProfileResult, Report, SCHEMA_VERSION, Settings};
pub use run::{EXIT_ERROR, EXIT_OK, required_bytes, run, warnings};
pub use verdict::{Pattern, Placement, Verdict, place, verdict};
pub use workdir::{BenchDir, DirectIo};
