//! Text and Markdown for `kstor patterns` and `kstor recommend` (JSON is the types' serde form,
//! documented in docs/recommend.md).

use std::io::{self, Write};

use kstor_model::catalog::PatternTable;
use kstor_text::{Columns, layout};

use crate::recommend::Recommendation;

/// Output formats of `patterns` and `recommend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// Aligned text for a terminal.
    Text,
    /// JSON (`version: 1`).
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Writes rows as aligned columns (two spaces apart), with kstor's one table layout.
fn table(rows: &[Vec<String>], out: &mut dyn Write, indent: &str) -> io::Result<()> {
    out.write_all(layout(rows, &Columns::PLAIN.indented(indent)).as_bytes())
}

fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `kstor patterns`: the pattern table and the decision matrix.
pub fn write_patterns(table_data: &PatternTable, format: PlanFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        PlanFormat::Json => {
            let value = serde_json::json!({
                "version": 1,
                "patterns": table_data.patterns,
                "matrix": table_data.matrix,
            });
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)
        }
        PlanFormat::Text => {
            let mut rows = vec![vec![
                "pattern".to_string(),
                "consistency".into(),
                "p99 latency".into(),
                "pods/volume".into(),
                "failure domain".into(),
                "recovery".into(),
            ]];
            for p in &table_data.patterns {
                rows.push(vec![
                    p.id.to_string(),
                    p.consistency.clone(),
                    p.latency_p99.clone(),
                    p.pods_per_volume.clone(),
                    p.failure_domain.clone(),
                    p.recovery.clone(),
                ]);
            }
            table(&rows, out, "")?;
            writeln!(out)?;
            writeln!(out, "Decision matrix (role → pattern):")?;
            let mut rows =
                vec![vec!["role".to_string(), "scenario".into(), "recommended".into(), "acceptable".into()]];
            for r in &table_data.matrix {
                rows.push(vec![
                    r.role.to_string(),
                    r.scenario.clone(),
                    join(&r.recommended),
                    if r.acceptable.is_empty() { "-".into() } else { join(&r.acceptable) },
                ]);
            }
            table(&rows, out, "  ")
        }
        PlanFormat::Markdown => {
            writeln!(
                out,
                "| Pattern | Consistency | p99 latency | Pods per volume | Failure domain | Recovery |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|")?;
            for p in &table_data.patterns {
                writeln!(
                    out,
                    "| {} ({}) | {} | {} | {} | {} | {} |",
                    p.title,
                    p.id,
                    md_escape(&p.consistency),
                    md_escape(&p.latency_p99),
                    p.pods_per_volume,
                    md_escape(&p.failure_domain),
                    md_escape(&p.recovery)
                )?;
            }
            writeln!(out)?;
            writeln!(out, "| Role | Scenario | Recommended | Acceptable | Why | Cost |")?;
            writeln!(out, "|---|---|---|---|---|---|")?;
            for r in &table_data.matrix {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.role,
                    md_escape(&r.scenario),
                    join(&r.recommended),
                    if r.acceptable.is_empty() { "-".into() } else { join(&r.acceptable) },
                    md_escape(&r.why),
                    md_escape(&r.cost)
                )?;
            }
            Ok(())
        }
    }
}

fn join(patterns: &[kstor_model::catalog::Pattern]) -> String {
    patterns.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")
}

/// The one-line headline of a recommendation (`postgres (relational database), 3 replicas, …`).
pub fn headline(rec: &Recommendation) -> String {
    let mut parts = vec![match &rec.engine {
        Some(engine) if !engine.eq_ignore_ascii_case(&rec.workload) => {
            format!("{} ({}, {})", rec.workload, engine, rec.scenario_title)
        }
        _ if rec.workload.eq_ignore_ascii_case(&rec.scenario_title) => rec.workload.clone(),
        _ => format!("{} ({})", rec.workload, rec.scenario_title),
    }];
    let d = &rec.decisions;
    parts.push(format!("{} replica{}", d.replicas, if d.replicas == 1 { "" } else { "s" }));
    parts.push(format!("{} zone{}", d.zones, if d.zones == 1 { "" } else { "s" }));
    if let Some(p) = &rec.provider {
        parts.push(p.clone());
    }
    parts.join(", ")
}

/// Writes a recommendation; `explain` adds the decision path.
pub fn write_recommendation(
    rec: &Recommendation,
    format: PlanFormat,
    explain: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        PlanFormat::Json => {
            let mut value = serde_json::json!({ "version": 1 });
            if let (Some(map), serde_json::Value::Object(fields)) =
                (value.as_object_mut(), serde_json::to_value(rec).map_err(io::Error::other)?)
            {
                map.extend(fields.into_iter().filter(|(k, _)| explain || k != "decisionPath"));
            }
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)
        }
        PlanFormat::Text => text(rec, explain, out),
        PlanFormat::Markdown => markdown(rec, explain, out),
    }
}

fn realized_on(rec: &Recommendation) -> String {
    match &rec.realization {
        Some(r) => format!(" on {} ({})", r.title, r.provisioner),
        None => String::new(),
    }
}

fn text(rec: &Recommendation, explain: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", headline(rec))?;
    writeln!(out)?;
    writeln!(out, "Recommended: {} ({}){}", rec.pattern_title, rec.pattern, realized_on(rec))?;
    writeln!(out, "  {}", rec.why)?;
    let p = &rec.properties;
    table(
        &[
            vec!["consistency".into(), p.consistency.clone()],
            vec!["p99 latency".into(), p.latency_p99.clone()],
            vec!["pods/volume".into(), p.pods_per_volume.clone()],
            vec!["failure domain".into(), p.failure_domain.clone()],
            vec!["recovery".into(), p.recovery.clone()],
            vec!["cost".into(), rec.cost.clone()],
        ],
        out,
        "  ",
    )?;
    writeln!(out)?;
    writeln!(out, "Settings:")?;
    // Each setting's reason goes on a line of its own, under its value.
    let rows = rec.settings.iter().flat_map(|s| {
        [vec![s.label.to_string(), s.value.to_string()], vec![String::new(), format!("  {}", s.why)]]
    });
    let columns = Columns { indent: "  ", gap: 0, align: &[], min_width: &[20] };
    out.write_all(layout(rows, &columns).as_bytes())?;
    writeln!(out)?;
    writeln!(out, "Alternatives:")?;
    for a in &rec.alternatives {
        writeln!(out, "  {} ({}): {}", a.pattern, a.verdict, a.why)?;
        let p = &a.properties;
        writeln!(
            out,
            "      {} · p99 {} · {} pod{}/volume · fails with: {} · recovery: {}",
            p.consistency,
            p.latency_p99,
            p.pods_per_volume,
            if p.pods_per_volume == "1" { "" } else { "s" },
            p.failure_domain,
            p.recovery
        )?;
    }
    if !rec.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Notes:")?;
        for n in &rec.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    if explain {
        writeln!(out)?;
        writeln!(out, "Decision path:")?;
        for (i, step) in rec.decision_path.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, step.question)?;
            writeln!(out, "     {}", step.answer)?;
        }
    }
    Ok(())
}

fn markdown(rec: &Recommendation, explain: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### {}", headline(rec))?;
    writeln!(out)?;
    writeln!(
        out,
        "**Recommended: {} (`{}`){}** — {}",
        rec.pattern_title,
        rec.pattern,
        realized_on(rec),
        rec.why
    )?;
    writeln!(out)?;
    let p = &rec.properties;
    writeln!(out, "| Consistency | p99 latency | Pods per volume | Failure domain | Recovery | Cost |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |",
        md_escape(&p.consistency),
        md_escape(&p.latency_p99),
        p.pods_per_volume,
        md_escape(&p.failure_domain),
        md_escape(&p.recovery),
        md_escape(&rec.cost)
    )?;
    writeln!(out)?;
    writeln!(out, "| Setting | Value | Why |")?;
    writeln!(out, "|---|---|---|")?;
    for s in &rec.settings {
        writeln!(out, "| {} | `{}` | {} |", s.label, md_escape(&s.value), md_escape(&s.why))?;
    }
    writeln!(out)?;
    writeln!(out, "| Alternative | Verdict | Consistency | p99 | Why not |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for a in &rec.alternatives {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            a.pattern,
            a.verdict,
            md_escape(&a.properties.consistency),
            md_escape(&a.properties.latency_p99),
            md_escape(&a.why)
        )?;
    }
    if !rec.notes.is_empty() {
        writeln!(out)?;
        for n in &rec.notes {
            writeln!(out, "- {}", n)?;
        }
    }
    if explain {
        writeln!(out)?;
        writeln!(out, "Decision path:")?;
        writeln!(out)?;
        for (i, step) in rec.decision_path.iter().enumerate() {
            writeln!(out, "{}. **{}** {}", i + 1, step.question, step.answer)?;
        }
    }
    Ok(())
}

/// Writes `recommend -f`: per workload, its current storage against the recommendation.
pub fn write_inferred(
    inferred: &[crate::infer::Inferred],
    skipped: &[crate::infer::Skipped],
    format: PlanFormat,
    explain: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == PlanFormat::Json {
        let workloads: Vec<serde_json::Value> = inferred
            .iter()
            .map(|i| {
                let mut value = serde_json::to_value(i).unwrap_or_default();
                if !explain && let Some(rec) = value.get_mut("recommendation").and_then(|r| r.as_object_mut())
                {
                    rec.remove("decisionPath");
                }
                value
            })
            .collect();
        let value = serde_json::json!({
            "version": 1,
            "workloads": workloads,
            "skipped": skipped,
            "summary": {
                "workloads": inferred.len(),
                "differing": inferred.iter().filter(|i| i.differences() > 0).count(),
                "differences": inferred.iter().map(crate::infer::Inferred::differences).sum::<usize>(),
                "skipped": skipped.len(),
            },
        });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        return writeln!(out);
    }
    let markdown = format == PlanFormat::Markdown;
    for (n, item) in inferred.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let rec = &item.recommendation;
        let at = item.location.as_ref().map_or(String::new(), |l| format!(" ({l})"));
        if markdown {
            writeln!(out, "### `{}`{at}", item.workload)?;
            writeln!(out)?;
            writeln!(
                out,
                "{}: **{}** (`{}`){}",
                rec.scenario_title,
                rec.pattern_title,
                rec.pattern,
                realized_on(rec)
            )?;
            writeln!(out)?;
            writeln!(out, "| Setting | Current | Recommended | |")?;
            writeln!(out, "|---|---|---|---|")?;
            for d in &item.diff {
                writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    d.setting,
                    md_escape(&d.current),
                    md_escape(&d.recommended),
                    match d.status {
                        crate::infer::Status::Matches => "ok",
                        crate::infer::Status::Differs => "**differs**",
                        crate::infer::Status::Unknown => "unknown",
                    }
                )?;
            }
        } else {
            writeln!(out, "{}{at}", item.workload)?;
            writeln!(
                out,
                "  {} → {} ({}){}",
                rec.engine.as_deref().unwrap_or(&rec.scenario),
                rec.pattern_title,
                rec.pattern,
                realized_on(rec)
            )?;
            let mut rows =
                vec![vec!["".to_string(), "setting".into(), "current".into(), "recommended".into()]];
            for d in &item.diff {
                rows.push(vec![
                    match d.status {
                        crate::infer::Status::Matches => "ok".into(),
                        crate::infer::Status::Differs => "≠".into(),
                        crate::infer::Status::Unknown => "?".into(),
                    },
                    d.setting.to_string(),
                    d.current.clone(),
                    d.recommended.clone(),
                ]);
            }
            table(&rows, out, "  ")?;
            for d in item.diff.iter().filter(|d| d.status == crate::infer::Status::Differs) {
                if let Some(s) = rec.settings.iter().find(|s| s.key == d.setting) {
                    writeln!(out, "  {}: {}", d.setting, s.why)?;
                } else if d.setting == "pattern" {
                    writeln!(out, "  pattern: {}", rec.why)?;
                }
            }
        }
        if explain {
            writeln!(out)?;
            write_recommendation(rec, format, true, out)?;
        }
    }
    if !skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "Skipped:")?;
        let mut reasons: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
        reasons.dedup();
        reasons.sort_unstable();
        reasons.dedup();
        for reason in reasons {
            let names: Vec<&str> =
                skipped.iter().filter(|s| s.reason == reason).map(|s| s.workload.as_str()).collect();
            writeln!(out, "  {reason}:")?;
            for chunk in names.chunks(4) {
                writeln!(out, "    {}", chunk.join(", "))?;
            }
        }
    }
    let differing = inferred.iter().filter(|i| i.differences() > 0).count();
    writeln!(out)?;
    writeln!(
        out,
        "{} workload{} with a recommendation, {differing} differing from it ({} setting{}); {} skipped",
        inferred.len(),
        if inferred.len() == 1 { "" } else { "s" },
        inferred.iter().map(crate::infer::Inferred::differences).sum::<usize>(),
        if inferred.iter().map(crate::infer::Inferred::differences).sum::<usize>() == 1 { "" } else { "s" },
        skipped.len()
    )
}
