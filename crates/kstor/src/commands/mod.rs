//! One module per subcommand.

pub mod audit;
pub mod bench;
pub mod explain;
pub mod lint;
pub mod report;
pub mod rules;

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// Prints a one-line error and returns [`EXIT_ERROR`].
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("kstor: error: {message}");
    EXIT_ERROR
}

/// Renders a result in the chosen format to `path` (atomically) or stdout.
pub fn emit(
    output: &kstor_render::Output<'_>,
    format: crate::cli::FormatArg,
    color: crate::cli::ColorArg,
    path: Option<&std::path::Path>,
) -> Result<(), String> {
    use std::io::IsTerminal;

    use crate::cli::{ColorArg, FormatArg};
    use kstor_render::Format;

    let format = match format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Junit => Format::Junit,
        FormatArg::Github => Format::Github,
    };
    let color = match color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            path.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let report = |out: &mut dyn std::io::Write| kstor_render::render(format, output, color, out);
    match path {
        Some(path) => {
            crate::output::write_atomically(path, report).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => crate::output::write_stdout(report).map_err(|e| format!("cannot write the report: {e}")),
    }
}

/// The exit code for a result: [`EXIT_FINDINGS`] when a finding reaches the threshold (the
/// flag, else the config's `failOn`, else warning).
pub fn exit_code(
    result: &kstor_rules::LintResult,
    fail_on: Option<crate::cli::FailOnArg>,
    config: &kstor_rules::Config,
) -> u8 {
    use crate::cli::FailOnArg;
    use kstor_rules::FailOn;

    let fail_on = match fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => config.fail_on.unwrap_or(FailOn::Warning),
    };
    if result.findings.iter().any(|f| fail_on.fails(f.finding.severity)) { EXIT_FINDINGS } else { EXIT_OK }
}
