//! KS801 deprecated-in-tree-provisioner: classes, PersistentVolumes and pod volumes of
//! deprecated or removed in-tree volume plugins.

use kstor_model::catalog::Catalog;
use kstor_model::catalog::drivers::InTreePlugin;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::deprecated_in_tree_provisioner::DeprecatedInTreeProvisioner;

use super::{message, storage_classes};
use crate::vap::cel::{PodFamily, any_of, list, object_name, pod_variables};
use crate::vap::{Policy, Resource, Validation};

const RULE: &RuleMeta = &DeprecatedInTreeProvisioner::META;
const TAIL: &str = "' (deprecated or removed in-tree volume plugin): move to its CSI driver'";

fn deprecated(catalog: &Catalog) -> Vec<&InTreePlugin> {
    catalog.drivers.in_tree_plugins().filter(|p| p.is_deprecated()).collect()
}

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let plugins = deprecated(catalog);
    let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
    let mut fields: Vec<&str> = plugins.iter().filter_map(|p| p.volume_source.as_deref()).collect();
    fields.sort_unstable();
    fields.dedup();

    let classes = Validation {
        expression: format!("!(object.provisioner in {})", list(&names)),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' uses the in-tree provisioner ' + object.provisioner + {TAIL}",
                object_name()
            ),
        ),
    };
    let mut out = vec![Policy::new(RULE, storage_classes(), classes).variant("classes")];

    // `has()` on each field: the typed objects have no map to search.
    let pv_fields = any_of(fields.iter().map(|f| format!("has(object.spec.{f})")));
    let pv_which = fields
        .iter()
        .rev()
        .fold("''".to_string(), |rest, f| format!("has(object.spec.{f}) ? '{f}' : {rest}"));
    let volumes = Validation {
        expression: format!("!({pv_fields})"),
        message_expression: message(
            RULE,
            &format!(
                "'persistent volume ' + {} + ' uses the in-tree ' + ({pv_which}) + ' volume source' + {TAIL}",
                object_name()
            ),
        ),
    };
    let persistent_volumes = vec![Resource::new("", "v1", &["persistentvolumes"])];
    out.push(Policy::new(RULE, persistent_volumes, volumes).variant("volumes"));

    let volume_fields = any_of(fields.iter().map(|f| format!("has(v.{f})")));
    for family in PodFamily::ALL {
        let mut variables = pod_variables(family);
        variables.push((
            "inTree".into(),
            format!("has(variables.spec.volumes) ? variables.spec.volumes.filter(v, {volume_fields}) : []"),
        ));
        let pod_volumes = Validation {
            expression: "size(variables.inTree) == 0".into(),
            message_expression: message(
                RULE,
                &format!(
                    "'volume ' + variables.inTree[0].name + ' of ' + variables.workload + ' uses an in-tree volume source' + {TAIL}"
                ),
            ),
        };
        out.push(
            Policy::new(RULE, family.resources(), pod_volumes).variant(family.suffix()).variables(variables),
        );
    }
    out
}
