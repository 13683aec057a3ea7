//! `kstor audit` on a live cluster: the binary reads a fake Kubernetes API server on 127.0.0.1
//! (kstor-live's test server: the recorded EKS cluster under real API paths, paginated with
//! continue tokens, bearer-token auth, optional 403s and a missing snapshot group) through a
//! kubeconfig, and must find exactly what `kstor audit --from dump.json` finds in the
//! `kubectl get … -A -o json` of the same cluster.

#[path = "../crates/kstor-live/tests/common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::path::Path;

use assert_cmd::Command;
use common::{Behaviour, FakeApi, TOKEN};
use serde_json::Value;

const NOW: &str = "2025-11-26T15:52:00Z";

/// A fake cluster and a kubeconfig whose `prod` context points at it (`staging`, the current
/// context, points at a port nothing listens on).
struct Cluster {
    /// Runs the server; dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
    api: FakeApi,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start(behaviour: Behaviour) -> Cluster {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let api = runtime.block_on(common::start(behaviour));
        let dir = tempfile::tempdir().unwrap();
        let staging = format!("http://{}", common::refused_addr());
        common::kubeconfig(dir.path(), &api.url(), &staging, TOKEN);
        Cluster { _runtime: runtime, api, dir }
    }

    fn kubeconfig(&self) -> String {
        self.dir.path().join("kubeconfig").display().to_string()
    }

    /// Runs `kstor audit --kubeconfig … <args>`.
    fn audit(&self, args: &[&str]) -> (i32, String, String) {
        let kubeconfig = self.kubeconfig();
        let mut all = vec!["audit", "--no-config", "--kubeconfig", &kubeconfig, "--now", NOW];
        all.extend_from_slice(args);
        run(&all)
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("kstor").unwrap().args(args).env_remove("KUBECONFIG").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn dump() -> String {
    common::data_dir().join("dump.json").display().to_string()
}

fn from_dump(args: &[&str]) -> (i32, String, String) {
    let dump = dump();
    let mut all = vec!["audit", "--no-config", "--from", &dump, "--now", NOW];
    all.extend_from_slice(args);
    run(&all)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn codes(report: &Value) -> Vec<&str> {
    report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect()
}

/// The inventory without its `source` line (which names the context or the dump).
fn inventory(report: &Value) -> Value {
    let mut inventory = report["inventory"].clone();
    inventory.as_object_mut().unwrap().remove("source");
    inventory
}

#[test]
fn live_and_dump_audits_are_identical() {
    let cluster = Cluster::start(Behaviour::default());
    // Pages of 3 objects: every list of more than 3 items goes through continue tokens.
    let (code, live, stderr) = cluster.audit(&[
        "--context",
        "prod",
        "--page-size",
        "3",
        "--price-per-gib-month",
        "0.08",
        "-f",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "", "nothing is forbidden or missing");
    let (dump_code, dumped, _) = from_dump(&["--price-per-gib-month", "0.08", "-f", "json"]);
    assert_eq!(code, dump_code);
    let (live, dumped) = (json(&live), json(&dumped));
    assert!(codes(&live).len() >= 10, "{:?}", codes(&live));
    assert_eq!(live["findings"], dumped["findings"]);
    assert_eq!(live["summary"], dumped["summary"]);
    assert_eq!(inventory(&live), inventory(&dumped));
    assert_eq!(live["inventory"]["source"], format!("context prod ({})", cluster.api.url()).as_str());

    // The text reports differ only in where the objects came from.
    let (_, live_text, _) = cluster.audit(&["--context", "prod", "--color", "never"]);
    let (_, dump_text, _) = from_dump(&["--color", "never"]);
    let source = format!("context prod ({})", cluster.api.url());
    assert_eq!(
        live_text.replace(&source, "SOURCE"),
        dump_text.replace(&format!("dump {}", dump()), "SOURCE")
    );

    let requests = cluster.api.requests();
    assert!(requests.iter().all(|r| r.method == "GET"), "read-only");
    assert!(requests.iter().any(|r| r.param("continue").is_some()), "paginated");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
}

#[test]
fn namespaces_scope_live_and_dump_alike() {
    let cluster = Cluster::start(Behaviour::default());
    let (_, live, _) = cluster.audit(&["--context", "prod", "-n", "data", "-f", "json"]);
    let (_, dumped, _) = from_dump(&["-n", "data", "-f", "json"]);
    let (live, dumped) = (json(&live), json(&dumped));
    assert_eq!(live["findings"], dumped["findings"]);
    assert!(!codes(&live).contains(&"KS903"), "queues is not audited");
    let requests = cluster.api.requests();
    let namespaced: HashSet<&str> = requests
        .iter()
        .filter_map(|r| r.path.split_once("/namespaces/"))
        .map(|(_, rest)| rest.split('/').next().unwrap())
        .collect();
    assert_eq!(namespaced, HashSet::from(["data"]), "namespaced lists asked for data only");
}

#[test]
fn a_forbidden_resource_is_one_warning_and_the_rest_is_audited() {
    let cluster = Cluster::start(Behaviour {
        forbidden: HashSet::from(["events".to_string()]),
        ..Behaviour::default()
    });
    let (code, stdout, stderr) = cluster.audit(&["--context", "prod", "-f", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kstor: warning: not allowed to list events at the cluster scope (403 Forbidden); skipped\n"
    );
    let report = json(&stdout);
    assert_eq!(report["inventory"]["skipped"], serde_json::json!(["events (list)"]));
    let codes = codes(&report);
    for code in ["KS901", "KS902", "KS903", "KS905", "KS906"] {
        assert!(codes.contains(&code), "{code} without events: {codes:?}");
    }
}

#[test]
fn snapshot_crds_not_installed_is_a_finding() {
    let cluster = Cluster::start(Behaviour { no_snapshot_group: true, ..Behaviour::default() });
    let (code, stdout, stderr) = cluster.audit(&["--context", "prod", "-f", "json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "", "a missing group is a finding, not a warning");
    let report = json(&stdout);
    assert_eq!(report["inventory"]["snapshotApi"], "missing");
    let ks910: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "KS910").collect();
    assert!(
        ks910.iter().any(|f| f["message"].as_str().unwrap().contains("snapshot.storage.k8s.io")),
        "{ks910:#?}"
    );
}

#[test]
fn an_unreachable_cluster_is_a_clear_error() {
    let cluster = Cluster::start(Behaviour::default());
    // The current context (staging) points at a closed port.
    let (code, stdout, stderr) = cluster.audit(&["--request-timeout", "5"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.starts_with("kstor: error: ") && stderr.lines().count() == 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1"), "names the server: {stderr}");

    let (code, _, stderr) = cluster.audit(&["--context", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope") && stderr.contains("prod"), "names the contexts: {stderr}");

    let missing = Path::new("/nonexistent/kubeconfig").display().to_string();
    let (code, _, stderr) = run(&["audit", "--no-config", "--kubeconfig", &missing]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/kubeconfig"), "{stderr}");
}
