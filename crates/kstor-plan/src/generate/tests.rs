use kstor_model::catalog::Catalog;
use kstor_model::graph::{StorageGraph, VolumeSource};

use super::*;
use crate::{ProviderCatalog, ScenarioCatalog};

fn run(request: GenerateRequest) -> Result<Bundle, PlanError> {
    let catalog = Catalog::builtin();
    let scenarios = ScenarioCatalog::builtin();
    let providers = ProviderCatalog::builtin();
    generate(&Context { catalog: &catalog, scenarios: &scenarios, providers: &providers }, &request)
}

fn request(workload: &str, provider: &str) -> GenerateRequest {
    GenerateRequest {
        workload: workload.into(),
        target: Some(Target::Provider(provider.into())),
        namespace: "default".into(),
        ..GenerateRequest::default()
    }
}

fn graph_of(bundle: &Bundle) -> StorageGraph {
    let mut workspace = kstor_model::Workspace::default();
    workspace.add_text("bundle.yaml", bundle.to_yaml(), &kstor_model::Limits::default());
    kstor_model::graph::build(workspace, Catalog::builtin())
}

#[test]
fn zones_parse_as_names_or_a_count() {
    assert_eq!(Zones::parse("3"), Ok(Zones::Count(3)));
    assert_eq!(
        Zones::parse("us-east-1a, us-east-1b"),
        Ok(Zones::Names(vec!["us-east-1a".into(), "us-east-1b".into()]))
    );
    assert!(Zones::parse("0").is_err());
    assert!(Zones::parse("a,a").unwrap_err().contains("twice"));
    assert!(Zones::parse("bad zone").is_err());
    assert!(Zones::parse(",").is_err());
}

#[test]
fn a_zonal_pattern_on_a_multi_zone_request_needs_zone_names() {
    let error = run(GenerateRequest { zones: Zones::Count(3), ..request("postgres", "aws") }).unwrap_err();
    assert!(error.message.contains("EBS") && error.message.contains("allowedTopologies"), "{error}");
    assert!(error.hint.contains("--zones zone-a,zone-b,zone-c"), "{error}");
    // EFS is not zonal: a count is enough.
    assert!(run(GenerateRequest { zones: Zones::Count(3), ..request("static-web", "aws") }).is_ok());
    let regional = GenerateRequest {
        zones: Zones::Names(vec!["europe-west1-b".into()]),
        pattern: Some(Pattern::Distributed),
        ..request("postgres", "gcp")
    };
    let error = run(regional).unwrap_err();
    assert!(error.message.contains("spans 2 zones"), "{error}");
}

#[test]
fn sizes_respect_the_offerings_minimum() {
    let error =
        run(GenerateRequest { size: Some("100Gi".into()), ..request("ml-training", "aws") }).unwrap_err();
    assert!(error.message.contains("start at 1200Gi"), "{error}");
    let bundle = run(request("ml-training", "aws")).unwrap();
    let yaml = bundle.to_yaml();
    assert!(yaml.contains("storage: 1200Gi"), "{yaml}");
    assert!(yaml.contains("volumes start at 1200Gi"), "the raise is commented");
    assert!(run(GenerateRequest { size: Some("lots".into()), ..request("postgres", "aws") }).is_err());
}

#[test]
fn names_are_checked_before_they_become_object_names() {
    for name in ["Postgres", "-pg", "pg_1", "a-very-long-name-that-would-overflow-the-label-limits"] {
        let error =
            run(GenerateRequest { name: Some(name.into()), ..request("postgres", "aws") }).unwrap_err();
        assert!(error.message.contains("--name"), "{name}: {error}");
    }
}

#[test]
fn memory_backed_scratch_has_a_size_limit_and_a_memory_limit_that_covers_it() {
    let bundle = run(GenerateRequest { size: Some("6Gi".into()), ..request("build-cache", "gcp") }).unwrap();
    let graph = graph_of(&bundle);
    let workload = &graph.workloads[0];
    let (memory, size) = workload
        .pod
        .volumes
        .iter()
        .find_map(|v| match &v.source {
            VolumeSource::EmptyDir { memory, size_limit } => Some((*memory, size_limit.clone())),
            _ => None,
        })
        .unwrap();
    assert!(memory);
    assert_eq!(size.as_deref(), Some("6Gi"));
    let limit = workload.pod.containers[0].resources.memory_limit.unwrap();
    assert_eq!(limit, (2.0 + 6.0) * 1024f64.powi(3), "2Gi for buildkitd plus the 6Gi tmpfs");
    assert!(bundle.documents.iter().all(|d| d.body_kind() != Some("StorageClass")), "no claim, no class");
}

#[test]
fn the_bundle_holds_what_the_pattern_needs_and_lints_clean() {
    let bundle = run(GenerateRequest {
        zones: Zones::Names(vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()]),
        replicas: Some(3),
        ..request("postgres", "aws")
    })
    .unwrap();
    let kinds: Vec<&str> = bundle.documents.iter().filter_map(Document::body_kind).collect();
    assert_eq!(
        kinds,
        [
            "StorageClass",
            "VolumeSnapshotClass",
            "Service",
            "StatefulSet",
            "PodDisruptionBudget",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "CronJob"
        ]
    );
    assert!(lint_bundle(&bundle.to_yaml()).is_empty(), "{:?}", lint_bundle(&bundle.to_yaml()));
    let graph = graph_of(&bundle);
    let class = &graph.classes[0];
    assert_eq!(class.allowed_topologies[0][0].0, "topology.ebs.csi.aws.com/zone");
    assert_eq!(class.allowed_topologies[0][0].1.len(), 3);
    assert_eq!(graph.snapshot_classes[0].deletion_policy.as_deref(), Some("Retain"));
    let rows = graph.assess();
    let data = rows.iter().find(|r| r.holds_data).unwrap();
    assert_eq!(data.pattern, Some(Pattern::RwoSnapshot));
    assert_eq!(data.verdict, kstor_model::catalog::Verdict::Fits);
}

#[test]
fn the_self_check_withholds_a_bundle_that_fails_the_rules() {
    let mut bundle = run(request("postgres", "aws")).unwrap();
    assert!(self_check(&bundle).is_ok());
    // Drop the VolumeSnapshotClass: KS401 must stop the bundle.
    bundle.documents.retain(|d| d.body_kind() != Some("VolumeSnapshotClass"));
    let error = self_check(&bundle).unwrap_err();
    assert!(error.message.contains("KS401"), "{error}");
}

#[test]
fn a_pattern_without_a_schedule_says_so_where_ks406_looks() {
    // rwo-block on a driver that can snapshot: no schedule by choice, recorded on the workload.
    for workload in ["kafka", "postgres"] {
        let request = GenerateRequest { pattern: Some(Pattern::RwoBlock), ..request(workload, "aws") };
        let bundle = run(request).unwrap_or_else(|e| panic!("{workload}: {e}"));
        let yaml = bundle.to_yaml();
        assert!(yaml.contains("kstor.io/ignore: KS406") && !yaml.contains("kind: CronJob"), "{yaml}");
        // Without the annotation the bundle would fail its own check.
        let bare = yaml.replace("kstor.io/ignore: KS406", "kstor.io/unrelated: KS406");
        let serious = lint_bundle(&bare).into_iter().filter(|(s, _)| *s >= kstor_rules::Severity::Warning);
        assert!(serious.map(|(_, t)| t).any(|t| t.starts_with("KS406")), "{workload}");
    }
    // The recommended rwo-snapshot pattern schedules snapshots and needs no annotation.
    let yaml = run(request("postgres", "aws")).unwrap().to_yaml();
    assert!(yaml.contains("kind: CronJob") && !yaml.contains("kstor.io/ignore"), "{yaml}");
}
