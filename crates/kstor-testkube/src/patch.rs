//! PATCH bodies: JSON merge patch (RFC 7386; strategic merge and apply patches are treated as
//! merge patches) and the simple operations of JSON patch (RFC 6902).

use serde_json::Value;

/// Applies a JSON merge patch in place.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let object = target.as_object_mut().expect("made an object above");
    for (key, value) in fields {
        if value.is_null() {
            object.remove(key);
        } else {
            merge(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The parent container of a JSON pointer and the last token.
fn parent<'a>(target: &'a mut Value, pointer: &str) -> Result<(&'a mut Value, String), String> {
    let (head, last) = pointer.rsplit_once('/').ok_or_else(|| format!("invalid JSON pointer {pointer:?}"))?;
    let node = if head.is_empty() { Some(target) } else { target.pointer_mut(head) };
    Ok((node.ok_or_else(|| format!("path {head:?} does not exist"))?, unescape(last)))
}

/// Applies a JSON patch (add, remove, replace, test) in place.
pub fn json_patch(target: &mut Value, operations: &Value) -> Result<(), String> {
    let operations = operations.as_array().ok_or("a JSON patch is an array of operations")?;
    for op in operations {
        let path = op["path"].as_str().ok_or("a JSON patch operation needs a path")?;
        match op["op"].as_str() {
            Some("test") => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err(format!("the test of {path:?} failed"));
                }
            }
            Some("remove") => {
                let (parent, key) = parent(target, path)?;
                let removed = match parent {
                    Value::Object(map) => map.remove(&key).is_some(),
                    Value::Array(items) => key
                        .parse::<usize>()
                        .ok()
                        .filter(|i| *i < items.len())
                        .map(|i| items.remove(i))
                        .is_some(),
                    _ => false,
                };
                if !removed {
                    return Err(format!("unable to remove nonexistent key {path:?}"));
                }
            }
            Some(kind @ ("add" | "replace")) => {
                let value = op.get("value").cloned().ok_or("add and replace need a value")?;
                let (parent, key) = parent(target, path)?;
                match parent {
                    Value::Object(map) => {
                        if kind == "replace" && !map.contains_key(&key) {
                            return Err(format!(
                                "replace operation does not apply: doc is missing key: {path}"
                            ));
                        }
                        map.insert(key, value);
                    }
                    Value::Array(items) if key == "-" && kind == "add" => items.push(value),
                    Value::Array(items) => {
                        let index = key.parse::<usize>().map_err(|_| format!("invalid index in {path:?}"))?;
                        match kind {
                            "add" if index <= items.len() => items.insert(index, value),
                            "replace" if index < items.len() => items[index] = value,
                            _ => return Err(format!("index out of range in {path:?}")),
                        }
                    }
                    _ => return Err(format!("path {path:?} is not in a container")),
                }
            }
            other => return Err(format!("unsupported JSON patch operation {other:?}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "l": [1]});
        merge(&mut v, &json!({"a": {"b": null, "d": 3}, "l": [2]}));
        assert_eq!(v, json!({"a": {"c": 2, "d": 3}, "l": [2]}));
    }

    #[test]
    fn json_patch_ops() {
        let mut v = json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"unschedulable": false}});
        json_patch(
            &mut v,
            &json!([
                {"op": "remove", "path": "/metadata/finalizers/0"},
                {"op": "replace", "path": "/spec/unschedulable", "value": true},
                {"op": "add", "path": "/metadata/labels", "value": {"x/y": "1"}},
                {"op": "test", "path": "/metadata/labels/x~1y", "value": "1"}
            ]),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"metadata": {"finalizers": ["b"], "labels": {"x/y": "1"}}, "spec": {"unschedulable": true}})
        );
        assert!(json_patch(&mut v, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(json_patch(&mut v, &json!([{"op": "move", "path": "/a", "from": "/b"}])).is_err());
    }
}
