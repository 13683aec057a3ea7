//! The YAML arena builder and the loader on top of it: any text loads without a panic, every
//! span stays inside the text, and every diagnostic resolves to a line and column.

#![no_main]

use kstor_model::load::Location;
use kstor_model::{Limits, Workspace};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let len = text.len();
    // Low limits, so alias bombs and deep nesting hit them in a short input.
    let limits = Limits { max_depth: 32, max_alias_nodes: 2_000, ..Limits::default() };
    let mut workspace = Workspace::default();
    let source = workspace.add_text("fuzz.yaml", text.to_string(), &limits);
    let file = &workspace.sources[source.0 as usize];
    for diagnostic in &workspace.diagnostics {
        if let Location::Span { span, .. } = diagnostic.location {
            kstor_fuzz::check_span(span, len);
            let _ = (file.line_col(span.start), file.line_col(span.end));
        }
    }
    for line in &workspace.ignore_lines[source.0 as usize] {
        assert!(line.line as usize <= file.line_count());
    }
    for object in &workspace.objects {
        kstor_fuzz::check_spans(object.root(), len);
        kstor_fuzz::check_deserializer(object.root());
    }
});
