//! The resource types the simulated API server serves: their group, version, plural, kind and
//! scope, which is all routing, discovery and the store need.

/// One served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// API group; `""` for the core group.
    pub group: &'static str,
    /// API version (`v1`).
    pub version: &'static str,
    /// Plural resource name, as in URLs (`persistentvolumeclaims`).
    pub plural: &'static str,
    /// Kind (`PersistentVolumeClaim`).
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Whether the type has a `/status` subresource (the main resource then ignores status
    /// changes and the subresource ignores everything else).
    pub status: bool,
}

impl ResourceType {
    /// `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this is a type of the snapshot CRDs (served only when the cluster installs them).
    pub fn is_snapshot(&self) -> bool {
        self.group == SNAPSHOT_GROUP
    }
}

/// The group of the external-snapshotter CRDs.
pub const SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";

const fn rt(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    status: bool,
) -> ResourceType {
    ResourceType { group, version: "v1", plural, kind, namespaced, status }
}

/// Every type served, core group first.
pub const TYPES: &[ResourceType] = &[
    rt("", "namespaces", "Namespace", false, true),
    rt("", "nodes", "Node", false, true),
    rt("", "pods", "Pod", true, true),
    rt("", "persistentvolumeclaims", "PersistentVolumeClaim", true, true),
    rt("", "persistentvolumes", "PersistentVolume", false, true),
    rt("", "events", "Event", true, false),
    rt("", "configmaps", "ConfigMap", true, false),
    rt("", "secrets", "Secret", true, false),
    rt("", "serviceaccounts", "ServiceAccount", true, false),
    rt("", "services", "Service", true, true),
    rt("apps", "deployments", "Deployment", true, true),
    rt("apps", "statefulsets", "StatefulSet", true, true),
    rt("apps", "daemonsets", "DaemonSet", true, true),
    rt("apps", "replicasets", "ReplicaSet", true, true),
    rt("storage.k8s.io", "storageclasses", "StorageClass", false, false),
    rt("storage.k8s.io", "csidrivers", "CSIDriver", false, false),
    rt("storage.k8s.io", "csinodes", "CSINode", false, false),
    rt("storage.k8s.io", "volumeattachments", "VolumeAttachment", false, true),
    rt("storage.k8s.io", "csistoragecapacities", "CSIStorageCapacity", true, false),
    rt(SNAPSHOT_GROUP, "volumesnapshots", "VolumeSnapshot", true, true),
    rt(SNAPSHOT_GROUP, "volumesnapshotclasses", "VolumeSnapshotClass", false, false),
    rt(SNAPSHOT_GROUP, "volumesnapshotcontents", "VolumeSnapshotContent", false, true),
];

/// The type served under a group, version and plural.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| t.group == group && t.version == version && t.plural == plural)
}

/// The type named by a kind (`Pod`), a plural (`pods`) or `plural.group`
/// (`volumesnapshots.snapshot.storage.k8s.io`), case-insensitive.
pub fn lookup(name: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| {
        t.kind.eq_ignore_ascii_case(name)
            || t.plural.eq_ignore_ascii_case(name)
            || (!t.group.is_empty() && name.eq_ignore_ascii_case(&format!("{}.{}", t.plural, t.group)))
    })
}

/// The type of an object from its `apiVersion` and `kind`.
pub fn of_object(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| t.kind == kind && t.api_version() == api_version)
}

/// The groups served under `/apis`, in discovery order.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in TYPES {
        if !t.group.is_empty() && !out.contains(&t.group) {
            out.push(t.group);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(lookup("pvc"), None);
        assert_eq!(lookup("PersistentVolumeClaim").unwrap().plural, "persistentvolumeclaims");
        assert_eq!(lookup("volumesnapshots.snapshot.storage.k8s.io").unwrap().kind, "VolumeSnapshot");
        assert_eq!(of_object("storage.k8s.io/v1", "StorageClass").unwrap().plural, "storageclasses");
        assert!(of_object("v1", "StorageClass").is_none());
        assert_eq!(groups()[0], "apps");
    }
}
