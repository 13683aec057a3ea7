//! `kstor probe` against the simulated cluster (kstor-testkube): the real probe code (kube-rs
//! client, orchestration, agent) runs against an API server on 127.0.0.1 whose controllers
//! stand in for the PV controller, scheduler, attach/detach, kubelet (running `kstor agent`
//! in-process on a directory per volume), snapshot controller and resizer. Every test checks
//! the verdict, the diagnosis and that nothing is left behind.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use kstor_engine::Engine;
use kstor_probe::options::ProbeArgs;
use kstor_probe::probe::{EXIT_ERROR, EXIT_FAILED, EXIT_OK};
use kstor_testkube::{ApiServer, Cluster, ClusterConfig, Denied, Driver, objects};

mod support;
use serde_json::{Value, json};
use support::{kstor_agent, kstor_agent_with_ownership};

const EBS: &str = "ebs.csi.aws.com";

#[derive(Parser)]
struct ProbeCli {
    #[command(flatten)]
    probe: ProbeArgs,
}

/// A cluster: zone a with two nodes, zone b with one; an EBS-like zonal driver; the default
/// class `gp3` (WaitForFirstConsumer, expandable) and its default snapshot class.
struct Sim {
    runtime: tokio::runtime::Runtime,
    server: ApiServer,
    cluster: Cluster,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    /// Nodes the test itself cordoned.
    cordoned: Vec<String>,
}

fn sim(setup: impl FnOnce(&Cluster)) -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cluster = Cluster::new(ClusterConfig::default());
    cluster.add_driver(Driver::zonal(EBS, &["zone-a", "zone-b"]));
    for (node, zone) in [("node-a1", "zone-a"), ("node-a2", "zone-a"), ("node-b1", "zone-b")] {
        cluster.add_node(node, zone);
    }
    let mut gp3 = objects::storage_class("gp3", EBS, "WaitForFirstConsumer");
    gp3["metadata"]["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    cluster.create(gp3).unwrap();
    let mut snapshots = objects::snapshot_class("ebs-snapshots", EBS, "Delete");
    snapshots["metadata"]["annotations"] = json!({"snapshot.storage.kubernetes.io/is-default-class": "true"});
    cluster.create(snapshots).unwrap();
    cluster.set_agent(kstor_agent);
    setup(&cluster);
    let server = runtime.block_on(ApiServer::start(cluster.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path()).unwrap();
    let cordoned = cluster
        .list("nodes", None)
        .iter()
        .filter(|n| n["spec"]["unschedulable"] == true)
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    Sim { runtime, server, cluster, dir, kubeconfig, cordoned }
}

impl Sim {
    /// Runs `kstor probe` with these arguments; the exit code and the JSON report.
    fn probe(&self, extra: &[&str]) -> (u8, Value) {
        let out = self.dir.path().join("report.json");
        let _ = std::fs::remove_file(&out);
        let mut argv: Vec<String> = ["kstor-probe", "--kubeconfig"].iter().map(|s| s.to_string()).collect();
        argv.push(self.kubeconfig.to_string_lossy().into_owned());
        if !extra.contains(&"--step-timeout") {
            argv.extend(["--step-timeout", "5s"].map(String::from));
        }
        argv.extend(["--poll", "5ms", "--data", "1MiB", "--format", "json", "-o"].map(String::from));
        argv.push(out.to_string_lossy().into_owned());
        argv.extend(extra.iter().map(|s| s.to_string()));
        let args = ProbeCli::try_parse_from(argv).unwrap().probe;
        let code = kstor_probe::probe::main(&args, Engine::default());
        let report = std::fs::read_to_string(&out)
            .ok()
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or(Value::Null);
        (code, report)
    }

    /// Nothing of a run is left: no probe namespace, no volume of its claims, no snapshot
    /// content, no cordoned node.
    fn assert_clean(&self) {
        let namespaces: Vec<String> = self
            .cluster
            .list("namespaces", None)
            .iter()
            .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        assert!(namespaces.iter().all(|n| !n.starts_with("kstor-probe-")), "left behind: {namespaces:?}");
        let volumes = self.cluster.list("persistentvolumes", None);
        assert!(volumes.is_empty(), "volumes left behind: {volumes:#?}");
        let contents = self.cluster.list("volumesnapshotcontents.snapshot.storage.k8s.io", None);
        assert!(contents.is_empty(), "snapshot contents left behind: {contents:#?}");
        for node in self.cluster.list("nodes", None) {
            let name = node["metadata"]["name"].as_str().unwrap().to_string();
            let cordoned = node["spec"]["unschedulable"] == true;
            assert_eq!(cordoned, self.cordoned.contains(&name), "node {name}: the probe changed its cordon");
        }
    }
}

fn checks(report: &Value) -> Vec<(String, String)> {
    report["classes"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["classes"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

fn steps(check: &Value) -> Vec<&str> {
    check["timings"].as_array().unwrap().iter().map(|t| t["step"].as_str().unwrap()).collect()
}

#[test]
fn a_healthy_zonal_class_passes_every_check_and_leaves_nothing() {
    let sim = sim(|_| {});
    let (code, report) = sim.probe(&[]);
    let all: Vec<(String, String)> = checks(&report);
    assert_eq!(code, EXIT_OK, "{report:#}");
    assert_eq!(report["version"], 1);
    assert_eq!(report["classes"][0]["class"], "gp3", "the default class");
    let expected = [
        "preflight",
        "provision",
        "attach-mount",
        "write",
        "reschedule",
        "snapshot",
        "expand",
        "access-modes",
        "permissions",
    ];
    assert_eq!(all.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), expected);
    assert!(all.iter().all(|(_, s)| s == "passed"), "{report:#}");
    // WaitForFirstConsumer: the claim binds when the writer is scheduled, and says so.
    assert_eq!(steps(check(&report, "provision")), ["bound-after-first-consumer"]);
    assert_eq!(steps(check(&report, "attach-mount")), ["scheduled", "attached", "running"]);
    let reschedule = check(&report, "reschedule");
    assert_eq!(
        steps(reschedule),
        ["pod-deleted", "detached", "reader-scheduled", "reader-attached", "reader-running"]
    );
    let detail = reschedule["detail"].as_str().unwrap();
    assert!(detail.contains("moved from node-a") && detail.contains("the data verified"), "{detail}");
    assert!(!detail.contains("node-b1"), "a zonal volume stays in its zone: {detail}");
    // The snapshot is taken with no pod on the volume: the reader goes (and detaches) first.
    assert_eq!(
        steps(check(&report, "snapshot")),
        ["pod-deleted", "detached", "ready", "restored-and-verified", "cloned-and-verified"]
    );
    let expand = check(&report, "expand");
    assert_eq!(steps(expand), ["volume-expanded", "capacity", "filesystem"]);
    assert!(expand["detail"].as_str().unwrap().contains("grown to 2Gi"), "{expand:#}");
    assert!(
        report["cleanup"][0].as_str().unwrap().starts_with("deleted namespace kstor-probe-"),
        "{report:#}"
    );
    sim.assert_clean();
}

#[test]
fn immediate_binding_in_a_multi_zone_topology_is_a_zone_conflict_explained_by_ks101() {
    // Zone b's only node is cordoned: an Immediate class may still provision there, and the
    // writer then has nowhere to run.
    let sim = sim(|cluster| {
        cluster.create(objects::storage_class("gp3-immediate", EBS, "Immediate")).unwrap();
        cluster.modify("nodes", "", "node-b1", |n| n["spec"]["unschedulable"] = json!(true)).unwrap();
    });
    let mut conflicts = 0;
    for _ in 0..2 {
        let (code, report) = sim.probe(&[
            "--class",
            "gp3-immediate",
            "--checks",
            "preflight,provision,attach-mount,write",
            "--step-timeout",
            "1s",
        ]);
        let preflight = check(&report, "preflight");
        assert!(
            report["classes"][0]["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "KS101"),
            "the static finding: {report:#}"
        );
        assert!(preflight["rules"].as_array().unwrap().contains(&json!("KS101")));
        if check(&report, "attach-mount")["status"] == "failed" {
            conflicts += 1;
            assert_eq!(code, EXIT_FAILED);
            let diagnosis = &check(&report, "attach-mount")["diagnosis"];
            assert!(
                diagnosis
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["reason"] == "FailedScheduling" && d["rule"] == "KS101"),
                "{report:#}"
            );
            assert_eq!(check(&report, "write")["status"], "skipped");
        }
        sim.assert_clean();
    }
    // Round-robin provisioning puts one of two volumes in zone b.
    assert!(conflicts >= 1, "no zone conflict in two runs");
}

#[test]
fn a_driver_that_loses_data_across_reschedule_is_data_loss() {
    let sim = sim(|cluster| cluster.update_faults(|f| f.lose_data_on_reschedule = true));
    let (code, report) = sim.probe(&["--checks", "provision,attach-mount,write,reschedule"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let reschedule = check(&report, "reschedule");
    assert_eq!(reschedule["status"], "failed");
    assert!(reschedule["detail"].as_str().unwrap().starts_with("DATA LOSS"), "{reschedule:#}");
    sim.assert_clean();
}

#[test]
fn an_empty_restore_fails_the_snapshot_check() {
    let sim = sim(|cluster| cluster.update_faults(|f| f.empty_restore = true));
    let (code, report) = sim.probe(&["--checks", "write,snapshot"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let snapshot = check(&report, "snapshot");
    assert_eq!(snapshot["status"], "failed");
    assert!(snapshot["detail"].as_str().unwrap().contains("an empty restore"), "{snapshot:#}");
    assert_eq!(checks(&report).len(), 2, "only the selected checks are reported");
    sim.assert_clean();
}

#[test]
fn a_snapshot_that_never_becomes_ready_times_out() {
    let sim = sim(|cluster| cluster.update_faults(|f| f.snapshot_never_ready = true));
    let (code, report) = sim.probe(&["--checks", "snapshot", "--step-timeout", "500ms"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let snapshot = check(&report, "snapshot");
    assert!(snapshot["detail"].as_str().unwrap().contains("readyToUse did not happen"), "{snapshot:#}");
    sim.assert_clean();
}

#[test]
fn failed_provisioning_is_diagnosed_from_its_event() {
    let sim = sim(|cluster| {
        cluster.update_faults(|f| {
            f.provisioning_fails =
                Some("rpc error: code = ResourceExhausted desc = volume quota exceeded".into())
        })
    });
    let (code, report) = sim.probe(&["--step-timeout", "1s"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let provision = check(&report, "provision");
    assert_eq!(provision["status"], "failed");
    let diagnosis = provision["diagnosis"].as_array().unwrap();
    assert!(
        diagnosis.iter().any(|d| d["reason"] == "ProvisioningFailed"
            && d["message"].as_str().unwrap().contains("quota exceeded")),
        "{provision:#}"
    );
    for later in ["attach-mount", "write", "reschedule", "snapshot", "expand"] {
        assert_eq!(check(&report, later)["status"], "skipped", "{later}");
    }
    sim.assert_clean();
}

#[test]
fn a_stuck_attach_fails_attach_mount() {
    let sim = sim(|cluster| cluster.update_faults(|f| f.attach_stuck = true));
    let (code, report) = sim.probe(&["--checks", "attach-mount", "--step-timeout", "1s"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let attach = check(&report, "attach-mount");
    assert_eq!(attach["status"], "failed");
    assert!(attach["detail"].as_str().unwrap().contains("attached"), "{attach:#}");
    sim.assert_clean();
}

#[test]
fn node_local_volumes_skip_the_reschedule_with_the_reason() {
    let sim = sim(|cluster| {
        cluster.add_driver(Driver::node_local("local.csi.openebs.io"));
        cluster
            .create(objects::storage_class("local", "local.csi.openebs.io", "WaitForFirstConsumer"))
            .unwrap();
    });
    let (code, report) = sim.probe(&["--class", "local", "--checks", "write,reschedule,snapshot"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    let reschedule = check(&report, "reschedule");
    assert_eq!(reschedule["status"], "skipped");
    assert!(reschedule["detail"].as_str().unwrap().contains("pinned to one node"), "{reschedule:#}");
    let snapshot = check(&report, "snapshot");
    assert_eq!(snapshot["status"], "skipped");
    assert!(
        snapshot["detail"]
            .as_str()
            .unwrap()
            .contains("no VolumeSnapshotClass has driver local.csi.openebs.io")
    );
    sim.assert_clean();
}

#[test]
fn missing_permissions_are_listed_and_stop_the_run_with_exit_2() {
    let sim = sim(|cluster| {
        cluster.set_denied(vec![
            Denied::new("create", "", "pods"),
            Denied::new("delete", "", "persistentvolumes"),
        ])
    });
    let (code, report) = sim.probe(&[]);
    assert_eq!(code, EXIT_ERROR);
    assert_eq!(report, Value::Null, "no report when the probe could not run");
    sim.assert_clean();
}

#[test]
fn a_missing_class_fails_preflight_and_skips_the_rest() {
    let sim = sim(|_| {});
    let (code, report) = sim.probe(&["--class", "nope"]);
    assert_eq!(code, EXIT_FAILED);
    let preflight = check(&report, "preflight");
    assert!(
        preflight["detail"]
            .as_str()
            .unwrap()
            .contains("storage class nope does not exist (the cluster has: gp3)")
    );
    assert!(checks(&report).iter().skip(1).all(|(_, s)| s == "skipped"));
    sim.assert_clean();
}

#[test]
fn the_api_server_dying_mid_run_is_a_clear_error_and_cleanup_removes_the_leftovers() {
    let sim = sim(|_| {});
    // Stop the server once the writer pod exists.
    let cluster = sim.cluster.clone();
    let server = &sim.server;
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                if !cluster.list("pods", None).is_empty() {
                    server.stop();
                    return true;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            false
        });
        let (code, report) = sim.probe(&["--step-timeout", "2s"]);
        assert!(watcher.join().unwrap(), "the writer pod never appeared");
        assert_eq!(code, EXIT_ERROR, "{report:#}");
    });
    let left = sim.cluster.list("namespaces", None);
    assert!(
        left.iter().any(|n| n["metadata"]["name"].as_str().unwrap().starts_with("kstor-probe-")),
        "the run's namespace is left while the server is down"
    );
    sim.server.restart().unwrap();
    let args = ProbeCli::try_parse_from([
        "kstor-probe",
        "cleanup",
        "--kubeconfig",
        sim.kubeconfig.to_str().unwrap(),
    ])
    .unwrap()
    .probe;
    assert_eq!(kstor_probe::probe::main(&args, Engine::default()), EXIT_OK);
    sim.assert_clean();
    drop(sim.runtime);
}

#[test]
fn chaos_cordon_moves_the_volume_off_a_cordoned_node_and_always_uncordons() {
    let sim = sim(|_| {});
    let (code, report) = sim.probe(&["--checks", "write,reschedule", "--chaos", "cordon"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    let detail = check(&report, "reschedule")["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("moved from node-a") && detail.contains("to node-a"), "{detail}");
    sim.assert_clean();

    // A failure while the node is cordoned (the reader's attach hangs): the cleanup still
    // uncordons it.
    let cluster = sim.cluster.clone();
    let (code, report) = std::thread::scope(|scope| {
        scope.spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                if cluster.list("nodes", None).iter().any(|n| n["spec"]["unschedulable"] == true) {
                    cluster.update_faults(|f| f.attach_stuck = true);
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        sim.probe(&["--checks", "write,reschedule", "--chaos", "cordon", "--step-timeout", "1s"])
    });
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    assert_eq!(check(&report, "reschedule")["status"], "failed", "{report:#}");
    // The check uncordons as it fails (the cleanup would, had it been interrupted).
    sim.assert_clean();
}

#[test]
fn a_file_class_shares_its_volume_across_nodes() {
    let sim = sim(|cluster| {
        cluster.add_driver(Driver::file("efs.csi.aws.com"));
        cluster.create(objects::storage_class("efs", "efs.csi.aws.com", "Immediate")).unwrap();
    });
    let (code, report) = sim.probe(&["--class", "efs", "--checks", "access-modes"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    let modes = check(&report, "access-modes");
    let detail = modes["detail"].as_str().unwrap();
    assert!(detail.contains("ReadWriteOncePod skipped: the driver does not provision it"), "{detail}");
    assert!(
        detail.contains("ReadWriteMany: written on node-") && detail.contains("read back on node-"),
        "{detail}"
    );
    assert_eq!(steps(modes), ["rwx-read-elsewhere"]);
    sim.assert_clean();
}

#[test]
fn a_non_root_pod_with_fs_group_writes_where_the_driver_applies_it() {
    // Volumes whose root is owned by root: only fsGroup makes them writable for uid 65532.
    let sim = sim(|cluster| {
        cluster.set_agent(kstor_agent_with_ownership);
        cluster.add_driver(Driver::file("efs.csi.aws.com"));
        cluster.create(objects::storage_class("efs", "efs.csi.aws.com", "Immediate")).unwrap();
        cluster.add_driver(Driver::node_local("local.csi.openebs.io"));
        cluster
            .create(objects::storage_class("local", "local.csi.openebs.io", "WaitForFirstConsumer"))
            .unwrap();
    });
    // fsGroupPolicy File: the kubelet applies fsGroup, the non-root writer succeeds.
    let (code, report) = sim.probe(&["--class", "local", "--checks", "permissions"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    let detail = check(&report, "permissions")["detail"].as_str().unwrap();
    assert!(detail.contains("wrote to a new volume; the driver's fsGroupPolicy: File"), "{detail}");
    sim.assert_clean();
    // fsGroupPolicy None (EFS-like): fsGroup is never applied; pitfall 4 happens, and KS502
    // names it.
    let (code, report) = sim.probe(&["--class", "efs", "--checks", "permissions"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let permissions = check(&report, "permissions");
    assert!(permissions["detail"].as_str().unwrap().contains("Permission denied"), "{permissions:#}");
    assert_eq!(permissions["rules"], json!(["KS502"]));
    sim.assert_clean();
}

#[test]
fn iterations_and_parallel_runs_report_percentiles_of_every_step() {
    let sim = sim(|_| {});
    let (code, report) = sim.probe(&[
        "--checks",
        "provision,attach-mount,write,reschedule,snapshot",
        "--iterations",
        "3",
        "--parallel",
        "2",
    ]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    for (name, status) in checks(&report) {
        assert_eq!(status, "passed", "{name}: {report:#}");
    }
    let attach = check(&report, "attach-mount");
    assert!(
        attach["detail"].as_str().unwrap().starts_with("6 runs: 6 passed, 0 failed, 0 skipped"),
        "{attach:#}"
    );
    assert_eq!(attach["runs"].as_array().unwrap().len(), 6);
    let percentiles = attach["percentiles"].as_array().unwrap();
    let steps: Vec<&str> = percentiles.iter().map(|p| p["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["scheduled", "attached", "running"]);
    for p in percentiles {
        assert_eq!(p["count"], 6, "{p}");
        let (p50, p90, p99, max) = (
            p["p50"].as_f64().unwrap(),
            p["p90"].as_f64().unwrap(),
            p["p99"].as_f64().unwrap(),
            p["max"].as_f64().unwrap(),
        );
        assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max * 1.001, "{p}");
    }
    // Six runs at once left nothing either.
    sim.assert_clean();
}

#[test]
fn bench_runs_kstor_bench_on_the_volume_and_places_its_p99() {
    let sim = sim(|_| {});
    let (code, report) = sim.probe(&["--checks", "write", "--bench", "--bench-time", "100ms"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    let bench = check(&report, "bench");
    assert_eq!(bench["status"], "passed", "{bench:#}");
    assert_eq!(steps(bench), ["wal-p50", "wal-p99", "randread-4k-p50", "randread-4k-p99"]);
    let detail = bench["detail"].as_str().unwrap();
    assert!(detail.starts_with("wal: p99 ") && detail.contains("; randread-4k: p99 "), "{detail}");
    sim.assert_clean();
}

#[test]
fn a_volume_that_never_detaches_is_reported_before_the_multi_attach() {
    let sim = sim(|cluster| cluster.update_faults(|f| f.multi_attach = true));
    let (code, report) = sim.probe(&["--checks", "write,reschedule", "--step-timeout", "500ms"]);
    assert_eq!(code, EXIT_FAILED, "{report:#}");
    let reschedule = check(&report, "reschedule");
    assert_eq!(reschedule["status"], "failed");
    let detail = reschedule["detail"].as_str().unwrap();
    assert!(detail.contains("is still attached to node-a") && detail.contains("Multi-Attach"), "{detail}");
    sim.assert_clean();
}

#[test]
fn the_data_claim_asks_for_an_access_mode_the_driver_supports() {
    // Mountpoint for Amazon S3 provisions only shared modes (kstor's catalog says so).
    let sim = sim(|cluster| {
        let mut s3 = Driver::file("s3.csi.aws.com");
        s3.access_modes = vec!["ReadWriteMany".into(), "ReadOnlyMany".into()];
        cluster.add_driver(s3);
        cluster.create(objects::storage_class("s3", "s3.csi.aws.com", "Immediate")).unwrap();
    });
    let (code, report) = sim.probe(&["--class", "s3", "--checks", "provision,write"]);
    assert_eq!(code, EXIT_OK, "{report:#}");
    assert_eq!(check(&report, "write")["status"], "passed");
    sim.assert_clean();
}
