//! `kstor report`: the pattern report on the bundled examples, in every format.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn examples(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(sub)
}

fn kstor() -> Command {
    let mut cmd = Command::cargo_bin("kstor").unwrap();
    cmd.env("NO_COLOR", "1").current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn report_json(sub: &str) -> Value {
    let output = kstor().args(["report", "--no-config", "-f", "json"]).arg(examples(sub)).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn row<'a>(report: &'a Value, workload: &str, volume: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["workload"] == workload && r["volume"] == volume)
        .unwrap_or_else(|| panic!("no row {workload} {volume}"))
}

#[test]
fn pitfalls_report_explains_the_mismatches() {
    let report = report_json("pitfalls");
    assert_eq!(report["version"], 1);
    let pg = row(&report, "statefulset shop/orders-db", "data");
    assert_eq!(pg["role"], "database");
    assert_eq!(pg["pattern"], "rwx-file");
    assert_eq!(pg["recommended"], serde_json::json!(["rwo-snapshot"]));
    assert_eq!(pg["verdict"], "mismatch");
    assert_eq!(pg["consistency"], "eventual / weak (file locking varies)");
    assert_eq!(pg["latencyP99"], "15–40 ms");
    assert_eq!(pg["podsPerVolume"], "N");
    assert!(pg["reason"].as_str().unwrap().contains("single writer"));
    let summary = &report["summary"];
    assert!(summary["mismatch"].as_u64().unwrap() >= 2, "{summary}");
}

#[test]
fn hardened_report_has_no_mismatch() {
    let report = report_json("hardened");
    assert_eq!(report["summary"]["mismatch"], 0, "{:#}", report["rows"]);
    assert!(report["summary"]["fits"].as_u64().unwrap() >= 3);
    assert_eq!(row(&report, "statefulset shop-hardened/orders-db", "data")["verdict"], "fits");
}

#[test]
fn text_report_of_the_examples() {
    let output = kstor().args(["report", "--no-config"]).arg(examples("")).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(&text),
        "README.md shows an outdated `kstor report examples/`; paste the new output"
    );
}

#[test]
fn markdown_report_is_a_table_with_every_column() {
    let output = kstor()
        .args(["report", "--no-config", "--format", "markdown"])
        .arg(examples("pitfalls"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "| Workload | Volume | Role | Pattern | Recommended | Consistency | p99 latency | Pods per volume | Failure domain | Verdict |"
    );
    assert_eq!(lines.next().unwrap(), "|---|---|---|---|---|---|---|---|---|---|");
    let orders = lines.find(|l| l.starts_with("| statefulset shop/orders-db | data |")).unwrap();
    assert!(orders.contains("| rwx-file | rwo-snapshot |") && orders.contains("**MISMATCH**"), "{orders}");
    assert!(lines.all(|l| l.starts_with('|') && l.matches(" | ").count() >= 9));
}

#[test]
fn report_reads_stdin_and_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    let manifest = std::fs::read_to_string(examples("pitfalls/apps/orders-db.yaml")).unwrap();
    let output = kstor()
        .args(["report", "--no-config", "-f", "markdown", "-o"])
        .arg(&out)
        .arg("-")
        .write_stdin(manifest)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty());
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("| Workload |"));
}

#[test]
fn missing_input_exits_2() {
    let output = kstor().args(["report", "/nonexistent/kstor"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("kstor: error:"));
}
