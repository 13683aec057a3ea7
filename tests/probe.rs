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

#[path = "../crates/kstor-probe/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

/// Interrupts a run (SIGINT) once `reached` holds, and checks that the cleanup left nothing:
/// no namespace, pod, claim, volume, snapshot or snapshot content, no cordoned node.
fn interrupt_when(
    name: &str,
    setup: impl FnOnce(&Cluster),
    extra: &[&str],
    reached: impl Fn(&Cluster) -> bool,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cluster = cluster();
    cluster.set_agent(support::kstor_agent);
    let mut snapshots = objects::snapshot_class("ebs-snapshots", "ebs.csi.aws.com", "Retain");
    snapshots["metadata"]["annotations"] = json!({"snapshot.storage.kubernetes.io/is-default-class": "true"});
    cluster.create(snapshots).unwrap();
    setup(&cluster);
    let server = runtime.block_on(ApiServer::start(cluster.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_kstor"))
        .args(["probe", "--poll", "5ms", "--step-timeout", "60s", "--data", "1MiB", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reached(&cluster) {
        assert!(Instant::now() < deadline, "{name}: the step was never reached");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{name}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(probe_namespaces(&cluster).is_empty(), "{name}: the namespace is left");
    for kind in [
        "pods",
        "persistentvolumeclaims",
        "persistentvolumes",
        "volumesnapshots.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
    ] {
        let left = cluster.list(kind, None);
        assert!(left.is_empty(), "{name}: {kind} left: {left:#?}");
    }
    assert!(
        cluster.list("nodes", None).iter().all(|n| n["spec"]["unschedulable"] != true),
        "{name}: a node is still cordoned"
    );
}

fn has(cluster: &Cluster, kind: &str, name_ends: &str) -> bool {
    cluster
        .list(kind, None)
        .iter()
        .any(|o| o["metadata"]["name"].as_str().is_some_and(|n| n.ends_with(name_ends)))
}

#[test]
fn sigint_in_each_step_leaves_nothing_behind() {
    interrupt_when(
        "provision",
        |c| c.update_faults(|f| f.provisioning_fails = Some("quota".into())),
        &[],
        |c| has(c, "pods", "-writer"),
    );
    interrupt_when(
        "attach-mount",
        |c| c.update_faults(|f| f.attach_stuck = true),
        &[],
        |c| has(c, "volumeattachments", ""),
    );
    // The reader's attach hangs, on a node the run cordoned.
    interrupt_when(
        "reschedule (chaos cordon)",
        |_| {},
        &["--chaos", "cordon"],
        |c| {
            let cordoned = c.list("nodes", None).iter().any(|n| n["spec"]["unschedulable"] == true);
            if cordoned {
                c.update_faults(|f| f.attach_stuck = true);
            }
            cordoned && has(c, "pods", "-reader")
        },
    );
    interrupt_when(
        "snapshot",
        |c| c.update_faults(|f| f.snapshot_never_ready = true),
        &[],
        |c| has(c, "volumesnapshotcontents.snapshot.storage.k8s.io", ""),
    );
    interrupt_when(
        "expand",
        |c| {
            c.set_timing(kstor_testkube::Timing { resize: Duration::from_secs(600), ..Default::default() });
        },
        &["--checks", "expand"],
        |c| {
            c.list("persistentvolumeclaims", None)
                .iter()
                .any(|p| p["spec"]["resources"]["requests"]["storage"] == "2Gi")
        },
    );
    interrupt_when("access-modes", |_| {}, &["--checks", "access-modes"], |c| has(c, "pods", "-rwop-holder"));
}
