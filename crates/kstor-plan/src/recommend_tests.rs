use kstor_model::catalog::{AccessMode, Catalog, Pattern};

use super::*;
use crate::{ProviderCatalog, ScenarioCatalog};

struct Fixture {
    catalog: std::sync::Arc<Catalog>,
    scenarios: ScenarioCatalog,
    providers: ProviderCatalog,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            catalog: Catalog::builtin(),
            scenarios: ScenarioCatalog::builtin(),
            providers: ProviderCatalog::builtin(),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context { catalog: &self.catalog, scenarios: &self.scenarios, providers: &self.providers }
    }

    fn run(
        &self,
        workload: &str,
        provider: Option<&str>,
        replicas: Option<u32>,
        zones: Option<usize>,
    ) -> Result<Recommendation, PlanError> {
        recommend(
            &self.ctx(),
            &Request {
                workload: workload.into(),
                replicas,
                zones,
                target: provider.map(|p| Target::Provider(p.into())),
                ..Request::default()
            },
        )
    }
}

fn setting<'r>(rec: &'r Recommendation, key: &str) -> Option<&'r Setting> {
    rec.settings.iter().find(|s| s.key == key)
}

#[test]
fn every_scenario_gets_a_pattern_its_matrix_row_recommends_with_reasons_for_every_alternative() {
    let f = Fixture::new();
    for scenario in &f.scenarios.scenarios {
        let rec = f.run(&scenario.id, None, None, None).unwrap();
        let row = f.catalog.patterns.recommendation(scenario.role).unwrap();
        assert!(row.recommended.contains(&rec.pattern), "{}: {}", scenario.id, rec.pattern);
        assert_eq!(rec.alternatives.len(), f.catalog.patterns.patterns.len() - 1, "{}", scenario.id);
        for alt in &rec.alternatives {
            assert!(!alt.why.is_empty(), "{} {}", scenario.id, alt.pattern);
            assert_eq!(alt.verdict, row.judge(alt.pattern).word());
        }
        assert!(setting(&rec, "replicas").is_some());
        assert!(rec.decision_path.len() >= 3, "{}", scenario.id);
    }
}

#[test]
fn postgres_on_three_aws_zones() {
    let f = Fixture::new();
    let rec = f.run("postgres", Some("aws"), Some(3), Some(3)).unwrap();
    assert_eq!(rec.pattern, Pattern::RwoSnapshot);
    let r = rec.realization.as_ref().unwrap();
    assert_eq!((r.driver.as_str(), r.offering), ("ebs.csi.aws.com", OfferingKind::Fast));
    assert_eq!(r.observed_pattern, Pattern::RwoSnapshot);
    let d = &rec.decisions;
    assert_eq!(d.access_mode, Some(AccessMode::ReadWriteOncePod));
    assert_eq!(d.binding_mode, Some("WaitForFirstConsumer"));
    assert_eq!(d.reclaim_policy, Some("Retain"));
    assert!(d.snapshots && d.snapshot_class && d.disruption_budget);
    assert_eq!((d.fs_group, d.expansion), (Some(999), Some(true)));
    assert!(setting(&rec, "allowedTopologies").unwrap().value.starts_with("topology.ebs.csi.aws.com/zone"));
    assert!(setting(&rec, "topologySpread").is_some());
    assert!(rec.notes.is_empty(), "{:?}", rec.notes);
    let rwx = rec.alternatives.iter().find(|a| a.pattern == Pattern::RwxFile).unwrap();
    assert_eq!(rwx.verdict, "mismatch");
    assert!(rwx.why.contains("15–40 ms"), "{}", rwx.why);
}

#[test]
fn a_single_replica_across_zones_and_an_even_quorum_get_notes() {
    let f = Fixture::new();
    let rec = f.run("postgres", Some("gcp"), Some(1), Some(2)).unwrap();
    assert!(rec.notes.iter().any(|n| n.contains("one replica on a zonal volume")), "{:?}", rec.notes);
    assert!(!rec.decisions.disruption_budget);
    let etcd = f.run("etcd", None, Some(4), None).unwrap();
    assert!(etcd.notes.iter().any(|n| n.contains("odd number")), "{:?}", etcd.notes);
}

#[test]
fn engines_and_scenarios_choose_their_ephemeral_patterns() {
    let f = Fixture::new();
    let redis = f.run("redis", Some("aws"), None, None).unwrap();
    assert_eq!(redis.pattern, Pattern::EphemeralDisk, "the engine's preference");
    assert!(redis.realization.is_none() && redis.decisions.access_mode.is_none());
    assert!(redis.notes.iter().any(|n| n.contains("ephemeral by design")));
    let memcached = f.run("memcached", None, None, None).unwrap();
    assert_eq!(memcached.pattern, Pattern::EphemeralMemory);
    assert!(memcached.decisions.memory_backed);
    assert_eq!(setting(&memcached, "sizeLimit").unwrap().value, "1Gi");
}

#[test]
fn snapshots_win_over_plain_block_where_the_driver_has_them() {
    let f = Fixture::new();
    assert_eq!(f.run("kafka", Some("azure"), None, None).unwrap().pattern, Pattern::RwoSnapshot);
    // local-path has no snapshots: rwo-block, with the acceptable note absent (it is recommended).
    let rec = f.run("kafka", Some("local-path"), None, None).unwrap();
    assert_eq!(rec.pattern, Pattern::RwoBlock);
    assert!(!rec.decisions.snapshot_class);
    assert_eq!(rec.decisions.access_mode, Some(AccessMode::ReadWriteOnce), "local-path is not CSI: no RWOP");
}

#[test]
fn distributed_block_storage_is_reported_with_its_caveat() {
    let f = Fixture::new();
    let rec = f.run("postgres", Some("ceph"), Some(3), None).unwrap();
    assert_eq!(rec.pattern, Pattern::RwoSnapshot);
    let r = rec.realization.as_ref().unwrap();
    assert_eq!(r.observed_pattern, Pattern::Distributed);
    assert!(r.caveat.as_deref().unwrap().contains("database layer"));
    assert!(rec.notes.iter().any(|n| n.contains("distributed storage")), "{:?}", rec.notes);
}

#[test]
fn invalid_combinations_are_refused_with_the_reason_and_what_to_choose() {
    let f = Fixture::new();
    let ctx = f.ctx();
    let rwx = recommend(
        &ctx,
        &Request { workload: "postgres".into(), pattern: Some(Pattern::RwxFile), ..Request::default() },
    )
    .unwrap_err();
    assert!(rwx.message.contains("rwx-file is the wrong pattern for a relational database"), "{rwx}");
    assert!(rwx.hint.contains("--pattern rwo-snapshot"), "{rwx}");

    let no_snapshots = f.run("postgres", Some("local-path"), None, None).unwrap_err();
    assert!(no_snapshots.message.contains("has no volume snapshots"), "{no_snapshots}");
    assert!(
        no_snapshots.hint.contains("aws, gcp, azure, ceph, longhorn, openebs, topolvm"),
        "{no_snapshots}"
    );
    assert!(no_snapshots.hint.contains("--pattern rwo-block"), "{no_snapshots}");

    let file_only = f.run("postgres", Some("nfs"), None, None).unwrap_err();
    assert!(file_only.message.contains("no block storage"), "{file_only}");

    let regional = recommend(
        &ctx,
        &Request {
            workload: "postgres".into(),
            pattern: Some(Pattern::Distributed),
            target: Some(Target::Provider("aws".into())),
            ..Request::default()
        },
    )
    .unwrap_err();
    assert!(regional.message.contains("not replicated across failure domains"), "{regional}");
    assert!(regional.hint.contains("gcp") && regional.hint.contains("azure"), "{regional}");

    assert!(f.run("postgres", Some("digitalocean"), None, None).unwrap_err().hint.contains("--provisioner"));
    assert!(f.run("spreadsheet", None, None, None).unwrap_err().message.contains("unknown workload"));
}

#[test]
fn an_accepted_caveat_is_realised_and_explained() {
    let f = Fixture::new();
    let rec = recommend(
        &f.ctx(),
        &Request {
            workload: "postgres".into(),
            pattern: Some(Pattern::RwoBlock),
            target: Some(Target::Provider("local-path".into())),
            ..Request::default()
        },
    )
    .unwrap();
    assert_eq!(rec.pattern, Pattern::RwoBlock);
    assert!(rec.why.contains("accepting its caveat"), "{}", rec.why);
    assert_eq!(rec.decisions.binding_mode, Some("WaitForFirstConsumer"), "node-local volumes");
    assert_eq!(rec.decisions.expansion, Some(false), "local-path cannot expand");
}

#[test]
fn provisioner_targets_use_the_driver_catalog() {
    let f = Fixture::new();
    let rec = recommend(
        &f.ctx(),
        &Request {
            workload: "mongodb".into(),
            target: Some(Target::Provisioner("csi.vsphere.vmware.com".into())),
            ..Request::default()
        },
    );
    let rec = rec.unwrap();
    assert_eq!(rec.realization.as_ref().unwrap().provisioner, "csi.vsphere.vmware.com");
}

#[test]
fn shared_file_systems_that_ignore_fs_group_get_an_owner_another_way() {
    let f = Fixture::new();
    let fsx = f.run("ml-training", Some("aws"), None, None).unwrap();
    assert_eq!(fsx.realization.as_ref().unwrap().driver, "fsx.csi.aws.com");
    assert!(fsx.decisions.chown_init && fsx.decisions.fs_group.is_none());
    let cephfs = f.run("pytorch", Some("ceph"), None, None).unwrap();
    assert_eq!(cephfs.decisions.fs_group, Some(1000), "CephFS applies fsGroup (policy File)");
    assert!(!cephfs.decisions.chown_init);
    assert_eq!(fsx.decisions.access_mode, Some(AccessMode::ReadWriteMany));
    let efs = f.run("static-web", Some("aws"), None, None).unwrap();
    assert!(!efs.decisions.chown_init && efs.decisions.read_only, "readers need no ownership");
}
