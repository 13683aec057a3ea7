//! `kstor audit`: a live cluster (read-only, through kube-rs) or `kubectl get -o json` dumps,
//! through the same model and rules as lint, plus the live-state rules and an inventory header.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kstor_engine::Timings;
use kstor_live::{FetchOptions, Fetched};
use kstor_model::graph::Timestamp;
use kstor_model::load::{ReadError, read_limited};
use kstor_model::{ClusterScope, Input};
use kstor_render::{Inventory, Output};
use kstor_rules::{AuditFacts, SNAPSHOT_GROUP, SnapshotApi};

use super::fail;
use crate::cli::AuditArgs;

/// The cluster's objects as JSON documents, and what reading them learned.
struct ClusterRead {
    /// `(name, JSON text)`.
    documents: Vec<(String, String)>,
    /// Where they came from, for the header.
    source: String,
    snapshot_api: SnapshotApi,
    forbidden: Vec<String>,
}

/// Runs `kstor audit`; returns the exit code.
pub fn run(args: &AuditArgs) -> u8 {
    let f = &args.findings;
    let engine = match super::engine(f.config.as_deref(), f.no_config, &f.select, &f.ignore) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let now = match &args.now {
        None => Timestamp::now(),
        Some(text) => match text.parse::<Timestamp>() {
            Ok(t) => t,
            Err(e) => {
                return fail(format!("--now {text}: not an RFC 3339 time like 2026-11-26T12:00:00Z ({e})"));
            }
        },
    };
    let start = Instant::now();
    let read =
        if args.from.is_empty() { read_cluster(args) } else { read_dumps(&args.from, args.max_file_size) };
    let read = match read {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let read_time = start.elapsed();

    let facts = AuditFacts {
        now,
        price_per_gib_month: args.price_per_gib_month,
        snapshot_api: read.snapshot_api,
        forbidden: read.forbidden,
    };
    let scope = ClusterScope { namespaces: args.namespaces.clone() };
    let mut timings = Timings::default();
    let audited = match engine.audit(read.documents, &scope, facts, &mut timings) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if audited.stats.duplicates > 0 {
        eprintln!(
            "kstor: note: {} objects appeared more than once; each is audited once",
            audited.stats.duplicates
        );
    }
    if audited.stats.skipped > 0 {
        eprintln!(
            "kstor: note: {} list items are not Kubernetes objects (no kind or name); skipped",
            audited.stats.skipped
        );
    }

    let render_start = Instant::now();
    let inventory = Inventory::of(&audited.graph, &audited.facts, read.source);
    let output = Output::new(&audited.graph, &audited.result).with_inventory(&inventory);
    if let Err(e) =
        super::emit(&output, args.findings.format, args.findings.color, args.findings.output.as_deref())
    {
        return fail(e);
    }
    if args.findings.timings {
        super::print_timings(&[
            ("read", read_time),
            ("load", timings.load),
            ("graph", timings.graph),
            ("rules", timings.rules),
            ("render", render_start.elapsed()),
        ]);
    }
    let code = super::exit_code(&audited.result, args.findings.fail_on, engine.config());
    // The process ends here: freeing every tree node one by one would only cost time.
    std::mem::forget(audited);
    code
}

/// Reads the cluster through kube-rs; 403s become warnings, a missing snapshot API a fact.
fn read_cluster(args: &AuditArgs) -> Result<ClusterRead, String> {
    let options = FetchOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespaces: args.namespaces.clone(),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        page_size: args.page_size,
        concurrency: args.concurrency as usize,
    };
    let fetched = kstor_live::fetch_blocking(&options).map_err(|e| e.to_string())?;
    for forbidden in &fetched.forbidden {
        eprintln!("kstor: warning: {forbidden}");
    }
    for resource in &fetched.missing_resources {
        eprintln!("kstor: warning: the cluster does not serve {resource}; skipped");
    }
    Ok(from_fetched(fetched))
}

fn from_fetched(fetched: Fetched) -> ClusterRead {
    let snapshot_api = if fetched.missing_groups.iter().any(|g| g == SNAPSHOT_GROUP) {
        SnapshotApi::Missing
    } else if fetched
        .lists
        .iter()
        .any(|l| l.api_version.split_once('/').is_some_and(|(group, _)| group == SNAPSHOT_GROUP))
    {
        SnapshotApi::Served
    } else {
        SnapshotApi::Unknown
    };
    let source = match &fetched.context {
        Some(context) => format!("context {context} ({})", fetched.server),
        None => format!("in-cluster service account ({})", fetched.server),
    };
    ClusterRead {
        documents: fetched.lists.into_iter().flat_map(kstor_live::FetchedList::into_documents).collect(),
        source,
        snapshot_api,
        forbidden: fetched.forbidden.iter().map(|f| format!("{} ({})", f.resource, f.verb)).collect(),
    }
}

/// Reads dump files (`-` = stdin), each at most `max_bytes`.
fn read_dumps(paths: &[PathBuf], max_bytes: u64) -> Result<ClusterRead, String> {
    let mut documents = Vec::with_capacity(paths.len());
    for path in paths {
        let (input, name) = if path.as_os_str() == "-" {
            (Input::Stdin, "-".to_string())
        } else {
            (Input::Path(path.clone()), path.display().to_string())
        };
        let text = read_limited(&input, max_bytes).map_err(|e| match e {
            ReadError::Io(message) => format!("{name}: {message}"),
            ReadError::TooLarge(_) => format!(
                "{name}: larger than the limit of {} (--max-file-size); not audited",
                kstor_model::quantity::format_bytes(max_bytes as f64)
            ),
            ReadError::NotUtf8 { offset, .. } => {
                format!("{name}: not valid UTF-8 (byte {offset}); kubectl writes UTF-8 JSON")
            }
        })?;
        documents.push((name, text));
    }
    let names: Vec<&str> = documents.iter().map(|(n, _)| n.as_str()).collect();
    Ok(ClusterRead {
        source: format!("dump {}", names.join(", ")),
        documents,
        snapshot_api: SnapshotApi::Unknown,
        forbidden: Vec::new(),
    })
}
