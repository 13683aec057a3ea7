//! `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`).
//!
//! GitLab reads a JSON array of issues with `description`, `check_name`, `fingerprint`,
//! `severity` and `location.path` + `location.lines.begin`
//! (<https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>). `type` and
//! `categories` are added so the file is also a valid Code Climate report.
//!
//! - `severity`: error → `critical` (the finding breaks something or loses data), warning →
//!   `major`, info → `info`; `blocker` and `minor` are not used.
//! - `location.path`: the file relative to the root (the working directory), `/`-separated,
//!   without `./`; objects read from a cluster (`kstor audit`) have no file and use their
//!   `Kind/namespace/name` instead, at line 1.
//! - `fingerprint`: SHA-256 (first 128 bits, hex) of the rule, the relative path and the
//!   object and field the finding is on — not of line numbers or the message, so the same
//!   finding keeps its fingerprint when lines move above it or an audit's ages change, and not
//!   of absolute paths or the order of the inputs. Findings that share all of these get an
//!   ordinal in the order of their messages and positions.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path};

use kstor_rules::{Reported, Severity};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Output, file_name};

/// GitLab's severity for a kstor severity.
pub(crate) fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

/// A file name as GitLab wants it: relative to `root`, `/`-separated, no `./`; stdin is `stdin`.
pub(crate) fn relative_path(name: &str, root: Option<&Path>) -> String {
    if name == "-" {
        return "stdin".into();
    }
    let path = Path::new(name);
    let path = match root {
        Some(root) if path.is_absolute() => path.strip_prefix(root).unwrap_or(path),
        _ => path,
    };
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::RootDir => parts.push(String::new()),
            Component::Prefix(prefix) => parts.push(prefix.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
        }
    }
    match parts.as_slice() {
        [] => ".".into(),
        [root] if root.is_empty() => "/".into(),
        _ => parts.join("/"),
    }
}

/// One issue before its fingerprint is final.
struct Issue {
    key: String,
    /// Orders issues that share a key.
    tiebreak: (String, u32, u32),
    value: Value,
}

fn issue(output: &Output<'_>, r: &Reported) -> Issue {
    let f = &r.finding;
    let object = r.object(output.graph);
    let path = match (file_name(output, r.position.as_ref()), object) {
        (Some(file), _) => relative_path(&file, output.root),
        (None, Some(object)) => object.slug(),
        (None, None) => "-".into(),
    };
    let (begin, end) = r.position.as_ref().map_or((1, 1), |p| (p.start.line, p.end.line.max(p.start.line)));
    // What identifies the finding: never positions, ages or absolute paths. A finding on a
    // stretch of text (no object) is identified by its message, which then holds no state.
    let subject = match object {
        Some(o) => format!("{}\0{}\0{}\0{}", o.group(), o.kind, o.namespace.as_deref().unwrap_or(""), o.name),
        None => f.message.clone(),
    };
    let key = format!("kstor/1\0{}\0{path}\0{subject}\0{}", f.rule.code, r.path().unwrap_or_default());
    let (line, column) = r.position.as_ref().map_or((0, 0), |p| (p.start.line, p.start.column));
    let value = json!({
        "type": "issue",
        "description": format!("{}: {}", f.rule.code, f.message),
        "check_name": f.rule.code,
        "fingerprint": "",
        "severity": severity(f.severity),
        "categories": ["Bug Risk"],
        "location": {"path": path, "lines": {"begin": begin, "end": end}},
    });
    Issue { key, tiebreak: (f.message.clone(), line, column), value }
}

fn fingerprint(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The Code Quality report: issues sorted by path, line and rule.
pub fn gitlab_report(output: &Output<'_>) -> Value {
    let mut by_key: BTreeMap<String, Vec<Issue>> = BTreeMap::new();
    for r in &output.result.findings {
        let issue = issue(output, r);
        by_key.entry(issue.key.clone()).or_default().push(issue);
    }
    let mut issues: Vec<Value> = Vec::with_capacity(output.result.findings.len());
    for (key, mut group) in by_key {
        group.sort_by(|a, b| a.tiebreak.cmp(&b.tiebreak));
        for (ordinal, mut issue) in group.into_iter().enumerate() {
            let key = if ordinal == 0 { key.clone() } else { format!("{key}\0{ordinal}") };
            issue.value["fingerprint"] = json!(fingerprint(&key));
            issues.push(issue.value);
        }
    }
    issues.sort_by_cached_key(|v| {
        (
            v["location"]["path"].as_str().unwrap_or_default().to_string(),
            v["location"]["lines"]["begin"].as_u64().unwrap_or_default(),
            v["check_name"].as_str().unwrap_or_default().to_string(),
            v["fingerprint"].as_str().unwrap_or_default().to_string(),
        )
    });
    Value::Array(issues)
}

pub(crate) fn render(output: &Output<'_>, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &gitlab_report(output))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root_without_dot_slash() {
        let root = Path::new("/builds/team/repo");
        assert_eq!(relative_path("k8s/app.yaml", Some(root)), "k8s/app.yaml");
        assert_eq!(relative_path("./k8s/./app.yaml", Some(root)), "k8s/app.yaml");
        assert_eq!(relative_path("/builds/team/repo/k8s/app.yaml", Some(root)), "k8s/app.yaml");
        assert_eq!(relative_path("../other/app.yaml", Some(root)), "../other/app.yaml");
        // Outside the root: kept as it is (GitLab cannot link it, but it is still shown).
        assert_eq!(relative_path("/elsewhere/app.yaml", Some(root)), "/elsewhere/app.yaml");
        assert_eq!(relative_path("-", Some(root)), "stdin");
    }

    #[test]
    fn fingerprints_are_128_bit_hex_and_depend_on_every_part_of_the_key() {
        let a = fingerprint("kstor/1\0KS201\0a.yaml");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, fingerprint("kstor/1\0KS202\0a.yaml"));
        assert_ne!(a, fingerprint("kstor/1\0KS201\0b.yaml"));
        assert_eq!(a, fingerprint("kstor/1\0KS201\0a.yaml"));
    }
}
