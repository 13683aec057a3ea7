//! Property tests of `--fix` over generated manifests: storage classes, StatefulSets,
//! Deployments, claims and snapshot classes with the settings the fixable rules look at,
//! written in varied styles (2 or 4 spaces, indented or flush sequences, flow mappings, JSON,
//! CRLF, a missing final newline, comments, several documents per file).
//!
//! With every fix applied (unsafe included):
//! - the fixpoint is reached: what remains carries no fix that `--fix --unsafe-fixes` applies;
//! - fixing the fixed files changes nothing (idempotence);
//! - every file still parses, and no finding appears that was not there before;
//! - with safe fixes only, no unsafe edit is made: the files equal the safe-only fixpoint of
//!   the same input whatever unsafe fixes exist.

use std::collections::BTreeSet;

use kstor_engine::{Engine, FixOptions};
use kstor_rules::Applicability;
use proptest::prelude::*;
use serde_json::{Value, json};

/// How a generated file is written.
#[derive(Clone, Debug)]
struct Style {
    indent: usize,
    indented_sequences: bool,
    flow_leaves: bool,
    json: bool,
    crlf: bool,
    final_newline: bool,
    comments: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop_oneof![Just(2usize), Just(4)],
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_flat_map(|(indent, indented_sequences, flow_leaves, json, crlf)| {
            (any::<bool>(), any::<bool>()).prop_map(move |(final_newline, comments)| Style {
                indent,
                indented_sequences,
                flow_leaves,
                json,
                crlf,
                final_newline,
                comments,
            })
        })
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-./_:".contains(c))
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no" | "on" | "off")
                && s.parse::<f64>().is_err()
                && !s.ends_with(':');
            if plain { s.clone() } else { serde_json::to_string(s).unwrap() }
        }
        other => other.to_string(),
    }
}

/// A mapping or sequence of scalars only, written on one line in flow style.
fn flow(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) if !map.is_empty() && map.values().all(|v| !v.is_object() && !v.is_array()) => {
            Some(format!(
                "{{{}}}",
                map.iter()
                    .map(|(k, v)| format!("{}: {}", scalar(&json!(k)), scalar(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            Some(format!("[{}]", items.iter().map(scalar).collect::<Vec<_>>().join(", ")))
        }
        _ => None,
    }
}

/// Block YAML for a mapping's entries at `indent` columns.
fn write_map(map: &serde_json::Map<String, Value>, indent: usize, style: &Style, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(&json!(key)));
        out.push(':');
        write_value(value, indent, style, out);
    }
}

/// The value after `key:` (its own line break included).
fn write_value(value: &Value, indent: usize, style: &Style, out: &mut String) {
    if style.flow_leaves
        && let Some(text) = flow(value)
    {
        out.push_str(&format!(" {text}\n"));
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(map, indent + style.indent, style, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            let dash = if style.indented_sequences { indent + style.indent } else { indent };
            for item in items {
                out.push_str(&" ".repeat(dash));
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        let mut inner = String::new();
                        write_map(map, dash + 2, style, &mut inner);
                        out.push_str(inner.trim_start());
                    }
                    other => out.push_str(&format!("{}\n", flow(other).unwrap_or_else(|| scalar(other)))),
                }
            }
        }
        Value::Object(_) => out.push_str(" {}\n"),
        Value::Array(_) => out.push_str(" []\n"),
        other => out.push_str(&format!(" {}\n", scalar(other))),
    }
}

fn write_file(objects: &[Value], style: &Style) -> String {
    let mut text = String::new();
    if style.json {
        text =
            objects.iter().map(|o| serde_json::to_string_pretty(o).unwrap()).collect::<Vec<_>>().join("\n");
        text.push('\n');
    } else {
        for (i, object) in objects.iter().enumerate() {
            if i > 0 {
                text.push_str("---\n");
            }
            if style.comments {
                text.push_str(&format!("# object {i}: keep this comment\n"));
            }
            write_map(object.as_object().unwrap(), 0, style, &mut text);
        }
    }
    if style.crlf {
        text = text.replace('\n', "\r\n");
    }
    if !style.final_newline {
        text = text.trim_end().to_string();
    }
    text
}

fn storage_class() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("ebs.csi.aws.com"),
            Just("kubernetes.io/aws-ebs"),
            Just("kubernetes.io/gce-pd"),
            Just("pd.csi.storage.gke.io"),
            Just("disk.csi.azure.com"),
            Just("efs.csi.aws.com")
        ],
        prop::option::of(prop_oneof![Just("Immediate"), Just("WaitForFirstConsumer")]),
        prop::option::of(any::<bool>()),
        prop::option::of(prop_oneof![Just("gp2"), Just("gp3"), Just("io1")]),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop_oneof![Just("Retain"), Just("Delete")]),
        0u8..3,
    )
        .prop_map(|(provisioner, binding, expansion, kind, encrypted, fs_type, reclaim, name)| {
            let mut class = json!({
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": format!("class-{name}"), "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": provisioner,
            });
            let mut parameters = serde_json::Map::new();
            if let Some(kind) = kind {
                parameters.insert("type".into(), json!(kind));
            }
            if encrypted {
                parameters.insert("encrypted".into(), json!("true"));
            }
            if fs_type {
                parameters.insert("fsType".into(), json!("xfs"));
            }
            if !parameters.is_empty() {
                class["parameters"] = Value::Object(parameters);
            }
            if let Some(binding) = binding {
                class["volumeBindingMode"] = json!(binding);
            }
            if let Some(expansion) = expansion {
                class["allowVolumeExpansion"] = json!(expansion);
            }
            if let Some(reclaim) = reclaim {
                class["reclaimPolicy"] = json!(reclaim);
            }
            class
        })
}

fn statefulset() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("postgres:16"), Just("redis:7"), Just("nginx:1.27")],
        prop_oneof![Just("ReadWriteOnce"), Just("ReadWriteMany")],
        prop::option::of(prop_oneof![Just("Delete"), Just("Retain")]),
        prop::option::of(1000i64..2000),
        prop::option::of(1000i64..2000),
        any::<bool>(),
        prop::option::of(prop_oneof![Just("512Mi"), Just("2Gi")]),
        prop::option::of(prop_oneof![Just("256Mi"), Just("1Gi")]),
        0u8..3,
    )
        .prop_map(
            |(
                image,
                mode,
                retention,
                run_as_user,
                fs_group,
                memory_volume,
                size_limit,
                memory_limit,
                class,
            )| {
                let mut security = serde_json::Map::new();
                if let Some(user) = run_as_user {
                    security.insert("runAsUser".into(), json!(user));
                    security.insert("runAsNonRoot".into(), json!(true));
                }
                if let Some(group) = fs_group {
                    security.insert("fsGroup".into(), json!(group));
                }
                // The engine's own data directory, so the claim is recognised as its data.
                let data_dir =
                    if image.starts_with("postgres") { "/var/lib/postgresql/data" } else { "/data" };
                let mut container = json!({
                    "name": "main",
                    "image": image,
                    "volumeMounts": [{"name": "data", "mountPath": data_dir}],
                });
                if let Some(limit) = memory_limit {
                    container["resources"] = json!({"limits": {"memory": limit}});
                }
                let mut pod = json!({"containers": [container]});
                if !security.is_empty() {
                    pod["securityContext"] = Value::Object(security);
                }
                if memory_volume {
                    let mut empty_dir = json!({"medium": "Memory"});
                    if let Some(size) = size_limit {
                        empty_dir["sizeLimit"] = json!(size);
                    }
                    pod["volumes"] = json!([{"name": "cache", "emptyDir": empty_dir}]);
                    pod["containers"][0]["volumeMounts"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"name": "cache", "mountPath": "/cache"}));
                }
                let mut set = json!({
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "metadata": {"name": image.split(':').next().unwrap(), "namespace": "data"},
                    "spec": {
                        "serviceName": "db",
                        "replicas": 1,
                        "selector": {"matchLabels": {"app": "db"}},
                        "template": {"metadata": {"labels": {"app": "db"}}, "spec": pod},
                        "volumeClaimTemplates": [{
                            "metadata": {"name": "data"},
                            "spec": {
                                "accessModes": [mode],
                                "storageClassName": format!("class-{class}"),
                                "resources": {"requests": {"storage": "10Gi"}}
                            }
                        }]
                    }
                });
                if let Some(retention) = retention {
                    set["spec"]["persistentVolumeClaimRetentionPolicy"] =
                        json!({"whenDeleted": retention, "whenScaled": retention});
                }
                set
            },
        )
}

fn snapshot_class() -> impl Strategy<Value = Value> {
    (prop_oneof![Just("v1"), Just("v1beta1")], any::<bool>()).prop_map(|(version, default)| {
        let mut class = json!({
            "apiVersion": format!("snapshot.storage.k8s.io/{version}"),
            "kind": "VolumeSnapshotClass",
            "metadata": {"name": format!("snap-{version}")},
            "driver": "ebs.csi.aws.com",
            "deletionPolicy": "Retain",
        });
        if default {
            class["metadata"]["annotations"] =
                json!({"snapshot.storage.kubernetes.io/is-default-class": "true"});
        }
        class
    })
}

/// One to three files of generated objects, each in its own style.
fn bundle() -> impl Strategy<Value = Vec<(String, String)>> {
    let object = prop_oneof![storage_class(), statefulset(), snapshot_class()];
    prop::collection::vec((prop::collection::vec(object, 1..4), style()), 1..4).prop_map(|files| {
        files
            .into_iter()
            .enumerate()
            .map(|(i, (objects, style))| {
                let name = if style.json { format!("f{i}.json") } else { format!("f{i}.yaml") };
                (name, write_file(&objects, &style))
            })
            .collect()
    })
}

/// (code, object, field) of one finding: what "the same finding" means here (its message may
/// quote values a fix changed).
fn key(graph: &kstor_model::graph::StorageGraph, r: &kstor_rules::Reported) -> String {
    let object = r.finding.object().map(|o| graph.object(o).reference.to_string()).unwrap_or_default();
    let field = match &r.finding.location {
        kstor_model::Location::Field { path, .. } => path.to_string(),
        other => format!("{other:?}"),
    };
    format!("{} {object} {field}", r.finding.rule.code)
}

fn keys(engine: &Engine, files: &[(String, String)]) -> BTreeSet<String> {
    let (graph, result) = engine.lint_texts(files);
    result.findings.iter().map(|r| key(&graph, r)).collect()
}

fn fixed_files(outcome: &kstor_engine::FixOutcome) -> Vec<(String, String)> {
    outcome.sources.iter().map(|s| (s.name.clone(), s.fixed.clone())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fixes_reach_a_fixpoint_and_fixing_again_changes_nothing(files in bundle()) {
        let engine = Engine::default();
        let before = keys(&engine, &files);
        prop_assert!(!before.iter().any(|k| k.starts_with("KS001")), "generated input is valid: {before:#?}");
        let all = FixOptions { unsafe_fixes: true };
        let outcome = engine.fix_texts(&files, all);
        let fixed = fixed_files(&outcome);

        // The fixpoint: nothing left that --fix --unsafe-fixes would apply.
        let applicable: Vec<String> = outcome
            .result
            .findings
            .iter()
            .filter(|r| r.finding.fix.as_ref().is_some_and(|f| f.applicability != Applicability::DisplayOnly))
            .map(|r| format!("{}: {}", r.finding.rule.code, r.finding.message))
            .collect();
        prop_assert!(applicable.is_empty() || !outcome.skipped.is_empty(), "left unfixed: {applicable:#?}\n{fixed:#?}");

        // Idempotence.
        let again = engine.fix_texts(&fixed, all);
        for source in &again.sources {
            prop_assert!(!source.changed(), "a second --fix changed {}:\n{}", source.name, source.fixed);
        }

        // Still valid, and nothing new.
        let after = keys(&engine, &fixed);
        prop_assert!(!after.iter().any(|k| k.starts_with("KS001")), "a fix broke a file: {after:#?}\n{fixed:#?}");
        let new: Vec<&String> = after.difference(&before).collect();
        prop_assert!(new.is_empty(), "new findings: {new:#?}\n{fixed:#?}");
    }

    #[test]
    fn safe_fixes_alone_never_make_an_unsafe_edit(files in bundle()) {
        let engine = Engine::default();
        let outcome = engine.fix_texts(&files, FixOptions { unsafe_fixes: false });
        let fixed = fixed_files(&outcome);
        // Every finding whose fix is unsafe before is still there, unchanged, after.
        let (graph, result) = engine.lint_texts(&files);
        let unsafe_before: BTreeSet<String> = result
            .findings
            .iter()
            .filter(|r| r.finding.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Unsafe))
            .map(|r| key(&graph, r))
            .collect();
        let after = keys(&engine, &fixed);
        let fixed_anyway: Vec<&String> = unsafe_before.difference(&after).collect();
        prop_assert!(fixed_anyway.is_empty(), "a safe-only run fixed {fixed_anyway:#?}");
        let again = engine.fix_texts(&fixed, FixOptions { unsafe_fixes: false });
        prop_assert!(again.sources.iter().all(|s| !s.changed()), "safe fixes are idempotent");
    }
}

/// The generator reaches the fixes: over a fixed-seed sample of bundles, the fixes of these
/// rules are applied at least once (else the properties above would hold vacuously).
#[test]
fn generated_manifests_exercise_the_fixable_rules() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner =
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let engine = Engine::default();
    let mut applied = BTreeSet::new();
    for _ in 0..300 {
        let files = bundle().new_tree(&mut runner).unwrap().current();
        let outcome = engine.fix_texts(&files, FixOptions { unsafe_fixes: true });
        applied.extend(outcome.applied.keys().copied());
    }
    let expected = [
        "KS101", "KS201", "KS205", "KS301", "KS302", "KS403", "KS405", "KS501", "KS503", "KS601", "KS602",
        "KS701", "KS801", "KS803", "KS804", "KS805",
    ];
    let missing: Vec<&str> = expected.iter().copied().filter(|c| !applied.contains(c)).collect();
    assert!(missing.is_empty(), "never applied: {missing:?} (applied: {applied:?})");
}
