//! KS804 unencrypted-volume: a class of a driver that encrypts only when asked, not asking.

use kstor_model::catalog::Catalog;
use kstor_rules::Severity;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::unencrypted_volume::UnencryptedVolume;

use super::{message, storage_classes};
use crate::vap::cel::{any_of, list, lit, object_name, provisioner_conditions};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &UnencryptedVolume::META;

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let drivers = provisioner_conditions(&catalog.drivers, |s| s.encryption.is_some());
    let mut out = Vec::new();
    // Advisory drivers (Ceph RBD) are reported as info, the others as warnings.
    for (advisory, variant, severity) in
        [(false, None, Severity::Warning), (true, Some("advisory"), Severity::Info)]
    {
        let terms: Vec<String> = drivers
            .iter()
            .filter_map(|(spec, condition)| {
                let encryption = spec.encryption.as_ref()?;
                if encryption.advisory != advisory {
                    return None;
                }
                let parameter = lit(&encryption.parameter.to_ascii_lowercase());
                let enabled = list(encryption.enable_values.iter().map(|v| v.to_ascii_lowercase()));
                Some(format!(
                    "({condition}) && (has(object.parameters) && object.parameters.exists(k, k.lowerAscii() == {parameter}) ? !object.parameters.exists(k, k.lowerAscii() == {parameter} && object.parameters[k].trim().lowerAscii() in {enabled}) : {})",
                    !encryption.on_by_default
                ))
            })
            .collect();
        if terms.is_empty() {
            continue;
        }
        let validation = Validation {
            expression: "!variables.unencrypted".into(),
            message_expression: message(
                RULE,
                &format!(
                    "'storage class ' + {} + ' creates volumes (' + object.provisioner + ') unencrypted at rest: the driver encrypts only when the class asks for it'",
                    object_name()
                ),
            ),
        };
        let mut policy = Policy::new(RULE, storage_classes(), validation)
            .severity(severity)
            .variables(vec![("unencrypted".into(), any_of(terms))]);
        policy.variant = variant;
        out.push(policy);
    }
    out
}
