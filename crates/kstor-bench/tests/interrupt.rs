//! Ctrl-C (and SIGTERM) during a run removes the test files and exits with 130.
//!
//! The benchmark runs in a child process: this same test binary, started with
//! `KSTOR_BENCH_CHILD=DIR` so that its `child` test calls `kstor_bench::run` and exits
//! with the code it returns.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kstor_bench::{BenchArgs, Profile};

const CHILD_ENV: &str = "KSTOR_BENCH_CHILD";

/// In the child process: a 30 s benchmark of DIR. Does nothing in a normal test run.
#[test]
fn child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let args = BenchArgs {
        profiles: vec![Profile::Metadata],
        duration: Duration::from_secs(30),
        size: 8 << 20,
        no_progress: true,
        ..BenchArgs::new(dir)
    };
    let code = match kstor_bench::run(&args, &mut std::io::stdout()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt_with(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the benchmark directory exists, and a little more to be mid-profile.
    wait_for("the benchmark directory", Duration::from_secs(20), || {
        std::fs::read_dir(dir.path()).unwrap().count() > 0
    });
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut exit = None;
    wait_for("the process to exit", Duration::from_secs(10), || {
        exit = child.try_wait().unwrap();
        exit.is_some()
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(exit.unwrap().code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted; test files removed"), "stderr: {stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left after {signal}: {left:?}");
}

#[test]
fn ctrl_c_removes_files_and_exits_130() {
    interrupt_with("-INT");
}

#[test]
fn sigterm_too() {
    interrupt_with("-TERM");
}
