//! Judging one admitted object: the object plus the cached objects it can touch become a small
//! workspace, the same graph and rules as `kstor lint` run over it, and the findings on the
//! object (or that name it) become a decision under the policy.

use std::sync::Arc;

use kstor_model::catalog::Catalog;
use kstor_model::object::{Object, ObjectId, Origin};
use kstor_model::yaml::{Node, SharedText, tree_from_json_slice};
use kstor_model::{Location, Workspace};
use kstor_rules::{Finding, Settings};

use crate::cache::{Cached, Stores};
use crate::policy::{Action, Policy};
use crate::review::Verdict;

/// Kinds the webhook judges; anything else is allowed untouched.
pub const JUDGED_KINDS: [&str; 13] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "VolumeSnapshotClass",
    "VolumeSnapshot",
    "CSIDriver",
];

/// Cluster-scoped kinds every judgement sees whole: few, and needed by cross-object rules
/// (a snapshot class per driver, CSIDriver fsGroup policies).
const CONTEXT_KINDS: [&str; 2] = ["VolumeSnapshotClass", "CSIDriver"];

/// One finding that decided something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    /// Rule code.
    pub code: &'static str,
    /// What it did.
    pub action: Action,
}

/// The outcome of judging an object.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// The response.
    pub verdict: Verdict,
    /// Findings that denied or warned.
    pub counted: Vec<Counted>,
}

/// Parses the admitted object (a slice of the request body) into a model object.
pub fn incoming_object(
    body: &SharedText,
    raw: &str,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Result<Object, String> {
    let (tree, root) = tree_from_json_slice(body, raw, &[("apiVersion", api_version), ("kind", kind)])
        .map_err(|e| format!("request.object: {e}"))?;
    let mut object =
        Object::new(ObjectId(0), Origin { source: None, document: 0, item: None }, Arc::new(tree), root);
    if object.reference.namespace.is_none() {
        object.reference.namespace = namespace.filter(|n| !n.is_empty()).map(str::to_string);
    }
    Ok(object)
}

/// The pod spec of a pod or workload object.
fn pod_spec<'t>(root: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let spec = root.get("spec")?;
    match kind {
        "Pod" => Some(spec),
        "CronJob" => spec.get("jobTemplate")?.get("spec")?.get("template")?.get("spec"),
        _ => spec.get("template")?.get("spec"),
    }
}

fn str_at<'t>(node: Option<Node<'t>>, path: &[&str]) -> Option<&'t str> {
    let mut node = node?;
    for key in path {
        node = node.get(key)?;
    }
    node.as_str()
}

/// The cached objects an admitted object can touch: the snapshot classes and CSIDrivers, the
/// claims it mounts (with their volumes and data sources), and the StorageClasses its claims
/// name plus the default ones (for claims without a class, and for "more than one default").
/// The admitted version of an object replaces the cached one (an UPDATE).
pub fn related(stores: &Stores, incoming: &Object) -> Vec<Arc<Cached>> {
    let mut out: Vec<Arc<Cached>> = Vec::new();
    let same = |c: &Cached| {
        c.reference.kind == incoming.reference.kind
            && c.reference.name == incoming.reference.name
            && c.reference.namespace == incoming.reference.namespace
    };
    for kind in CONTEXT_KINDS {
        if let Some(store) = stores.kind(kind) {
            out.extend(store.all().filter(|c| !same(c)).cloned());
        }
    }
    let namespace = incoming.reference.namespace.as_deref();
    let root = incoming.root();
    let mut classes: Vec<String> = Vec::new();
    let claim = |name: &str, out: &mut Vec<Arc<Cached>>, classes: &mut Vec<String>| {
        let Some(pvc) = stores.kind("PersistentVolumeClaim").and_then(|s| s.get(namespace, name)) else {
            return;
        };
        out.push(Arc::clone(pvc));
        classes.extend(str_at(pvc.node().get("spec"), &["storageClassName"]).map(str::to_string));
        claim_neighbours(stores, pvc, out);
    };
    let spec = root.get("spec");
    match incoming.reference.kind.as_str() {
        "PersistentVolumeClaim" => {
            classes.extend(str_at(spec, &["storageClassName"]).map(str::to_string));
            let shadow = Cached {
                reference: incoming.reference.clone(),
                tree: Arc::clone(&incoming.tree),
                root: incoming.root_index,
                default_class: false,
            };
            claim_neighbours(stores, &shadow, &mut out);
        }
        "PersistentVolume" => {
            classes.extend(str_at(spec, &["storageClassName"]).map(str::to_string));
            if let (Some(ns), Some(name)) =
                (str_at(spec, &["claimRef", "namespace"]), str_at(spec, &["claimRef", "name"]))
                && let Some(pvc) = stores.kind("PersistentVolumeClaim").and_then(|s| s.get(Some(ns), name))
            {
                out.push(Arc::clone(pvc));
            }
        }
        "VolumeSnapshot" => {
            if let Some(name) = str_at(spec, &["source", "persistentVolumeClaimName"]) {
                claim(name, &mut out, &mut classes);
            }
        }
        "StorageClass" | "VolumeSnapshotClass" | "CSIDriver" => {}
        kind => {
            let templates = spec.and_then(|s| s.get("volumeClaimTemplates")).and_then(|t| t.as_seq());
            for template in templates.iter().flat_map(|t| t.iter()) {
                classes.extend(str_at(Some(template), &["spec", "storageClassName"]).map(str::to_string));
            }
            if let Some(volumes) =
                pod_spec(root, kind).and_then(|s| s.get("volumes")).and_then(|v| v.as_seq())
            {
                for volume in volumes.iter() {
                    if let Some(name) = str_at(Some(volume), &["persistentVolumeClaim", "claimName"]) {
                        claim(name, &mut out, &mut classes);
                    }
                    let ephemeral = ["ephemeral", "volumeClaimTemplate", "spec", "storageClassName"];
                    classes.extend(str_at(Some(volume), &ephemeral).map(str::to_string));
                }
            }
        }
    }
    if let Some(store) = stores.kind("StorageClass") {
        let wanted = |c: &Cached| c.default_class || classes.contains(&c.reference.name);
        // A handful of classes at most: the claims' own and the defaults.
        out.extend(store.all().filter(|c| wanted(c) && !same(c)).cloned());
    }
    out
}

/// A claim's volume and the snapshot or claim it is restored or cloned from.
fn claim_neighbours(stores: &Stores, pvc: &Cached, out: &mut Vec<Arc<Cached>>) {
    let spec = pvc.node().get("spec");
    if let Some(volume) =
        str_at(spec, &["volumeName"]).and_then(|v| stores.kind("PersistentVolume")?.get(None, v))
    {
        out.push(Arc::clone(volume));
    }
    let namespace = pvc.reference.namespace.as_deref();
    let source = spec.and_then(|s| s.get("dataSourceRef").or_else(|| s.get("dataSource")));
    if let (Some(kind), Some(name)) = (str_at(source, &["kind"]), str_at(source, &["name"])) {
        let found = match kind {
            "VolumeSnapshot" => stores.kind("VolumeSnapshot").and_then(|s| s.get(namespace, name)),
            "PersistentVolumeClaim" => {
                stores.kind("PersistentVolumeClaim").and_then(|s| s.get(namespace, name))
            }
            _ => None,
        };
        if let Some(found) = found
            && !out.iter().any(|c| Arc::ptr_eq(c, found))
        {
            out.push(Arc::clone(found));
        }
    }
}

/// Whether a finding is about the admitted object (object 0): at it, or naming it.
fn concerns_incoming(finding: &Finding) -> bool {
    let at = |l: &Location| matches!(l, Location::Field { object, .. } if object.0 == 0);
    at(&finding.location) || finding.related.iter().any(|r| at(&r.location))
}

fn field(finding: &Finding) -> String {
    match &finding.location {
        Location::Field { object, path } if object.0 == 0 => {
            let text = path.to_string();
            if text.is_empty() { "the object".to_string() } else { text }
        }
        _ => "a related object".to_string(),
    }
}

/// Judges an admitted object against the related cached objects.
pub fn judge(
    catalog: &Arc<Catalog>,
    settings: &Settings,
    policy: &Policy,
    incoming: Object,
    related: &[Arc<Cached>],
) -> Judgement {
    let subject = format!(
        "{} {}{}",
        incoming.reference.kind,
        incoming.reference.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default(),
        incoming.reference.name
    );
    let mut workspace = Workspace::default();
    workspace.objects.reserve(related.len() + 1);
    workspace.objects.push(incoming);
    for (i, cached) in related.iter().enumerate() {
        workspace.objects.push(cached.to_object(i as u32 + 1));
    }
    let graph = kstor_model::graph::build(workspace, Arc::clone(catalog));
    let result = kstor_rules::lint(&graph, settings);
    let mut judgement =
        Judgement { verdict: Verdict { allowed: true, ..Verdict::default() }, counted: Vec::new() };
    let mut denials = Vec::new();
    for reported in &result.findings {
        let finding = &reported.finding;
        if !concerns_incoming(finding) {
            continue;
        }
        let action = policy.action(finding.rule.code, finding.severity);
        let fix = finding
            .help
            .as_deref()
            .map(|h| format!(" Fix: {}.", h.trim_end_matches('.')))
            .unwrap_or_default();
        let line = format!(
            "{} {} at {}: {}.{fix}",
            finding.rule.code,
            finding.rule.name,
            field(finding),
            finding.message
        );
        match action {
            Action::Ignore => continue,
            Action::Warn => judgement.verdict.warnings.push(format!("kstor: {line}")),
            Action::Deny => denials.push(line),
        }
        judgement.counted.push(Counted { code: finding.rule.code, action });
    }
    if !denials.is_empty() {
        judgement.verdict.allowed = false;
        judgement.verdict.message =
            Some(format!("kstor denied {subject}: {} (kstor explain <code> for details)", denials.join(" ")));
    }
    judgement
}
