//! Text edits keep the file's form.

use super::*;
use crate::path::Path;
use crate::{Limits, Workspace};

fn edited(text: &str, object: u32, op: EditOp) -> Result<String, Skip> {
    let mut workspace = Workspace::default();
    workspace.add_text("test.yaml", text.to_string(), &Limits::default());
    let edits = resolve(&workspace, &ObjectEdit { object: ObjectId(object), op })?;
    Ok(apply(text, &edits))
}

fn set(path: &str, value: impl Into<NewValue>) -> EditOp {
    EditOp::Set { path: Path::parse(path), value: value.into() }
}

const CLASS: &str = "\
# the fast class
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast  # keep me
provisioner: ebs.csi.aws.com
parameters:
  type: gp2
";

#[test]
fn a_new_key_goes_after_its_last_sibling_and_comments_stay() {
    let out = edited(CLASS, 0, set("allowVolumeExpansion", true)).unwrap();
    assert_eq!(out, format!("{CLASS}allowVolumeExpansion: true\n"));
    let out = edited(CLASS, 0, set("metadata.labels.tier", "gold")).unwrap();
    assert!(out.contains("  name: fast  # keep me\n  labels:\n    tier: gold\nprovisioner"), "{out}");
}

#[test]
fn a_replaced_scalar_keeps_its_quoting() {
    let out = edited(CLASS, 0, set("parameters.type", "gp3")).unwrap();
    assert_eq!(out, CLASS.replace("type: gp2", "type: gp3"));
    let quoted = CLASS.replace("type: gp2", "type: \"gp2\"");
    assert!(edited(&quoted, 0, set("parameters.type", "gp3")).unwrap().contains("type: \"gp3\""));
    let single = CLASS.replace("type: gp2", "type: 'gp2'");
    assert!(edited(&single, 0, set("parameters.type", "gp3")).unwrap().contains("type: 'gp3'"));
    // A string that reads as a boolean is quoted.
    assert!(
        edited(CLASS, 0, set("parameters.encrypted", "true")).unwrap().contains("  encrypted: \"true\"\n")
    );
}

#[test]
fn four_space_indentation_and_unindented_sequences_are_kept() {
    let text = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
    name: db
spec:
    template:
        spec:
            containers:
            - name: db
              image: postgres:16
";
    let out = edited(text, 0, set("spec.template.spec.securityContext.fsGroup", 999i64)).unwrap();
    assert!(
        out.ends_with(
            "              image: postgres:16\n            securityContext:\n                fsGroup: 999\n"
        ),
        "{out}"
    );
    let out =
        edited(text, 0, set("spec.template.spec.containers[0].resources.limits.memory", "1Gi")).unwrap();
    assert!(out.ends_with("              image: postgres:16\n              resources:\n                  limits:\n                      memory: 1Gi\n"), "{out}");
}

#[test]
fn flow_mappings_get_flow_entries() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  securityContext: {}\n  volumes: [{name: x, emptyDir: {medium: Memory}}]\n";
    let out = edited(text, 0, set("spec.securityContext.fsGroup", 1000i64)).unwrap();
    assert!(out.contains("securityContext: {fsGroup: 1000}"), "{out}");
    let out = edited(text, 0, set("spec.volumes[0].emptyDir.sizeLimit", "1Gi")).unwrap();
    assert!(out.contains("emptyDir: {medium: Memory, sizeLimit: 1Gi}"), "{out}");
}

#[test]
fn json_files_are_edited_as_json() {
    let text = "{\n  \"apiVersion\": \"storage.k8s.io/v1\",\n  \"kind\": \"StorageClass\",\n  \"metadata\": {\"name\": \"fast\"},\n  \"provisioner\": \"ebs.csi.aws.com\"\n}\n";
    let out = edited(text, 0, set("allowVolumeExpansion", true)).unwrap();
    assert_eq!(
        out,
        text.replace("\"ebs.csi.aws.com\"\n", "\"ebs.csi.aws.com\",\n  \"allowVolumeExpansion\": true\n")
    );
    let out = edited(text, 0, set("metadata.labels", NewValue::Map(vec![("a".into(), NewValue::str("b"))])))
        .unwrap();
    assert!(out.contains("\"metadata\": {\"name\": \"fast\", \"labels\": {\"a\": \"b\"}}"), "{out}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
    let out = edited(text, 0, set("parameters.type", "gp3")).unwrap();
    assert!(out.contains(",\n  \"parameters\": {\n    \"type\": \"gp3\"\n  }\n}"), "{out}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
}

#[test]
fn crlf_and_a_missing_final_newline_are_kept() {
    let crlf = CLASS.replace('\n', "\r\n");
    let out = edited(&crlf, 0, set("metadata.labels.tier", "gold")).unwrap();
    assert!(out.contains("  name: fast  # keep me\r\n  labels:\r\n    tier: gold\r\nprovisioner"), "{out:?}");
    assert!(!out.replace("\r\n", "").contains('\n'));
    let bare = CLASS.trim_end();
    let out = edited(bare, 0, set("reclaimPolicy", "Retain")).unwrap();
    assert_eq!(out, format!("{bare}\nreclaimPolicy: Retain"));
    let out = edited(bare, 0, EditOp::Remove { path: Path::parse("parameters") }).unwrap();
    assert_eq!(out, bare.trim_end_matches("\nparameters:\n  type: gp2"));
}

#[test]
fn removals_take_whole_entries() {
    let text = "\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  annotations:
    storageclass.kubernetes.io/is-default-class: \"true\"
    owner: team-a
provisioner: x
";
    let path =
        Path::root().key("metadata").key("annotations").key("storageclass.kubernetes.io/is-default-class");
    let out = edited(text, 0, EditOp::Remove { path: path.clone() }).unwrap();
    assert_eq!(out, text.replace("    storageclass.kubernetes.io/is-default-class: \"true\"\n", ""));
    let only = text.replace("    owner: team-a\n", "");
    let out = edited(&only, 0, EditOp::Remove { path }).unwrap();
    assert!(out.contains("  annotations: {}\nprovisioner"), "{out}");
    let items =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes:\n  - emptyDir: {}\n    name: x\n";
    let out = edited(items, 0, EditOp::Remove { path: Path::parse("spec.volumes[0].emptyDir") }).unwrap();
    assert!(out.ends_with("  volumes:\n  - name: x\n"), "{out}");
}

#[test]
fn multi_document_files_edit_only_their_object() {
    let text = format!("{CLASS}---\n{CLASS}");
    let out = edited(&text, 1, set("parameters.type", "gp3")).unwrap();
    assert_eq!(out, format!("{CLASS}---\n{}", CLASS.replace("gp2", "gp3")));
    let out = edited(&text, 0, set("reclaimPolicy", "Retain")).unwrap();
    assert_eq!(out, format!("{CLASS}reclaimPolicy: Retain\n---\n{CLASS}"));
}

#[test]
fn renames_keep_the_value() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    volumeMounts:\n    - name: data\n      mountPath: /dev/xvda\n";
    let out = edited(
        text,
        0,
        EditOp::Rename { path: Path::parse("spec.containers[0].volumeMounts"), to: "volumeDevices".into() },
    )
    .unwrap();
    assert!(out.contains("    volumeDevices:\n    - name: data\n"), "{out}");
}

#[test]
fn anchors_aliases_and_templates_are_skipped() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  securityContext: &sc {runAsUser: 1000}\n  template:\n    securityContext: *sc\n";
    assert!(matches!(edited(text, 0, set("spec.securityContext.fsGroup", 1000i64)), Err(Skip::Anchor(_))));
    assert!(matches!(
        edited(text, 0, set("spec.template.securityContext.fsGroup", 1000i64)),
        Err(Skip::Anchor(_))
    ));
    let merged =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nbase: &b\n  x: 1\nspec:\n  <<: *b\n  y: 2\n";
    assert!(matches!(edited(merged, 0, set("spec.x", 2i64)), Err(Skip::Anchor(_))));
    let template = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nspec:\n  storageClassName: \"{{ .Values.class }}\"\n";
    assert_eq!(edited(template, 0, set("spec.storageClassName", "fast")), Err(Skip::Template));
}

#[test]
fn null_values_become_mappings() {
    let text =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  securityContext:\n  containers: []\n";
    let out = edited(text, 0, set("spec.securityContext.fsGroup", 1000i64)).unwrap();
    assert!(out.contains("  securityContext:\n    fsGroup: 1000\n  containers: []"), "{out}");
}

#[test]
fn maps_with_merged_entries_are_not_edited() {
    let text =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: &b {y: 1}\nz: *b\nw:\n  <<: *b\n  v: 2\n";
    assert!(matches!(edited(text, 0, set("w.u", 3i64)), Err(Skip::Anchor(_))));
    assert!(matches!(edited(text, 0, EditOp::Remove { path: Path::parse("w.v") }), Err(Skip::Anchor(_))));
    // The document of the fuzz case that found it: an alias-heavy root.
    let fuzz = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nprovisioner: ebs.csi.aws.com\nx: &b {y: 1}\nz: *b\n<<: *b\n";
    let _ = edited(fuzz, 0, set("allowVolumeExpansion", true));
}

fn topologies() -> NewValue {
    NewValue::Seq(vec![NewValue::Map(vec![(
        "matchLabelExpressions".into(),
        NewValue::Seq(vec![NewValue::Map(vec![
            ("key".into(), NewValue::str("topology.ebs.csi.aws.com/zone")),
            ("values".into(), NewValue::Seq(vec![NewValue::str("eu-west-1a"), NewValue::str("eu-west-1b")])),
        ])]),
    )])])
}

#[test]
fn a_new_sequence_follows_the_files_sequence_indentation() {
    let indented = format!("{CLASS}mountOptions:\n  - debug\n");
    let out = edited(&indented, 0, set("allowedTopologies", topologies())).unwrap();
    assert_eq!(
        out,
        format!(
            "{indented}allowedTopologies:\n  - matchLabelExpressions:\n      - key: topology.ebs.csi.aws.com/zone\n        values: [eu-west-1a, eu-west-1b]\n"
        )
    );
    let flat = format!("{CLASS}mountOptions:\n- debug\n");
    let out = edited(&flat, 0, set("allowedTopologies", topologies())).unwrap();
    assert_eq!(
        out,
        format!(
            "{flat}allowedTopologies:\n- matchLabelExpressions:\n  - key: topology.ebs.csi.aws.com/zone\n    values: [eu-west-1a, eu-west-1b]\n"
        )
    );
    // What was written reads back as the value that was meant.
    let mut workspace = Workspace::default();
    workspace.add_text("out.yaml", out.clone(), &Limits::default());
    let json = workspace.objects[0].root().to_json();
    assert_eq!(json["allowedTopologies"], topologies().to_json());
}

#[test]
fn a_new_sequence_in_json_is_a_json_array() {
    let text = "{\"apiVersion\": \"storage.k8s.io/v1\", \"kind\": \"StorageClass\", \"metadata\": {\"name\": \"a\"}}\n";
    let out = edited(text, 0, set("allowedTopologies", topologies())).unwrap();
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["allowedTopologies"], topologies().to_json());
}

#[test]
fn several_keys_into_an_empty_flow_mapping_get_their_separators() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n    - name: c\n      resources: {limits: {}, requests: {}}\n";
    let value = NewValue::Map(vec![
        (
            "requests".into(),
            NewValue::Map(vec![("cpu".into(), "10m".into()), ("memory".into(), "20Mi".into())]),
        ),
        ("limits".into(), NewValue::Map(vec![("memory".into(), "100Mi".into())])),
    ]);
    let out = edited(text, 0, set("spec.containers[0].resources", value)).unwrap();
    assert!(
        out.ends_with("      resources: {limits: {memory: 100Mi}, requests: {cpu: 10m, memory: 20Mi}}\n"),
        "{out}"
    );
}

#[test]
fn a_line_added_at_a_line_end_is_written_at_the_next_line_start() {
    let mut workspace = Workspace::default();
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  b: c\n";
    workspace.add_text("t.yaml", text.to_string(), &Limits::default());
    let edits = [
        ObjectEdit { object: ObjectId(0), op: EditOp::Remove { path: Path::parse("data.b") } },
        ObjectEdit { object: ObjectId(0), op: set("immutable", true) },
    ];
    // Alone, each is one edit; together the new line goes after the removed one.
    let all = resolve_all(&workspace, &edits).unwrap();
    assert_eq!(
        apply(text, &all),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {}\nimmutable: true\n"
    );
    assert!(all.iter().all(|e| e.content != "\nimmutable: true"), "{all:?}");
}
