//! Every output format on one realistic input: shape, positions and schema validity.

use kstor_model::catalog::Catalog;
use kstor_model::graph::{self, StorageGraph};
use kstor_model::{Limits, Workspace};
use kstor_render::{Format, Output, json_report, render, sarif_report};
use kstor_rules::{LintResult, Settings, lint};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const CLASS: &str = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
provisioner: ebs.csi.aws.com
";

const APP: &str = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: web
spec:
  accessModes: [ReadWriteMany]
  storageClassName: gp3
  resources:
    requests:
      storage: 10Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: web
spec:
  replicas: 1
  selector: {matchLabels: {app: x}}
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1
          volumeMounts: [{name: cache, mountPath: /cache}]
      volumes:
        - name: cache
          emptyDir: {medium: Memory}
";

fn lint_example() -> (StorageGraph, LintResult) {
    let mut ws = Workspace::default();
    ws.add_text("platform/class.yaml", CLASS.to_string(), &Limits::default());
    ws.add_text("app/app yaml.yaml", APP.to_string(), &Limits::default());
    let graph = graph::build(ws, Catalog::builtin());
    let result = lint(&graph, &Settings::default());
    (graph, result)
}

fn rendered(format: Format) -> String {
    let (graph, result) = lint_example();
    let mut out = Vec::new();
    render(format, &Output::new(&graph, &result), false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Validates `[document, …]` against the schema given as the first argument; prints one line
/// per document: the number of errors, then the first few.
const VALIDATE_PY: &str = r#"
import json, sys
from jsonschema.validators import validator_for
schema = json.load(open(sys.argv[1], encoding="utf-8"))
cls = validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
for document in json.load(sys.stdin):
    errors = [f"{e.message} at {e.json_path}" for e in validator.iter_errors(document)]
    print(json.dumps([len(errors)] + errors[:5]))
"#;

/// A Python with the `jsonschema` package: `$JSONSCHEMA_PYTHON` (.ci/run sets it to its venv,
/// where kubernetes-validate brings jsonschema), else `python3` when it can import it. Missing:
/// fails under CI, else prints `SKIPPED: …` and returns None.
fn python_with_jsonschema() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("JSONSCHEMA_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let probe = Command::new("python3").args(["-c", "import jsonschema"]).output();
    if probe.is_ok_and(|o| o.status.success()) {
        return Some(PathBuf::from("python3"));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must validate SARIF against its schema: set JSONSCHEMA_PYTHON"
    );
    eprintln!("SKIPPED: no python3 with jsonschema (pip install jsonschema, or set JSONSCHEMA_PYTHON)");
    None
}

/// Error counts (and first messages) of each document against the official SARIF schema.
fn schema_errors(python: &PathBuf, documents: &[&Value]) -> Vec<Value> {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sarif-schema-2.1.0.json");
    let mut child = Command::new(python)
        .args(["-c", VALIDATE_PY, schema])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let input = serde_json::to_vec(documents).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(python) = python_with_jsonschema() else { return };
    let (graph, result) = lint_example();
    let sarif = sarif_report(&Output::new(&graph, &result));
    // The schema must be able to fail: a result without a message is invalid.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0].as_object_mut().unwrap().remove("message");
    let errors = schema_errors(&python, &[&sarif, &broken]);
    assert_eq!(errors[0][0], 0, "{:#}", errors[0]);
    assert!(errors[1][0].as_u64().unwrap() > 0, "the broken log passed: {:#}", errors[1]);
}

#[test]
fn sarif_has_the_shape_code_scanning_reads() {
    let (graph, result) = lint_example();
    let sarif = sarif_report(&Output::new(&graph, &result));
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().ends_with("sarif-2.1.0.json"));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(run["tool"]["driver"]["name"], "kstor");
    assert_eq!(rules.len(), kstor_rules::registry::RULES.len());
    for rule in rules {
        assert!(rule["id"].as_str().is_some_and(|id| id.starts_with("KS")), "{rule:#}");
        assert!(rule["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()), "{rule:#}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), result.findings.len());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{r:#}");
        assert!(["error", "warning", "note", "none"].contains(&r["level"].as_str().unwrap()), "{r:#}");
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()), "{r:#}");
        for location in
            r["locations"].as_array().unwrap().iter().chain(r["relatedLocations"].as_array().unwrap())
        {
            let physical = &location["physicalLocation"];
            assert!(physical["artifactLocation"]["uri"].as_str().is_some_and(|u| !u.contains(' ')), "{r:#}");
            for key in ["startLine", "startColumn"] {
                assert!(physical["region"][key].as_u64().is_some_and(|n| n >= 1), "{key}: {r:#}");
            }
        }
    }
    let ks204 = results.iter().find(|r| r["ruleId"] == "KS204").expect("RWX on EBS");
    let region = &ks204["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(7), Some(17)));
    assert_eq!(ks204["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "app/app%20yaml.yaml");
    assert_eq!(
        ks204["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "platform/class.yaml"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let (graph, result) = lint_example();
    let json = serde_json::to_value(json_report(&Output::new(&graph, &result))).unwrap();
    assert_eq!(json["version"], 1);
    let summary = &json["summary"];
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["objects"], 3);
    assert_eq!(summary["suppressed"], 0);
    let total: u64 = ["error", "warning", "info"].iter().map(|k| summary[k].as_u64().unwrap()).sum();
    assert_eq!(total as usize, json["findings"].as_array().unwrap().len());
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "KS601").unwrap();
    assert_eq!(f["name"], "memory-emptydir-without-size-limit");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["file"], "app/app yaml.yaml");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(29), Some(11)));
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "web", "name": "app"})
    );
    for key in ["code", "name", "severity", "message", "file", "line", "column", "object", "related"] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    let ks204 = json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "KS204").unwrap();
    let related = &ks204["related"][0];
    assert_eq!(
        (related["file"].as_str(), related["line"].as_u64(), related["column"].as_u64()),
        (Some("platform/class.yaml"), Some(5), Some(1))
    );
    assert!(related["message"].as_str().unwrap().contains("ebs.csi.aws.com"));
}

#[test]
fn junit_has_a_suite_per_file_and_a_failure_per_finding() {
    let xml = rendered(Format::Junit);
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("<testsuite name=\"app/app yaml.yaml\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"platform/class.yaml\""), "{xml}");
    let (_, result) = lint_example();
    assert_eq!(xml.matches("<failure").count(), result.findings.len());
    assert!(xml.contains("KS204 access-mode-unsupported-by-driver at app/app yaml.yaml:7:17"));
}

#[test]
fn github_annotations_escape_and_position() {
    let out = rendered(Format::Github);
    let line = out.lines().find(|l| l.contains("KS601")).unwrap();
    assert!(line.starts_with("::warning file=app/app yaml.yaml,line=29,col=11,"), "{line}");
    assert!(line.contains("title=KS601 memory-emptydir-without-size-limit::"), "{line}");
    assert!(!line.contains('\n'));
    assert!(out.lines().any(|l| l.starts_with("::error ") && l.contains("KS204")));
}

#[test]
fn text_shows_frames_related_files_and_a_summary() {
    let out = rendered(Format::Text);
    assert!(out.contains("error[KS204]: claim web/data requests ReadWriteMany"), "{out}");
    assert!(out.contains("--> app/app yaml.yaml:7:17"), "{out}");
    assert!(out.contains("::: platform/class.yaml:5:1"), "{out}");
    assert!(out.contains("7 |   accessModes: [ReadWriteMany]"), "{out}");
    assert!(out.trim_end().ends_with("in 2 files, 3 objects"), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour when disabled");
}

/// What GitLab requires of a Code Quality report, as published in "Code Quality report format"
/// (<https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>): a JSON
/// array of objects, each with the string fields `description`, `check_name`, `fingerprint`,
/// `severity` (one of `info`, `minor`, `major`, `critical`, `blocker`) and `location.path` (a
/// path relative to the repository, not prefixed with `./`), and the integer line
/// `location.lines.begin` (or `location.positions.begin.line`). Returns every violation.
fn code_quality_violations(report: &Value) -> Vec<String> {
    const SEVERITIES: [&str; 5] = ["info", "minor", "major", "critical", "blocker"];
    let Some(issues) = report.as_array() else { return vec!["the report is not a JSON array".into()] };
    let mut violations = Vec::new();
    for (i, issue) in issues.iter().enumerate() {
        for field in ["description", "check_name", "fingerprint", "severity"] {
            if issue[field].as_str().is_none_or(str::is_empty) {
                violations.push(format!("issue {i}: `{field}` is not a non-empty string"));
            }
        }
        if let Some(severity) = issue["severity"].as_str()
            && !SEVERITIES.contains(&severity)
        {
            violations.push(format!("issue {i}: severity `{severity}` is not one of {SEVERITIES:?}"));
        }
        match issue["location"]["path"].as_str() {
            Some(path) if !path.is_empty() && !path.starts_with("./") && !path.starts_with('/') => {}
            other => violations.push(format!("issue {i}: location.path {other:?} is not a relative path")),
        }
        let line = issue["location"]["lines"]["begin"]
            .as_u64()
            .or_else(|| issue["location"]["positions"]["begin"]["line"].as_u64());
        if line.is_none_or(|l| l < 1) {
            violations.push(format!("issue {i}: no integer location.lines.begin"));
        }
    }
    violations
}

fn gitlab_example(root: Option<&std::path::Path>) -> Value {
    let (graph, result) = lint_example();
    let mut output = Output::new(&graph, &result);
    if let Some(root) = root {
        output = output.with_root(root);
    }
    let mut out = Vec::new();
    render(Format::Gitlab, &output, false, &mut out).unwrap();
    serde_json::from_slice(&out).expect("the report is JSON")
}

#[test]
fn gitlab_code_quality_has_the_fields_gitlab_requires() {
    let report = gitlab_example(None);
    let issues = report.as_array().unwrap();
    let (_, result) = lint_example();
    assert_eq!(issues.len(), result.findings.len());
    assert_eq!(code_quality_violations(&report), Vec::<String>::new(), "{report:#}");
    // The check can fail: GitLab's own severities only, a fingerprint, a relative path.
    let mut broken = report.clone();
    broken[0]["severity"] = "warning".into();
    broken[1].as_object_mut().unwrap().remove("fingerprint");
    broken[2]["location"]["path"] = "./app.yaml".into();
    broken[3]["location"]["lines"].as_object_mut().unwrap().remove("begin");
    assert_eq!(code_quality_violations(&broken).len(), 4, "{:#?}", code_quality_violations(&broken));

    let ks204 = issues.iter().find(|i| i["check_name"] == "KS204").expect("RWX on EBS");
    assert_eq!(ks204["severity"], "critical");
    assert_eq!(ks204["location"]["path"], "app/app yaml.yaml");
    assert_eq!(ks204["location"]["lines"]["begin"], 7);
    assert!(
        ks204["description"].as_str().unwrap().starts_with("KS204: claim web/data requests ReadWriteMany")
    );
    let ks601 = issues.iter().find(|i| i["check_name"] == "KS601").unwrap();
    assert_eq!(
        (ks601["severity"].as_str(), ks601["location"]["lines"]["begin"].as_u64()),
        (Some("major"), Some(29))
    );
    let fingerprints: std::collections::BTreeSet<&str> =
        issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
}

#[test]
fn gitlab_paths_are_relative_to_the_root() {
    // The same files named by absolute paths under the root give the same report.
    let mut ws = Workspace::default();
    ws.add_text("/builds/team/repo/platform/class.yaml", CLASS.to_string(), &Limits::default());
    ws.add_text("/builds/team/repo/app/app yaml.yaml", APP.to_string(), &Limits::default());
    let graph = graph::build(ws, Catalog::builtin());
    let result = lint(&graph, &Settings::default());
    let output = Output::new(&graph, &result).with_root(std::path::Path::new("/builds/team/repo"));
    let mut out = Vec::new();
    render(Format::Gitlab, &output, false, &mut out).unwrap();
    let absolute: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(absolute, gitlab_example(None));
    assert_eq!(absolute, gitlab_example(Some(std::path::Path::new("/somewhere/else"))));
}
