//! How a simulated cluster behaves: its CSI drivers, the controllers' delays, injected faults
//! and the API server's options.

use std::time::Duration;

/// Where a simulated driver's volumes are reachable from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    /// Zonal block storage (EBS, PD): a volume lives in one zone; nodes carry the zone in the
    /// label `key` (usually `topology.kubernetes.io/zone`), and `Immediate` claims are placed in
    /// `zones` round-robin.
    Zonal {
        /// The topology key (node label and PV node affinity key).
        key: String,
        /// The zones the driver provisions in.
        zones: Vec<String>,
    },
    /// Node-local storage (local volumes, TopoLVM): a volume lives on one node; nodes carry their
    /// own name in the label `key`.
    NodeLocal {
        /// The topology key (e.g. `topology.kubernetes.io/hostname` or a driver's own key).
        key: String,
    },
    /// Network or file storage reachable from every node: PVs carry no node affinity.
    Global,
}

/// A simulated CSI driver: what its provisioner, attacher, snapshotter and resizer do.
#[derive(Debug, Clone)]
pub struct Driver {
    /// The driver name (the StorageClass `provisioner`, the CSIDriver name).
    pub name: String,
    /// Where its volumes are reachable from.
    pub topology: Topology,
    /// Whether VolumeSnapshots of its volumes become ready (and restores work).
    pub snapshots: bool,
    /// Whether claims with a PVC data source (clones) are provisioned.
    pub clone: bool,
    /// Whether the controller expands volumes (the class must also set `allowVolumeExpansion`).
    pub expansion: bool,
    /// The access modes it provisions (`ReadWriteOnce`, `ReadWriteOncePod`, `ReadWriteMany`,
    /// `ReadOnlyMany`); a claim asking for another fails with ProvisioningFailed.
    pub access_modes: Vec<String>,
    /// The CSIDriver `fsGroupPolicy` (`ReadWriteOnceWithFSType`, `File`, `None`).
    pub fs_group_policy: String,
    /// The CSIDriver `attachRequired`: whether volumes go through VolumeAttachments.
    pub attach_required: bool,
}

impl Driver {
    /// A zonal block driver (EBS-like) with snapshots, clones and expansion, RWO and RWOP,
    /// zones `zones` under `topology.kubernetes.io/zone`.
    pub fn zonal(name: &str, zones: &[&str]) -> Driver {
        Driver {
            name: name.into(),
            topology: Topology::Zonal {
                key: crate::ZONE_LABEL.into(),
                zones: zones.iter().map(|z| z.to_string()).collect(),
            },
            snapshots: true,
            clone: true,
            expansion: true,
            access_modes: vec!["ReadWriteOnce".into(), "ReadWriteOncePod".into()],
            fs_group_policy: "ReadWriteOnceWithFSType".into(),
            attach_required: true,
        }
    }

    /// A node-local driver (local-path-like): topology key `kubernetes.io/hostname`, no
    /// attachment, no snapshots, clones or expansion, RWO and RWOP.
    pub fn node_local(name: &str) -> Driver {
        Driver {
            name: name.into(),
            topology: Topology::NodeLocal { key: crate::HOSTNAME_LABEL.into() },
            snapshots: false,
            clone: false,
            expansion: false,
            access_modes: vec!["ReadWriteOnce".into(), "ReadWriteOncePod".into()],
            fs_group_policy: "File".into(),
            attach_required: false,
        }
    }

    /// A file driver (EFS/NFS-like) reachable from every node: RWX, RWO and ROX, no
    /// attachment, fsGroupPolicy `None`, no snapshots.
    pub fn file(name: &str) -> Driver {
        Driver {
            name: name.into(),
            topology: Topology::Global,
            snapshots: false,
            clone: false,
            expansion: true,
            access_modes: vec!["ReadWriteMany".into(), "ReadWriteOnce".into(), "ReadOnlyMany".into()],
            fs_group_policy: "None".into(),
            attach_required: false,
        }
    }

    /// The topology key, if volumes are confined.
    pub fn topology_key(&self) -> Option<&str> {
        match &self.topology {
            Topology::Zonal { key, .. } | Topology::NodeLocal { key } => Some(key),
            Topology::Global => None,
        }
    }
}

/// Delays of the simulated controllers. Every controller acts on an object once it has been
/// in a state for at least its delay; the loop runs every `step`.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The controllers' loop period and the delay of each ordinary step (bind, schedule,
    /// attach, start, stop, delete). Default 2 ms.
    pub step: Duration,
    /// From VolumeSnapshot creation to `readyToUse`. Default 20 ms.
    pub snapshot_ready: Duration,
    /// From a claim's larger request to the new capacity. Default 20 ms.
    pub resize: Duration,
    /// How long a deleted namespace stays Terminating before its content goes. Default 10 ms.
    pub namespace_termination: Duration,
    /// How long a stuck attachment waits before the FailedAttachVolume timeout event.
    /// Default 50 ms.
    pub attach_timeout: Duration,
    /// How often a failing step (FailedScheduling, ProvisioningFailed, …) is retried and its
    /// event repeated (the event's `count` grows). Default 50 ms.
    pub retry: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            step: Duration::from_millis(2),
            snapshot_ready: Duration::from_millis(20),
            resize: Duration::from_millis(20),
            namespace_termination: Duration::from_millis(10),
            attach_timeout: Duration::from_millis(50),
            retry: Duration::from_millis(50),
        }
    }
}

/// Faults to inject; each makes one probe check see a failure. Changeable while the cluster
/// runs ([`crate::Cluster::set_faults`]).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Provisioning fails with this message (Event ProvisioningFailed, claim stays Pending).
    pub provisioning_fails: Option<String>,
    /// Attachments are created but never attached (the pod stays ContainerCreating; after
    /// [`Timing::attach_timeout`] an Event FailedAttachVolume reports the timeout).
    pub attach_stuck: bool,
    /// Volumes are never detached once attached (as after a non-graceful node shutdown), so a
    /// pod on another node gets the Multi-Attach error.
    pub multi_attach: bool,
    /// Mounting fails with this message (Event FailedMount, the pod stays ContainerCreating).
    pub mount_fails: Option<String>,
    /// Snapshots get a VolumeSnapshotContent but never become ready.
    pub snapshot_never_ready: bool,
    /// A volume's data directory is emptied when it is mounted on a node other than the last
    /// one (a driver that loses data across reschedule).
    pub lose_data_on_reschedule: bool,
    /// Restores from snapshots (and clones) create an empty directory.
    pub empty_restore: bool,
}

/// A denied access review: SelfSubjectAccessReviews for this verb, group and resource answer
/// `allowed: false`. `"*"` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// Verb (`create`, `delete`, `patch`, …).
    pub verb: String,
    /// API group (`""` for core).
    pub group: String,
    /// Resource plural (`pods`).
    pub resource: String,
}

impl Denied {
    /// A denial of `verb` on `group`/`resource`.
    pub fn new(verb: &str, group: &str, resource: &str) -> Denied {
        Denied { verb: verb.into(), group: group.into(), resource: resource.into() }
    }

    pub(crate) fn matches(&self, verb: &str, group: &str, resource: &str) -> bool {
        let m = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        m(&self.verb, verb) && m(&self.group, group) && m(&self.resource, resource)
    }
}

/// Everything that shapes a simulated cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The bearer token the API server accepts (others get 401). Default [`crate::TOKEN`].
    pub token: String,
    /// Whether the snapshot.storage.k8s.io CRDs are installed (served and discovered).
    /// Default true.
    pub snapshot_crds: bool,
    /// Access reviews that are denied. Default none.
    pub denied: Vec<Denied>,
    /// Controller delays.
    pub timing: Timing,
    /// Injected faults.
    pub faults: Faults,
    /// The Kubernetes version `/version` reports (`major`, `minor`). Default 1.33.
    pub version: (u32, u32),
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            token: crate::TOKEN.into(),
            snapshot_crds: true,
            denied: Vec::new(),
            timing: Timing::default(),
            faults: Faults::default(),
            version: (1, 33),
        }
    }
}
