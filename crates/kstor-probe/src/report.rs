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
        }
    }
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
                let timings: Vec<String> =
                    check.timings.iter().map(|t| format!("{} {}", t.step, format_ms(t.ms))).collect();
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
