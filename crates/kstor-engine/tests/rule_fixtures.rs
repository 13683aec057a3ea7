//! Every rule's fixtures, one test case each (`KS201/bad/postgres.yaml`, `KS201/good`, …):
//!
//! - `crates/kstor-rules/fixtures/<CODE>/bad/` with `context/` (objects the bad manifests need,
//!   such as their StorageClasses) is linted as one bundle with only the rule enabled: every
//!   `bad/` file must hold at least one finding of the rule, and the rendered text output is
//!   snapshotted and reviewed;
//! - `good/` must produce no finding of the rule;
//! - the `## Example` of the rule's documentation, linted alone, must produce one.
//!
//! Live-state rules (KS9xx) run as under `kstor audit`, with the clock fixed at [`NOW`] (every
//! fixture timestamp is relative to it) and a price of $0.08 per GiB-month.

use std::path::{Path, PathBuf};

use kstor_engine::Engine;
use kstor_model::graph::StorageGraph;
use kstor_render::{Format, Output, render};
use kstor_rules::registry::RULES;
use kstor_rules::{AuditFacts, LintResult, RuleMeta};
use libtest_mimic::{Arguments, Failed, Trial};

/// The injected clock of the KS9xx fixtures.
const NOW: &str = "2026-11-26T12:00:00Z";

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kstor-rules/fixtures")
}

/// The manifests of a fixture folder, named `<kind>/<file>`, sorted.
fn read_fixture(code: &str, kind: &str) -> Vec<(String, String)> {
    let dir = fixtures_root().join(code).join(kind);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = format!("{kind}/{}", p.file_name().unwrap().to_string_lossy());
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The engine of one rule: only it enabled; for live-state rules, audit facts at [`NOW`].
fn only(code: &str) -> Engine {
    let mut engine = Engine::with_rules(&[code]).unwrap();
    if code.starts_with("KS9") {
        let mut facts = AuditFacts::at(NOW.parse().unwrap());
        facts.price_per_gib_month = Some(0.08);
        engine.settings_mut().options.audit = Some(facts);
    }
    engine
}

/// `bad/` files with the `context/` files.
fn bundle(code: &str, kind: &str) -> Vec<(String, String)> {
    let mut files = read_fixture(code, kind);
    files.extend(read_fixture(code, "context"));
    files
}

fn text(graph: &StorageGraph, result: &LintResult) -> String {
    let mut out = Vec::new();
    render(Format::Text, &Output::new(graph, result), false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The files the findings are located in.
fn files_with_findings(graph: &StorageGraph, result: &LintResult) -> Vec<String> {
    result
        .findings
        .iter()
        .filter_map(|r| r.position.as_ref())
        .map(|p| graph.workspace.sources[p.source.0 as usize].name.clone())
        .collect()
}

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if condition { Ok(()) } else { Err(message().into()) }
}

fn completeness(meta: &'static RuleMeta) -> Result<(), Failed> {
    let code = meta.code;
    check(!read_fixture(code, "bad").is_empty(), || format!("{code}: no bad/ fixture"))?;
    check(!read_fixture(code, "good").is_empty(), || format!("{code}: no good/ fixture"))?;
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("rule_fixtures__{code}.snap"));
    check(snapshot.is_file(), || format!("{code}: no reviewed snapshot at {}", snapshot.display()))
}

/// One bad file holds a finding of the rule when linted with the rest of its bundle.
fn bad_file_fires(code: &'static str, file: String) -> Result<(), Failed> {
    let (graph, result) = only(code).lint_texts(&bundle(code, "bad"));
    let located = files_with_findings(&graph, &result);
    check(located.contains(&file), || {
        format!(
            "{code}: {file} holds no finding of the rule (move objects it only supports to context/)\n{}",
            text(&graph, &result)
        )
    })
}

fn bad_snapshot(code: &'static str) -> Result<(), Failed> {
    let (graph, result) = only(code).lint_texts(&bundle(code, "bad"));
    check(!result.findings.is_empty(), || format!("{code}: bad/ fixtures produce no finding"))?;
    insta::assert_snapshot!(code, text(&graph, &result));
    Ok(())
}

fn good_is_clean(code: &'static str) -> Result<(), Failed> {
    let (graph, result) = only(code).lint_texts(&read_fixture(code, "good"));
    check(result.findings.is_empty(), || {
        format!("{code}: good/ fixtures produce findings:\n{}", text(&graph, &result))
    })
}

/// The YAML of the first ```yaml block of the rule's `## Example`.
fn example_yaml(meta: &RuleMeta) -> Option<String> {
    let example = meta.section("Example")?;
    let start = example.find("```yaml\n")? + "```yaml\n".len();
    let end = start + example[start..].find("```")?;
    Some(example[start..end].to_string())
}

fn docs_example_fires(meta: &'static RuleMeta) -> Result<(), Failed> {
    let code = meta.code;
    let yaml = example_yaml(meta).ok_or_else(|| format!("{code}: its docs have no ```yaml example"))?;
    let (graph, result) = only(code).lint_texts(&[(format!("{code}-example.yaml"), yaml.clone())]);
    check(!result.findings.is_empty(), || {
        format!(
            "{code}: the example in its docs produces no finding of the rule:\n{yaml}\n{}",
            text(&graph, &result)
        )
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        let code = meta.code;
        trials.push(Trial::test(format!("{code}/fixtures-complete"), move || completeness(meta)));
        for (file, _) in read_fixture(code, "bad") {
            trials.push(Trial::test(format!("{code}/{file}"), move || bad_file_fires(code, file)));
        }
        trials.push(Trial::test(format!("{code}/bad-snapshot"), move || bad_snapshot(code)));
        trials.push(Trial::test(format!("{code}/good"), move || good_is_clean(code)));
        trials.push(Trial::test(format!("{code}/docs-example"), move || docs_example_fires(meta)));
    }
    libtest_mimic::run(&args, trials).exit();
}
