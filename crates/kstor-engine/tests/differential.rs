//! Admission and lint agree: for every object of every rule fixture bundle and of every
//! corpus bundle (../shared/corpus, grouped by original directory as `kubectl apply -f dir/`
//! would see it), `Engine::admit` of that object against a cluster view holding the rest of
//! its bundle reports exactly the findings `Engine::lint` reports on that object in the
//! bundle: same rule codes, same fields, same messages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kstor_engine::{BundleView, Engine};
use kstor_model::graph::{ObjectKey, StorageGraph};
use kstor_model::object::{Object, ObjectId};
use kstor_model::{Input, Limits, Location};
use kstor_rules::LintResult;

/// (rule code, field path, message) of the findings located on one object.
type Verdict = Vec<(String, String, String)>;

fn on_object(result: &LintResult, object: ObjectId) -> Verdict {
    let mut out: Verdict = result
        .findings
        .iter()
        .filter_map(|r| match &r.finding.location {
            Location::Field { object: o, path } if *o == object => {
                Some((r.finding.rule.code.to_string(), path.to_string(), r.finding.message.clone()))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// Compares admission with lint for every object of a linted bundle; returns the mismatches.
fn compare(engine: &Engine, name: &str, graph: &StorageGraph, result: &LintResult) -> (usize, Vec<String>) {
    let view = BundleView::of(graph, None);
    let duplicated: std::collections::HashSet<&ObjectKey> = view.duplicates().iter().collect();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for object in &graph.workspace.objects {
        if duplicated.contains(&ObjectKey::of(object)) {
            continue; // a cluster holds one object per key; lint sees both copies
        }
        let incoming = Object {
            id: ObjectId(0),
            origin: object.origin,
            reference: object.reference.clone(),
            tree: Arc::clone(&object.tree),
            root_index: object.root_index,
        };
        let admission = engine.admit(incoming, &view);
        let admitted = on_object(&admission.result, ObjectId(0));
        let linted = on_object(result, object.id);
        compared += 1;
        if admitted != linted {
            mismatches
                .push(format!("{name}: {}\n  lint:  {linted:#?}\n  admit: {admitted:#?}", object.reference));
        }
    }
    (compared, mismatches)
}

/// Lints each named bundle, compares admission with lint for every object, and fails with
/// every mismatch when there is one (or when fewer than `at_least` objects were compared).
fn assert_admission_agrees(bundles: impl IntoIterator<Item = (String, Vec<Input>)>, at_least: usize) {
    let engine = Engine::default();
    let (mut compared, mut mismatches) = (0, Vec::new());
    for (name, inputs) in bundles {
        let (graph, result) = engine.lint(&inputs, Limits::default()).unwrap();
        let (n, m) = compare(&engine, &name, &graph, &result);
        compared += n;
        mismatches.extend(m);
    }
    assert!(compared >= at_least, "only {compared} objects compared");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} objects differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn admission_agrees_with_lint_on_every_fixture_object() {
    let fixtures = root().join("crates/kstor-rules/fixtures");
    let mut rules: Vec<PathBuf> = std::fs::read_dir(&fixtures).unwrap().map(|e| e.unwrap().path()).collect();
    rules.sort();
    let bundles = rules.iter().flat_map(|rule| {
        [vec!["bad", "context"], vec!["good"]].map(|kinds| {
            let name = format!("{}/{}", rule.file_name().unwrap().to_string_lossy(), kinds[0]);
            let inputs = kinds.iter().map(|k| rule.join(k)).filter(|p| p.is_dir()).map(Input::Path).collect();
            (name, inputs)
        })
    });
    assert_admission_agrees(bundles, 300);
}

#[test]
fn admission_agrees_with_lint_on_every_corpus_object() {
    let corpus = root().join("../shared/corpus");
    assert!(corpus.is_dir(), "{} is missing: the corpus tests need ../shared", corpus.display());
    let sources = std::fs::read_to_string(corpus.join("SOURCES.tsv")).unwrap();
    let mut groups: BTreeMap<(String, String), Vec<Input>> = BTreeMap::new();
    for line in sources.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let dir = fields[3].rsplit_once('/').map_or("", |(d, _)| d);
        groups
            .entry((fields[1].to_string(), dir.to_string()))
            .or_default()
            .push(Input::Path(corpus.join(fields[0])));
    }
    assert_admission_agrees(
        groups.into_iter().map(|((repo, dir), inputs)| (format!("{repo}/{dir}"), inputs)),
        1000,
    );
}

/// The case that made front ends disagree: a claim naming its class through the legacy
/// `volume.beta.kubernetes.io/storage-class` annotation. The webhook used to read only
/// `storageClassName` from the raw object, so it admitted a ReadWriteMany claim on EBS that
/// lint reports (KS204).
#[test]
fn a_class_named_by_the_legacy_annotation_is_found_at_admission() {
    let bundle = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: shared
  namespace: web
  annotations: {volume.beta.kubernetes.io/storage-class: gp3}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 10Gi}}
";
    let engine = Engine::default();
    let (graph, result) = engine.lint_texts(&[("bundle.yaml".to_string(), bundle.to_string())]);
    let claim = graph.workspace.objects.iter().find(|o| o.reference.kind == "PersistentVolumeClaim").unwrap();
    let linted = on_object(&result, claim.id);
    assert!(linted.iter().any(|(code, ..)| code == "KS204"), "{linted:?}");
    let (n, mismatches) = compare(&engine, "annotation", &graph, &result);
    assert_eq!(n, 2);
    assert!(mismatches.is_empty(), "{mismatches:?}");
}
