//! What a probe run found, and its renderings: text, versioned JSON, JUnit.

use std::fmt::Write as _;

use serde::Serialize;

use crate::options::Check;

/// The JSON report's schema version.
pub const REPORT_VERSION: u32 = 1;

/// A whole run.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The run id (the `kstor.io/probe-run` label's value).
    pub run: String,
    /// The namespace the run worked in.
    pub namespace: String,
    /// The API server.
    pub server: String,
    /// One entry per probed class.
    pub classes: Vec<ClassReport>,
    /// What the cleanup removed or could not remove.
    pub cleanup: Vec<String>,
    /// Set when the run was interrupted (SIGINT/SIGTERM) or hit `--timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

/// The checks of one class.
#[derive(Clone, Debug, Serialize)]
pub struct ClassReport {
    /// The StorageClass.
    pub class: String,
    /// Its provisioner, when the class exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioner: Option<String>,
    /// The static findings of `kstor audit` located on the class.
    pub findings: Vec<StaticFinding>,
    /// The checks, in run order.
    pub checks: Vec<CheckReport>,
}

/// A finding of kstor's rules on the class.
#[derive(Clone, Debug, Serialize)]
pub struct StaticFinding {
    /// Rule code.
    pub rule: String,
    /// error / warning / info.
    pub severity: String,
    /// The message.
    pub message: String,
}

/// passed / failed / skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Done, as expected.
    Passed,
    /// Done, and something is wrong (or it could not finish in time).
    Failed,
    /// Not run, with a reason.
    Skipped,
}

/// One timed step of a check, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// `bound`, `scheduled`, `attached`, `running`, `detached`, `ready`, …
    pub step: String,
    /// Milliseconds.
    pub ms: f64,
}

/// What the cluster said when something went wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The event's reason (FailedScheduling, FailedAttachVolume, …) or what the probe saw.
    pub reason: String,
    /// The object, `Kind/name`.
    pub object: String,
    /// The message.
    pub message: String,
    /// The kstor rule that predicts it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// Which check.
    pub check: Check,
    /// Its status.
    pub status: Status,
    /// Why it failed or was skipped; what it observed when it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Timed steps.
    pub timings: Vec<Timing>,
    /// Events and observations explaining a failure.
    pub diagnosis: Vec<Diagnosis>,
    /// Rule codes related to the outcome.
    pub rules: Vec<String>,
    /// With `--iterations`/`--parallel`: each run's timings, in run order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Vec<Timing>>,
    /// With several runs: each step's percentiles over the runs that timed it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percentiles: Vec<Percentiles>,
}

/// A step's distribution over several runs, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Percentiles {
    /// The step.
    pub step: String,
    /// How many runs timed it.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The slowest.
    pub max: f64,
}

impl CheckReport {
    /// A check with this status and detail.
    pub fn new(check: Check, status: Status, detail: impl Into<String>) -> CheckReport {
        let detail = detail.into();
        CheckReport {
            check,
            status,
            detail: (!detail.is_empty()).then_some(detail),
            timings: Vec::new(),
            diagnosis: Vec::new(),
            rules: Vec::new(),
            runs: Vec::new(),
            percentiles: Vec::new(),
        }
    }
}

/// One class's report from several runs of it: a check fails when any run failed it, passes
/// when any passed it and none failed; its timings become percentiles per step (HDR
/// histogram, microsecond precision), with each run's timings kept.
pub fn merge(runs: Vec<ClassReport>) -> ClassReport {
    let Some(first) = runs.first() else {
        return ClassReport {
            class: String::new(),
            provisioner: None,
            findings: Vec::new(),
            checks: Vec::new(),
        };
    };
    let mut merged = ClassReport {
        class: first.class.clone(),
        provisioner: first.provisioner.clone(),
        findings: first.findings.clone(),
        checks: Vec::new(),
    };
    let order: Vec<Check> = first.checks.iter().map(|c| c.check).collect();
    for check in order {
        let reports: Vec<&CheckReport> =
            runs.iter().filter_map(|r| r.checks.iter().find(|c| c.check == check)).collect();
        let failed = reports.iter().filter(|r| r.status == Status::Failed).count();
        let passed = reports.iter().filter(|r| r.status == Status::Passed).count();
        let status = if failed > 0 {
            Status::Failed
        } else if passed > 0 {
            Status::Passed
        } else {
            Status::Skipped
        };
        let example = reports.iter().find(|r| r.status == status).or(reports.first()).copied();
        let mut report = CheckReport::new(check, status, "");
        let summary = format!(
            "{} runs: {passed} passed, {failed} failed, {} skipped",
            reports.len(),
            reports.len() - passed - failed
        );
        report.detail = Some(match example.and_then(|e| e.detail.as_deref()) {
            Some(detail) => format!("{summary}; e.g. {detail}"),
            None => summary,
        });
        for r in &reports {
            for d in &r.diagnosis {
                if !report.diagnosis.contains(d) {
                    report.diagnosis.push(d.clone());
                }
            }
            for rule in &r.rules {
                if !report.rules.contains(rule) {
                    report.rules.push(rule.clone());
                }
            }
        }
        report.runs = reports.iter().map(|r| r.timings.clone()).collect();
        let mut steps: Vec<String> = Vec::new();
        for timing in reports.iter().flat_map(|r| &r.timings) {
            if !steps.contains(&timing.step) {
                steps.push(timing.step.clone());
            }
        }
        for step in steps {
            let mut histogram =
                hdrhistogram::Histogram::<u64>::new(3).expect("3 significant digits is valid");
            let mut count = 0;
            for timing in reports.iter().flat_map(|r| &r.timings).filter(|t| t.step == step) {
                // Microseconds: a histogram counts integers.
                if histogram.record((timing.ms * 1000.0).round().max(0.0) as u64).is_ok() {
                    count += 1;
                }
            }
            let at = |q: f64| (histogram.value_at_quantile(q) as f64 / 100.0).round() / 10.0;
            report.percentiles.push(Percentiles {
                step,
                count,
                p50: at(0.5),
                p90: at(0.9),
                p99: at(0.99),
                max: (histogram.max() as f64 / 100.0).round() / 10.0,
            });
        }
        merged.checks.push(report);
    }
    merged
}

impl ProbeReport {
    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.classes.iter().flat_map(|c| &c.checks).any(|c| c.status == Status::Failed)
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises") + "\n"
    }

    /// The report as aligned text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ =
            writeln!(out, "kstor probe: run {} in namespace {} on {}", self.run, self.namespace, self.server);
        for class in &self.classes {
            let provisioner = class.provisioner.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            let _ = writeln!(out, "\nstorage class {}{provisioner}", class.class);
            for finding in &class.findings {
                let _ = writeln!(out, "  {} {}: {}", finding.severity, finding.rule, finding.message);
            }
            for check in &class.checks {
                let status = match check.status {
                    Status::Passed => "passed ",
                    Status::Failed => "FAILED ",
                    Status::Skipped => "skipped",
                };
                let timings: Vec<String> = if check.percentiles.is_empty() {
                    check.timings.iter().map(|t| format!("{} {}", t.step, format_ms(t.ms))).collect()
                } else {
                    check
                        .percentiles
                        .iter()
                        .map(|p| {
                            format!(
                                "{} p50 {} p90 {} p99 {} max {}",
                                p.step,
                                format_ms(p.p50),
                                format_ms(p.p90),
                                format_ms(p.p99),
                                format_ms(p.max)
                            )
                        })
                        .collect()
                };
                let _ = write!(out, "  {status} {:<13}", check.check.name());
                if !timings.is_empty() {
                    let _ = write!(out, " {}", timings.join(", "));
                }
                out.push('\n');
                if let Some(detail) = &check.detail {
                    let _ = writeln!(out, "                        {detail}");
                }
                for d in &check.diagnosis {
                    let rule = d.rule.as_deref().map(|r| format!(" [{r}]")).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "                        {} {}: {}{rule}",
                        d.reason, d.object, d.message
                    );
                }
            }
        }
        if let Some(why) = &self.interrupted {
            let _ = writeln!(out, "\ninterrupted: {why}");
        }
        for line in &self.cleanup {
            let _ = writeln!(out, "cleanup: {line}");
        }
        let counts =
            |s: Status| self.classes.iter().flat_map(|c| &c.checks).filter(|c| c.status == s).count();
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} skipped",
            counts(Status::Passed),
            counts(Status::Failed),
            counts(Status::Skipped)
        );
        out
    }

    /// GitHub-flavoured Markdown: a table per class (for a job summary or a pull request).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## kstor probe\n\nRun `{}` in namespace `{}`.", self.run, self.namespace);
        for class in &self.classes {
            let provisioner = class.provisioner.as_deref().map(|p| format!(" (`{p}`)")).unwrap_or_default();
            let _ = writeln!(out, "\n### Storage class `{}`{provisioner}\n", class.class);
            for finding in &class.findings {
                let _ =
                    writeln!(out, "- {} **{}**: {}", finding.severity, finding.rule, md(&finding.message));
            }
            if !class.findings.is_empty() {
                out.push('\n');
            }
            out.push_str("| check | status | timings | detail |\n|---|---|---|---|\n");
            for check in &class.checks {
                let status = match check.status {
                    Status::Passed => "✅ passed",
                    Status::Failed => "❌ failed",
                    Status::Skipped => "⏭️ skipped",
                };
                let timings: Vec<String> =
                    check.timings.iter().map(|t| format!("{} {}", t.step, format_ms(t.ms))).collect();
                let mut detail = check.detail.as_deref().map(md).unwrap_or_default();
                for d in &check.diagnosis {
                    let rule = d.rule.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
                    detail.push_str(&format!("<br>{} {}: {}{rule}", d.reason, d.object, md(&d.message)));
                }
                let _ = writeln!(
                    out,
                    "| {} | {status} | {} | {detail} |",
                    check.check.name(),
                    timings.join(", ")
                );
            }
        }
        if let Some(why) = &self.interrupted {
            let _ = writeln!(out, "\n**Interrupted**: {}", md(why));
        }
        if !self.cleanup.is_empty() {
            out.push_str("\nCleanup:\n");
            for line in &self.cleanup {
                let _ = writeln!(out, "- {}", md(line));
            }
        }
        out
    }

    /// JUnit XML: a testsuite per class, a testcase per check.
    pub fn junit(&self) -> String {
        let mut out =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kstor probe\">\n");
        for class in &self.classes {
            let failures = class.checks.iter().filter(|c| c.status == Status::Failed).count();
            let skipped = class.checks.iter().filter(|c| c.status == Status::Skipped).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
                xml(&format!("storageclass/{}", class.class)),
                class.checks.len()
            );
            for check in &class.checks {
                let seconds: f64 = check.timings.iter().map(|t| t.ms).sum::<f64>() / 1000.0;
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{seconds:.3}\"",
                    xml(&class.class),
                    check.check.name()
                );
                let detail = check.detail.clone().unwrap_or_default();
                match check.status {
                    Status::Passed => out.push_str("/>\n"),
                    Status::Skipped => {
                        let _ = write!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                            xml(&detail)
                        );
                    }
                    Status::Failed => {
                        let body: Vec<String> = check
                            .diagnosis
                            .iter()
                            .map(|d| format!("{} {}: {}", d.reason, d.object, d.message))
                            .collect();
                        let _ = write!(
                            out,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                            xml(&detail),
                            xml(&body.join("\n"))
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// Text for a Markdown table cell: pipes escaped, one line.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn format_ms(ms: f64) -> String {
    if ms >= 10_000.0 { format!("{:.1} s", ms / 1000.0) } else { format!("{ms:.0} ms") }
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> ProbeReport {
        let mut failed = CheckReport::new(
            Check::AttachMount,
            Status::Failed,
            "pod gp3-writer running did not happen | in 3m",
        );
        failed.timings.push(Timing { step: "scheduled".into(), ms: 12.0 });
        failed.diagnosis.push(Diagnosis {
            reason: "FailedScheduling".into(),
            object: "Pod/gp3-writer".into(),
            message: "0/3 nodes are available: 3 node(s) had volume node affinity conflict.".into(),
            rule: Some("KS101".into()),
        });
        ProbeReport {
            version: REPORT_VERSION,
            run: "abc123".into(),
            namespace: "kstor-probe-abc123".into(),
            server: "https://example:6443".into(),
            classes: vec![ClassReport {
                class: "gp3 & <co>".into(),
                provisioner: Some("ebs.csi.aws.com".into()),
                findings: vec![StaticFinding {
                    rule: "KS101".into(),
                    severity: "error".into(),
                    message: "Immediate".into(),
                }],
                checks: vec![
                    CheckReport::new(Check::Preflight, Status::Passed, "ok"),
                    failed,
                    CheckReport::new(Check::Write, Status::Skipped, "needs attach-mount, which failed"),
                ],
            }],
            cleanup: vec!["deleted namespace kstor-probe-abc123".into()],
            interrupted: None,
        }
    }

    #[test]
    fn junit_has_a_testcase_per_check_with_escaped_text() {
        let xml = report().junit();
        assert!(
            xml.contains(
                r#"<testsuite name="storageclass/gp3 &amp; &lt;co&gt;" tests="3" failures="1" skipped="1">"#
            ),
            "{xml}"
        );
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains(r#"<skipped message="needs attach-mount, which failed"/>"#));
        assert!(xml.contains("FailedScheduling Pod/gp3-writer: 0/3 nodes are available"));
    }

    #[test]
    fn markdown_keeps_the_table_intact() {
        let md = report().markdown();
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| attach-mount")).collect();
        assert_eq!(rows.len(), 1, "{md}");
        assert!(rows[0].contains("did not happen \\| in 3m"), "a pipe in a cell is escaped: {}", rows[0]);
        assert!(rows[0].contains("(KS101)"));
        assert_eq!(rows[0].matches(" | ").count(), 3, "four cells: {}", rows[0]);
    }

    #[test]
    fn text_and_json_carry_the_verdict() {
        let report = report();
        assert!(report.failed());
        let text = report.text();
        assert!(text.contains("FAILED  attach-mount  scheduled 12 ms"), "{text}");
        assert!(text.ends_with("1 passed, 1 failed, 1 skipped\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
        assert_eq!(json["classes"][0]["checks"][1]["diagnosis"][0]["rule"], "KS101");
        assert!(json.get("interrupted").is_none());
    }
}
