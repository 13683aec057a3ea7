//! `kstor bench`: storage latency percentiles on a path (the kstor-bench crate).

use super::fail;

/// Runs the benchmark; the report goes to stdout.
pub fn run(args: &kstor_bench::BenchArgs) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match kstor_bench::run(args, &mut stdout) {
        Ok(code) => u8::try_from(code).unwrap_or(super::EXIT_ERROR),
        Err(error) => fail(format!("{error:#}")),
    }
}
