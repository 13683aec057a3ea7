//! The inventory header of `kstor audit`: what the cluster has, before what is wrong with it.
//!
//! Built from the same graph the rules ran on: nodes per zone, StorageClasses (with the API's
//! defaults made explicit), snapshot classes, CSI drivers, claims and capacity per class, and
//! the orphaned capacity KS902 reports, with its monthly cost when a price is given.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kstor_model::catalog::FsGroupPolicy;
use kstor_model::graph::{ClaimOrigin, ClassRef, ClassResolution, StorageGraph};
use kstor_rules::live::{gib, monthly_cost, orphaned_volumes};
use kstor_rules::{AuditFacts, SnapshotApi};
use kstor_text::{Align, Columns, layout};
use serde::Serialize;

/// What the cluster holds, as the audit header shows it (and `inventory` in JSON).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// Where the objects came from: `context prod (https://…)` or the dump files.
    pub source: String,
    /// The clock ages were computed against (RFC 3339).
    pub now: String,
    /// Nodes, per zone.
    pub nodes: Nodes,
    /// StorageClasses, by name.
    pub storage_classes: Vec<StorageClassRow>,
    /// Whether `snapshot.storage.k8s.io` is served: `served`, `missing` or `unknown`.
    pub snapshot_api: &'static str,
    /// VolumeSnapshotClasses, by name.
    pub snapshot_classes: Vec<SnapshotClassRow>,
    /// CSIDriver objects, by name.
    pub csi_drivers: Vec<CsiDriverRow>,
    /// PersistentVolumeClaims and their capacity per StorageClass.
    pub claims: Vec<ClaimsRow>,
    /// PersistentVolumes by phase.
    pub volumes: Volumes,
    /// Released volumes kept by `Retain` (KS902).
    pub orphaned: Orphaned,
    /// Resources the API refused to list (each also a warning on stderr).
    pub skipped: Vec<String>,
}

/// Node counts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Nodes {
    /// All nodes.
    pub total: usize,
    /// Ready and not cordoned.
    pub schedulable: usize,
    /// Per `topology.kubernetes.io/zone` (`null` for nodes without the label).
    pub zones: Vec<ZoneRow>,
}

/// Nodes of one zone.
#[derive(Clone, Debug, Serialize)]
pub struct ZoneRow {
    /// The zone label.
    pub zone: Option<String>,
    /// Nodes in it.
    pub nodes: usize,
    /// Of which Ready and not cordoned.
    pub schedulable: usize,
}

/// One StorageClass.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageClassRow {
    /// Name.
    pub name: String,
    /// `provisioner`.
    pub provisioner: String,
    /// `volumeBindingMode` (the API default `Immediate` when unset).
    pub binding_mode: String,
    /// `reclaimPolicy` (the API default `Delete` when unset).
    pub reclaim_policy: String,
    /// `allowVolumeExpansion: true`.
    pub expansion: bool,
    /// Marked default.
    pub default: bool,
}

/// One VolumeSnapshotClass.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotClassRow {
    /// Name.
    pub name: String,
    /// `driver`.
    pub driver: String,
    /// `deletionPolicy`.
    pub deletion_policy: Option<String>,
    /// Default for its driver.
    pub default: bool,
}

/// One CSIDriver object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsiDriverRow {
    /// The driver name.
    pub name: String,
    /// `attachRequired`.
    pub attach_required: bool,
    /// `fsGroupPolicy`.
    pub fs_group_policy: FsGroupPolicy,
}

/// Claims of one StorageClass.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimsRow {
    /// The class name (`null` for claims with no class, `""`).
    pub class: Option<String>,
    /// Claims.
    pub claims: usize,
    /// Of which Bound.
    pub bound: usize,
    /// Of which Pending.
    pub pending: usize,
    /// Of which Lost.
    pub lost: usize,
    /// Sum of `resources.requests.storage`, bytes.
    pub requested_bytes: f64,
    /// Sum of `status.capacity.storage` (what the bound volumes provide), bytes.
    pub capacity_bytes: f64,
}

/// PersistentVolumes.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volumes {
    /// All PVs.
    pub total: usize,
    /// Sum of `spec.capacity.storage`, bytes.
    pub capacity_bytes: f64,
    /// Count per `status.phase` (`Unknown` when absent).
    pub phases: BTreeMap<String, usize>,
}

/// Orphaned capacity.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphaned {
    /// Released PVs with `Retain`.
    pub volumes: usize,
    /// Their capacity, bytes.
    pub bytes: f64,
    /// Monthly cost at `--price-per-gib-month`.
    pub monthly_cost: Option<f64>,
}

impl Inventory {
    /// The inventory of a cluster graph.
    pub fn of(graph: &StorageGraph, facts: &AuditFacts, source: impl Into<String>) -> Inventory {
        let mut zones: BTreeMap<Option<String>, (usize, usize)> = BTreeMap::new();
        for node in &graph.nodes {
            let entry = zones.entry(node.zone.clone()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(node.schedulable());
        }
        let nodes = Nodes {
            total: graph.nodes.len(),
            schedulable: graph.nodes.iter().filter(|n| n.schedulable()).count(),
            zones: zones
                .into_iter()
                .map(|(zone, (nodes, schedulable))| ZoneRow { zone, nodes, schedulable })
                .collect(),
        };
        let mut storage_classes: Vec<StorageClassRow> = graph
            .classes
            .iter()
            .map(|c| StorageClassRow {
                name: c.name.clone(),
                provisioner: c.provisioner.clone(),
                binding_mode: c.binding_mode.clone().unwrap_or_else(|| "Immediate".into()),
                reclaim_policy: c.reclaim_policy.clone().unwrap_or_else(|| "Delete".into()),
                expansion: c.allow_volume_expansion == Some(true),
                default: c.is_default,
            })
            .collect();
        storage_classes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut snapshot_classes: Vec<SnapshotClassRow> = graph
            .snapshot_classes
            .iter()
            .map(|c| SnapshotClassRow {
                name: c.name.clone(),
                driver: c.driver.clone(),
                deletion_policy: c.deletion_policy.clone(),
                default: c.is_default,
            })
            .collect();
        snapshot_classes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut csi_drivers: Vec<CsiDriverRow> = graph
            .csi_drivers
            .iter()
            .map(|d| CsiDriverRow {
                name: d.name.clone(),
                attach_required: d.attach_required,
                fs_group_policy: d.fs_group_policy,
            })
            .collect();
        csi_drivers.sort_by(|a, b| a.name.cmp(&b.name));

        let mut claims: BTreeMap<Option<String>, ClaimsRow> = BTreeMap::new();
        for claim in graph.claims.iter().filter(|c| c.origin == ClaimOrigin::Standalone) {
            let class = match (&claim.class, &claim.class_ref) {
                (ClassResolution::Named(id) | ClassResolution::Default(id), _) => {
                    Some(graph.classes[id.0].name.clone())
                }
                (_, ClassRef::Field(name) | ClassRef::Annotation(name)) => Some(name.clone()),
                _ => None,
            };
            let row = claims.entry(class.clone()).or_insert_with(|| ClaimsRow {
                class,
                claims: 0,
                bound: 0,
                pending: 0,
                lost: 0,
                requested_bytes: 0.0,
                capacity_bytes: 0.0,
            });
            row.claims += 1;
            row.bound += usize::from(claim.phase.as_deref() == Some("Bound"));
            row.pending += usize::from(claim.phase.as_deref() == Some("Pending"));
            row.lost += usize::from(claim.phase.as_deref() == Some("Lost"));
            row.requested_bytes += claim.request.unwrap_or(0.0);
            row.capacity_bytes += claim.live.as_ref().and_then(|l| l.capacity).unwrap_or(0.0);
        }

        let mut volumes = Volumes { total: graph.volumes.len(), ..Volumes::default() };
        for volume in &graph.volumes {
            volumes.capacity_bytes += volume.capacity.unwrap_or(0.0);
            *volumes.phases.entry(volume.phase.clone().unwrap_or_else(|| "Unknown".into())).or_default() += 1;
        }
        let (count, bytes) = orphaned_volumes(graph);
        let orphaned = Orphaned {
            volumes: count,
            bytes,
            monthly_cost: facts.price_per_gib_month.map(|price| monthly_cost(bytes, price)),
        };
        Inventory {
            source: source.into(),
            now: facts.now.to_string(),
            nodes,
            storage_classes,
            snapshot_api: match facts.snapshot_api {
                SnapshotApi::Served => "served",
                SnapshotApi::Missing => "missing",
                SnapshotApi::Unknown => "unknown",
            },
            snapshot_classes,
            csi_drivers,
            claims: claims.into_values().collect(),
            volumes,
            orphaned,
            skipped: facts.forbidden.clone(),
        }
    }

    /// Writes the header as aligned text.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "cluster: {} (at {})", self.source, self.now)?;
        let zones: Vec<String> = self
            .nodes
            .zones
            .iter()
            .map(|z| {
                let zone = z.zone.as_deref().unwrap_or("(no zone)");
                if z.schedulable == z.nodes {
                    format!("{zone} {}", z.nodes)
                } else {
                    format!("{zone} {} ({} schedulable)", z.nodes, z.schedulable)
                }
            })
            .collect();
        let zones = if zones.is_empty() { String::new() } else { format!(": {}", zones.join(", ")) };
        writeln!(out, "nodes: {} ({} schedulable){zones}", self.nodes.total, self.nodes.schedulable)?;

        writeln!(out, "storage classes:")?;
        if self.storage_classes.is_empty() {
            writeln!(out, "  (none)")?;
        }
        let names: Vec<String> = self
            .storage_classes
            .iter()
            .map(|c| if c.default { format!("{} (default)", c.name) } else { c.name.clone() })
            .collect();
        let name_w = names.iter().map(String::len).max().unwrap_or(0);
        let prov_w = self.storage_classes.iter().map(|c| c.provisioner.len()).max().unwrap_or(0);
        let mode_w = self.storage_classes.iter().map(|c| c.binding_mode.len()).max().unwrap_or(0);
        for (c, name) in self.storage_classes.iter().zip(&names) {
            let expansion = if c.expansion { "expansion" } else { "no expansion" };
            writeln!(
                out,
                "  {name:name_w$}  {:prov_w$}  {:mode_w$}  {:7}  {expansion}",
                c.provisioner, c.binding_mode, c.reclaim_policy
            )?;
        }
        let classes: Vec<String> = self
            .snapshot_classes
            .iter()
            .map(|c| {
                let default = if c.default { ", default" } else { "" };
                format!(
                    "{} ({}, {}{default})",
                    c.name,
                    c.driver,
                    c.deletion_policy.as_deref().unwrap_or("no policy")
                )
            })
            .collect();
        let snapshot_line = match (self.snapshot_api, classes.is_empty()) {
            ("missing", _) => "snapshot API not installed".to_string(),
            (_, true) => "none".to_string(),
            (_, false) => classes.join(", "),
        };
        writeln!(out, "snapshot classes: {snapshot_line}")?;
        let drivers: Vec<&str> = self.csi_drivers.iter().map(|d| d.name.as_str()).collect();
        writeln!(
            out,
            "csi drivers: {}",
            if drivers.is_empty() { "none".into() } else { drivers.join(", ") }
        )?;

        let total_claims: usize = self.claims.iter().map(|c| c.claims).sum();
        let total_bytes: f64 = self.claims.iter().map(|c| c.requested_bytes).sum();
        writeln!(out, "claims: {total_claims} ({} requested)", gib(total_bytes))?;
        let rows = self.claims.iter().map(|c| {
            let mut states = vec![format!("{} bound", c.bound)];
            if c.pending > 0 {
                states.push(format!("{} pending", c.pending));
            }
            if c.lost > 0 {
                states.push(format!("{} lost", c.lost));
            }
            let other = c.claims - c.bound - c.pending - c.lost;
            if other > 0 {
                states.push(format!("{other} other"));
            }
            [
                c.class.as_deref().unwrap_or("(no class)").to_string(),
                format!("{} claims", c.claims),
                gib(c.requested_bytes),
                states.join(", "),
            ]
        });
        // Counts and sizes flush right, in columns wide enough for most clusters' figures.
        let columns = Columns {
            indent: "  ",
            gap: 2,
            align: &[Align::Left, Align::Right, Align::Right],
            min_width: &[0, "99999 claims".len() as u16, 10],
        };
        out.write_all(layout(rows, &columns).as_bytes())?;
        let phases: Vec<String> =
            self.volumes.phases.iter().map(|(phase, n)| format!("{n} {phase}")).collect();
        let phases = if phases.is_empty() { String::new() } else { format!(": {}", phases.join(", ")) };
        writeln!(out, "volumes: {} ({}){phases}", self.volumes.total, gib(self.volumes.capacity_bytes))?;
        if self.orphaned.volumes > 0 {
            let cost = match self.orphaned.monthly_cost {
                Some(cost) => format!(", ~${cost:.2}/month"),
                None => String::new(),
            };
            writeln!(
                out,
                "orphaned: {} Released volume{} kept by Retain, {}{cost}",
                self.orphaned.volumes,
                if self.orphaned.volumes == 1 { "" } else { "s" },
                gib(self.orphaned.bytes)
            )?;
        }
        for skipped in &self.skipped {
            writeln!(out, "skipped: {skipped}")?;
        }
        writeln!(out)
    }
}
