//! KS804 unencrypted-volume: a class of a driver that encrypts only when asked, not asking.

use kstor_model::catalog::Catalog;
use kstor_rules::Severity;

use super::{message, storage_classes};
use crate::vap::cel::{any_of, list, lit, object_name, provisioner_conditions};
use crate::vap::{Policy, Validation};

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
        out.push(Policy {
            code: "KS804",
            rule: "unencrypted-volume",
            variant,
            severity,
            resources: storage_classes(),
            exact_versions: false,
            param: None,
            match_conditions: Vec::new(),
            variables: vec![("unencrypted".into(), any_of(terms))],
            validations: vec![Validation {
                expression: "!variables.unencrypted".into(),
                message_expression: message(
                    "KS804",
                    "unencrypted-volume",
                    &format!(
                        "'storage class ' + {} + ' creates volumes (' + object.provisioner + ') unencrypted at rest: the driver encrypts only when the class asks for it'",
                        object_name()
                    ),
                ),
            }],
            caveat: None,
        });
    }
    out
}
