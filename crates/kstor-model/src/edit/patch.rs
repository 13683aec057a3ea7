//! From an [`EditOp`] to RFC 6902 JSON Patch operations on an object's JSON (admission).

use serde_json::{Value as Json, json};

use super::{EditOp, NewValue, Skip};
use crate::path::{Path, Segment};

/// The JSON Patch operations that make `op` on `object`.
pub fn json_patch(object: &Json, op: &EditOp) -> Result<Vec<Json>, Skip> {
    let mut out = Vec::new();
    match op {
        EditOp::Set { path, value } => set(object, path, value, &mut out)?,
        EditOp::Remove { path } => {
            lookup(object, path).ok_or_else(|| Skip::Missing(path.clone()))?;
            out.push(json!({"op": "remove", "path": pointer(&path.segments())}));
        }
        EditOp::Rename { path, to } => {
            lookup(object, path).ok_or_else(|| Skip::Missing(path.clone()))?;
            let target = path.parent().key(to);
            out.push(
                json!({"op": "move", "from": pointer(&path.segments()), "path": pointer(&target.segments())}),
            );
        }
    }
    Ok(out)
}

fn set(object: &Json, path: &Path, value: &NewValue, out: &mut Vec<Json>) -> Result<(), Skip> {
    let segments = path.segments();
    let mut current = object;
    for (depth, segment) in segments.iter().enumerate() {
        let next = match (segment, current) {
            (Segment::Key(key), Json::Object(map)) => map.get(key.as_str()),
            (Segment::Index(i), Json::Array(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => {
                let mut nested = value.to_json();
                for segment in segments[depth + 1..].iter().rev() {
                    let Segment::Key(key) = segment else {
                        return Err(Skip::Shape(prefix(&segments, depth + 1)));
                    };
                    nested = json!({ key.as_str(): nested });
                }
                return match (segment, current) {
                    (Segment::Key(_), Json::Object(_)) => {
                        out.push(json!({"op": "add", "path": pointer(&segments[..=depth]), "value": nested}));
                        Ok(())
                    }
                    (Segment::Key(key), Json::Null) => {
                        let map = json!({ key.as_str(): nested });
                        out.push(json!({"op": "replace", "path": pointer(&segments[..depth]), "value": map}));
                        Ok(())
                    }
                    _ => Err(Skip::Shape(prefix(&segments, depth))),
                };
            }
        }
    }
    match (value, current) {
        (NewValue::Map(entries), Json::Object(_)) => {
            for (key, child) in entries {
                set(object, &path.key(key), child, out)?;
            }
        }
        _ => out.push(json!({"op": "replace", "path": pointer(&segments), "value": value.to_json()})),
    }
    Ok(())
}

fn lookup<'j>(object: &'j Json, path: &Path) -> Option<&'j Json> {
    let mut current = object;
    for segment in path.segments() {
        current = match (&segment, current) {
            (Segment::Key(key), Json::Object(map)) => map.get(key.as_str())?,
            (Segment::Index(i), Json::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn prefix(segments: &[Segment], len: usize) -> Path {
    let mut path = Path::root();
    for segment in &segments[..len] {
        path.push(segment.clone());
    }
    path
}

/// An RFC 6901 JSON pointer.
fn pointer(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        match segment {
            Segment::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_adds_missing_parents_and_replaces_existing_values() {
        let object = json!({"spec": {"template": {"spec": {}}}, "kind": "Deployment"});
        let op = EditOp::Set {
            path: Path::parse("spec.template.spec.securityContext.fsGroup"),
            value: NewValue::Int(1000),
        };
        assert_eq!(
            json_patch(&object, &op).unwrap(),
            vec![
                json!({"op": "add", "path": "/spec/template/spec/securityContext", "value": {"fsGroup": 1000}})
            ]
        );
        let op = EditOp::Set { path: Path::parse("kind"), value: NewValue::str("StatefulSet") };
        assert_eq!(
            json_patch(&object, &op).unwrap(),
            vec![json!({"op": "replace", "path": "/kind", "value": "StatefulSet"})]
        );
    }

    #[test]
    fn keys_with_slashes_are_escaped() {
        let object = json!({"metadata": {"annotations": {"a/b": "true"}}});
        let path = Path::root().key("metadata").key("annotations").key("a/b");
        assert_eq!(
            json_patch(&object, &EditOp::Remove { path }).unwrap(),
            vec![json!({"op": "remove", "path": "/metadata/annotations/a~1b"})]
        );
    }
}
