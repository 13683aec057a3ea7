//! One module per subcommand, and what they share: rendering, exit codes, timings.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use kstor_engine::{Config, Engine, FailOn};
use kstor_render::{Format, Output};
use kstor_rules::LintResult;

use crate::cli::{ColorArg, FailOnArg, FormatArg};
use crate::output::{write_atomically, write_stdout};

#[cfg(feature = "audit")]
pub mod audit;
#[cfg(feature = "bench")]
pub mod bench;
pub mod completions;
pub mod explain;
pub mod export;
pub mod lint;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod man;
#[cfg(feature = "plan")]
pub mod plan;
#[cfg(feature = "probe")]
pub mod probe;
pub mod report;
pub mod rules;
#[cfg(feature = "serve")]
pub mod serve;

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// The engine for a command: the configuration named by `--config`, else the nearest
/// `.kstor.yaml` upward from the working directory, else none (`--no-config`: none), with the
/// command line's rule selection.
pub fn engine(
    config: Option<&Path>,
    no_config: bool,
    select: &[String],
    ignore: &[String],
) -> Result<Engine, String> {
    let cwd = std::env::current_dir().ok();
    let config = Config::resolve(config, no_config, cwd.as_deref()).map_err(|e| e.to_string())?;
    Engine::new(config, select, ignore).map_err(|e| e.to_string())
}

/// Prints a one-line error and returns [`EXIT_ERROR`].
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("kstor: error: {message}");
    EXIT_ERROR
}

/// Renders a result in the chosen format to `path` (atomically) or stdout.
pub fn emit(
    output: &Output<'_>,
    format: FormatArg,
    color: ColorArg,
    path: Option<&Path>,
) -> Result<(), String> {
    emit_to(output, format, color, path, false)
}

/// [`emit`], with the report on stderr instead of stdout when there is no `path` (stdout
/// carries something else, e.g. the fixed document of `kstor lint --fix -`).
pub fn emit_to(
    output: &Output<'_>,
    format: FormatArg,
    color: ColorArg,
    path: Option<&Path>,
    stderr: bool,
) -> Result<(), String> {
    let format = match format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Junit => Format::Junit,
        FormatArg::Github => Format::Github,
        FormatArg::Gitlab => Format::Gitlab,
    };
    // Formats that want relative paths (GitLab) make them relative to the working directory.
    let cwd = std::env::current_dir().ok();
    let output = Output { root: output.root.or(cwd.as_deref()), ..*output };
    let color = match color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            let terminal =
                if stderr { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() };
            path.is_none() && terminal && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let report = |out: &mut dyn Write| kstor_render::render(format, &output, color, out);
    match path {
        Some(path) => write_atomically(path, report).map_err(|e| format!("{}: {e}", path.display())),
        None if stderr => {
            let mut err = std::io::stderr().lock();
            report(&mut err).and_then(|()| err.flush()).map_err(|e| format!("cannot write the report: {e}"))
        }
        None => write_stdout(report).map_err(|e| format!("cannot write the report: {e}")),
    }
}

/// The exit code for a result: [`EXIT_FINDINGS`] when a finding reaches the threshold (the
/// flag, else the config's `failOn`, else warning).
pub fn exit_code(result: &LintResult, fail_on: Option<FailOnArg>, config: &Config) -> u8 {
    let fail_on = match fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => config.fail_on.unwrap_or(FailOn::Warning),
    };
    if result.findings.iter().any(|f| fail_on.fails(f.finding.severity)) { EXIT_FINDINGS } else { EXIT_OK }
}

/// Prints `--timings` on stderr: each phase in milliseconds, then the peak memory where the
/// system tells it.
pub fn print_timings(phases: &[(&str, Duration)]) {
    let phases: Vec<String> =
        phases.iter().map(|(name, d)| format!("{name} {:.1} ms", d.as_secs_f64() * 1000.0)).collect();
    let peak = peak_rss_kib().map(|kib| format!(", peak RSS {} MiB", kib / 1024)).unwrap_or_default();
    eprintln!("kstor: timings: {}{peak}", phases.join(", "));
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`; `None` elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
