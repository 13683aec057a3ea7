//! `kstor probe` against the simulated cluster of kstor's tests, for the sample run in the
//! README and docs/probe.md (marked as simulated there): three nodes in two zones, an
//! EBS-like zonal driver with snapshots and expansion, the default class `gp3`.
//!
//! `cargo run -p kstor-probe --example simulated -- [kstor probe flags]`

#[path = "../tests/support/mod.rs"]
#[allow(dead_code)] // the demo uses one of the test agents
mod support;

use clap::Parser;
use kstor_engine::Engine;
use kstor_probe::options::ProbeArgs;
use kstor_testkube::{ApiServer, Cluster, ClusterConfig, Driver, objects};
use serde_json::json;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    probe: ProbeArgs,
}

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let cluster = Cluster::new(ClusterConfig::default());
    cluster.add_driver(Driver::zonal("ebs.csi.aws.com", &["eu-west-1a", "eu-west-1b"]));
    for (node, zone) in
        [("ip-10-0-1-17", "eu-west-1a"), ("ip-10-0-1-42", "eu-west-1a"), ("ip-10-0-2-9", "eu-west-1b")]
    {
        cluster.add_node(node, zone);
    }
    let mut gp3 = objects::storage_class("gp3", "ebs.csi.aws.com", "WaitForFirstConsumer");
    gp3["metadata"]["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    gp3["parameters"] = json!({"type": "gp3", "encrypted": "true"});
    cluster.create(gp3).expect("the class");
    let mut snapshots = objects::snapshot_class("ebs-snapshots", "ebs.csi.aws.com", "Retain");
    snapshots["metadata"]["annotations"] = json!({"snapshot.storage.kubernetes.io/is-default-class": "true"});
    cluster.create(snapshots).expect("the snapshot class");
    cluster.set_agent(support::kstor_agent);
    let server = runtime.block_on(ApiServer::start(cluster)).expect("the API server");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let kubeconfig = server.kubeconfig(dir.path()).expect("a kubeconfig");
    let mut argv: Vec<String> =
        vec!["kstor probe".into(), "--kubeconfig".into(), kubeconfig.display().to_string()];
    argv.extend(std::env::args().skip(1));
    let args = Cli::parse_from(argv).probe;
    std::process::ExitCode::from(kstor_probe::probe::main(&args, Engine::default()))
}
