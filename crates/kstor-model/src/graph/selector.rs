//! Label selectors read from objects (`matchLabels` / `matchExpressions`, or a plain map such
//! as a Service's `spec.selector`), and label maps, for the rules that ask what selects what
//! (snapshot schedules, Prometheus scrape configuration).

use crate::strmap::StrMap;
use crate::yaml::{Node, Value};

/// A label selector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    match_labels: Vec<(String, String)>,
    expressions: Vec<Requirement>,
}

/// One `matchExpressions` item.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    /// An operator Kubernetes rejects: the selector matches nothing.
    Invalid,
}

impl LabelSelector {
    /// A `metav1.LabelSelector` (`matchLabels`, `matchExpressions`); anything that is not a
    /// mapping is the empty selector.
    pub fn from_node(node: Node<'_>) -> LabelSelector {
        let mut selector = LabelSelector {
            match_labels: node
                .get("matchLabels")
                .map(|m| labels(m).iter().map(pair).collect())
                .unwrap_or_default(),
            expressions: Vec::new(),
        };
        for item in node.get("matchExpressions").and_then(|e| e.as_seq()).into_iter().flat_map(|s| s.iter()) {
            let operator = match item.get_str("operator") {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                _ => Operator::Invalid,
            };
            let values = item
                .get("values")
                .and_then(|v| v.as_seq())
                .map(|s| s.iter().filter_map(|v| scalar_text(v)).collect())
                .unwrap_or_default();
            let key = item.get_str("key").unwrap_or_default().to_string();
            selector.expressions.push(Requirement { key, operator, values });
        }
        selector
    }

    /// A plain label map used as a selector (a Service's `spec.selector`).
    pub fn from_map(node: Node<'_>) -> LabelSelector {
        LabelSelector { match_labels: labels(node).iter().map(pair).collect(), expressions: Vec::new() }
    }

    /// Whether the selector selects everything (no labels, no expressions).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Whether these labels are selected.
    pub fn matches(&self, labels: &StrMap) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator {
                    Operator::In => value.is_some_and(|v| r.values.contains(v)),
                    Operator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                    Operator::Invalid => false,
                }
            })
    }
}

fn pair((k, v): (&String, &String)) -> (String, String) {
    (k.clone(), v.clone())
}

/// A label (or annotation) map: scalar values as text, anything else skipped.
pub fn labels(node: Node<'_>) -> StrMap {
    let mut out = StrMap::new();
    if let Some(map) = node.as_map() {
        for entry in map.iter() {
            if let Some(value) = scalar_text(entry.value) {
                out.insert(entry.key.to_string(), value);
            }
        }
    }
    out
}

/// A scalar's text as Kubernetes would read a quoted value (`8080`, `true`, `web`).
pub fn scalar_text(node: Node<'_>) -> Option<String> {
    match node.value() {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse_stream};

    fn selector(text: &str) -> LabelSelector {
        LabelSelector::from_node(parse_stream(text, &Limits::default()).root(0))
    }

    fn map(pairs: &[(&str, &str)]) -> StrMap {
        let mut m = StrMap::new();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let s = selector(
            "matchLabels: {app: pg}\nmatchExpressions:\n  - {key: tier, operator: In, values: [db, cache]}\n  - {key: skip, operator: DoesNotExist}\n",
        );
        assert!(s.matches(&map(&[("app", "pg"), ("tier", "db")])));
        assert!(!s.matches(&map(&[("app", "pg"), ("tier", "web")])));
        assert!(!s.matches(&map(&[("app", "pg"), ("tier", "db"), ("skip", "yes")])));
        assert!(!s.matches(&map(&[("tier", "db")])));
    }

    #[test]
    fn empty_selects_everything_and_bad_operators_nothing() {
        assert!(selector("{}").is_empty());
        assert!(selector("{}").matches(&map(&[])));
        let bad = selector("matchExpressions: [{key: a, operator: Equals, values: [b]}]");
        assert!(!bad.matches(&map(&[("a", "b")])));
        let not_in = selector("matchExpressions: [{key: a, operator: NotIn, values: [b]}]");
        assert!(not_in.matches(&map(&[])) && !not_in.matches(&map(&[("a", "b")])));
    }

    #[test]
    fn plain_maps_select_by_equality_and_scalars_read_as_text() {
        let root = parse_stream("{app: web, port: 8080, on: true}", &Limits::default());
        let s = LabelSelector::from_map(root.root(0));
        assert!(s.matches(&map(&[("app", "web"), ("port", "8080"), ("on", "true"), ("x", "y")])));
        assert!(!s.matches(&map(&[("app", "web")])));
    }
}
