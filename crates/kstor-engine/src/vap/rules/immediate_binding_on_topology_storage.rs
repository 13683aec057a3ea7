//! KS101 immediate-binding-on-topology-storage: zonal and node-local classes (and static
//! classes, whose volumes are almost always local) that bind Immediately.

use kstor_model::catalog::{Catalog, Topology};
use kstor_rules::Severity;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::immediate_binding_on_topology_storage::{
    ImmediateBindingOnTopologyStorage, NETWORK_STORAGE, NO_PROVISIONER, ZONE_KEYS_SUFFIX,
};

use super::{message, storage_classes};
use crate::vap::cel::{lit, object_name, parameter_matches, provisioner_conditions};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &ImmediateBindingOnTopologyStorage::META;

fn topology_word(t: Topology) -> &'static str {
    match t {
        Topology::Zonal => "zonal",
        Topology::NodeLocal => "node-local",
        _ => "other",
    }
}

/// `variables.topology`: `zonal`, `node-local`, `static` or `other`, as the catalog resolves
/// the provisioner and its parameters (variants such as regional disks included).
fn topology(catalog: &Catalog) -> String {
    let relevant = |t: Topology| matches!(t, Topology::Zonal | Topology::NodeLocal);
    let drivers = provisioner_conditions(&catalog.drivers, |spec| {
        relevant(spec.topology) || spec.variants.iter().any(|v| v.topology.is_some_and(relevant))
    });
    let mut chain = format!("object.provisioner == {} ? 'static' : ", lit(NO_PROVISIONER));
    for (spec, condition) in drivers {
        // The last matching variant wins, as in DriverSpec::capabilities.
        let mut value = lit(topology_word(spec.topology));
        for variant in &spec.variants {
            if let Some(t) = variant.topology {
                value = format!(
                    "({}) ? {} : {value}",
                    parameter_matches(&variant.when.parameter, &variant.when.values),
                    lit(topology_word(t))
                );
            }
        }
        chain.push_str(&format!("({condition}) ? ({value}) : "));
    }
    chain.push_str("'other'");
    chain
}

/// A class name with a part that says network storage (the rule's `NETWORK_STORAGE`).
fn network_name() -> String {
    format!("(^|[-_.])({})([-_.]|$)", NETWORK_STORAGE.join("|"))
}

fn variables(catalog: &Catalog) -> Vec<(String, String)> {
    vec![
        ("topology".into(), topology(catalog)),
        (
            "immediate".into(),
            "!(has(object.volumeBindingMode) && object.volumeBindingMode == 'WaitForFirstConsumer')".into(),
        ),
        (
            "pinnedToOneZone".into(),
            "has(object.allowedTopologies) && size(object.allowedTopologies) == 1 && has(object.allowedTopologies[0].matchLabelExpressions) && object.allowedTopologies[0].matchLabelExpressions.exists(e, e.key.endsWith(".to_string() + &lit(ZONE_KEYS_SUFFIX) + ") && size(e.values) == 1)",
        ),
        (
            "how".into(),
            "has(object.volumeBindingMode) ? 'binds volumes Immediately' : 'leaves volumeBindingMode unset (Immediate)'".into(),
        ),
    ]
}

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let zonal = Validation {
        expression: format!(
            "!variables.immediate || (variables.topology == 'zonal' ? variables.pinnedToOneZone : variables.topology != 'static' || {}.lowerAscii().matches({}))",
            object_name(),
            lit(&network_name())
        ),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' ' + variables.how + ', but ' + (variables.topology == 'static' ? 'it is a static class; if its volumes are local, as static provisioning almost always is, a claim is bound to a local volume on some node before its pod is scheduled, and the pod can then only run on that node, even if it does not fit there' : object.provisioner + ' volumes are zonal: a volume can be created in a zone where its pod cannot be scheduled, leaving the pod Pending with a volume node affinity conflict') + '; set volumeBindingMode: WaitForFirstConsumer'",
                object_name()
            ),
        ),
    };
    let node_local = Validation {
        expression: "!variables.immediate || variables.topology != 'node-local'".into(),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' ' + variables.how + ', but ' + object.provisioner + ' volumes are node-local: the volume is created on a node chosen before the pod is scheduled, and the pod can never run anywhere else; set volumeBindingMode: WaitForFirstConsumer'",
                object_name()
            ),
        ),
    };
    vec![
        Policy::new(RULE, storage_classes(), zonal)
            .variant("zonal")
            .variables(variables(catalog))
            .caveat("a static class (kubernetes.io/no-provisioner) is judged without its PersistentVolumes: reported unless its name says network storage"),
        Policy::new(RULE, storage_classes(), node_local)
            .variant("node-local")
            .severity(Severity::Error)
            .variables(variables(catalog)),
    ]
}
