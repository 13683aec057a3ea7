//! KS602 memory-emptydir-exceeds-memory-limit: a tmpfs emptyDir larger than the pod's total
//! memory limit, or in a pod without memory limits.

use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::memory_emptydir_exceeds_memory_limit::MemoryEmptydirExceedsMemoryLimit;

use super::message;
use crate::vap::cel::{PodFamily, pod_variables};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &MemoryEmptydirExceedsMemoryLimit::META;

pub fn policies(_: &Catalog) -> Vec<Policy> {
    PodFamily::ALL
        .into_iter()
        .map(|family| {
            let mut variables = pod_variables(family);
            variables.push((
                "memoryLimits".into(),
                "variables.spec.containers.filter(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits && isQuantity(string(c.resources.limits['memory']))).map(c, quantity(string(c.resources.limits['memory'])).asApproximateFloat())".into(),
            ));
            // kstor judges only when no container or every container sets a memory limit.
            variables.push((
                "oversized".into(),
                "has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.emptyDir) && has(v.emptyDir.medium) && v.emptyDir.medium == 'Memory' && has(v.emptyDir.sizeLimit) && isQuantity(string(v.emptyDir.sizeLimit)) && variables.containers.exists(c, has(c.volumeMounts) && c.volumeMounts.exists(m, m.name == v.name)) && (size(variables.memoryLimits) == 0 || (size(variables.memoryLimits) == size(variables.spec.containers) && quantity(string(v.emptyDir.sizeLimit)).asApproximateFloat() > variables.memoryLimits.sum()))) : []".into(),
            ));
            let validation = Validation {
                expression: "size(variables.oversized) == 0".into(),
                message_expression: message(
                    RULE,
                    "'volume ' + variables.oversized[0].name + ' of ' + variables.workload + ' is a memory-backed emptyDir with sizeLimit ' + string(variables.oversized[0].emptyDir.sizeLimit) + (size(variables.memoryLimits) == 0 ? ', and no container of the pod sets a memory limit: the tmpfs can hold it in node memory the pod never requested, and memory pressure on the node makes the kubelet evict pods' : ', more than the pod\\'s total memory limit: its files count against the memory limit of the container writing them, so the container is OOM-killed before the volume is full')",
                ),
            };
            Policy::new(RULE, family.resources(), validation).variant(family.suffix()).variables(variables)
        })
        .collect()
}
