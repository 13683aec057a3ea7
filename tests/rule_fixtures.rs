//! Every rule has fixtures: `crates/kstor-rules/fixtures/<CODE>/bad/*.yaml` must produce at
//! least one finding of the rule (the rendered text output is snapshotted and reviewed),
//! `good/*.yaml` must produce none of it.
//!
//! Live-state rules (KS9xx) run as under `kstor audit`, with the clock fixed at [`NOW`] (every
//! fixture timestamp is relative to it) and a price of $0.08 per GiB-month.

use std::path::{Path, PathBuf};

use kstor::pipeline::lint_texts;
use kstor_render::{Format, Output, render};
use kstor_rules::registry::RULES;
use kstor_rules::{AuditFacts, Config, Settings};

/// The injected clock of the KS9xx fixtures.
const NOW: &str = "2026-11-26T12:00:00Z";

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kstor-rules/fixtures")
}

/// The manifests of a fixture folder, named `bad/<file>` or `good/<file>`, sorted.
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

fn only(code: &str) -> Settings {
    let mut settings = Settings::new(&Config::default(), &[code.to_string()], &[]).unwrap();
    if code.starts_with("KS9") {
        let mut facts = AuditFacts::at(NOW.parse().unwrap());
        facts.price_per_gib_month = Some(0.08);
        settings.options.audit = Some(facts);
    }
    settings
}

fn text(files: &[(String, String)], settings: &Settings) -> (String, usize) {
    let (graph, result) = lint_texts(files, settings);
    let mut out = Vec::new();
    render(Format::Text, &Output::new(&graph, &result), false, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), result.findings.len())
}

#[test]
fn every_rule_has_positive_and_negative_fixtures_and_a_snapshot() {
    for rule in RULES {
        let code = rule.meta().code;
        assert!(!read_fixture(code, "bad").is_empty(), "{code}: no bad/ fixture");
        assert!(!read_fixture(code, "good").is_empty(), "{code}: no good/ fixture");
        let snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(format!("rule_fixtures__{code}.snap"));
        assert!(snapshot.is_file(), "{code}: no reviewed snapshot at {}", snapshot.display());
    }
}

#[test]
fn bad_fixtures_fire_and_match_their_snapshots() {
    for rule in RULES {
        let code = rule.meta().code;
        let files = read_fixture(code, "bad");
        if files.is_empty() {
            continue; // reported by the completeness test
        }
        let (output, count) = text(&files, &only(code));
        assert!(count > 0, "{code}: bad/ fixtures produce no finding");
        insta::assert_snapshot!(code, output);
    }
}

#[test]
fn good_fixtures_are_clean() {
    for rule in RULES {
        let code = rule.meta().code;
        let (output, count) = text(&read_fixture(code, "good"), &only(code));
        assert_eq!(count, 0, "{code}: good/ fixtures produce findings:\n{output}");
    }
}
