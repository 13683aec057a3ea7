//! `--format json`: `{"version": 1, "findings": [...], "summary": {...}}` (docs/json-format.md).
//!
//! Typed structs borrowing from the result, serialised in the documented field order.

use kstor_model::{ObjectRef, Position};
use kstor_rules::{Group, Severity};
use serde::Serialize;

use crate::{Output, file_name};

/// The JSON report.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
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

/// The JSON report of a result.
pub fn json_report<'a>(output: &'a Output<'a>) -> JsonReport<'a> {
    let findings = output
        .result
        .findings
        .iter()
        .map(|r| {
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
            }
        })
        .collect();
    JsonReport {
        version: 1,
        findings,
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
