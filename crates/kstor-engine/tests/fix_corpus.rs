//! Every fix (unsafe included) applied to the corpus, bundle by bundle (its original
//! directories, as `kubectl apply -f dir/` sees them):
//! - every file still parses, with no more syntax errors than before;
//! - changed lines lie inside the objects that had a fixed finding;
//! - re-linting shows none of the fixed findings (rule and object), and fixing again
//!   changes nothing;
//! - every object a fix changed still validates against the Kubernetes schemas
//!   (kubernetes-validate --strict) where it validated before.

#[path = "../../../tests/support/tools.rs"]
mod tools;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use kstor_engine::{Engine, FixOptions};
use kstor_model::yaml::parse_stream;
use kstor_model::{Limits, Workspace};
use serde_json::Value;

fn corpus_bundles() -> BTreeMap<String, Vec<(String, String)>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(corpus.is_dir(), "{} is missing: the corpus tests need ../shared", corpus.display());
    let sources = std::fs::read_to_string(corpus.join("SOURCES.tsv")).unwrap();
    let mut groups: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for line in sources.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let dir = fields[3].rsplit_once('/').map_or("", |(d, _)| d);
        let text = std::fs::read_to_string(corpus.join(fields[0])).unwrap();
        groups.entry(format!("{}/{dir}", fields[1])).or_default().push((fields[0].to_string(), text));
    }
    groups
}

/// (rule, file, object index in file order) of every finding with an applicable fix.
fn fixable(engine: &Engine, files: &[(String, String)]) -> BTreeSet<(String, String, String)> {
    let (graph, result) = engine.lint_texts(files);
    result
        .findings
        .iter()
        .filter(|r| {
            r.finding.fix.as_ref().is_some_and(|f| FixOptions { unsafe_fixes: true }.applies(f.applicability))
        })
        .filter_map(|r| {
            let object = graph.object(r.finding.object()?);
            let file = graph.workspace.sources[object.origin.source?.0 as usize].name.clone();
            Some((r.finding.rule.code.to_string(), file, format!("{}", object.reference)))
        })
        .collect()
}

/// (file, object) of every object an applicable fix edits.
fn edited_objects(engine: &Engine, files: &[(String, String)]) -> BTreeSet<(String, String)> {
    let (graph, result) = engine.lint_texts(files);
    let mut out = BTreeSet::new();
    for r in &result.findings {
        let Some(fix) =
            r.finding.fix.as_ref().filter(|f| FixOptions { unsafe_fixes: true }.applies(f.applicability))
        else {
            continue;
        };
        for edit in &fix.edits {
            let object = graph.object(edit.object);
            if let Some(source) = object.origin.source {
                out.insert((
                    graph.workspace.sources[source.0 as usize].name.clone(),
                    object.reference.to_string(),
                ));
            }
        }
    }
    out
}

/// Line ranges (1-based, inclusive) of each object of a file.
fn object_lines(name: &str, text: &str) -> Vec<(String, u32, u32)> {
    let mut workspace = Workspace::default();
    workspace.add_text(name, text.to_string(), &Limits::default());
    let file = &workspace.sources[0];
    workspace
        .objects
        .iter()
        .map(|o| {
            let span = o.root().span();
            let end = text[..span.end as usize].trim_end().len() as u32;
            (o.reference.to_string(), file.line_col(span.start).line, file.line_col(end).line)
        })
        .collect()
}

#[test]
fn every_fix_on_the_corpus_keeps_files_valid_and_removes_its_finding() {
    let engine = Engine::default();
    let options = FixOptions { unsafe_fixes: true };
    let (mut bundles_fixed, mut fixes) = (0, 0);
    for (bundle, files) in corpus_bundles() {
        let before = fixable(&engine, &files);
        let outcome = engine.fix_texts(&files, options);
        if outcome.fixed() == 0 {
            continue;
        }
        bundles_fixed += 1;
        fixes += outcome.fixed();
        // Objects are edited over several passes; each pass's edits are on that pass's input.
        let mut fixed_objects = edited_objects(&engine, &files);
        let mut pass: Vec<(String, String)> = files.clone();
        for _ in 0..kstor_engine::fix::MAX_PASSES {
            let step = engine.fix_texts(&pass, FixOptions { unsafe_fixes: true });
            pass = step.sources.iter().map(|s| (s.name.clone(), s.fixed.clone())).collect();
            let more = edited_objects(&engine, &pass);
            if more.is_subset(&fixed_objects) {
                break;
            }
            fixed_objects.extend(more);
        }
        for source in outcome.sources.iter().filter(|s| s.changed()) {
            let errors = |t: &str| parse_stream(t, &Limits::default()).errors.len();
            assert!(
                errors(&source.fixed) <= errors(&source.original),
                "{bundle}: {} no longer parses",
                source.name
            );
            // Every changed line is inside an object that had a fixable finding.
            let objects = object_lines(&source.name, &source.original);
            let diff = similar::TextDiff::from_lines(&*source.original, source.fixed.as_str());
            for op in diff.ops() {
                if matches!(op.tag(), similar::DiffTag::Equal) {
                    continue;
                }
                let range = op.old_range();
                let (first, last) = (range.start as u32 + 1, (range.end as u32).max(range.start as u32 + 1));
                // An insertion after the last line of an object sits on the line after it.
                let inside = objects.iter().any(|(reference, start, end)| {
                    fixed_objects.contains(&(source.name.clone(), reference.clone()))
                        && first >= *start
                        && last <= end + 1
                });
                assert!(
                    inside,
                    "{bundle}: {} changed lines {first}-{last} outside the fixed objects {fixed_objects:?} (objects {objects:?}):\n{}",
                    source.name,
                    diff.unified_diff()
                );
            }
        }
        let after_files: Vec<(String, String)> =
            outcome.sources.iter().map(|s| (s.name.clone(), s.fixed.clone())).collect();
        let after = fixable(&engine, &after_files);
        let applied_codes: BTreeSet<&str> = outcome.applied.keys().copied().collect();
        let left: Vec<_> = before
            .intersection(&after)
            .filter(|(code, _, _)| applied_codes.contains(code.as_str()))
            .filter(|(_, file, _)| !outcome.skipped.iter().any(|s| &s.file == file))
            .collect();
        assert!(left.is_empty(), "{bundle}: fixed findings remain: {left:#?}");
        let again = engine.fix_texts(&after_files, options);
        assert!(again.sources.iter().all(|s| !s.changed()), "{bundle}: a second --fix changed files");
    }
    assert!(bundles_fixed >= 10 && fixes >= 20, "only {fixes} fixes in {bundles_fixed} bundles");
}

/// The objects of one file as JSON, in document order.
fn objects(name: &str, text: &str) -> Vec<Value> {
    let mut workspace = Workspace::default();
    workspace.add_text(name, text.to_string(), &Limits::default());
    workspace.objects.iter().map(|o| o.root().to_json()).collect()
}

/// Which files kubernetes-validate passed (`INFO <file> passed …`); objects whose kind has no
/// schema are neither.
fn passed(validator: &Path, files: &[PathBuf]) -> Vec<bool> {
    let out = Command::new(validator).args(["--strict", "-k", "1.33.0"]).args(files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    files
        .iter()
        .map(|f| {
            let prefix = format!("INFO {} passed for resource", f.display());
            stdout.lines().any(|l| l.starts_with(&prefix))
        })
        .collect()
}

#[test]
fn fixed_corpus_objects_still_validate_against_the_kubernetes_schemas() {
    let Some(validator) = tools::kubernetes_validate() else { return };
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::default();
    let (mut before, mut after, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for (bundle, files) in corpus_bundles() {
        let outcome = engine.fix_texts(&files, FixOptions { unsafe_fixes: true });
        for source in outcome.sources.iter().filter(|s| s.changed()) {
            let old = objects(&source.name, &source.original);
            let new = objects(&source.name, &source.fixed);
            assert_eq!(old.len(), new.len(), "{bundle}: {}: a fix added or removed an object", source.name);
            for (index, (old, new)) in old.iter().zip(&new).enumerate().filter(|(_, (o, n))| o != n) {
                let n = before.len();
                for (list, value, side) in [(&mut before, old, "before"), (&mut after, new, "after")] {
                    let path = dir.path().join(format!("{n}-{side}.json"));
                    std::fs::write(&path, value.to_string()).unwrap();
                    list.push(path);
                }
                names.push(format!("{bundle}: {} object {index}", source.name));
            }
        }
    }
    assert!(names.len() > 50, "only {} objects changed: the corpus should exercise the fixes", names.len());
    let (was, is) = (passed(&validator, &before), passed(&validator, &after));
    let broken: Vec<String> = (0..names.len())
        .filter(|&i| was[i] && !is[i])
        .map(|i| {
            let out =
                Command::new(&validator).args(["--strict", "-k", "1.33.0"]).arg(&after[i]).output().unwrap();
            format!("{}: {}", names[i], String::from_utf8_lossy(&out.stdout).trim())
        })
        .collect();
    assert!(broken.is_empty(), "fixed objects that no longer validate:\n{}", broken.join("\n"));
    let checked = was.iter().filter(|&&v| v).count();
    assert!(checked > 50, "only {checked} of {} changed objects validated before the fix", names.len());
    eprintln!("{checked} of {} changed objects validated before and after the fix", names.len());
}
