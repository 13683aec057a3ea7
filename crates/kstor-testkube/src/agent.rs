//! What the simulated kubelet hands the test's container callback, and what it gets back.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// One container start: what `kstor agent` would see inside the pod.
#[derive(Debug, Clone)]
pub struct AgentCall {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub pod: String,
    /// The node the pod runs on.
    pub node: String,
    /// The container name (the first container's).
    pub container: String,
    /// The image.
    pub image: String,
    /// `command` of the container.
    pub command: Vec<String>,
    /// `args` of the container.
    pub args: Vec<String>,
    /// `env` entries with a literal `value`, in order.
    pub env: Vec<(String, String)>,
    /// Effective `runAsUser` (container over pod securityContext).
    pub run_as_user: Option<i64>,
    /// Effective `runAsGroup`.
    pub run_as_group: Option<i64>,
    /// The pod's `fsGroup`.
    pub fs_group: Option<i64>,
    /// Mount path → the volume's host directory (one per PV).
    pub mounts: BTreeMap<String, PathBuf>,
    /// Mount path → the filesystem size in bytes when the container started (the claim's
    /// `status.capacity`); see [`AgentCall::current_size`] for the live value.
    pub sizes: BTreeMap<String, u64>,
    /// Mount path → whether the kubelet applied `fsGroup` ownership to the volume (the
    /// driver's fsGroupPolicy allows it and the pod sets fsGroup).
    pub fs_group_applied: BTreeMap<String, bool>,
    /// Mount path → the claim's access modes.
    pub access_modes: BTreeMap<String, Vec<String>>,
    pub(crate) cluster: Option<crate::Cluster>,
}

impl AgentCall {
    /// The filesystem size of a mount now (after an online expansion the kubelet grows it).
    pub fn current_size(&self, mount_path: &str) -> Option<u64> {
        match &self.cluster {
            Some(cluster) => cluster.mounted_size(&self.namespace, &self.pod, mount_path),
            None => self.sizes.get(mount_path).copied(),
        }
    }

    /// The value of an environment variable.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// How a container ended (restartPolicy Never), or that it keeps running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentExit {
    /// The exit code (0 → phase Succeeded, else Failed).
    pub exit_code: i32,
    /// The termination message (`state.terminated.message`).
    pub message: String,
    /// Keep the container running until the pod is deleted (exit code and message unused).
    pub keep_running: bool,
}

impl AgentExit {
    /// Exit 0 with a termination message.
    pub fn success(message: impl Into<String>) -> AgentExit {
        AgentExit { exit_code: 0, message: message.into(), keep_running: false }
    }

    /// Exit with a code and a termination message.
    pub fn failure(exit_code: i32, message: impl Into<String>) -> AgentExit {
        AgentExit { exit_code, message: message.into(), keep_running: false }
    }

    /// The container keeps running until its pod is deleted.
    pub fn running() -> AgentExit {
        AgentExit { exit_code: 0, message: String::new(), keep_running: true }
    }
}

/// The container callback: runs in a blocking thread of the runtime.
pub type Agent = std::sync::Arc<dyn Fn(&AgentCall) -> AgentExit + Send + Sync>;
