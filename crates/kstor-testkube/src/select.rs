//! Label and field selectors of LIST requests, as the API server parses them.

use serde_json::Value;

/// A parsed label or field selector: all requirements must hold.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Splits on commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn set(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("expected a parenthesised set, found {text:?}"))?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect())
}

impl Selector {
    /// Parses a label selector (`app=x,tier!=db,env in (a,b),!legacy,owner`).
    pub fn labels(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for part in split_top(text).into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
            let requirement = if let [key, rest] = words.as_slice() {
                let rest = rest.trim_start();
                if let Some(values) = rest.strip_prefix("notin") {
                    Requirement::NotIn(key.to_string(), set(values)?)
                } else if let Some(values) = rest.strip_prefix("in") {
                    Requirement::In(key.to_string(), set(values)?)
                } else {
                    Self::comparison(part)?
                }
            } else if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_string())
            } else if part.contains('=') {
                Self::comparison(part)?
            } else {
                Requirement::Exists(part.to_string())
            };
            requirements.push(requirement);
        }
        Ok(Selector { requirements })
    }

    /// Parses a field selector (`metadata.name=x,spec.nodeName!=n1`).
    pub fn fields(text: &str) -> Result<Selector, String> {
        let requirements = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Self::comparison)
            .collect::<Result<_, _>>()?;
        Ok(Selector { requirements })
    }

    fn comparison(part: &str) -> Result<Requirement, String> {
        if let Some((k, v)) = part.split_once("!=") {
            return Ok(Requirement::NotEquals(k.trim().into(), v.trim().into()));
        }
        if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            return Ok(Requirement::Equals(k.trim().into(), v.trim().into()));
        }
        Err(format!("unable to parse requirement: {part:?}"))
    }

    /// Whether an object's labels satisfy this label selector.
    pub fn matches_labels(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        self.matches_with(|key| labels.get(key).and_then(Value::as_str).map(str::to_string))
    }

    /// Whether an object's fields satisfy this field selector (dotted paths into the object).
    pub fn matches_fields(&self, object: &Value) -> bool {
        self.matches_with(|path| {
            let mut node = object;
            for segment in path.split('.') {
                node = node.get(segment)?;
            }
            Some(match node {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
        })
    }

    fn matches_with(&self, value_of: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| match r {
            // A field selector on a missing field compares with "" as the API server does.
            Requirement::Equals(k, v) => value_of(k).unwrap_or_default() == *v,
            Requirement::NotEquals(k, v) => value_of(k).unwrap_or_default() != *v,
            Requirement::In(k, vs) => value_of(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => value_of(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => value_of(k).is_some(),
            Requirement::NotExists(k) => value_of(k).is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors() {
        let o = json!({"metadata": {"labels": {"app": "web", "env": "prod"}}});
        let yes = |s: &str| Selector::labels(s).unwrap().matches_labels(&o);
        assert!(yes("app=web"));
        assert!(yes("app==web,env"));
        assert!(!yes("app!=web"));
        assert!(yes("env in (prod, dev)"));
        assert!(!yes("env notin (prod)"));
        assert!(yes("!legacy"));
        assert!(!yes("legacy"));
        assert!(Selector::labels("env in prod").is_err());
    }

    #[test]
    fn field_selectors() {
        let o = json!({"metadata": {"name": "a"}, "involvedObject": {"kind": "Pod"}, "spec": {}});
        let yes = |s: &str| Selector::fields(s).unwrap().matches_fields(&o);
        assert!(yes("metadata.name=a,involvedObject.kind=Pod"));
        assert!(!yes("metadata.name=b"));
        assert!(yes("spec.nodeName="));
        assert!(yes("spec.nodeName!=n1"));
        assert!(Selector::fields("metadata.name").is_err());
    }
}
