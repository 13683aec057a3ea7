//! KS503 fsgroup-without-change-policy: fsGroup without `fsGroupChangePolicy:
//! OnRootMismatch` on a pod that mounts a writable single-node filesystem claim. Claim
//! templates and ephemeral volumes are in the object; claims named by the pod are the
//! parameters of a second policy (the claims of the request's namespace).

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::fsgroup_without_change_policy::FsgroupWithoutChangePolicy;

use super::message;
use crate::vap::cel::{PodFamily, pod_variables, single_node};
use crate::vap::{ParamKind, Policy, Resource, Validation};

const RULE: &RuleMeta = &FsgroupWithoutChangePolicy::META;

/// What the CEL does not follow.
const CAVEAT: &str = "the claim's class and driver are not followed: claims of drivers that ignore fsGroup or manage ownership themselves (NFS, Azure File) are reported too";

/// A claim spec kstor expects the kubelet to chown: single-node and not a raw block device.
fn chowned(spec: &str) -> String {
    format!("{} && !(has({spec}.volumeMode) && {spec}.volumeMode == 'Block')", single_node(spec))
}

fn mounted(name: &str) -> String {
    format!(
        "variables.containers.exists(c, has(c.volumeMounts) && c.volumeMounts.exists(m, m.name == {name}))"
    )
}

fn base_variables(family: PodFamily) -> Vec<(String, String)> {
    let mut variables = pod_variables(family);
    variables.push((
        "slowChown".into(),
        "has(variables.spec.securityContext) && has(variables.spec.securityContext.fsGroup) && (!has(variables.spec.securityContext.fsGroupChangePolicy) || variables.spec.securityContext.fsGroupChangePolicy == 'Always')".into(),
    ));
    variables
}

fn message_for(what: &str) -> String {
    message(
        RULE,
        &format!(
            "variables.workload + ' sets fsGroup ' + string(variables.spec.securityContext.fsGroup) + ' with ' + (has(variables.spec.securityContext.fsGroupChangePolicy) ? 'fsGroupChangePolicy: Always' : 'no fsGroupChangePolicy (Always)') + ': on every mount the kubelet changes the group of every file in ' + {what} + ', which makes pod starts slow on large volumes; set fsGroupChangePolicy: OnRootMismatch'"
        ),
    )
}

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let mut out = Vec::new();
    for family in PodFamily::ALL {
        // Ephemeral volumes carry their claim template inline.
        let mut variables = base_variables(family);
        variables.push((
            "ephemeral".into(),
            format!(
                "has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.ephemeral) && has(v.ephemeral.volumeClaimTemplate) && {} && {}) : []",
                chowned("v.ephemeral.volumeClaimTemplate.spec"),
                mounted("v.name")
            ),
        ));
        let validation = Validation {
            expression: "!variables.slowChown || size(variables.ephemeral) == 0".into(),
            message_expression: message_for("'ephemeral volume ' + variables.ephemeral[0].name"),
        };
        let variant = match family {
            PodFamily::Pods => "ephemeral-pods",
            PodFamily::Workloads => "ephemeral-workloads",
            PodFamily::CronJobs => "ephemeral-cronjobs",
        };
        out.push(
            Policy::new(RULE, family.resources(), validation)
                .variant(variant)
                .variables(variables)
                .caveat(CAVEAT),
        );
        let mut variables = base_variables(family);
        variables.push((
            "mountsClaim".into(),
            format!(
                "has(variables.spec.volumes) && variables.spec.volumes.exists(v, has(v.persistentVolumeClaim) && v.persistentVolumeClaim.claimName == params.metadata.name && !(has(v.persistentVolumeClaim.readOnly) && v.persistentVolumeClaim.readOnly) && {})",
                mounted("v.name")
            ),
        ));
        let validation = Validation {
            expression: format!(
                "!variables.slowChown || !variables.mountsClaim || !({})",
                chowned("params.spec")
            ),
            message_expression: message_for("'claim ' + params.metadata.name"),
        };
        let variant = match family {
            PodFamily::Pods => "claims-pods",
            PodFamily::Workloads => "claims-workloads",
            PodFamily::CronJobs => "claims-cronjobs",
        };
        out.push(
            Policy::new(RULE, family.resources(), validation)
                .variant(variant)
                .param(ParamKind::CLAIMS)
                .variables(variables)
                .caveat(CAVEAT),
        );
    }
    // StatefulSet claim templates: a mount whose name no pod volume has.
    let mut variables = base_variables(PodFamily::Workloads);
    variables.push((
        "templates".into(),
        format!(
            "has(object.spec.volumeClaimTemplates) ? object.spec.volumeClaimTemplates.filter(t, {} && {} && !(has(variables.spec.volumes) && variables.spec.volumes.exists(v, v.name == t.metadata.name))) : []",
            chowned("t.spec"),
            mounted("t.metadata.name")
        ),
    ));
    let validation = Validation {
        expression: "!variables.slowChown || size(variables.templates) == 0".into(),
        message_expression: message_for("'claim template ' + variables.templates[0].metadata.name"),
    };
    let stateful_sets = vec![Resource::new("apps", "v1", &["statefulsets"])];
    out.push(
        Policy::new(RULE, stateful_sets, validation)
            .variant("claim-templates")
            .variables(variables)
            .caveat(CAVEAT),
    );
    out
}
