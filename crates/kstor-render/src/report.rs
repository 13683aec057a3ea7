//! The pattern report (`kstor report`): one row per workload volume, judged against the
//! decision matrix, as a text table, Markdown or JSON.

use std::collections::BTreeSet;
use std::io::{self, Write};

use kstor_model::catalog::{Pattern, PatternTable, Verdict};
use kstor_model::graph::{Assessment, StorageGraph};
use kstor_text::{Columns, layout};
use serde_json::{Value, json};

/// Formats of the pattern report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// An aligned table, then the reasons and the patterns' properties.
    Text,
    /// A GitHub-flavoured Markdown table (for PR comments and docs).
    Markdown,
    /// JSON (`version: 1`), documented in docs/json-format.md.
    Json,
}

/// Writes the pattern report of a graph.
pub fn render_report(graph: &StorageGraph, format: ReportFormat, out: &mut dyn Write) -> io::Result<()> {
    let rows = graph.assess();
    let table = &graph.catalog.patterns;
    match format {
        ReportFormat::Text => text(&rows, table, out),
        ReportFormat::Markdown => markdown(&rows, table, out),
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report_json(&rows, table))?;
            writeln!(out)
        }
    }
}

/// The JSON document of the report.
pub fn report_json(rows: &[Assessment], table: &PatternTable) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let info = r.pattern.map(|p| table.get(p));
            json!({
                "workload": r.workload_name,
                "role": r.role,
                "engine": r.engine,
                "volume": r.volume.as_deref(),
                "holdsData": r.holds_data,
                "pattern": r.pattern,
                "recommended": r.recommended,
                "consistency": info.map(|i| &i.consistency),
                "latencyP99": info.map(|i| &i.latency_p99),
                "podsPerVolume": info.map(|i| &i.pods_per_volume),
                "failureDomain": info.map(|i| &i.failure_domain),
                "verdict": r.verdict.word(),
                "reason": r.verdict.reason(),
            })
        })
        .collect();
    let words: Vec<String> =
        rows.iter().map(|r| r["verdict"].as_str().unwrap_or_default().to_string()).collect();
    json!({ "version": 1, "rows": rows, "summary": summary(&words) })
}

fn summary(words: &[String]) -> Value {
    let count = |w: &str| words.iter().filter(|x| x.as_str() == w).count();
    json!({
        "volumes": words.len(),
        "fits": count("fits"),
        "fitsWithCaveat": count("fits-with-caveat"),
        "mismatch": count("mismatch"),
        "noRecommendation": count("no-recommendation"),
        "notData": count("not-data"),
    })
}

fn pattern_cell(p: Option<Pattern>) -> String {
    p.map_or_else(|| "(none)".to_string(), |p| p.id().to_string())
}

fn recommended_cell(r: &Assessment) -> String {
    if r.recommended.is_empty() {
        "-".into()
    } else {
        r.recommended.iter().map(|p| p.id()).collect::<Vec<_>>().join(" or ")
    }
}

fn verdict_cell(v: &Verdict) -> &'static str {
    match v {
        Verdict::Fits => "fits",
        Verdict::FitsWithCaveat(_) => "fits (caveat)",
        Verdict::Mismatch(_) => "MISMATCH",
        Verdict::NoRecommendation => "n/a (no role)",
        Verdict::NotData => "not data",
    }
}

fn role_cell(r: &Assessment) -> String {
    match &r.engine {
        Some(engine) => format!("{} ({engine})", r.role),
        None => r.role.to_string(),
    }
}

fn text(rows: &[Assessment], table: &PatternTable, out: &mut dyn Write) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No workloads with volumes in the input.");
    }
    let header =
        ["WORKLOAD", "VOLUME", "ROLE", "PATTERN", "RECOMMENDED", "CONSISTENCY", "P99", "PODS/VOL", "VERDICT"];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            let info = r.pattern.map(|p| table.get(p));
            [
                r.workload_name.clone(),
                r.volume.as_deref().unwrap_or("(none)").to_string(),
                role_cell(r),
                pattern_cell(r.pattern),
                recommended_cell(r),
                info.map_or("-".into(), |i| i.consistency.clone()),
                info.map_or("-".into(), |i| i.latency_p99.clone()),
                info.map_or("-".into(), |i| i.pods_per_volume.clone()),
                verdict_cell(&r.verdict).to_string(),
            ]
        })
        .collect();
    let lines = std::iter::once(header.map(String::from)).chain(cells);
    out.write_all(layout(lines, &Columns::PLAIN).as_bytes())?;

    let reasons: Vec<&Assessment> = rows.iter().filter(|r| r.verdict.reason().is_some()).collect();
    if !reasons.is_empty() {
        writeln!(out, "\nWhy:")?;
        for r in reasons {
            let volume = r.volume.as_deref().unwrap_or("(no volume)");
            writeln!(
                out,
                "  {} {volume}: {} — {}",
                r.workload_name,
                verdict_cell(&r.verdict),
                r.verdict.reason().unwrap_or_default()
            )?;
        }
    }
    let seen: BTreeSet<Pattern> =
        rows.iter().flat_map(|r| r.pattern.into_iter().chain(r.recommended.iter().copied())).collect();
    writeln!(out, "\nPatterns:")?;
    let patterns = table.patterns.iter().filter(|p| seen.contains(&p.id)).map(|p| {
        [
            p.id.id().to_string(),
            format!(
                "{}; consistency {}; p99 {}; {} pod(s) per volume; fails with {}",
                p.summary, p.consistency, p.latency_p99, p.pods_per_volume, p.failure_domain
            ),
        ]
    });
    out.write_all(
        layout(patterns, &Columns { indent: "  ", gap: 1, align: &[], min_width: &[17] }).as_bytes(),
    )?;
    let words: Vec<String> = rows.iter().map(|r| r.verdict.word().to_string()).collect();
    let s = summary(&words);
    writeln!(
        out,
        "\n{} volumes: {} fit, {} fit with a caveat, {} mismatch, {} not data, {} without a recommendation",
        s["volumes"], s["fits"], s["fitsWithCaveat"], s["mismatch"], s["notData"], s["noRecommendation"]
    )
}

/// Escapes a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('|', "\\|")
}

fn markdown(rows: &[Assessment], table: &PatternTable, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "| Workload | Volume | Role | Pattern | Recommended | Consistency | p99 latency | Pods per volume | Failure domain | Verdict |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for r in rows {
        let info = r.pattern.map(|p| table.get(p));
        let verdict = match r.verdict.reason() {
            Some(reason) => format!("**{}**: {}", verdict_cell(&r.verdict), md(reason)),
            None => verdict_cell(&r.verdict).to_string(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&r.workload_name),
            md(r.volume.as_deref().unwrap_or("(none)")),
            md(&role_cell(r)),
            pattern_cell(r.pattern),
            recommended_cell(r),
            md(info.map_or("-", |i| &i.consistency)),
            md(info.map_or("-", |i| &i.latency_p99)),
            md(info.map_or("-", |i| &i.pods_per_volume)),
            md(info.map_or("-", |i| &i.failure_domain)),
            verdict
        )?;
    }
    Ok(())
}
