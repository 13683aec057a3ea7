//! Object builders for seeding and for tests: plain JSON, as `kubectl apply` would send it,
//! to adjust with `value["field"] = json!(…)` before use.

use serde_json::{Value, json};

use crate::config::Driver;

/// A namespace.
pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Ready, schedulable node in `zone` (no zone label when empty).
pub fn node(name: &str, zone: &str) -> Value {
    let mut labels = json!({
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
    });
    if !zone.is_empty() {
        labels[crate::ZONE_LABEL] = json!(zone);
        labels["topology.kubernetes.io/region"] =
            json!(zone.trim_end_matches(|c: char| c.is_ascii_lowercase()));
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": format!("testkube://{name}")},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": "v1.33.1", "containerRuntimeVersion": "containerd://2.0.5", "osImage": "testkube", "architecture": "amd64", "operatingSystem": "linux"},
        },
    })
}

/// The CSIDriver object of a simulated driver.
pub fn csi_driver(driver: &Driver) -> Value {
    json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
        "metadata": {"name": driver.name},
        "spec": {"attachRequired": driver.attach_required, "fsGroupPolicy": driver.fs_group_policy,
                 "podInfoOnMount": false, "requiresRepublish": false, "storageCapacity": false,
                 "volumeLifecycleModes": ["Persistent"]},
    })
}

/// A StorageClass: reclaimPolicy Delete, allowVolumeExpansion true, the given binding mode
/// (`WaitForFirstConsumer` or `Immediate`).
pub fn storage_class(name: &str, provisioner: &str, binding_mode: &str) -> Value {
    json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": provisioner,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": binding_mode,
        "allowVolumeExpansion": true,
    })
}

/// A VolumeSnapshotClass with a deletion policy (`Delete` or `Retain`).
pub fn snapshot_class(name: &str, driver: &str, deletion_policy: &str) -> Value {
    json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
        "metadata": {"name": name},
        "driver": driver,
        "deletionPolicy": deletion_policy,
    })
}

/// A claim of `size` with one access mode on a class.
pub fn claim(namespace: &str, name: &str, class: &str, size: &str, access_mode: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": [access_mode], "storageClassName": class, "resources": {"requests": {"storage": size}}},
    })
}

/// A pod (restartPolicy Never) whose one container mounts `claim` at `mount_path` and runs
/// `args`.
pub fn pod(namespace: &str, name: &str, claim: &str, mount_path: &str, args: &[&str]) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "agent", "image": "ghcr.io/kstor-dev/kstor:test", "args": args,
                            "volumeMounts": [{"name": "data", "mountPath": mount_path}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    })
}
