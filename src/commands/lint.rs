//! `kstor lint`.

use kstor_engine::Timings;
use kstor_model::{Input, Limits};
use kstor_render::Output;

use super::{EXIT_ERROR, fail};
use crate::cli::LintArgs;

/// Runs `kstor lint`; returns the exit code.
pub fn run(args: &LintArgs) -> u8 {
    let f = &args.findings;
    let mut engine = match super::engine(f.config.as_deref(), f.no_config, &f.select, &f.ignore) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    engine.settings_mut().options.complete = args.complete;
    let inputs: Vec<Input> = args
        .paths
        .iter()
        .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) })
        .collect();
    let limits = Limits { max_file_bytes: args.max_file_size, ..Limits::default() };
    let mut timings = Timings::default();
    let (graph, result) = match engine.lint_timed(&inputs, limits, &mut timings) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for message in &graph.workspace.io_errors {
        eprintln!("kstor: error: {message}");
    }

    let render_start = std::time::Instant::now();
    let output = Output::new(&graph, &result);
    if let Err(e) =
        super::emit(&output, args.findings.format, args.findings.color, args.findings.output.as_deref())
    {
        return fail(e);
    }
    if args.findings.timings {
        super::print_timings(&[
            ("load", timings.load),
            ("graph", timings.graph),
            ("rules", timings.rules),
            ("render", render_start.elapsed()),
        ]);
    }

    let io_failed = !graph.workspace.io_errors.is_empty();
    // The process ends here: freeing every tree node one by one would only cost time.
    std::mem::forget(graph);
    if io_failed {
        return EXIT_ERROR;
    }
    super::exit_code(&result, args.findings.fail_on, engine.config())
}
