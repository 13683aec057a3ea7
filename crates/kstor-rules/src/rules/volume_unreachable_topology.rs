use std::collections::{BTreeSet, HashMap};

use kstor_model::graph::{NodeInfo, PersistentVolumeInfo, StorageGraph};
use kstor_model::path::Path;

use super::common::{is_zone_key, join_names};
use crate::context::Context;
use crate::finding::Finding;
use crate::live::{HOSTNAME_LABEL, node_label, node_matches};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only, and only when the input contains Nodes. Flags a `Bound` or
    /// `Available` PersistentVolume whose required node affinity (`spec.nodeAffinity`: terms
    /// ORed, expressions ANDed, operators `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`)
    /// matches no node that is Ready and schedulable (not cordoned). The message names the
    /// zone or host the volume needs, the nodes that match but cannot take pods, and the zones
    /// that do have schedulable nodes. A node's name stands in for its
    /// `kubernetes.io/hostname` label when the label is missing.
    ///
    /// `Released` and `Failed` volumes are not judged (no pod will use them; KS902 and KS903
    /// report them).
    ///
    /// ## Why it matters
    /// A zonal disk or a local volume can only be used on nodes its affinity allows. When the
    /// last such node is removed (a node pool scaled to zero, a zone drained, a local disk's
    /// node replaced), every pod using the volume stays Pending with "node(s) had volume node
    /// affinity conflict", and a StatefulSet replica is down until a node returns.
    ///
    /// ## Example
    /// ```yaml
    /// # kstor audit: the us-east-1c node group was scaled to zero
    /// apiVersion: v1
    /// kind: Node
    /// metadata:
    ///   name: ip-10-0-1-10
    ///   labels: {topology.kubernetes.io/zone: us-east-1a, topology.ebs.csi.aws.com/zone: us-east-1a}
    /// status:
    ///   conditions: [{type: Ready, status: "True"}]
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolume
    /// metadata:
    ///   name: pvc-3b9e
    /// spec:
    ///   capacity: {storage: 100Gi}
    ///   accessModes: [ReadWriteOnce]
    ///   claimRef: {namespace: db, name: data-pg-1}
    ///   csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0abc}
    ///   nodeAffinity:
    ///     required:
    ///       nodeSelectorTerms:
    ///         - matchExpressions:     # the disk lives in us-east-1c, where no Ready node remains
    ///             - {key: topology.ebs.csi.aws.com/zone, operator: In, values: [us-east-1c]}
    /// status: {phase: Bound}
    /// ```
    ///
    /// ## Fix
    /// Bring a schedulable node back where the volume lives (scale the zone's node group up,
    /// uncordon the node). To move the data, snapshot the volume and restore it in a zone that
    /// has nodes; a local volume whose node is gone is lost: restore from a backup.
    ///
    /// **Automatic fix:** none: a live-state finding; the node the volume needs must come back,
    /// or the data must move.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Node Affinity":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#node-affinity>
    /// - Kubernetes docs, Running in multiple zones, "Storage access for zones":
    ///   <https://kubernetes.io/docs/setup/best-practices/multiple-zones/#storage-access-for-zones>
    pub struct VolumeUnreachableTopology {
        code: "KS905",
        name: "volume-unreachable-topology",
        group: LiveState,
        severity: Error,
        summary: "a volume's node affinity matches no Ready, schedulable node",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for VolumeUnreachableTopology {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if ctx.graph.nodes.is_empty() {
            return;
        }
        let graph = ctx.graph;
        let schedulable_zones: BTreeSet<&str> =
            graph.nodes.iter().filter(|n| n.schedulable()).filter_map(|n| n.zone.as_deref()).collect();
        let mut index = NodeIndex::new(graph);
        for volume in &graph.volumes {
            if volume.node_affinity.is_empty()
                || matches!(volume.phase.as_deref(), Some("Released" | "Failed"))
            {
                continue;
            }
            let Some(matching) = index.unreachable(&volume.node_affinity) else {
                continue;
            };
            let needs = requirement(volume);
            let blocked = if matching.is_empty() {
                "no node matches it".to_string()
            } else {
                let names: Vec<String> = matching
                    .iter()
                    .take(3)
                    .map(|n| {
                        let state = if n.ready != Some(true) { "NotReady" } else { "cordoned" };
                        format!("{} ({state})", n.name)
                    })
                    .collect();
                format!("only {} match{}", join_names(&names), if names.len() == 1 { "es" } else { "" })
            };
            let zones: Vec<&str> = schedulable_zones.iter().copied().collect();
            let elsewhere = if zones.is_empty() {
                String::new()
            } else {
                format!("; schedulable nodes are in {}", join_names(&zones))
            };
            let impact = match (&volume.claim_ref, volume.phase.as_deref()) {
                (Some((ns, name)), Some("Bound") | None) => {
                    format!("pods using claim {ns}/{name} cannot start")
                }
                _ => "no pod can use it".to_string(),
            };
            let message = format!(
                "persistent volume {} needs {needs}, but {blocked}{elsewhere}: {impact} (\"volume node affinity conflict\")",
                volume.name
            );
            let mut finding =
                Finding::at(&Self::META, volume.object, Path::root().key("spec").key("nodeAffinity"), message).help(
                    "bring back a schedulable node where the volume lives (scale up the node group, uncordon), or restore the data from a snapshot in a zone with nodes",
                );
            for node in matching.iter().take(3) {
                let (path, what) = if node.ready != Some(true) {
                    (Path::root().key("status").key("conditions"), "not Ready")
                } else {
                    (Path::root().key("spec").key("unschedulable"), "cordoned")
                };
                finding =
                    finding.related(node.object, path, format!("node {} matches but is {what}", node.name));
            }
            if let Some((ns, name)) = &volume.claim_ref
                && let Some(claim) = graph.claim_named(ns, name)
            {
                finding = finding.related(
                    graph.claim(claim).object,
                    Path::root().key("spec").key("volumeName"),
                    format!("claim {ns}/{name}"),
                );
            }
            out.push(finding);
        }
    }
}

type Affinity = Vec<Vec<(String, String, Vec<String>)>>;

/// Answers "which nodes match this affinity" for thousands of volumes: most volumes share
/// a handful of zone affinities (answered once each), and a `kubernetes.io/hostname In …`
/// term (local volumes) only needs the named nodes.
struct NodeIndex<'g> {
    nodes: &'g [NodeInfo],
    by_hostname: HashMap<&'g str, Vec<usize>>,
    answers: HashMap<&'g Affinity, Option<Vec<&'g NodeInfo>>>,
}

impl<'g> NodeIndex<'g> {
    fn new(graph: &'g StorageGraph) -> Self {
        let mut by_hostname: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            if let Some(hostname) = node_label(node, HOSTNAME_LABEL) {
                by_hostname.entry(hostname).or_default().push(i);
            }
        }
        NodeIndex { nodes: &graph.nodes, by_hostname, answers: HashMap::new() }
    }

    /// `None` when a schedulable node matches; else the (unschedulable) nodes that match.
    fn unreachable(&mut self, affinity: &'g Affinity) -> Option<Vec<&'g NodeInfo>> {
        if let Some(answer) = self.answers.get(affinity) {
            return answer.clone();
        }
        let candidates: Vec<&'g NodeInfo> = match self.hostname_candidates(affinity) {
            Some(indices) => indices.into_iter().map(|i| &self.nodes[i]).collect(),
            None => self.nodes.iter().collect(),
        };
        let matching: Vec<&'g NodeInfo> =
            candidates.into_iter().filter(|n| node_matches(affinity, n)).collect();
        let answer = if matching.iter().any(|n| n.schedulable()) { None } else { Some(matching) };
        self.answers.insert(affinity, answer.clone());
        answer
    }

    /// The nodes a hostname-pinned affinity can match: when every term requires
    /// `kubernetes.io/hostname In …`, only the nodes with those hostnames.
    fn hostname_candidates(&self, affinity: &Affinity) -> Option<Vec<usize>> {
        let mut indices = Vec::new();
        for term in affinity {
            let (_, _, hosts) = term.iter().find(|(key, op, _)| key == HOSTNAME_LABEL && op == "In")?;
            for host in hosts {
                indices.extend(self.by_hostname.get(host.as_str()).into_iter().flatten());
            }
        }
        indices.sort_unstable();
        indices.dedup();
        Some(indices)
    }
}

/// `zone us-east-1c`, `host worker-3`, or the expressions as written.
fn requirement(volume: &PersistentVolumeInfo) -> String {
    let mut zones = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut other = Vec::new();
    for term in &volume.node_affinity {
        for (key, op, values) in term {
            if op == "In" && is_zone_key(key) {
                zones.extend(values.iter().map(String::as_str));
            } else if op == "In" && key == HOSTNAME_LABEL {
                hosts.extend(values.iter().map(String::as_str));
            } else {
                other.push(format!("{key} {op} {}", values.join(",")).trim().to_string());
            }
        }
    }
    let mut parts = Vec::new();
    let list = |set: BTreeSet<&str>| set.into_iter().collect::<Vec<_>>().join(" or ");
    if !zones.is_empty() {
        parts.push(format!("zone {}", list(zones)));
    }
    if !hosts.is_empty() {
        parts.push(format!("node {}", list(hosts)));
    }
    if !other.is_empty() {
        parts.push(format!("nodes with {}", other.join(", ")));
    }
    if parts.is_empty() { "nodes matching its affinity".into() } else { parts.join(" and ") }
}
