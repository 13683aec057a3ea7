//! Command-line parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kstor_model::quantity::parse_size;

use crate::commands;

/// Kubernetes storage, safe by design.
///
/// kstor knows the storage patterns (ephemeral, RWO block, RWX file, shared read-only,
/// distributed, RWO + snapshot), the drivers behind them and the workloads on top, and
/// reports the mismatches that lose data or hang pods.
#[derive(Debug, Parser)]
#[command(name = "kstor", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// kstor's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests: files, directories (recursive .yaml/.yml/.json) or `-` for stdin.
    Lint(LintArgs),
    /// List every rule: code, name, severity, group, summary.
    Rules(RulesArgs),
    /// Show a rule's documentation: `kstor explain KS201` or `kstor explain rwx-for-database`.
    Explain(ExplainArgs),
    #[cfg(feature = "audit")]
    /// Audit a live cluster (read-only, through kubeconfig) or a `kubectl get -o json` dump: every
    /// lint rule plus live-state findings, under an inventory header.
    Audit(AuditArgs),
    /// The pattern report: every workload volume's storage pattern against the decision matrix.
    Report(ReportArgs),
    #[cfg(feature = "plan")]
    /// The storage pattern table and the decision matrix (role → pattern).
    Patterns(PatternsArgs),
    #[cfg(feature = "plan")]
    /// Recommend a storage pattern and its settings for a workload, or for the workloads in
    /// manifests (`-f`), with the alternatives and why they lost.
    Recommend(RecommendArgs),
    #[cfg(feature = "plan")]
    /// Write a production-ready storage bundle for a workload on a provider (StorageClass,
    /// VolumeSnapshotClass, the workload with its claims, PodDisruptionBudget, snapshot schedule).
    Generate(GenerateArgs),
    #[cfg(feature = "serve")]
    /// Run the admission webhook: HTTPS `POST /validate` judges Pods, workloads, claims, volumes,
    /// classes and snapshots with the lint rules against a watched view of the cluster.
    Serve(ServeArgs),
    #[cfg(feature = "bench")]
    /// Measure storage latency percentiles (fsync p99, random reads, …) on a directory.
    Bench(kstor_bench::BenchArgs),
    #[cfg(feature = "probe")]
    /// Verify a StorageClass end to end in a live cluster: provision, attach, write, reschedule
    /// onto another node, snapshot and restore, expand; timed, checksummed, nothing left behind.
    Probe(kstor_probe::options::ProbeArgs),
    #[cfg(feature = "probe")]
    /// What the probe's pods run: write, verify or stat data on a volume (JSON result on stdout
    /// and in the termination log).
    Agent(kstor_probe::agent::AgentArgs),
    /// Export rules to where clusters already enforce policy: `kstor export vap` prints
    /// ValidatingAdmissionPolicies whose CEL enforces the rules one object can show.
    Export(commands::export::ExportArgs),
    #[cfg(feature = "lsp")]
    /// Run the language server on stdin/stdout (LSP): diagnostics for open manifests linted with
    /// the workspace, hover on claim and class names (workload → claim → class → driver →
    /// snapshot class), fixes as code actions. Editors start it (docs/editor.md).
    Lsp(LspArgs),
    /// Print a shell completion script: `kstor completions bash > ~/.local/share/bash-completion/completions/kstor`.
    Completions(commands::completions::CompletionsArgs),
    /// Write the man pages (kstor.1, kstor-lint.1, …) into a directory.
    Man(commands::man::ManArgs),
}

/// Arguments of `kstor serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// PEM certificate (chain) for HTTPS; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// PEM private key; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// Configuration: the keys of .kstor.yaml (select, ignore, severity, drivers, roles) and the
    /// admission policy (deny / warn / ignore per severity and rule, namespaces, object selector)
    /// in one file; default: every rule, errors deny, warnings warn, info is ignored.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// HTTPS address for /validate, /healthz, /readyz and /metrics.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: std::net::SocketAddr,
    /// Also serve /metrics, /healthz and /readyz over plain HTTP here (probes, scraping).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// How long SIGTERM waits for in-flight requests before exiting, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 25)]
    pub drain_timeout: u64,
}

/// Formats of `patterns` and `recommend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormatArg {
    /// Aligned text (default).
    Text,
    /// JSON (docs/recommend.md).
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Arguments of `kstor patterns`.
#[derive(Debug, Args)]
pub struct PatternsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormatArg::Text)]
    pub format: PlanFormatArg,
}

/// Where storage comes from: a provider or any catalogued CSI driver.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Provider: aws, gcp, azure, ceph, longhorn, openebs, topolvm, local-path, nfs.
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Any CSI driver of kstor's catalog instead of a provider (e.g. csi.vsphere.vmware.com).
    #[arg(long, value_name = "NAME", conflicts_with = "provider")]
    pub provisioner: Option<String>,
    /// Use this pattern instead of the matrix's first choice (it must fit the workload's role),
    /// e.g. rwo-block to accept a provider without snapshots.
    #[arg(long, value_name = "PATTERN", value_parser = parse_pattern)]
    pub pattern: Option<kstor_model::catalog::Pattern>,
}

/// Parses a pattern id (`rwo-snapshot`).
fn parse_pattern(text: &str) -> Result<kstor_model::catalog::Pattern, String> {
    use kstor_model::catalog::Pattern::*;
    [EphemeralMemory, EphemeralDisk, RwoBlock, RwxFile, SharedReadOnly, Distributed, RwoSnapshot]
        .into_iter()
        .find(|p| p.id() == text.trim())
        .ok_or_else(|| {
            "one of ephemeral-memory, ephemeral-disk, rwo-block, rwx-file, shared-read-only, distributed, rwo-snapshot"
                .to_string()
        })
}

/// Arguments of `kstor recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// The workload: a scenario (relational-database, cache, build-cache, …) or an engine
    /// (postgres, kafka, redis, …).
    #[arg(
        long,
        short = 'w',
        value_name = "WORKLOAD",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub workload: Option<String>,
    /// Infer the workloads from manifests (files, directories or `-`) and diff their storage
    /// against the recommendation.
    #[arg(long = "file", short = 'f', value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Replicas (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replicas: Option<u32>,
    /// How many zones the workload spans.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub zones: Option<u32>,
    /// Provider, provisioner, pattern.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print the decision path.
    #[arg(long)]
    pub explain: bool,
    /// With -f: exit with 1 when a workload's storage differs from the recommendation.
    #[arg(long, requires = "file")]
    pub check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormatArg::Text)]
    pub format: PlanFormatArg,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `kstor generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The workload: a scenario (relational-database, cache, …) or an engine (postgres, …).
    #[arg(long, short = 'w', value_name = "WORKLOAD")]
    pub workload: String,
    /// Provider, provisioner, pattern.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Zone names (us-east-1a,us-east-1b) for allowedTopologies and spreading, or a count.
    #[arg(long, value_name = "ZONES")]
    pub zones: Option<String>,
    /// Volume size, e.g. 100Gi (default: the scenario's, at least the provider's minimum).
    #[arg(long, value_name = "SIZE")]
    pub size: Option<String>,
    /// Replicas (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replicas: Option<u32>,
    /// Name of the workload and prefix of its objects (default: the engine's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Namespace of the namespaced objects.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Write the bundle to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Code frames with the offending field marked (default).
    Text,
    /// Machine-readable JSON (docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// JUnit XML for CI test reports.
    Junit,
    /// GitHub Actions annotations.
    Github,
    /// GitLab Code Quality JSON (docs/ci.md).
    Gitlab,
}

/// When `lint` exits with 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// On errors.
    Error,
    /// On warnings or errors (default).
    Warning,
    /// On any finding.
    Info,
    /// Never because of findings.
    Never,
}

/// Colour of text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What `lint` and `audit` share: how findings are selected, written and turned into an exit code.
#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only run these rules (codes, names or code prefixes such as KS2; comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Exit with 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,
    /// Configuration file (default: the nearest .kstor.yaml upward from the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Colour the text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Print how long each phase took, and the peak memory where known (stderr).
    #[arg(long)]
    pub timings: bool,
}

/// Arguments of `kstor lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files, directories, or `-` for stdin (e.g. `helm template … | kstor lint -`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output, rule selection, exit code and config.
    #[command(flatten)]
    pub findings: FindingsArgs,
    /// Largest input file accepted, e.g. 64MiB.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_file_size)]
    pub max_file_size: u64,
    /// The input is the complete bundle: every claim, StorageClass and VolumeSnapshotClass it
    /// names must be defined in it (KS703, platform-installed class names included), and a
    /// stateful workload nothing snapshots on a schedule is a warning (KS406).
    #[arg(long)]
    pub complete: bool,
    /// Apply the safe fixes in place (format-preserving text edits), then report what
    /// remains. With `-` (stdin), print the fixed document to stdout and the report to stderr.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// With --fix or --diff, also apply the unsafe fixes (immutable fields, changed behaviour,
    /// values kstor chooses: each fix's message says why it is unsafe).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change and write nothing; exit 1 when there
    /// is a change, 0 when there is none.
    #[arg(long)]
    pub diff: bool,
}

/// Arguments of `kstor audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Read a `kubectl get … -A -o json` dump (a List or one object) instead of the cluster;
    /// repeatable, `-` for stdin.
    #[arg(long, value_name = "FILE")]
    pub from: Vec<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster service account).
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME", conflicts_with = "from")]
    pub context: Option<String>,
    /// Only look at these namespaces (repeatable); cluster-scoped objects are always read.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Put a monthly cost on orphaned capacity, at this price per GiB-month (e.g. 0.08).
    #[arg(long, value_name = "PRICE", value_parser = parse_price)]
    pub price_per_gib_month: Option<f64>,
    /// The clock ages are computed against (RFC 3339, e.g. 2026-11-26T12:00:00Z); default: now.
    /// Set it to audit an old dump as of the time it was taken.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Output, rule selection, exit code and config.
    #[command(flatten)]
    pub findings: FindingsArgs,
    /// Largest dump file accepted with --from, e.g. 2GiB.
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_file_size)]
    pub max_file_size: u64,
    /// Timeout of each API request (one page of one list), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,
    /// Objects per page of a list (`limit`).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// How many lists run at the same time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
}

/// Parses a non-negative finite price.
fn parse_price(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!("`{text}` is not a price like 0.08")),
    }
}

/// Formats of `kstor report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// An aligned table with the reasons and the patterns' properties (default).
    Text,
    /// A Markdown table.
    Markdown,
    /// JSON (docs/json-format.md).
    Json,
}

/// Arguments of `kstor report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files, directories, or `-` for stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormatArg::Text)]
    pub format: ReportFormatArg,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: the nearest .kstor.yaml upward from the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Largest input file accepted, e.g. 64MiB.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_file_size)]
    pub max_file_size: u64,
}

/// Arguments of `kstor lsp`.
#[cfg(feature = "lsp")]
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Speak LSP over stdin/stdout (the only transport, and the default; accepted because
    /// editor clients pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Arguments of `kstor rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `text` (a table) or `json`.
    #[arg(long, short = 'f', value_parser = ["text", "json"], default_value = "text")]
    pub format: String,
}

/// Arguments of `kstor explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (KS201) or name (rwx-for-database).
    pub rule: String,
}

/// A `--max-file-size`: a size like `64MiB`, below 4 GiB (positions in a file are 32-bit in
/// the model).
fn parse_file_size(text: &str) -> Result<u64, String> {
    let size = parse_size(text)?;
    if size > kstor_model::MAX_FILE_BYTES {
        return Err(format!("`{text}` is too large: kstor reads files below 4 GiB (at most 4095MiB)"));
    }
    Ok(size)
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(args) => commands::lint::run(&args),
        Command::Rules(args) => commands::rules::run(&args),
        #[cfg(feature = "audit")]
        Command::Audit(args) => commands::audit::run(&args),
        Command::Report(args) => commands::report::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        #[cfg(feature = "plan")]
        Command::Patterns(args) => commands::plan::patterns(&args),
        #[cfg(feature = "plan")]
        Command::Recommend(args) => commands::plan::recommend(&args),
        #[cfg(feature = "plan")]
        Command::Generate(args) => commands::plan::generate(&args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => commands::serve::run(&args),
        #[cfg(feature = "bench")]
        Command::Bench(args) => commands::bench::run(&args),
        #[cfg(feature = "probe")]
        Command::Probe(args) => commands::probe::run(&args),
        #[cfg(feature = "probe")]
        Command::Agent(args) => kstor_probe::agent::run(&args),
        Command::Export(args) => commands::export::run(&args),
        #[cfg(feature = "lsp")]
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Man(args) => commands::man::run(&args),
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes() {
        assert_eq!(parse_file_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_file_size("2048"), Ok(2048));
        assert!(parse_file_size("ten").is_err());
        // Below 4 GiB: positions in a file are 32-bit.
        assert_eq!(parse_file_size("4095MiB"), Ok(4095 << 20));
        assert_eq!(parse_file_size("4294967295"), Ok(u64::from(u32::MAX)));
        for too_large in ["4GiB", "4294967296", "5GB", "1TB", "99999GiB"] {
            let error = parse_file_size(too_large).unwrap_err();
            assert!(error.contains("below 4 GiB"), "{too_large}: {error}");
        }
    }

    #[test]
    fn prices() {
        assert_eq!(parse_price("0.08"), Ok(0.08));
        assert!(parse_price("-1").is_err());
        assert!(parse_price("NaN").is_err());
        assert!(parse_price("cheap").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
