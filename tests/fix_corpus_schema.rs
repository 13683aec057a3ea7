//! Every fix (unsafe included) applied to the corpus keeps every changed object valid against
//! the Kubernetes schemas (kubernetes-validate, strict) where it was valid before. The rest of
//! the corpus properties of `--fix` (files parse, changes stay inside fixed objects, fixed
//! findings are gone, a second run changes nothing) are in
//! crates/kstor-engine/tests/fix_corpus.rs.

#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kstor_engine::{Engine, FixOptions};
use kstor_model::{Limits, Workspace};
use serde_json::Value;

/// The corpus grouped by its original directories (`kubectl apply -f dir/`).
fn corpus_bundles() -> BTreeMap<String, Vec<(String, String)>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
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
