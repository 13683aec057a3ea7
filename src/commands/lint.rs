//! `kstor lint`.

use std::path::Path;

use kstor_model::{Input, Limits};
use kstor_render::Output;
use kstor_rules::{Config, Settings};

use super::{EXIT_ERROR, fail};
use crate::cli::LintArgs;
use crate::pipeline;

/// Loads the config named on the command line, or the nearest one, or none.
pub fn load_config(explicit: Option<&Path>, disabled: bool) -> Result<Config, String> {
    if disabled {
        return Ok(Config::default());
    }
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => std::env::current_dir().ok().and_then(|dir| Config::discover(&dir)),
    };
    match path {
        Some(p) => Config::load(&p).map_err(|e| e.to_string()),
        None => Ok(Config::default()),
    }
}

/// Runs `kstor lint`; returns the exit code.
pub fn run(args: &LintArgs) -> u8 {
    let config = match load_config(args.findings.config.as_deref(), args.findings.no_config) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut settings = match Settings::new(&config, &args.findings.select, &args.findings.ignore) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    settings.options.complete = args.complete;
    let inputs: Vec<Input> = args
        .paths
        .iter()
        .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) })
        .collect();
    let limits = Limits { max_file_bytes: args.max_file_size, ..Limits::default() };
    let mut timings = pipeline::Timings::default();
    let (graph, result) = match pipeline::lint_timed(&inputs, &config, &settings, limits, &mut timings) {
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
    super::exit_code(&result, args.findings.fail_on, &config)
}
