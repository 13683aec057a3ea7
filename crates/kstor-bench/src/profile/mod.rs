//! The seven I/O profiles, the measuring loop they share, and [`run_profile`].
//!
//! Every operation is timed on its own with [`Instant`] immediately around the system
//! calls it consists of, and recorded in an HDR histogram.

mod metadata;
mod random;
mod seq;
mod sync;

use std::io;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::cleanup;
use crate::histogram::LatencyHistogram;
use crate::progress::Progress;
use crate::report::ProfileResult;
use crate::units::{format_bytes, format_ns};
use crate::verdict::verdict;
use crate::workdir::{AlignedBuf, BenchDir};

/// A benchmark profile. The names are part of the CLI and JSON contract.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
pub enum Profile {
    /// Sequential 4 KiB writes, each followed by fdatasync: a database's write-ahead log.
    #[serde(rename = "wal")]
    #[value(name = "wal")]
    Wal,
    /// Sequential 2,300-byte writes, each followed by fdatasync: etcd's guideline test.
    #[serde(rename = "fsync-small")]
    #[value(name = "fsync-small")]
    FsyncSmall,
    /// Random 4 KiB reads at queue depth 1, O_DIRECT where allowed.
    #[serde(rename = "randread-4k")]
    #[value(name = "randread-4k")]
    Randread4k,
    /// Random 4 KiB writes at queue depth 1, O_DIRECT where allowed.
    #[serde(rename = "randwrite-4k")]
    #[value(name = "randwrite-4k")]
    Randwrite4k,
    /// Sequential 1 MiB reads: bandwidth.
    #[serde(rename = "seq-read")]
    #[value(name = "seq-read")]
    SeqRead,
    /// Sequential 1 MiB writes: bandwidth.
    #[serde(rename = "seq-write")]
    #[value(name = "seq-write")]
    SeqWrite,
    /// Create + write 4 KiB + fsync + rename + unlink of a small file.
    #[serde(rename = "metadata")]
    #[value(name = "metadata")]
    Metadata,
}

impl Profile {
    /// All profiles, in the order a run executes them.
    pub const ALL: [Profile; 7] = [
        Profile::Wal,
        Profile::FsyncSmall,
        Profile::Randread4k,
        Profile::Randwrite4k,
        Profile::SeqRead,
        Profile::SeqWrite,
        Profile::Metadata,
    ];

    /// The profile's name as on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Wal => "wal",
            Profile::FsyncSmall => "fsync-small",
            Profile::Randread4k => "randread-4k",
            Profile::Randwrite4k => "randwrite-4k",
            Profile::SeqRead => "seq-read",
            Profile::SeqWrite => "seq-write",
            Profile::Metadata => "metadata",
        }
    }

    /// Bytes moved by one operation.
    pub fn block_size(self) -> u64 {
        match self {
            Profile::FsyncSmall => 2300,
            Profile::SeqRead | Profile::SeqWrite => 1 << 20,
            _ => 4096,
        }
    }

    /// What one operation is.
    pub fn description(self) -> &'static str {
        match self {
            Profile::Wal => "sequential 4 KiB write + fdatasync (database write-ahead log)",
            Profile::FsyncSmall => "sequential 2300 B write + fdatasync (etcd guideline test)",
            Profile::Randread4k => "random 4 KiB read, queue depth 1",
            Profile::Randwrite4k => "random 4 KiB write, queue depth 1",
            Profile::SeqRead => "sequential 1 MiB read",
            Profile::SeqWrite => "sequential 1 MiB write",
            Profile::Metadata => "create + write 4 KiB + fsync + rename + unlink",
        }
    }

    /// True for the profiles that also report the fdatasync latency alone.
    pub fn has_sync_latency(self) -> bool {
        matches!(self, Profile::Wal | Profile::FsyncSmall)
    }

    /// True for the profiles that read the shared laid-out data file.
    pub fn reads(self) -> bool {
        matches!(self, Profile::Randread4k | Profile::SeqRead)
    }

    /// True for the profiles that try O_DIRECT.
    pub fn uses_direct_io(self) -> bool {
        matches!(self, Profile::Randread4k | Profile::Randwrite4k | Profile::SeqRead | Profile::SeqWrite)
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How long and on how much data a profile runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Measuring time of the profile (layout of the data file not included).
    pub duration: Duration,
    /// Size of the test file; random offsets and sequential passes stay within it.
    pub size: u64,
    /// Stop after this many operations even if time remains.
    pub max_ops: Option<u64>,
    /// Use O_DIRECT where the filesystem accepts it (false forces buffered I/O).
    pub allow_direct_io: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { duration: Duration::from_secs(4), size: 256 << 20, max_ops: None, allow_direct_io: true }
    }
}

/// Runs one profile in `dir` and returns its result. Files the profile creates are
/// removed when it ends, except the shared data file, which lives as long as `dir`.
/// Fails with [`io::ErrorKind::Interrupted`] when Ctrl-C arrives.
pub fn run_profile(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<ProfileResult> {
    let measured = match profile {
        Profile::Wal | Profile::FsyncSmall => sync::run(dir, profile, opts, progress)?,
        Profile::Randread4k | Profile::Randwrite4k => random::run(dir, profile, opts, progress)?,
        Profile::SeqRead | Profile::SeqWrite => seq::run(dir, profile, opts, progress)?,
        Profile::Metadata => metadata::run(dir, profile, opts, progress)?,
    };
    Ok(measured.into_result(profile))
}

/// Whether the profile may use O_DIRECT in `dir`, and the note to add when it cannot.
fn direct_io_choice(dir: &BenchDir, opts: &RunOptions) -> (bool, Option<String>) {
    if !opts.allow_direct_io {
        return (false, Some("O_DIRECT disabled: buffered I/O".to_string()));
    }
    match dir.direct_io() {
        crate::workdir::DirectIo::Supported => (true, None),
        crate::workdir::DirectIo::Unsupported(why) => (
            false,
            Some(format!(
                "O_DIRECT not supported here ({why}): buffered I/O, the page cache may serve or absorb some operations"
            )),
        ),
    }
}

/// The laid-out data file, opened for one data profile (`randread-4k`, `seq-write`, …).
struct DataFile {
    file: std::fs::File,
    size: u64,
    /// Whether the file is open with O_DIRECT.
    direct: bool,
    /// Why O_DIRECT is not used, when it is not.
    note: Option<String>,
}

impl DataFile {
    /// Lays out (or reuses) the data file and opens it for reading or for writing, with
    /// O_DIRECT where the filesystem and the options allow it.
    fn open(dir: &mut BenchDir, opts: &RunOptions, progress: &Progress, write: bool) -> io::Result<Self> {
        let (direct, note) = direct_io_choice(dir, opts);
        let (path, size) = dir.data_file(opts.size, progress)?;
        let file = crate::workdir::open(&path, !write, write, direct)?;
        Ok(DataFile { file, size, direct, note })
    }

    /// One transfer of `buf` at `offset`: a write or a read.
    fn transfer(&self, write: bool, buf: &mut AlignedBuf, offset: u64) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        if write {
            self.file.write_all_at(buf.as_slice(), offset)
        } else {
            self.file.read_exact_at(buf.as_mut_slice(), offset)
        }
    }
}

/// What a profile's loop measured.
struct Measured {
    latency: LatencyHistogram,
    sync: Option<LatencyHistogram>,
    ops: u64,
    bytes: u64,
    elapsed: Duration,
    direct_io: bool,
    notes: Vec<String>,
}

impl Measured {
    fn into_result(self, profile: Profile) -> ProfileResult {
        let latency = self.latency.percentiles().expect("the loop always completes at least one operation");
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let bytes_per_sec = self.bytes as f64 / secs;
        ProfileResult {
            profile,
            description: profile.description().to_string(),
            block_size_bytes: profile.block_size(),
            direct_io: self.direct_io,
            ops: self.ops,
            bytes: self.bytes,
            elapsed_s: secs,
            ops_per_sec: self.ops as f64 / secs,
            bytes_per_sec,
            latency_ns: latency,
            sync_latency_ns: self.sync.as_ref().and_then(LatencyHistogram::percentiles),
            verdict: verdict(profile, latency.p99, bytes_per_sec),
            notes: self.notes,
            curve: self.latency.curve(),
        }
    }
}

/// The shared measuring state: histograms, counters, deadline and progress bar.
struct Meter {
    latency: LatencyHistogram,
    sync: Option<LatencyHistogram>,
    ops: u64,
    bytes: u64,
    start: Instant,
    deadline: Instant,
    max_ops: u64,
    bar: ProgressBar,
    next_tick: Instant,
}

/// Progress bar refresh interval.
const TICK: Duration = Duration::from_millis(100);

impl Meter {
    fn new(profile: Profile, opts: &RunOptions, progress: &Progress) -> Self {
        let start = Instant::now();
        Self {
            latency: LatencyHistogram::new(),
            sync: profile.has_sync_latency().then(LatencyHistogram::new),
            ops: 0,
            bytes: 0,
            start,
            deadline: start + opts.duration,
            max_ops: opts.max_ops.unwrap_or(u64::MAX),
            bar: progress.bar(profile.name(), opts.duration.as_millis() as u64),
            next_tick: start,
        }
    }

    /// Records one operation that ran from `start` to `end` and moved `bytes`.
    #[inline]
    fn record(&mut self, start: Instant, end: Instant, bytes: u64) {
        self.latency.record(end - start);
        self.ops += 1;
        self.bytes += bytes;
    }

    /// Records the fdatasync part of the last operation.
    #[inline]
    fn record_sync(&mut self, start: Instant, end: Instant) {
        if let Some(s) = &mut self.sync {
            s.record(end - start);
        }
    }

    /// Whether to run another operation after one that ended at `now`.
    #[inline]
    fn keep_going(&mut self, now: Instant) -> io::Result<bool> {
        if cleanup::interrupted() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        if now >= self.next_tick {
            self.tick(now);
        }
        Ok(now < self.deadline && self.ops < self.max_ops)
    }

    #[cold]
    fn tick(&mut self, now: Instant) {
        self.next_tick = now + TICK;
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_position((now - self.start).as_millis() as u64);
        let p99 = self.latency.quantile_ns(0.99).map(format_ns).unwrap_or_default();
        self.bar.set_message(format!("{} ops, {}, p99 {p99}", self.ops, format_bytes(self.bytes as f64)));
    }

    fn finish(self, direct_io: bool, notes: Vec<String>) -> Measured {
        self.bar.finish_and_clear();
        Measured {
            elapsed: self.start.elapsed(),
            latency: self.latency,
            sync: self.sync,
            ops: self.ops,
            bytes: self.bytes,
            direct_io,
            notes,
        }
    }
}
