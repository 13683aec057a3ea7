//! The GitHub Action (action.yml) without GitHub: its step scripts (scripts/action/) run with
//! bash against the examples, with the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//! GITHUB_PATH, RUNNER_TEMP) in a temporary directory; the release install downloads from a
//! `file://` repository packed by scripts/release/package.sh, the source install runs a
//! stand-in cargo. What needs GitHub (actions/cache, the SARIF upload) is checked in the
//! action's wiring only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn kstor_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kstor")
}

/// The version of the workspace, as `kstor --version` prints it after `kstor `.
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// A runner's files in a temporary directory.
struct Runner {
    dir: TempDir,
    os: &'static str,
    arch: &'static str,
}

impl Runner {
    fn new() -> Self {
        Self::on("Linux", "X64")
    }

    fn on(os: &'static str, arch: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("temp")).unwrap();
        Runner { dir, os, arch }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `bash script` in `cwd` with only PATH, HOME, the runner's variables and `env`.
    fn run(&self, script: &Path, action: &Path, cwd: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
        let mut command = Command::new("bash");
        command
            .arg(script)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("GITHUB_ACTION_PATH", action)
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .env("GITHUB_PATH", self.file("path"))
            .env("RUNNER_TEMP", self.file("temp"))
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch);
        for (key, value) in env {
            command.env(key, value);
        }
        let out = command.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The step outputs written so far (`name=value` lines; the last value wins).
    fn outputs(&self) -> BTreeMap<String, String> {
        let text = fs::read_to_string(self.file("output")).unwrap_or_default();
        text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn summary(&self) -> String {
        fs::read_to_string(self.file("summary")).unwrap_or_default()
    }
}

fn script(name: &str) -> PathBuf {
    repo().join("scripts/action").join(name)
}

/// Runs the lint step on `paths` (relative to the repository) with `inputs`.
fn lint_step(runner: &Runner, inputs: &[(&str, &str)]) -> (i32, String, String) {
    let mut env = vec![("KSTOR", kstor_bin())];
    env.extend_from_slice(inputs);
    runner.run(&script("lint.sh"), repo(), repo(), &env)
}

#[test]
fn lint_step_fails_on_errors_and_writes_sarif_and_the_summary() {
    let runner = Runner::new();
    let (code, stdout, stderr) =
        lint_step(&runner, &[("INPUT_PATHS", "examples/pitfalls"), ("INPUT_FAIL_ON", "error")]);
    assert_eq!(code, 1, "{stderr}");
    let outputs = runner.outputs();
    assert_eq!(outputs["exit-code"], "1");

    // The log has the annotations (the default format).
    assert!(stdout.lines().any(|l| l.starts_with("::error file=examples/pitfalls/")), "{stdout}");

    // The SARIF file has every finding, whatever fail-on says.
    let sarif_path = PathBuf::from(&outputs["sarif-file"]);
    assert_eq!(sarif_path, runner.file("temp").join("kstor.sarif"));
    let sarif: Value = serde_json::from_str(&fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let json = Command::new(kstor_bin())
        .current_dir(repo())
        .args(["lint", "--format", "json", "examples/pitfalls"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let summary = &json["summary"];
    let total: u64 = ["error", "warning", "info"].iter().map(|k| summary[k].as_u64().unwrap()).sum();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len() as u64, total);
    assert!(total > 30);

    // The job summary: the counts, the verdict, the findings and the pattern report.
    let md = runner.summary();
    let counts = format!(
        "**{} errors, {} warnings, {} info (0 suppressed) in {} files, {} objects**",
        summary["error"], summary["warning"], summary["info"], summary["files"], summary["objects"]
    );
    assert!(md.starts_with("## kstor lint\n"), "{md}");
    assert!(md.contains(&format!("{counts}; failed: findings at error or above.")), "{counts}\n{md}");
    assert!(md.contains("<details><summary>Findings</summary>"), "{md}");
    assert!(md.contains("error[KS201]: database postgres (statefulset shop/orders-db)"), "{md}");
    assert!(md.contains("### Storage patterns\n"), "{md}");
    assert!(md.contains("| Workload | Volume | Role | Pattern |"), "{md}");
    assert!(md.contains("| statefulset shop/orders-db | data | database (postgres) | rwx-file |"), "{md}");
    assert!(md.contains("**MISMATCH**"), "{md}");
    // Nothing is left behind but the SARIF report.
    let left: Vec<_> = fs::read_dir(runner.file("temp")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("kstor.sarif")]);
}

#[test]
fn fail_on_decides_the_exit_code() {
    for (paths, fail_on, expected) in [
        ("examples/pitfalls", "never", 0),
        ("examples/pitfalls", "", 1), // kstor's default: warning
        ("examples/hardened", "warning", 0),
        ("examples/hardened", "info", 0),
        ("examples/pitfalls", "sometimes", 2),
    ] {
        let runner = Runner::new();
        let (code, _, stderr) = lint_step(&runner, &[("INPUT_PATHS", paths), ("INPUT_FAIL_ON", fail_on)]);
        assert_eq!(code, expected, "{paths} fail-on {fail_on:?}: {stderr}");
        assert_eq!(runner.outputs()["exit-code"], expected.to_string());
        let md = runner.summary();
        let verdict = match expected {
            0 => "; passed.".to_string(),
            1 => "; failed: findings at the configured fail-on (default warning) or above.".to_string(),
            _ => format!("; failed: kstor exited with {expected} (a usage or input error: see the log)."),
        };
        assert!(md.contains(&verdict), "{paths} {fail_on}: {md}");
    }
    let runner = Runner::new();
    lint_step(&runner, &[("INPUT_PATHS", "examples/hardened")]);
    assert!(runner.summary().contains("**no findings (0 suppressed) in 13 files, 25 objects**; passed."));
}

#[test]
fn paths_format_config_and_sarif_file_inputs_reach_kstor() {
    let runner = Runner::new();
    let config = runner.file("kstor.yaml");
    fs::write(&config, "fail-on: never\nignore: [KS2]\n").unwrap();
    let (code, stdout, stderr) = lint_step(
        &runner,
        &[
            ("INPUT_PATHS", "examples/pitfalls/apps/orders-db.yaml\n  examples/pitfalls/platform \n"),
            ("INPUT_FORMAT", "json"),
            ("INPUT_CONFIG", config.to_str().unwrap()),
            ("INPUT_SARIF_FILE", runner.file("report.sarif").to_str().unwrap()),
        ],
    );
    assert_eq!(code, 0, "the config's fail-on: never applies: {stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("the log is the JSON report");
    let codes: BTreeSet<&str> =
        json["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(!codes.is_empty() && codes.iter().all(|c| !c.starts_with("KS2")), "{codes:?}");
    // One file, and the four of the directory; the file's only findings are KS201, ignored.
    assert_eq!(json["summary"]["files"], 5, "{:#}", json["summary"]);
    assert_eq!(runner.outputs()["sarif-file"], runner.file("report.sarif").to_str().unwrap());
    assert!(runner.file("report.sarif").is_file());
}

#[test]
fn finish_step_fails_with_lints_exit_code() {
    let runner = Runner::new();
    for (exit_code, expected) in [("0", 0), ("1", 1), ("2", 2), ("", 2)] {
        let (code, stdout, stderr) =
            runner.run(&script("finish.sh"), repo(), repo(), &[("EXIT_CODE", exit_code)]);
        assert_eq!(code, expected, "EXIT_CODE={exit_code:?}: {stdout}{stderr}");
    }
}

/// A copy of what the action's scripts read from the action's directory (Cargo.toml with
/// another repository URL, the sources of the build, the scripts) with its own pinned checksums.
fn fake_action(repository: &str, checksums: &str) -> TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (from, to) = (entry.path(), to.join(entry.file_name()));
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "target" {
                    copy(&from, &to);
                }
            } else {
                fs::copy(&from, &to).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let manifest = fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("repository = ")).expect("a repository");
    fs::write(
        dir.path().join("Cargo.toml"),
        manifest.replace(line, &format!("repository = \"{repository}\"")),
    )
    .unwrap();
    fs::copy(repo().join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    for sub in ["src", "crates", "catalog", "scripts"] {
        copy(&repo().join(sub), &dir.path().join(sub));
    }
    fs::write(dir.path().join("scripts/action/release-checksums.txt"), checksums).unwrap();
    dir
}

/// A small stand-in for the kstor binary: it runs the real one (the archives of these tests
/// stay small; the debug binary is hundreds of MB).
fn stand_in(dir: &Path, name: &str) {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\nexec '{}' \"$@\"\n", kstor_bin())).unwrap();
    let mut permissions = fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&path, permissions).unwrap();
}

/// A `file://` repository with the release archive of this version for Linux x86-64;
/// returns (repository URL, the archive's sha256sum line).
fn fake_release(dir: &Path) -> (String, String) {
    let bins = dir.join("bins");
    fs::create_dir_all(&bins).unwrap();
    stand_in(&bins, "kstor");
    stand_in(&bins, "kubectl-kstor");
    let download = dir.join(format!("repo/releases/download/v{}", version()));
    let out = Command::new("bash")
        .arg(repo().join("scripts/release/package.sh"))
        .args([version(), "x86_64-unknown-linux-musl"])
        .arg(&bins)
        .arg(&download)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let archive = format!("kstor-v{}-x86_64-unknown-linux-musl.tar.gz", version());
    let line = fs::read_to_string(download.join(format!("{archive}.sha256"))).unwrap();
    assert!(line.ends_with(&format!("  {archive}\n")), "{line}");
    (format!("file://{}", dir.join("repo").display()), line)
}

#[test]
fn release_install_downloads_the_pinned_archive_and_checks_it() {
    let releases = tempfile::tempdir().unwrap();
    let (repository, checksum) = fake_release(releases.path());
    let action = fake_action(&repository, &format!("# pinned\n{checksum}"));
    let runner = Runner::new();
    let (code, _, stderr) =
        runner.run(&action.path().join("scripts/action/plan.sh"), action.path(), repo(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let plan = runner.outputs();
    assert_eq!(plan["mode"], "release");
    assert_eq!(plan["version"], version());
    assert_eq!(plan["target"], "x86_64-unknown-linux-musl");
    assert_eq!(
        plan["url"],
        format!("{repository}/releases/download/v{0}/kstor-v{0}-x86_64-unknown-linux-musl.tar.gz", version())
    );
    assert_eq!(plan["sha256"], checksum.split_whitespace().next().unwrap());
    assert_eq!(plan["cache-key"], "", "a release needs no cache");

    let install = |sha256: &str| {
        let env = [
            ("MODE", plan["mode"].as_str()),
            ("VERSION", plan["version"].as_str()),
            ("URL", plan["url"].as_str()),
            ("SHA256", sha256),
            ("INSTALL_DIR", plan["install-dir"].as_str()),
        ];
        runner.run(&action.path().join("scripts/action/install.sh"), action.path(), repo(), &env)
    };
    // A tampered archive (here: a checksum that does not match it) installs nothing.
    let (code, stdout, _) = install(&"0".repeat(64));
    assert_eq!(code, 1);
    assert!(stdout.contains("::error::kstor action: checksum mismatch"), "{stdout}");
    let kstor = PathBuf::from(&plan["install-dir"]).join("bin/kstor");
    assert!(!kstor.exists());

    let (code, stdout, stderr) = install(&plan["sha256"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("kstor action: kstor {}", version())), "{stdout}");
    assert_eq!(runner.outputs()["kstor"], kstor.to_str().unwrap());
    assert_eq!(
        fs::read_to_string(runner.file("path")).unwrap(),
        format!("{}\n", kstor.parent().unwrap().display())
    );
    let out = Command::new(&kstor)
        .args(["lint", "--no-config", "examples/hardened"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the installed kstor works");
}

#[test]
fn source_install_runs_cargo_install_once_then_uses_the_cache() {
    let action = fake_action("https://github.com/kstor-dev/kstor", "# nothing released\n");
    let runner = Runner::new();
    let (code, _, stderr) =
        runner.run(&action.path().join("scripts/action/plan.sh"), action.path(), repo(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let plan = runner.outputs();
    assert_eq!((plan["mode"].as_str(), plan["url"].as_str()), ("source", ""));
    let key = &plan["cache-key"];
    let prefix = format!("kstor-Linux-X64-v{}-", version());
    assert!(key.starts_with(&prefix) && key.len() == prefix.len() + 32, "{key}");

    // A stand-in cargo that logs its arguments and "builds" kstor into --root.
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("cargo.log");
    let cargo = tools.path().join("cargo");
    fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\"\nprintf '#!/bin/sh\\nexec %s \"$@\"\\n' '{}' > \"$2/bin/kstor\"\nchmod +x \"$2/bin/kstor\"\n",
            log.display(),
            kstor_bin()
        ),
    )
    .unwrap();
    let mut permissions = fs::metadata(&cargo).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&cargo, permissions).unwrap();

    let env = [
        ("MODE", "source"),
        ("VERSION", plan["version"].as_str()),
        ("URL", ""),
        ("SHA256", ""),
        ("INSTALL_DIR", plan["install-dir"].as_str()),
        ("CARGO", cargo.to_str().unwrap()),
    ];
    let install = &action.path().join("scripts/action/install.sh");
    let (code, stdout, stderr) = runner.run(install, action.path(), repo(), &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!(
            "install --locked --path {} --root {} --bin kstor\n",
            action.path().display(),
            plan["install-dir"]
        )
    );
    // The cache restored the install directory: no second build.
    let (code, stdout, _) = runner.run(install, action.path(), repo(), &env);
    assert_eq!(code, 0);
    assert!(stdout.contains("kstor restored from the cache"), "{stdout}");
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 1);
}

#[test]
fn the_cache_key_follows_the_sources_not_the_checkout() {
    let key = |action: &TempDir| {
        let runner = Runner::new();
        let (code, _, stderr) =
            runner.run(&action.path().join("scripts/action/plan.sh"), action.path(), repo(), &[]);
        assert_eq!(code, 0, "{stderr}");
        runner.outputs()["cache-key"].clone()
    };
    let (a, b) = (fake_action("https://x.invalid/k", ""), fake_action("https://x.invalid/k", ""));
    assert_eq!(key(&a), key(&b), "the same sources elsewhere");
    fs::write(b.path().join("catalog/drivers.yaml"), "# changed\n").unwrap();
    assert_ne!(key(&a), key(&b), "a changed catalog is a new build");
}

#[test]
fn plan_picks_the_archive_of_each_runner() {
    let archives: Vec<String> =
        ["x86_64-unknown-linux-musl.tar.gz", "aarch64-apple-darwin.tar.gz", "x86_64-pc-windows-msvc.zip"]
            .iter()
            .map(|rest| format!("{}  kstor-v{}-{rest}\n", "a".repeat(64), version()))
            .collect();
    let action = fake_action("https://github.com/kstor-dev/kstor", &archives.concat());
    for (os, arch, install, expected) in [
        ("Linux", "X64", "auto", Ok("release")),
        ("macOS", "ARM64", "auto", Ok("release")),
        ("Windows", "X64", "auto", Ok("release")),
        ("macOS", "X64", "auto", Ok("source")), // not pinned
        ("Linux", "ARM", "auto", Ok("source")), // no release build for 32-bit ARM
        ("Linux", "X64", "source", Ok("source")),
        ("macOS", "X64", "release", Err("no pinned release of kstor")),
        ("Linux", "X64", "sometimes", Err("install must be auto, release or source")),
    ] {
        let runner = Runner::on(os, arch);
        let (code, stdout, stderr) = runner.run(
            &action.path().join("scripts/action/plan.sh"),
            action.path(),
            repo(),
            &[("INPUT_INSTALL", install)],
        );
        match expected {
            Ok(mode) => {
                assert_eq!(code, 0, "{os}/{arch} {install}: {stderr}");
                assert_eq!(runner.outputs()["mode"], mode, "{os}/{arch} {install}");
            }
            Err(message) => {
                assert_eq!(code, 2, "{os}/{arch} {install}");
                assert!(format!("{stdout}{stderr}").contains(message), "{stdout}{stderr}");
            }
        }
    }
    let runner = Runner::on("Windows", "X64");
    runner.run(&action.path().join("scripts/action/plan.sh"), action.path(), repo(), &[]);
    assert!(
        runner.outputs()["url"].ends_with(&format!("/v{0}/kstor-v{0}-x86_64-pc-windows-msvc.zip", version()))
    );
}

/// `${{ … }}` expressions of a text.
fn expressions(text: &str) -> Vec<String> {
    text.split("${{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(e, _)| e.trim().to_string()))
        .collect()
}

#[test]
fn action_yml_wires_declared_inputs_to_the_scripts() {
    let text = fs::read_to_string(repo().join("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    assert!(action["name"].is_string() && action["description"].is_string());
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    // Expressions: `${{ … }}` anywhere, and the steps' `if:` conditions (written without braces).
    let mut all_expressions = expressions(&text);
    all_expressions.extend(steps.iter().filter_map(|s| s["if"].as_str().map(str::to_string)));
    let declared: BTreeSet<&str> = action["inputs"].as_object().unwrap().keys().map(String::as_str).collect();
    for name in ["paths", "fail-on", "config", "format", "upload-sarif"] {
        assert!(declared.contains(name), "input {name}");
    }
    let used: BTreeSet<String> = all_expressions
        .iter()
        .flat_map(|e| e.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-' || c == '_')))
        .filter_map(|w| w.strip_prefix("inputs.").map(str::to_string))
        .collect();
    let declared_owned: BTreeSet<String> = declared.iter().map(|s| s.to_string()).collect();
    assert_eq!(used, declared_owned, "every input is used, and only declared inputs are");

    let mut step_outputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"], "bash", "{step}");
            // Inputs reach scripts through env: nothing is spliced into shell code.
            assert!(!run.contains("${{"), "{run}");
            let path = run.split('"').nth(1).expect("a quoted script path");
            let relative = path.strip_prefix("$GITHUB_ACTION_PATH/").expect("a script of the action");
            let script =
                fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
            if let Some(id) = step["id"].as_str() {
                let set: BTreeSet<String> = script
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("set_output "))
                    .filter_map(|l| l.split_whitespace().next())
                    .map(str::to_string)
                    .collect();
                step_outputs.insert(id.to_string(), set);
            }
            // Every variable the step passes is one its script reads.
            for key in step["env"].as_object().into_iter().flat_map(|m| m.keys()) {
                assert!(
                    script.contains(&format!("${{{key}")) || script.contains(&format!("${key}")),
                    "{relative} ignores {key}"
                );
            }
        } else {
            let uses = step["uses"].as_str().expect("a run or a uses step");
            let (_, version) = uses.rsplit_once('@').expect("pinned");
            assert!(
                version.starts_with('v') && version[1..].chars().all(|c| c.is_ascii_digit() || c == '.'),
                "{uses}"
            );
        }
    }
    // Every step output the action reads is one that step's script writes.
    for expression in &all_expressions {
        for word in expression.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-' || c == '_')) {
            if let Some(rest) = word.strip_prefix("steps.") {
                let (id, rest) = rest.split_once('.').unwrap();
                let output = rest.strip_prefix("outputs.").unwrap_or_else(|| panic!("{word}"));
                assert!(step_outputs[id].contains(output), "{word} is not written by step {id}");
            }
        }
    }
    assert!(text.contains("uses: github/codeql-action/upload-sarif@"), "uploads SARIF");
    assert!(text.contains("uses: actions/cache@"), "caches the source build");
}
