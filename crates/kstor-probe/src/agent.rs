//! `kstor agent`: what the probe's pods run (write, verify, stat), so that the data path is
//! kstor's own tested code rather than a shell script in a YAML string.
//!
//! The result is one JSON line on stdout and in the termination log
//! (`/dev/termination-log`), which the kubelet copies into the pod's status: the probe reads
//! it with one GET, without exec, port-forward or log access.
//!
//! The written data is random (incompressible, so neither compression nor deduplication in
//! the storage system can fake it), split into files, each fsynced, then the directory fsynced
//! (a file's directory entry is durable only after that). The checksum covers every file's
//! name, length and content, in name order, so a missing, truncated, renamed or changed file
//! changes it.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Prefix of the data files the agent writes and verifies.
pub const FILE_PREFIX: &str = "kstor-probe-";
/// The kubelet's default termination message path.
pub const TERMINATION_LOG: &str = "/dev/termination-log";
/// Exit code: the data differs from what was written.
pub const EXIT_MISMATCH: u8 = 1;
/// Exit code: the agent could not do its job (I/O error, bad arguments).
pub const EXIT_ERROR: u8 = 2;

/// `kstor agent`: run by the probe's pods.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// What to do.
    #[command(subcommand)]
    pub op: AgentOp,
    /// Where the JSON result is also written (the kubelet reads it into the pod status).
    #[arg(long, global = true, value_name = "FILE", default_value = TERMINATION_LOG)]
    pub termination_log: PathBuf,
}

/// The agent's operations.
#[derive(Debug, Clone, Subcommand)]
pub enum AgentOp {
    /// Write random data in files, fsync them and the directory, print the checksum.
    Write {
        /// The directory on the volume.
        #[arg(long)]
        dir: PathBuf,
        /// How many bytes in all.
        #[arg(long)]
        bytes: u64,
        /// Into how many files.
        #[arg(long, default_value_t = 8)]
        files: u32,
    },
    /// Read the files back and compare their checksum with the written one.
    Verify {
        /// The directory on the volume.
        #[arg(long)]
        dir: PathBuf,
        /// The checksum `write` printed.
        #[arg(long)]
        expect: String,
    },
    /// Keep the volume mounted for a while (the access-modes check's first pod), then report.
    Hold {
        /// The directory on the volume.
        #[arg(long)]
        dir: PathBuf,
        /// How long, in seconds.
        #[arg(long, default_value_t = 300)]
        seconds: u64,
    },
    /// Storage latency percentiles on the volume (`kstor bench`), placed in the pattern table.
    Bench {
        /// The directory on the volume.
        #[arg(long)]
        dir: PathBuf,
        /// Profiles to run.
        #[arg(long = "profile", value_enum, default_values = ["wal", "randread-4k"])]
        profiles: Vec<kstor_bench::Profile>,
        /// Measuring time per profile, in milliseconds.
        #[arg(long, default_value_t = 4000)]
        millis: u64,
        /// Test file size in bytes.
        #[arg(long, default_value_t = 64 << 20)]
        size: u64,
    },
    /// The filesystem's size and free space (after an expansion).
    Stat {
        /// The directory on the volume.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// What the agent reports (one JSON object).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    /// `write`, `verify` or `stat`.
    pub op: String,
    /// Data files written or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u32>,
    /// Bytes written or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// SHA-256 of the data (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Whether the data matched (verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<bool>,
    /// Filesystem size in bytes (stat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_bytes: Option<u64>,
    /// Bytes available to the agent (stat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_bytes: Option<u64>,
    /// How long the operation took, in milliseconds.
    pub millis: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `bench`: per profile, its latency and where it falls in the pattern table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bench: Vec<BenchResult>,
}

/// One profile of `kstor agent bench`, small enough for a termination message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// The profile (`wal`, `randread-4k`).
    pub profile: String,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// The patterns of kstor's table whose p99 range holds it (`rwo-block`, …).
    pub patterns: Vec<String>,
    /// kstor bench's verdict, one sentence.
    pub verdict: String,
}

/// The agent's result: exit code and report.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentExit {
    /// 0 done, [`EXIT_MISMATCH`], [`EXIT_ERROR`].
    pub code: u8,
    /// The report.
    pub report: AgentReport,
}

impl AgentExit {
    /// The report as the one-line JSON termination message.
    pub fn message(&self) -> String {
        serde_json::to_string(&self.report).expect("a report always serialises")
    }
}

/// Runs one operation (no output: see [`run`]).
pub fn execute(op: &AgentOp) -> AgentExit {
    let start = Instant::now();
    let (name, outcome) = match op {
        AgentOp::Write { dir, bytes, files } => ("write", write(dir, *bytes, *files)),
        AgentOp::Verify { dir, expect } => ("verify", verify(dir, expect)),
        AgentOp::Stat { dir } => ("stat", stat(dir)),
        AgentOp::Bench { dir, profiles, millis, size } => ("bench", bench(dir, profiles, *millis, *size)),
        AgentOp::Hold { dir, seconds } => {
            std::thread::sleep(std::time::Duration::from_secs(*seconds));
            ("hold", stat(dir).map(|_| AgentReport::default()))
        }
    };
    let millis = start.elapsed().as_millis() as u64;
    match outcome {
        Ok(mut report) => {
            report.op = name.to_string();
            report.millis = millis;
            let code = if report.matches == Some(false) { EXIT_MISMATCH } else { 0 };
            AgentExit { code, report }
        }
        Err(e) => AgentExit {
            code: EXIT_ERROR,
            report: AgentReport { op: name.into(), millis, error: Some(e), ..AgentReport::default() },
        },
    }
}

/// `kstor agent`: executes, prints the report and writes it to the termination log (when its
/// directory exists: outside a pod there is none); returns the exit code.
pub fn run(args: &AgentArgs) -> u8 {
    let exit = execute(&args.op);
    let message = exit.message();
    println!("{message}");
    if args.termination_log.parent().is_some_and(Path::exists)
        && let Err(e) = fs::write(&args.termination_log, &message)
    {
        eprintln!("kstor agent: cannot write {}: {e}", args.termination_log.display());
    }
    exit.code
}

fn write(dir: &Path, bytes: u64, files: u32) -> Result<AgentReport, String> {
    if files == 0 {
        return Err("--files must be at least 1".into());
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // Start from an empty set: leftovers of an earlier writer would change the checksum.
    for path in data_files(dir)? {
        fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut rng = fastrand::Rng::new();
    let mut buffer = vec![0u8; 1 << 20];
    let per_file = bytes / u64::from(files);
    for index in 0..files {
        // The last file takes the remainder.
        let size = if index + 1 == files { bytes - per_file * u64::from(files - 1) } else { per_file };
        let path = dir.join(format!("{FILE_PREFIX}{index:04}.bin"));
        let mut file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut left = size;
        while left > 0 {
            let n = left.min(buffer.len() as u64) as usize;
            rng.fill(&mut buffer[..n]);
            file.write_all(&buffer[..n]).map_err(|e| format!("{}: {e}", path.display()))?;
            left -= n as u64;
        }
        file.sync_all().map_err(|e| format!("fsync {}: {e}", path.display()))?;
    }
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| format!("fsync {}: {e}", dir.display()))?;
    let (sha256, files, bytes) = checksum(dir)?;
    Ok(AgentReport { files: Some(files), bytes: Some(bytes), sha256: Some(sha256), ..AgentReport::default() })
}

fn verify(dir: &Path, expect: &str) -> Result<AgentReport, String> {
    let (sha256, files, bytes) = checksum(dir)?;
    let matches = sha256.eq_ignore_ascii_case(expect.trim());
    Ok(AgentReport {
        files: Some(files),
        bytes: Some(bytes),
        sha256: Some(sha256),
        matches: Some(matches),
        ..AgentReport::default()
    })
}

fn bench(
    dir: &Path,
    profiles: &[kstor_bench::Profile],
    millis: u64,
    size: u64,
) -> Result<AgentReport, String> {
    let mut args = kstor_bench::BenchArgs::new(dir);
    args.profiles = profiles.to_vec();
    args.duration = std::time::Duration::from_millis(millis);
    args.size = size;
    args.format = kstor_bench::Format::Json;
    args.no_progress = true;
    let mut out = Vec::new();
    kstor_bench::run(&args, &mut out).map_err(|e| format!("kstor bench: {e:#}"))?;
    let text = String::from_utf8_lossy(&out);
    let report = kstor_bench::Report::from_json(&text).map_err(|e| format!("kstor bench's report: {e}"))?;
    let results = report
        .profiles
        .iter()
        .map(|r| BenchResult {
            profile: serde_json::to_value(r.profile)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            p50_ms: r.latency_ns.p50 as f64 / 1e6,
            p99_ms: r.latency_ns.p99 as f64 / 1e6,
            patterns: r.verdict.patterns.iter().map(|p| p.catalog_id().to_string()).collect(),
            verdict: r.verdict.summary.clone(),
        })
        .collect();
    if let Some(error) = report.errors.first() {
        return Err(format!("kstor bench: {}", error.error));
    }
    Ok(AgentReport { bench: results, ..AgentReport::default() })
}

fn stat(dir: &Path) -> Result<AgentReport, String> {
    let stats = rustix::fs::statvfs(dir).map_err(|e| format!("statvfs {}: {e}", dir.display()))?;
    Ok(AgentReport {
        capacity_bytes: Some(stats.f_blocks.saturating_mul(stats.f_frsize)),
        available_bytes: Some(stats.f_bavail.saturating_mul(stats.f_frsize)),
        ..AgentReport::default()
    })
}

/// The data files of a directory, in name order.
fn data_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(FILE_PREFIX) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// SHA-256 over every data file's name, length and content, in name order; with the file
/// count and total bytes.
pub fn checksum(dir: &Path) -> Result<(String, u32, u64), String> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let files = data_files(dir)?;
    let mut buffer = vec![0u8; 1 << 20];
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(len.to_le_bytes());
        let mut read = 0u64;
        loop {
            let n = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("{}: {e}", path.display())),
            };
            hasher.update(&buffer[..n]);
            read += n as u64;
        }
        if read != len {
            return Err(format!("{}: read {read} bytes of {len}", path.display()));
        }
        total += len;
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, files.len() as u32, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_op(dir: &Path, bytes: u64, files: u32) -> AgentExit {
        execute(&AgentOp::Write { dir: dir.to_path_buf(), bytes, files })
    }

    fn verify_op(dir: &Path, expect: &str) -> AgentExit {
        execute(&AgentOp::Verify { dir: dir.to_path_buf(), expect: expect.to_string() })
    }

    #[test]
    fn what_is_written_verifies_and_sizes_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_op(dir.path(), 3 * 1024 * 1024 + 7, 3);
        assert_eq!(written.code, 0, "{:?}", written.report);
        assert_eq!(written.report.files, Some(3));
        assert_eq!(written.report.bytes, Some(3 * 1024 * 1024 + 7));
        let on_disk: u64 = data_files(dir.path()).unwrap().iter().map(|p| p.metadata().unwrap().len()).sum();
        assert_eq!(on_disk, 3 * 1024 * 1024 + 7);
        let sha = written.report.sha256.clone().unwrap();
        let verified = verify_op(dir.path(), &sha);
        assert_eq!((verified.code, verified.report.matches), (0, Some(true)));
    }

    #[test]
    fn two_writes_differ_random_data() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sha_a = write_op(a.path(), 4096, 1).report.sha256.unwrap();
        let sha_b = write_op(b.path(), 4096, 1).report.sha256.unwrap();
        assert_ne!(sha_a, sha_b);
    }

    #[test]
    fn a_changed_byte_a_truncated_or_missing_file_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let sha = write_op(dir.path(), 64 * 1024, 4).report.sha256.unwrap();
        let files = data_files(dir.path()).unwrap();

        let original = fs::read(&files[1]).unwrap();
        let mut changed = original.clone();
        changed[100] ^= 0x01;
        fs::write(&files[1], &changed).unwrap();
        let exit = verify_op(dir.path(), &sha);
        assert_eq!((exit.code, exit.report.matches), (EXIT_MISMATCH, Some(false)));
        fs::write(&files[1], &original).unwrap();
        assert_eq!(verify_op(dir.path(), &sha).code, 0, "restored");

        fs::write(&files[2], &original[..10]).unwrap();
        assert_eq!(verify_op(dir.path(), &sha).code, EXIT_MISMATCH, "truncated");

        fs::remove_file(&files[2]).unwrap();
        let exit = verify_op(dir.path(), &sha);
        assert_eq!((exit.code, exit.report.files), (EXIT_MISMATCH, Some(3)), "missing");
    }

    #[test]
    fn an_empty_restore_is_a_mismatch_not_an_error() {
        let written = tempfile::tempdir().unwrap();
        let sha = write_op(written.path(), 1000, 2).report.sha256.unwrap();
        let empty = tempfile::tempdir().unwrap();
        let exit = verify_op(empty.path(), &sha);
        assert_eq!((exit.code, exit.report.files, exit.report.bytes), (EXIT_MISMATCH, Some(0), Some(0)));
    }

    #[test]
    fn a_rewrite_replaces_earlier_files() {
        let dir = tempfile::tempdir().unwrap();
        write_op(dir.path(), 10_000, 8);
        let second = write_op(dir.path(), 10_000, 2);
        assert_eq!(data_files(dir.path()).unwrap().len(), 2);
        assert_eq!(verify_op(dir.path(), second.report.sha256.as_deref().unwrap()).code, 0);
    }

    #[test]
    fn errors_are_reported_with_the_path_and_exit_2() {
        let exit = verify_op(Path::new("/nonexistent/kstor-probe"), "00");
        assert_eq!(exit.code, EXIT_ERROR);
        assert!(exit.report.error.as_deref().unwrap().contains("/nonexistent/kstor-probe"));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(write_op(dir.path(), 10, 0).code, EXIT_ERROR);
        let message = exit.message();
        let back: AgentReport = serde_json::from_str(&message).unwrap();
        assert_eq!(back, exit.report, "the termination message round-trips");
    }

    #[test]
    fn stat_reports_the_filesystem_size() {
        let dir = tempfile::tempdir().unwrap();
        let exit = execute(&AgentOp::Stat { dir: dir.path().to_path_buf() });
        assert_eq!(exit.code, 0, "{:?}", exit.report);
        let capacity = exit.report.capacity_bytes.unwrap();
        assert!(capacity > 0 && exit.report.available_bytes.unwrap() <= capacity);
    }

    #[test]
    fn run_writes_the_termination_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("termination-log");
        let args =
            AgentArgs { op: AgentOp::Stat { dir: dir.path().to_path_buf() }, termination_log: log.clone() };
        assert_eq!(run(&args), 0);
        let report: AgentReport = serde_json::from_str(&fs::read_to_string(&log).unwrap()).unwrap();
        assert_eq!(report.op, "stat");
    }
}
