//! `kstor probe`: the probe crate does the work; the engine comes from the nearest
//! `.kstor.yaml`, so the preflight's findings use the team's drivers and rules.

use kstor_probe::options::ProbeArgs;

use super::{engine, fail};

/// Runs `kstor probe`; returns the exit code (0 passed, 1 a check failed, 2 could not run,
/// 130 interrupted).
pub fn run(args: &ProbeArgs) -> u8 {
    let engine = match engine(None, false, &[], &[]) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    kstor_probe::probe::main(args, engine)
}
