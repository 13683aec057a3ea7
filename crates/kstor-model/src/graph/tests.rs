use super::*;
use crate::catalog::{Pattern, Role};
use crate::yaml::Limits;

fn graph(text: &str) -> StorageGraph {
    let mut ws = Workspace::default();
    ws.add_text("t.yaml", text.to_string(), &Limits::default());
    build(ws, Catalog::builtin())
}

const BUNDLE: &str = r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
parameters: {type: gp3}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs}
provisioner: nfs.csi.k8s.io
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared, namespace: data}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: nfs
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: legacy, namespace: data, annotations: {volume.beta.kubernetes.io/storage-class: nfs}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: gp3
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: data}
spec:
  serviceName: pg
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec:
      containers:
        - name: postgres
          image: docker.io/library/postgres:16
          env: [{name: PGDATA, value: /var/lib/postgresql/data/pgdata}]
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql/data}
            - {name: shared, mountPath: /shared}
            - {name: scratch, mountPath: /tmp}
      volumes:
        - {name: data, emptyDir: {}}
        - {name: shared, persistentVolumeClaim: {claimName: shared}}
        - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
        - name: cache
          ephemeral:
            volumeClaimTemplate:
              spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 100Gi}}
"#;

#[test]
fn resolves_workloads_claims_classes_and_drivers() {
    let g = graph(BUNDLE);
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    assert_eq!(g.workloads.len(), 1);
    let pg = &g.workloads[0];
    assert_eq!(pg.role.role, Role::Database);
    assert_eq!(pg.role.engine.as_deref(), Some("postgres"));
    assert_eq!(pg.role.data_dirs[0], "/var/lib/postgresql/data/pgdata", "PGDATA comes first");

    // The claim template shadows the emptyDir volume of the same name.
    let template = g.claim(pg.claim_templates[0]);
    assert_eq!(template.name, "data");
    assert_eq!(pg.pod.volumes[0].shadowed_by, Some(pg.claim_templates[0]));
    let data_mount = &pg.pod.containers[0].mounts[0];
    assert_eq!(data_mount.target, MountTarget::ClaimTemplate(pg.claim_templates[0]));

    // Unset class → the default class → EBS.
    assert_eq!(g.class_of(template).unwrap().name, "gp3");
    assert!(matches!(template.class, ClassResolution::Default(_)));
    assert_eq!(g.driver_of_claim(template).unwrap().driver, "ebs.csi.aws.com");

    // The legacy annotation wins over the field.
    let legacy = g.claim(g.claim_named("data", "legacy").unwrap());
    assert_eq!(g.class_of(legacy).unwrap().name, "nfs");

    // Standalone claim referenced by the pod volume.
    let shared = g.claim_named("data", "shared").unwrap();
    assert!(matches!(pg.pod.volumes[1].source, VolumeSource::Claim { claim: Some(c), .. } if c == shared));
    assert_eq!(g.claim_users(shared), &[WorkloadId(0)]);

    // The generic ephemeral volume becomes a claim.
    assert!(matches!(pg.pod.volumes[3].source, VolumeSource::Ephemeral { .. }));
    assert_eq!(g.claims.len(), 4);

    // The data mount covers PGDATA.
    let data: Vec<_> = g.data_mounts(pg).iter().map(|(_, m)| m.mount_path.clone()).collect();
    assert_eq!(data, vec!["/var/lib/postgresql/data"]);
}

#[test]
fn names_volume_patterns() {
    let g = graph(BUNDLE);
    let patterns: Vec<(String, Pattern)> =
        g.volume_patterns(WorkloadId(0)).into_iter().map(|p| (p.volume.to_string(), p.pattern)).collect();
    assert_eq!(
        patterns,
        vec![
            ("shared".to_string(), Pattern::RwxFile),
            ("scratch".to_string(), Pattern::EphemeralMemory),
            ("cache".to_string(), Pattern::EphemeralDisk),
            ("data".to_string(), Pattern::RwoBlock),
        ]
    );
}

#[test]
fn snapshot_class_turns_rwo_block_into_rwo_snapshot() {
    let text = format!(
        "{BUNDLE}---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata: {{name: ebs}}\ndriver: ebs.csi.aws.com\ndeletionPolicy: Retain\n"
    );
    let g = graph(&text);
    let data = g.volume_patterns(WorkloadId(0)).into_iter().find(|p| p.volume == "data").unwrap();
    assert_eq!(data.pattern, Pattern::RwoSnapshot);
}

#[test]
fn type_errors_and_bad_enum_values_are_diagnostics_with_paths() {
    let g = graph(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nspec:\n  accessModes: [RWX]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: \"2\"\n",
    );
    let found: Vec<(String, String)> = g
        .diagnostics()
        .iter()
        .map(|d| match &d.location {
            Location::Field { path, .. } => (path.to_string(), d.message.clone()),
            other => (format!("{other:?}"), d.message.clone()),
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "spec.accessModes[0]");
    assert!(found[0].1.contains("unsupported value \"RWX\""));
    assert_eq!(found[1].0, "spec.replicas");
}

#[test]
fn csidriver_objects_refine_catalog_capabilities() {
    let g = graph(
        "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: ebs.csi.aws.com}\nspec: {attachRequired: false, fsGroupPolicy: None}\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: xc}\nprovisioner: ebs.csi.aws.com\n---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: yc}\nprovisioner: example.com/unknown\n",
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let x = g.class_named("xc").unwrap().driver.clone().unwrap();
    assert!(!x.attach_required);
    assert_eq!(x.fs_group_policy, FsGroupPolicy::None);
    assert_eq!(x.topology, Topology::Zonal);
    assert!(g.class_named("yc").unwrap().driver.is_none());
}

#[test]
fn roles_from_labels_ports_annotations_and_clients() {
    let g = graph(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, labels: {app.kubernetes.io/name: mysql}}
spec: {selector: {}, template: {spec: {containers: [{name: c, image: myorg/custom:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, annotations: {kstor.io/role: message-queue}}
spec: {selector: {}, template: {spec: {containers: [{name: c, image: postgres:16}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: c}
spec: {template: {spec: {containers: [{name: c, image: postgres:16, command: [psql, -c, "select 1"]}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {selector: {}, template: {spec: {containers: [{name: c, image: myorg/x, ports: [{containerPort: 9092}]}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: e, labels: {app.kubernetes.io/name: postgresql}}
spec: {selector: {}, template: {spec: {containers: [{name: c, image: prometheuscommunity/postgres-exporter}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: f, annotations: {kstor.io/role: db}}
spec: {containers: [{name: c, image: busybox}]}
"#,
    );
    let roles: Vec<(Role, Evidence)> = g.workloads.iter().map(|w| (w.role.role, w.role.evidence)).collect();
    assert_eq!(
        roles,
        vec![
            (Role::Database, Evidence::NameLabel),
            (Role::MessageQueue, Evidence::Annotation),
            (Role::Generic, Evidence::Default),
            (Role::MessageQueue, Evidence::Port),
            (Role::Generic, Evidence::Default),
            (Role::Generic, Evidence::Default),
        ]
    );
    assert_eq!(g.diagnostics().len(), 1, "invalid role annotation");
    assert!(g.diagnostics()[0].message.contains("unknown role `db`"));
}

#[test]
fn placement_detects_hostname_pins_and_zones() {
    let g = graph(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  nodeSelector: {kubernetes.io/hostname: node-1}
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a, us-east-1b]}
  containers: [{name: c, image: x}]
"#,
    );
    assert!(g.workloads[0].pod.placement.pinned_to_one_node());
    assert!(!g.workloads[1].pod.placement.pinned_to_one_node());
    assert_eq!(
        g.workloads[1].pod.placement.zones.as_deref(),
        Some(&["us-east-1a".to_string(), "us-east-1b".to_string()][..])
    );
    assert_eq!(g.workloads[0].pod.placement.zones_path, None);
    assert_eq!(
        g.workloads[1].pod.placement.zones_path.as_ref().map(ToString::to_string).as_deref(),
        Some("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
    );
}

#[test]
fn placement_zone_path_prefers_the_node_selector() {
    let g = graph(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  nodeSelector: {topology.kubernetes.io/zone: eu-west-1a}\n  containers: [{name: c, image: x}]\n",
    );
    let placement = &g.workloads[0].pod.placement;
    assert_eq!(placement.zones.as_deref(), Some(&["eu-west-1a".to_string()][..]));
    assert_eq!(
        placement.zones_path.as_ref().map(ToString::to_string).as_deref(),
        Some("spec.nodeSelector.\"topology.kubernetes.io/zone\"")
    );
}

#[test]
fn static_classes_take_topology_from_their_volumes() {
    let class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local}\nprovisioner: kubernetes.io/no-provisioner\n";
    let local_pv = "---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec:\n  storageClassName: local\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  local: {path: /mnt/disk1}\n";
    let nfs_pv = "---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv2}\nspec:\n  storageClassName: local\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteMany]\n  nfs: {server: nfs.example.com, path: /exports}\n";
    let topology = |text: &str| graph(text).class_named("local").unwrap().driver.as_ref().unwrap().topology;
    assert_eq!(topology(class), Topology::Unknown);
    assert_eq!(topology(&format!("{class}{local_pv}{nfs_pv}")), Topology::NodeLocal);
    assert_eq!(topology(&format!("{class}{nfs_pv}")), Topology::None);
}

#[test]
fn data_directories_from_command_line_arguments() {
    let g = graph(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: minio}\nspec:\n  selector: {}\n  template:\n    spec:\n      containers:\n        - name: minio\n          image: minio/minio:latest\n          args: [server, /storage, --config-dir, /config]\n          volumeMounts: [{name: s, mountPath: /storage}, {name: c, mountPath: /config}]\n      volumes: [{name: s, emptyDir: {}}, {name: c, emptyDir: {}}]\n",
    );
    let w = &g.workloads[0];
    assert_eq!(w.role.data_dirs[0], "/storage");
    assert_eq!(g.data_mounts(w).len(), 1);
}

#[test]
fn an_object_with_wrong_fields_is_still_modelled_and_every_error_reported() {
    let g = graph(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {}\n  template:\n    spec:\n      containers:\n        - name: app\n          image: x\n          env:\n            - {name: PORT, value: 8080}\n            - {name: 7, value: ok}\n          ports: [{containerPort: \"80\"}]\n          volumeMounts: [{name: data, mountPath: /data}]\n      volumes:\n        - {name: data, persistentVolumeClaim: {claimName: data}}\n",
    );
    let paths: Vec<String> = g
        .diagnostics()
        .iter()
        .map(|d| match &d.location {
            Location::Field { path, .. } => path.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            "spec.template.spec.containers[0].env[0].value",
            "spec.template.spec.containers[0].env[1].name",
            "spec.template.spec.containers[0].ports[0].containerPort",
        ]
    );
    let w = &g.workloads[0];
    assert_eq!(w.replicas.as_ref().unwrap().count, 2);
    assert_eq!(w.pod.containers[0].mounts.len(), 1, "the storage facts survive");
}

#[test]
fn snapshots_data_sources_and_volume_sources_are_modelled() {
    let g = graph(
        r#"
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: nightly, namespace: data}
spec:
  volumeSnapshotClassName: ebs-retain
  source: {persistentVolumeClaimName: pg-data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: restored, namespace: data}
spec:
  accessModes: [ReadWriteOnce]
  dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: nightly}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: clone, namespace: data}
spec:
  accessModes: [ReadWriteOnce]
  dataSourceRef: {kind: PersistentVolumeClaim, name: restored}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: old}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  awsElasticBlockStore: {volumeID: vol-1, fsType: xfs}
"#,
    );
    let snapshot = g.snapshot_named("data", "nightly").expect("snapshot");
    assert_eq!(snapshot.class_name.as_ref().unwrap().0, "ebs-retain");
    assert_eq!(snapshot.class_name.as_ref().unwrap().1.to_string(), "spec.volumeSnapshotClassName");
    assert_eq!(snapshot.source_claim.as_ref().unwrap().0, "pg-data");
    let restored = g.claim(g.claim_named("data", "restored").unwrap());
    let source = restored.data_source.as_ref().unwrap();
    assert!(source.is_snapshot() && !source.is_claim());
    assert_eq!(source.path.to_string(), "spec.dataSource");
    let clone = g.claim(g.claim_named("data", "clone").unwrap());
    let source = clone.data_source.as_ref().unwrap();
    assert!(source.is_claim());
    assert_eq!((source.name.as_str(), source.path.to_string().as_str()), ("restored", "spec.dataSourceRef"));
    let pv = &g.volumes[0];
    assert_eq!(pv.source.as_ref().unwrap().0, "awsElasticBlockStore");
    assert_eq!(pv.source.as_ref().unwrap().1.to_string(), "spec.awsElasticBlockStore");
    assert_eq!(pv.fs_type.as_deref(), Some("xfs"));
    assert_eq!(pv.volume_mode, crate::catalog::VolumeMode::Block);
}
