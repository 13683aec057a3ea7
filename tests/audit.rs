//! `kstor audit --from`: the recorded EKS cluster dump (crates/kstor-live/tests/data/dump.json,
//! `kubectl get … -A -o json` of 44 objects) through the binary, in every format.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The dump was taken at 2025-11-26T14:52Z; audit it an hour later.
const NOW: &str = "2025-11-26T15:52:00Z";

fn dump() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/kstor-live/tests/data/dump.json")
}

fn kstor(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("kstor").unwrap().args(args).args(["--no-config"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn audit_json(extra: &[&str]) -> Value {
    audit_json_at(NOW, extra)
}

fn audit_json_at(now: &str, extra: &[&str]) -> Value {
    let dump = dump();
    let mut args = vec!["audit", "--from", dump.to_str().unwrap(), "--now", now, "-f", "json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = kstor(&args);
    assert_eq!(code, 1, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// The text report of the dump as the README shows it.
fn audit_text() -> (i32, String, String) {
    let dump = dump();
    kstor(&[
        "audit",
        "--from",
        dump.to_str().unwrap(),
        "--now",
        NOW,
        "--price-per-gib-month",
        "0.08",
        "--color",
        "never",
    ])
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn text_report_has_the_inventory_and_groups_by_namespace() {
    let dump = dump();
    let (code, stdout, stderr) = audit_text();
    assert_eq!(code, 1, "errors and warnings fail the run as lint does: {stderr}");
    assert_eq!(stderr, "");
    let stdout = stdout.replace(dump.to_str().unwrap(), "dump.json");
    insta::assert_snapshot!("audit_dump_text", stdout);
}

#[test]
fn json_findings_point_at_objects_not_files() {
    let report = audit_json(&["--price-per-gib-month", "0.08"]);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(f["file"].is_null() && f["line"].is_null(), "{f}");
        assert!(f["object"]["kind"].is_string() && f["object"]["name"].is_string(), "{f}");
    }
    let mut expected = vec!["KS101", "KS205", "KS301", "KS404", "KS503", "KS804", "KS901", "KS902", "KS903"];
    expected.extend(["KS905", "KS905", "KS906", "KS910"]);
    let mut got = codes(&report);
    got.sort();
    assert_eq!(got, expected);
    let inventory = &report["inventory"];
    assert_eq!(inventory["nodes"]["total"], 3);
    assert_eq!(inventory["nodes"]["schedulable"], 2);
    assert_eq!(inventory["orphaned"]["volumes"], 1);
    assert_eq!(inventory["orphaned"]["bytes"], 50.0 * 1024.0 * 1024.0 * 1024.0);
    assert_eq!(inventory["orphaned"]["monthlyCost"], 4.0);
    assert_eq!(inventory["snapshotApi"], "served");
    let classes: Vec<&str> =
        inventory["storageClasses"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(classes, ["gp3", "io2-immediate"]);
    assert_eq!(inventory["storageClasses"][0]["default"], true);
    assert_eq!(inventory["storageClasses"][1]["bindingMode"], "Immediate");
    let gib = 1024.0 * 1024.0 * 1024.0;
    let gp3 = &inventory["claims"][0];
    assert_eq!(
        (&gp3["class"], &gp3["claims"], &gp3["bound"], &gp3["pending"], &gp3["lost"]),
        (&"gp3".into(), &4.into(), &2.into(), &1.into(), &1.into())
    );
    assert_eq!(gp3["capacityBytes"], 40.0 * gib, "the two bound postgres claims");
    assert_eq!(report["summary"]["files"], 0);
    assert_eq!(report["summary"]["objects"], 44);
}

#[test]
fn ages_follow_the_injected_clock() {
    // Two minutes after the pending claim was created (13:58:20) it is inside its grace period.
    let early = audit_json_at("2025-11-26T14:00:00Z", &[]);
    assert!(!codes(&early).contains(&"KS901".to_string()), "{:?}", codes(&early));
    let late = audit_json(&[]);
    assert!(codes(&late).contains(&"KS901".to_string()));
}

#[test]
fn namespaces_restrict_namespaced_objects_only() {
    let report = audit_json(&["-n", "data"]);
    for f in report["findings"].as_array().unwrap() {
        let ns = &f["object"]["namespace"];
        assert!(ns.is_null() || ns == "data", "{f}");
    }
    let codes = codes(&report);
    assert!(codes.contains(&"KS902".to_string()), "cluster-scoped PVs are still audited");
    assert!(!codes.contains(&"KS903".to_string()), "queues/redis-data is out of scope");
}

#[test]
fn a_dump_given_twice_is_audited_once() {
    let dump = dump();
    let once = audit_json(&[]);
    let twice = audit_json(&["--from", dump.to_str().unwrap()]);
    assert_eq!(once["findings"], twice["findings"]);
    assert_eq!(twice["summary"]["objects"], 44);
}

#[test]
fn other_formats_name_the_objects() {
    let dump = dump();
    let dump = dump.to_str().unwrap();
    let (_, sarif, _) = kstor(&["audit", "--from", dump, "--now", NOW, "-f", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["inventory"]["nodes"]["total"], 3);
    let names: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"PersistentVolumeClaim/queues/redis-data"), "{names:?}");

    let (_, junit, _) = kstor(&["audit", "--from", dump, "--now", NOW, "-f", "junit"]);
    assert!(junit.contains(r#"<testsuite name="namespace queues""#), "{junit}");
    assert!(junit.contains(r#"<testsuite name="cluster-scoped objects""#), "{junit}");

    let (_, github, _) = kstor(&["audit", "--from", dump, "--now", NOW, "-f", "github"]);
    let lost = github.lines().find(|l| l.contains("KS903")).unwrap();
    assert!(
        lost.starts_with("::error title=KS903 claim-lost::PersistentVolumeClaim/queues/redis-data: "),
        "{lost}"
    );
}

#[test]
fn stdin_is_a_dump_too() {
    let text = std::fs::read_to_string(dump()).unwrap();
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .args(["audit", "--no-config", "--from", "-", "--now", NOW, "-f", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], audit_json(&[])["findings"]);
}

#[test]
fn bad_dumps_are_clear_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.json");
    let text = std::fs::read_to_string(dump()).unwrap();
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let (code, stdout, stderr) = kstor(&["audit", "--from", truncated.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("truncated.json:") && stderr.contains("ends early"), "{stderr}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"apiVersion\": \"v1\",\n \"kind\": \"List\",\n \"items\": [}\n").unwrap();
    let (code, _, stderr) = kstor(&["audit", "--from", broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with(&format!("kstor: error: {}:3:12: ", broken.display())), "{stderr}");

    let yaml = dir.path().join("dump.yaml");
    std::fs::write(&yaml, "apiVersion: v1\nkind: List\n").unwrap();
    let (code, _, stderr) = kstor(&["audit", "--from", yaml.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("dump.yaml:1:1: not JSON"), "{stderr}");

    let (code, _, stderr) = kstor(&["audit", "--from", "/nonexistent/dump.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/dump.json: no such file"), "{stderr}");

    let (code, _, stderr) = kstor(&["audit", "--from", dump().to_str().unwrap(), "--max-file-size", "1KiB"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("larger than the limit of 1 KiB (--max-file-size)"), "{stderr}");

    let (code, _, stderr) = kstor(&["audit", "--from", dump().to_str().unwrap(), "--now", "yesterday"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--now yesterday"), "{stderr}");
}

/// The audit output shown in README.md and docs/audit.md is what kstor prints: every shown line
/// (the elisions `…` aside) is a line of the real output.
#[test]
fn documented_output_matches() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dump = dump();
    let (_, stdout, _) = audit_text();
    let stdout = stdout.replace(dump.to_str().unwrap(), "crates/kstor-live/tests/data/dump.json");
    let real: std::collections::HashSet<&str> = stdout.lines().collect();
    let command = "$ kstor audit --from crates/kstor-live/tests/data/dump.json --now 2025-11-26T15:52:00Z --price-per-gib-month 0.08";
    for doc in ["README.md", "docs/audit.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let block = text.split_once(command).unwrap_or_else(|| panic!("{doc} shows the audit")).1;
        let block = block.split_once("```").unwrap().0;
        let mut shown = 0;
        for line in block.lines().filter(|l| !l.trim().is_empty() && l.trim() != "…") {
            let line = line.trim_end();
            // docs/audit.md shortens one long provisioning error with `…`.
            let found = real.contains(line)
                || line
                    .split_once(" … ")
                    .is_some_and(|(a, b)| stdout.lines().any(|r| r.starts_with(a) && r.ends_with(b)));
            assert!(found, "{doc} shows a line kstor does not print:\n{line}");
            shown += 1;
        }
        assert!(shown > 20, "{doc}: {shown} lines");
    }
}

#[test]
fn timings_name_every_phase_and_the_peak_memory() {
    let dump = dump();
    let args = ["audit", "--from", dump.to_str().unwrap(), "--now", NOW, "--timings", "-o", "/dev/null"];
    let (code, stdout, stderr) = kstor(&args);
    assert_eq!((code, stdout.as_str()), (1, ""));
    let line = stderr.lines().find(|l| l.starts_with("kstor: timings: ")).expect(&stderr);
    for phase in ["read ", "load ", "graph ", "rules ", "render "] {
        assert!(line.contains(phase), "{phase}: {line}");
    }
    assert!(line.contains(", peak RSS "), "Linux reports the peak: {line}");
}
