//! The snapshot and backup schedules of the input, as `catalog/snapshot-schedules.yaml`
//! describes them: CronJobs that create VolumeSnapshots, snapscheduler `SnapshotSchedule`s,
//! Velero `Schedule`s, operator-native backup resources. Read on demand (only KS406 asks).

use crate::catalog::schedules::{Condition, Coverage, Scheduler};
use crate::graph::selector::{LabelSelector, labels, scalar_text};
use crate::graph::{Claim, ClaimId, ClaimOrigin, StorageGraph, Workload, WorkloadKind};
use crate::object::{Object, ObjectId};
use crate::strmap::StrMap;
use crate::yaml::{Node, Value};

/// Something in the input that takes snapshots or backups on a schedule.
#[derive(Clone, Debug)]
pub struct SnapshotSchedule {
    /// The object (a CronJob, a scheduler's resource, an operator resource).
    pub object: ObjectId,
    /// What it is, for messages (`CronJob`, `Velero Schedule`).
    pub tool: String,
    /// What it covers.
    pub scope: Scope,
}

/// What a schedule covers.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Claims of one namespace whose labels match.
    Claims {
        /// The namespace (effective).
        namespace: String,
        /// The claim selector (empty: every claim).
        selector: LabelSelector,
    },
    /// Every workload of these namespaces (`None`: all), except the excluded.
    Namespaces {
        /// Included namespaces, or every namespace.
        included: Option<Vec<String>>,
        /// Excluded namespaces.
        excluded: Vec<String>,
    },
    /// One operator resource.
    Resource {
        /// Its API groups.
        groups: Vec<String>,
        /// Its kind.
        kind: String,
        /// Its namespace (effective).
        namespace: String,
        /// Its name.
        name: String,
    },
    /// Operator resources of a kind whose labels match.
    ResourceSelector {
        /// Their API groups.
        groups: Vec<String>,
        /// Their kind.
        kind: String,
        /// The selector.
        selector: LabelSelector,
    },
    /// Every claim on a CSI driver.
    Driver(String),
}

impl StorageGraph {
    /// Every snapshot or backup schedule of the input.
    pub fn snapshot_schedules(&self) -> Vec<SnapshotSchedule> {
        let catalog = &self.catalog.schedules;
        let mut out = Vec::new();
        for workload in self.workloads.iter().filter(|w| w.kind == WorkloadKind::CronJob) {
            let words: Vec<&str> = workload
                .pod
                .containers
                .iter()
                .chain(&workload.pod.init_containers)
                .flat_map(|c| c.command.iter().map(AsRef::as_ref))
                .collect();
            if catalog.is_snapshot_command(&words) {
                out.push(SnapshotSchedule {
                    object: workload.object,
                    tool: "CronJob".into(),
                    scope: cronjob_scope(&workload.namespace, &words),
                });
            }
        }
        for object in &self.workspace.objects {
            let Some(scheduler) = catalog.get(object.reference.group(), &object.reference.kind) else {
                continue;
            };
            if let Some(scope) = scheduler_scope(object, scheduler) {
                out.push(SnapshotSchedule {
                    object: object.id,
                    tool: format!("{} {}", scheduler.name, scheduler.kind),
                    scope,
                });
            }
        }
        out
    }

    /// Whether a schedule covers one claim of a workload. Where the input leaves something
    /// open (a namespace set at deploy time, the labels an operator gives its claims), the
    /// schedule is taken to cover it.
    pub fn schedule_covers(&self, schedule: &SnapshotSchedule, workload: &Workload, claim: ClaimId) -> bool {
        let claim = self.claim(claim);
        let namespace_unset = |id: ObjectId| self.object(id).reference.namespace.is_none();
        let same_namespace = |namespace: &str| {
            claim.namespace.as_str() == namespace
                || namespace_unset(schedule.object)
                || namespace_unset(claim.object)
        };
        match &schedule.scope {
            Scope::Claims { namespace, selector } => {
                same_namespace(namespace)
                    && (selector.is_empty() || self.claim_labels(claim).is_none_or(|l| selector.matches(&l)))
            }
            Scope::Namespaces { included, excluded } => {
                let namespace = workload.namespace.as_str();
                let unset = namespace_unset(workload.object);
                !excluded.iter().any(|n| n == namespace)
                    && included.as_ref().is_none_or(|list| unset || list.iter().any(|n| n == namespace))
            }
            Scope::Resource { groups, kind, namespace, name } => {
                let object = self.object(workload.object);
                is_kind(object, groups, kind)
                    && object.reference.name == *name
                    && (object.effective_namespace() == namespace || namespace_unset(workload.object))
            }
            Scope::ResourceSelector { groups, kind, selector } => {
                let object = self.object(workload.object);
                is_kind(object, groups, kind) && selector.matches(&object_labels(object))
            }
            Scope::Driver(driver) => self.driver_of_claim(claim).is_some_and(|d| d.name == *driver),
        }
    }

    /// The labels a claim will carry, when the input says: a PersistentVolumeClaim's own; a
    /// StatefulSet claim's template labels plus the set's `selector.matchLabels` (the
    /// StatefulSet controller adds them); a generic ephemeral volume's template labels.
    /// `None` for claims an operator creates, whose labels the operator chooses.
    pub fn claim_labels(&self, claim: &Claim) -> Option<StrMap> {
        let root = self.object(claim.object).root();
        let template_labels =
            || claim.path.key("metadata").key("labels").node(root).map(labels).unwrap_or_default();
        match claim.origin {
            ClaimOrigin::Standalone => Some(object_labels(self.object(claim.object))),
            ClaimOrigin::Template { workload }
                if self.workload(workload).kind == WorkloadKind::StatefulSet =>
            {
                let mut out = template_labels();
                let selector =
                    root.get("spec").and_then(|s| s.get("selector")).and_then(|s| s.get("matchLabels"));
                for (key, value) in selector.map(labels).unwrap_or_default().iter() {
                    out.insert(key.clone(), value.clone());
                }
                Some(out)
            }
            ClaimOrigin::Template { .. } => None,
            ClaimOrigin::Ephemeral { .. } => Some(template_labels()),
        }
    }
}

fn is_kind(object: &Object, groups: &[String], kind: &str) -> bool {
    object.reference.kind == kind && groups.iter().any(|g| g == object.reference.group())
}

fn object_labels(object: &Object) -> StrMap {
    object.root().get("metadata").and_then(|m| m.get("labels")).map(labels).unwrap_or_default()
}

/// A snapshot CronJob's namespaces: its own, those its command names with `-n` /
/// `--namespace` (values from the environment, `$NS`, are left out), or every namespace
/// with `-A` / `--all-namespaces`.
fn cronjob_scope(own: &str, words: &[&str]) -> Scope {
    let tokens: Vec<&str> = words
        .iter()
        .flat_map(|w| w.split_whitespace())
        .map(|t| t.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    let mut included = vec![own.to_string()];
    for (i, token) in tokens.iter().enumerate() {
        let value = match *token {
            "-A" | "--all-namespaces" | "--all-namespaces=true" => {
                return Scope::Namespaces { included: None, excluded: Vec::new() };
            }
            "-n" | "--namespace" => tokens.get(i + 1).copied(),
            _ => token.strip_prefix("--namespace=").or_else(|| token.strip_prefix("-n=")),
        };
        if let Some(value) = value.filter(|v| !v.is_empty() && !v.starts_with('$') && !v.starts_with('-')) {
            included.push(value.to_string());
        }
    }
    Scope::Namespaces { included: Some(included), excluded: Vec::new() }
}

/// What a scheduler's resource covers, or `None` when it schedules nothing (switched off,
/// conditions unmet, no reference).
fn scheduler_scope(object: &Object, scheduler: &Scheduler) -> Option<Scope> {
    let root = object.root();
    if !scheduler.when.iter().all(|c| holds(root, c)) || scheduler.unless.iter().any(|c| holds(root, c)) {
        return None;
    }
    let field = || scheduler.field.as_deref().and_then(|f| nodes_at(root, f).into_iter().next());
    let selector = || field().map(LabelSelector::from_node).unwrap_or_default();
    let list = |path: Option<&str>| -> Vec<String> {
        path.map(|p| nodes_at(root, &format!("{p}[*]")).into_iter().filter_map(scalar_text).collect())
            .unwrap_or_default()
    };
    let namespace = object.effective_namespace().to_string();
    Some(match scheduler.covers {
        Coverage::ClaimSelector => Scope::Claims { namespace, selector: selector() },
        Coverage::Namespaces => {
            let included = list(scheduler.field.as_deref());
            let all = included.is_empty() || included.iter().any(|n| n == "*");
            Scope::Namespaces {
                included: (!all).then_some(included),
                excluded: list(scheduler.excluded.as_deref()),
            }
        }
        Coverage::Reference => {
            let target = scheduler.target.as_ref()?;
            let name = field().and_then(scalar_text)?;
            Scope::Resource { groups: target.groups.clone(), kind: target.kind.clone(), namespace, name }
        }
        Coverage::Itself => Scope::Resource {
            groups: scheduler.groups.clone(),
            kind: scheduler.kind.clone(),
            namespace,
            name: object.reference.name.clone(),
        },
        Coverage::ResourceSelector => {
            let target = scheduler.target.as_ref()?;
            Scope::ResourceSelector {
                groups: target.groups.clone(),
                kind: target.kind.clone(),
                selector: selector(),
            }
        }
        Coverage::Driver => Scope::Driver(scheduler.driver.clone()?),
    })
}

/// Whether a condition holds on the resource.
fn holds(root: Node<'_>, condition: &Condition) -> bool {
    nodes_at(root, &condition.field).into_iter().any(|node| {
        if condition.values.is_empty() {
            is_set(node)
        } else {
            scalar_text(node)
                .is_some_and(|text| condition.values.iter().any(|v| v.eq_ignore_ascii_case(text.trim())))
        }
    })
}

/// Set, and neither empty, null nor false.
fn is_set(node: Node<'_>) -> bool {
    match node.value() {
        Value::Null | Value::Bool(false) => false,
        Value::Str(s) => !s.trim().is_empty(),
        Value::Seq(s) => !s.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => true,
    }
}

/// The nodes at a dotted path in which `key[*]` stands for every item of the list at `key`.
fn nodes_at<'t>(root: Node<'t>, path: &str) -> Vec<Node<'t>> {
    let mut current = vec![root];
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, every) = match part.strip_suffix("[*]") {
            Some(key) => (key, true),
            None => (part, false),
        };
        current = current
            .into_iter()
            .filter_map(|node| node.get(key))
            .flat_map(|node| match (every, node.as_seq()) {
                (true, Some(items)) => items.iter().collect::<Vec<_>>(),
                (true, None) => Vec::new(),
                (false, _) => vec![node],
            })
            .collect();
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse_stream};

    #[test]
    fn paths_expand_list_items() {
        let stream = parse_stream(
            "spec:\n  backup:\n    schedule:\n      - {name: a, schedule: '0 0 * * *'}\n      - {name: b}\n",
            &Limits::default(),
        );
        let root = stream.root(0);
        assert_eq!(nodes_at(root, "spec.backup.schedule[*]").len(), 2);
        assert_eq!(nodes_at(root, "spec.backup.schedule[*].schedule").len(), 1);
        assert!(nodes_at(root, "spec.backup.tasks[*].schedule").is_empty());
        let set = Condition { field: "spec.backup.schedule[*].schedule".into(), values: vec![] };
        assert!(holds(root, &set));
        let named = Condition { field: "spec.backup.schedule[*].name".into(), values: vec!["B".into()] };
        assert!(holds(root, &named));
    }

    #[test]
    fn cronjob_namespaces_come_from_the_command() {
        let scope = |words: &[&str]| match cronjob_scope("ops", words) {
            Scope::Namespaces { included, .. } => included,
            _ => unreachable!(),
        };
        assert_eq!(scope(&["kubectl create -n data -f snap.yaml"]), Some(vec!["ops".into(), "data".into()]));
        assert_eq!(scope(&["kubectl", "--namespace=shop", "apply"]), Some(vec!["ops".into(), "shop".into()]));
        assert_eq!(scope(&["kubectl get pvc -n \"$NAMESPACE\""]), Some(vec!["ops".into()]));
        assert_eq!(scope(&["kubectl get pvc -A"]), None);
    }
}
