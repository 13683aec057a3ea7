//! The CSI driver capability catalog.

use std::collections::HashMap;

use crate::strmap::StrMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A PersistentVolume access mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
pub enum AccessMode {
    /// Read-write by a single node.
    ReadWriteOnce,
    /// Read-only by many nodes.
    ReadOnlyMany,
    /// Read-write by many nodes.
    ReadWriteMany,
    /// Read-write by a single pod (CSI only, GA 1.29).
    ReadWriteOncePod,
}

impl AccessMode {
    /// Parses the API spelling.
    pub fn parse(text: &str) -> Option<AccessMode> {
        Some(match text {
            "ReadWriteOnce" => AccessMode::ReadWriteOnce,
            "ReadOnlyMany" => AccessMode::ReadOnlyMany,
            "ReadWriteMany" => AccessMode::ReadWriteMany,
            "ReadWriteOncePod" => AccessMode::ReadWriteOncePod,
            _ => return None,
        })
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }

    /// True for the single-writer modes (RWO, RWOP).
    pub fn is_single_node(self) -> bool {
        matches!(self, AccessMode::ReadWriteOnce | AccessMode::ReadWriteOncePod)
    }
}

impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A claim's `volumeMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum VolumeMode {
    /// A mounted filesystem (the default).
    #[default]
    Filesystem,
    /// A raw block device.
    Block,
}

impl fmt::Display for VolumeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VolumeMode::Filesystem => "Filesystem",
            VolumeMode::Block => "Block",
        })
    }
}

/// Where a driver's volumes can be used from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// Bound to one zone (or a few, for regional disks): pods must run there.
    Zonal,
    /// Bound to one node.
    NodeLocal,
    /// Reachable from every node (network file systems, replicated storage).
    None,
    /// Not known (vendor-reported drivers without topology details).
    Unknown,
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Topology::Zonal => "zonal",
            Topology::NodeLocal => "node-local",
            Topology::None => "none",
            Topology::Unknown => "unknown",
        })
    }
}

/// What a driver stores data on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageKind {
    /// Block devices (a filesystem is made on them for Filesystem volumes).
    Block,
    /// A shared (network) file system.
    File,
    /// An object store mounted as files (FUSE).
    Object,
    /// Memory (tmpfs).
    Memory,
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageKind::Block => "block",
            StorageKind::File => "file",
            StorageKind::Object => "object",
            StorageKind::Memory => "memory",
        })
    }
}

/// `CSIDriver.spec.fsGroupPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum FsGroupPolicy {
    /// Apply fsGroup only when the volume has an fsType and an RWO/RWOP access mode (default).
    #[default]
    ReadWriteOnceWithFSType,
    /// Always apply fsGroup.
    File,
    /// Never apply fsGroup.
    None,
}

impl FsGroupPolicy {
    /// Parses the API spelling.
    pub fn parse(text: &str) -> Option<FsGroupPolicy> {
        Some(match text {
            "ReadWriteOnceWithFSType" => FsGroupPolicy::ReadWriteOnceWithFSType,
            "File" => FsGroupPolicy::File,
            "None" => FsGroupPolicy::None,
            _ => return None,
        })
    }
}

/// Access modes per volume mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessModeTable {
    /// Modes supported with `volumeMode: Filesystem`.
    #[serde(default)]
    pub filesystem: Vec<AccessMode>,
    /// Modes supported with `volumeMode: Block`.
    #[serde(default)]
    pub block: Vec<AccessMode>,
}

impl AccessModeTable {
    /// The modes for one volume mode.
    pub fn for_mode(&self, mode: VolumeMode) -> &[AccessMode] {
        match mode {
            VolumeMode::Filesystem => &self.filesystem,
            VolumeMode::Block => &self.block,
        }
    }
}

/// A condition on StorageClass parameters (keys and values compare case-insensitively;
/// values may use `*` as a wildcard).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterCondition {
    /// Parameter names, any of which may carry the value.
    pub parameter: Vec<String>,
    /// Accepted values (`*` wildcards allowed).
    pub values: Vec<String>,
}

impl ParameterCondition {
    /// True when one of the named parameters has one of the values.
    pub fn matches(&self, parameters: &StrMap) -> bool {
        parameters.iter().any(|(key, value)| {
            self.parameter.iter().any(|p| p.eq_ignore_ascii_case(key))
                && self.values.iter().any(|pattern| wildcard_match(pattern, value))
        })
    }
}

fn wildcard_match(pattern: &str, value: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let value = value.to_ascii_lowercase();
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len() && value.starts_with(prefix) && value.ends_with(suffix)
        }
    }
}

/// Extra access modes available only with certain parameters (e.g. EBS io2 Multi-Attach).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalModes {
    /// The modes added.
    pub modes: Vec<AccessMode>,
    /// The volume mode they apply to.
    pub volume_mode: VolumeMode,
    /// When they apply.
    pub when: ParameterCondition,
    /// Why, for messages.
    pub note: String,
}

/// A parameter-dependent variant of a driver (regional disks, zone-redundant SKUs).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// When the variant applies.
    pub when: ParameterCondition,
    /// Its name, for messages (`regional PD`).
    pub name: String,
    /// Topology override.
    #[serde(default)]
    pub topology: Option<Topology>,
    /// Replicated across failure domains (the distributed pattern).
    #[serde(default)]
    pub distributed: Option<bool>,
}

/// How a StorageClass asks a driver to encrypt its volumes (KS804).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// The parameter (compared case-insensitively, like most drivers do).
    pub parameter: String,
    /// Values that turn encryption on (compared case-insensitively).
    pub enable_values: Vec<String>,
    /// Whether volumes are encrypted when the parameter is unset (false: only when asked).
    #[serde(default)]
    pub on_by_default: bool,
    /// Where the facts come from (a URL).
    pub source: String,
    /// A caveat for messages (account-wide defaults, storage-layer encryption).
    #[serde(default)]
    pub note: Option<String>,
    /// At-rest encryption of this driver's volumes usually lives below the driver (Ceph's
    /// encrypted OSD devices), so an unencrypted class is worth knowing, not a warning:
    /// KS804 reports it as info.
    #[serde(default)]
    pub advisory: bool,
}

impl Encryption {
    /// The value of the encryption parameter in these parameters, with its key as written.
    pub fn value<'p>(&self, parameters: &'p StrMap) -> Option<(&'p str, &'p str)> {
        parameters
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(&self.parameter))
            .map(|(key, value)| (key.as_ref(), value.as_ref()))
    }

    /// True when these parameters leave volumes unencrypted.
    pub fn leaves_unencrypted(&self, parameters: &StrMap) -> bool {
        match self.value(parameters) {
            Some((_, value)) => !self.enable_values.iter().any(|v| v.eq_ignore_ascii_case(value.trim())),
            None => !self.on_by_default,
        }
    }
}

/// A superseded volume type a parameter can pick (KS805).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyType {
    /// The parameter (compared case-insensitively).
    pub parameter: String,
    /// The superseded values (compared case-insensitively).
    pub values: Vec<String>,
    /// What to use instead.
    pub replacement: String,
    /// Why, for messages.
    pub why: String,
    /// Where the facts come from (a URL).
    pub source: String,
}

impl LegacyType {
    /// True when `value` is one of the superseded values.
    pub fn matches(&self, value: &str) -> bool {
        self.values.iter().any(|v| v.eq_ignore_ascii_case(value.trim()))
    }
}

/// How much a catalog entry can be trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Checked against the driver's own documentation; rules may raise errors on it.
    #[default]
    Curated,
    /// From the vendor-reported CSI driver table; used for hints, never for errors.
    Vendor,
}

/// One driver (or external provisioner) and what it can do.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriverSpec {
    /// The CSI driver / provisioner name.
    pub name: String,
    /// A human name (`Amazon EBS`).
    pub display_name: String,
    /// Other provisioner names that mean this driver.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Provisioner names ending with one of these also mean this driver
    /// (Rook prefixes: `rook-ceph.rbd.csi.ceph.com`).
    #[serde(default)]
    pub suffixes: Vec<String>,
    /// True for CSI drivers (ReadWriteOncePod and VolumeSnapshots need CSI).
    pub csi: bool,
    /// What the data sits on.
    pub storage: StorageKind,
    /// Data is replicated by the storage layer across nodes (Ceph, Longhorn, Portworx).
    #[serde(default)]
    pub distributed: bool,
    /// Where volumes can be used from.
    pub topology: Topology,
    /// Node label keys the driver publishes for its topology.
    #[serde(default)]
    pub topology_keys: Vec<String>,
    /// Supported access modes per volume mode.
    pub access_modes: AccessModeTable,
    /// Access modes that need particular parameters.
    #[serde(default)]
    pub conditional_access_modes: Vec<ConditionalModes>,
    /// Parameter-dependent variants.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Supports VolumeSnapshots.
    pub snapshots: bool,
    /// Supports volume expansion.
    pub expansion: bool,
    /// Supports cloning from a PVC data source.
    pub cloning: bool,
    /// Default `fsGroupPolicy` of its CSIDriver object.
    #[serde(default)]
    pub fs_group_policy: FsGroupPolicy,
    /// Whether volumes are attached by the controller (Multi-Attach checks apply).
    pub attach_required: bool,
    /// Where the facts come from.
    pub source: String,
    /// Anything a user should know.
    #[serde(default)]
    pub notes: Option<String>,
    /// How much the entry can be trusted.
    #[serde(default)]
    pub confidence: Confidence,
    /// How a StorageClass turns on encryption at rest, for drivers that encrypt only when
    /// asked (or encrypt unless told not to).
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// Parameter values that pick a superseded volume type.
    #[serde(default)]
    pub legacy_types: Vec<LegacyType>,
}

/// An in-tree volume plugin and its CSI replacement.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InTreePlugin {
    /// Provisioner name (`kubernetes.io/aws-ebs`).
    pub name: String,
    /// The pod/PV volume source field (`awsElasticBlockStore`).
    #[serde(default)]
    pub volume_source: Option<String>,
    /// The CSI driver operations are redirected to, if any.
    #[serde(default)]
    pub csi: Option<String>,
    /// Kubernetes version it was deprecated in.
    #[serde(default)]
    pub deprecated_in: Option<String>,
    /// Kubernetes version its code was removed in.
    #[serde(default)]
    pub removed_in: Option<String>,
    /// Kubernetes version CSI migration was on by default.
    #[serde(default)]
    pub migrated_in: Option<String>,
    /// The CSI driver to move to when there is no migration (`rbd.csi.ceph.com` for the
    /// removed in-tree `rbd` plugin); for messages.
    #[serde(default)]
    pub replacement: Option<String>,
    /// StorageClass parameters the in-tree provisioner assumed when they were unset
    /// (`type: gp2` for aws-ebs), which its CSI replacement may not share.
    #[serde(default)]
    pub parameter_defaults: Vec<ParameterDefault>,
    /// How a StorageClass of this provisioner is rewritten for its CSI driver (the rules of
    /// kubernetes/csi-translation-lib), for `kstor lint --fix` (KS801).
    #[serde(default)]
    pub class_translation: Option<ClassTranslation>,
}

/// The StorageClass translation from an in-tree provisioner to its CSI driver, as
/// csi-translation-lib's `TranslateInTreeStorageClassToCSI` does it. Parameter names match
/// case-insensitively, as there; parameters not named here carry over unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassTranslation {
    /// Parameters renamed, lower-case in-tree name → CSI name (`fstype` →
    /// `csi.storage.k8s.io/fstype`).
    #[serde(default)]
    pub rename: std::collections::BTreeMap<String, String>,
    /// The driver's zone topology key: `zone`/`zones` parameters become `allowedTopologies`
    /// with it, and zone keys of existing `allowedTopologies` are rewritten to it.
    #[serde(default)]
    pub zone_topology_key: Option<String>,
    /// Parameters added when another is present: lower-case trigger → (parameter, value)
    /// (`iopspergb` → `allowautoiopspergbincrease: "true"` for EBS).
    #[serde(default)]
    pub adds: std::collections::BTreeMap<String, (String, String)>,
    /// Parameters (lower-case) the CSI driver has no counterpart for: a class using one is
    /// not rewritten, only the change is suggested.
    #[serde(default)]
    pub unsupported: Vec<String>,
    /// Where the translation comes from.
    pub source: String,
}

/// A parameter value an in-tree provisioner used when the parameter was unset.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterDefault {
    /// The parameter.
    pub parameter: String,
    /// The value used when it is unset.
    pub value: String,
    /// Where the facts come from (a URL).
    pub source: String,
}

impl InTreePlugin {
    /// True when the plugin is deprecated or removed (not nfs, iscsi, local, hostPath, …).
    pub fn is_deprecated(&self) -> bool {
        self.deprecated_in.is_some() || self.removed_in.is_some()
    }

    /// The CSI driver that replaces it: the migration target, or the suggested replacement.
    pub fn replacement_driver(&self) -> Option<&str> {
        if self.migrated_in.is_some() { self.csi.as_deref() } else { self.replacement.as_deref() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DriverFile {
    drivers: Vec<DriverSpec>,
    sidecar_resources: Vec<SidecarResources>,
    in_tree: Vec<InTreePlugin>,
}

/// Reference resources for a kubernetes-csi sidecar (KS802's fix).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarResources {
    /// The sidecar (`csi-provisioner`), as kstor recognises its image.
    pub sidecar: String,
    /// `resources.requests`, in this order.
    pub requests: std::collections::BTreeMap<String, String>,
    /// `resources.limits`.
    pub limits: std::collections::BTreeMap<String, String>,
    /// Where the values come from (a URL).
    pub source: String,
}

/// Capabilities of a driver for one StorageClass's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The driver name.
    pub driver: String,
    /// Display name (`GCE Persistent Disk`).
    pub display_name: String,
    /// The parameter variant that applied, if any (`regional PD`).
    pub variant: Option<String>,
    /// Topology after variants.
    pub topology: Topology,
    /// Storage kind.
    pub storage: StorageKind,
    /// Replicated by the storage layer.
    pub distributed: bool,
    /// Access modes after conditional modes.
    pub access_modes: AccessModeTable,
    /// Snapshots.
    pub snapshots: bool,
    /// Expansion.
    pub expansion: bool,
    /// Cloning.
    pub cloning: bool,
    /// fsGroup policy.
    pub fs_group_policy: FsGroupPolicy,
    /// Attach required.
    pub attach_required: bool,
    /// CSI driver.
    pub csi: bool,
    /// Topology keys.
    pub topology_keys: Vec<String>,
    /// Trust.
    pub confidence: Confidence,
}

/// The result of looking up a provisioner name.
#[derive(Clone, Copy, Debug)]
pub struct DriverMatch<'a> {
    /// The driver (for an in-tree name: its CSI replacement).
    pub spec: &'a DriverSpec,
    /// The in-tree plugin the name referred to, if it was one.
    pub in_tree: Option<&'a InTreePlugin>,
}

/// All known drivers, indexed by name.
#[derive(Clone, Debug, Default)]
pub struct DriverCatalog {
    drivers: Vec<DriverSpec>,
    by_name: HashMap<String, usize>,
    suffixes: Vec<(String, usize)>,
    in_tree: HashMap<String, InTreePlugin>,
    sidecar_resources: Vec<SidecarResources>,
}

impl DriverCatalog {
    /// The built-in catalog: curated drivers, in-tree plugins and the vendor CSI table.
    pub fn builtin() -> DriverCatalog {
        let file: DriverFile =
            super::parse_data("catalog/drivers.yaml", include_str!("../../../../catalog/drivers.yaml"))
                .unwrap_or_else(|e| panic!("built-in driver catalog is invalid: {e}"));
        let mut catalog = DriverCatalog::default();
        for spec in super::csv::vendor_drivers() {
            catalog.insert(spec);
        }
        for spec in file.drivers {
            catalog.insert(spec);
        }
        catalog.sidecar_resources = file.sidecar_resources;
        for plugin in file.in_tree {
            catalog.in_tree.insert(plugin.name.clone(), plugin);
        }
        catalog
    }

    /// Adds a driver, replacing any entry with the same name.
    pub fn insert(&mut self, spec: DriverSpec) {
        let index = match self.by_name.get(&spec.name) {
            Some(&i) => {
                self.drivers[i] = spec;
                i
            }
            None => {
                self.drivers.push(spec);
                self.drivers.len() - 1
            }
        };
        let spec = &self.drivers[index];
        for alias in &spec.aliases {
            self.by_name.insert(alias.clone(), index);
        }
        self.by_name.insert(spec.name.clone(), index);
        for suffix in &spec.suffixes {
            self.suffixes.push((suffix.clone(), index));
        }
    }

    /// Looks up a provisioner or CSI driver name (in-tree names resolve to their CSI driver).
    pub fn lookup(&self, name: &str) -> Option<DriverMatch<'_>> {
        let in_tree = self.in_tree.get(name);
        let target = in_tree.and_then(|p| p.csi.as_deref()).unwrap_or(name);
        let index = self.by_name.get(target).copied().or_else(|| {
            self.suffixes.iter().find(|(suffix, _)| target.ends_with(suffix.as_str())).map(|(_, i)| *i)
        });
        index.map(|i| DriverMatch { spec: &self.drivers[i], in_tree })
    }

    /// Every name [`lookup`](Self::lookup) resolves without a suffix (driver names, aliases,
    /// in-tree provisioner names), with the driver it resolves to, sorted by name. For
    /// exporting the lookup to other languages (`kstor export vap`).
    pub fn exact_names(&self) -> Vec<(&str, &DriverSpec)> {
        let mut names: Vec<(&str, &DriverSpec)> = self
            .by_name
            .keys()
            .chain(self.in_tree.keys())
            .filter_map(|name| self.lookup(name).map(|found| (name.as_str(), found.spec)))
            .collect();
        names.sort_unstable_by_key(|(name, _)| *name);
        names.dedup_by_key(|(name, _)| *name);
        names
    }

    /// The suffixes [`lookup`](Self::lookup) falls back to, in the order it tries them, with
    /// the driver each resolves to.
    pub fn suffix_rules(&self) -> Vec<(&str, &DriverSpec)> {
        self.suffixes.iter().map(|(suffix, i)| (suffix.as_str(), &self.drivers[*i])).collect()
    }

    /// Capabilities of a provisioner for a StorageClass's parameters. `driver` is the name
    /// the driver runs under: the provisioner itself (`rook-ceph.rbd.csi.ceph.com`), or the
    /// CSI replacement of an in-tree name.
    pub fn capabilities(&self, provisioner: &str, parameters: &StrMap) -> Option<Capabilities> {
        let found = self.lookup(provisioner)?;
        let mut caps = found.spec.capabilities(parameters);
        caps.driver = match found.in_tree {
            Some(plugin) => plugin.csi.clone().unwrap_or_else(|| provisioner.to_string()),
            None => provisioner.to_string(),
        };
        Some(caps)
    }

    /// Every in-tree plugin, by name.
    pub fn in_tree_plugins(&self) -> impl Iterator<Item = &InTreePlugin> {
        let mut plugins: Vec<&InTreePlugin> = self.in_tree.values().collect();
        plugins.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        plugins.into_iter()
    }

    /// The in-tree plugin with this provisioner name.
    pub fn in_tree(&self, name: &str) -> Option<&InTreePlugin> {
        self.in_tree.get(name)
    }

    /// Reference resources for a CSI sidecar (`csi-provisioner`), when the catalog has them.
    pub fn sidecar_resources(&self, sidecar: &str) -> Option<&SidecarResources> {
        self.sidecar_resources.iter().find(|s| s.sidecar == sidecar)
    }

    /// The in-tree plugin for a pod/PV volume source field (`awsElasticBlockStore`).
    pub fn in_tree_by_volume_source(&self, field: &str) -> Option<&InTreePlugin> {
        self.in_tree.values().find(|p| p.volume_source.as_deref() == Some(field))
    }

    /// Every driver, curated and vendor-reported.
    pub fn drivers(&self) -> &[DriverSpec] {
        &self.drivers
    }
}

impl DriverSpec {
    /// Capabilities for a StorageClass with these parameters.
    pub fn capabilities(&self, parameters: &StrMap) -> Capabilities {
        let mut caps = Capabilities {
            driver: self.name.clone(),
            display_name: self.display_name.clone(),
            variant: None,
            topology: self.topology,
            storage: self.storage,
            distributed: self.distributed,
            access_modes: self.access_modes.clone(),
            snapshots: self.snapshots,
            expansion: self.expansion,
            cloning: self.cloning,
            fs_group_policy: self.fs_group_policy,
            attach_required: self.attach_required,
            csi: self.csi,
            topology_keys: self.topology_keys.clone(),
            confidence: self.confidence,
        };
        for variant in self.variants.iter().filter(|v| v.when.matches(parameters)) {
            caps.variant = Some(variant.name.clone());
            if let Some(t) = variant.topology {
                caps.topology = t;
            }
            if let Some(d) = variant.distributed {
                caps.distributed = d;
            }
        }
        for extra in self.conditional_access_modes.iter().filter(|c| c.when.matches(parameters)) {
            let modes = match extra.volume_mode {
                VolumeMode::Filesystem => &mut caps.access_modes.filesystem,
                VolumeMode::Block => &mut caps.access_modes.block,
            };
            for mode in &extra.modes {
                if !modes.contains(mode) {
                    modes.push(*mode);
                }
            }
        }
        caps
    }

    /// Notes of conditional modes that would enable `mode` for `volume_mode`, for messages.
    pub fn conditional_note(&self, mode: AccessMode, volume_mode: VolumeMode) -> Option<&str> {
        self.conditional_access_modes
            .iter()
            .find(|c| c.volume_mode == volume_mode && c.modes.contains(&mode))
            .map(|c| c.note.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> StrMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn builtin_catalog_covers_the_required_drivers() {
        let catalog = DriverCatalog::builtin();
        for name in [
            "ebs.csi.aws.com",
            "efs.csi.aws.com",
            "fsx.csi.aws.com",
            "pd.csi.storage.gke.io",
            "filestore.csi.storage.gke.io",
            "disk.csi.azure.com",
            "file.csi.azure.com",
            "rbd.csi.ceph.com",
            "cephfs.csi.ceph.com",
            "driver.longhorn.io",
            "local.csi.openebs.io",
            "zfs.csi.openebs.io",
            "openebs.io/local",
            "topolvm.io",
            "rancher.io/local-path",
            "kubernetes.io/no-provisioner",
            "nfs.csi.k8s.io",
            "smb.csi.k8s.io",
            "csi.vsphere.vmware.com",
            "pxd.portworx.com",
            "hostpath.csi.k8s.io",
        ] {
            let found = catalog.lookup(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(found.spec.confidence, Confidence::Curated, "{name}");
        }
    }

    #[test]
    fn in_tree_names_resolve_to_their_csi_driver() {
        let catalog = DriverCatalog::builtin();
        let m = catalog.lookup("kubernetes.io/aws-ebs").unwrap();
        assert_eq!(m.spec.name, "ebs.csi.aws.com");
        assert_eq!(m.in_tree.unwrap().removed_in.as_deref(), Some("1.27"));
        let gluster = catalog.lookup("kubernetes.io/glusterfs").unwrap();
        assert!(!gluster.spec.attach_required && !gluster.spec.csi);
        assert!(catalog.lookup("kubernetes.io/rbd").is_none(), "removed, no replacement entry");
        let nfs = catalog.in_tree_by_volume_source("nfs").unwrap();
        assert!(!catalog.lookup(&nfs.name).unwrap().spec.attach_required);
    }

    #[test]
    fn rook_prefixed_ceph_names_match_by_suffix() {
        let catalog = DriverCatalog::builtin();
        assert_eq!(catalog.lookup("rook-ceph.rbd.csi.ceph.com").unwrap().spec.name, "rbd.csi.ceph.com");
        assert_eq!(
            catalog.lookup("my-cluster.cephfs.csi.ceph.com").unwrap().spec.name,
            "cephfs.csi.ceph.com"
        );
    }

    #[test]
    fn variants_and_conditional_modes_follow_parameters() {
        let catalog = DriverCatalog::builtin();
        let ebs = catalog.lookup("ebs.csi.aws.com").unwrap().spec;
        let gp3 = ebs.capabilities(&params(&[("type", "gp3")]));
        assert!(!gp3.access_modes.block.contains(&AccessMode::ReadWriteMany));
        let io2 = ebs.capabilities(&params(&[("type", "io2")]));
        assert!(io2.access_modes.block.contains(&AccessMode::ReadWriteMany));
        assert!(!io2.access_modes.filesystem.contains(&AccessMode::ReadWriteMany));

        let disk = catalog.lookup("disk.csi.azure.com").unwrap().spec;
        assert_eq!(disk.capabilities(&params(&[("skuName", "Premium_LRS")])).topology, Topology::Zonal);
        assert_eq!(disk.capabilities(&params(&[("skuname", "Premium_ZRS")])).topology, Topology::None);

        let pd = catalog.lookup("pd.csi.storage.gke.io").unwrap().spec;
        let regional = pd.capabilities(&params(&[("replication-type", "regional-pd")]));
        assert_eq!(regional.variant.as_deref(), Some("regional PD"));
    }

    #[test]
    fn capabilities_carry_the_deployed_driver_name() {
        let catalog = DriverCatalog::builtin();
        let rook = catalog.capabilities("rook-ceph.rbd.csi.ceph.com", &params(&[])).unwrap();
        assert_eq!(rook.driver, "rook-ceph.rbd.csi.ceph.com");
        let in_tree = catalog.capabilities("kubernetes.io/gce-pd", &params(&[])).unwrap();
        assert_eq!(in_tree.driver, "pd.csi.storage.gke.io");
    }

    #[test]
    fn encryption_and_legacy_types_are_data() {
        let catalog = DriverCatalog::builtin();
        let ebs = catalog.lookup("ebs.csi.aws.com").unwrap().spec;
        let enc = ebs.encryption.as_ref().expect("EBS encrypts only when asked");
        assert!(enc.leaves_unencrypted(&params(&[("type", "gp3")])));
        assert!(enc.leaves_unencrypted(&params(&[("encrypted", "false")])));
        assert!(!enc.leaves_unencrypted(&params(&[("Encrypted", "TRUE")])));
        assert!(!enc.on_by_default);
        for always_encrypted in ["pd.csi.storage.gke.io", "disk.csi.azure.com"] {
            assert!(
                catalog.lookup(always_encrypted).unwrap().spec.encryption.is_none(),
                "{always_encrypted}"
            );
        }
        for opt_in in ["rbd.csi.ceph.com", "driver.longhorn.io", "kubernetes.io/aws-ebs"] {
            assert!(catalog.lookup(opt_in).unwrap().spec.encryption.is_some(), "{opt_in}");
        }
        let gp2 = ebs.legacy_types.iter().find(|l| l.matches("GP2")).unwrap();
        assert_eq!(gp2.replacement, "gp3");
        assert!(ebs.legacy_types.iter().any(|l| l.matches("io1")));
        assert!(!ebs.legacy_types.iter().any(|l| l.matches("gp3") || l.matches("io2")));
        let in_tree = catalog.in_tree("kubernetes.io/aws-ebs").unwrap();
        assert_eq!(in_tree.parameter_defaults[0].value, "gp2");
    }

    #[test]
    fn in_tree_replacements_distinguish_migration_from_removal() {
        let catalog = DriverCatalog::builtin();
        assert_eq!(
            catalog.in_tree("kubernetes.io/gce-pd").unwrap().replacement_driver(),
            Some("pd.csi.storage.gke.io")
        );
        assert_eq!(
            catalog.in_tree("kubernetes.io/cephfs").unwrap().replacement_driver(),
            Some("cephfs.csi.ceph.com")
        );
        assert_eq!(catalog.in_tree("kubernetes.io/glusterfs").unwrap().replacement_driver(), None);
        assert!(!catalog.in_tree("kubernetes.io/nfs").unwrap().is_deprecated());
        assert!(catalog.in_tree("kubernetes.io/flocker").unwrap().is_deprecated());
    }

    #[test]
    fn vendor_table_fills_in_other_drivers() {
        let catalog = DriverCatalog::builtin();
        let juicefs = catalog.lookup("csi.juicefs.com").expect("from the CSV");
        assert_eq!(juicefs.spec.confidence, Confidence::Vendor);
        assert_eq!(juicefs.spec.topology, Topology::Unknown);
        assert!(catalog.drivers().len() > 100);
    }
}
