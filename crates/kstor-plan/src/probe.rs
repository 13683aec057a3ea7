//! What kstor's own model and rules make of an offering's volumes: a StorageClass with the
//! offering's parameters (and, when asked, a VolumeSnapshotClass for its driver) and one claim
//! on it, built into a graph. The pattern comes from `StorageGraph::claim_pattern` and the
//! fsGroup behaviour from the rules' `fs_group_effect`, so `recommend` and `generate` can never
//! disagree with what `lint` will say about the bundle.

use std::sync::Arc;

use kstor_engine::Engine;
use kstor_model::catalog::{AccessMode, Catalog, Pattern};
use kstor_rules::rules::{FsGroupEffect, fs_group_effect};
use serde_json::{Map, Value, json};

use crate::provider::Offering;

/// What a claim on the offering would be.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The pattern kstor's model names it.
    pub pattern: Pattern,
    /// What the kubelet does with a pod's fsGroup on it.
    pub fs_group: FsGroupEffect,
}

/// Builds the class (and snapshot class) and a claim with `mode`, mounted read-only or not.
pub fn probe(
    catalog: &Arc<Catalog>,
    offering: &Offering,
    mode: AccessMode,
    read_only: bool,
    snapshot_class: bool,
) -> Probe {
    let parameters: Map<String, Value> =
        offering.parameters.iter().map(|p| (p.name.clone(), Value::String(p.value.clone()))).collect();
    let mut documents = vec![json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "probe"},
        "provisioner": offering.provisioner(), "parameters": parameters,
    })];
    if snapshot_class {
        documents.push(json!({
            "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass", "metadata": {"name": "probe"},
            "driver": offering.provisioner(), "deletionPolicy": "Retain",
        }));
    }
    documents.push(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "probe", "namespace": "probe"},
        "spec": {"accessModes": [mode.as_str()], "storageClassName": "probe", "resources": {"requests": {"storage": "1Gi"}}},
    }));
    let text = documents.iter().map(Value::to_string).collect::<Vec<_>>().join("\n---\n");
    let graph = Engine::with_catalog(Arc::clone(catalog)).graph_of_texts(&[("probe.yaml".to_string(), text)]);
    let id = graph.claim_named("probe", "probe").expect("the probe claim is in its own graph");
    Probe { pattern: graph.claim_pattern(id, read_only), fs_group: fs_group_effect(&graph, graph.claim(id)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{OfferingKind, ProviderCatalog};

    #[test]
    fn probes_name_patterns_and_fs_group_effects_as_lint_does() {
        let catalog = Catalog::builtin();
        let providers = ProviderCatalog::builtin();
        let offering = |p: &str, k| providers.get(p).unwrap().offering(k).unwrap().1.clone();
        let ebs =
            probe(&catalog, &offering("aws", OfferingKind::Block), AccessMode::ReadWriteOncePod, false, true);
        assert_eq!(ebs.pattern, Pattern::RwoSnapshot);
        assert!(matches!(ebs.fs_group, FsGroupEffect::Applied(_)), "{:?}", ebs.fs_group);
        let plain =
            probe(&catalog, &offering("aws", OfferingKind::Block), AccessMode::ReadWriteOnce, false, false);
        assert_eq!(plain.pattern, Pattern::RwoBlock);
        let fsx =
            probe(&catalog, &offering("aws", OfferingKind::Hpc), AccessMode::ReadWriteMany, false, false);
        assert_eq!(fsx.pattern, Pattern::RwxFile);
        assert!(matches!(fsx.fs_group, FsGroupEffect::Ignored(_)), "{:?}", fsx.fs_group);
        let azure_files =
            probe(&catalog, &offering("azure", OfferingKind::File), AccessMode::ReadWriteMany, false, false);
        assert_eq!(azure_files.fs_group, FsGroupEffect::Delegated);
        let rbd =
            probe(&catalog, &offering("ceph", OfferingKind::Block), AccessMode::ReadWriteOnce, false, true);
        assert_eq!(rbd.pattern, Pattern::Distributed);
        let read_only =
            probe(&catalog, &offering("gcp", OfferingKind::File), AccessMode::ReadWriteMany, true, false);
        assert_eq!(read_only.pattern, Pattern::SharedReadOnly);
    }
}
