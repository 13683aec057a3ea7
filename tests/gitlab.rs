//! `--format gitlab` through the binary: the Code Quality report of the examples (snapshot),
//! fingerprints that survive moved lines, input order, absolute paths and an audit's clock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs kstor in `dir`; returns the exit code and the parsed report.
fn gitlab(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .args(["--no-config", "--format", "gitlab"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report)
}

/// fingerprint → (check, path, line).
fn by_fingerprint(report: &Value) -> BTreeMap<String, (String, String, u64)> {
    let issues = report.as_array().unwrap();
    let map: BTreeMap<_, _> = issues
        .iter()
        .map(|i| {
            (
                i["fingerprint"].as_str().unwrap().to_string(),
                (
                    i["check_name"].as_str().unwrap().to_string(),
                    i["location"]["path"].as_str().unwrap().to_string(),
                    i["location"]["lines"]["begin"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(map.len(), issues.len(), "fingerprints are unique");
    map
}

#[test]
fn the_examples_code_quality_report() {
    let (code, report) = gitlab(root(), &["lint", "examples/"]);
    assert_eq!(code, 1, "the pitfalls have errors");
    let issues = report.as_array().unwrap();
    assert!(issues.len() > 30, "{}", issues.len());
    for issue in issues {
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(path.starts_with("examples/pitfalls/"), "only the pitfalls have findings: {path}");
        assert!(root().join(path).is_file(), "{path} is a file of the repository");
    }
    insta::assert_snapshot!("examples", serde_json::to_string_pretty(&report).unwrap());
}

#[test]
fn same_report_from_absolute_paths_and_any_input_order() {
    let (_, relative) = gitlab(root(), &["lint", "examples/pitfalls", "examples/hardened"]);
    let absolute_dir = root().join("examples");
    let (_, absolute) = gitlab(
        root(),
        &[
            "lint",
            absolute_dir.join("hardened").to_str().unwrap(),
            absolute_dir.join("pitfalls").to_str().unwrap(),
        ],
    );
    assert_eq!(relative, absolute);
    let (_, dotted) = gitlab(root(), &["lint", "./examples/hardened", "./examples/pitfalls/"]);
    assert_eq!(relative, dotted);
}

/// A copy of the pitfalls in a temporary directory, with `prefix` put before the first line of
/// every file.
fn pitfalls_copy(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut stack = vec![root().join("examples/pitfalls")];
    while let Some(source) = stack.pop() {
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(root().join("examples")).unwrap();
            let target: PathBuf = dir.path().join(relative);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(target, format!("{prefix}{text}")).unwrap();
        }
    }
    dir
}

#[test]
fn fingerprints_survive_moved_lines() {
    let before = pitfalls_copy("");
    let after = pitfalls_copy("# reviewed\n# by the platform team\n");
    let (_, before) = gitlab(before.path(), &["lint", "pitfalls"]);
    let (_, after) = gitlab(after.path(), &["lint", "pitfalls"]);
    let (before, after) = (by_fingerprint(&before), by_fingerprint(&after));
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (fingerprint, (check, path, line)) in &before {
        assert_eq!(after[fingerprint], (check.clone(), path.clone(), line + 2), "{fingerprint}");
    }
}

#[test]
fn fingerprints_differ_between_same_named_objects_in_different_files() {
    // Two overlays of the same bundle: the same objects, rules and fields, other files.
    let dir = pitfalls_copy("");
    std::fs::create_dir_all(dir.path().join("overlays")).unwrap();
    std::fs::rename(dir.path().join("pitfalls"), dir.path().join("overlays/prod")).unwrap();
    let staging = pitfalls_copy("");
    std::fs::rename(staging.path().join("pitfalls"), dir.path().join("overlays/staging")).unwrap();
    let (_, prod) = gitlab(dir.path(), &["lint", "overlays/prod"]);
    let (_, staging) = gitlab(dir.path(), &["lint", "overlays/staging"]);
    let (prod, staging) = (by_fingerprint(&prod), by_fingerprint(&staging));
    assert_eq!(prod.len(), staging.len());
    assert!(prod.keys().all(|k| !staging.contains_key(k)), "fingerprints include the path");
}

#[test]
#[cfg(feature = "audit")]
fn audit_fingerprints_do_not_follow_the_clock() {
    let dump = root().join("crates/kstor-live/tests/data/dump.json");
    let dump = dump.to_str().unwrap();
    let audit = |now: &str| gitlab(root(), &["audit", "--from", dump, "--now", now]);
    let (code, hour) = audit("2025-11-26T15:52:00Z");
    assert_eq!(code, 1);
    let (_, month) = audit("2025-12-26T15:52:00Z");
    let issues = hour.as_array().unwrap();
    let lost = issues.iter().find(|i| i["check_name"] == "KS903").expect("the Lost claim");
    assert_eq!(lost["location"]["path"], "PersistentVolumeClaim/queues/redis-data");
    assert_eq!(lost["location"]["lines"]["begin"], 1);
    assert_eq!(lost["severity"], "critical");
    // A month later the ages in the messages differ; what is found, and its fingerprints, do not.
    assert_ne!(hour, month);
    let (hour, month) = (by_fingerprint(&hour), by_fingerprint(&month));
    assert_eq!(hour, month);
}
