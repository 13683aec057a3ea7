//! `kstor probe` as a process against the simulated cluster: SIGINT and SIGTERM in the middle
//! of a run clean up everything the run created and exit 130.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kstor_testkube::{AgentExit, ApiServer, Cluster, ClusterConfig, Driver, objects};
use serde_json::json;

fn cluster() -> Cluster {
    let cluster = Cluster::new(ClusterConfig::default());
    cluster.add_driver(Driver::zonal("ebs.csi.aws.com", &["zone-a"]));
    cluster.add_node("node-a1", "zone-a");
    cluster.add_node("node-a2", "zone-a");
    let mut class = objects::storage_class("gp3", "ebs.csi.aws.com", "WaitForFirstConsumer");
    class["metadata"]["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    cluster.create(class).unwrap();
    // The writer never finishes: the run is interrupted while its pod runs on the volume.
    cluster.set_agent(|_| AgentExit::running());
    cluster
}

fn probe_namespaces(cluster: &Cluster) -> Vec<String> {
    cluster
        .list("namespaces", None)
        .iter()
        .filter_map(|n| {
            n["metadata"]["name"].as_str().filter(|n| n.starts_with("kstor-probe-")).map(String::from)
        })
        .collect()
}

#[test]
fn an_interrupted_run_cleans_up_and_exits_130() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cluster = cluster();
    let server = runtime.block_on(ApiServer::start(cluster.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path()).unwrap();
    for signal in ["INT", "TERM"] {
        let child = Command::new(env!("CARGO_BIN_EXE_kstor"))
            .args(["probe", "--poll", "5ms", "--step-timeout", "60s", "--kubeconfig"])
            .arg(&kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the writer runs on its volume.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cluster.list("pods", None).iter().any(|p| p["status"]["phase"] == "Running") {
            assert!(Instant::now() < deadline, "the writer never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(probe_namespaces(&cluster).len(), 1);
        let status =
            Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(130),
            "SIG{signal}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(&format!("interrupted: SIG{signal}: cleaning up")), "{stdout}");
        assert!(stdout.contains("cleanup: deleted namespace kstor-probe-"), "{stdout}");
        assert!(probe_namespaces(&cluster).is_empty(), "SIG{signal}: left behind");
        assert!(cluster.list("persistentvolumes", None).is_empty(), "SIG{signal}: a volume is left");
        assert!(cluster.list("pods", None).is_empty(), "SIG{signal}: a pod is left");
    }
}

#[test]
fn dry_run_prints_every_object_and_creates_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cluster = cluster();
    let server = runtime.block_on(ApiServer::start(cluster.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path()).unwrap();
    let before = cluster.resource_version();
    let out = Command::new(env!("CARGO_BIN_EXE_kstor"))
        .args(["probe", "--dry-run", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    let kinds: Vec<&str> = documents.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "PersistentVolumeClaim",
            "Pod",
            "Pod",
            "VolumeSnapshot",
            "PersistentVolumeClaim",
            "Pod",
            // the clone of the claim and its reader
            "PersistentVolumeClaim",
            "Pod",
            // expand's stat pod
            "Pod",
            // access-modes: ReadWriteOncePod (claim, holder, second), ReadWriteMany (claim,
            // writer, reader)
            "PersistentVolumeClaim",
            "Pod",
            "Pod",
            "PersistentVolumeClaim",
            "Pod",
            "Pod",
            // permissions: a new claim and its non-root writer
            "PersistentVolumeClaim",
            "Pod"
        ],
        "{text}"
    );
    for document in &documents {
        let labels = &document["metadata"]["labels"];
        assert!(labels["kstor.io/probe-run"].is_string(), "every object carries the run label: {document}");
    }
    for pod in documents.iter().filter(|d| d["kind"] == "Pod") {
        let container = &pod["spec"]["containers"][0];
        assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(container["command"][1], "agent");
    }
    assert!(probe_namespaces(&cluster).is_empty());
    assert_eq!(cluster.resource_version(), before, "a dry run writes nothing");
}
