//! `kstor probe`'s command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

/// The release image the probe's pods run by default (the Helm chart's image and appVersion).
pub const DEFAULT_IMAGE: &str = concat!("ghcr.io/kstor-dev/kstor:", env!("CARGO_PKG_VERSION"));

/// The checks, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The class, its CSIDriver, the nodes its topology allows, its snapshot class, permissions,
    /// and the static findings of `kstor audit` for the class.
    Preflight,
    /// A claim, timed to Bound (WaitForFirstConsumer: to Bound after the first pod is scheduled).
    Provision,
    /// A writer pod: created → scheduled → attached → running.
    AttachMount,
    /// Random data written, fsynced, checksummed.
    Write,
    /// The writer deleted, the volume detached, a reader on another node verifies the data.
    Reschedule,
    /// A snapshot of the unmounted volume, restored into a new claim and verified.
    Snapshot,
    /// The claim grown; the capacity and the filesystem inside a pod show the new size.
    Expand,
    /// ReadWriteOncePod refuses a second pod; ReadWriteMany is shared across nodes.
    AccessModes,
    /// A non-root pod with fsGroup writes to a new volume (with the driver's fsGroupPolicy).
    Permissions,
    /// `kstor bench` in a pod on the volume (with `--bench`), placed in the pattern table.
    Bench,
}

impl Check {
    /// Every check, in order.
    pub const ALL: [Check; 9] = [
        Check::Preflight,
        Check::Provision,
        Check::AttachMount,
        Check::Write,
        Check::Reschedule,
        Check::Snapshot,
        Check::Expand,
        Check::AccessModes,
        Check::Permissions,
    ];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::Preflight => "preflight",
            Check::Provision => "provision",
            Check::AttachMount => "attach-mount",
            Check::Write => "write",
            Check::Reschedule => "reschedule",
            Check::Snapshot => "snapshot",
            Check::Expand => "expand",
            Check::AccessModes => "access-modes",
            Check::Permissions => "permissions",
            Check::Bench => "bench",
        }
    }
}

/// Failures the reschedule check can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Chaos {
    /// Cordon the writer's node, delete the pod, uncordon afterwards.
    Cordon,
}

/// Report formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProbeFormat {
    /// Aligned text (default).
    Text,
    /// Versioned JSON (docs/probe.md).
    Json,
    /// JUnit XML: one testcase per check per class.
    Junit,
    /// GitHub-flavoured Markdown (a job summary).
    Markdown,
}

/// `kstor probe`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProbeArgs {
    /// `kstor probe cleanup`.
    #[command(subcommand)]
    pub command: Option<ProbeCommand>,
    /// Options of a run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands of `kstor probe`.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Remove what crashed runs left behind: namespaces labelled kstor.io/probe-run and the
    /// volumes and snapshot contents of their claims, and nothing else.
    Cleanup(CleanupArgs),
}

/// The cluster to talk to.
#[derive(Clone, Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// How often the probe polls the API server, e.g. 500ms.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_duration, hide = true)]
    pub poll: Duration,
}

/// Options of `kstor probe cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Only runs older than this, e.g. 1h (default: every run).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<Duration>,
    /// List what would be removed without removing it.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of a probe run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// StorageClass to probe (repeatable; default: the default StorageClass).
    #[arg(long = "class", value_name = "NAME")]
    pub classes: Vec<String>,
    /// Namespace to run in (created when missing). Default: a new kstor-probe-<run id>.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Keep the namespace given with -n (its probe objects are still removed).
    #[arg(long, requires = "namespace")]
    pub keep_namespace: bool,
    /// Checks to run, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CHECKS")]
    pub checks: Vec<Check>,
    /// Claim size.
    #[arg(long, value_name = "SIZE", default_value = "1Gi", value_parser = parse_size)]
    pub size: u64,
    /// How much data the writer writes.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub data: u64,
    /// How much the expand check grows the claim.
    #[arg(long, value_name = "SIZE", default_value = "1Gi", value_parser = parse_size)]
    pub expand_by: u64,
    /// Failure to inject in the reschedule check: `cordon` cordons the writer's node and deletes
    /// the pod (as a drain does) instead of steering the reader away; always uncordoned.
    #[arg(long, value_enum, value_name = "MODE")]
    pub chaos: Option<Chaos>,
    /// VolumeSnapshotClass for the snapshot check (default: the driver's default one).
    #[arg(long, value_name = "NAME")]
    pub snapshot_class: Option<String>,
    /// Image of the probe's pods (runs `kstor agent`).
    #[arg(long, value_name = "IMAGE", default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Deadline of the whole run, e.g. 10m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Deadline of each step, e.g. 3m.
    #[arg(long, value_name = "DURATION", default_value = "3m", value_parser = parse_duration)]
    pub step_timeout: Duration,
    /// Also run `kstor bench` (profiles wal and randread-4k) in a pod on the volume and place
    /// its p99 in kstor's pattern table.
    #[arg(long)]
    pub bench: bool,
    /// Measuring time of each bench profile, e.g. 4s.
    #[arg(long, value_name = "DURATION", default_value = "4s", value_parser = parse_duration)]
    pub bench_time: Duration,
    /// Repeat the checks this many times per class and report percentiles of every step.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub iterations: u32,
    /// Run this many probes of a class at once (attach storms, provisioning under load).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub parallel: u32,
    /// Print every object the probe would create, as YAML, and create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ProbeFormat::Text)]
    pub format: ProbeFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl RunArgs {
    /// The selected checks, in run order.
    pub fn selected(&self) -> Vec<Check> {
        let mut checks: Vec<Check> = if self.checks.is_empty() {
            Check::ALL.to_vec()
        } else {
            Check::ALL.into_iter().filter(|c| self.checks.contains(c)).collect()
        };
        if self.bench || self.checks.contains(&Check::Bench) {
            checks.push(Check::Bench);
        }
        checks
    }
}

/// Parses `500ms`, `3m`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{text:?}: {e} (e.g. 500ms, 3m, 1h)"))
}

/// Parses a Kubernetes quantity (`1Gi`, `64MiB`, `500M`) into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bytes = kstor_text::quantity::parse_size(text)?;
    if bytes == 0 { Err(format!("{text:?}: must be more than 0")) } else { Ok(bytes) }
}
