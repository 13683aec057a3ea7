//! `kstor bench` end to end: checks, runs the profiles, writes the report.

use std::io::{ErrorKind, Write};
use std::path::Path;
use std::time::SystemTime;

use anyhow::{anyhow, bail};

use crate::args::{BenchArgs, Format};
use crate::cleanup::{self, EXIT_INTERRUPTED};
use crate::fs::{FsInfo, FsKind};
use crate::profile::{Profile, RunOptions, run_profile};
use crate::progress::Progress;
use crate::report::{HostInfo, ProfileError, Report, SCHEMA_VERSION, Settings};
use crate::units::format_bytes;
use crate::workdir::BenchDir;
use crate::{plot, preflight, text};

/// Exit code of a run whose report is complete.
pub const EXIT_OK: i32 = 0;
/// Exit code of a run where a profile failed with an I/O error (the report lists it).
pub const EXIT_ERROR: i32 = 2;

/// Runs `kstor bench`: checks the path, runs the selected profiles, writes the report
/// to `out` (and the plot if asked). Progress bars go to stderr only when it is a
/// terminal.
///
/// Returns the exit code: 0 when every profile completed, 2 when one failed with an I/O
/// error after the run started (the report still lists the others and the error), 130
/// after Ctrl-C (files removed, no report). Returns `Err` with a one-line message, before
/// anything is written, when the path is not a writable directory, lacks the space, or
/// the plot cannot be written; the caller prints it and exits with 2.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let profiles = args.selected_profiles();
    let opts = args.run_options();
    let mut fs = preflight::check(&args.path, required_bytes(&profiles, &opts))?;
    if let Some(plot) = &args.plot {
        check_plot_path(plot)?;
    }
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let host = HostInfo::current();
    cleanup::install_handler();
    cleanup::reset();
    let progress = Progress::on_stderr(args.no_progress);
    let mut dir = BenchDir::create(&args.path).map_err(|e| {
        anyhow!("cannot benchmark {}: cannot create a test directory: {e}", args.path.display())
    })?;
    fs.direct_io = Some(dir.direct_io().is_supported());
    let warnings = warnings(&fs, &host, &profiles, &opts);

    let mut results = Vec::new();
    let mut errors = Vec::new();
    for &profile in &profiles {
        match run_profile(&mut dir, profile, &opts, &progress) {
            Ok(r) => results.push(r),
            Err(e) if e.kind() == ErrorKind::Interrupted && cleanup::interrupted() => {
                drop(dir);
                eprintln!("kstor bench: interrupted; test files removed");
                return Ok(EXIT_INTERRUPTED);
            }
            Err(e) => errors.push(ProfileError { profile, error: format!("{e}") }),
        }
    }
    drop(dir);

    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: "kstor-bench".to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        path: args.path.clone(),
        started_at,
        filesystem: fs,
        host,
        settings: Settings { duration_ms: opts.duration.as_millis() as u64, size_bytes: opts.size, profiles },
        warnings,
        profiles: results,
        errors,
    };
    match args.format {
        Format::Text => text::write_text(&report, out)?,
        Format::Json => writeln!(out, "{}", report.to_json())?,
    }
    if let Some(path) = &args.plot {
        plot::write_svg(&report, path)?;
    }
    Ok(if report.errors.is_empty() { EXIT_OK } else { EXIT_ERROR })
}

/// Free space a run needs besides the margin: the test file, unless only `metadata`
/// runs. Profiles run one after the other and remove their own files, and the data
/// file is shared, so one test file exists at a time.
pub fn required_bytes(profiles: &[Profile], opts: &RunOptions) -> u64 {
    if profiles.iter().any(|p| *p != Profile::Metadata) { opts.size } else { 0 }
}

fn check_plot_path(plot: &Path) -> anyhow::Result<()> {
    let parent = match plot.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!("cannot write plot {}: {} is not a directory", plot.display(), parent.display());
    }
    Ok(())
}

/// The run-wide warnings: memory-backed or overlay storage, and a test file small
/// enough for buffered reads to be served from the page cache.
pub fn warnings(fs: &FsInfo, host: &HostInfo, profiles: &[Profile], opts: &RunOptions) -> Vec<String> {
    let mut w = Vec::new();
    match fs.kind {
        FsKind::Memory => w.push(format!(
            "{} keeps data in RAM: these are memory figures, not a disk's, and nothing survives a reboot",
            fs.fs_type
        )),
        FsKind::Overlay => w.push(
            "overlay is the container's writable layer, not a volume: test the mount path of the PersistentVolume instead"
                .to_string(),
        ),
        _ => {}
    }
    let direct = fs.direct_io.unwrap_or(false) && opts.allow_direct_io;
    let buffered_reads: Vec<&str> =
        profiles.iter().filter(|p| p.reads() && !direct).map(|p| p.name()).collect();
    if let (false, Some(avail), false) =
        (buffered_reads.is_empty(), host.mem_available_bytes, fs.kind == FsKind::Memory)
        && opts.size <= avail
    {
        w.push(format!(
            "the {} test file fits in the page cache (MemAvailable {}) and O_DIRECT is unavailable: {} may be served from memory; use a --size above {} for the storage's own figures",
            format_bytes(opts.size as f64),
            format_bytes(avail as f64),
            buffered_reads.join(" and "),
            format_bytes(avail as f64)
        ));
    }
    w
}
