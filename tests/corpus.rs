//! The shared corpus (517 real manifests from 40 repositories): everything loads, nothing
//! panics, and what every rule reports there is snapshotted, so each change in what fires is
//! reviewed. Files are linted per original directory (SOURCES.tsv), the way `kubectl apply -f
//! dir/` would see them, so unrelated examples of one repository do not resolve each other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kstor_engine::Engine;
use kstor_model::{Input, Limits};
use kstor_rules::registry::RULES;

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(dir.is_dir(), "{} is missing: the corpus tests need ../shared", dir.display());
    dir
}

/// Corpus files grouped by (repository, original directory).
fn groups(root: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let sources = std::fs::read_to_string(root.join("SOURCES.tsv")).unwrap();
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for line in sources.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (file, repo, original) = (fields[0], fields[1], fields[3]);
        let dir = original.rsplit_once('/').map_or("", |(d, _)| d);
        groups.entry((repo.to_string(), dir.to_string())).or_default().push(file.to_string());
    }
    groups
}

#[test]
fn corpus_findings_per_rule() {
    let root = corpus();
    let engine = Engine::default();
    let mut per_rule: BTreeMap<&'static str, Vec<String>> =
        RULES.iter().map(|r| (r.meta().code, Vec::new())).collect();
    let mut files = 0;
    for group in groups(&root).values() {
        let inputs: Vec<Input> = group.iter().map(|f| Input::Path(root.join(f))).collect();
        let (graph, result) = engine.lint(&inputs, Limits::default()).unwrap();
        assert!(graph.workspace.io_errors.is_empty(), "{:?}", graph.workspace.io_errors);
        files += graph.workspace.sources.len();
        for reported in &result.findings {
            let position = reported.position.as_ref().expect("corpus findings are in files");
            let file = &graph.workspace.sources[position.source.0 as usize].name;
            let file = Path::new(file).strip_prefix(&root).unwrap().display().to_string();
            per_rule.get_mut(reported.finding.rule.code).unwrap().push(format!(
                "{file}:{}:{} [{}] {}",
                position.start.line,
                position.start.column,
                reported.finding.severity,
                reported.finding.message
            ));
        }
    }
    assert_eq!(files, 517, "every corpus file is read");
    for (code, mut lines) in per_rule {
        lines.sort();
        let body = if lines.is_empty() { "(no findings)".to_string() } else { lines.join("\n") };
        insta::assert_snapshot!(code, body);
    }
}
