//! KS203 rwo-claim-rolling-update: a single-replica Deployment that surges during rollouts
//! while it mounts a single-node claim. The claims of the Deployment's namespace are the
//! policy's parameters.

use kstor_model::api::HOSTNAME_LABEL;
use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::rwo_claim_rolling_update::RwoClaimRollingUpdate;

use super::message;
use crate::vap::cel::{lit, single_node, workload_name};
use crate::vap::{ParamKind, Policy, Resource, Validation};

const RULE: &RuleMeta = &RwoClaimRollingUpdate::META;

/// Percentages of maxSurge round up and of maxUnavailable round down for one replica.
const PERCENT: &str = "int(string(X).replace('%', '').trim())";

fn percent(x: &str) -> String {
    PERCENT.replace('X', x)
}

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let hostname = lit(HOSTNAME_LABEL);
    let rolling = "object.spec.strategy.rollingUpdate";
    let surge = format!("{rolling}.maxSurge");
    let unavailable = format!("{rolling}.maxUnavailable");
    let variables = vec![
        ("workload".into(), workload_name().to_string()),
        (
            "singleReplica".into(),
            "!has(object.spec.replicas) || object.spec.replicas == 1".into(),
        ),
        (
            "recreate".into(),
            "has(object.spec.strategy) && has(object.spec.strategy.type) && object.spec.strategy.type == 'Recreate'".into(),
        ),
        (
            "surges".into(),
            format!(
                "!has(object.spec.strategy) || !has({rolling}) || !has({surge}) || (type({surge}) == string ? {} > 0 : int({surge}) > 0)",
                percent(&surge)
            ),
        ),
        (
            "keepsOldPod".into(),
            format!(
                "!has(object.spec.strategy) || !has({rolling}) || !has({unavailable}) || (type({unavailable}) == string ? {} < 100 : int({unavailable}) < 1)",
                percent(&unavailable)
            ),
        ),
        (
            "pinnedToOneNode".into(),
            format!("has(object.spec.template.spec.nodeName) || (has(object.spec.template.spec.nodeSelector) && {hostname} in object.spec.template.spec.nodeSelector) || (has(object.spec.template.spec.affinity) && has(object.spec.template.spec.affinity.nodeAffinity) && has(object.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && size(object.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) == 1 && object.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, has(t.matchExpressions) && t.matchExpressions.exists(e, e.key == {hostname} && e.operator == 'In' && has(e.values) && size(e.values) == 1)))"),
        ),
        (
            "mountsClaim".into(),
            "has(object.spec.template.spec.volumes) && object.spec.template.spec.volumes.exists(v, has(v.persistentVolumeClaim) && v.persistentVolumeClaim.claimName == params.metadata.name)".into(),
        ),
    ];
    let single_pod = "params.spec.accessModes.exists(m, m == 'ReadWriteOncePod')";
    let validation = Validation {
        expression: format!(
            "!(variables.singleReplica && !variables.recreate && variables.surges && variables.keepsOldPod && variables.mountsClaim && {} && ({single_pod} || !variables.pinnedToOneNode))",
            single_node("params.spec")
        ),
        message_expression: message(
            RULE,
            &format!(
                "variables.workload + ' (1 replica, RollingUpdate with maxSurge > 0) mounts claim ' + params.metadata.name + ' (' + params.spec.accessModes.join(', ') + '): ' + ({single_pod} ? 'the new pod cannot be scheduled while the old one holds the ReadWriteOncePod volume, and the old one waits for the new one: the rollout hangs' : 'during a rollout the new pod starts before the old one stops; on another node it cannot attach the volume (Multi-Attach error) and the rollout hangs') + '; set strategy.type: Recreate'"
            ),
        ),
    };
    vec![
        Policy::new(RULE, vec![Resource::new("apps", "v1", &["deployments"])], validation)
            .param(ParamKind::CLAIMS)
            .variables(variables)
            .caveat("the claim's driver is not followed: a ReadWriteOnce volume of a driver without attachment (NFS-like) is reported too"),
    ]
}
