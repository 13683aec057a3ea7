//! `kstor patterns`, `recommend` and `generate` end to end: every scenario × provider bundle lints
//! clean under kstor's own rules, names the pattern kstor's model sees in it, and validates
//! offline against the Kubernetes OpenAPI schemas (kubernetes-validate); reviewed snapshots of
//! the recommend text per scenario and of a few bundles; refusals and exit codes.

#[path = "support/tools.rs"]
mod tools;

use std::path::PathBuf;
use std::process::Command as Process;

use assert_cmd::Command;
use kstor_model::catalog::{Catalog, Verdict};
use kstor_plan::generate::{GenerateRequest, Zones, lint_bundle};
use kstor_plan::recommend::{Context, Target};
use kstor_plan::{ProviderCatalog, ScenarioCatalog};
use kstor_rules::Severity;
use serde_json::Value;
use tools::kubernetes_validate;

fn kstor(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("kstor").unwrap().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const PROVIDERS: [&str; 9] =
    ["aws", "gcp", "azure", "ceph", "longhorn", "openebs", "topolvm", "local-path", "nfs"];
const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];

/// Every scenario × provider: the bundle, or the refusal.
fn matrix() -> Vec<(String, &'static str, Result<kstor_plan::Bundle, kstor_plan::PlanError>)> {
    let catalog = Catalog::builtin();
    let scenarios = ScenarioCatalog::builtin();
    let providers = ProviderCatalog::builtin();
    let ctx = Context { catalog: &catalog, scenarios: &scenarios, providers: &providers };
    let mut out = Vec::new();
    for scenario in &scenarios.scenarios {
        for provider in PROVIDERS {
            let request = GenerateRequest {
                workload: scenario.id.clone(),
                target: Some(Target::Provider(provider.into())),
                zones: Zones::Names(ZONES.iter().map(|z| z.to_string()).collect()),
                namespace: "apps".into(),
                ..GenerateRequest::default()
            };
            out.push((scenario.id.clone(), provider, kstor_plan::generate(&ctx, &request)));
        }
    }
    out
}

#[test]
fn every_scenario_and_provider_lints_clean_or_is_refused_with_a_reason() {
    let mut table = String::new();
    let mut generated = 0;
    for (scenario, provider, result) in matrix() {
        match result {
            Ok(bundle) => {
                generated += 1;
                let yaml = bundle.to_yaml();
                let findings = lint_bundle(&yaml);
                let serious: Vec<_> = findings.iter().filter(|(s, _)| *s >= Severity::Warning).collect();
                assert!(serious.is_empty(), "{scenario} on {provider}: {serious:?}\n{yaml}");
                // The model sees the pattern the recommendation promised, and the matrix accepts it.
                let mut workspace = kstor_model::Workspace::default();
                workspace.add_text("bundle.yaml", yaml.clone(), &kstor_model::Limits::default());
                let graph = kstor_model::graph::build(workspace, Catalog::builtin());
                assert!(
                    graph.workspace.diagnostics.is_empty(),
                    "{scenario} on {provider}: {:?}",
                    graph.workspace.diagnostics
                );
                let rec = &bundle.recommendation;
                let expected = rec.realization.as_ref().map_or(rec.pattern, |r| r.observed_pattern);
                let rows = graph.assess();
                let data = rows
                    .iter()
                    .find(|r| r.holds_data && r.volume.as_deref() == Some("data"))
                    .unwrap_or_else(|| panic!("{scenario} on {provider}: no data volume in {rows:?}"));
                assert_eq!(data.pattern, Some(expected), "{scenario} on {provider}");
                assert!(
                    matches!(data.verdict, Verdict::Fits | Verdict::FitsWithCaveat(_)),
                    "{scenario} on {provider}: {:?}",
                    data.verdict
                );
                let infos = findings.len();
                table.push_str(&format!(
                    "{scenario:<20} {provider:<11} {:<17} {} objects{}\n",
                    expected.id(),
                    bundle.documents.len(),
                    if infos > 0 { format!(", {infos} info") } else { String::new() }
                ));
            }
            Err(error) => {
                assert!(!error.message.is_empty() && !error.hint.is_empty());
                table.push_str(&format!("{scenario:<20} {provider:<11} refused: {}\n", error.message));
            }
        }
    }
    assert!(generated >= 80, "{generated} bundles");
    insta::assert_snapshot!("generate_matrix", table);
}

/// Kubernetes versions the bundles must validate against: the oldest they support (appArmorProfile
/// and RWOP GA need 1.30) and the newest the validator knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

#[test]
fn every_bundle_validates_against_the_kubernetes_schemas() {
    let Some(validator) = kubernetes_validate() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut snapshot_classes = 0;
    for (scenario, provider, result) in matrix() {
        let Ok(bundle) = result else { continue };
        snapshot_classes +=
            bundle.documents.iter().filter(|d| d.body_kind() == Some("VolumeSnapshotClass")).count();
        let path = dir.path().join(format!("{scenario}-{provider}.yaml"));
        std::fs::write(&path, bundle.to_yaml()).unwrap();
        files.push(path);
    }
    for version in KUBERNETES_VERSIONS {
        let out = Process::new(&validator).args(["--strict", "-k", version]).args(&files).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> =
            stdout.lines().chain(stderr.lines()).filter(|l| l.starts_with("ERROR")).collect();
        assert!(errors.is_empty() && out.status.success(), "Kubernetes {version}:\n{}", errors.join("\n"));
        let passed =
            stdout.lines().filter(|l| l.starts_with("INFO") && l.contains("passed for resource")).count();
        // VolumeSnapshotClass is a CRD, outside the core schemas: the only kind the validator skips.
        let skipped: Vec<&str> =
            stdout.lines().chain(stderr.lines()).filter(|l| l.contains("Couldn't find schema")).collect();
        assert!(skipped.iter().all(|l| l.contains("kind VolumeSnapshotClass")), "{skipped:?}");
        assert_eq!(skipped.len(), snapshot_classes, "Kubernetes {version}");
        assert!(
            passed >= files.len() * 2,
            "Kubernetes {version}: {passed} objects validated in {} files",
            files.len()
        );
    }
}

#[test]
fn recommend_text_for_every_scenario() {
    for scenario in ScenarioCatalog::builtin().scenarios {
        let (code, stdout, stderr) = kstor(&[
            "recommend",
            "--workload",
            &scenario.id,
            "--provider",
            "aws",
            "--zones",
            "3",
            "--explain",
        ]);
        assert_eq!(code, 0, "{}: {stderr}", scenario.id);
        insta::assert_snapshot!(format!("recommend_{}", scenario.id), stdout);
    }
}

#[test]
fn generated_bundles() {
    let cases = [
        ("postgres_aws", "--workload postgres --provider aws --zones us-east-1a,us-east-1b --size 100Gi"),
        ("build_cache_gcp", "--workload build-cache --provider gcp"),
        ("static_web_azure", "--workload static-web --provider azure --replicas 3"),
        ("kafka_ceph", "--workload kafka --provider ceph --zones 3 --namespace streaming"),
    ];
    for (name, args) in cases {
        let mut all = vec!["generate"];
        all.extend(args.split(' '));
        let (code, stdout, stderr) = kstor(&all);
        assert_eq!(code, 0, "{name}: {stderr}");
        insta::assert_snapshot!(format!("generate_{name}"), stdout);
    }
}

#[test]
fn the_generated_bundle_passes_kstor_lint_as_a_complete_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("storage.yaml");
    let (code, _, stderr) = kstor(&[
        "generate",
        "--workload",
        "postgres",
        "--provider",
        "aws",
        "--zones",
        "us-east-1a,us-east-1b",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 8 objects (rwo-snapshot on aws)"), "{stderr}");
    let (code, stdout, stderr) =
        kstor(&["lint", "--complete", "--fail-on", "info", "--no-config", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn invalid_combinations_exit_2_with_the_reason_and_a_hint() {
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["generate", "--workload", "postgres", "--provider", "aws", "--pattern", "rwx-file"],
            "rwx-file is the wrong pattern for a relational database",
            "--pattern rwo-snapshot",
        ),
        (
            &["generate", "--workload", "postgres", "--provider", "aws", "--zones", "3"],
            "without zone names",
            "--zones zone-a,zone-b,zone-c",
        ),
        (
            &["generate", "--workload", "postgres", "--provider", "local-path"],
            "has no volume snapshots",
            "--pattern rwo-block",
        ),
        (&["generate", "--workload", "postgres"], "no storage was named", "--provider"),
        (
            &["recommend", "--workload", "postgres", "--provider", "nfs"],
            "no block storage",
            "choose a provider",
        ),
        (&["recommend", "--workload", "excel"], "unknown workload", "relational-database"),
    ];
    for (args, message, hint) in cases {
        let (code, stdout, stderr) = kstor(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: nothing on stdout: {stdout}");
        let mut lines = stderr.lines();
        let first = lines.next().unwrap_or_default();
        assert!(first.starts_with("kstor: error: ") && first.contains(message), "{args:?}: {stderr}");
        assert!(
            lines.next().is_some_and(|l| l.trim_start().starts_with("hint: ") && l.contains(hint)),
            "{args:?}: {stderr}"
        );
    }
    // An accepted caveat is generated.
    let (code, stdout, _) =
        kstor(&["generate", "--workload", "postgres", "--provider", "local-path", "--pattern", "rwo-block"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("provisioner: rancher.io/local-path")
            && !stdout.contains("kind: VolumeSnapshotClass")
    );
}

#[test]
fn recommend_json_and_markdown() {
    let (code, stdout, _) = kstor(&[
        "recommend",
        "--workload",
        "kafka",
        "--replicas",
        "3",
        "--zones",
        "3",
        "--provider",
        "gcp",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["scenario"], "message-queue");
    assert_eq!(json["pattern"], "rwo-snapshot");
    assert_eq!(json["realization"]["driver"], "pd.csi.storage.gke.io");
    assert_eq!(json["decisions"]["accessMode"], "ReadWriteOncePod");
    assert!(json.get("decisionPath").is_none(), "only with --explain");
    let keys: Vec<&str> =
        json["settings"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    for key in [
        "accessMode",
        "volumeBindingMode",
        "reclaimPolicy",
        "snapshots",
        "allowVolumeExpansion",
        "fsGroup",
        "replicas",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert_eq!(json["alternatives"].as_array().unwrap().len(), 6);
    let (_, explained, _) = kstor(&["recommend", "--workload", "kafka", "--format", "json", "--explain"]);
    let explained: Value = serde_json::from_str(&explained).unwrap();
    assert!(explained["decisionPath"].as_array().unwrap().len() >= 3);
    let (code, markdown, _) = kstor(&["recommend", "--workload", "redis", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(markdown.starts_with("### redis (cache)"), "{markdown}");
    assert!(markdown.contains("| Setting | Value | Why |"));
}

#[test]
fn patterns_lists_the_table_and_the_matrix_in_every_format() {
    let (code, text, _) = kstor(&["patterns"]);
    assert_eq!(code, 0);
    for id in ["ephemeral-memory", "rwo-block", "rwx-file", "distributed", "rwo-snapshot", "Decision matrix"]
    {
        assert!(text.contains(id), "{id}");
    }
    let (_, json, _) = kstor(&["patterns", "--format", "json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["patterns"].as_array().unwrap().len(), 7);
    assert_eq!(json["matrix"].as_array().unwrap().len(), 10);
    let (_, markdown, _) = kstor(&["patterns", "--format", "markdown"]);
    assert!(
        markdown.contains("| RWX file (rwx-file) | eventual / weak (file locking varies) | 15–40 ms |"),
        "{markdown}"
    );
}

#[test]
fn recommend_from_manifests_diffs_current_storage() {
    let pitfalls = root().join("examples/pitfalls");
    let (code, stdout, stderr) = kstor(&["recommend", "-f", pitfalls.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let workloads = json["workloads"].as_array().unwrap();
    let orders = workloads.iter().find(|w| w["workload"] == "statefulset shop/orders-db").unwrap();
    assert_eq!(orders["recommendation"]["engine"], "postgres");
    assert_eq!(orders["recommendation"]["provider"], "aws", "inferred from the claim's EFS class");
    let pattern = orders["diff"].as_array().unwrap().iter().find(|d| d["setting"] == "pattern").unwrap();
    assert_eq!(
        (pattern["current"].as_str(), pattern["status"].as_str()),
        (Some("rwx-file"), Some("differs"))
    );
    assert!(json["summary"]["differences"].as_u64().unwrap() > 10);
    let (code, _, _) = kstor(&["recommend", "-f", pitfalls.to_str().unwrap(), "--check"]);
    assert_eq!(code, 1, "--check fails on differences");

    // The hardened orders-db already follows the recommendation.
    let hardened = root().join("examples/hardened/apps/orders-db.yaml");
    let classes = root().join("examples/hardened/platform");
    let (code, stdout, stderr) =
        kstor(&["recommend", "-f", hardened.to_str().unwrap(), "-f", classes.to_str().unwrap(), "--check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("0 differing"), "{stdout}");
    assert!(!stdout.contains('≠'), "{stdout}");
}

#[test]
fn readme_shows_real_recommend_and_generate_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for line in [
        "recommend --workload postgres --replicas 3 --zones 3 --provider aws",
        "generate --workload postgres --provider aws --zones us-east-1a,us-east-1b --size 100Gi",
    ] {
        let command = format!("$ kstor {line}");
        let args: Vec<&str> = line.split(' ').collect();
        let block = readme.split_once(&command).unwrap_or_else(|| panic!("README shows {command}")).1;
        let block = block.split_once("```").unwrap().0;
        let (code, stdout, _) = kstor(&args);
        assert_eq!(code, 0);
        let real: std::collections::HashSet<&str> = stdout.lines().map(str::trim_end).collect();
        let mut shown = 0;
        for line in block.lines().filter(|l| !l.trim().is_empty() && l.trim() != "…") {
            assert!(real.contains(line.trim_end()), "README shows a line kstor does not print:\n{line}");
            shown += 1;
        }
        assert!(shown >= 15, "{command}: {shown} lines");
    }
    let command = "$ kstor generate --workload postgres --provider aws --pattern rwx-file\n";
    let block = readme.split_once(command).expect("README shows a refusal").1.split_once("```").unwrap().0;
    let (code, _, stderr) =
        kstor(&["generate", "--workload", "postgres", "--provider", "aws", "--pattern", "rwx-file"]);
    assert_eq!((code, block), (2, stderr.as_str()));
}

#[test]
fn generate_writes_atomically_and_leaves_no_file_on_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.yaml");
    std::fs::write(&file, "previous\n").unwrap();
    let (code, _, _) =
        kstor(&["generate", "--workload", "postgres", "--provider", "nfs", "-o", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n", "a refusal never touches the output");
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "no temporary files left");
}

#[test]
fn docs_name_every_scenario_alias_engine_and_provider() {
    let doc = std::fs::read_to_string(root().join("docs/recommend.md")).unwrap();
    for scenario in ScenarioCatalog::builtin().scenarios {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", scenario.id)))
            .unwrap_or_else(|| panic!("docs/recommend.md lacks the scenario {}", scenario.id));
        for name in scenario.aliases.iter().chain(&scenario.engines) {
            assert!(row.contains(name.as_str()), "{}: {name} missing from its row", scenario.id);
        }
    }
    for blueprint in ScenarioCatalog::builtin().blueprints {
        assert!(doc.contains(&blueprint.engine), "{} has a blueprint", blueprint.engine);
    }
    for provider in ProviderCatalog::builtin().providers {
        assert!(doc.contains(&format!("`{}`", provider.id)), "{}", provider.id);
    }
}

#[test]
fn recommend_from_manifests_says_unknown_where_the_input_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("apps.yaml");
    std::fs::write(
        &file,
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: pg, namespace: db}\nspec:\n  serviceName: pg\n  selector: {matchLabels: {app: pg}}\n  template:\n    metadata: {labels: {app: pg}}\n    spec:\n      containers:\n        - name: pg\n          image: postgres:17\n          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOncePod], storageClassName: elsewhere, resources: {requests: {storage: 10Gi}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: web}\nspec:\n  selector: {matchLabels: {app: cache}}\n  template:\n    metadata: {labels: {app: cache}}\n    spec:\n      containers: [{name: redis, image: redis:7}]\n",
    )
    .unwrap();
    let (code, stdout, stderr) = kstor(&["recommend", "-f", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let workload = |name: &str| {
        json["workloads"].as_array().unwrap().iter().find(|w| w["workload"] == name).unwrap().clone()
    };
    let status = |w: &Value, setting: &str| {
        w["diff"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["setting"] == setting)
            .map(|d| d["status"].as_str().unwrap().to_string())
    };
    let pg = workload("statefulset db/pg");
    assert_eq!(status(&pg, "accessMode").as_deref(), Some("matches"));
    for setting in ["volumeBindingMode", "reclaimPolicy", "allowVolumeExpansion"] {
        assert_eq!(
            status(&pg, setting).as_deref(),
            Some("unknown"),
            "{setting}: the class is not in the input"
        );
    }
    let cache = workload("deployment web/cache");
    assert_eq!(
        status(&cache, "pattern").as_deref(),
        Some("matches"),
        "a cache keeps nothing: no volume is fine"
    );
    assert_eq!(status(&cache, "accessMode"), None, "no claim, no claim settings");
    assert_eq!(json["summary"]["differences"], 1, "only the fsGroup of pg differs: {stdout}");
}
