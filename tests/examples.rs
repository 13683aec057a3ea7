//! The bundled examples: the pitfalls bundle shows every rule, its hardened twin lints clean.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kstor_engine::Engine;
use kstor_model::{Input, Limits};
use kstor_rules::registry::RULES;

fn examples(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(sub)
}

fn lint(sub: &str) -> kstor_rules::LintResult {
    let inputs = [Input::Path(examples(sub))];
    Engine::default().lint(&inputs, Limits::default()).unwrap().1
}

#[test]
fn hardened_bundle_lints_clean() {
    let result = lint("hardened");
    let messages: Vec<_> = result.findings.iter().map(|f| f.finding.message.clone()).collect();
    assert!(messages.is_empty(), "{messages:#?}");
    assert_eq!(result.suppressed, 0, "clean without suppressions");
}

#[test]
fn pitfalls_bundle_shows_every_rule() {
    let fired: BTreeSet<&str> = lint("pitfalls").findings.iter().map(|f| f.finding.rule.code).collect();
    // Live-state rules (KS9xx) only run under `kstor audit`, never on manifests.
    let all: BTreeSet<&str> = RULES
        .iter()
        .map(|r| r.meta())
        .filter(|m| m.group != kstor_rules::Group::LiveState)
        .map(|m| m.code)
        .collect();
    let missing: Vec<_> = all.difference(&fired).collect();
    assert!(missing.is_empty(), "rules the pitfalls bundle does not show: {missing:?}");
}

#[test]
fn linting_both_reports_only_the_pitfalls() {
    // Linted together they form one cluster: the hardened twin's EBS VolumeSnapshotClass then
    // also covers the pitfalls' EBS classes, so KS401 is the one rule whose findings go away.
    let key = |f: &kstor_rules::Reported| (f.finding.rule.code, f.finding.message.clone());
    let both: BTreeSet<_> = lint("").findings.iter().map(key).collect();
    let pitfalls: BTreeSet<_> = lint("pitfalls").findings.iter().map(key).collect();
    let gone: Vec<_> = pitfalls.difference(&both).map(|(code, _)| *code).collect();
    assert!(both.is_subset(&pitfalls));
    assert!(!gone.is_empty() && gone.iter().all(|code| *code == "KS401"), "{gone:?}");
}
