//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
//!
//! Built as JSON directly; a test validates the output against the official 2.1.0 schema.

use kstor_model::{ObjectRef, Position};
use kstor_rules::registry::RULES;
use kstor_rules::{Rule, Severity};
use serde_json::{Value, json};

use crate::{Output, file_name};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/kstor-dev/kstor";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A file name as a relative URI reference (SARIF `artifactLocation.uri`).
fn uri(name: &str) -> String {
    if name == "-" {
        return "stdin".into();
    }
    let name = name.strip_prefix("./").unwrap_or(name);
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn physical(output: &Output<'_>, position: &Position) -> Value {
    let file = file_name(output, Some(position)).unwrap_or_default();
    json!({
        "artifactLocation": {"uri": uri(&file)},
        "region": {
            "startLine": position.start.line,
            "startColumn": position.start.column,
            "endLine": position.end.line,
            "endColumn": position.end.column.max(position.start.column + u32::from(position.end.line == position.start.line)),
        },
    })
}

fn logical(object: &ObjectRef) -> Value {
    json!([{"fullyQualifiedName": object.slug(), "kind": "resource"}])
}

fn location(output: &Output<'_>, position: Option<&Position>, object: Option<&ObjectRef>) -> Value {
    let mut location = serde_json::Map::new();
    if let Some(p) = position {
        location.insert("physicalLocation".into(), physical(output, p));
    }
    if let Some(o) = object {
        location.insert("logicalLocations".into(), logical(o));
    }
    Value::Object(location)
}

/// A SARIF `fix`: one artifactChange per file, its replacements in order.
fn sarif_fix(fix: &kstor_rules::Fix, edits: Vec<crate::fix::PositionedEdit>) -> Value {
    let mut changes: Vec<(String, Vec<Value>)> = Vec::new();
    for edit in edits {
        let replacement = json!({
            "deletedRegion": {
                "startLine": edit.start.line,
                "startColumn": edit.start.column,
                "endLine": edit.end.line,
                "endColumn": edit.end.column,
            },
            "insertedContent": {"text": edit.content},
        });
        match changes.iter_mut().find(|(file, _)| *file == edit.file) {
            Some((_, replacements)) => replacements.push(replacement),
            None => changes.push((edit.file, vec![replacement])),
        }
    }
    json!({
        "description": {"text": format!("{} ({})", fix.message, fix.applicability.as_str())},
        "artifactChanges": changes
            .into_iter()
            .map(|(file, replacements)| json!({"artifactLocation": {"uri": uri(&file)}, "replacements": replacements}))
            .collect::<Vec<_>>(),
    })
}

fn rule_descriptor(rule: &dyn Rule) -> Value {
    let meta = rule.meta();
    let docs = meta.documentation();
    json!({
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.section("What it does").unwrap_or_default()},
        "help": {"text": meta.section("Fix").unwrap_or_default(), "markdown": docs},
        "helpUri": meta.doc_url(),
        "defaultConfiguration": {"level": level(meta.severity)},
        "properties": {"tags": ["kubernetes", "storage", meta.group.as_str()]},
    })
}

/// The SARIF log as a value.
pub fn sarif_report(output: &Output<'_>) -> Value {
    let results: Vec<Value> = output
        .result
        .findings
        .iter()
        .map(|r| {
            let f = &r.finding;
            let rule_index = RULES.iter().position(|rule| rule.meta().code == f.rule.code).unwrap_or(0);
            let related: Vec<Value> = r
                .related_with(output.graph)
                .enumerate()
                .map(|(i, (rel, position, object))| {
                    let mut value = location(output, position, object);
                    value["id"] = json!(i);
                    value["message"] = json!({"text": rel.message});
                    value
                })
                .collect();
            let mut text = f.message.clone();
            if let Some(help) = &f.help {
                text.push_str(&format!(". Fix: {help}"));
            }
            let mut result = json!({
                "ruleId": f.rule.code,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [location(output, r.position.as_ref(), r.object(output.graph))],
                "relatedLocations": related,
            });
            if let Some(fix) =
                f.fix.as_ref().filter(|f| f.applicability != kstor_rules::Applicability::DisplayOnly)
            {
                let edits = crate::fix::positioned(output, fix);
                if !edits.is_empty() {
                    result["fixes"] = json!([sarif_fix(fix, edits)]);
                }
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "kstor",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": RULES.iter().map(|r| rule_descriptor(*r)).collect::<Vec<_>>(),
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    // `kstor audit`: the inventory travels in the run's property bag.
    if let Some(inventory) = output.inventory {
        run["properties"] = json!({"inventory": inventory});
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("k8s/app.yaml"), "k8s/app.yaml");
        assert_eq!(uri("./my dir/a.yaml"), "my%20dir/a.yaml");
        assert_eq!(uri("-"), "stdin");
    }
}
