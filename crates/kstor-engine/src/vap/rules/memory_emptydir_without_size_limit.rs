//! KS601 memory-emptydir-without-size-limit: a tmpfs emptyDir without sizeLimit, outside
//! CSI driver pods.

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::memory_emptydir_without_size_limit::MemoryEmptydirWithoutSizeLimit;

use super::message;
use crate::vap::cel::{PodFamily, image_regex, lit, pod_variables};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &MemoryEmptydirWithoutSizeLimit::META;

/// A memory-backed emptyDir without sizeLimit, for a volume `v`.
const UNBOUNDED: &str = "has(v.emptyDir) && has(v.emptyDir.medium) && v.emptyDir.medium == 'Memory' && !has(v.emptyDir.sizeLimit)";

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let sidecars: Vec<&str> = kstor_rules::rules::csi_sidecar_image_names();
    PodFamily::ALL
        .into_iter()
        .map(|family| {
            let mut variables = pod_variables(family);
            variables.push((
                "csiDriverPod".into(),
                format!(
                    "variables.containers.exists(c, has(c.image) && c.image.matches({}))",
                    lit(&image_regex(&sidecars))
                ),
            ));
            variables.push((
                "unbounded".into(),
                format!("has(variables.spec.volumes) ? variables.spec.volumes.filter(v, {UNBOUNDED}) : []"),
            ));
            let validation = Validation {
                expression: "variables.csiDriverPod || size(variables.unbounded) == 0".into(),
                message_expression: message(
                    RULE,
                    "'volume ' + variables.unbounded[0].name + ' of ' + variables.workload + ' is a memory-backed emptyDir without sizeLimit: its files count against container memory and can grow until the container is OOM-killed or the node runs out of memory; set sizeLimit'",
                ),
            };
            Policy::new(RULE, family.resources(), validation).variant(family.suffix()).variables(variables)
        })
        .collect()
}
