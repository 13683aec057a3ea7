//! Judgements on live cluster state shared by the KS9xx rules and `kstor audit`: grace
//! periods, ages, orphaned capacity and node-affinity matching.
//!
//! Everything here is pure: ages are computed against the injected clock of
//! [`AuditFacts`](crate::context::AuditFacts), never the system clock.

use kstor_model::graph::{EventInfo, NodeInfo, PersistentVolumeInfo, StorageGraph};
use kstor_model::quantity::GIB;
use kstor_model::strmap::StrMap;

/// How long a claim may stay `Pending` before KS901 reports it (5 minutes): provisioning
/// a cloud disk takes seconds to a minute; longer means it is stuck.
pub const PENDING_GRACE_SECONDS: i64 = 5 * 60;

/// How long a VolumeAttachment may stay unattached before KS906 reports it (5 minutes).
pub const ATTACH_GRACE_SECONDS: i64 = 5 * 60;

/// How long a resize may stay in progress before KS907 reports it (10 minutes).
pub const RESIZE_GRACE_SECONDS: i64 = 10 * 60;

/// How long a VolumeSnapshot may stay not ready before KS908 reports it (10 minutes).
pub const SNAPSHOT_GRACE_SECONDS: i64 = 10 * 60;

/// The reclaim policy a PersistentVolume effectively has: what is written; when unset,
/// `Retain` for a static volume without a class (the API's default), else its class's
/// policy when the input has the class (`Delete` when the class sets none). `None` when
/// unknown (unset, and its class is not in the input).
pub fn reclaim_policy<'g>(graph: &'g StorageGraph, volume: &'g PersistentVolumeInfo) -> Option<&'g str> {
    if let Some(policy) = volume.reclaim_policy.as_deref() {
        return Some(policy);
    }
    match volume.storage_class.as_deref() {
        None | Some("") => Some("Retain"),
        Some(class) => graph.class_named(class).map(|c| c.reclaim_policy.as_deref().unwrap_or("Delete")),
    }
}

/// A `Released` volume kept by `Retain`: its claim is gone, it never binds again, and its
/// backing disk is still paid for.
pub fn is_orphaned(graph: &StorageGraph, volume: &PersistentVolumeInfo) -> bool {
    volume.phase.as_deref() == Some("Released") && reclaim_policy(graph, volume) == Some("Retain")
}

/// The number of orphaned volumes (`Released` with `Retain`, as KS902 reports them) and
/// the bytes they hold (volumes without a capacity count as 0). `kstor audit` shows the
/// same total in its header.
pub fn orphaned_volumes(graph: &StorageGraph) -> (usize, f64) {
    graph
        .volumes
        .iter()
        .filter(|v| is_orphaned(graph, v))
        .fold((0, 0.0), |(n, bytes), v| (n + 1, bytes + v.capacity.unwrap_or(0.0)))
}

/// The monthly cost of `bytes` at a price per GiB-month.
pub fn monthly_cost(bytes: f64, price_per_gib_month: f64) -> f64 {
    bytes / GIB * price_per_gib_month
}

/// Bytes as GiB with up to one decimal (`100 GiB`, `0.5 GiB`): the model's one formatter.
pub use kstor_model::quantity::format_gib as gib;

/// An event's or status message as a clause: trimmed, without its final period.
pub fn clause(message: &str) -> &str {
    message.trim().trim_end_matches('.')
}

/// What backs a volume: `ebs.csi.aws.com volume vol-0abc`, `its nfs volume`.
pub fn backing(volume: &PersistentVolumeInfo) -> String {
    match (&volume.driver, &volume.volume_handle) {
        (Some(driver), Some(handle)) => format!("{driver} volume {handle}"),
        (Some(driver), None) => format!("its {driver} volume"),
        _ => "its backing storage".into(),
    }
}

/// A money amount: `$12.34`.
pub fn dollars(amount: f64) -> String {
    format!("${amount:.2}")
}

/// A duration in its two largest units: `45s`, `12m`, `3h 5m`, `56d 12h`.
pub fn age_text(seconds: i64) -> String {
    let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Events about one object (`kind`, namespace, name), newest first.
pub fn events_for<'g>(
    graph: &'g StorageGraph,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Vec<&'g EventInfo> {
    let mut events: Vec<&EventInfo> = graph
        .events
        .iter()
        .filter(|e| {
            let (k, ns, n) = &e.involved;
            k == kind && n == name && (namespace.is_none() || ns.as_deref() == namespace)
        })
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    events
}

/// Whether one node-selector expression `(key, operator, values)` matches a node's labels,
/// with the semantics of `NodeSelectorRequirement` (`Gt`/`Lt` compare integers; an
/// unknown operator matches nothing).
pub fn expression_matches(labels: &StrMap, key: &str, operator: &str, values: &[String]) -> bool {
    value_matches(labels.get(key).map(String::as_str), operator, values)
}

/// [`expression_matches`] on the label's value (`None` when the node lacks the label).
fn value_matches(value: Option<&str>, operator: &str, values: &[String]) -> bool {
    let integer = |v: &str| v.parse::<i64>().ok();
    match operator {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(label), Some(bound)) =
                (value.and_then(integer), values.first().and_then(|v| integer(v)))
            else {
                return false;
            };
            if operator == "Gt" { label > bound } else { label < bound }
        }
        _ => false,
    }
}

/// Whether a node satisfies required node affinity: terms are ORed, the expressions of a
/// term ANDed; a term without expressions matches nothing (as in the scheduler), and no
/// terms at all means no constraint. The node's name also counts as its
/// `kubernetes.io/hostname` label when that label is missing.
pub fn node_matches(terms: &[Vec<(String, String, Vec<String>)>], node: &NodeInfo) -> bool {
    if terms.is_empty() {
        return true;
    }
    terms.iter().any(|term| {
        !term.is_empty()
            && term.iter().all(|(key, op, values)| value_matches(node_label(node, key), op, values))
    })
}

/// A node's label, with the node's name standing in for a missing `kubernetes.io/hostname`.
pub fn node_label<'n>(node: &'n NodeInfo, key: &str) -> Option<&'n str> {
    match node.labels.get(key) {
        Some(value) => Some(value.as_str()),
        None if key == HOSTNAME_LABEL => Some(node.name.as_str()),
        None => None,
    }
}

/// The well-known label with a node's hostname.
pub use kstor_model::api::HOSTNAME_LABEL;

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)]) -> NodeInfo {
        let mut map = StrMap::new();
        for (k, v) in labels {
            map.insert((*k).into(), (*v).into());
        }
        NodeInfo {
            object: kstor_model::ObjectId(0),
            name: name.into(),
            labels: map,
            ready: Some(true),
            unschedulable: false,
            zone: None,
        }
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> (String, String, Vec<String>) {
        (key.into(), op.into(), values.iter().map(|v| (*v).to_string()).collect())
    }

    #[test]
    fn affinity_terms_are_ored_and_expressions_anded() {
        let n = node("n1", &[("topology.kubernetes.io/zone", "eu-west-1a"), ("disk", "ssd")]);
        let zone_b = vec![expr("topology.kubernetes.io/zone", "In", &["eu-west-1b"])];
        let zone_a_hdd =
            vec![expr("topology.kubernetes.io/zone", "In", &["eu-west-1a"]), expr("disk", "In", &["hdd"])];
        assert!(!node_matches(&[zone_b.clone(), zone_a_hdd.clone()], &n));
        let zone_a = vec![expr("topology.kubernetes.io/zone", "In", &["eu-west-1a", "eu-west-1c"])];
        assert!(node_matches(&[zone_b, zone_a], &n));
        assert!(node_matches(&[], &n));
        assert!(!node_matches(&[vec![]], &n));
    }

    #[test]
    fn affinity_operators_follow_node_selector_semantics() {
        let n = node("n1", &[("zone", "a"), ("cores", "8")]);
        let labels = &n.labels;
        assert!(expression_matches(labels, "zone", "NotIn", &["b".into()]));
        assert!(expression_matches(labels, "missing", "NotIn", &["b".into()]));
        assert!(!expression_matches(labels, "zone", "NotIn", &["a".into()]));
        assert!(expression_matches(labels, "zone", "Exists", &[]));
        assert!(expression_matches(labels, "missing", "DoesNotExist", &[]));
        assert!(!expression_matches(labels, "zone", "DoesNotExist", &[]));
        assert!(expression_matches(labels, "cores", "Gt", &["4".into()]));
        assert!(!expression_matches(labels, "cores", "Lt", &["4".into()]));
        assert!(!expression_matches(labels, "zone", "Gt", &["4".into()]));
        assert!(!expression_matches(labels, "zone", "Bogus", &["a".into()]));
        // The node name stands in for a missing hostname label.
        let host = vec![vec![expr("kubernetes.io/hostname", "In", &["n1"])]];
        assert!(node_matches(&host, &n));
        let other = vec![vec![expr("kubernetes.io/hostname", "In", &["n2"])]];
        assert!(!node_matches(&other, &n));
    }

    #[test]
    fn ages_and_sizes_read_naturally() {
        assert_eq!(age_text(42), "42s");
        assert_eq!(age_text(12 * 60 + 5), "12m");
        assert_eq!(age_text(3 * 3600 + 5 * 60), "3h 5m");
        assert_eq!(age_text(56 * 86_400 + 12 * 3600 + 7), "56d 12h");
        assert_eq!(gib(100.0 * GIB), "100 GiB");
        assert_eq!(gib(0.5 * GIB), "0.5 GiB");
        assert!((monthly_cost(150.0 * GIB, 0.08) - 12.0).abs() < 1e-9);
        assert_eq!(dollars(12.0), "$12.00");
    }
}
