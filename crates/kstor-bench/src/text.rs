//! The human-readable report.

use std::io::{self, Write};

use kstor_text::{Align, Columns, layout};

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
        format_bytes(fs.free_bytes as f64)
    )?;
    let s = &report.settings;
    writeln!(
        out,
        "  settings    {} per profile, test file {}, {} CPUs{}, {}",
        humantime::format_duration(std::time::Duration::from_millis(s.duration_ms)),
        format_bytes(s.size_bytes as f64),
        report.host.cpus,
        report.host.kernel.as_ref().map(|k| format!(", kernel {k}")).unwrap_or_default(),
        report.started_at
    )?;
    writeln!(out)?;
    out.write_all(profile_table(report).as_bytes())?;
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

/// One row per profile (and one per fdatasync breakdown): throughput, then latencies.
fn profile_table(report: &Report) -> String {
    const HEADER: [&str; 10] =
        ["profile", "ops", "ops/s", "MiB/s", "min", "p50", "p90", "p99", "p99.9", "max"];
    // Fixed minimum widths keep the columns of successive reports in place; numbers flush right.
    const MIN_WIDTH: [u16; 10] = [14, 9, 10, 9, 10, 10, 10, 10, 10, 10];
    const ALIGN: [Align; 10] = {
        let mut align = [Align::Right; 10];
        align[0] = Align::Left;
        align
    };
    let latencies = |p: &Percentiles| [p.min, p.p50, p.p90, p.p99, p.p99_9, p.max].map(format_ns);
    let mut rows = vec![HEADER.map(String::from).to_vec()];
    for r in &report.profiles {
        let mib = r.bytes_per_sec / (1024.0 * 1024.0);
        let mut row = vec![
            r.profile.name().to_string(),
            r.ops.to_string(),
            format!("{:.0}", r.ops_per_sec),
            format!("{mib:.1}"),
        ];
        row.extend(latencies(&r.latency_ns));
        rows.push(row);
        if let Some(sync) = &r.sync_latency_ns {
            let mut row = vec!["  fdatasync".to_string(), String::new(), String::new(), String::new()];
            row.extend(latencies(sync));
            rows.push(row);
        }
    }
    layout(rows, &Columns { indent: "", gap: 0, align: &ALIGN, min_width: &MIN_WIDTH })
}

/// A titled list of `key  text` lines, keys in a column; nothing when there are no lines.
fn section<'a>(
    out: &mut dyn Write,
    title: &str,
    lines: impl Iterator<Item = (&'a str, &'a str)>,
) -> io::Result<()> {
    let rows: Vec<[&str; 2]> = lines.map(|(key, text)| [key, text]).collect();
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title}")?;
    out.write_all(layout(rows, &Columns { indent: "  ", gap: 1, align: &[], min_width: &[13] }).as_bytes())
}
