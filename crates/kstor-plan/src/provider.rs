//! Providers (`catalog/providers.yaml`): the driver and StorageClass parameters that realise each
//! kind of storage on a platform, and `--provisioner` offerings for any catalogued CSI driver.

use std::fmt;

use kstor_model::catalog::{Capabilities, Catalog, StorageKind, parse_data};
use kstor_model::strmap::StrMap;
use serde::{Deserialize, Serialize};

use crate::PlanError;

/// What an offering is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfferingKind {
    /// Single-writer block volumes.
    Block,
    /// Block volumes for fsync-bound data paths.
    Fast,
    /// Block volumes replicated across zones by the provider.
    Regional,
    /// A shared file system.
    File,
    /// A high-throughput parallel file system.
    Hpc,
}

impl fmt::Display for OfferingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OfferingKind::Block => "block",
            OfferingKind::Fast => "fast",
            OfferingKind::Regional => "regional",
            OfferingKind::File => "file",
            OfferingKind::Hpc => "hpc",
        })
    }
}

/// A StorageClass parameter with the reason for it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The parameter.
    pub name: String,
    /// Its value (`{uid}` is replaced by the workload's user).
    pub value: String,
    /// Why, for the comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Set when the user must fill the value in: what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
}

/// One way a provider stores data.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    /// The catalog driver.
    pub driver: String,
    /// The provisioner name the StorageClass uses, when not the driver's (`rook-ceph.rbd.csi.ceph.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioner: Option<String>,
    /// In words (`EBS gp3`).
    pub title: String,
    /// StorageClass parameters.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// VolumeSnapshotClass parameters.
    #[serde(default)]
    pub snapshot_parameters: Vec<Parameter>,
    /// StorageClass mount options.
    #[serde(default)]
    pub mount_options: Vec<String>,
    /// The smallest volume the service provisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<String>,
    /// The number of zones the offering spans (regional disks: 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<usize>,
}

impl Offering {
    /// The provisioner name for the StorageClass.
    pub fn provisioner(&self) -> &str {
        self.provisioner.as_deref().unwrap_or(&self.driver)
    }

    /// The parameters as the model's map (for capability lookups).
    pub fn parameter_map(&self) -> StrMap {
        self.parameters.iter().map(|p| (p.name.as_str().into(), p.value.as_str().into())).collect()
    }

    /// What the driver can do with these parameters.
    pub fn capabilities(&self, catalog: &Catalog) -> Capabilities {
        catalog
            .drivers
            .capabilities(self.provisioner(), &self.parameter_map())
            .expect("offerings name catalogued drivers (checked by a test)")
    }
}

/// The offerings of a provider, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Offerings {
    /// Block volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<Offering>,
    /// Fast block volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast: Option<Offering>,
    /// Cross-zone replicated block volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional: Option<Offering>,
    /// Shared file systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Offering>,
    /// Parallel file systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpc: Option<Offering>,
}

/// A provider.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Its id (`aws`).
    pub id: String,
    /// In words.
    pub title: String,
    /// Where the parameters come from.
    pub source: String,
    /// What it offers.
    pub offerings: Offerings,
}

impl Provider {
    /// The offering of a kind, with the documented fallbacks (`fast` → `block`, `hpc` → `file`).
    pub fn offering(&self, kind: OfferingKind) -> Option<(OfferingKind, &Offering)> {
        let o = &self.offerings;
        match kind {
            OfferingKind::Block => o.block.as_ref().map(|x| (OfferingKind::Block, x)),
            OfferingKind::Fast => o
                .fast
                .as_ref()
                .map(|x| (OfferingKind::Fast, x))
                .or_else(|| self.offering(OfferingKind::Block)),
            OfferingKind::Regional => o.regional.as_ref().map(|x| (OfferingKind::Regional, x)),
            OfferingKind::File => o.file.as_ref().map(|x| (OfferingKind::File, x)),
            OfferingKind::Hpc => {
                o.hpc.as_ref().map(|x| (OfferingKind::Hpc, x)).or_else(|| self.offering(OfferingKind::File))
            }
        }
    }

    /// Every offering the provider has.
    pub fn all(&self) -> Vec<(OfferingKind, &Offering)> {
        let o = &self.offerings;
        [
            (OfferingKind::Block, &o.block),
            (OfferingKind::Fast, &o.fast),
            (OfferingKind::Regional, &o.regional),
            (OfferingKind::File, &o.file),
            (OfferingKind::Hpc, &o.hpc),
        ]
        .into_iter()
        .filter_map(|(k, x)| x.as_ref().map(|x| (k, x)))
        .collect()
    }

    /// An ad-hoc provider for `--provisioner NAME`: the catalogued driver as the block or file
    /// offering (by what it stores), with encryption asked for where the driver needs it.
    pub fn for_provisioner(catalog: &Catalog, name: &str) -> Result<Provider, PlanError> {
        let found = catalog.drivers.lookup(name).ok_or_else(|| {
            PlanError::new(
                format!("the provisioner \"{name}\" is not in kstor's driver catalog"),
                "name a catalogued CSI driver (docs/catalog.md), or a --provider",
            )
        })?;
        if found.in_tree.is_some() || !found.spec.csi {
            return Err(PlanError::new(
                format!(
                    "\"{name}\" is not a CSI driver: generated bundles use CSI drivers only (snapshots, ReadWriteOncePod and expansion need CSI)"
                ),
                found
                    .in_tree
                    .and_then(|p| p.replacement_driver())
                    .map_or("name a CSI driver".to_string(), |r| {
                        format!("use its CSI replacement: --provisioner {r}")
                    }),
            ));
        }
        let spec = found.spec;
        let parameters = spec
            .encryption
            .as_ref()
            .filter(|e| !e.on_by_default)
            .map(|e| Parameter {
                name: e.parameter.clone(),
                value: e.enable_values.first().cloned().unwrap_or_else(|| "true".into()),
                why: Some(format!("{} encrypts only when asked ({})", spec.display_name, e.source)),
                required: None,
            })
            .into_iter()
            .collect();
        let offering = Offering {
            driver: spec.name.clone(),
            provisioner: (name != spec.name).then(|| name.to_string()),
            title: spec.display_name.clone(),
            parameters,
            snapshot_parameters: Vec::new(),
            mount_options: Vec::new(),
            min_size: None,
            zones: None,
        };
        let mut offerings = Offerings::default();
        match spec.storage {
            StorageKind::Block => offerings.block = Some(offering),
            StorageKind::File | StorageKind::Object => offerings.file = Some(offering),
            StorageKind::Memory => {
                return Err(PlanError::new(
                    format!("\"{name}\" serves memory-backed volumes, not storage for data"),
                    "use an emptyDir (medium: Memory) for scratch, or a block or file driver for data",
                ));
            }
        }
        Ok(Provider {
            id: format!("provisioner:{name}"),
            title: spec.display_name.clone(),
            source: spec.source.clone(),
            offerings,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderFile {
    providers: Vec<Provider>,
}

/// The built-in providers.
#[derive(Clone, Debug)]
pub struct ProviderCatalog {
    /// Providers in catalog order.
    pub providers: Vec<Provider>,
}

impl ProviderCatalog {
    /// The built-in catalog from `catalog/providers.yaml`.
    pub fn builtin() -> ProviderCatalog {
        let file: ProviderFile =
            parse_data("catalog/providers.yaml", include_str!("../../../catalog/providers.yaml"))
                .unwrap_or_else(|e| panic!("built-in provider catalog is invalid: {e}"));
        ProviderCatalog { providers: file.providers }
    }

    /// A provider by id, with a clear error listing the known ones.
    pub fn get(&self, id: &str) -> Result<&Provider, PlanError> {
        self.providers.iter().find(|p| p.id.eq_ignore_ascii_case(id.trim())).ok_or_else(|| {
            PlanError::new(
                format!("unknown provider \"{id}\""),
                format!(
                    "choose one of {}, or --provisioner NAME for another CSI driver",
                    self.providers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offering_names_a_curated_csi_driver_and_sets_no_legacy_type() {
        let catalog = Catalog::builtin();
        let providers = ProviderCatalog::builtin();
        let ids: Vec<&str> = providers.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["aws", "gcp", "azure", "ceph", "longhorn", "openebs", "topolvm", "local-path", "nfs"]
        );
        for provider in &providers.providers {
            assert!(!provider.all().is_empty(), "{}", provider.id);
            for (kind, offering) in provider.all() {
                let found = catalog.drivers.lookup(offering.provisioner()).expect("catalogued");
                assert_eq!(found.spec.name, offering.driver, "{} {kind}", provider.id);
                let caps = offering.capabilities(&catalog);
                let block_kind =
                    matches!(kind, OfferingKind::Block | OfferingKind::Fast | OfferingKind::Regional);
                let shared =
                    caps.access_modes.filesystem.contains(&kstor_model::catalog::AccessMode::ReadWriteMany);
                assert!(
                    if block_kind { caps.storage == StorageKind::Block } else { shared },
                    "{} {kind}",
                    provider.id
                );
                let map = offering.parameter_map();
                for legacy in &found.spec.legacy_types {
                    let value = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(&legacy.parameter));
                    assert!(
                        !value.is_some_and(|(_, v)| legacy.matches(v)),
                        "{} {kind} picks a legacy type",
                        provider.id
                    );
                }
                if let Some(encryption) = &found.spec.encryption {
                    assert!(
                        !encryption.leaves_unencrypted(&map),
                        "{} {kind} leaves volumes unencrypted",
                        provider.id
                    );
                }
            }
        }
        let gcp = providers.get("GCP").unwrap();
        assert!(gcp.offering(OfferingKind::Regional).unwrap().1.capabilities(&catalog).distributed);
        assert!(providers.get("digitalocean").unwrap_err().hint.contains("--provisioner"));
    }

    #[test]
    fn provisioner_offerings_follow_the_driver_catalog() {
        let catalog = Catalog::builtin();
        let ebs = Provider::for_provisioner(&catalog, "ebs.csi.aws.com").unwrap();
        let block = ebs.offering(OfferingKind::Block).unwrap().1;
        assert_eq!(block.parameters[0].name, "encrypted");
        assert!(ebs.offering(OfferingKind::File).is_none());
        let error = Provider::for_provisioner(&catalog, "kubernetes.io/aws-ebs").unwrap_err();
        assert!(error.hint.contains("ebs.csi.aws.com"), "{error}");
        assert!(Provider::for_provisioner(&catalog, "nope.example.com").is_err());
    }
}
