//! The benchmark's cluster for `kstor serve`: the tests' fake API server (kstor-testkube's
//! `watch`: list + watch on 127.0.0.1) serving a generated cluster — 100 StorageClasses and 10,000 PersistentVolumeClaims
//! in 100 namespaces, plus the recorded EKS test cluster's CSIDrivers, snapshot classes, volumes
//! and nodes — and, in the output directory, a kubeconfig for it, a self-signed certificate for
//! the webhook, and `requests.lua` for wrk with three AdmissionReviews that exercise the cache.
//!
//! `cargo run --release --example fake_apiserver -- OUT_DIR [CLAIMS] [CLASSES]`; runs until killed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kstor_testkube::watch;

use serde_json::{Value, json};

const DRIVERS: [(&str, &str); 4] = [
    ("ebs.csi.aws.com", r#"{"type":"gp3","encrypted":"true"}"#),
    ("efs.csi.aws.com", r#"{"provisioningMode":"efs-ap","fileSystemId":"fs-0123"}"#),
    ("pd.csi.storage.gke.io", r#"{"type":"pd-balanced"}"#),
    ("rbd.csi.ceph.com", r#"{"clusterID":"rook-ceph","pool":"replicapool","encrypted":"true"}"#),
];

fn class(i: usize) -> Value {
    let (driver, parameters) = DRIVERS[i % DRIVERS.len()];
    json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": format!("sc-{i}"), "uid": format!("sc-uid-{i}"), "resourceVersion": "1"},
        "provisioner": driver,
        "parameters": serde_json::from_str::<Value>(parameters).unwrap(),
        "reclaimPolicy": if i.is_multiple_of(3) { "Retain" } else { "Delete" },
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": true
    })
}

fn claim(i: usize, classes: usize) -> Value {
    let namespace = format!("ns-{}", i % 100);
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": format!("pvc-{i}"), "namespace": namespace, "uid": format!("pvc-uid-{i}"),
                     "resourceVersion": "1", "labels": {"app.kubernetes.io/instance": format!("app-{}", i % 500)}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                 "storageClassName": format!("sc-{}", i % classes), "volumeMode": "Filesystem",
                 "volumeName": format!("pvc-volume-{i}")},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}}
    })
}

fn review(uid: &str, group: &str, kind: &str, namespace: &str, object: Value) -> String {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": uid, "kind": {"group": group, "version": "v1", "kind": kind},
                    "namespace": namespace, "operation": "CREATE", "userInfo": {"username": "bench"}, "object": object}
    })
    .to_string()
}

/// Three requests: a Deployment sharing a cached RWO claim (denied), a new RWX claim on an EBS
/// class (denied), and a StatefulSet with a claim template (allowed, with warnings).
fn requests() -> Vec<String> {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns-7"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "pvc-107"}}]}}}
    });
    let claim = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "shared", "namespace": "ns-3"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": "sc-4"}
    });
    let statefulset = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "pg", "namespace": "ns-9"},
        "spec": {"serviceName": "pg", "replicas": 3, "selector": {"matchLabels": {"app": "pg"}}, "template": {
            "metadata": {"labels": {"app": "pg"}},
            "spec": {"securityContext": {"fsGroup": 999, "runAsUser": 999, "runAsNonRoot": true, "fsGroupChangePolicy": "OnRootMismatch"},
                     "containers": [{"name": "postgres", "image": "postgres:17", "resources": {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                                     "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOncePod"],
                "storageClassName": "sc-0", "resources": {"requests": {"storage": "50Gi"}}}}]}
    });
    vec![
        review("bench-deployment", "apps", "Deployment", "ns-7", deployment),
        review("bench-claim", "", "PersistentVolumeClaim", "ns-3", claim),
        review("bench-statefulset", "apps", "StatefulSet", "ns-9", statefulset),
    ]
}

fn lua(requests: &[String]) -> String {
    let bodies: Vec<String> = requests.iter().map(|r| format!("[==[{r}]==]")).collect();
    format!(
        "-- Generated by examples/fake_apiserver.rs: three AdmissionReviews in turn.\n\
         local bodies = {{ {} }}\n\
         local i = 0\n\
         wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         function request()\n  i = i % #bodies + 1\n  return wrk.format(nil, \"/validate\", nil, bodies[i])\nend\n\
         local errors = 0\n\
         function response(status, headers, body)\n  if status ~= 200 then errors = errors + 1 end\nend\n",
        bodies.join(", ")
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).expect("usage: fake_apiserver OUT_DIR [CLAIMS] [CLASSES]"));
    let claims: usize = args.get(2).map_or(10_000, |a| a.parse().expect("CLAIMS"));
    let classes: usize = args.get(3).map_or(100, |a| a.parse().expect("CLASSES"));
    std::fs::create_dir_all(&out).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kstor-live/tests/data");
    let mut lists: HashMap<String, Vec<Value>> = watch::recorded_lists(&data).expect("the recorded cluster");
    lists.insert("storageclasses".into(), (0..classes).map(class).collect());
    lists.insert("persistentvolumeclaims".into(), (0..claims).map(|i| claim(i, classes)).collect());
    let api = watch::FakeApi::start(lists, false, false).await;
    api.kubeconfig(&out).expect("a kubeconfig in OUT_DIR");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(out.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(out.join("tls.key"), cert.key_pair.serialize_pem()).unwrap();
    let requests = requests();
    std::fs::write(out.join("requests.lua"), lua(&requests)).unwrap();
    for (i, r) in requests.iter().enumerate() {
        std::fs::write(out.join(format!("request-{i}.json")), r).unwrap();
    }
    println!(
        "fake API server on http://{} ({claims} claims, {classes} classes); files in {}",
        api.addr,
        out.display()
    );
    std::future::pending::<()>().await;
}
