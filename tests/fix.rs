//! `kstor lint --fix`, `--unsafe-fixes` and `--diff` on files and stdin.

use std::os::unix::fs::PermissionsExt;

use assert_cmd::Command;

/// `kstor lint --no-config` followed by the arguments.
fn lint(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("kstor").unwrap();
    cmd.args(["lint", "--no-config"]).args(args);
    cmd
}

/// A class with a safe fix (KS701: allowVolumeExpansion) and an unsafe one (KS101: Immediate
/// binding on zonal EBS volumes), written with comments and a CRLF-free 4-space style.
const CLASS: &str = "\
# platform storage
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
    name: fast   # the team's class
provisioner: ebs.csi.aws.com
volumeBindingMode: Immediate
parameters:
    encrypted: \"true\"
";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn diff_prints_the_change_writes_nothing_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "class.yaml", CLASS);
    let out = lint(&["--diff"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("+allowVolumeExpansion: true"), "{diff}");
    assert!(!diff.contains("WaitForFirstConsumer"), "unsafe fixes need --unsafe-fixes: {diff}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CLASS);
    let out = lint(&["--diff", "--unsafe-fixes"]).arg(&path).output().unwrap();
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.contains("-volumeBindingMode: Immediate\n+volumeBindingMode: WaitForFirstConsumer"),
        "{diff}"
    );
}

#[test]
fn fix_edits_in_place_keeping_comments_and_permissions_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "class.yaml", CLASS);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = lint(&["--fix"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("1 fixed [KS701 ×1] (1 more available with --unsafe-fixes)"), "{stderr}");
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(fixed, format!("{CLASS}allowVolumeExpansion: true\n"));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    // The remaining (unsafe) finding is still reported.
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("KS101") && !report.contains("[KS701]"), "{report}");
    let out = lint(&["--fix", "--unsafe-fixes"]).arg(&path).output().unwrap();
    assert!(String::from_utf8(out.stderr).unwrap().contains("1 fixed [KS101 ×1]"));
    assert_eq!(out.status.code(), Some(0));
    let again = lint(&["--diff", "--unsafe-fixes"]).arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "a second fix would change the file");
    assert!(std::fs::read_to_string(&path).unwrap().contains("    name: fast   # the team's class\n"));
    // Only the class file is in the directory: the write left no temporary file behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn stdin_fix_prints_the_fixed_document_and_reports_on_stderr() {
    let out = lint(&["--fix", "-"]).write_stdin(CLASS).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("{CLASS}allowVolumeExpansion: true\n"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("KS101") && stderr.contains("1 fixed"), "{stderr}");
}

#[test]
fn json_files_are_fixed_as_json_and_broken_files_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let json = "{\"apiVersion\": \"storage.k8s.io/v1\", \"kind\": \"StorageClass\", \"metadata\": {\"name\": \"fast\"}, \"provisioner\": \"ebs.csi.aws.com\", \"volumeBindingMode\": \"WaitForFirstConsumer\", \"parameters\": {\"encrypted\": \"true\"}}";
    let path = write(&dir, "class.json", json);
    let broken = write(&dir, "broken.yaml", "apiVersion: v1\nkind: [unclosed\n");
    lint(&["--fix"]).arg(&path).arg(&broken).output().unwrap();
    let fixed = std::fs::read_to_string(&path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(value["allowVolumeExpansion"], true);
    assert!(
        fixed.ends_with("}}, \"allowVolumeExpansion\": true}")
            || fixed.ends_with(", \"allowVolumeExpansion\": true}"),
        "{fixed}"
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "apiVersion: v1\nkind: [unclosed\n");
}

#[test]
fn json_and_sarif_findings_carry_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "class.yaml", CLASS);
    let out = lint(&["-f", "json"]).arg(&path).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ks701 = report["findings"].as_array().unwrap().iter().find(|f| f["code"] == "KS701").unwrap();
    assert_eq!(ks701["fix"]["applicability"], "safe");
    // A whole new line, inserted at the start of the line after the class's last one: the
    // edits are those `--fix` applies, resolved together.
    assert_eq!(ks701["fix"]["edits"][0]["start"], serde_json::json!({"line": 10, "column": 1}));
    assert_eq!(ks701["fix"]["edits"][0]["content"], "allowVolumeExpansion: true\n");
    let ks101 = report["findings"].as_array().unwrap().iter().find(|f| f["code"] == "KS101").unwrap();
    assert_eq!(ks101["fix"]["applicability"], "unsafe");
    assert!(ks101["fix"]["message"].as_str().unwrap().contains("StorageClass fields are immutable"));
    let out = lint(&["-f", "sarif"]).arg(&path).output().unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let fix = &results.iter().find(|r| r["ruleId"] == "KS701").unwrap()["fixes"][0];
    let replacement = &fix["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["insertedContent"]["text"], "allowVolumeExpansion: true\n");
    assert_eq!(replacement["deletedRegion"]["startLine"], 10);
}
