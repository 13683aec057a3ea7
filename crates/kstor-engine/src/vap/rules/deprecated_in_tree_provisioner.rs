//! KS801 deprecated-in-tree-provisioner: classes, PersistentVolumes and pod volumes of
//! deprecated or removed in-tree volume plugins.

use kstor_model::catalog::Catalog;
use kstor_model::catalog::drivers::InTreePlugin;
use kstor_rules::Severity;

use super::{message, storage_classes};
use crate::vap::cel::{PodFamily, any_of, list, object_name, pod_variables};
use crate::vap::{Policy, Resource, Validation};

const RULE: &str = "deprecated-in-tree-provisioner";

fn deprecated(catalog: &Catalog) -> Vec<&InTreePlugin> {
    catalog.drivers.in_tree_plugins().filter(|p| p.is_deprecated()).collect()
}

fn policy(
    variant: &'static str,
    resources: Vec<Resource>,
    variables: Vec<(String, String)>,
    validation: Validation,
) -> Policy {
    Policy {
        code: "KS801",
        rule: RULE,
        variant: Some(variant),
        severity: Severity::Warning,
        resources,
        exact_versions: false,
        param: None,
        match_conditions: Vec::new(),
        variables,
        validations: vec![validation],
        caveat: None,
    }
}

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let plugins = deprecated(catalog);
    let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
    let mut fields: Vec<&str> = plugins.iter().filter_map(|p| p.volume_source.as_deref()).collect();
    fields.sort_unstable();
    fields.dedup();
    let tail = "' (deprecated or removed in-tree volume plugin): move to its CSI driver'";
    let mut out = vec![policy(
        "classes",
        storage_classes(),
        Vec::new(),
        Validation {
            expression: format!("!(object.provisioner in {})", list(&names)),
            message_expression: message(
                "KS801",
                RULE,
                &format!(
                    "'storage class ' + {} + ' uses the in-tree provisioner ' + object.provisioner + {tail}",
                    object_name()
                ),
            ),
        },
    )];
    // `has()` on each field: the typed objects have no map to search.
    let pv_fields = any_of(fields.iter().map(|f| format!("has(object.spec.{f})")));
    let pv_which = fields
        .iter()
        .rev()
        .fold("''".to_string(), |rest, f| format!("has(object.spec.{f}) ? '{f}' : {rest}"));
    out.push(policy(
        "volumes",
        vec![Resource::new("", "v1", &["persistentvolumes"])],
        Vec::new(),
        Validation {
            expression: format!("!({pv_fields})"),
            message_expression: message(
                "KS801",
                RULE,
                &format!("'persistent volume ' + {} + ' uses the in-tree ' + ({pv_which}) + ' volume source' + {tail}", object_name()),
            ),
        },
    ));
    let volume_fields = any_of(fields.iter().map(|f| format!("has(v.{f})")));
    for family in PodFamily::ALL {
        let mut variables = pod_variables(family);
        variables.push((
            "inTree".into(),
            format!("has(variables.spec.volumes) ? variables.spec.volumes.filter(v, {volume_fields}) : []"),
        ));
        out.push(policy(
            family.suffix(),
            family.resources(),
            variables,
            Validation {
                expression: "size(variables.inTree) == 0".into(),
                message_expression: message(
                    "KS801",
                    RULE,
                    &format!("'volume ' + variables.inTree[0].name + ' of ' + variables.workload + ' uses an in-tree volume source' + {tail}"),
                ),
            },
        ));
    }
    out
}
