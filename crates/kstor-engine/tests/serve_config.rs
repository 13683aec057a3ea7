//! `kstor serve --config`: one file with the keys of `.kstor.yaml` and the admission policy;
//! a driver taught in that file reaches admission exactly as it reaches lint.

use kstor_engine::{Action, BundleView, Engine, ServeConfig};
use kstor_model::graph::StorageGraph;
use kstor_model::object::{Object, ObjectId};
use kstor_rules::Severity;

const CONFIG: &str = r#"
select: [ALL]
ignore: [KS804]
severity:
  error: deny
  warning: deny
  KS701: info
rules: {rwx-for-database: warn}
namespaces: {exclude: [kube-system]}
drivers:
  - name: csi.example.com
    display_name: Example block storage
    csi: true
    storage: block
    topology: zonal
    topology_keys: [topology.csi.example.com/zone]
    access_modes:
      filesystem: [ReadWriteOnce, ReadWriteOncePod]
      block: [ReadWriteOnce, ReadWriteOncePod]
    snapshots: true
    expansion: true
    cloning: false
    fs_group_policy: ReadWriteOnceWithFSType
    attach_required: true
    source: "vendor documentation, 2026-10"
"#;

const CLASS: &str = "apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: in-house}
provisioner: csi.example.com
allowVolumeExpansion: true
";

fn admit_class(engine: &Engine) -> Vec<String> {
    let graph: StorageGraph = engine.graph_of_texts(&[("class.yaml".to_string(), CLASS.to_string())]);
    let view = BundleView::of(&graph, Some(ObjectId(0)));
    let object = &graph.workspace.objects[0];
    let incoming = Object {
        id: ObjectId(0),
        origin: object.origin,
        reference: object.reference.clone(),
        tree: object.tree.clone(),
        root_index: object.root_index,
    };
    engine.admit(incoming, &view).result.findings.iter().map(|r| r.finding.rule.code.to_string()).collect()
}

#[test]
fn one_file_holds_the_rules_the_drivers_and_the_policy() {
    let serve = ServeConfig::parse("kstor.yaml", CONFIG).unwrap();
    assert_eq!(serve.config.ignore, ["KS804"]);
    assert_eq!(serve.config.severity["KS701"], Severity::Info);
    assert_eq!(serve.policy.action("KS101", Severity::Warning), Action::Deny);
    assert_eq!(serve.policy.action("KS201", Severity::Error), Action::Warn);
    assert!(!serve.policy.applies("kube-system", &|_| None));

    // The in-house driver is zonal: an Immediate class is KS101 at admission, as in lint.
    let engine = Engine::new(serve.config, &[], &[]).unwrap();
    let (_, linted) = engine.lint_texts(&[("class.yaml".to_string(), CLASS.to_string())]);
    assert!(linted.findings.iter().any(|r| r.finding.rule.code == "KS101"));
    assert_eq!(admit_class(&engine), ["KS101"]);
    // Without the file's drivers the class's driver is unknown and nothing is reported.
    assert!(admit_class(&Engine::default()).is_empty());
}

#[test]
fn earlier_policy_files_and_bad_entries() {
    let policy =
        ServeConfig::parse("policy.yaml", "severity: {error: deny, warning: warn, info: ignore}\n").unwrap();
    assert_eq!(policy.policy.action("KS101", Severity::Info), Action::Ignore);
    let error = ServeConfig::parse("p.yaml", "severity: {error: block}\n").unwrap_err();
    assert!(error.contains("p.yaml") && error.contains("severity.error"), "{error}");
    let error = ServeConfig::parse("p.yaml", "severity: {KS401: fatal}\n").unwrap_err();
    assert!(error.contains("severity.KS401"), "{error}");
    let error = ServeConfig::parse("p.yaml", "ignore: [KS999]\n").unwrap_err();
    assert!(error.contains("KS999"), "{error}");
    assert!(ServeConfig::parse("p.yaml", "selct: [KS201]\n").unwrap_err().contains("selct"));
}
