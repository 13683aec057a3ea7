//! StorageClasses and VolumeSnapshotClasses that platforms install themselves
//! (`catalog/platform-classes.yaml`): GKE's `standard-rwo`, AKS's `managed-csi`, kind's
//! `standard`, …. Manifests written for a platform name them without defining them.

use serde::{Deserialize, Serialize};

/// One class a platform installs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformClass {
    /// The class name.
    pub name: String,
    /// `StorageClass` (default) or `VolumeSnapshotClass`.
    #[serde(default = "storage_class")]
    pub kind: String,
    /// Its provisioner (or, for a snapshot class, its driver).
    pub provisioner: String,
    /// Who installs it.
    pub platform: String,
    /// Where that is documented.
    pub source: String,
}

fn storage_class() -> String {
    "StorageClass".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformClassFile {
    classes: Vec<PlatformClass>,
}

/// The classes platforms install.
#[derive(Clone, Debug)]
pub struct PlatformClasses {
    /// Entries in file order.
    pub classes: Vec<PlatformClass>,
}

impl PlatformClasses {
    /// The built-in list from `catalog/platform-classes.yaml`.
    pub fn builtin() -> PlatformClasses {
        let file: PlatformClassFile = super::parse_data(
            "catalog/platform-classes.yaml",
            include_str!("../../../../catalog/platform-classes.yaml"),
        )
        .unwrap_or_else(|e| panic!("built-in platform class list is invalid: {e}"));
        PlatformClasses { classes: file.classes }
    }

    /// The platforms that install a class of this kind and name (several for `standard`).
    pub fn named<'a>(&'a self, kind: &'a str, name: &'a str) -> impl Iterator<Item = &'a PlatformClass> + 'a {
        self.classes.iter().filter(move |c| c.kind == kind && c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_kinds_and_sources() {
        let list = PlatformClasses::builtin();
        for class in &list.classes {
            assert!(matches!(class.kind.as_str(), "StorageClass" | "VolumeSnapshotClass"), "{}", class.name);
            assert!(class.source.starts_with("https://"), "{}", class.name);
        }
        let standard: Vec<_> = list.named("StorageClass", "standard").map(|c| c.platform.as_str()).collect();
        assert_eq!(standard, ["GKE", "kind", "minikube"]);
        assert_eq!(list.named("StorageClass", "managed-csi").next().unwrap().platform, "AKS");
        assert!(list.named("VolumeSnapshotClass", "managed-csi").next().is_none());
    }
}
