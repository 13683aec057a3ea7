//! Latency of `kstor lsp` diagnostics after a change (docs/performance.md, "Language server"):
//! starts the server on a workspace with a generated multi-document file of about 2,000 lines
//! (StorageClasses on disk in another file, the apps' StatefulSets, claims and Deployments in
//! the open one), sends edits one at a time and measures, for each, the time from writing the
//! `didChange` to reading the `publishDiagnostics` of that version. The debounce is part of it
//! and is reported on its own too.
//!
//! - in-place edits: one access mode toggled between ReadWriteOnce and ReadWriteMany (findings
//!   appear and go: the graph and the rules run every time; only the changed file is parsed);
//! - structural edits: a document added or removed at the end (the object count changes, so
//!   the workspace is loaded again).
//!
//! Usage (bench/lsp/run.sh): `cargo run --release -p kstor-lsp --example latency -- --kstor
//! target/release/kstor [--edits N] [--debounce-ms MS]`. An example of this crate, not of the
//! root package, so building it needs none of the root's test dependencies.

#[path = "../../../tests/support/lsp_client.rs"]
mod lsp_client;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lsp_client::{Client, file_uri, position};
use serde_json::{Value, json};

/// Target line count of the open file.
const LINES: usize = 2_000;

fn platform() -> String {
    let mut out = String::new();
    for (c, (provisioner, binding)) in [
        ("ebs.csi.aws.com", "WaitForFirstConsumer"),
        ("pd.csi.storage.gke.io", "Immediate"),
        ("disk.csi.azure.com", "WaitForFirstConsumer"),
        ("rook-ceph.rbd.csi.ceph.com", "Immediate"),
        ("efs.csi.aws.com", "Immediate"),
        ("driver.longhorn.io", "WaitForFirstConsumer"),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = write!(
            out,
            "---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: class-{c}\nprovisioner: {provisioner}\nreclaimPolicy: Retain\nvolumeBindingMode: {binding}\nallowVolumeExpansion: true\nparameters:\n  encrypted: \"true\"\n"
        );
    }
    for driver in ["ebs.csi.aws.com", "disk.csi.azure.com"] {
        let _ = write!(
            out,
            "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata:\n  name: {}-snapshots\ndriver: {driver}\ndeletionPolicy: Retain\n",
            driver.split('.').next().unwrap()
        );
    }
    out
}

fn app(i: usize) -> String {
    let ns = format!("team-{i:03}");
    let (image, dir) = [
        ("postgres:16.4", "/var/lib/postgresql/data"),
        ("mysql:8.4", "/var/lib/mysql"),
        ("redis:7.2", "/data"),
        ("rabbitmq:3.13", "/var/lib/rabbitmq"),
    ][i % 4];
    let class = format!("class-{}", i % 6);
    format!(
        "---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: {ns}
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {{app: db}}
  template:
    metadata:
      labels: {{app: db}}
    spec:
      securityContext: {{fsGroup: 999, fsGroupChangePolicy: OnRootMismatch}}
      containers:
        - name: db
          image: {image}
          resources:
            requests: {{cpu: 250m, memory: 512Mi}}
            limits: {{memory: 1Gi}}
          volumeMounts:
            - name: data
              mountPath: {dir}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: {class}
        resources:
          requests:
            storage: 20Gi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: uploads
  namespace: {ns}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: {class}
  resources:
    requests:
      storage: 5Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
  strategy: {{type: Recreate}}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.{i}
          volumeMounts:
            - name: uploads
              mountPath: /srv/uploads
            - name: cache
              mountPath: /tmp/cache
      volumes:
        - name: uploads
          persistentVolumeClaim:
            claimName: uploads
        - name: cache
          emptyDir: {{sizeLimit: 1Gi}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: {ns}
data:
  LOG_LEVEL: info
"
    )
}

struct Args {
    kstor: PathBuf,
    edits: usize,
    debounce_ms: u64,
}

fn args() -> Args {
    let mut args = Args { kstor: PathBuf::from("target/release/kstor"), edits: 200, debounce_ms: 20 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--kstor" => args.kstor = PathBuf::from(value),
            "--edits" => args.edits = value.parse().expect("--edits N"),
            "--debounce-ms" => args.debounce_ms = value.parse().expect("--debounce-ms MS"),
            _ => panic!("unknown argument {arg}"),
        }
    }
    args
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, samples: &mut [Duration], debounce: Duration) {
    samples.sort();
    let processing: Vec<Duration> = samples.iter().map(|s| s.saturating_sub(debounce)).collect();
    println!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} |",
        samples.len(),
        ms(debounce),
        ms(percentile(samples, 0.50)),
        ms(percentile(samples, 0.95)),
        ms(percentile(samples, 0.99)),
        ms(*samples.last().unwrap()),
        ms(percentile(&processing, 0.50)),
    );
}

fn main() {
    let args = args();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("platform.yaml"), platform()).unwrap();
    let mut text = String::new();
    let mut apps = 0;
    while text.lines().count() < LINES {
        text.push_str(&app(apps));
        apps += 1;
    }
    let path = root.join("apps.yaml");
    std::fs::write(&path, &text).unwrap();
    let uri = file_uri(&path);
    let documents = text.matches("---\n").count();

    let mut client = Client::spawn(&args.kstor, &["lsp"]);
    client.initialize(&file_uri(&root), json!({"debounceMs": args.debounce_ms}));
    let started = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let published = |m: &Value, version: i64| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["version"] == version
    };
    let (at, first) = client.wait_for(|m| published(m, 1));
    let open = at - started;
    let findings = first["params"]["diagnostics"].as_array().map_or(0, Vec::len);

    let debounce = Duration::from_millis(args.debounce_ms);
    let mut version = 1;
    let mut in_place = Vec::with_capacity(args.edits);
    let modes: Vec<usize> = text.match_indices("accessModes: [ReadWriteOnce]").map(|(i, _)| i + 14).collect();
    let mut changed_findings = 0;
    for n in 0..args.edits {
        // Toggle one claim's access mode: RWO → RWX (findings appear) and back.
        let at = modes[(n / 2) % modes.len()];
        let (old, new) =
            if n % 2 == 0 { ("ReadWriteOnce", "ReadWriteMany") } else { ("ReadWriteMany", "ReadWriteOnce") };
        let range = json!({"start": position(&text, at), "end": position(&text, at + old.len())});
        text.replace_range(at..at + old.len(), new);
        version += 1;
        let sent = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": range, "text": new}]}),
        );
        let (at, message) = client.wait_for(|m| published(m, version));
        in_place.push(at - sent);
        if message["params"]["diagnostics"].as_array().map_or(0, Vec::len) != findings {
            changed_findings += 1;
        }
        client.clear();
    }

    let mut structural = Vec::new();
    let extra = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: team-000\ndata:\n  k: v\n";
    for n in 0..args.edits.div_ceil(4) {
        let end = position(&text, text.len());
        let change = if n % 2 == 0 {
            let change = json!({"range": {"start": end, "end": end}, "text": extra});
            text.push_str(extra);
            change
        } else {
            let start = position(&text, text.len() - extra.len());
            text.truncate(text.len() - extra.len());
            json!({"range": {"start": start, "end": end}, "text": ""})
        };
        version += 1;
        let sent = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        let (at, _) = client.wait_for(|m| published(m, version));
        structural.push(at - sent);
        client.clear();
    }
    let status = client.shutdown();
    assert!(status.success(), "kstor lsp exited with {status}");

    println!(
        "open file: {} lines, {} bytes, {documents} documents ({apps} apps); platform.yaml on disk: {} lines",
        text.lines().count(),
        text.len(),
        platform().lines().count()
    );
    println!("first diagnostics after didOpen: {} ms ({findings} findings)", ms(open));
    println!("in-place edits that changed the number of findings: {changed_findings}");
    println!();
    println!(
        "| edits | n | debounce (ms) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | p50 without debounce (ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    report("in place (access mode toggled)", &mut in_place, debounce);
    report("structural (a document added/removed)", &mut structural, debounce);
}
