//! `kstor report`: the pattern report.

use kstor_model::{Input, Limits};
use kstor_render::{ReportFormat, render_report};

use super::{EXIT_ERROR, EXIT_OK, fail};
use crate::cli::{ReportArgs, ReportFormatArg};
use crate::output::{write_atomically, write_stdout};

/// Runs `kstor report`; returns the exit code (0, or 2 when the input cannot be read). The
/// report explains; findings and their exit codes are `kstor lint`'s job.
pub fn run(args: &ReportArgs) -> u8 {
    let engine = match super::engine(args.config.as_deref(), args.no_config, &[], &[]) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let inputs: Vec<Input> = args
        .paths
        .iter()
        .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) })
        .collect();
    let limits = Limits { max_file_bytes: args.max_file_size, ..Limits::default() };
    let graph = match engine.graph(&inputs, limits) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    for message in &graph.workspace.io_errors {
        eprintln!("kstor: error: {message}");
    }
    let format = match args.format {
        ReportFormatArg::Text => ReportFormat::Text,
        ReportFormatArg::Markdown => ReportFormat::Markdown,
        ReportFormatArg::Json => ReportFormat::Json,
    };
    let report = |out: &mut dyn std::io::Write| render_report(&graph, format, out);
    let written = match &args.output {
        Some(path) => write_atomically(path, report).map_err(|e| format!("{}: {e}", path.display())),
        None => write_stdout(report).map_err(|e| format!("cannot write the report: {e}")),
    };
    if let Err(e) = written {
        return fail(e);
    }
    if graph.workspace.io_errors.is_empty() { EXIT_OK } else { EXIT_ERROR }
}
