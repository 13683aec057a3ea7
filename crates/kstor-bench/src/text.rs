//! The human-readable report.

use std::io::{self, Write};

use crate::histogram::Percentiles;
use crate::report::Report;
use crate::units::{format_bytes, format_ns};

/// Writes `report` as an aligned table followed by verdicts, notes, warnings and errors.
pub fn write_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let fs = &report.filesystem;
    writeln!(out, "kstor bench {}", report.path.display())?;
    let mount = fs.mount_point.as_ref().map(|m| format!(" mounted at {}", m.display())).unwrap_or_default();
    let direct = match fs.direct_io {
        Some(true) => ", O_DIRECT yes",
        Some(false) => ", O_DIRECT no",
        None => "",
    };
    let kind =
        serde_json::to_value(fs.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    writeln!(
        out,
        "  filesystem  {} ({kind}){mount}, {} free{direct}",
        fs.fs_type,
        format_bytes(fs.free_bytes)
    )?;
    let s = &report.settings;
    writeln!(
        out,
        "  settings    {} per profile, test file {}, {} CPUs{}, {}",
        humantime::format_duration(std::time::Duration::from_millis(s.duration_ms)),
        format_bytes(s.size_bytes),
        report.host.cpus,
        report.host.kernel.as_ref().map(|k| format!(", kernel {k}")).unwrap_or_default(),
        report.started_at
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<14}{:>9}{:>10}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "profile", "ops", "ops/s", "MiB/s", "min", "p50", "p90", "p99", "p99.9", "max"
    )?;
    for r in &report.profiles {
        let mib = r.bytes_per_sec / (1024.0 * 1024.0);
        write!(out, "{:<14}{:>9}{:>10.0}{:>9.1}", r.profile.name(), r.ops, r.ops_per_sec, mib)?;
        latencies(out, &r.latency_ns)?;
        if let Some(sync) = &r.sync_latency_ns {
            write!(out, "{:<14}{:>28}", "  fdatasync", "")?;
            latencies(out, sync)?;
        }
    }
    section(out, "verdicts", report.profiles.iter().map(|r| (r.profile.name(), r.verdict.summary.as_str())))?;
    section(
        out,
        "notes",
        report.profiles.iter().flat_map(|r| r.notes.iter().map(move |n| (r.profile.name(), n.as_str()))),
    )?;
    if !report.warnings.is_empty() {
        writeln!(out, "\nwarnings")?;
        for w in &report.warnings {
            writeln!(out, "  ! {w}")?;
        }
    }
    section(out, "errors", report.errors.iter().map(|e| (e.profile.name(), e.error.as_str())))?;
    Ok(())
}

fn latencies(out: &mut dyn Write, p: &Percentiles) -> io::Result<()> {
    for v in [p.min, p.p50, p.p90, p.p99, p.p99_9, p.max] {
        write!(out, "{:>10}", format_ns(v))?;
    }
    writeln!(out)
}

fn section<'a>(
    out: &mut dyn Write,
    title: &str,
    lines: impl Iterator<Item = (&'a str, &'a str)>,
) -> io::Result<()> {
    let mut first = true;
    for (key, text) in lines {
        if first {
            writeln!(out, "\n{title}")?;
            first = false;
        }
        writeln!(out, "  {key:<13} {text}")?;
    }
    Ok(())
}
