//! `--format json`: `{"version": 1, "findings": [...], "summary": {...}}` (docs/json-format.md).

use kstor_model::ObjectRef;
use kstor_rules::Severity;
use serde_json::{Value, json};

use crate::{Output, file_name};

fn object_json(object: Option<&ObjectRef>) -> Value {
    match object {
        Some(o) => json!({
            "apiVersion": o.api_version,
            "kind": o.kind,
            "namespace": o.namespace,
            "name": o.name,
        }),
        None => Value::Null,
    }
}

/// The JSON report as a value.
pub fn json_report(output: &Output<'_>) -> Value {
    let findings: Vec<Value> = output
        .result
        .findings
        .iter()
        .map(|r| {
            let f = &r.finding;
            let related: Vec<Value> = f
                .related
                .iter()
                .zip(&r.related)
                .map(|(rel, (position, object))| {
                    json!({
                        "file": file_name(output, position.as_ref()),
                        "line": position.as_ref().map(|p| p.start.line),
                        "column": position.as_ref().map(|p| p.start.column),
                        "message": rel.message,
                        "object": object_json(object.as_ref()),
                    })
                })
                .collect();
            json!({
                "code": f.rule.code,
                "name": f.rule.name,
                "severity": f.severity,
                "group": f.rule.group,
                "message": f.message,
                "file": file_name(output, r.position.as_ref()),
                "line": r.position.as_ref().map(|p| p.start.line),
                "column": r.position.as_ref().map(|p| p.start.column),
                "endLine": r.position.as_ref().map(|p| p.end.line),
                "endColumn": r.position.as_ref().map(|p| p.end.column),
                "path": r.path,
                "object": object_json(r.object.as_ref()),
                "related": related,
                "help": f.help,
            })
        })
        .collect();
    json!({
        "version": 1,
        "findings": findings,
        "summary": {
            "error": output.result.count(Severity::Error),
            "warning": output.result.count(Severity::Warning),
            "info": output.result.count(Severity::Info),
            "suppressed": output.result.suppressed,
            "files": output.graph.workspace.sources.len(),
            "objects": output.graph.workspace.objects.len(),
        },
    })
}
