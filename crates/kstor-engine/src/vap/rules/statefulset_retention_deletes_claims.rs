//! KS302 statefulset-retention-deletes-claims: a StatefulSet of a role that holds critical
//! data whose `persistentVolumeClaimRetentionPolicy` deletes claims. The role is found as
//! kstor finds it, in CEL generated from the role catalog.

use std::collections::BTreeMap;

use kstor_model::catalog::{Catalog, Role};
use kstor_model::graph::{COMPONENT_LABELS, NAME_LABEL, ROLE_ANNOTATION};
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::statefulset_retention_deletes_claims::StatefulsetRetentionDeletesClaims;

use super::message;
use crate::vap::cel::{PodFamily, image_regex, list, lit, pod_variables};
use crate::vap::{Policy, Resource, Validation};

const RULE: &RuleMeta = &StatefulsetRetentionDeletesClaims::META;

fn map_literal(entries: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {v}", lit(k))).collect();
    format!("{{{}}}", items.join(", "))
}

/// A label of the object or of its pod template, `''` when neither has it.
fn label(key: &str) -> String {
    let key = lit(key);
    format!(
        "(has(object.metadata.labels) && {key} in object.metadata.labels ? object.metadata.labels[{key}] : has(object.spec.template.metadata) && has(object.spec.template.metadata.labels) && {key} in object.spec.template.metadata.labels ? object.spec.template.metadata.labels[{key}] : '')"
    )
}

/// The variables that decide the role: `engines` ([engine, program] per container),
/// `running` (engines not run as a client), then `role`.
fn role_variables(catalog: &Catalog) -> Vec<(String, String)> {
    let roles = &catalog.roles;
    // Per container: '-' for a known non-engine image, the first engine whose images match,
    // or ''.
    let mut chain = format!(
        "c.image.matches({}) ? '-' : ",
        lit(&image_regex(&roles.not_engine_patterns().iter().map(String::as_str).collect::<Vec<_>>()))
    );
    for engine in roles.engines.iter().filter(|e| !e.images.is_empty()) {
        let patterns: Vec<&str> = engine.images.iter().map(String::as_str).collect();
        chain.push_str(&format!(
            "c.image.matches({}) ? {} : ",
            lit(&image_regex(&patterns)),
            lit(&engine.name)
        ));
    }
    chain.push_str("''");
    // The program, or for a shell the first word of its script (`sh -c 'psql …'`): a client
    // of the engine is not the engine.
    let program = "has(c.command) && size(c.command) > 0 ? (c.command[0].substring(c.command[0].lastIndexOf('/') + 1) in ['sh', 'bash', 'ash', 'dash'] && size(c.command.filter(a, !a.startsWith('-'))) > 1 ? c.command.filter(a, !a.startsWith('-'))[1].trim().split(' ')[0] : c.command[0].substring(c.command[0].lastIndexOf('/') + 1)) : ''";
    let engine_roles: BTreeMap<String, String> =
        roles.engines.iter().map(|e| (e.name.clone(), lit(e.role.name()))).collect();
    let clients: BTreeMap<String, String> =
        roles.engines.iter().map(|e| (e.name.clone(), list(&e.clients))).collect();
    let mut by_priority = String::new();
    for role in Role::ALL {
        by_priority.push_str(&format!(
            "variables.running.exists(e, {roles_map}[e] == {r}) ? {r} : ",
            roles_map = map_literal(&engine_roles),
            r = lit(role.name())
        ));
    }
    // Labels and mounts name engines or roles.
    let app_names: BTreeMap<String, String> = roles
        .engines
        .iter()
        .rev() // the first engine naming a value wins
        .flat_map(|e| e.names.iter().map(move |n| (n.to_ascii_lowercase(), lit(e.role.name()))))
        .collect();
    let components: BTreeMap<String, String> =
        roles.components().iter().map(|(k, r)| (k.clone(), lit(r.name()))).collect();
    let mut data_dirs: BTreeMap<String, String> = BTreeMap::new();
    let mut ports: BTreeMap<String, String> = BTreeMap::new();
    for engine in &roles.engines {
        for dir in &engine.data_dirs {
            let path = dir.trim_end_matches('/');
            if roles.engine_by_data_dir(path).is_some_and(|e| e.name == engine.name) {
                data_dirs.insert(path.to_string(), lit(engine.role.name()));
            }
        }
        for port in &engine.ports {
            if roles.engine_by_port(*port).is_some_and(|e| e.name == engine.name) {
                ports.insert(port.to_string(), lit(engine.role.name()));
            }
        }
    }
    let annotation = lit(ROLE_ANNOTATION);
    let role_names = list(Role::ALL.iter().map(|r| r.name()));
    let annotation_value = format!(
        "(has(object.metadata.annotations) && {annotation} in object.metadata.annotations ? object.metadata.annotations[{annotation}].trim() : has(object.spec.template.metadata) && has(object.spec.template.metadata.annotations) && {annotation} in object.spec.template.metadata.annotations ? object.spec.template.metadata.annotations[{annotation}].trim() : '')"
    );
    let name_label = format!("{}.lowerAscii()", label(NAME_LABEL));
    let mut component_chain = String::new();
    for key in COMPONENT_LABELS {
        component_chain.push_str(&format!(
            "{l}.lowerAscii() in {m} ? {m}[{l}.lowerAscii()] : ",
            l = label(key),
            m = map_literal(&components)
        ));
    }
    let dirs = map_literal(&data_dirs);
    let ports_map = map_literal(&ports);
    let mount_dir =
        "(m.mountPath.endsWith('/') ? m.mountPath.substring(0, size(m.mountPath) - 1) : m.mountPath)";
    vec![
        (
            "engines".into(),
            format!("variables.spec.containers.map(c, [has(c.image) ? ({chain}) : '', {program}])"),
        ),
        (
            "running".into(),
            format!(
                "variables.engines.filter(p, p[0] != '' && p[0] != '-' && !(p[1] in {}[p[0]])).map(p, p[0])",
                map_literal(&clients)
            ),
        ),
        (
            "dirRoles".into(),
            format!(
                "variables.spec.containers.filter(c, has(c.volumeMounts)).map(c, c.volumeMounts.filter(m, has(m.mountPath) && {mount_dir} in {dirs}).map(m, {dirs}[{mount_dir}]))"
            ),
        ),
        (
            "portRoles".into(),
            format!(
                "variables.spec.containers.filter(c, has(c.ports)).map(c, c.ports.filter(p, string(p.containerPort) in {ports_map}).map(p, {ports_map}[string(p.containerPort)]))"
            ),
        ),
        (
            "role".into(),
            format!(
                "{annotation_value} in {role_names} ? {annotation_value} : {by_priority}size(variables.engines) > 0 && variables.engines.all(p, p[0] == '-') ? 'generic' : {name_label} in {apps} ? {apps}[{name_label}] : {component_chain}variables.dirRoles.exists(l, size(l) > 0) ? variables.dirRoles.filter(l, size(l) > 0)[0][0] : variables.portRoles.exists(l, size(l) > 0) ? variables.portRoles.filter(l, size(l) > 0)[0][0] : 'generic'",
                apps = map_literal(&app_names),
            ),
        ),
    ]
}

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let mut variables = pod_variables(PodFamily::Workloads);
    variables.extend(role_variables(catalog));
    let critical = list(Role::ALL.iter().filter(|r| r.holds_critical_data()).map(|r| r.name()));
    let policy = "object.spec.persistentVolumeClaimRetentionPolicy";
    let validation = Validation {
        expression: format!("!(variables.role in {critical})"),
        message_expression: message(
            RULE,
            &format!(
                "variables.role + ' (' + variables.workload + ') sets persistentVolumeClaimRetentionPolicy.' + (has({policy}.whenDeleted) && {policy}.whenDeleted == 'Delete' ? 'whenDeleted: Delete: deleting the statefulset deletes the claims of every replica, and with them (reclaim policy Delete) the volumes and the data' : 'whenScaled: Delete: scaling the statefulset down deletes the claims of the removed replicas: their data is lost, and scaling back up starts them empty') + '; set Retain (the default) and delete claims deliberately, after a backup'"
            ),
        ),
    };
    let deletes_claims = format!(
        "has({policy}) && ((has({policy}.whenDeleted) && {policy}.whenDeleted == 'Delete') || (has({policy}.whenScaled) && {policy}.whenScaled == 'Delete'))"
    );
    vec![
        Policy::new(RULE, vec![Resource::new("apps", "v1", &["statefulsets"])], validation)
            .match_condition("deletes-claims", deletes_claims)
            .variables(variables)
            .caveat(
            "roles come from the kstor.io/role annotation, engine images, labels, data directories and ports as in kstor; role overrides by image from .kstor.yaml are not exported",
            ),
    ]
}
