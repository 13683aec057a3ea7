//! The Krew plugin manifest (plugins/kstor.yaml): the template has every field Krew requires,
//! and the manifest scripts/release/krew-manifest.sh renders from it passes Krew's own checks
//! (`ValidatePlugin` in sigs.k8s.io/krew, internal/index/validation/validate.go): apiVersion
//! krew.googlecontainertools.github.com/v1alpha2, kind Plugin, a safe metadata.name, a
//! one-line shortDescription, a `v`-prefixed semantic version, and platforms each with a
//! non-empty selector on os/arch only, a uri, a 64-hex sha256, a bin and complete `files`.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn template() -> Value {
    let text = fs::read_to_string(repo().join("plugins/kstor.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("the template is YAML")
}

/// The repository URL of Cargo.toml's [workspace.package].
fn repository() -> String {
    let manifest = fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("repository = ")).unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

/// The Rust target a platform's archive is built for.
fn target(os: &str, arch: &str) -> &'static str {
    match (os, arch) {
        ("linux", "amd64") => "x86_64-unknown-linux-musl",
        ("linux", "arm64") => "aarch64-unknown-linux-musl",
        ("darwin", "amd64") => "x86_64-apple-darwin",
        ("darwin", "arm64") => "aarch64-apple-darwin",
        ("windows", "amd64") => "x86_64-pc-windows-msvc",
        other => panic!("no release build for {other:?}"),
    }
}

/// Krew's checks of a plugin manifest; `rendered` adds those a template cannot pass yet
/// (sha256 and version values). Returns every violation.
fn krew_violations(plugin: &Value, rendered: bool) -> Vec<String> {
    let mut violations = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            violations.push(what);
        }
    };
    check(plugin["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2", "apiVersion".into());
    check(plugin["kind"] == "Plugin", "kind".into());
    let name = plugin["metadata"]["name"].as_str().unwrap_or_default();
    check(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        format!("metadata.name {name:?}"),
    );
    let spec = &plugin["spec"];
    let short = spec["shortDescription"].as_str().unwrap_or_default();
    check(!short.is_empty() && !short.contains(['\r', '\n']), "shortDescription".into());
    check(spec["description"].as_str().is_some_and(|d| !d.trim().is_empty()), "description".into());
    check(spec["homepage"].as_str().is_some_and(|h| h.starts_with("https://")), "homepage".into());
    let version = spec["version"].as_str().unwrap_or_default();
    check(version.starts_with('v'), format!("version {version:?} has no v prefix"));
    if rendered {
        let parts: Vec<&str> = version.trim_start_matches('v').split(['.', '-']).collect();
        check(
            parts.len() >= 3
                && parts[..3].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())),
            format!("version {version:?} is not semantic"),
        );
    }
    let platforms = spec["platforms"].as_array().cloned().unwrap_or_default();
    check(!platforms.is_empty(), "platforms".into());
    for (i, p) in platforms.iter().enumerate() {
        let labels = p["selector"]["matchLabels"].as_object();
        check(labels.is_some_and(|l| !l.is_empty()), format!("platform {i}: selector"));
        for key in labels.into_iter().flat_map(|l| l.keys()) {
            check(key == "os" || key == "arch", format!("platform {i}: selector key {key}"));
        }
        check(p["uri"].as_str().is_some_and(|u| !u.is_empty()), format!("platform {i}: uri"));
        let sha256 = p["sha256"].as_str().unwrap_or_default();
        check(!sha256.is_empty(), format!("platform {i}: sha256"));
        if rendered {
            check(
                sha256.len() == 64 && sha256.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
                format!("platform {i}: sha256 {sha256:?}"),
            );
        }
        check(p["bin"].as_str().is_some_and(|b| !b.is_empty()), format!("platform {i}: bin"));
        if let Some(files) = p.get("files") {
            let files = files.as_array().cloned().unwrap_or_default();
            check(!files.is_empty(), format!("platform {i}: files is empty"));
            for f in files {
                check(
                    f["from"].as_str().is_some_and(|s| !s.is_empty())
                        && f["to"].as_str().is_some_and(|s| !s.is_empty()),
                    format!("platform {i}: files from/to"),
                );
            }
        }
    }
    violations
}

#[test]
fn the_template_has_krews_required_fields() {
    let plugin = template();
    assert_eq!(krew_violations(&plugin, false), Vec::<String>::new());
    assert_eq!(plugin["metadata"]["name"], "kstor", "installed as `kubectl kstor`");
    assert_eq!(plugin["spec"]["version"], "v${VERSION}");
    assert_eq!(plugin["spec"]["homepage"].as_str(), Some(repository().as_str()));
    // The checks can fail.
    let mut broken = plugin.clone();
    broken["spec"]["shortDescription"] = "two\nlines".into();
    broken["spec"]["platforms"][0]["selector"]["matchLabels"]["distro"] = "debian".into();
    broken["spec"]["platforms"][1].as_object_mut().unwrap().remove("bin");
    assert_eq!(krew_violations(&broken, false).len(), 3, "{:?}", krew_violations(&broken, false));
}

#[test]
fn every_platform_installs_kubectl_kstor_from_its_release_archive() {
    let plugin = template();
    let platforms = plugin["spec"]["platforms"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (labels["os"].as_str().unwrap(), labels["arch"].as_str().unwrap());
        assert!(seen.insert((os, arch)), "{os}/{arch} twice");
        let bin = if os == "windows" { "kubectl-kstor.exe" } else { "kubectl-kstor" };
        assert_eq!(p["bin"], bin, "{os}/{arch}");
        assert_eq!(p["files"], serde_json::json!([{"from": bin, "to": "."}]), "{os}/{arch}");
        let target = target(os, arch);
        let extension = if os == "windows" { "zip" } else { "tar.gz" };
        assert_eq!(
            p["uri"].as_str().unwrap(),
            format!(
                "{}/releases/download/v${{VERSION}}/kstor-v${{VERSION}}-{target}.{extension}",
                repository()
            ),
        );
        assert_eq!(p["sha256"], format!("${{SHA256:{target}}}"));
    }
    for expected in [
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
        ("windows", "amd64"),
    ] {
        assert!(seen.contains(&expected), "{expected:?}");
    }
}

fn render(version: &str, dist: &Path) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg(repo().join("scripts/release/krew-manifest.sh"))
        .arg(version)
        .arg(dist)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_rendered_manifest_passes_krews_validation() {
    let version = env!("CARGO_PKG_VERSION");
    let dist = tempfile::tempdir().unwrap();
    // One checksum per platform, each different, as scripts/release/package.sh writes them.
    let mut sums = Vec::new();
    for (i, p) in template()["spec"]["platforms"].as_array().unwrap().iter().enumerate() {
        let uri = p["uri"].as_str().unwrap().replace("${VERSION}", version);
        let archive = uri.rsplit('/').next().unwrap().to_string();
        let sum = format!("{:064x}", 0xabc0 + i);
        fs::write(dist.path().join(format!("{archive}.sha256")), format!("{sum}  {archive}\n")).unwrap();
        sums.push((uri, sum));
    }
    let (code, manifest, stderr) = render(version, dist.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(manifest.starts_with("apiVersion: "), "the template's comment is not part of it");
    assert!(!manifest.contains("${"), "{manifest}");
    let plugin: Value = serde_saphyr::from_str(&manifest).unwrap();
    assert_eq!(krew_violations(&plugin, true), Vec::<String>::new());
    assert_eq!(plugin["spec"]["version"], format!("v{version}"));
    for (p, (uri, sum)) in plugin["spec"]["platforms"].as_array().unwrap().iter().zip(&sums) {
        assert_eq!((p["uri"].as_str().unwrap(), p["sha256"].as_str().unwrap()), (uri.as_str(), sum.as_str()));
    }
    // A missing checksum is an error, and nothing is printed.
    let windows = sums.iter().find(|(uri, _)| uri.ends_with(".zip")).unwrap();
    fs::remove_file(dist.path().join(format!("{}.sha256", windows.0.rsplit('/').next().unwrap()))).unwrap();
    let (code, manifest, stderr) = render(version, dist.path());
    assert_eq!((code, manifest.as_str()), (1, ""));
    assert!(stderr.contains("no checksum for x86_64-pc-windows-msvc"), "{stderr}");
}
