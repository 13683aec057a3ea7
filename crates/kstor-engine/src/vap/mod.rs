//! `kstor export vap`: the rules that can be judged from one object (and, through a
//! policy parameter, from one other object of one kind) as Kubernetes
//! ValidatingAdmissionPolicies with CEL validations, for clusters that enforce kstor's rules
//! without running its webhook.
//!
//! Each exported rule is one file under `rules/` that turns catalog data into policies; the
//! CEL it writes is evaluated against every rule's fixtures in `tests/vap.rs` and must agree
//! with `kstor lint` on each object. Rules that need the whole graph are listed with the
//! reason in [`NOT_EXPORTED`].

pub mod cel;
mod render;
mod rules;

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::{Severity, registry};

pub use cel::{PodFamily, Resource};

/// What a binding does when a validation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VapAction {
    /// Reject the request.
    Deny,
    /// Admit it with a warning to the client.
    Warn,
    /// Admit it and record an audit annotation.
    Audit,
}

impl VapAction {
    /// The binding's `validationActions` value.
    pub fn as_str(self) -> &'static str {
        match self {
            VapAction::Deny => "Deny",
            VapAction::Warn => "Warn",
            VapAction::Audit => "Audit",
        }
    }

    /// The default for a severity, as `kstor serve`'s default policy: errors deny, warnings
    /// warn, info is only recorded.
    pub fn for_severity(severity: Severity) -> VapAction {
        match severity {
            Severity::Error => VapAction::Deny,
            Severity::Warning => VapAction::Warn,
            Severity::Info => VapAction::Audit,
        }
    }
}

/// The kind of a policy's parameter objects: every object of this kind (in the request's
/// namespace for namespaced kinds) is a parameter, and the policy fails when it fails for one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamKind {
    /// `storage.k8s.io/v1`.
    pub api_version: &'static str,
    /// `StorageClass`.
    pub kind: &'static str,
    /// True for namespaced kinds (parameters are taken from the request's namespace).
    pub namespaced: bool,
}

impl ParamKind {
    /// The PersistentVolumeClaims of the request's namespace.
    pub const CLAIMS: ParamKind =
        ParamKind { api_version: "v1", kind: "PersistentVolumeClaim", namespaced: true };
    /// Every StorageClass.
    pub const STORAGE_CLASSES: ParamKind =
        ParamKind { api_version: "storage.k8s.io/v1", kind: "StorageClass", namespaced: false };
}

/// One CEL validation: `expression` is true when the object passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    /// The condition an admitted object meets.
    pub expression: String,
    /// The message when it does not: the rule code, its name and kstor's wording.
    pub message_expression: String,
}

/// One ValidatingAdmissionPolicy (and its binding).
#[derive(Clone, Debug)]
pub struct Policy {
    /// The rule it enforces.
    pub rule: &'static RuleMeta,
    /// Distinguishes several policies of one rule (`pods`, `node-local`).
    pub variant: Option<&'static str>,
    /// The severity kstor gives these findings (the binding's default action follows it).
    pub severity: Severity,
    /// What the policy matches (CREATE and UPDATE).
    pub resources: Vec<Resource>,
    /// `matchPolicy: Exact` (only requests in the listed versions), else `Equivalent`.
    pub exact_versions: bool,
    /// The parameter kind, when the policy looks at other objects of one kind.
    pub param: Option<ParamKind>,
    /// `matchConditions` (name, expression): the policy applies only when all are true.
    pub match_conditions: Vec<(String, String)>,
    /// `variables` (name, expression), in order.
    pub variables: Vec<(String, String)>,
    /// The validations.
    pub validations: Vec<Validation>,
    /// What the CEL cannot see that kstor does, for the policy's annotation and docs/vap.md.
    pub caveat: Option<&'static str>,
}

impl Policy {
    /// A policy of `rule` at its default severity with one validation, matching `resources`
    /// in any equivalent version; the other parts are added with the builder methods.
    pub fn new(rule: &'static RuleMeta, resources: Vec<Resource>, validation: Validation) -> Policy {
        Policy {
            rule,
            variant: None,
            severity: rule.severity,
            resources,
            exact_versions: false,
            param: None,
            match_conditions: Vec::new(),
            variables: Vec::new(),
            validations: vec![validation],
            caveat: None,
        }
    }

    /// Names one of several policies of the rule.
    pub fn variant(mut self, variant: &'static str) -> Policy {
        self.variant = Some(variant);
        self
    }

    /// Another severity than the rule's default (KS101's node-local classes are errors).
    pub fn severity(mut self, severity: Severity) -> Policy {
        self.severity = severity;
        self
    }

    /// Only requests in the listed versions (`matchPolicy: Exact`).
    pub fn exact_versions(mut self) -> Policy {
        self.exact_versions = true;
        self
    }

    /// Every object of this kind is a parameter.
    pub fn param(mut self, param: ParamKind) -> Policy {
        self.param = Some(param);
        self
    }

    /// A match condition.
    pub fn match_condition(mut self, name: &str, expression: String) -> Policy {
        self.match_conditions.push((name.to_string(), expression));
        self
    }

    /// Variables, in order.
    pub fn variables(mut self, variables: Vec<(String, String)>) -> Policy {
        self.variables = variables;
        self
    }

    /// What the CEL cannot see that kstor does.
    pub fn caveat(mut self, caveat: &'static str) -> Policy {
        self.caveat = Some(caveat);
        self
    }

    /// The rule code (`KS101`).
    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    /// `kstor-ks101-immediate-binding-on-topology-storage[-variant]`.
    pub fn name(&self) -> String {
        let mut name = format!("kstor-{}-{}", self.rule.code.to_ascii_lowercase(), self.rule.name);
        if let Some(variant) = self.variant {
            name.push('-');
            name.push_str(variant);
        }
        name
    }
}

/// A rule kstor does not export, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotExported {
    /// Rule code.
    pub code: &'static str,
    /// Why a policy cannot judge it (`needs kstor serve: …`, `needs kstor audit: …`).
    pub reason: &'static str,
}

/// The rules a ValidatingAdmissionPolicy cannot judge, with the reason.
pub const NOT_EXPORTED: &[NotExported] = &[
    NotExported {
        code: "KS001",
        reason: "not a policy: invalid manifests are rejected by the API server's own validation",
    },
    NotExported {
        code: "KS102",
        reason: "needs kstor serve: compares a class's allowedTopologies with the zones of the pods that use it",
    },
    NotExported {
        code: "KS201",
        reason: "needs kstor serve: follows workload → claim → class → driver to see ReadWriteMany file storage",
    },
    NotExported {
        code: "KS202",
        reason: "needs kstor serve: follows a workload's claims to their access modes and the workload's spread over nodes",
    },
    NotExported {
        code: "KS204",
        reason: "needs kstor serve: compares a claim's access modes with the capabilities of its class's driver",
    },
    NotExported {
        code: "KS205",
        reason: "needs kstor serve: follows workload → claim → class → driver (ReadWriteOncePod support)",
    },
    NotExported {
        code: "KS301",
        reason: "needs kstor serve: follows workload → claim → class to the reclaim policy",
    },
    NotExported {
        code: "KS303",
        reason: "needs kstor serve: the engine's data directory and where its volumes come from (mounts, claims)",
    },
    NotExported {
        code: "KS304",
        reason: "needs kstor serve: whether a hostPath volume holds the workload's data depends on the engine detected",
    },
    NotExported {
        code: "KS305",
        reason: "needs kstor serve: judged with the PersistentVolume's class and claims",
    },
    NotExported { code: "KS401", reason: "needs kstor serve: needs every VolumeSnapshotClass of the driver" },
    NotExported {
        code: "KS402", reason: "needs kstor serve: follows snapshot → content → class → driver"
    },
    NotExported {
        code: "KS404",
        reason: "needs kstor serve: whether a snapshot class serves production data depends on the workloads using its driver",
    },
    NotExported {
        code: "KS405",
        reason: "needs kstor serve: compares the default snapshot classes of one driver (two parameter kinds)",
    },
    NotExported {
        code: "KS406",
        reason: "needs kstor serve: looks for snapshot schedules and backup tools anywhere in the cluster",
    },
    NotExported {
        code: "KS501",
        reason: "needs kstor serve: follows the pod's claims to their driver's fsGroup policy",
    },
    NotExported {
        code: "KS502",
        reason: "needs kstor serve: follows the pod's claims to their driver's fsGroup policy",
    },
    NotExported {
        code: "KS702",
        reason: "needs kstor serve: only reported when the input holds several classes or no default",
    },
    NotExported {
        code: "KS703",
        reason: "needs kstor serve: references are resolved against the whole cluster",
    },
    NotExported {
        code: "KS704",
        reason: "needs kstor serve: compares a claim's volumeMode with how the pod uses it (and claim templates)",
    },
    NotExported {
        code: "KS802",
        reason: "needs kstor serve: CSI sidecars are recognised with the driver catalog and their pods' other containers",
    },
    NotExported {
        code: "KS806",
        reason: "needs kstor serve: looks for a scrape configuration of the sidecars' metrics",
    },
    NotExported { code: "KS901", reason: "needs kstor audit: live state (claim phases and ages)" },
    NotExported { code: "KS902", reason: "needs kstor audit: live state (volume phases)" },
    NotExported { code: "KS903", reason: "needs kstor audit: live state (claim and volume phases)" },
    NotExported { code: "KS904", reason: "needs kstor audit: live state (which pods mount which claims)" },
    NotExported { code: "KS905", reason: "needs kstor audit: live state (nodes and their readiness)" },
    NotExported { code: "KS906", reason: "needs kstor audit: live state (VolumeAttachments)" },
    NotExported { code: "KS907", reason: "needs kstor audit: live state (resize conditions)" },
    NotExported { code: "KS908", reason: "needs kstor audit: live state (snapshot readiness)" },
    NotExported { code: "KS909", reason: "needs kstor audit: live state (every StorageClass)" },
    NotExported { code: "KS910", reason: "needs kstor audit: live state (snapshot CRDs and controller)" },
];

/// Codes of the rules exported as policies.
pub fn exported_codes() -> Vec<&'static str> {
    rules::EXPORTERS.iter().map(|(rule, _)| rule.code).collect()
}

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// Rule codes or names; empty: every exportable rule the configuration selects.
    pub rules: Vec<String>,
    /// One action for every binding; `None`: by severity ([`VapAction::for_severity`]).
    pub action: Option<VapAction>,
}

/// The exported policies.
#[derive(Clone, Debug)]
pub struct VapExport {
    /// Policies, in rule order.
    pub policies: Vec<Policy>,
    /// The action of each binding, parallel to `policies`.
    pub actions: Vec<VapAction>,
    /// Selected rules that were not exported, with the reason.
    pub not_exported: Vec<NotExported>,
}

impl VapExport {
    /// The policies and bindings as one YAML stream, with the rules not exported listed in
    /// a comment at the top.
    pub fn to_yaml(&self) -> String {
        render::to_yaml(self)
    }
}

/// Exports the selected rules. `selected` says whether the configuration runs a rule (by
/// code); severities come from `severity_of`.
pub fn export(
    catalog: &Catalog,
    options: &ExportOptions,
    selected: &dyn Fn(&str) -> bool,
    severity_of: &dyn Fn(&str) -> Option<Severity>,
) -> Result<VapExport, String> {
    let mut wanted: Vec<&'static str> = Vec::new();
    if options.rules.is_empty() {
        wanted.extend(registry::rules().iter().map(|r| r.meta().code).filter(|c| selected(c)));
    } else {
        for requested in &options.rules {
            for part in requested.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let rule = registry::find(part).ok_or_else(|| format!("unknown rule `{part}`"))?;
                let code = rule.meta().code;
                if let Some(not) = NOT_EXPORTED.iter().find(|n| n.code == code) {
                    return Err(format!(
                        "{code} cannot be exported as a ValidatingAdmissionPolicy: {}",
                        not.reason
                    ));
                }
                if !wanted.contains(&code) {
                    wanted.push(code);
                }
            }
        }
    }
    let mut export = VapExport { policies: Vec::new(), actions: Vec::new(), not_exported: Vec::new() };
    for rule in registry::rules() {
        let code = rule.meta().code;
        if !wanted.contains(&code) {
            continue;
        }
        match rules::EXPORTERS.iter().find(|(rule, _)| rule.code == code) {
            Some((_, build)) => {
                for mut policy in build(catalog) {
                    // A configured severity applies to the whole rule.
                    if let Some(configured) = severity_of(code).filter(|s| *s != rule.meta().severity) {
                        policy.severity = configured;
                    }
                    export.actions.push(options.action.unwrap_or(VapAction::for_severity(policy.severity)));
                    export.policies.push(policy);
                }
            }
            None => {
                if let Some(not) = NOT_EXPORTED.iter().find(|n| n.code == code) {
                    export.not_exported.push(*not);
                }
            }
        }
    }
    Ok(export)
}

impl crate::Engine {
    /// `kstor export vap`: the selected rules as ValidatingAdmissionPolicies, with the
    /// engine's catalog (so drivers added in `.kstor.yaml` are exported too) and its
    /// severity overrides.
    pub fn export_vap(&self, options: &ExportOptions) -> Result<VapExport, String> {
        let settings = self.settings();
        export(self.catalog(), options, &|code| settings.enabled.contains(code), &|code| {
            settings.severity.get(code).copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_either_exported_or_says_why_not() {
        let exported = exported_codes();
        for rule in registry::rules() {
            let code = rule.meta().code;
            let listed = NOT_EXPORTED.iter().filter(|n| n.code == code).count();
            let built = exported.iter().filter(|c| **c == code).count();
            assert_eq!(
                listed + built,
                1,
                "{code}: exported {built} times, listed as not exported {listed} times"
            );
        }
        assert_eq!(exported.len() + NOT_EXPORTED.len(), registry::rules().len());
    }

    #[test]
    fn policies_carry_their_rule_and_unique_names() {
        let export = crate::Engine::default().export_vap(&ExportOptions::default()).expect("export");
        let mut names: Vec<String> = export.policies.iter().map(Policy::name).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "policy names are unique");
        for policy in &export.policies {
            assert!(exported_codes().contains(&policy.code()), "{}", policy.name());
            for validation in &policy.validations {
                assert!(
                    validation
                        .message_expression
                        .starts_with(&format!("'{} {}: '", policy.rule.code, policy.rule.name))
                );
            }
        }
    }
}
