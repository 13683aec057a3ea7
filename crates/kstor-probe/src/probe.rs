//! `kstor probe` from the command line: connect, pick the classes, run (or print the objects
//! with `--dry-run`), clean up whatever happens, render the report, and choose the exit code.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use k8s_openapi::api::storage::v1::StorageClass;
use kstor_engine::Engine;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::cleanup::{cleanup_leftovers, cleanup_run};
use crate::cluster::{Cluster, StepError};
use crate::objects::{self, Blueprint};
use crate::options::{Check, ClusterArgs, ProbeArgs, ProbeCommand, ProbeFormat, RunArgs};
use crate::report::ProbeReport;
use crate::run::{Created, Run};

/// Exit code: every check passed or was skipped.
pub const EXIT_OK: u8 = 0;
/// Exit code: a check failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the probe could not run (no cluster, no permission, bad flags).
pub const EXIT_ERROR: u8 = 2;
/// Exit code: interrupted (SIGINT/SIGTERM), after the cleanup.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The default-class annotation.
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// Runs `kstor probe` on a runtime of its own; returns the exit code.
pub fn main(args: &ProbeArgs, engine: Engine) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async {
        match &args.command {
            Some(ProbeCommand::Cleanup(cleanup)) => {
                let client = match connect(&cleanup.cluster).await {
                    Ok((client, _)) => client,
                    Err(e) => return fail(e),
                };
                match cleanup_leftovers(&client, cleanup.older_than, cleanup.dry_run).await {
                    Ok(lines) => {
                        for line in lines {
                            println!("kstor probe cleanup: {line}");
                        }
                        EXIT_OK
                    }
                    Err(e) => fail(format!("cleanup: {e}")),
                }
            }
            None => run(&args.run, Arc::new(engine)).await,
        }
    })
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("kstor: error: {message}");
    EXIT_ERROR
}

async fn connect(args: &ClusterArgs) -> Result<(Client, String), String> {
    let options = kstor_live::FetchOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        ..kstor_live::FetchOptions::default()
    };
    let (client, server, _) = kstor_live::connect(&options).await.map_err(|e| e.to_string())?;
    Ok((client, server))
}

/// A short, DNS-safe run id.
fn run_id() -> String {
    let mut rng = fastrand::Rng::new();
    (0..6).map(|_| rng.alphanumeric().to_ascii_lowercase()).collect()
}

/// The classes to probe: the named ones, else the cluster's default.
async fn classes(client: &Client, args: &RunArgs) -> Result<Vec<String>, String> {
    if !args.classes.is_empty() {
        return Ok(args.classes.clone());
    }
    let api: Api<StorageClass> = Api::all(client.clone());
    let list =
        api.list(&ListParams::default()).await.map_err(|e| format!("cannot list StorageClasses: {e}"))?;
    let defaults: Vec<String> = list
        .items
        .iter()
        .filter(|c| c.annotations().get(DEFAULT_CLASS).map(String::as_str) == Some("true"))
        .map(|c| c.name_any())
        .collect();
    match defaults.as_slice() {
        [one] => Ok(vec![one.clone()]),
        [] => Err("the cluster has no default StorageClass: name one with --class".into()),
        several => Err(format!(
            "the cluster has several default StorageClasses ({}): name one with --class",
            several.join(", ")
        )),
    }
}

async fn run(args: &RunArgs, engine: Arc<Engine>) -> u8 {
    let (client, server) = match connect(&args.cluster).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let classes = match classes(&client, args).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if args.chaos.is_some() && args.parallel > 1 {
        return fail("--chaos cordon cordons one node at a time: it cannot run with --parallel");
    }
    let id = run_id();
    let namespace = args.namespace.clone().unwrap_or_else(|| format!("kstor-probe-{id}"));
    let blueprint = Blueprint { run: id.clone(), namespace: namespace.clone(), image: args.image.clone() };
    if args.dry_run {
        return dry_run(&client, &blueprint, &classes, args).await;
    }
    let created = Arc::new(Mutex::new(Created::default()));
    let probe = Run {
        cluster: Cluster {
            client: client.clone(),
            namespace: namespace.clone(),
            poll: args.cluster.poll,
            step_timeout: args.step_timeout,
            deadline: Instant::now() + args.timeout,
        },
        blueprint,
        checks: args.selected(),
        size: args.size,
        data: args.data,
        expand_by: args.expand_by,
        snapshot_class: args.snapshot_class.clone(),
        chaos_cordon: args.chaos == Some(crate::options::Chaos::Cordon),
        bench_millis: args.bench_time.as_millis() as u64,
        created: Arc::clone(&created),
        engine,
    };
    let mut report = ProbeReport {
        version: crate::report::REPORT_VERSION,
        run: id.clone(),
        namespace: namespace.clone(),
        server,
        classes: Vec::new(),
        cleanup: Vec::new(),
        interrupted: None,
    };

    let checks = async {
        probe.ensure_namespace().await?;
        let mut done = Vec::new();
        for class in &classes {
            if args.iterations == 1 && args.parallel == 1 {
                done.push(probe.probe_class(class).await?);
                continue;
            }
            let mut runs = Vec::new();
            let probe = &probe;
            for round in 0..args.iterations {
                let batch = (0..args.parallel).map(|k| {
                    let prefix = format!("{}-{}", crate::run::slug(class), round * args.parallel + k);
                    async move { probe.probe_class_as(class, &prefix).await }
                });
                for run in futures::future::join_all(batch).await {
                    runs.push(run?);
                }
            }
            done.push(crate::report::merge(runs));
        }
        Ok::<_, StepError>(done)
    };
    let mut error = None;
    let mut interrupted = false;
    tokio::select! {
        outcome = checks => match outcome {
            Ok(done) => report.classes = done,
            Err(e) => error = Some(e),
        },
        signal = interrupt() => {
            interrupted = true;
            report.interrupted = Some(format!("{signal}: cleaning up"));
        }
        () = tokio::time::sleep(args.timeout) => {
            report.interrupted = Some(format!("--timeout {} passed", humantime::format_duration(args.timeout)));
        }
    }
    let (namespace_created, cordoned) = {
        let created = created.lock().expect("not poisoned");
        (created.namespace, created.cordoned.clone())
    };
    let delete_namespace = namespace_created && !args.keep_namespace;
    report.cleanup = cleanup_run(&probe.cluster, &id, delete_namespace, cordoned.as_deref()).await;

    if let Some(e) = &error {
        eprintln!("kstor: error: the probe could not run: {e}");
        for line in &report.cleanup {
            eprintln!("kstor probe: cleanup: {line}");
        }
        return EXIT_ERROR;
    }
    if let Err(e) = emit(&report, args) {
        return fail(e);
    }
    if interrupted {
        EXIT_INTERRUPTED
    } else if report.failed() || report.interrupted.is_some() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Waits for SIGINT or SIGTERM; names it.
async fn interrupt() -> &'static str {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

fn emit(report: &ProbeReport, args: &RunArgs) -> Result<(), String> {
    let text = match args.format {
        ProbeFormat::Text => report.text(),
        ProbeFormat::Json => report.json(),
        ProbeFormat::Junit => report.junit(),
        ProbeFormat::Markdown => report.markdown(),
    };
    match &args.output {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write the report: {e}"))
        }
        Some(path) => {
            let dir =
                path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let mut file =
                tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", path.display()))?;
            file.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
            file.persist(path).map_err(|e| format!("{}: {}", path.display(), e.error))?;
            Ok(())
        }
    }
}

/// `--dry-run`: every object a run would create for the classes, as YAML documents.
async fn dry_run(client: &Client, blueprint: &Blueprint, classes: &[String], args: &RunArgs) -> u8 {
    let api: Api<StorageClass> = Api::all(client.clone());
    let mut documents = vec![yaml(&blueprint.namespace())];
    let selected = args.selected();
    for class in classes {
        let storage_class = match api.get_opt(class).await {
            Ok(Some(c)) => c,
            Ok(None) => return fail(format!("storage class {class} does not exist")),
            Err(e) => return fail(format!("cannot read storage class {class}: {e}")),
        };
        let slug = crate::run::slug(class);
        let claim = format!("{slug}-data");
        documents.push(yaml(&blueprint.claim(&claim, class, "ReadWriteOnce", args.size, None)));
        documents.push(yaml(&blueprint.agent_pod(
            &format!("{slug}-writer"),
            class,
            &claim,
            &objects::write_args(args.data),
            None,
        )));
        if selected.contains(&Check::Reschedule) {
            let reader = blueprint.agent_pod(
                &format!("{slug}-reader"),
                class,
                &claim,
                &objects::verify_args("<sha256 of the written data>"),
                Some("<the writer's node>"),
            );
            documents.push(yaml(&reader));
        }
        if selected.contains(&Check::Snapshot) {
            let snapshot_class = args
                .snapshot_class
                .clone()
                .unwrap_or_else(|| format!("<the VolumeSnapshotClass of {}>", storage_class.provisioner));
            documents.push(yaml(&blueprint.snapshot(
                &format!("{slug}-snap"),
                class,
                &claim,
                &snapshot_class,
            )));
            let restore = format!("{slug}-restore");
            documents.push(yaml(&blueprint.claim(
                &restore,
                class,
                "ReadWriteOnce",
                args.size,
                Some(("VolumeSnapshot", &format!("{slug}-snap"))),
            )));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{restore}-reader"),
                class,
                &restore,
                &objects::verify_args("<sha256 of the written data>"),
                None,
            )));
            let clone = format!("{slug}-clone");
            documents.push(yaml(&blueprint.claim(
                &clone,
                class,
                "ReadWriteOnce",
                args.size,
                Some(("PersistentVolumeClaim", &claim)),
            )));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{clone}-reader"),
                class,
                &clone,
                &objects::verify_args("<sha256 of the written data>"),
                None,
            )));
        }
        if selected.contains(&Check::Expand) && storage_class.allow_volume_expansion == Some(true) {
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-stat"),
                class,
                &claim,
                &objects::stat_args(),
                None,
            )));
        }
        if selected.contains(&Check::AccessModes) {
            let hold = args.step_timeout.as_secs().max(1);
            let rwop = format!("{slug}-rwop");
            documents.push(yaml(&blueprint.claim(&rwop, class, "ReadWriteOncePod", args.size, None)));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-rwop-holder"),
                class,
                &rwop,
                &objects::hold_args(hold),
                None,
            )));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-rwop-second"),
                class,
                &rwop,
                &objects::stat_args(),
                None,
            )));
            let rwx = format!("{slug}-rwx");
            documents.push(yaml(&blueprint.claim(&rwx, class, "ReadWriteMany", args.size, None)));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-rwx-writer"),
                class,
                &rwx,
                &objects::write_in("rwx", args.data.min(8 << 20)),
                None,
            )));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-rwx-reader"),
                class,
                &rwx,
                &objects::verify_in("rwx", "<sha256 of the written data>"),
                Some("<the writer's node>"),
            )));
        }
        if selected.contains(&Check::Bench) {
            let bench = objects::bench_args(args.bench_time.as_millis() as u64);
            documents.push(yaml(&blueprint.agent_pod(&format!("{slug}-bench"), class, &claim, &bench, None)));
        }
        if selected.contains(&Check::Permissions) {
            let perm = format!("{slug}-perm");
            documents.push(yaml(&blueprint.claim(&perm, class, "ReadWriteOnce", args.size, None)));
            documents.push(yaml(&blueprint.agent_pod(
                &format!("{slug}-perm-writer"),
                class,
                &perm,
                &objects::write_args(1 << 20),
                None,
            )));
        }
    }
    let mut stdout = std::io::stdout().lock();
    let text = documents.join("---\n");
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(format!("cannot write: {e}")),
    }
}

fn yaml<T: serde::Serialize>(object: &T) -> String {
    let value = serde_json::to_value(object).unwrap_or_default();
    serde_saphyr::to_string(&value).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}
