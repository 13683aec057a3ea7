//! Judging one admitted object: the engine gathers the cached objects it refers to and that refer
//! to it ([`Engine::admit`]), the same graph and rules as `kstor lint` run over them, and the
//! findings located on the object become a decision under the policy.

use std::sync::Arc;

use kstor_engine::{Action, ClusterView, Engine, Policy};
use kstor_model::Location;
use kstor_model::object::{Object, ObjectId, Origin};
use kstor_model::yaml::{SharedText, tree_from_json_slice};
use kstor_rules::Finding;

use crate::review::Verdict;

/// Kinds the webhook judges besides operator resources; anything else is allowed untouched.
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

fn field(finding: &Finding) -> String {
    match &finding.location {
        Location::Field { object, path } if object.0 == 0 => {
            let text = path.to_string();
            if text.is_empty() { "the object".to_string() } else { text }
        }
        _ => "a related object".to_string(),
    }
}

/// Whether the webhook judges objects of this kind: the kinds kstor models, and the custom
/// resources of the operators in its catalog.
pub fn is_judged(engine: &Engine, api_version: &str, kind: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    JUDGED_KINDS.contains(&kind) || engine.catalog().operators.get(group, kind).is_some()
}

/// Judges an admitted object against the cluster view, as `kstor lint` would judge it in a
/// bundle holding the view's objects.
pub fn judge(engine: &Engine, policy: &Policy, incoming: Object, view: &dyn ClusterView) -> Judgement {
    let subject = format!(
        "{} {}{}",
        incoming.reference.kind,
        incoming.reference.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default(),
        incoming.reference.name
    );
    let admission = engine.admit(incoming, view);
    let result = admission.result;
    let mut judgement =
        Judgement { verdict: Verdict { allowed: true, ..Verdict::default() }, counted: Vec::new() };
    let mut denials = Vec::new();
    for reported in &result.findings {
        let finding = &reported.finding;
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
