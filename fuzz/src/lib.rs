//! Checks shared by the fuzz targets: invariants of the model's trees that hold for any input.

use kstor_model::Span;
use kstor_model::yaml::{Node, Value};

/// Walks a subtree and checks that every span lies inside a text of `len` bytes (for trees
/// built from JSON, whose spans are all empty, `len` is 0).
pub fn check_spans(node: Node<'_>, len: usize) {
    check_span(node.span(), len);
    match node.value() {
        Value::Seq(items) => {
            assert_eq!(items.iter().len(), items.len());
            for item in items.iter() {
                check_spans(item, len);
            }
        }
        Value::Map(map) => {
            assert_eq!(map.iter().len(), map.len());
            for entry in map.iter() {
                check_span(entry.key_span, len);
                check_spans(entry.value, len);
            }
        }
        _ => {}
    }
}

/// A span is ordered and inside the text.
pub fn check_span(span: Span, len: usize) {
    assert!(span.start <= span.end, "span {span:?} is reversed");
    assert!(span.end as usize <= len, "span {span:?} ends past the text ({len} bytes)");
}

/// The serde `Deserializer` over nodes and [`Node::to_json`] read the same value.
pub fn check_deserializer(node: Node<'_>) {
    let decoded: serde_json::Value =
        kstor_model::yaml::from_node(node).expect("any node decodes as a JSON value");
    assert_eq!(decoded, node.to_json(), "from_node and to_json disagree");
}
