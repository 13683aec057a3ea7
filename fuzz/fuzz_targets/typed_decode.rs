//! The typed decoder: YAML loaded into objects, decoded into k8s-openapi types (with the
//! decoder's repairs of wrong fields) and built into the storage graph, without a panic.

#![no_main]

use std::sync::{Arc, LazyLock};

use kstor_model::catalog::Catalog;
use kstor_model::{Limits, Workspace, graph};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Arc<Catalog>> = LazyLock::new(Catalog::builtin);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits { max_depth: 32, max_alias_nodes: 2_000, ..Limits::default() };
    let mut workspace = Workspace::default();
    workspace.add_text("fuzz.yaml", text.to_string(), &limits);
    let graph = graph::build(workspace, Arc::clone(&CATALOG));
    // Every type error's field path resolves to a position in the text.
    for diagnostic in graph.diagnostics() {
        let position = graph.workspace.position(&diagnostic.location).expect("a loaded file has positions");
        kstor_fuzz::check_span(position.span, text.len());
    }
});
