//! `kstor lint`, and `kstor lint --fix` / `--diff`.

use std::io::Write;
use std::path::Path;

use kstor_engine::{Engine, FixOptions, FixOutcome, Timings};
use kstor_model::{Input, Limits};
use kstor_render::Output;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, fail};
use crate::cli::LintArgs;
use crate::output::write_atomically;

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
    if args.fix || args.diff {
        return fix(&engine, args, &inputs, limits);
    }
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

/// `--fix` (write the fixed files, report what remains) and `--diff` (print what would
/// change, write nothing).
fn fix(engine: &Engine, args: &LintArgs, inputs: &[Input], limits: Limits) -> u8 {
    let start = std::time::Instant::now();
    let options = FixOptions { unsafe_fixes: args.unsafe_fixes };
    let outcome = match engine.fix(inputs, limits, options) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let fix_time = start.elapsed();
    for message in &outcome.graph.workspace.io_errors {
        eprintln!("kstor: error: {message}");
    }
    for skipped in &outcome.skipped {
        eprintln!("kstor: note: {}: {} fix not applied: {}", skipped.file, skipped.code, skipped.reason);
    }
    if args.diff {
        return diff(&outcome);
    }
    let stdin = inputs.iter().any(|i| matches!(i, Input::Stdin));
    for source in &outcome.sources {
        if source.name == "-" {
            // The fixed document goes to stdout whether or not anything changed: it is a filter.
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(source.fixed.as_bytes()).and_then(|()| out.flush()) {
                return fail(format!("cannot write the fixed document: {e}"));
            }
            continue;
        }
        if !source.changed() {
            continue;
        }
        // Atomic (temporary file and rename), keeping the file's permissions.
        if let Err(e) =
            write_atomically(Path::new(&source.name), |out| out.write_all(source.fixed.as_bytes()))
        {
            return fail(format!("{}: {e}", source.name));
        }
    }
    let output = Output::new(&outcome.graph, &outcome.result);
    let f = &args.findings;
    if let Err(e) = super::emit_to(&output, f.format, f.color, f.output.as_deref(), stdin) {
        return fail(e);
    }
    eprintln!("{}", summary(&outcome, args.unsafe_fixes));
    if f.timings {
        super::print_timings(&[("fix", fix_time)]);
        eprintln!("fix passes: {} (each re-lints the bundle)", outcome.passes);
    }
    if !outcome.graph.workspace.io_errors.is_empty() {
        return EXIT_ERROR;
    }
    super::exit_code(&outcome.result, f.fail_on, engine.config())
}

/// "N fixed (M more available with --unsafe-fixes)", with the count per rule.
fn summary(outcome: &FixOutcome, unsafe_fixes: bool) -> String {
    let fixed = outcome.fixed();
    let mut line = format!("{fixed} fixed");
    if fixed > 0 {
        let per_rule: Vec<String> = outcome.applied.iter().map(|(code, n)| format!("{code} ×{n}")).collect();
        line.push_str(&format!(" [{}]", per_rule.join(", ")));
    }
    let more = outcome.unsafe_available();
    if !unsafe_fixes && more > 0 {
        line.push_str(&format!(" ({more} more available with --unsafe-fixes)"));
    }
    line
}

/// Prints a unified diff per changed file; exit 1 when anything would change.
fn diff(outcome: &FixOutcome) -> u8 {
    let mut out = std::io::stdout().lock();
    let mut changed = 0;
    for source in outcome.sources.iter().filter(|s| s.changed()) {
        changed += 1;
        let diff = similar::TextDiff::from_lines(&*source.original, source.fixed.as_str());
        let text = diff.unified_diff().context_radius(3).header(&source.name, &source.name).to_string();
        if let Err(e) = out.write_all(text.as_bytes()) {
            return fail(format!("cannot write the diff: {e}"));
        }
    }
    let _ = out.flush();
    let fixes = outcome.fixed();
    eprintln!(
        "kstor: {fixes} fix{} would change {changed} file{}",
        plural(fixes, "es"),
        plural(changed, "s")
    );
    if changed > 0 { EXIT_FINDINGS } else { EXIT_OK }
}

fn plural(n: usize, suffix: &str) -> &str {
    if n == 1 { "" } else { suffix }
}
