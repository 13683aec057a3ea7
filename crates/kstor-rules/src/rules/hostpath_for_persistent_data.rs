use kstor_model::catalog::Role;
use kstor_model::catalog::roles::image_repository;
use kstor_model::graph::{MountTarget, VolumeSource, Workload, WorkloadKind, covers};

use super::common::workload_name;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Flags a workload that keeps data on a `hostPath` volume: an app container mounts it
    /// writable, and the mount is the engine's data directory, or the workload has a
    /// stateful role (database, message queue, search, coordination, object store), or
    /// the host directory looks like application data (`/data`, `/mnt/…`, `/srv`,
    /// `/opt/…`, `/var/lib/<app>`, …).
    ///
    /// It stays quiet for what legitimately needs host paths: CSI drivers and their
    /// sidecars (any `csi`/`sig-storage` image, or a workload mounting
    /// `/var/lib/kubelet`), DaemonSets without a stateful role (node agents, log
    /// shippers, installers, storage systems such as Longhorn), log shippers, read-only
    /// mounts, and system paths (`/etc`, `/dev`, `/sys`, `/proc`, `/lib/modules`, `/usr`,
    /// `/run`, `/var/run`, `/var/log`, `/tmp`, runtime sockets, `/var/lib/docker`,
    /// `/var/lib/containerd`, …). When KS303 runs and reports the same `hostPath` volume (a
    /// known engine's data directory), only KS303's finding is shown.
    ///
    /// ## Why it matters
    /// A `hostPath` is a directory of whichever node the pod runs on. The data is bound to
    /// that node: when the pod is rescheduled (drain, eviction, node failure, a rollout
    /// onto another node) it starts on a node where the directory is empty or stale, and
    /// the data is lost with the node's disk. There is no failover, no capacity
    /// accounting (the usage is not counted as ephemeral storage), and the pod writes the
    /// host filesystem outside its isolation, which Pod Security Baseline and Restricted
    /// forbid.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: uploads
    /// spec:
    ///   selector:
    ///     matchLabels: {app: uploads}
    ///   template:
    ///     metadata:
    ///       labels: {app: uploads}
    ///     spec:
    ///       containers:
    ///         - name: app
    ///           image: ghcr.io/example/uploads:2.1
    ///           volumeMounts:
    ///             - name: uploads
    ///               mountPath: /var/www/uploads
    ///       volumes:
    ///         - name: uploads
    ///           hostPath:               # user uploads live on whichever node runs the pod
    ///             path: /data/uploads
    ///             type: DirectoryOrCreate
    /// ```
    ///
    /// ## Fix
    /// Use a PersistentVolumeClaim (StatefulSet `volumeClaimTemplates` for per-replica
    /// data). If the data must live on node disks, use a `local` PersistentVolume with
    /// `nodeAffinity` (or a local-volume provisioner) so the scheduler keeps the pod with
    /// its data.
    ///
    /// **Automatic fix:** none: replacing a hostPath by a claim needs a size, a class and a copy
    /// of the data on the node.
    ///
    /// ## References
    /// - Kubernetes docs, Volumes, "hostPath":
    ///   <https://kubernetes.io/docs/concepts/storage/volumes/#hostpath>
    /// - Kubernetes docs, Pod Security Standards (HostPath Volumes):
    ///   <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
    pub struct HostpathForPersistentData {
        code: "KS304",
        name: "hostpath-for-persistent-data",
        group: DataSafety,
        severity: Warning,
        summary: "a workload keeps its data on a hostPath volume",
        fixes: [],
    }
}

impl Check for HostpathForPersistentData {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for workload in &graph.workloads {
            let role = workload.role.role;
            if role == Role::Logging
                || (workload.kind == WorkloadKind::DaemonSet && !role.holds_critical_data())
                || is_node_component(workload)
            {
                continue;
            }
            for (index, volume) in workload.pod.volumes.iter().enumerate() {
                let VolumeSource::HostPath { host_path } = &volume.source else {
                    continue;
                };
                if volume.shadowed_by.is_some() || is_system_path(host_path) {
                    continue;
                }
                let writers: Vec<_> = workload
                    .pod
                    .containers
                    .iter()
                    .flat_map(|c| c.mounts.iter().map(move |m| (c, m)))
                    .filter(|(_, m)| m.target == MountTarget::Volume(index) && !m.read_only)
                    .collect();
                let Some(&(container, mount)) = writers.first() else {
                    continue;
                };
                let data_dir = writers.iter().find(|(_, m)| holds_engine_data(workload, &m.mount_path));
                // KS303 may report the same volume; the engine keeps only its finding then
                // (`registry::OVERLAPS`).
                let reason = match data_dir {
                    Some((_, m)) => format!("its data directory ({})", m.mount_path),
                    None if role.holds_critical_data() => format!("the data of a {role}"),
                    None if looks_like_app_data(host_path) => "data".to_string(),
                    None => continue,
                };
                let message = format!(
                    "{} keeps {reason} on hostPath {host_path} (volume {}): the data stays on whichever node the pod ran on, a pod rescheduled to another node finds the directory empty or stale, the data is lost with the node, and the pod writes the host filesystem outside its isolation",
                    workload_name(workload),
                    volume.name,
                );
                let mut finding =
                    Finding::at(&Self::META, workload.object, volume.path.key("hostPath").key("path"), message)
                        .help("use a PersistentVolumeClaim; for node-local disks, a `local` PersistentVolume with nodeAffinity");
                for (c, m) in std::iter::once((container, mount)).chain(writers.iter().skip(1).copied()) {
                    finding = finding.related(
                        workload.object,
                        m.path.clone(),
                        format!("container {} writes it at {}", c.name, m.mount_path),
                    );
                }
                out.push(finding);
            }
        }
    }
}

/// The mount path covers the engine's data directory.
fn holds_engine_data(workload: &Workload, mount_path: &str) -> bool {
    workload.role.data_dirs.iter().any(|d| covers(mount_path, d))
}

/// Words in image repositories of node agents that need host paths by design.
const AGENT_IMAGES: [&str; 14] = [
    "csi",
    "sig-storage",
    "node-exporter",
    "node-problem-detector",
    "cadvisor",
    "datadog",
    "falco",
    "sysdig",
    "newrelic",
    "dynatrace",
    "fluent",
    "promtail",
    "filebeat",
    "kube-proxy",
];

/// CSI drivers and their sidecars, kubelet plugins and node agents.
fn is_node_component(workload: &Workload) -> bool {
    let pod = &workload.pod;
    let agent_image = pod.containers.iter().chain(&pod.init_containers).any(|c| {
        let repository = image_repository(&c.image);
        AGENT_IMAGES.iter().any(|word| repository.contains(word))
    });
    let kubelet_path = pod.volumes.iter().any(|v| match &v.source {
        VolumeSource::HostPath { host_path } => {
            let path = host_path.replace('\\', "/").to_ascii_lowercase();
            path.trim_start_matches("c:").starts_with("/var/lib/kubelet")
        }
        _ => false,
    });
    agent_image || kubelet_path
}

/// Host directories of the operating system, the container runtime, the kubelet and
/// node-level storage systems.
const SYSTEM_PATHS: [&str; 34] = [
    "/etc",
    "/dev",
    "/sys",
    "/proc",
    "/boot",
    "/lib",
    "/lib32",
    "/lib64",
    "/usr",
    "/bin",
    "/sbin",
    "/run",
    "/var/run",
    "/var/log",
    "/tmp",
    "/var/tmp",
    "/root",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/cni",
    "/var/lib/calico",
    "/var/lib/cilium",
    "/var/lib/kube-proxy",
    "/var/lib/kube-router",
    "/var/lib/rancher",
    "/var/lib/k0s",
    "/var/lib/lxcfs",
    "/var/lib/dbus",
    "/var/lib/iscsi",
    "/var/lib/rook",
    "/var/lib/longhorn",
    "/home/kubernetes",
];

/// A system path, a runtime socket, the host root, or a non-Unix (Windows) path.
fn is_system_path(host_path: &str) -> bool {
    let path = host_path.trim_end_matches('/');
    if !host_path.starts_with('/') || path.is_empty() || path.ends_with(".sock") {
        return true;
    }
    SYSTEM_PATHS.iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
        || path.starts_with("/opt/cni")
}

/// Host directories where applications keep data: `/data…`, `/mnt/…`, `/srv…`, `/opt/…`,
/// `/var/lib/<app>`, `/var/data…`, `/storage…`, `/export…`, `/backup…`.
fn looks_like_app_data(host_path: &str) -> bool {
    let path = host_path.trim_end_matches('/');
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let first = segments.next().unwrap_or_default();
    let second = segments.next();
    match first {
        "mnt" | "opt" => second.is_some(),
        "var" => matches!(second, Some("lib") if segments.next().is_some()) || second == Some("data"),
        _ => ["data", "srv", "storage", "export", "backup", "backups", "volumes"].iter().any(|p| {
            first == *p || first.starts_with(&format!("{p}-")) || first.starts_with(&format!("{p}_"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_paths() {
        for path in [
            "/var/lib/kubelet/plugins/x",
            "/var/log",
            "/etc/",
            "/",
            "/run/containerd/containerd.sock",
            "/var/run/docker.sock",
            "/lib/modules",
            "/var/lib/docker/containers",
            "C:\\var\\lib\\kubelet",
            "/home/kubernetes/bin",
            "/opt/cni/bin",
        ] {
            assert!(is_system_path(path), "{path}");
        }
        for path in ["/data", "/mnt/disks/db", "/var/lib/etcd", "/srv/www", "/etcd-data", "/libdata"] {
            assert!(!is_system_path(path), "{path}");
        }
    }

    #[test]
    fn application_data_paths() {
        for path in [
            "/data",
            "/data/uploads",
            "/mnt/disks/pg",
            "/srv",
            "/opt/app/state",
            "/var/lib/myapp",
            "/var/data",
            "/data-1",
            "/export/share",
        ] {
            assert!(looks_like_app_data(path), "{path}");
        }
        for path in ["/mnt", "/opt", "/var/lib", "/home/user", "/database-config", "/var/cache/app"] {
            assert!(!looks_like_app_data(path), "{path}");
        }
    }
}
