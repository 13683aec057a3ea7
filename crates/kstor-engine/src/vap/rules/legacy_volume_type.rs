//! KS805 legacy-volume-type: a class picking a superseded volume type (EBS gp2, io1,
//! standard), or an in-tree class whose unset type defaulted to one.

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::legacy_volume_type::LegacyVolumeType;

use super::{message, storage_classes};
use crate::vap::cel::{any_of, list, lit, object_name, provisioner_conditions};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &LegacyVolumeType::META;

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let drivers = provisioner_conditions(&catalog.drivers, |s| !s.legacy_types.is_empty());
    let mut terms = Vec::new();
    for (spec, condition) in &drivers {
        for legacy in &spec.legacy_types {
            let parameter = lit(&legacy.parameter.to_ascii_lowercase());
            let values = list(legacy.values.iter().map(|v| v.to_ascii_lowercase()));
            // In-tree provisioners that created this type when the parameter was unset.
            let mut defaulting: Vec<&str> = catalog
                .drivers
                .in_tree_plugins()
                .filter(|p| {
                    catalog.drivers.lookup(&p.name).is_some_and(|found| std::ptr::eq(found.spec, *spec))
                        && p.parameter_defaults.iter().any(|d| {
                            d.parameter.eq_ignore_ascii_case(&legacy.parameter) && legacy.matches(&d.value)
                        })
                })
                .map(|p| p.name.as_str())
                .collect();
            defaulting.sort_unstable();
            terms.push(format!(
                "({condition}) && (has(object.parameters) && object.parameters.exists(k, k.lowerAscii() == {parameter}) ? object.parameters.exists(k, k.lowerAscii() == {parameter} && object.parameters[k].trim().lowerAscii() in {values}) : object.provisioner in {})",
                list(&defaulting)
            ));
        }
    }
    let validation = Validation {
        expression: "!variables.legacy".into(),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' picks a superseded volume type' + (has(object.parameters) && 'type' in object.parameters ? ' `' + object.parameters['type'] + '`' : ' (type unset: the in-tree provisioner ' + object.provisioner + ' created gp2 volumes)') + '; use the replacement (gp3 for gp2 and standard, io2 for io1) in a new class'",
                object_name()
            ),
        ),
    };
    vec![Policy::new(RULE, storage_classes(), validation).variables(vec![("legacy".into(), any_of(terms))])]
}
