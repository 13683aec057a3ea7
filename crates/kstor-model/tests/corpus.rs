//! Every manifest of the shared corpus loads and builds a graph without a panic.

use std::path::PathBuf;

use kstor_model::catalog::Catalog;
use kstor_model::{Input, LoadOptions, graph, load};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    dir.is_dir().then_some(dir)
}

#[test]
fn corpus_loads_and_links() {
    let Some(dir) = corpus() else {
        panic!("../shared/corpus is missing: the corpus test needs the shared folder");
    };
    let workspace = load(&[Input::Path(dir)], &LoadOptions::default()).expect("corpus is readable");
    assert!(workspace.sources.len() >= 517, "{} files", workspace.sources.len());
    assert!(workspace.objects.len() >= 1300, "{} objects", workspace.objects.len());
    let g = graph::build(workspace, Catalog::builtin());
    assert!(g.workloads.len() > 300);
    assert!(g.claims.len() > 150);
    assert!(g.classes.len() > 90);
    for d in g.diagnostics() {
        eprintln!("{d:?}");
    }
}
