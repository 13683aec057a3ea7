//! The command line as users run it: inputs, formats, exit codes, suppression, config, limits.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const BAD: &str = "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: web
spec:
  storageClassName: standard
  accessModes: [ReadWriteOnce]
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
  replicas: 3
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1
          volumeMounts: [{name: data, mountPath: /data}]
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: data
";

const WARN_ONLY: &str = "apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  containers:
    - name: app
      image: ghcr.io/example/app:1
      volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes:
    - name: tmp
      emptyDir: {medium: Memory}
";

const CLEAN: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: \"yes\"
";

fn kstor() -> Command {
    let mut cmd = Command::cargo_bin("kstor").unwrap();
    cmd.env("NO_COLOR", "1").arg("lint").arg("--no-config");
    cmd
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", BAD);
    let warn = write(dir.path(), "warn.yaml", WARN_ONLY);
    let clean = write(dir.path(), "clean.yaml", CLEAN);
    kstor().arg(&bad).assert().code(1);
    kstor().arg(&clean).assert().code(0);
    kstor().arg(&warn).assert().code(1);
    kstor().arg(&warn).args(["--fail-on", "error"]).assert().code(0);
    kstor().arg(&clean).args(["--fail-on", "info"]).assert().code(0);
    kstor().arg(&bad).args(["--fail-on", "never"]).assert().code(0);
}

#[test]
fn missing_path_is_a_one_line_error_with_exit_2() {
    let out = kstor().arg("no/such/dir").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim(), "kstor: error: no/such/dir: no such file or directory");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    kstor().args([".", "--select", "KS999"]).assert().code(2);
    kstor().args([".", "--format", "yaml"]).assert().code(2);
    Command::cargo_bin("kstor").unwrap().args(["explain", "no-such-rule"]).assert().code(2);
}

#[test]
fn reads_stdin_as_dash() {
    let out = kstor().args(["-", "--format", "json"]).write_stdin(BAD).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    let finding = &json["findings"][0];
    assert_eq!(finding["file"], "-");
    assert_eq!(finding["code"], "KS202");
    assert_eq!((finding["line"].as_u64(), finding["column"].as_u64()), (Some(31), Some(13)));
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn walks_directories_recursively_for_manifests_only() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/b/app.yml", BAD);
    write(
        dir.path(),
        "a/cache.json",
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}], "volumes": [{"name": "m", "emptyDir": {"medium": "Memory"}}]}}"#,
    );
    write(dir.path(), "a/notes.txt", "not yaml: [");
    write(dir.path(), ".git/config.yaml", "broken: [");
    let out = kstor().arg(dir.path()).args(["--format", "json"]).output().unwrap();
    let json = json_of(&out);
    assert_eq!(json["summary"]["files"], 2);
    let codes: Vec<_> = json["findings"].as_array().unwrap().iter().map(|f| f["code"].clone()).collect();
    assert_eq!(codes, vec!["KS202", "KS601"], "sorted by file: a/b/app.yml before a/cache.json");
}

#[test]
fn every_format_renders() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", BAD);
    for (format, marker) in [
        ("text", "error[KS202]"),
        ("json", "\"version\": 1"),
        ("sarif", "\"version\": \"2.1.0\""),
        ("junit", "<testsuites"),
        ("github", "::error file="),
    ] {
        let out = kstor().arg(&bad).args(["--format", format]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains(marker), "{format}: {stdout}");
    }
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", BAD);
    let report = dir.path().join("kstor.sarif");
    let out = kstor().arg(&bad).args(["--format", "sarif", "-o"]).arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let sarif: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "KS202");
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

#[test]
fn annotation_and_comment_suppression_are_counted() {
    let annotated = BAD.replace(
        "  name: app\n  namespace: web\n",
        "  name: app\n  namespace: web\n  annotations:\n    kstor.io/ignore: \"KS202\"\n    kstor.io/ignore-reason: migrating to a StatefulSet\n",
    );
    let out = kstor().args(["-", "--format", "json"]).write_stdin(annotated).output().unwrap();
    let json = json_of(&out);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["summary"]["suppressed"], 1);
    assert_eq!(out.status.code(), Some(0));

    let commented = BAD.replace(
        "            claimName: data",
        "            # kstor:ignore rwo-claim-shared-across-nodes\n            claimName: data",
    );
    let json = json_of(&kstor().args(["-", "--format", "json"]).write_stdin(commented).output().unwrap());
    assert_eq!(json["summary"]["suppressed"], 1);

    let other_rule =
        BAD.replace("            claimName: data", "            claimName: data # kstor:ignore KS601");
    let json = json_of(&kstor().args(["-", "--format", "json"]).write_stdin(other_rule).output().unwrap());
    assert_eq!(json["summary"]["suppressed"], 0, "a comment naming another rule suppresses nothing");
}

#[test]
fn select_and_ignore_by_code_name_or_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.yaml", BAD);
    write(dir.path(), "warn.yaml", WARN_ONLY);
    let codes = |extra: &[&str]| -> Vec<String> {
        let out = kstor().arg(dir.path()).args(["--format", "json"]).args(extra).output().unwrap();
        json_of(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&[]), vec!["KS202", "KS601"]);
    assert_eq!(codes(&["--select", "KS6"]), vec!["KS601"]);
    assert_eq!(codes(&["--ignore", "rwo-claim-shared-across-nodes"]), vec!["KS601"]);
    assert_eq!(codes(&["--select", "KS202,KS601", "--ignore", "KS601"]), vec!["KS202"]);
    let _ = bad;
}

#[test]
fn config_is_found_upward_and_applies() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".kstor.yaml",
        "ignore: [KS601]\nseverity:\n  rwo-claim-shared-across-nodes: info\nfail-on: warning\nexclude: [vendor]\n",
    );
    write(dir.path(), "k8s/bad.yaml", BAD);
    write(dir.path(), "k8s/warn.yaml", WARN_ONLY);
    write(dir.path(), "k8s/vendor/other.yaml", WARN_ONLY);
    let sub = dir.path().join("k8s");
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .current_dir(&sub)
        .args(["lint", ".", "--format", "json"])
        .output()
        .unwrap();
    let json = json_of(&out);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["severity"], "info");
    assert_eq!(json["summary"]["files"], 2, "vendor/ excluded");
    assert_eq!(out.status.code(), Some(0), "only info left under fail-on warning");

    // --config names a file explicitly; an invalid one is a positioned usage error.
    let broken = write(dir.path(), "broken.yaml", "select: [KS201]\nfail-on: sometimes\n");
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .args(["lint", "--config"])
        .arg(&broken)
        .arg(&sub)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("broken.yaml: 2:"), "{stderr}");
}

#[test]
fn bad_input_is_reported_and_never_hides_other_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "1-syntax.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: [unclosed\n---\n",
    );
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    write(dir.path(), "2-bomb.yaml", &bomb);
    write(dir.path(), "3-deep.yaml", &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)));
    fs::write(
        dir.path().join("4-latin1.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
    )
    .unwrap();
    write(
        dir.path(),
        "5-types.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: three\n",
    );
    write(dir.path(), "6-big.yaml", &"# padding\n".repeat(20_000));
    write(dir.path(), "7-good.yaml", WARN_ONLY);
    let out =
        kstor().arg(dir.path()).args(["--format", "json", "--max-file-size", "100KiB"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    let findings = json["findings"].as_array().unwrap();
    let by_file = |suffix: &str| {
        findings.iter().filter(|f| f["file"].as_str().unwrap().ends_with(suffix)).collect::<Vec<_>>()
    };
    assert_eq!(by_file("1-syntax.yaml")[0]["code"], "KS001");
    assert_eq!(by_file("1-syntax.yaml")[0]["line"], 4);
    assert!(by_file("2-bomb.yaml")[0]["message"].as_str().unwrap().contains("alias expansion"));
    assert!(by_file("3-deep.yaml")[0]["message"].as_str().unwrap().contains("nest"));
    assert!(by_file("4-latin1.yaml")[0]["message"].as_str().unwrap().contains("UTF-8"));
    let types = by_file("5-types.yaml");
    assert_eq!((types[0]["line"].as_u64(), types[0]["column"].as_u64()), (Some(5), Some(3)));
    assert!(by_file("6-big.yaml")[0]["message"].as_str().unwrap().contains("--max-file-size"));
    assert_eq!(by_file("7-good.yaml")[0]["code"], "KS601", "the good file is still linted");
}

#[test]
fn max_file_size_stays_below_4_gib() {
    // Positions in a file are 32-bit: a larger limit is a usage error, in every command.
    let mut commands = vec![&["lint", "--max-file-size", "4GiB"][..]];
    if cfg!(feature = "audit") {
        commands.push(&["audit", "--from", "-", "--max-file-size", "5GB"]);
    }
    for args in commands {
        let out = Command::cargo_bin("kstor").unwrap().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--max-file-size") && stderr.contains("below 4 GiB"), "{stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.yaml", CLEAN);
    let out = kstor().arg(dir.path()).args(["--max-file-size", "4095MiB"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rules_and_explain() {
    let out = Command::cargo_bin("kstor").unwrap().arg("rules").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    for rule in kstor_rules::registry::RULES {
        let m = rule.meta();
        assert!(table.contains(m.code) && table.contains(m.name), "{} missing from the table", m.code);
    }
    let json: Value = serde_json::from_slice(
        &Command::cargo_bin("kstor").unwrap().args(["rules", "--format", "json"]).output().unwrap().stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), kstor_rules::registry::RULES.len());
    let ks301 = json.as_array().unwrap().iter().find(|r| r["code"] == "KS301").unwrap();
    assert_eq!(ks301["fixes"], serde_json::json!(["safe", "unsafe"]));

    for name in ["KS201", "ks201", "rwx-for-database"] {
        let out = Command::cargo_bin("kstor").unwrap().args(["explain", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("# KS201 rwx-for-database"), "{text}");
        assert!(text.contains("## Why it matters") && text.contains("## Fix"));
        assert!(text.contains("· Fix: unsafe (--fix --unsafe-fixes)\n"), "{text}");
        assert!(text.contains("**Automatic fix:** unsafe: changes the claim"), "{text}");
    }
    let none = Command::cargo_bin("kstor").unwrap().args(["explain", "KS202"]).output().unwrap();
    let text = String::from_utf8(none.stdout).unwrap();
    assert!(text.contains("· Fix: none\n") && text.contains("**Automatic fix:** none: "), "{text}");
}

#[test]
fn kubectl_plugin_binary_is_the_same_tool() {
    let mut cmd = Command::cargo_bin("kubectl-kstor").unwrap();
    let out = cmd.args(["lint", "--no-config", "-", "--format", "json"]).write_stdin(BAD).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["findings"][0]["code"], "KS202");
}

#[test]
fn complete_reports_references_to_objects_the_bundle_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let claim = write(
        dir.path(),
        "claim.yaml",
        "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
",
    );
    let codes = |output: &std::process::Output| -> Vec<String> {
        json_of(output)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let without = kstor().args(["--format", "json"]).arg(&claim).output().unwrap();
    assert!(!codes(&without).contains(&"KS703".to_string()), "{}", String::from_utf8_lossy(&without.stdout));
    let with = kstor().args(["--complete", "--format", "json"]).arg(&claim).output().unwrap();
    let text = String::from_utf8_lossy(&with.stdout).to_string();
    assert!(codes(&with).contains(&"KS703".to_string()), "{text}");
    assert!(text.contains("--complete"), "{text}");
}

/// The commands a build has are the features it was built with: the minimal linter
/// (`--no-default-features --features lint`) has lint, rules, explain and report, and refuses
/// the others as unknown subcommands.
#[test]
fn the_subcommands_follow_the_cargo_features() {
    let optional = [
        ("audit", cfg!(feature = "audit")),
        ("serve", cfg!(feature = "serve")),
        ("bench", cfg!(feature = "bench")),
        ("patterns", cfg!(feature = "plan")),
        ("recommend", cfg!(feature = "plan")),
        ("generate", cfg!(feature = "plan")),
    ];
    for command in ["lint", "rules", "explain", "report"] {
        let out = Command::cargo_bin("kstor").unwrap().args([command, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
    }
    for (command, built) in optional {
        let out = Command::cargo_bin("kstor").unwrap().args([command, "--help"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if built {
            assert_eq!(out.status.code(), Some(0), "{command}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{command}");
            assert!(stderr.contains("unrecognized subcommand"), "{command}: {stderr}");
        }
    }
}
