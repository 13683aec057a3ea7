//! The command-line arguments of `kstor bench`.

use std::path::PathBuf;
use std::time::Duration;

use crate::profile::{Profile, RunOptions};
use crate::units::{format_bytes, parse_duration, parse_size};

/// Smallest accepted `--size`: one 1 MiB block for the sequential profiles.
pub const MIN_SIZE: u64 = 1 << 20;

/// Output format of the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned table with verdicts, for people.
    #[default]
    Text,
    /// The JSON document described in docs/bench.md, for programs.
    Json,
}

/// Measure the latency percentiles that tell storage patterns apart.
///
/// Runs each profile for `--duration` in a hidden directory created in PATH, then
/// removes it (Ctrl-C included).
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct BenchArgs {
    /// Directory to benchmark: a writable directory on the storage to measure.
    pub path: PathBuf,

    /// Profile to run; repeat the flag for several [default: all, in the listed order].
    #[arg(long = "profile", value_name = "PROFILE", value_enum)]
    pub profiles: Vec<Profile>,

    /// Measuring time of each profile, e.g. 20s, 500ms, 1m (the default makes the seven
    /// profiles take about 30 s together).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "4s")]
    pub duration: Duration,

    /// Size of the test file, e.g. 256MiB, 1GiB; make it larger than RAM to keep
    /// buffered reads out of the page cache.
    #[arg(long, value_name = "SIZE", value_parser = parse_test_size, default_value = "256MiB")]
    pub size: u64,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Also draw the latency distributions (log-scale percentile plots) to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Do not draw progress bars (they only appear when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

impl BenchArgs {
    /// Arguments for `path` with every option at its default.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            profiles: Vec::new(),
            duration: Duration::from_secs(4),
            size: 256 << 20,
            format: Format::Text,
            plot: None,
            no_progress: false,
        }
    }

    /// The profiles to run: the requested ones without duplicates in canonical order,
    /// or all of them.
    pub fn selected_profiles(&self) -> Vec<Profile> {
        if self.profiles.is_empty() {
            return Profile::ALL.to_vec();
        }
        let mut p = self.profiles.clone();
        p.sort();
        p.dedup();
        p
    }

    /// The per-profile options these arguments stand for.
    pub fn run_options(&self) -> RunOptions {
        RunOptions { duration: self.duration, size: self.size, ..RunOptions::default() }
    }
}

/// `--size` parser: a size of at least [`MIN_SIZE`].
pub fn parse_test_size(s: &str) -> Result<u64, String> {
    let size = parse_size(s)?;
    if size < MIN_SIZE {
        return Err(format!("size {s:?} is too small: at least {} is needed", format_bytes(MIN_SIZE as f64)));
    }
    Ok(size)
}
