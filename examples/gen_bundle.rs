//! Writes a synthetic bundle of N Kubernetes objects for the lint benchmark
//! (docs/performance.md): namespaces of realistic apps (a database StatefulSet with a claim
//! template, web Deployments with claims, caches, jobs, configs), platform StorageClasses and
//! snapshot classes, some with the classic pitfalls. Deterministic: the same N gives the same
//! files.
//!
//! Usage: `cargo run --release -p kstor --example gen_bundle -- <objects> <dir>`

use std::fmt::Write as _;
use std::path::PathBuf;

const OBJECTS_PER_FILE: usize = 100;

fn app(i: usize) -> Vec<String> {
    let ns = format!("team-{:05}", i);
    let engine =
        ["postgres:16.4", "mysql:8.4", "docker.io/bitnami/mongodb:7.0", "rabbitmq:3.13", "redis:7.2"][i % 5];
    let data_dir =
        ["/var/lib/postgresql/data", "/var/lib/mysql", "/bitnami/mongodb", "/var/lib/rabbitmq", "/data"]
            [i % 5];
    let class = format!("class-{}", i % 40);
    let access = if i.is_multiple_of(17) { "ReadWriteMany" } else { "ReadWriteOnce" };
    let memory_limit =
        if i.is_multiple_of(13) { String::new() } else { "            sizeLimit: 64Mi\n".to_string() };
    vec![
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: t{i}\n"),
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: db\nspec:\n  serviceName: db\n  replicas: 3\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      securityContext:\n        fsGroup: 999\n        fsGroupChangePolicy: OnRootMismatch\n      containers:\n        - name: db\n          image: {engine}\n          ports:\n            - containerPort: 5432\n          resources:\n            requests: {{cpu: 250m, memory: 512Mi}}\n            limits: {{memory: 1Gi}}\n          volumeMounts:\n            - name: data\n              mountPath: {data_dir}\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        accessModes: [\"{access}\"]\n        storageClassName: {class}\n        resources:\n          requests:\n            storage: 20Gi\n"
        ),
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n  clusterIP: None\n  selector:\n    app: db\n  ports:\n    - port: 5432\n"
        ),
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: uploads\n  namespace: {ns}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: {class}\n  resources:\n    requests:\n      storage: 5Gi\n"
        ),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/example/web:{}.0\n          env:\n            - name: DB_HOST\n              value: db.{ns}.svc\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits: {{memory: 256Mi}}\n          volumeMounts:\n            - name: uploads\n              mountPath: /srv/uploads\n            - name: cache\n              mountPath: /tmp/cache\n      volumes:\n        - name: uploads\n          persistentVolumeClaim:\n            claimName: uploads\n        - name: cache\n          emptyDir:\n            medium: Memory\n{memory_limit}",
            1 + i % 3,
            i % 9
        ),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"search,checkout\"\n"
        ),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: {ns}\ntype: Opaque\nstringData:\n  password: change-me-{i}\n"
        ),
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: db\n"
        ),
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\n  namespace: {ns}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: backup\n              image: ghcr.io/example/backup:2.1\n              command: [\"/bin/backup\", \"--target\", \"s3://backups/{ns}\"]\n              resources:\n                requests: {{cpu: 50m, memory: 64Mi}}\n"
        ),
        format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: {ns}\n"),
    ]
}

fn platform() -> Vec<String> {
    let mut objects = Vec::new();
    for c in 0..40usize {
        let (provisioner, binding) = match c % 4 {
            0 => ("ebs.csi.aws.com", "WaitForFirstConsumer"),
            1 => ("pd.csi.storage.gke.io", "Immediate"),
            2 => ("disk.csi.azure.com", "WaitForFirstConsumer"),
            _ => ("rook-ceph.rbd.csi.ceph.com", "Immediate"),
        };
        let reclaim = if c.is_multiple_of(3) { "Retain" } else { "Delete" };
        objects.push(format!(
            "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: class-{c}\nprovisioner: {provisioner}\nreclaimPolicy: {reclaim}\nvolumeBindingMode: {binding}\nallowVolumeExpansion: true\n"
        ));
    }
    for driver in ["ebs.csi.aws.com", "disk.csi.azure.com"] {
        objects.push(format!(
            "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata:\n  name: {}\ndriver: {driver}\ndeletionPolicy: Retain\n",
            driver.split('.').next().unwrap()
        ));
    }
    objects
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gen_bundle <objects> <dir>";
    let total: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let dir = PathBuf::from(args.next().expect(usage));
    std::fs::create_dir_all(&dir)?;
    let mut objects = platform();
    let mut i = 0;
    while objects.len() < total {
        objects.extend(app(i));
        i += 1;
    }
    objects.truncate(total);
    let mut bytes = 0;
    for (n, chunk) in objects.chunks(OBJECTS_PER_FILE).enumerate() {
        let mut text = String::new();
        for object in chunk {
            let _ = write!(text, "---\n{object}");
        }
        bytes += text.len();
        std::fs::write(dir.join(format!("bundle-{n:04}.yaml")), text)?;
    }
    eprintln!("wrote {} objects ({:.1} MB) into {}", objects.len(), bytes as f64 / 1e6, dir.display());
    Ok(())
}
