use kstor_model::catalog::{Coverage, Role};
use kstor_model::graph::{ClaimId, ClaimOrigin, Mount, StorageGraph, Workload, WorkloadKind};

use super::common::{driver_name, join_names, role_and_workload};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::{Check, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Flags a database, message queue, coordination service or search engine whose data
    /// claims sit on a CSI driver that can take snapshots, when nothing in the input takes
    /// snapshots or backups of them on a schedule. What counts is catalog data
    /// (`catalog/snapshot-schedules.yaml`, each entry with its source):
    ///
    /// - a CronJob whose container command or args mention `VolumeSnapshot` or
    ///   `snapshot.storage.k8s.io` (it creates snapshots), for its own namespace and those
    ///   it names with `-n`/`--namespace` (all with `-A`);
    /// - a snapscheduler `SnapshotSchedule` whose `claimSelector` selects the claim;
    /// - a Velero `Schedule` whose `includedNamespaces` hold the workload's namespace;
    /// - an operator's own backups: a CloudNativePG `ScheduledBackup` of the cluster, a
    ///   MariaDB operator `Backup` with a `schedule`, a Percona XtraDB or MongoDB resource
    ///   with backup schedules, a Zalando `postgresql` with `enableLogicalBackup`, an ECK
    ///   `StackConfigPolicy` with snapshot lifecycle policies selecting the Elasticsearch
    ///   cluster; a Longhorn `RecurringJob` that snapshots or backs up for claims on
    ///   Longhorn. Strimzi and the RabbitMQ operator have no backup resource of their own.
    ///
    /// Paused or suspended schedules do not count. Where the input leaves something open (a
    /// namespace set at deploy time, the labels an operator gives its claims), a schedule is
    /// taken to cover it. The finding is info: a bundle is often linted without the
    /// platform's backup tooling. With `kstor lint --complete`, which declares the input the
    /// whole bundle, it is a warning. `kstor audit` does not run it: the cluster reader lists
    /// no custom resources of these tools, so it could not tell.
    ///
    /// ## Why it matters
    /// A VolumeSnapshotClass only makes snapshots possible; nothing in Kubernetes takes
    /// them. Without a schedule, the newest recovery point of a database after a bad
    /// migration, a deleted table or a corrupted volume is whatever someone last took by
    /// hand, if anything, and recovery falls back to external backups or to nothing.
    /// Scheduled, retained snapshots turn that into a restore from minutes or hours ago.
    /// Snapshots are crash-consistent: the engine recovers them like a power loss.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    /// provisioner: ebs.csi.aws.com   # can snapshot
    /// volumeBindingMode: WaitForFirstConsumer
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: orders-db
    ///   namespace: shop
    /// spec:
    ///   serviceName: orders-db
    ///   selector:
    ///     matchLabels: {app: orders-db}
    ///   template:
    ///     metadata:
    ///       labels: {app: orders-db}
    ///     spec:
    ///       containers:
    ///         - name: postgres
    ///           image: postgres:17
    ///           volumeMounts:
    ///             - {name: data, mountPath: /var/lib/postgresql/data}
    ///   volumeClaimTemplates:
    ///     - metadata:
    ///         name: data
    ///       spec:
    ///         accessModes: [ReadWriteOnce]
    ///         storageClassName: gp3   # nothing ever snapshots these volumes
    ///         resources:
    ///           requests:
    ///             storage: 100Gi
    /// ```
    ///
    /// ## Fix
    /// Schedule snapshots with retention: a snapscheduler `SnapshotSchedule` selecting the
    /// claims, a Velero `Schedule` for the namespace, or a CronJob that creates
    /// VolumeSnapshots and prunes old ones (`kstor generate` writes one); for operator
    /// workloads, the operator's backup resource. Take them with a VolumeSnapshotClass
    /// whose `deletionPolicy` is `Retain`, and test a restore.
    ///
    /// **Automatic fix:** none: a backup schedule needs a tool (Velero, an operator, a CronJob)
    /// and a retention policy chosen by the team.
    ///
    /// ## References
    /// - Kubernetes docs, Volume Snapshots:
    ///   <https://kubernetes.io/docs/concepts/storage/volume-snapshots/>
    /// - snapscheduler: <https://backube.github.io/snapscheduler/usage.html>
    /// - Velero schedules: <https://velero.io/docs/main/api-types/schedule/>
    /// - CloudNativePG scheduled backups:
    ///   <https://cloudnative-pg.io/documentation/current/backup/#scheduled-backups>
    /// - ECK stack configuration policies (snapshot lifecycle):
    ///   <https://www.elastic.co/guide/en/cloud-on-k8s/current/k8s-stack-config-policy.html>
    pub struct NoSnapshotSchedule {
        code: "KS406",
        name: "no-snapshot-schedule",
        group: Snapshots,
        severity: Info,
        summary: "a stateful workload on a driver with snapshots has nothing that snapshots or backs it up on a schedule",
        fixes: [],
    }
}

impl Check for NoSnapshotSchedule {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if ctx.options.audit.is_some() {
            return; // the cluster reader does not list the schedulers' custom resources
        }
        let graph = ctx.graph;
        let mut schedules = None;
        for workload in &graph.workloads {
            let role = workload.role.role;
            let stateful =
                matches!(role, Role::Database | Role::MessageQueue | Role::Coordination | Role::Search);
            if !stateful || !workload.kind.is_long_running() {
                continue;
            }
            let claims = snapshot_capable_claims(graph, workload);
            if claims.is_empty() {
                continue;
            }
            let schedules = schedules.get_or_insert_with(|| graph.snapshot_schedules());
            let uncovered: Vec<DataClaim<'_>> = claims
                .into_iter()
                .filter(|d| !schedules.iter().any(|s| graph.schedule_covers(s, workload, d.claim)))
                .collect();
            if !uncovered.is_empty() {
                out.push(finding(ctx, workload, &uncovered));
            }
        }
    }
}

/// Whether the rule judges workloads of this role: databases, queues, coordination services
/// and search engines (their data is restored, not rebuilt).
pub fn judges_role(role: Role) -> bool {
    matches!(role, Role::Database | Role::MessageQueue | Role::Coordination | Role::Search)
}

/// A claim holding a workload's data, and the mount that shows it.
struct DataClaim<'w> {
    claim: ClaimId,
    container: &'w str,
    mount: &'w Mount,
}

/// The data claims of a workload whose driver is a CSI driver with snapshots, each once.
fn snapshot_capable_claims<'w>(graph: &StorageGraph, workload: &'w Workload) -> Vec<DataClaim<'w>> {
    let mut claims: Vec<DataClaim<'w>> = Vec::new();
    for (container, mount) in graph.data_mounts(workload) {
        let Some(claim) = graph.claim_of_mount(workload, mount) else {
            continue;
        };
        let capable = graph
            .driver_of_claim(graph.claim(claim))
            .and_then(|d| d.capabilities.as_ref())
            .is_some_and(|d| d.snapshots && d.csi);
        if capable && !claims.iter().any(|d| d.claim == claim) {
            claims.push(DataClaim { claim, container: &container.name, mount });
        }
    }
    claims
}

/// `claim template data`, `claim shop/data`: the claim, named within its workload.
fn claim_name(graph: &StorageGraph, claim: ClaimId) -> String {
    let claim = graph.claim(claim);
    match claim.origin {
        ClaimOrigin::Standalone => format!("claim {}/{}", claim.namespace, claim.name),
        ClaimOrigin::Template { .. } => format!("claim template {}", claim.name),
        ClaimOrigin::Ephemeral { .. } => format!("ephemeral volume {}", claim.name),
    }
}

fn finding(ctx: &Context<'_>, workload: &Workload, uncovered: &[DataClaim<'_>]) -> Finding {
    let graph = ctx.graph;
    let first = &uncovered[0];
    let claim = graph.claim(first.claim);
    let names: Vec<String> = uncovered.iter().map(|d| claim_name(graph, d.claim)).collect();
    let driver = graph
        .driver_of_claim(claim)
        .and_then(|d| d.capabilities.as_ref())
        .map(driver_name)
        .unwrap_or_default();
    let complete =
        if ctx.options.complete { " although the input is declared complete (--complete)" } else { "" };
    let message = format!(
        "{} keeps its data on {} ({driver}, which can take snapshots), but nothing in the input snapshots or backs it up on a schedule{complete}: no snapshot CronJob, snapscheduler SnapshotSchedule, Velero Schedule or operator backup covers it, so the newest recovery point is whatever was last taken by hand",
        role_and_workload(workload),
        join_names(&names),
    );
    let severity = if ctx.options.complete { Severity::Warning } else { Severity::Info };
    Finding::at(&NoSnapshotSchedule::META, claim.object, claim.class_path.clone(), message)
        .severity(severity)
        .related(
            workload.object,
            first.mount.path.clone(),
            format!("container {} keeps its data here ({})", first.container, first.mount.mount_path),
        )
        .help(help(graph, workload))
}

/// What would schedule snapshots for this workload: the operator's own backup resource
/// when the catalog knows one, and the generic tools.
fn help(graph: &StorageGraph, workload: &Workload) -> String {
    let generic = format!(
        "schedule snapshots with retention: a snapscheduler SnapshotSchedule selecting the claims, a Velero Schedule for namespace {}, or a CronJob creating VolumeSnapshots (`kstor generate` writes one)",
        workload.namespace
    );
    if workload.kind != WorkloadKind::Operator {
        return generic;
    }
    let object = graph.object(workload.object);
    let (group, kind) = (object.reference.group(), object.reference.kind.as_str());
    let catalog = &graph.catalog.schedules;
    if let Some(without) = catalog.without_backup(group, kind) {
        return format!("{generic}; {}", without.note);
    }
    let native: Vec<String> = catalog
        .schedulers
        .iter()
        .filter(|s| match s.covers {
            Coverage::Itself => s.kind == kind && s.groups.iter().any(|g| g == group),
            Coverage::Reference | Coverage::ResourceSelector => {
                s.target.as_ref().is_some_and(|t| t.kind == kind && t.groups.iter().any(|g| g == group))
            }
            _ => false,
        })
        .map(|s| match s.covers {
            Coverage::Itself => match s.when.first() {
                Some(condition) => {
                    format!("backup schedules in the {} itself (`{}`)", s.kind, condition.field)
                }
                None => format!("backup schedules in the {} itself", s.kind),
            },
            _ => format!("a {} {}", s.name, s.kind),
        })
        .collect();
    if native.is_empty() { generic } else { format!("use {}; or {generic}", join_names(&native)) }
}
