//! `--format json`: `{"version": 1, "findings": [...], "summary": {...}}` (docs/json-format.md).
//!
//! Typed structs borrowing from the result, serialised in the documented field order. The
//! findings are built one at a time while serialising (tens of thousands of findings would
//! otherwise double the peak memory of a large run).

use kstor_model::{ObjectRef, Position};
use kstor_rules::{Group, Severity};
use serde::{Serialize, Serializer};

use crate::{Output, file_name};

/// The JSON report.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    inventory: Option<&'a crate::Inventory>,
    findings: Findings<'a>,
    summary: Summary,
}

/// The findings of a result, serialised as a sequence built lazily.
struct Findings<'a>(&'a Output<'a>);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let output = self.0;
        serializer.collect_seq(output.result.findings.iter().map(|r| json_finding(output, r)))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    group: Group,
    message: &'a str,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    path: Option<String>,
    object: Option<JsonObject<'a>>,
    related: Vec<JsonRelated<'a>>,
    help: Option<&'a str>,
    /// The fix, when kstor can make one: `applicability` (safe, unsafe, display-only),
    /// `message`, and the text `edits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'static str,
    message: &'a str,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonEdit {
    file: String,
    start: kstor_model::LineCol,
    end: kstor_model::LineCol,
    content: String,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
    object: Option<JsonObject<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct Summary {
    error: usize,
    warning: usize,
    info: usize,
    suppressed: usize,
    files: usize,
    objects: usize,
}

fn object(o: Option<&ObjectRef>) -> Option<JsonObject<'_>> {
    o.map(|o| JsonObject {
        api_version: &o.api_version,
        kind: &o.kind,
        namespace: o.namespace.as_deref(),
        name: &o.name,
    })
}

fn start(p: Option<&Position>) -> (Option<u32>, Option<u32>) {
    (p.map(|p| p.start.line), p.map(|p| p.start.column))
}

/// One finding in the documented shape.
fn json_finding<'a>(output: &'a Output<'a>, r: &'a kstor_rules::Reported) -> JsonFinding<'a> {
    let f = &r.finding;
    let (line, column) = start(r.position.as_ref());
    let related = r
        .related_with(output.graph)
        .map(|(rel, position, obj)| {
            let (line, column) = start(position);
            JsonRelated {
                file: file_name(output, position),
                line,
                column,
                message: &rel.message,
                object: object(obj),
            }
        })
        .collect();
    JsonFinding {
        code: f.rule.code,
        name: f.rule.name,
        severity: f.severity,
        group: f.rule.group,
        message: &f.message,
        file: file_name(output, r.position.as_ref()),
        line,
        column,
        end_line: r.position.as_ref().map(|p| p.end.line),
        end_column: r.position.as_ref().map(|p| p.end.column),
        path: r.path(),
        object: object(r.object(output.graph)),
        related,
        help: f.help.as_deref(),
        fix: f.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability.as_str(),
            message: &fix.message,
            edits: crate::fix::positioned(output, fix)
                .into_iter()
                .map(|e| JsonEdit { file: e.file, start: e.start, end: e.end, content: e.content })
                .collect(),
        }),
    }
}

/// The JSON report of a result.
pub fn json_report<'a>(output: &'a Output<'a>) -> JsonReport<'a> {
    JsonReport {
        version: 1,
        inventory: output.inventory,
        findings: Findings(output),
        summary: Summary {
            error: output.result.count(Severity::Error),
            warning: output.result.count(Severity::Warning),
            info: output.result.count(Severity::Info),
            suppressed: output.result.suppressed,
            files: output.graph.workspace.sources.len(),
            objects: output.graph.workspace.objects.len(),
        },
    }
}
