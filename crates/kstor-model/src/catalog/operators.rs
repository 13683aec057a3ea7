//! Operators whose custom resources kstor reads as workloads (`catalog/operators.yaml`).
//!
//! An operator entry names the API groups and kind of a custom resource (CloudNativePG
//! `Cluster`, Strimzi `Kafka`, …) and its *members*: the parts of the resource that each
//! become one workload (a Kafka's brokers and its ZooKeeper, an Elasticsearch node set).
//! A member says where it is, which engine it runs (an engine of `roles.yaml`, which gives
//! the role), where its replica count is, and which fields hold its storage, each in one of a
//! small closed set of [`StorageFormat`]s. The graph's extraction
//! (`graph/operators.rs`) turns these into claim templates and a synthesized engine
//! container whose mounts hold the data, so the ordinary rules apply to operator workloads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::roles::Role;

/// How a storage field is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageFormat {
    /// A PersistentVolumeClaimSpec (`accessModes`, `resources`, `storageClassName`, …).
    PvcSpec,
    /// A claim template: `metadata` and `spec`.
    PvcTemplate,
    /// A list of claim templates, each named by `metadata.name`.
    PvcTemplateList,
    /// A size key and a class key, and optionally a PersistentVolumeClaimSpec under
    /// `template_key` that the size and class override (CloudNativePG, Zalando, RabbitMQ).
    SizeClass,
    /// Strimzi storage: `type` `persistent-claim` (`size`, `class`, `deleteClaim`),
    /// `ephemeral` (`sizeLimit`) or `jbod` with `volumes[]` of the other two (each with `id`).
    Strimzi,
    /// Percona `volumeSpec`: `persistentVolumeClaim` (a claim spec), `emptyDir` or `hostPath`.
    PerconaVolumeSpec,
    /// MariaDB operator `storage`: `size`, `storageClassName`, `volumeClaimTemplate` (a
    /// claim spec, which size and class override) and `ephemeral: true` (an emptyDir).
    Mariadb,
}

/// One storage field of a member.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageField {
    /// Dotted path of the field, relative to the member (`storage`, `storage.volumeClaimTemplate`).
    pub field: String,
    /// How it is written.
    pub format: StorageFormat,
    /// The claim (volume) name the operator gives it; templates named in the resource keep
    /// their own name.
    pub name: String,
    /// Where the engine container mounts it.
    pub mount: String,
    /// For `size-class`: the size key.
    #[serde(default)]
    pub size_key: Option<String>,
    /// For `size-class`: the class key.
    #[serde(default)]
    pub class_key: Option<String>,
    /// For `size-class`: the key of an optional claim spec the size and class override.
    #[serde(default)]
    pub template_key: Option<String>,
    /// The size the operator requests when the field (or its size) is not written; with it,
    /// an absent field still gives a claim (`ReadWriteOnce`, the default class).
    #[serde(default)]
    pub default_size: Option<String>,
}

/// Where a member's replica count is.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicasField {
    /// Key in the member (`instances`, `replicas`, `size`, `count`).
    pub field: String,
    /// The operator's default.
    pub default: i32,
    /// The API requires the field (the default is kstor's assumption).
    #[serde(default)]
    pub required: bool,
}

/// A part of a custom resource that becomes one workload.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Dotted path of the member (`spec`, `spec.kafka`); a final `[*]` makes every item of
    /// the list a member, named by its `name` (`spec.nodeSets[*]`).
    pub path: String,
    /// Appended to the resource's name (`my-cluster/zookeeper`) for fixed members.
    #[serde(default)]
    pub suffix: Option<String>,
    /// The engine (of `roles.yaml`); its role is the workload's.
    pub engine: String,
    /// The role, when it differs from the engine's.
    #[serde(default)]
    pub role: Option<Role>,
    /// The replica count.
    #[serde(default)]
    pub replicas: Option<ReplicasField>,
    /// Key of a pod template (`podTemplate`) in the member, read for its volumes and
    /// security context.
    #[serde(default)]
    pub pod_template: Option<String>,
    /// Name of the engine container (in the pod template); the engine's name by default.
    #[serde(default)]
    pub container: Option<String>,
    /// Storage fields.
    pub storage: Vec<StorageField>,
}

/// An operator's custom resource kind.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorKind {
    /// The operator (for docs).
    pub name: String,
    /// API groups, current and former.
    pub groups: Vec<String>,
    /// The kind.
    pub kind: String,
    /// The API reference the fields and defaults come from.
    pub source: String,
    /// The members.
    pub members: Vec<Member>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorFile {
    operators: Vec<OperatorKind>,
}

/// The operator kinds, indexed by (group, kind).
#[derive(Clone, Debug)]
pub struct OperatorCatalog {
    /// Entries in file order.
    pub operators: Vec<OperatorKind>,
    /// kind → (group, entry) pairs: a kind that no operator uses costs one hash lookup.
    index: HashMap<String, Vec<(String, usize)>>,
}

impl OperatorCatalog {
    /// The built-in catalog from `catalog/operators.yaml`.
    pub fn builtin() -> OperatorCatalog {
        let file: OperatorFile =
            super::parse_data("catalog/operators.yaml", include_str!("../../../../catalog/operators.yaml"))
                .unwrap_or_else(|e| panic!("built-in operator catalog is invalid: {e}"));
        let mut index: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (i, operator) in file.operators.iter().enumerate() {
            for group in &operator.groups {
                index.entry(operator.kind.clone()).or_default().push((group.clone(), i));
            }
        }
        OperatorCatalog { operators: file.operators, index }
    }

    /// The entry for an API group and kind (one hash lookup).
    pub fn get(&self, group: &str, kind: &str) -> Option<&OperatorKind> {
        let entries = self.index.get(kind)?;
        entries.iter().find(|(g, _)| g == group).map(|&(_, i)| &self.operators[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RoleCatalog;

    #[test]
    fn entries_name_known_engines_and_complete_formats() {
        let catalog = OperatorCatalog::builtin();
        let roles = RoleCatalog::builtin();
        assert!(catalog.operators.len() >= 10);
        for operator in &catalog.operators {
            assert!(
                !operator.groups.is_empty() && operator.source.starts_with("https://"),
                "{}",
                operator.name
            );
            for member in &operator.members {
                let engine = roles.engine(&member.engine);
                assert!(engine.is_some(), "{}: unknown engine {}", operator.name, member.engine);
                assert!(!member.storage.is_empty(), "{}", operator.name);
                for field in &member.storage {
                    assert!(field.mount.starts_with('/'), "{}", operator.name);
                    if field.format == StorageFormat::SizeClass {
                        assert!(field.size_key.is_some() && field.class_key.is_some(), "{}", operator.name);
                    }
                }
            }
        }
        assert_eq!(catalog.get("postgresql.cnpg.io", "Cluster").unwrap().name, "CloudNativePG");
        assert_eq!(catalog.get("mariadb.mmontes.io", "MariaDB").unwrap().kind, "MariaDB");
        assert!(catalog.get("cluster.x-k8s.io", "Cluster").is_none());
        assert!(catalog.get("apps", "StatefulSet").is_none());
    }
}
