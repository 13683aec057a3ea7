//! What takes snapshots or backups on a schedule (`catalog/snapshot-schedules.yaml`): the
//! markers of a snapshot CronJob, the custom resources of snapshot tools and operators with
//! how each says what it covers, and the operators without a backup resource of their own.
//! The graph reads a bundle's schedules with this (`StorageGraph::snapshot_schedules`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How a scheduler's resource names what it protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// The claims of its namespace matching a label selector.
    ClaimSelector,
    /// Every workload of listed namespaces (all when none are listed).
    Namespaces,
    /// One operator resource, named by a field.
    Reference,
    /// The resource itself (an operator resource that schedules its own backups).
    #[serde(rename = "self")]
    Itself,
    /// Operator resources whose labels match a selector.
    ResourceSelector,
    /// Every claim on one CSI driver.
    Driver,
}

/// A condition on a field of the resource.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Dotted path; `[*]` matches every item of a list.
    pub field: String,
    /// The scalar values that satisfy it (case-insensitive); empty: the field is set and not
    /// empty, null or false.
    #[serde(default)]
    pub values: Vec<String>,
}

/// The kind of resource a reference or selector points at.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Its API groups.
    pub groups: Vec<String>,
    /// Its kind.
    pub kind: String,
}

/// A custom resource that schedules snapshots or backups.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduler {
    /// The tool or operator (for messages).
    pub name: String,
    /// API groups, current and former.
    pub groups: Vec<String>,
    /// The kind.
    pub kind: String,
    /// How it names what it covers.
    pub covers: Coverage,
    /// The field of the selector, namespace list or reference.
    #[serde(default)]
    pub field: Option<String>,
    /// For `namespaces`: the field of excluded namespaces.
    #[serde(default)]
    pub excluded: Option<String>,
    /// For `reference` and `resource-selector`: what is referred to.
    #[serde(default)]
    pub target: Option<Target>,
    /// For `driver`: the CSI driver.
    #[serde(default)]
    pub driver: Option<String>,
    /// Conditions that must all hold.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// Conditions that switch it off.
    #[serde(default)]
    pub unless: Vec<Condition>,
    /// The tool's documentation.
    pub source: String,
}

/// How snapshot CronJobs are recognised.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CronJobMarkers {
    /// Words a container's command or args mention (case-insensitive).
    pub markers: Vec<String>,
    /// Where the facts come from.
    pub source: String,
}

/// An operator without a backup resource of its own.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WithoutBackup {
    /// The operator.
    pub name: String,
    /// Its API groups.
    pub groups: Vec<String>,
    /// Its workload kinds.
    pub kinds: Vec<String>,
    /// What to do instead, for messages.
    pub note: String,
    /// Where the facts come from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    cronjob: CronJobMarkers,
    schedulers: Vec<Scheduler>,
    without_backup: Vec<WithoutBackup>,
}

/// The schedulers, indexed by kind.
#[derive(Clone, Debug)]
pub struct ScheduleCatalog {
    /// How snapshot CronJobs are recognised.
    pub cronjob: CronJobMarkers,
    /// Scheduler resources in file order.
    pub schedulers: Vec<Scheduler>,
    /// Operators without a backup resource.
    pub without_backup: Vec<WithoutBackup>,
    index: HashMap<String, Vec<usize>>,
}

impl ScheduleCatalog {
    /// The built-in catalog from `catalog/snapshot-schedules.yaml`.
    pub fn builtin() -> ScheduleCatalog {
        let file: ScheduleFile = super::parse_data(
            "catalog/snapshot-schedules.yaml",
            include_str!("../../../../catalog/snapshot-schedules.yaml"),
        )
        .unwrap_or_else(|e| panic!("built-in snapshot schedule catalog is invalid: {e}"));
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, scheduler) in file.schedulers.iter().enumerate() {
            index.entry(scheduler.kind.clone()).or_default().push(i);
        }
        ScheduleCatalog {
            cronjob: file.cronjob,
            schedulers: file.schedulers,
            without_backup: file.without_backup,
            index,
        }
    }

    /// The scheduler of an API group and kind (one hash lookup for other kinds).
    pub fn get(&self, group: &str, kind: &str) -> Option<&Scheduler> {
        self.index
            .get(kind)?
            .iter()
            .map(|&i| &self.schedulers[i])
            .find(|s| s.groups.iter().any(|g| g == group))
    }

    /// Whether a CronJob command line mentions a snapshot marker.
    pub fn is_snapshot_command(&self, words: &[impl AsRef<str>]) -> bool {
        words.iter().any(|word| {
            let word = word.as_ref().to_ascii_lowercase();
            self.cronjob.markers.iter().any(|m| word.contains(&m.to_ascii_lowercase()))
        })
    }

    /// The operator without a backup resource whose workload kind this is.
    pub fn without_backup(&self, group: &str, kind: &str) -> Option<&WithoutBackup> {
        self.without_backup
            .iter()
            .find(|w| w.groups.iter().any(|g| g == group) && w.kinds.iter().any(|k| k == kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::OperatorCatalog;

    #[test]
    fn entries_are_complete_for_their_coverage() {
        let catalog = ScheduleCatalog::builtin();
        let operators = OperatorCatalog::builtin();
        assert!(catalog.schedulers.len() >= 8);
        for s in &catalog.schedulers {
            assert!(s.source.starts_with("https://"), "{}", s.name);
            match s.covers {
                Coverage::ClaimSelector | Coverage::Namespaces => assert!(s.field.is_some(), "{}", s.name),
                Coverage::Reference | Coverage::ResourceSelector => {
                    let target = s.target.as_ref().unwrap_or_else(|| panic!("{}: no target", s.name));
                    assert!(s.field.is_some(), "{}", s.name);
                    let known = target.groups.iter().any(|g| operators.get(g, &target.kind).is_some());
                    assert!(known, "{}: target is no operator workload kind", s.name);
                }
                Coverage::Itself => {
                    let known = s.groups.iter().any(|g| operators.get(g, &s.kind).is_some());
                    assert!(known, "{}: not an operator workload kind", s.name);
                }
                Coverage::Driver => assert!(s.driver.is_some(), "{}", s.name),
            }
        }
        for w in &catalog.without_backup {
            assert!(
                w.kinds.iter().all(|k| w.groups.iter().any(|g| operators.get(g, k).is_some())),
                "{}",
                w.name
            );
        }
        assert_eq!(catalog.get("velero.io", "Schedule").unwrap().name, "Velero");
        assert!(catalog.get("batch", "Schedule").is_none());
    }

    #[test]
    fn snapshot_commands_are_recognised_by_markers() {
        let catalog = ScheduleCatalog::builtin();
        assert!(catalog.is_snapshot_command(&[
            "sh",
            "-c",
            "kubectl create -f - <<EOF\nkind: VolumeSnapshot\nEOF"
        ]));
        assert!(catalog.is_snapshot_command(&["apiVersion: snapshot.storage.k8s.io/v1"]));
        assert!(!catalog.is_snapshot_command(&["pg_dump", "-h", "db"]));
    }
}
