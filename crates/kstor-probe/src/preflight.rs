//! The preflight check: the class, its CSIDriver, the nodes its topology allows, its snapshot
//! class, the probe's permissions (SelfSubjectAccessReview per verb), and the static findings
//! of kstor's rules for the class, so that a later failure is explained by the rule that
//! predicts it.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, PersistentVolume};
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kstor_model::ClusterScope;
use kstor_model::graph::Timestamp;
use kstor_model::load::Location;
use kstor_rules::{AuditFacts, SnapshotApi};
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use serde_json::{Value, json};

use crate::cluster::{StepError, volume_snapshot_class_resource};
use crate::options::Check;
use crate::report::{CheckReport, StaticFinding, Status};
use crate::run::{Run, Summary};

/// The annotation marking a driver's default VolumeSnapshotClass.
const DEFAULT_SNAPSHOT_CLASS: &str = "snapshot.storage.kubernetes.io/is-default-class";

/// What the preflight learnt.
#[derive(Clone, Debug)]
pub struct Preflight {
    /// The class, when it exists.
    pub class: Option<Summary>,
    /// The check's report.
    pub report: CheckReport,
    /// kstor's findings on the class.
    pub findings: Vec<StaticFinding>,
    /// Whether the other checks can run (the class exists, the nodes and permissions allow).
    pub runnable: bool,
    /// The driver's snapshot class.
    pub snapshot_class: Option<String>,
    /// Why the snapshot check cannot run.
    pub snapshot_skip: Option<String>,
    /// The CSIDriver's `fsGroupPolicy` (`None` when there is no CSIDriver object).
    pub fs_group_policy: Option<String>,
}

/// The permissions a run needs and the preflight asks for: (verb, group, resource).
pub const NEEDED: [(&str, &str, &str); 16] = [
    ("create", "", "namespaces"),
    ("delete", "", "namespaces"),
    ("create", "", "persistentvolumeclaims"),
    ("get", "", "persistentvolumeclaims"),
    ("patch", "", "persistentvolumeclaims"),
    ("delete", "", "persistentvolumeclaims"),
    ("create", "", "pods"),
    ("get", "", "pods"),
    ("delete", "", "pods"),
    ("list", "", "events"),
    ("list", "", "nodes"),
    ("get", "", "persistentvolumes"),
    ("delete", "", "persistentvolumes"),
    ("list", "storage.k8s.io", "volumeattachments"),
    ("create", "snapshot.storage.k8s.io", "volumesnapshots"),
    ("delete", "snapshot.storage.k8s.io", "volumesnapshots"),
];

/// Runs the preflight of one class.
pub async fn run(run: &Run, name: &str) -> Result<Preflight, StepError> {
    let cluster = &run.cluster;
    let mut report = CheckReport::new(Check::Preflight, Status::Passed, "");
    let classes: Api<StorageClass> = cluster.all();
    let Some(class) = classes.get_opt(name).await? else {
        let names: Vec<String> =
            classes.list(&ListParams::default()).await?.items.iter().map(|c| c.name_any()).collect();
        report.status = Status::Failed;
        report.detail = Some(format!(
            "storage class {name} does not exist (the cluster has: {})",
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        ));
        return Ok(Preflight {
            class: None,
            report,
            findings: Vec::new(),
            runnable: false,
            snapshot_class: None,
            snapshot_skip: None,
            fs_group_policy: None,
        });
    };
    let summary = Summary::from(&class);
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let mut runnable = true;

    // The driver is installed: its CSIDriver object (Quick Start step 1).
    let drivers: Api<CSIDriver> = cluster.all();
    let all_drivers = drivers.list(&ListParams::default()).await?.items;
    if summary.provisioner.starts_with("kubernetes.io/") {
        notes.push(format!("in-tree provisioner {}", summary.provisioner));
    } else if all_drivers.iter().any(|d| d.name_any() == summary.provisioner) {
        notes.push(format!("CSIDriver {} installed", summary.provisioner));
    } else {
        problems.push(format!(
            "no CSIDriver object named {}: the driver is not installed or not registered",
            summary.provisioner
        ));
    }

    // The nodes the class's topology allows.
    let nodes = cluster.all::<Node>().list(&ListParams::default()).await?.items;
    let allowed: Vec<&Node> = nodes
        .iter()
        .filter(|n| !n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false))
        .filter(|n| class_allows(&class, n))
        .collect();
    notes.push(format!("{} of {} nodes schedulable within the class's topology", allowed.len(), nodes.len()));
    if allowed.is_empty() {
        problems.push("no schedulable node is within the class's allowedTopologies".into());
        runnable = false;
    }

    // The driver's snapshot class.
    let snapshot_classes: Api<DynamicObject> =
        Api::all_with(cluster.client.clone(), &volume_snapshot_class_resource());
    let (snapshot_class, snapshot_skip, snapshot_objects, snapshot_api) = match snapshot_classes
        .list(&ListParams::default())
        .await
    {
        Ok(list) => {
            let of_driver: Vec<&DynamicObject> = list
                .items
                .iter()
                .filter(|c| c.data["driver"].as_str() == Some(summary.provisioner.as_str()))
                .collect();
            let default = of_driver
                .iter()
                .find(|c| c.annotations().get(DEFAULT_SNAPSHOT_CLASS).map(String::as_str) == Some("true"));
            let chosen = default.or(of_driver.first()).map(|c| c.name_any());
            let skip = chosen
                .is_none()
                .then(|| format!("no VolumeSnapshotClass has driver {}", summary.provisioner));
            match &chosen {
                Some(c) => notes.push(format!("snapshot class {c}")),
                None => notes.push(format!("no snapshot class for {}", summary.provisioner)),
            }
            let objects: Vec<Value> = list
                .items
                .iter()
                .map(|c| typed(c, "snapshot.storage.k8s.io/v1", "VolumeSnapshotClass"))
                .collect();
            (chosen, skip, objects, SnapshotApi::Served)
        }
        Err(kube::Error::Api(e)) if e.code == 404 => {
            notes.push("the snapshot API (snapshot.storage.k8s.io/v1) is not served".into());
            (None, Some("the snapshot API (snapshot.storage.k8s.io/v1) is not served: the snapshot CRDs and controller are not installed".into()), Vec::new(), SnapshotApi::Missing)
        }
        Err(e) => return Err(e.into()),
    };

    // Permissions.
    let mut denied = Vec::new();
    let reviews: Api<SelfSubjectAccessReview> = Api::all(cluster.client.clone());
    // `--chaos cordon` also patches the writer's node.
    let chaos = run.chaos_cordon.then_some(("patch", "", "nodes"));
    for (verb, group, resource) in NEEDED.into_iter().chain(chaos) {
        if group == "snapshot.storage.k8s.io" && !run.checks.contains(&Check::Snapshot) {
            continue;
        }
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(resource.into()),
                    namespace: (resource != "namespaces"
                        && resource != "nodes"
                        && resource != "persistentvolumes"
                        && resource != "volumeattachments")
                        .then(|| cluster.namespace.clone()),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let answer = reviews.create(&PostParams::default(), &review).await?;
        if !answer.status.is_some_and(|s| s.allowed) {
            let group = if group.is_empty() { String::new() } else { format!(".{group}") };
            denied.push(format!("{verb} {resource}{group}"));
        }
    }
    if !denied.is_empty() {
        return Err(StepError::Forbidden(denied.join(", ")));
    }

    // kstor's rules on the class, as `kstor audit` would report them.
    // Every class: rules read the others (defaults, a snapshot class per driver).
    let all_classes = classes.list(&ListParams::default()).await?.items;
    let mut items: Vec<Value> =
        all_classes.iter().map(|c| typed(c, "storage.k8s.io/v1", "StorageClass")).collect();
    items.extend(all_drivers.iter().map(|d| typed(d, "storage.k8s.io/v1", "CSIDriver")));
    items.extend(nodes.iter().map(|n| typed(n, "v1", "Node")));
    items.extend(snapshot_objects);
    let findings = static_findings(run, name, items, snapshot_api);

    if !problems.is_empty() {
        report.status = Status::Failed;
        report.detail = Some(problems.join("; "));
    } else {
        report.detail = Some(notes.join("; "));
    }
    report.rules = findings.iter().map(|f| f.rule.clone()).collect();
    let fs_group_policy = all_drivers
        .iter()
        .find(|d| d.name_any() == summary.provisioner)
        .map(|d| d.spec.fs_group_policy.clone().unwrap_or_else(|| "ReadWriteOnceWithFSType".to_string()));
    Ok(Preflight {
        class: Some(summary),
        report,
        findings,
        runnable,
        snapshot_class,
        snapshot_skip,
        fs_group_policy,
    })
}

/// An API object as JSON with its apiVersion and kind (list items may lack them).
fn typed<T: serde::Serialize>(object: &T, api_version: &str, kind: &str) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert("apiVersion".into(), json!(api_version));
        map.insert("kind".into(), json!(kind));
    }
    value
}

/// The findings of kstor's rules located on the class.
fn static_findings(
    run: &Run,
    class: &str,
    items: Vec<Value>,
    snapshot_api: SnapshotApi,
) -> Vec<StaticFinding> {
    let document = json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string();
    let facts =
        AuditFacts { now: Timestamp::now(), price_per_gib_month: None, snapshot_api, forbidden: Vec::new() };
    let scope = ClusterScope { namespaces: Vec::new() };
    let Ok(audited) =
        run.engine.audit(vec![("cluster".into(), document)], &scope, facts, &mut Default::default())
    else {
        return Vec::new();
    };
    audited
        .result
        .findings
        .iter()
        .filter(|r| match &r.finding.location {
            Location::Field { object, .. } => {
                let reference = &audited.graph.object(*object).reference;
                reference.kind == "StorageClass" && reference.name == class
            }
            _ => false,
        })
        .map(|r| StaticFinding {
            rule: r.finding.rule.code.to_string(),
            severity: r.finding.severity.to_string(),
            message: r.finding.message.clone(),
        })
        .collect()
}

/// Whether a node is within the class's allowedTopologies (none: every node).
fn class_allows(class: &StorageClass, node: &Node) -> bool {
    let Some(terms) = class.allowed_topologies.as_ref().filter(|t| !t.is_empty()) else { return true };
    let labels = node.labels();
    terms.iter().any(|term| {
        term.match_label_expressions
            .iter()
            .flatten()
            .all(|e| labels.get(&e.key).is_some_and(|v| e.values.contains(v)))
    })
}

/// Whether a PV's node affinity lets a node mount it.
pub fn volume_allows(volume: &PersistentVolume, node: &Node) -> bool {
    let Some(terms) = volume
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref())
        .map(|r| &r.node_selector_terms)
    else {
        return true;
    };
    let labels = node.labels();
    let name = node.name_any();
    terms.iter().any(|term| {
        term.match_expressions
            .iter()
            .flatten()
            .all(|e| requirement_holds(e, labels.get(&e.key).map(String::as_str)))
            && term
                .match_fields
                .iter()
                .flatten()
                .all(|e| e.key != "metadata.name" || requirement_holds(e, Some(&name)))
    })
}

fn requirement_holds(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        _ => true,
    }
}

/// Whether a PV can only be mounted on one node (local volumes, node-pinned CSI volumes).
pub fn pinned_to_one_node(volume: &PersistentVolume) -> bool {
    let terms = volume.spec.as_ref().and_then(|s| s.node_affinity.as_ref()).and_then(|a| a.required.as_ref());
    terms.is_some_and(|r| {
        r.node_selector_terms.iter().all(|t| {
            t.match_expressions.iter().flatten().any(|e| {
                e.key == "kubernetes.io/hostname"
                    && e.operator == "In"
                    && e.values.as_ref().is_some_and(|v| v.len() == 1)
            }) || t.match_fields.iter().flatten().any(|e| e.key == "metadata.name" && e.operator == "In")
        })
    })
}
