//! Naming each workload volume's storage pattern.

use super::StorageGraph;
use super::model::*;
use crate::catalog::{AccessMode, Pattern, StorageKind};

impl StorageGraph {
    /// The pattern of every volume of a workload (claim templates included; volumes shadowed
    /// by a claim template are reported once, as the template).
    pub fn volume_patterns(&self, id: WorkloadId) -> Vec<VolumePattern> {
        let workload = self.workload(id);
        let mut out = Vec::new();
        for volume in &workload.pod.volumes {
            if volume.shadowed_by.is_some() {
                continue;
            }
            let read_only = self.mounted_read_only(workload, &volume.name);
            let pattern = match &volume.source {
                VolumeSource::EmptyDir { memory: true, .. } => Some(Pattern::EphemeralMemory),
                VolumeSource::EmptyDir { memory: false, .. } => Some(Pattern::EphemeralDisk),
                VolumeSource::HostPath { .. } => Some(Pattern::EphemeralDisk),
                VolumeSource::Ephemeral { .. } => Some(Pattern::EphemeralDisk),
                VolumeSource::Projected { .. } => Some(Pattern::SharedReadOnly),
                VolumeSource::Csi { driver, read_only: csi_read_only } => {
                    let memory = self
                        .catalog
                        .drivers
                        .lookup(driver)
                        .is_some_and(|d| d.spec.storage == StorageKind::Memory);
                    Some(if memory || *csi_read_only || read_only {
                        Pattern::SharedReadOnly
                    } else {
                        Pattern::EphemeralDisk
                    })
                }
                VolumeSource::Claim { claim: Some(claim), read_only: claim_read_only, .. } => {
                    Some(self.claim_pattern(*claim, *claim_read_only || read_only))
                }
                VolumeSource::Claim { claim: None, .. } | VolumeSource::Other { .. } => None,
            };
            if let Some(pattern) = pattern {
                out.push(VolumePattern { workload: id, volume: volume.name.clone(), pattern });
            }
        }
        for &claim in &workload.claim_templates {
            let name = self.claim(claim).name.clone();
            let read_only = self.mounted_read_only(workload, &name);
            out.push(VolumePattern {
                workload: id,
                volume: name,
                pattern: self.claim_pattern(claim, read_only),
            });
        }
        out
    }

    /// True when every container mounting the volume mounts it read-only.
    fn mounted_read_only(&self, workload: &Workload, volume: &str) -> bool {
        let mut mounts =
            workload.pod.containers.iter().flat_map(|c| &c.mounts).filter(|m| m.volume == volume).peekable();
        mounts.peek().is_some() && mounts.all(|m| m.read_only)
    }

    /// The pattern of a claim given how it is mounted.
    pub fn claim_pattern(&self, id: ClaimId, read_only: bool) -> Pattern {
        let claim = self.claim(id);
        if read_only || (claim.modes().count() > 0 && claim.modes().all(|m| m == AccessMode::ReadOnlyMany)) {
            return Pattern::SharedReadOnly;
        }
        let driver = self.driver_of_claim(claim).and_then(|d| d.capabilities.as_ref());
        if driver.is_some_and(|d| d.distributed) {
            return Pattern::Distributed;
        }
        let shared = claim.modes().any(|m| m == AccessMode::ReadWriteMany)
            || driver.is_some_and(|d| matches!(d.storage, StorageKind::File | StorageKind::Object));
        if shared {
            return Pattern::RwxFile;
        }
        let snapshots =
            driver.is_some_and(|d| d.snapshots && self.snapshot_classes_for(&d.driver).next().is_some());
        if snapshots { Pattern::RwoSnapshot } else { Pattern::RwoBlock }
    }
}
