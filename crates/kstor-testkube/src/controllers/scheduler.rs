//! The scheduler: binds pending pods to nodes through the default profile's filters that
//! matter for storage (NodeUnschedulable, TaintToleration, NodeAffinity, VolumeRestrictions,
//! VolumeBinding, InterPodAffinity), selects nodes for WaitForFirstConsumer claims, and reports
//! FailedScheduling with the upstream wording.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::pv::SELECTED_NODE;
use super::{claims_of, is_terminal, name, namespace, selector_matches, uid};
use crate::state::State;

const SCHEDULER: &str = "default-scheduler";
const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
const RWOP_CONFLICT: &str =
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";
const UNSCHEDULABLE: &str = "node(s) were unschedulable";
const NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
const VOLUME_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
const BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
const ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
const EXISTING_ANTI_AFFINITY: &str = "node(s) didn't satisfy existing pods anti-affinity rules";
const POD_AFFINITY: &str = "node(s) didn't match pod affinity rules";

/// Why a pod fits nowhere: a PreFilter message for all nodes, or one reason per node.
enum Unfit {
    PreFilter { message: String, resolvable: bool },
    Nodes(Vec<(String, bool)>),
}

/// The storage-relevant view of a pod's claims.
struct Claims {
    /// Bound claims' volumes.
    volumes: Vec<Value>,
    /// Unbound WaitForFirstConsumer claims with their classes.
    delayed: Vec<(Value, Value)>,
    /// The node selected for one of the claims (the scheduler binds the pod there).
    selected: Option<String>,
}

pub(crate) fn reconcile(state: &mut State) {
    for pod in state.list("Pod", None) {
        let pending = pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty)
            && pod["metadata"]["deletionTimestamp"].is_null()
            && pod["spec"]["schedulerName"].as_str().is_none_or(|s| s == SCHEDULER)
            && !is_terminal(&pod);
        if !pending {
            continue;
        }
        let key = format!("schedule/{}", uid(&pod));
        if !state.due(&key, state.config.timing.step) {
            continue;
        }
        state.done(&key);
        schedule(state, pod);
    }
}

fn schedule(state: &mut State, pod: Value) {
    let nodes = state.list("Node", None);
    let outcome = claims(state, &pod).and_then(|claims| {
        let mut feasible = Vec::new();
        let mut reasons = Vec::new();
        for node in &nodes {
            match filter(state, &pod, &claims, node) {
                None => feasible.push(node.clone()),
                Some(reason) => reasons.push(reason),
            }
        }
        if feasible.is_empty() { Err(Unfit::Nodes(reasons)) } else { Ok((claims, feasible)) }
    });
    match outcome {
        Ok((claims, feasible)) => place(state, pod, claims, feasible),
        Err(unfit) => fail(state, pod, nodes.len(), unfit),
    }
}

/// PreFilter: the pod's claims exist, immediate ones are bound, RWOP ones are free.
fn claims(state: &State, pod: &Value) -> Result<Claims, Unfit> {
    let ns = namespace(pod);
    let mut out = Claims { volumes: Vec::new(), delayed: Vec::new(), selected: None };
    for (_, claim_name) in claims_of(pod) {
        let Some(claim) = state.get("PersistentVolumeClaim", ns, &claim_name) else {
            return Err(Unfit::PreFilter {
                message: format!("persistentvolumeclaim \"{claim_name}\" not found"),
                resolvable: false,
            });
        };
        if !claim["metadata"]["deletionTimestamp"].is_null() {
            return Err(Unfit::PreFilter {
                message: format!("persistentvolumeclaim \"{claim_name}\" is being deleted"),
                resolvable: false,
            });
        }
        let rwop = claim["spec"]["accessModes"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "ReadWriteOncePod"));
        if rwop {
            let taken = state.list("Pod", Some(ns)).iter().any(|other| {
                uid(other) != uid(pod)
                    && !is_terminal(other)
                    && other["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty())
                    && claims_of(other).iter().any(|(_, c)| *c == claim_name)
            });
            if taken {
                return Err(Unfit::PreFilter { message: RWOP_CONFLICT.into(), resolvable: true });
            }
        }
        if let Some(node) = claim["metadata"]["annotations"][SELECTED_NODE].as_str() {
            out.selected = Some(node.to_string());
        }
        if claim["status"]["phase"] == "Bound" {
            if let Some(pv) =
                claim["spec"]["volumeName"].as_str().and_then(|v| state.get("PersistentVolume", "", v))
            {
                out.volumes.push(pv);
            }
            continue;
        }
        let class = claim["spec"]["storageClassName"].as_str().and_then(|c| state.get("StorageClass", "", c));
        match class {
            Some(class) if class["volumeBindingMode"] == "WaitForFirstConsumer" => {
                out.delayed.push((claim, class))
            }
            _ => return Err(Unfit::PreFilter { message: UNBOUND_IMMEDIATE.into(), resolvable: false }),
        }
    }
    Ok(out)
}

/// The first failing filter on a node: (reason, whether preemption could not help).
fn filter(state: &State, pod: &Value, claims: &Claims, node: &Value) -> Option<(String, bool)> {
    let tolerations = pod["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
    let tolerated = |taint: &Value| {
        tolerations.iter().any(|t| {
            let key_ok = t["operator"] == "Exists" && t["key"].is_null() || t["key"] == taint["key"];
            let value_ok = t["operator"] == "Exists"
                || t["value"].as_str().unwrap_or_default() == taint["value"].as_str().unwrap_or_default();
            let effect_ok = t["effect"].is_null() || t["effect"] == taint["effect"];
            key_ok && value_ok && effect_ok
        })
    };
    if node["spec"]["unschedulable"] == true
        && !tolerated(&json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}))
    {
        return Some((UNSCHEDULABLE.into(), true));
    }
    let taints = node["spec"]["taints"].as_array().cloned().unwrap_or_default();
    if let Some(taint) = taints
        .iter()
        .find(|t| matches!(t["effect"].as_str(), Some("NoSchedule" | "NoExecute")) && !tolerated(t))
    {
        let reason = format!(
            "node(s) had untolerated taint {{{}: {}}}",
            taint["key"].as_str().unwrap_or_default(),
            taint["value"].as_str().unwrap_or_default()
        );
        return Some((reason, true));
    }
    let labels = &node["metadata"]["labels"];
    let selector_ok =
        pod["spec"]["nodeSelector"].as_object().is_none_or(|s| s.iter().all(|(k, v)| labels[k] == *v));
    let affinity = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
    if !selector_ok || (affinity.is_object() && !selector_matches(affinity, node)) {
        return Some((NODE_AFFINITY.into(), true));
    }
    if claims.volumes.iter().any(|pv| {
        pv["spec"]["nodeAffinity"]["required"].is_object()
            && !selector_matches(&pv["spec"]["nodeAffinity"]["required"], node)
    }) {
        return Some((VOLUME_NODE_CONFLICT.into(), true));
    }
    for (claim, class) in &claims.delayed {
        let allowed = class["allowedTopologies"].as_array().is_none_or(|terms| {
            terms.iter().any(|t| {
                t["matchLabelExpressions"].as_array().into_iter().flatten().all(|e| {
                    let values = e["values"].as_array().cloned().unwrap_or_default();
                    values.contains(&labels[e["key"].as_str().unwrap_or_default()])
                })
            })
        });
        let elsewhere =
            claim["metadata"]["annotations"][SELECTED_NODE].as_str().is_some_and(|n| n != name(node));
        if !allowed || elsewhere {
            return Some((BIND_CONFLICT.into(), true));
        }
    }
    inter_pod(state, pod, node)
}

/// Required pod anti-affinity (both ways) and affinity, per topology domain.
fn inter_pod(state: &State, pod: &Value, node: &Value) -> Option<(String, bool)> {
    let nodes: BTreeMap<String, Value> =
        state.list("Node", None).into_iter().map(|n| (name(&n).to_string(), n)).collect();
    let placed: Vec<(Value, Value)> = state
        .list("Pod", None)
        .into_iter()
        .filter(|p| uid(p) != uid(pod) && !is_terminal(p))
        .filter_map(|p| {
            let n = nodes.get(p["spec"]["nodeName"].as_str()?)?.clone();
            Some((p, n))
        })
        .collect();
    let same_domain = |a: &Value, b: &Value, key: &str| {
        let la = &a["metadata"]["labels"][key];
        !la.is_null() && *la == b["metadata"]["labels"][key]
    };
    let selects = |term: &Value, owner: &Value, target: &Value| {
        let namespaces: Vec<&str> =
            term["namespaces"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let ns_ok = if namespaces.is_empty() {
            namespace(target) == namespace(owner)
        } else {
            namespaces.contains(&namespace(target))
        };
        ns_ok && label_selector_matches(&term["labelSelector"], target)
    };
    let terms = |p: &Value, kind: &str| -> Vec<Value> {
        p["spec"]["affinity"][kind]["requiredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    for term in terms(pod, "podAntiAffinity") {
        let key = term["topologyKey"].as_str().unwrap_or_default();
        if placed.iter().any(|(p, n)| same_domain(n, node, key) && selects(&term, pod, p)) {
            return Some((ANTI_AFFINITY.into(), false));
        }
    }
    for (p, n) in &placed {
        for term in terms(p, "podAntiAffinity") {
            let key = term["topologyKey"].as_str().unwrap_or_default();
            if same_domain(n, node, key) && selects(&term, p, pod) {
                return Some((EXISTING_ANTI_AFFINITY.into(), false));
            }
        }
    }
    for term in terms(pod, "podAffinity") {
        let key = term["topologyKey"].as_str().unwrap_or_default();
        if !placed.iter().any(|(p, n)| same_domain(n, node, key) && selects(&term, pod, p)) {
            return Some((POD_AFFINITY.into(), true));
        }
    }
    None
}

/// A metav1.LabelSelector (matchLabels and matchExpressions) against an object's labels.
pub(crate) fn label_selector_matches(selector: &Value, object: &Value) -> bool {
    if !selector.is_object() {
        return false; // a nil selector selects nothing
    }
    let labels = &object["metadata"]["labels"];
    let labels_ok =
        selector["matchLabels"].as_object().is_none_or(|m| m.iter().all(|(k, v)| labels[k] == *v));
    let expressions_ok = selector["matchExpressions"].as_array().into_iter().flatten().all(|e| {
        let value = labels[e["key"].as_str().unwrap_or_default()].as_str();
        let values: Vec<&str> =
            e["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        match e["operator"].as_str().unwrap_or_default() {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => value.is_none_or(|v| !values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

/// Picks the node with the fewest pods; binds the pod, or first selects it for the pod's
/// WaitForFirstConsumer claims and waits for them to bind.
fn place(state: &mut State, mut pod: Value, claims: Claims, mut feasible: Vec<Value>) {
    let pods = state.list("Pod", None);
    let load =
        |n: &Value| pods.iter().filter(|p| p["spec"]["nodeName"] == name(n) && !is_terminal(p)).count();
    feasible.sort_by_key(|n| (claims.selected.as_deref() != Some(name(n)), load(n), name(n).to_string()));
    let node = name(&feasible[0]).to_string();
    if !claims.delayed.is_empty() {
        for (mut claim, _) in claims.delayed {
            if claim["metadata"]["annotations"][SELECTED_NODE].is_null() {
                claim["metadata"]["annotations"][SELECTED_NODE] = json!(node);
                state.put("PersistentVolumeClaim", claim);
            }
        }
        return; // PreBind: the pod is bound once the provisioner has bound its claims
    }
    pod["spec"]["nodeName"] = json!(node);
    let now = crate::time::now();
    pod["status"]["conditions"] =
        json!([{"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}]);
    let pod = state.put("Pod", pod);
    let message = format!("Successfully assigned {}/{} to {node}", namespace(&pod), name(&pod));
    state.event(&pod, false, "Scheduled", &message, SCHEDULER);
}

/// FailedScheduling with the FitError wording: reasons counted per node, sorted, then the
/// preemption post-filter's verdict.
fn fail(state: &mut State, mut pod: Value, total: usize, unfit: Unfit) {
    let (summary, preemption) = match unfit {
        Unfit::PreFilter { message, resolvable } => {
            let verdict = if resolvable {
                "No preemption victims found for incoming pod"
            } else {
                "Preemption is not helpful for scheduling"
            };
            (format!(" {message}."), format!("{total} {verdict}"))
        }
        Unfit::Nodes(reasons) => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            let (mut unhelpful, mut no_victims) = (0, 0);
            for (reason, unresolvable) in &reasons {
                *counts.entry(reason.as_str()).or_default() += 1;
                if *unresolvable { unhelpful += 1 } else { no_victims += 1 }
            }
            let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
            parts.sort();
            let mut verdicts = Vec::new();
            if no_victims > 0 {
                verdicts.push(format!("{no_victims} No preemption victims found for incoming pod"));
            }
            if unhelpful > 0 {
                verdicts.push(format!("{unhelpful} Preemption is not helpful for scheduling"));
            }
            verdicts.sort();
            (
                if parts.is_empty() { String::new() } else { format!(" {}.", parts.join(", ")) },
                verdicts.join(", "),
            )
        }
    };
    let message = if total == 0 {
        "no nodes available to schedule pods".to_string()
    } else {
        format!(
            "0/{total} nodes are available:{summary} preemption: 0/{total} nodes are available: {preemption}."
        )
    };
    let condition = json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                           "lastProbeTime": null, "lastTransitionTime": crate::time::now()});
    if pod["status"]["conditions"][0]["message"] != message {
        pod["status"]["conditions"] = json!([condition]);
        pod = state.put("Pod", pod);
    }
    state.event(&pod, true, "FailedScheduling", &message, SCHEDULER);
}
