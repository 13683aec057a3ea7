//! The admission policy: what each severity and rule does at admission (deny, warn, ignore),
//! and which namespaces and objects are judged at all. Read from the same file as the rule
//! configuration ([`crate::config::ServeConfig`]).

use std::collections::{BTreeMap, HashMap};

use kstor_rules::Severity;
use serde::Deserialize;

/// What a finding does to an admission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Not reported.
    Ignore,
    /// Allowed, with an AdmissionReview warning (kubectl prints it).
    Warn,
    /// Refused with the rule, the field and the fix.
    Deny,
}

impl Action {
    /// The word (`deny`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ignore => "ignore",
            Action::Warn => "warn",
            Action::Deny => "deny",
        }
    }
}

/// What a finding of each severity does, unless its rule has its own action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeverityActions {
    /// Errors (default: deny).
    pub error: Action,
    /// Warnings (default: warn).
    pub warning: Action,
    /// Info (default: ignore).
    pub info: Action,
}

impl Default for SeverityActions {
    fn default() -> Self {
        SeverityActions { error: Action::Deny, warning: Action::Warn, info: Action::Ignore }
    }
}

/// Namespaces judged (`include`, all when empty) and not judged (`exclude`, wins).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Namespaces {
    /// Only these namespaces (all when empty).
    #[serde(default)]
    pub include: Vec<String>,
    /// Never these.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// One `matchExpressions` entry of a label selector.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// Values for `In` / `NotIn`.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Exact matches.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default)]
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// True when the labels satisfy every requirement (an empty selector matches everything).
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        self.match_labels.iter().all(|(k, v)| labels(k).as_deref() == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| {
                let value = labels(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(&v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(&v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// The resolved policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    severity: SeverityActions,
    rules: HashMap<&'static str, Action>,
    include: Vec<String>,
    exclude: Vec<String>,
    selector: LabelSelector,
    mutate: Vec<&'static str>,
}

impl Policy {
    /// A policy from its parts; rule keys are codes or names and must exist, selector
    /// requirements must be well formed. `name` is the file, for messages.
    pub fn new(
        name: &str,
        severity: SeverityActions,
        rule_actions: BTreeMap<String, Action>,
        namespaces: Namespaces,
        selector: LabelSelector,
    ) -> Result<Policy, String> {
        let mut rules = HashMap::new();
        for (key, action) in rule_actions {
            let rule = kstor_rules::registry::find(&key)
                .ok_or_else(|| format!("{name}: rules: unknown rule `{key}`"))?;
            rules.insert(rule.meta().code, action);
        }
        for r in &selector.match_expressions {
            let valid = match r.operator.as_str() {
                "In" | "NotIn" => !r.values.is_empty(),
                "Exists" | "DoesNotExist" => r.values.is_empty(),
                _ => false,
            };
            if !valid {
                return Err(format!(
                    "{name}: objectSelector: `{}` {} {:?} is not a valid requirement (In/NotIn need values, Exists/DoesNotExist none)",
                    r.key, r.operator, r.values
                ));
            }
        }
        Ok(Policy {
            severity,
            rules,
            include: namespaces.include,
            exclude: namespaces.exclude,
            selector,
            mutate: Vec::new(),
        })
    }

    /// The policy with `/mutate` applying the safe fixes of these rules (codes or names).
    /// A rule without a safe fix is refused: the webhook applies nothing else.
    pub fn with_mutations(mut self, name: &str, rules: &[String]) -> Result<Policy, String> {
        for key in rules {
            let rule = kstor_rules::registry::find(key)
                .ok_or_else(|| format!("{name}: mutate: unknown rule `{key}`"))?;
            let meta = rule.meta();
            if !meta.fixes.contains(&kstor_rules::Applicability::Safe) {
                return Err(format!(
                    "{name}: mutate: {} {} has no safe fix, and /mutate applies safe fixes only (see `kstor explain {}`)",
                    meta.code, meta.name, meta.code
                ));
            }
            if !self.mutate.contains(&meta.code) {
                self.mutate.push(meta.code);
            }
        }
        Ok(self)
    }

    /// Whether `/mutate` applies this rule's safe fixes.
    pub fn mutates(&self, code: &str) -> bool {
        self.mutate.contains(&code)
    }

    /// The rules whose safe fixes `/mutate` applies.
    pub fn mutated_rules(&self) -> &[&'static str] {
        &self.mutate
    }

    /// Parses a file of admission policy keys (and, if present, rule configuration keys,
    /// which are checked and dropped here).
    pub fn parse(name: &str, text: &str) -> Result<Policy, String> {
        crate::config::ServeConfig::parse(name, text).map(|c| c.policy)
    }

    /// What a finding of this rule and severity does.
    pub fn action(&self, code: &str, severity: Severity) -> Action {
        if let Some(action) = self.rules.get(code) {
            return *action;
        }
        match severity {
            Severity::Error => self.severity.error,
            Severity::Warning => self.severity.warning,
            Severity::Info => self.severity.info,
        }
    }

    /// Whether an object in this namespace (empty for cluster-scoped objects) with these labels
    /// is judged. Namespace lists never exclude cluster-scoped objects.
    pub fn applies(&self, namespace: &str, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        let in_scope = namespace.is_empty()
            || ((self.include.is_empty() || self.include.iter().any(|n| n == namespace))
                && !self.exclude.iter().any(|n| n == namespace));
        in_scope && self.selector.matches(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn defaults_deny_errors_warn_warnings_ignore_info() {
        let p = Policy::default();
        assert_eq!(p.action("KS201", Severity::Error), Action::Deny);
        assert_eq!(p.action("KS301", Severity::Warning), Action::Warn);
        assert_eq!(p.action("KS702", Severity::Info), Action::Ignore);
        assert!(p.applies("anything", &labels(&[])));
    }

    #[test]
    fn rules_by_code_or_name_namespaces_and_selectors() {
        let p = Policy::parse(
            "policy.yaml",
            "severity: {warning: deny}\nrules: {rwx-for-database: warn, KS702: deny}\nnamespaces: {include: [prod, data], exclude: [data]}\nobjectSelector:\n  matchLabels: {team: storage}\n  matchExpressions:\n    - {key: tier, operator: NotIn, values: [scratch]}\n",
        )
        .unwrap();
        assert_eq!(p.action("KS201", Severity::Error), Action::Warn);
        assert_eq!(p.action("KS702", Severity::Info), Action::Deny);
        assert_eq!(p.action("KS301", Severity::Warning), Action::Deny);
        let team = labels(&[("team", "storage")]);
        assert!(p.applies("prod", &team));
        assert!(!p.applies("data", &team), "exclude wins over include");
        assert!(!p.applies("dev", &team));
        assert!(p.applies("", &team), "cluster-scoped objects are in every namespace scope");
        assert!(!p.applies("prod", &labels(&[("team", "web")])));
        assert!(!p.applies("prod", &labels(&[("team", "storage"), ("tier", "scratch")])));
    }

    #[test]
    fn bad_policies_are_refused_with_the_place() {
        assert!(
            Policy::parse("p.yaml", "rules: {KS999: deny}").unwrap_err().contains("unknown rule `KS999`")
        );
        assert!(Policy::parse("p.yaml", "severity: {error: block}").unwrap_err().contains("p.yaml"));
        assert!(
            Policy::parse("p.yaml", "objectSelector: {matchExpressions: [{key: a, operator: In}]}").is_err()
        );
        assert!(Policy::parse("p.yaml", "unknown: 1").is_err());
    }

    #[test]
    fn mutations_name_rules_with_safe_fixes_only() {
        let p = Policy::parse("p.yaml", "mutate: [KS503, statefulset-retention-deletes-claims]").unwrap();
        assert_eq!(p.mutated_rules(), ["KS503", "KS302"]);
        assert!(p.mutates("KS302") && !p.mutates("KS701"));
        let unsafe_only = Policy::parse("p.yaml", "mutate: [KS201]").unwrap_err();
        assert!(unsafe_only.contains("KS201 rwx-for-database has no safe fix"), "{unsafe_only}");
        assert!(Policy::parse("p.yaml", "mutate: [KS999]").unwrap_err().contains("unknown rule `KS999`"));
        assert!(Policy::default().mutated_rules().is_empty());
    }
}
