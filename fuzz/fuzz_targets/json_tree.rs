//! The JSON tree builder (`tree_from_json_slice`) and the cluster loader on top of it: no
//! panic, and a built tree holds what serde_json reads from the same text, less the fields
//! the builder prunes.

#![no_main]

use std::sync::Arc;

use kstor_model::yaml::{Node, PRUNED, SharedText, Value, tree_from_json_slice};
use kstor_model::{ClusterScope, load_cluster};
use libfuzzer_sys::fuzz_target;
use serde_json::Value as J;

fn prune(value: &mut J) {
    for (parent, key) in PRUNED {
        let mut map = Some(&mut *value);
        for step in *parent {
            map = map.and_then(|m| m.get_mut(*step));
        }
        if let Some(J::Object(map)) = map {
            map.shift_remove(*key);
        }
    }
}

/// Whether the tree node holds the JSON value; `None` when the comparison does not apply
/// (a mapping with repeated keys, which serde_json collapses and the tree keeps).
fn same(node: Node<'_>, value: &J) -> Option<bool> {
    Some(match (node.value(), value) {
        (Value::Null, J::Null) => true,
        (Value::Bool(a), J::Bool(b)) => a == *b,
        (Value::Int(a), J::Number(b)) => b.as_i64() == Some(a),
        (Value::Float(a), J::Number(b)) => b.as_f64() == Some(a),
        (Value::Str(a), J::String(b)) => a == b,
        (Value::Seq(items), J::Array(values)) => {
            if items.len() != values.len() {
                return Some(false);
            }
            for (item, value) in items.iter().zip(values) {
                if !same(item, value)? {
                    return Some(false);
                }
            }
            true
        }
        (Value::Map(map), J::Object(values)) => {
            if map.len() != values.len() {
                return None;
            }
            for entry in map.iter() {
                let Some(value) = values.get(entry.key) else { return None };
                if !same(entry.value, value)? {
                    return Some(false);
                }
            }
            true
        }
        _ => false,
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = SharedText::from(Arc::<str>::from(text));
    let built = tree_from_json_slice(&source, &source, &[]);
    let parsed = serde_json::from_str::<J>(text);
    match (built, parsed) {
        (Ok((tree, root)), Ok(mut value)) => {
            let node = tree.node(root);
            kstor_fuzz::check_spans(node, 0);
            prune(&mut value);
            assert_ne!(same(node, &value), Some(false), "tree {node:?} differs from serde_json's {value}");
            kstor_fuzz::check_deserializer(node);
        }
        (Err(_), Err(_)) => {}
        (built, parsed) => panic!("builder {:?} but serde_json {:?}", built.map(|_| ()), parsed.map(|_| ())),
    }
    // The whole cluster path: envelope, items, typed defaults, sorting.
    if let Ok((workspace, _)) =
        load_cluster(vec![("fuzz.json".into(), text.into())], &ClusterScope::default())
    {
        for object in &workspace.objects {
            kstor_fuzz::check_spans(object.root(), 0);
        }
    }
});
