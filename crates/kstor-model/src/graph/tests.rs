use super::*;
use crate::catalog::{AccessMode, Pattern, Role};
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
    assert_eq!(g.driver_of_claim(template).unwrap().name, "ebs.csi.aws.com");

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
fn claim_drivers_are_resolved_once_through_the_class_or_the_static_volume() {
    let g = graph(
        "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: legacy}
provisioner: kubernetes.io/aws-ebs
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: custom}
provisioner: storage.example.com
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: old-disk}
spec: {awsElasticBlockStore: {volumeID: vol-1}, claimRef: {namespace: app, name: static}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: mystery}
spec: {csi: {driver: storage.example.com, volumeHandle: x}, claimRef: {namespace: app, name: unknown}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: in-tree, namespace: app}
spec: {storageClassName: legacy}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: custom, namespace: app}
spec: {storageClassName: custom}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static, namespace: app}
spec: {storageClassName: ''}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: unknown, namespace: app}
spec: {storageClassName: ''}
",
    );
    let driver = |name: &str| {
        let claim = g.claim(g.claim_named("app", name).unwrap());
        g.driver_of_claim(claim)
            .map(|d| (d.name.as_str(), d.capabilities.as_ref().map(|c| c.driver.as_str())))
    };
    // An in-tree provisioner resolves to the CSI driver its operations migrated to.
    assert_eq!(driver("in-tree"), Some(("ebs.csi.aws.com", Some("ebs.csi.aws.com"))));
    // A class's unknown provisioner is still its driver, with unknown capabilities.
    assert_eq!(driver("custom"), Some(("storage.example.com", None)));
    // Without a class: the static volume's in-tree source, mapped the same way.
    assert_eq!(driver("static"), Some(("ebs.csi.aws.com", Some("ebs.csi.aws.com"))));
    // A static volume's driver counts only when known.
    assert_eq!(driver("unknown"), None);
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
    let csi_pv = |name: &str, affinity: &str| {
        format!(
            "---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {name}}}\nspec:\n  storageClassName: local\n  capacity: {{storage: 1Gi}}\n  accessModes: [ReadWriteOnce]\n  csi: {{driver: ebs.csi.aws.com, volumeHandle: vol-1}}\n{affinity}"
        )
    };
    let zone = "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - {key: topology.ebs.csi.aws.com/zone, operator: In, values: [eu-west-1a]}\n";
    let host = "  nodeAffinity:\n    required:\n      nodeSelectorTerms:\n        - matchExpressions:\n            - {key: kubernetes.io/hostname, operator: In, values: [node-1]}\n";
    assert_eq!(topology(&format!("{class}{}", csi_pv("a", ""))), Topology::None);
    assert_eq!(topology(&format!("{class}{}{nfs_pv}", csi_pv("a", zone))), Topology::Zonal);
    assert_eq!(topology(&format!("{class}{}{}", csi_pv("a", zone), csi_pv("b", host))), Topology::NodeLocal);
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

#[test]
fn assessment_judges_data_volumes_against_the_matrix() {
    use crate::catalog::Verdict;
    let g = graph(
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs}
provisioner: nfs.csi.k8s.io
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: data}
spec:
  template:
    spec:
      containers:
        - name: pg
          image: postgres:16
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql/data}
            - {name: conf, mountPath: /etc/postgresql}
      volumes:
        - name: conf
          configMap: {name: pg-conf}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteMany], storageClassName: nfs}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysql, namespace: data}
spec:
  template:
    spec:
      containers:
        - name: mysql
          image: mysql:8
          volumeMounts: [{name: data, mountPath: /var/lib/mysql}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], storageClassName: gp3}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: rabbit, namespace: q}
spec:
  template:
    spec:
      containers: [{name: rabbitmq, image: rabbitmq:3}]
"#,
    );
    let rows = g.assess();
    let find = |w: &str, v: Option<&str>| {
        rows.iter()
            .find(|r| r.workload_name == w && r.volume.as_deref() == v)
            .unwrap_or_else(|| panic!("no row {w} {v:?} in {rows:#?}"))
    };
    let pg = find("statefulset data/pg", Some("data"));
    assert_eq!(pg.pattern, Some(Pattern::RwxFile));
    assert!(
        matches!(&pg.verdict, Verdict::Mismatch(why) if why.contains("rwo-snapshot")),
        "{:?}",
        pg.verdict
    );
    assert_eq!(find("statefulset data/pg", Some("conf")).verdict, Verdict::NotData);
    // RWO block without a snapshot class: acceptable for a database, with the caveat.
    let mysql = find("statefulset data/mysql", Some("data"));
    assert_eq!(mysql.pattern, Some(Pattern::RwoBlock));
    assert!(matches!(&mysql.verdict, Verdict::FitsWithCaveat(c) if c.contains("VolumeSnapshotClass")));
    // No volume at all at a queue's data directory: a row without a volume.
    let rabbit = find("deployment q/rabbit", None);
    assert_eq!(rabbit.pattern, None);
    assert!(matches!(&rabbit.verdict, Verdict::Mismatch(why) if why.contains("/var/lib/rabbitmq")));
}

// --- Operator custom resources -------------------------------------------------------------

fn diagnostics_at(g: &StorageGraph) -> Vec<(String, String)> {
    g.diagnostics()
        .iter()
        .map(|d| match &d.location {
            Location::Field { path, .. } => (path.to_string(), d.message.clone()),
            other => (format!("{other:?}"), d.message.clone()),
        })
        .collect()
}

/// The claim templates of a workload: (name, modes with paths, class ref, class path, request).
#[allow(clippy::type_complexity)]
fn templates_of(
    g: &StorageGraph,
    w: &Workload,
) -> Vec<(String, Vec<(AccessMode, String)>, ClassRef, String, Option<f64>)> {
    w.claim_templates
        .iter()
        .map(|&id| {
            let c = g.claim(id);
            (
                c.name.to_string(),
                c.access_modes.iter().map(|(m, p)| (*m, p.to_string())).collect(),
                c.class_ref.clone(),
                c.class_path.to_string(),
                c.request,
            )
        })
        .collect()
}

const GI: f64 = 1024.0 * 1024.0 * 1024.0;

#[test]
fn cloudnative_pg_cluster_storage_and_wal_with_a_pvc_template() {
    let g = graph(
        r#"
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg-main, namespace: db}
spec:
  instances: 3
  storage:
    size: 20Gi
    pvcTemplate:
      accessModes: [ReadWriteMany]
      storageClassName: nfs
  walStorage:
    storageClass: fast
    size: 5Gi
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    assert_eq!(g.workloads.len(), 1);
    let w = &g.workloads[0];
    assert_eq!(w.kind, WorkloadKind::Operator);
    assert_eq!(w.kind_word(), "cluster");
    assert_eq!((w.namespace.as_ref(), w.name.as_ref()), ("db", "pg-main"));
    assert_eq!(
        w.replicas.as_ref().map(|r| (r.count, r.path.as_ref().map(|p| p.to_string()))),
        Some((3, Some("spec.instances".into())))
    );
    assert_eq!(
        (w.role.role, w.role.engine.as_deref(), w.role.evidence),
        (Role::Database, Some("postgres"), Evidence::Operator)
    );
    assert_eq!(
        templates_of(&g, w),
        vec![
            (
                "pgdata".into(),
                vec![(AccessMode::ReadWriteMany, "spec.storage.pvcTemplate.accessModes[0]".into())],
                ClassRef::Field("nfs".into()),
                "spec.storage.pvcTemplate.storageClassName".into(),
                Some(20.0 * GI),
            ),
            (
                "pg-wal".into(),
                vec![(AccessMode::ReadWriteOnce, "spec.walStorage".into())],
                ClassRef::Field("fast".into()),
                "spec.walStorage.storageClass".into(),
                Some(5.0 * GI),
            ),
        ]
    );
    // The engine container mounts both at postgres's directories; they hold its data.
    let container = &w.pod.containers[0];
    assert_eq!((container.name.as_ref(), container.image.as_ref()), ("postgres", ""));
    let mounts: Vec<_> =
        container.mounts.iter().map(|m| (m.mount_path.to_string(), m.path.to_string(), m.target)).collect();
    assert_eq!(
        mounts,
        vec![
            (
                "/var/lib/postgresql/data".into(),
                "spec.storage".into(),
                MountTarget::ClaimTemplate(w.claim_templates[0])
            ),
            (
                "/var/lib/postgresql/wal".into(),
                "spec.walStorage".into(),
                MountTarget::ClaimTemplate(w.claim_templates[1])
            ),
        ]
    );
    assert_eq!(g.data_mounts(w).len(), 2);
    assert_eq!(g.claim(w.claim_templates[0]).describe(&g), "claim template pgdata of cluster db/pg-main");
}

#[test]
fn zalando_rabbitmq_and_mariadb_size_and_class_formats() {
    let g = graph(
        r#"
apiVersion: acid.zalan.do/v1
kind: postgresql
metadata: {name: acid-minimal}
spec:
  numberOfInstances: 2
  volume: {size: 1Gi, storageClass: gp3}
---
apiVersion: rabbitmq.com/v1beta1
kind: RabbitmqCluster
metadata: {name: mq}
spec: {}
---
apiVersion: k8s.mariadb.com/v1alpha1
kind: MariaDB
metadata: {name: maria}
spec:
  storage: {size: 2Gi, storageClassName: ""}
---
apiVersion: mariadb.mmontes.io/v1alpha1
kind: MariaDB
metadata: {name: old}
spec:
  volumeClaimTemplate:
    accessModes: [ReadWriteOnce]
    resources: {requests: {storage: 3Gi}}
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let by_name = |n: &str| g.workloads.iter().find(|w| w.name == n).unwrap();
    let zalando = by_name("acid-minimal");
    assert_eq!((zalando.kind_word(), zalando.replicas.as_ref().unwrap().count), ("postgresql", 2));
    let t = &templates_of(&g, zalando)[0];
    assert_eq!(
        (t.2.clone(), t.3.as_str(), t.4),
        (ClassRef::Field("gp3".into()), "spec.volume.storageClass", Some(GI))
    );
    assert_eq!(zalando.pod.containers[0].mounts[0].mount_path, "/home/postgres/pgdata");

    // RabbitMQ: 10Gi on the default class when persistence is not written; 1 replica.
    let mq = by_name("mq");
    assert_eq!((mq.role.role, mq.replicas.as_ref().unwrap().count), (Role::MessageQueue, 1));
    assert_eq!(
        templates_of(&g, mq),
        vec![(
            "persistence".into(),
            vec![(AccessMode::ReadWriteOnce, "spec.persistence".into())],
            ClassRef::Unset,
            "spec.persistence".into(),
            Some(10.0 * GI)
        )]
    );

    let maria = by_name("maria");
    let t = &templates_of(&g, maria)[0];
    assert_eq!((t.2.clone(), t.4), (ClassRef::Empty, Some(2.0 * GI)));
    assert_eq!(maria.role.engine.as_deref(), Some("mariadb"));
    let old = by_name("old");
    let t = &templates_of(&g, old)[0];
    assert_eq!(t.1, vec![(AccessMode::ReadWriteOnce, "spec.volumeClaimTemplate.accessModes[0]".to_string())]);
    assert_eq!(t.4, Some(3.0 * GI));
}

#[test]
fn strimzi_persistent_jbod_ephemeral_and_delete_claim() {
    let g = graph(
        r#"
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: my-cluster, namespace: kafka}
spec:
  kafka:
    replicas: 3
    storage:
      type: jbod
      volumes:
        - {id: 0, type: persistent-claim, size: 100Gi, class: gp3, deleteClaim: true}
        - {id: 1, type: persistent-claim, size: 50Gi}
  zookeeper:
    replicas: 3
    storage:
      type: ephemeral
      sizeLimit: 1Gi
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaNodePool
metadata: {name: brokers, namespace: kafka}
spec:
  replicas: 2
  roles: [broker]
  storage: {type: persistent-claim, size: 10Gi}
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let names: Vec<_> = g.workloads.iter().map(|w| (w.kind_word().to_string(), w.name.to_string())).collect();
    assert_eq!(
        names,
        vec![
            ("kafka".into(), "my-cluster/kafka".into()),
            ("kafka".into(), "my-cluster/zookeeper".into()),
            ("kafkanodepool".into(), "brokers".into()),
        ]
    );
    let kafka = &g.workloads[0];
    let templates = templates_of(&g, kafka);
    assert_eq!(templates.len(), 2);
    assert_eq!(templates[0].0, "data-0");
    assert_eq!(
        templates[0].1,
        vec![(AccessMode::ReadWriteOnce, "spec.kafka.storage.volumes[0]".to_string())]
    );
    assert_eq!(
        (templates[0].3.as_str(), templates[0].4),
        ("spec.kafka.storage.volumes[0].class", Some(100.0 * GI))
    );
    assert_eq!(
        (templates[1].2.clone(), templates[1].3.as_str()),
        (ClassRef::Unset, "spec.kafka.storage.volumes[1]")
    );
    let mounts: Vec<_> = kafka.pod.containers[0].mounts.iter().map(|m| m.mount_path.to_string()).collect();
    assert_eq!(mounts, vec!["/var/lib/kafka/data-0", "/var/lib/kafka/data-1"]);
    let retention = kafka.retention.as_ref().unwrap().when_deleted.as_ref().unwrap();
    assert_eq!(
        (retention.0.as_str(), retention.1.to_string()),
        ("Delete", "spec.kafka.storage.volumes[0].deleteClaim".to_string())
    );

    // Ephemeral ZooKeeper: an emptyDir at its data directory, pointing at `type`.
    let zk = &g.workloads[1];
    assert_eq!((zk.role.role, zk.role.engine.as_deref()), (Role::Coordination, Some("zookeeper")));
    assert!(zk.claim_templates.is_empty());
    assert_eq!(zk.pod.volumes[0].path.to_string(), "spec.zookeeper.storage.type");
    assert!(
        matches!(&zk.pod.volumes[0].source, VolumeSource::EmptyDir { memory: false, size_limit: Some(s) } if s == "1Gi")
    );
    let (_, mount) = g.data_mounts(zk)[0];
    assert_eq!((mount.mount_path.as_ref(), mount.target), ("/var/lib/zookeeper", MountTarget::Volume(0)));

    let pool = &g.workloads[2];
    assert_eq!(pool.replicas.as_ref().unwrap().count, 2);
    assert_eq!(templates_of(&g, pool)[0].4, Some(10.0 * GI));
}

#[test]
fn percona_volume_specs_claim_empty_dir_and_host_path() {
    let g = graph(
        r#"
apiVersion: pxc.percona.com/v1
kind: PerconaXtraDBCluster
metadata: {name: cluster1}
spec:
  pxc:
    size: 3
    volumeSpec:
      persistentVolumeClaim:
        storageClassName: standard
        resources: {requests: {storage: 6G}}
---
apiVersion: psmdb.percona.com/v1
kind: PerconaServerMongoDB
metadata: {name: mongo}
spec:
  replsets:
    - name: rs0
      size: 3
      volumeSpec: {emptyDir: {}}
    - name: rs1
      size: 3
      volumeSpec:
        hostPath: {path: /data/mongo, type: Directory}
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let pxc = &g.workloads[0];
    assert_eq!(
        (pxc.name.as_ref(), pxc.kind_word(), pxc.role.engine.as_deref()),
        ("cluster1/pxc", "perconaxtradbcluster", Some("mysql"))
    );
    assert_eq!(
        templates_of(&g, pxc),
        vec![(
            "datadir".into(),
            vec![(AccessMode::ReadWriteOnce, "spec.pxc.volumeSpec".into())],
            ClassRef::Field("standard".into()),
            "spec.pxc.volumeSpec.persistentVolumeClaim.storageClassName".into(),
            Some(6e9),
        )]
    );
    let rs0 = &g.workloads[1];
    assert_eq!(rs0.name, "mongo/rs0");
    assert!(matches!(rs0.pod.volumes[0].source, VolumeSource::EmptyDir { .. }));
    assert_eq!(rs0.pod.volumes[0].path.to_string(), "spec.replsets[0].volumeSpec");
    let rs1 = &g.workloads[2];
    assert!(
        matches!(&rs1.pod.volumes[0].source, VolumeSource::HostPath { host_path } if host_path == "/data/mongo")
    );
    assert_eq!(g.data_mounts(rs1)[0].1.mount_path, "/data/db");
}

#[test]
fn eck_node_sets_default_claim_templates_and_pod_template_volumes() {
    let g = graph(
        r#"
apiVersion: elasticsearch.k8s.elastic.co/v1
kind: Elasticsearch
metadata: {name: es}
spec:
  version: 8.14.0
  nodeSets:
    - name: default
      count: 3
    - name: hot
      count: 2
      volumeClaimTemplates:
        - metadata: {name: elasticsearch-data}
          spec:
            accessModes: [ReadWriteOnce]
            resources: {requests: {storage: 50Gi}}
            storageClassName: fast
    - name: scratch
      podTemplate:
        spec:
          securityContext: {fsGroup: 1000}
          volumes:
            - name: elasticsearch-data
              emptyDir: {}
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let names: Vec<_> = g.workloads.iter().map(|w| w.name.to_string()).collect();
    assert_eq!(names, vec!["es/default", "es/hot", "es/scratch"]);
    // No volumeClaimTemplates: ECK's elasticsearch-data, 1Gi, ReadWriteOnce, default class.
    assert_eq!(
        templates_of(&g, &g.workloads[0]),
        vec![(
            "elasticsearch-data".into(),
            vec![(AccessMode::ReadWriteOnce, "spec.nodeSets[0].volumeClaimTemplates".into())],
            ClassRef::Unset,
            "spec.nodeSets[0].volumeClaimTemplates".into(),
            Some(GI),
        )]
    );
    assert_eq!(g.workloads[0].replicas.as_ref().unwrap().count, 3);
    let hot = &templates_of(&g, &g.workloads[1])[0];
    assert_eq!(
        (hot.3.as_str(), hot.4),
        ("spec.nodeSets[1].volumeClaimTemplates[0].spec.storageClassName", Some(50.0 * GI))
    );
    // A podTemplate volume of that name replaces the default claim.
    let scratch = &g.workloads[2];
    assert!(scratch.claim_templates.is_empty());
    assert_eq!(scratch.pod.security.fs_group, Some(1000));
    let (container, mount) = g.data_mounts(scratch)[0];
    assert_eq!(container.name, "elasticsearch");
    assert_eq!(mount.mount_path, "/usr/share/elasticsearch/data");
    assert_eq!(
        scratch.pod.volumes[mount_volume(mount)].path.to_string(),
        "spec.nodeSets[2].podTemplate.spec.volumes[0]"
    );
    assert_eq!(scratch.role.role, Role::Search);
}

fn mount_volume(mount: &Mount) -> usize {
    match mount.target {
        MountTarget::Volume(i) => i,
        other => panic!("not a pod volume: {other:?}"),
    }
}

#[test]
fn redis_operator_claim_templates() {
    let g = graph(
        r#"
apiVersion: redis.redis.opstreelabs.in/v1beta2
kind: RedisCluster
metadata: {name: redis-cluster}
spec:
  clusterSize: 3
  storage:
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let w = &g.workloads[0];
    assert_eq!(
        (w.kind_word(), w.role.role, w.replicas.as_ref().unwrap().count),
        ("rediscluster", Role::Cache, 3)
    );
    let t = &templates_of(&g, w)[0];
    assert_eq!(
        t.1,
        vec![(AccessMode::ReadWriteOnce, "spec.storage.volumeClaimTemplate.spec.accessModes[0]".to_string())]
    );
    assert_eq!(w.pod.containers[0].mounts[0].mount_path, "/data");
}

#[test]
fn malformed_operator_storage_is_ks001_not_a_panic() {
    let g = graph(
        r#"
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: bad}
spec:
  instances: three
  storage:
    size: lots
    pvcTemplate:
      accessModes: ReadWriteOnce
---
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: k}
spec:
  kafka:
    replicas: 1
    storage: {type: persistent, size: 1Gi}
  zookeeper:
    replicas: 1
    storage: 10Gi
---
apiVersion: elasticsearch.k8s.elastic.co/v1
kind: Elasticsearch
metadata: {name: es}
spec:
  nodeSets:
    - name: x
      volumeClaimTemplates: {metadata: {name: elasticsearch-data}}
"#,
    );
    let found = diagnostics_at(&g);
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "spec.storage.pvcTemplate.accessModes",
            "spec.storage.size",
            "spec.instances",
            "spec.kafka.storage.type",
            "spec.zookeeper.storage",
            "spec.nodeSets[0].volumeClaimTemplates",
        ],
        "{found:?}"
    );
    assert!(found[1].1.contains("\"lots\" is not a quantity"), "{found:?}");
    assert!(found[2].1.contains("expected an integer, found a string"), "{found:?}");
    assert!(found[3].1.contains("unsupported value \"persistent\""), "{found:?}");
    assert!(found[4].1.contains("expected a mapping, found a string"), "{found:?}");
    // The cluster is still modelled, with the operator's default mode.
    let pg = &g.workloads[0];
    assert_eq!(pg.replicas.as_ref().unwrap().count, 1);
    assert_eq!(templates_of(&g, pg)[0].1, vec![(AccessMode::ReadWriteOnce, "spec.storage".to_string())]);
}

#[test]
fn unknown_custom_resources_are_not_workloads() {
    let g = graph(
        "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: c}\nspec: {storage: {size: 1Gi}}\n",
    );
    assert!(g.workloads.is_empty() && g.diagnostics().is_empty());
}

#[test]
fn live_state_is_modelled_and_owned_pods_are_not_workloads() {
    let g = graph(
        r#"
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {topology.kubernetes.io/zone: us-east-1a}}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: "True"}]
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: csi-abc, creationTimestamp: "2026-11-26T10:00:00Z"}
spec:
  attacher: ebs.csi.aws.com
  nodeName: n1
  source: {persistentVolumeName: pv-1}
status:
  attached: false
  attachError: {message: "rpc error: volume is attached to another node", time: "2026-11-26T10:01:00Z"}
---
apiVersion: v1
kind: Event
metadata: {name: pg-data-0.1, namespace: db, creationTimestamp: "2026-11-26T09:00:00Z"}
involvedObject: {kind: PersistentVolumeClaim, namespace: db, name: data-pg-0}
reason: ProvisioningFailed
message: "failed to provision volume with StorageClass \"gp3\": quota exceeded"
type: Warning
count: 4
lastTimestamp: "2026-11-26T09:30:00Z"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-pg-0, namespace: db, creationTimestamp: "2026-11-26T09:00:00Z"}
spec: {accessModes: [ReadWriteOnce], storageClassName: gp3}
status:
  phase: Pending
  conditions: [{type: Resizing, status: "True", lastTransitionTime: "2026-11-26T09:10:00Z"}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-1, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  csi: {driver: ebs.csi.aws.com, volumeHandle: vol-0abc}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: topology.ebs.csi.aws.com/zone, operator: In, values: [us-east-1c]}]
status: {phase: Released, lastPhaseTransitionTime: "2026-10-01T00:00:00Z"}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  template:
    spec:
      containers: [{name: pg, image: postgres:16}]
---
apiVersion: v1
kind: Pod
metadata:
  name: pg-0
  namespace: db
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: pg, uid: u1, controller: true}]
spec:
  nodeName: n1
  containers: [{name: pg, image: postgres:16}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data-pg-0}}]
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d4b9c-x2x
  namespace: web
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c, uid: u2, controller: true}]
spec:
  containers: [{name: web, image: nginx}]
"#,
    );
    assert!(g.diagnostics().is_empty(), "{:?}", g.diagnostics());
    let node = &g.nodes[0];
    assert_eq!(
        (node.zone.as_deref(), node.ready, node.schedulable()),
        (Some("us-east-1a"), Some(true), false)
    );
    let va = &g.attachments[0];
    assert_eq!((va.node_name.as_str(), va.volume_name.as_deref(), va.attached), ("n1", Some("pv-1"), false));
    assert!(va.attach_error.as_ref().unwrap().0.contains("another node"));
    let event = &g.events[0];
    assert_eq!(event.involved, ("PersistentVolumeClaim".into(), Some("db".into()), "data-pg-0".into()));
    assert!(event.warning && event.count == 4);
    assert_eq!(event.last_seen.unwrap().to_string(), "2026-11-26T09:30:00Z");
    let claim = g.claim(g.claim_named("db", "data-pg-0").unwrap());
    let live = claim.live.as_ref().unwrap();
    assert_eq!(live.conditions[0].kind, "Resizing");
    assert_eq!(claim.phase.as_deref(), Some("Pending"));
    let pv = &g.volumes[0];
    assert_eq!(pv.volume_handle.as_deref(), Some("vol-0abc"));
    assert_eq!(pv.node_affinity[0][0].2, vec!["us-east-1c".to_string()]);
    assert_eq!(pv.phase_since.unwrap().to_string(), "2026-10-01T00:00:00Z");
    // The StatefulSet's pod is not a workload of its own; the orphan ReplicaSet's pod is.
    assert_eq!(g.live_pods.len(), 2);
    let names: Vec<_> = g.workloads.iter().map(|w| w.name.to_string()).collect();
    assert_eq!(names, vec!["pg", "web-7d4b9c-x2x"]);
    assert_eq!(g.live_pods[0].claims, vec![Text::from("data-pg-0")]);
    assert_eq!(g.live_pods[0].node_name.as_deref(), Some("n1"));
}
