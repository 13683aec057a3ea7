//! Vendor-reported drivers from `catalog/csi-drivers.csv`.
//!
//! Converted from kubernetes-csi/docs `book/src/drivers.md` @ 883ce07b (Apache-2.0);
//! "Information in this table has not been validated by Kubernetes SIG-Storage." Entries are
//! marked [`Confidence::Vendor`]: rules use them for hints, never to raise errors.

use serde::Deserialize;

use super::drivers::{
    AccessMode, AccessModeTable, Confidence, DriverSpec, FsGroupPolicy, StorageKind, Topology,
};

const SOURCE: &str = "kubernetes-csi/docs book/src/drivers.md @883ce07b (vendor-reported, Apache-2.0)";

#[derive(Deserialize)]
struct Row {
    name: String,
    driver_name: String,
    access_modes: String,
    features: String,
}

/// Drivers of the vendor table, one per usable driver name.
pub(super) fn vendor_drivers() -> Vec<DriverSpec> {
    let mut reader =
        ::csv::Reader::from_reader(include_str!("../../../../catalog/csi-drivers.csv").as_bytes());
    let mut drivers = Vec::new();
    for row in reader.deserialize::<Row>() {
        let row = row.unwrap_or_else(|e| panic!("catalog/csi-drivers.csv is invalid: {e}"));
        for name in row.driver_name.split(';').map(str::trim) {
            let usable = !name.is_empty() && !name.contains(['[', '?', ' ']);
            if usable {
                drivers.push(spec_from_row(&row, name));
            }
        }
    }
    drivers
}

fn spec_from_row(row: &Row, name: &str) -> DriverSpec {
    let multi = row.access_modes.contains("Multiple Pod");
    let features: Vec<&str> = row.features.split(';').map(str::trim).collect();
    let has = |prefix: &str| features.iter().any(|f| f.to_ascii_lowercase().starts_with(prefix));
    let modes = if multi {
        vec![
            AccessMode::ReadWriteOnce,
            AccessMode::ReadOnlyMany,
            AccessMode::ReadWriteMany,
            AccessMode::ReadWriteOncePod,
        ]
    } else {
        vec![AccessMode::ReadWriteOnce, AccessMode::ReadWriteOncePod]
    };
    let raw_block = has("raw block") || has("block");
    DriverSpec {
        name: name.to_string(),
        display_name: row.name.clone(),
        aliases: Vec::new(),
        suffixes: Vec::new(),
        csi: true,
        storage: if multi { StorageKind::File } else { StorageKind::Block },
        distributed: false,
        topology: Topology::Unknown,
        topology_keys: Vec::new(),
        access_modes: AccessModeTable {
            filesystem: modes.clone(),
            block: if raw_block { modes } else { Vec::new() },
        },
        conditional_access_modes: Vec::new(),
        variants: Vec::new(),
        snapshots: has("snapshot"),
        expansion: has("expansion"),
        cloning: has("cloning"),
        fs_group_policy: FsGroupPolicy::ReadWriteOnceWithFSType,
        attach_required: true,
        source: SOURCE.to_string(),
        notes: None,
        confidence: Confidence::Vendor,
        encryption: None,
        legacy_types: Vec::new(),
    }
}
