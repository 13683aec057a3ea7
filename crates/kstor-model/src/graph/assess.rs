//! The pattern report: every workload volume's observed pattern judged against the decision
//! matrix (`catalog/patterns.yaml`) for the workload's role.

use serde::Serialize;

use super::StorageGraph;
use super::model::*;
use crate::catalog::{Pattern, Role, Verdict};
use crate::yaml::Text;

/// One row of the pattern report: a workload volume.
#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    /// The workload.
    #[serde(skip)]
    pub workload: WorkloadId,
    /// `statefulset data/pg`.
    pub workload_name: String,
    /// The workload's role.
    pub role: Role,
    /// The engine, when known.
    pub engine: Option<String>,
    /// The volume or claim template; `None` when the engine's data directory has no volume
    /// (the data is in the container's writable layer).
    pub volume: Option<Text>,
    /// Whether this volume holds the engine's data (mounted at its data directory, or any
    /// writable non-configuration volume when the engine's directories are unknown).
    pub holds_data: bool,
    /// The observed pattern (`None`: no volume).
    pub pattern: Option<Pattern>,
    /// The patterns the decision matrix recommends for the role.
    pub recommended: Vec<Pattern>,
    /// How the observed pattern compares.
    pub verdict: Verdict,
}

impl StorageGraph {
    /// The pattern report, one row per workload volume, in input order.
    pub fn assess(&self) -> Vec<Assessment> {
        (0..self.workloads.len()).flat_map(|i| self.assess_workload(WorkloadId(i))).collect()
    }

    fn assess_workload(&self, id: WorkloadId) -> Vec<Assessment> {
        let workload = self.workload(id);
        let role = &workload.role;
        let row = self.catalog.patterns.recommendation(role.role);
        let recommended = row.map(|r| r.recommended.clone()).unwrap_or_default();
        let data_volumes: Vec<Text> = if role.data_dirs.is_empty() {
            Vec::new()
        } else {
            self.data_mounts(workload).iter().map(|(_, m)| m.volume.clone()).collect()
        };
        let mut rows: Vec<Assessment> = self
            .volume_patterns(id)
            .into_iter()
            .map(|vp| {
                let holds_data = if role.data_dirs.is_empty() {
                    !self.is_configuration(workload, &vp.volume)
                } else {
                    data_volumes.contains(&vp.volume)
                };
                let verdict = match row {
                    _ if !holds_data => Verdict::NotData,
                    Some(row) => row.judge(vp.pattern),
                    None => Verdict::NoRecommendation,
                };
                Assessment {
                    workload: id,
                    workload_name: workload_label(workload),
                    role: role.role,
                    engine: role.engine.clone(),
                    volume: Some(vp.volume),
                    holds_data,
                    pattern: Some(vp.pattern),
                    recommended: recommended.clone(),
                    verdict,
                }
            })
            .collect();
        if self.data_in_writable_layer(workload) && !rows.iter().any(|r| r.holds_data) {
            rows.push(Assessment {
                workload: id,
                workload_name: workload_label(workload),
                role: role.role,
                engine: role.engine.clone(),
                volume: None,
                holds_data: true,
                pattern: None,
                recommended,
                verdict: Verdict::Mismatch(format!(
                    "no volume at the data directory {}: the data lives in the container's writable layer",
                    role.data_dirs.first().map_or("", |d| d.as_ref())
                )),
            });
        }
        rows
    }

    /// configMap, secret, projected and downwardAPI volumes carry configuration, not data.
    fn is_configuration(&self, workload: &Workload, volume: &str) -> bool {
        workload
            .pod
            .volumes
            .iter()
            .any(|v| v.name == volume && matches!(v.source, VolumeSource::Projected { .. }))
    }

    /// A long-running stateful engine with known data directories and no volume at any.
    fn data_in_writable_layer(&self, workload: &Workload) -> bool {
        let role = &workload.role;
        let engine = role.engine.as_deref().and_then(|e| self.catalog.roles.engine(e));
        workload.kind.is_long_running()
            && role.role.holds_critical_data()
            && role.evidence.knows_data_directory()
            && !role.data_dirs.is_empty()
            && engine.is_some_and(|e| !e.data_optional)
            && self.data_mounts(workload).is_empty()
    }
}

/// `statefulset data/pg`.
fn workload_label(w: &Workload) -> String {
    format!("{} {}/{}", w.kind_word(), w.namespace, w.name)
}
