//! The objects a probe run creates, built in one place so that `--dry-run` prints exactly
//! what a run would create. Every object carries the run's label; the pods are
//! restricted-Pod-Security compliant and run `kstor agent`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, Namespace, NodeAffinity, NodeSelector, NodeSelectorRequirement,
    NodeSelectorTerm, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    Pod, PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile, SecurityContext,
    TypedLocalObjectReference, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

/// The label every object of a run carries: `kstor.io/probe-run=<run id>`.
pub const RUN_LABEL: &str = "kstor.io/probe-run";
/// The label naming the probed class on the run's objects.
pub const CLASS_LABEL: &str = "kstor.io/probe-class";
/// Where the pods mount the volume.
pub const MOUNT_PATH: &str = "/data";
/// The non-root user and group of the pods (a distroless "nonroot" id).
pub const POD_USER: i64 = 65532;

/// What one run creates objects with.
#[derive(Clone, Debug)]
pub struct Blueprint {
    /// The run id (lowercase, DNS-safe).
    pub run: String,
    /// The namespace.
    pub namespace: String,
    /// The image running `kstor agent`.
    pub image: String,
}

/// A Kubernetes quantity for a byte count: whole GiB or MiB when exact, else bytes.
pub fn quantity(bytes: u64) -> String {
    const MI: u64 = 1 << 20;
    const GI: u64 = 1 << 30;
    if bytes.is_multiple_of(GI) {
        format!("{}Gi", bytes / GI)
    } else if bytes.is_multiple_of(MI) {
        format!("{}Mi", bytes / MI)
    } else {
        bytes.to_string()
    }
}

impl Blueprint {
    fn labels(&self, class: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (RUN_LABEL.to_string(), self.run.clone()),
            (CLASS_LABEL.to_string(), class.to_string()),
            ("app.kubernetes.io/managed-by".to_string(), "kstor-probe".to_string()),
        ])
    }

    fn meta(&self, name: &str, class: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels(class)),
            ..ObjectMeta::default()
        }
    }

    /// The run's namespace, restricted by Pod Security admission.
    pub fn namespace(&self) -> Namespace {
        let mut labels = self.labels("");
        labels.remove(CLASS_LABEL);
        labels.insert("pod-security.kubernetes.io/enforce".into(), "restricted".into());
        Namespace {
            metadata: ObjectMeta {
                name: Some(self.namespace.clone()),
                labels: Some(labels),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        }
    }

    /// A claim on `class`; `source` restores a snapshot (`VolumeSnapshot`) or clones a claim.
    pub fn claim(
        &self,
        name: &str,
        class: &str,
        access_mode: &str,
        bytes: u64,
        source: Option<(&str, &str)>,
    ) -> PersistentVolumeClaim {
        let data_source = source.map(|(kind, source)| TypedLocalObjectReference {
            api_group: (kind == "VolumeSnapshot").then(|| "snapshot.storage.k8s.io".to_string()),
            kind: kind.to_string(),
            name: source.to_string(),
        });
        PersistentVolumeClaim {
            metadata: self.meta(name, class),
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec![access_mode.to_string()]),
                storage_class_name: Some(class.to_string()),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([("storage".to_string(), Quantity(quantity(bytes)))])),
                    ..VolumeResourceRequirements::default()
                }),
                data_source,
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        }
    }

    /// A pod running `kstor agent <args>` on `claim` mounted at [`MOUNT_PATH`];
    /// `avoid_node` keeps it off a node by name (the reschedule check).
    pub fn agent_pod(
        &self,
        name: &str,
        class: &str,
        claim: &str,
        args: &[String],
        avoid_node: Option<&str>,
    ) -> Pod {
        let mut command = vec!["kstor".to_string(), "agent".to_string()];
        command.extend(args.iter().cloned());
        let quantities = |cpu: &str, memory: &str| {
            BTreeMap::from([
                ("cpu".to_string(), Quantity(cpu.to_string())),
                ("memory".to_string(), Quantity(memory.to_string())),
            ])
        };
        let affinity = avoid_node.map(|node| Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_fields: Some(vec![NodeSelectorRequirement {
                            key: "metadata.name".to_string(),
                            operator: "NotIn".to_string(),
                            values: Some(vec![node.to_string()]),
                        }]),
                        ..NodeSelectorTerm::default()
                    }],
                }),
                ..NodeAffinity::default()
            }),
            ..Affinity::default()
        });
        Pod {
            metadata: self.meta(name, class),
            spec: Some(PodSpec {
                restart_policy: Some("Never".to_string()),
                automount_service_account_token: Some(false),
                enable_service_links: Some(false),
                termination_grace_period_seconds: Some(5),
                affinity,
                security_context: Some(PodSecurityContext {
                    run_as_non_root: Some(true),
                    run_as_user: Some(POD_USER),
                    run_as_group: Some(POD_USER),
                    fs_group: Some(POD_USER),
                    fs_group_change_policy: Some("OnRootMismatch".to_string()),
                    seccomp_profile: Some(SeccompProfile {
                        type_: "RuntimeDefault".to_string(),
                        ..SeccompProfile::default()
                    }),
                    ..PodSecurityContext::default()
                }),
                containers: vec![Container {
                    name: "agent".to_string(),
                    image: Some(self.image.clone()),
                    image_pull_policy: Some("IfNotPresent".to_string()),
                    command: Some(command),
                    termination_message_policy: Some("File".to_string()),
                    resources: Some(ResourceRequirements {
                        requests: Some(quantities("50m", "64Mi")),
                        limits: Some(quantities("1", "256Mi")),
                        ..ResourceRequirements::default()
                    }),
                    security_context: Some(SecurityContext {
                        allow_privilege_escalation: Some(false),
                        read_only_root_filesystem: Some(true),
                        run_as_non_root: Some(true),
                        capabilities: Some(Capabilities {
                            drop: Some(vec!["ALL".to_string()]),
                            ..Capabilities::default()
                        }),
                        ..SecurityContext::default()
                    }),
                    volume_mounts: Some(vec![VolumeMount {
                        name: "data".to_string(),
                        mount_path: MOUNT_PATH.to_string(),
                        ..VolumeMount::default()
                    }]),
                    ..Container::default()
                }],
                volumes: Some(vec![Volume {
                    name: "data".to_string(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: claim.to_string(),
                        read_only: None,
                    }),
                    ..Volume::default()
                }]),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    /// A VolumeSnapshot (snapshot.storage.k8s.io/v1) of `claim`.
    pub fn snapshot(&self, name: &str, class: &str, claim: &str, snapshot_class: &str) -> Value {
        json!({
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "kind": "VolumeSnapshot",
            "metadata": {"name": name, "namespace": self.namespace, "labels": self.labels(class)},
            "spec": {
                "volumeSnapshotClassName": snapshot_class,
                "source": {"persistentVolumeClaimName": claim}
            }
        })
    }
}

/// The agent's arguments for writing `bytes`.
pub fn write_args(bytes: u64) -> Vec<String> {
    ["write", "--dir", MOUNT_PATH, "--bytes"]
        .iter()
        .map(|s| s.to_string())
        .chain([bytes.to_string()])
        .collect()
}

/// The agent's arguments for verifying a checksum.
pub fn verify_args(sha256: &str) -> Vec<String> {
    ["verify", "--dir", MOUNT_PATH, "--expect", sha256].iter().map(|s| s.to_string()).collect()
}

/// The agent's arguments for writing `bytes` into a subdirectory of the volume.
pub fn write_in(sub: &str, bytes: u64) -> Vec<String> {
    let dir = format!("{MOUNT_PATH}/{sub}");
    ["write", "--dir", dir.as_str(), "--bytes"]
        .iter()
        .map(|s| s.to_string())
        .chain([bytes.to_string()])
        .collect()
}

/// The agent's arguments for verifying a subdirectory of the volume.
pub fn verify_in(sub: &str, sha256: &str) -> Vec<String> {
    let dir = format!("{MOUNT_PATH}/{sub}");
    ["verify", "--dir", dir.as_str(), "--expect", sha256].iter().map(|s| s.to_string()).collect()
}

/// The agent's arguments for keeping the volume mounted `seconds`.
pub fn hold_args(seconds: u64) -> Vec<String> {
    ["hold", "--dir", MOUNT_PATH, "--seconds"]
        .iter()
        .map(|s| s.to_string())
        .chain([seconds.to_string()])
        .collect()
}

/// The agent's arguments for `kstor bench` on the volume.
pub fn bench_args(millis: u64) -> Vec<String> {
    ["bench", "--dir", MOUNT_PATH, "--profile", "wal", "--profile", "randread-4k", "--millis"]
        .iter()
        .map(|s| s.to_string())
        .chain([millis.to_string()])
        .collect()
}

/// The agent's arguments for reading the filesystem size.
pub fn stat_args() -> Vec<String> {
    ["stat", "--dir", MOUNT_PATH].iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blueprint() -> Blueprint {
        Blueprint { run: "abc123".into(), namespace: "kstor-probe-abc123".into(), image: "img:1".into() }
    }

    #[test]
    fn quantities_are_exact() {
        assert_eq!(quantity(1 << 30), "1Gi");
        assert_eq!(quantity(3 << 29), "1536Mi");
        assert_eq!(quantity(1000), "1000");
    }

    #[test]
    fn pods_are_restricted_and_labelled() {
        let pod = blueprint().agent_pod("writer", "gp3", "data", &write_args(1 << 20), Some("node-a"));
        let value = serde_json::to_value(&pod).unwrap();
        assert_eq!(value["metadata"]["labels"][RUN_LABEL], "abc123");
        let spec = &value["spec"];
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
        assert_eq!(spec["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
        let container = &spec["containers"][0];
        assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(container["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert!(container["resources"]["limits"]["memory"].is_string());
        assert_eq!(container["command"][2], "write");
        let term = &spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            [0];
        assert_eq!(term["matchFields"][0]["key"], "metadata.name");
        assert_eq!(term["matchFields"][0]["operator"], "NotIn");
        assert_eq!(term["matchFields"][0]["values"][0], "node-a");
    }

    #[test]
    fn a_restore_names_its_snapshot() {
        let claim =
            blueprint().claim("restore", "gp3", "ReadWriteOnce", 1 << 30, Some(("VolumeSnapshot", "snap")));
        let value = serde_json::to_value(&claim).unwrap();
        assert_eq!(value["spec"]["dataSource"]["apiGroup"], "snapshot.storage.k8s.io");
        assert_eq!(value["spec"]["resources"]["requests"]["storage"], "1Gi");
    }
}
