//! Bad paths and bad arguments give one clear line and write nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use kstor_bench::{BenchArgs, Format, Profile, run};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: BenchArgs,
}

fn args(path: &Path) -> BenchArgs {
    BenchArgs {
        duration: Duration::from_millis(100),
        size: 1 << 20,
        no_progress: true,
        ..BenchArgs::new(path)
    }
}

/// Runs and expects an error: one line mentioning `want`, and no report output.
fn expect_error(a: &BenchArgs, want: &str) -> String {
    let mut out = Vec::new();
    let err = run(a, &mut out).expect_err("the run should fail");
    let msg = format!("{err:#}");
    assert!(msg.contains(want), "error {msg:?} does not say {want:?}");
    assert!(!msg.contains('\n'), "error is not one line: {msg:?}");
    assert!(
        msg.contains(&a.path.display().to_string()) || msg.contains("plot"),
        "error does not name the path: {msg:?}"
    );
    assert!(out.is_empty(), "a report was written");
    msg
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn nonexistent_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    expect_error(&args(&missing), "no such directory");
    assert!(!missing.exists());
    assert_eq!(entries(tmp.path()), 0);
}

#[test]
fn file_instead_of_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, b"keep me").unwrap();
    expect_error(&args(&file), "not a directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    assert_eq!(entries(tmp.path()), 1);
    // A path below a file.
    expect_error(&args(&file.join("below")), "no such directory");
}

#[test]
fn proc_is_not_writable_even_for_root() {
    expect_error(&args(Path::new("/proc")), "not a writable directory");
}

#[test]
fn read_only_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root (CAP_DAC_OVERRIDE) writes into a 0555 directory anyway: find out.
    let probe = ro.join("probe");
    if std::fs::write(&probe, b"").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        eprintln!(
            "skipping the 0555 case: this process can write into a 0555 directory \
             (running as root); /proc covers the non-writable case"
        );
        return;
    }
    expect_error(&args(&ro), "not a writable directory");
    assert_eq!(entries(&ro), 0);
}

#[test]
fn not_enough_space() {
    let tmp = tempfile::tempdir().unwrap();
    let huge = BenchArgs {
        size: 1 << 60, // 1 EiB
        ..args(tmp.path())
    };
    let msg = expect_error(&huge, "not enough free space");
    assert!(msg.contains("lower --size"), "{msg}");
    assert_eq!(entries(tmp.path()), 0, "something was written");
}

#[test]
fn unwritable_plot_path() {
    let tmp = tempfile::tempdir().unwrap();
    let a = BenchArgs { plot: Some(tmp.path().join("no/such/dir/latency.svg")), ..args(tmp.path()) };
    expect_error(&a, "cannot write plot");
    assert_eq!(entries(tmp.path()), 0);
}

#[test]
fn command_line_parses_every_flag() {
    let cli = Cli::try_parse_from([
        "bench",
        "/mnt/efs",
        "--profile",
        "wal",
        "--profile",
        "randread-4k",
        "--duration",
        "20s",
        "--size",
        "1GiB",
        "--format",
        "json",
        "--plot",
        "latency.svg",
        "--no-progress",
    ])
    .unwrap();
    let a = cli.args;
    assert_eq!(a.path, Path::new("/mnt/efs"));
    assert_eq!(a.profiles, [Profile::Wal, Profile::Randread4k]);
    assert_eq!(a.duration, Duration::from_secs(20));
    assert_eq!(a.size, 1 << 30);
    assert_eq!(a.format, Format::Json);
    assert_eq!(a.plot.as_deref(), Some(Path::new("latency.svg")));
    assert!(a.no_progress);
}

#[test]
fn defaults_run_all_profiles_in_about_30_seconds() {
    let a = Cli::try_parse_from(["bench", "/data"]).unwrap().args;
    assert_eq!(a, BenchArgs::new("/data"));
    assert_eq!(a.selected_profiles(), Profile::ALL);
    let total = a.duration * Profile::ALL.len() as u32;
    assert!((25..=32).contains(&total.as_secs()), "{total:?}");
    // Every profile name of the contract is accepted, duplicates are run once.
    let mut argv = vec!["bench", "/data"];
    for p in ["wal", "fsync-small", "randread-4k", "randwrite-4k", "seq-read", "seq-write", "metadata", "wal"]
    {
        argv.extend(["--profile", p]);
    }
    let a = Cli::try_parse_from(argv).unwrap().args;
    assert_eq!(a.selected_profiles(), Profile::ALL);
}

#[test]
fn bad_arguments_are_usage_errors() {
    for (argv, want) in [
        (vec!["bench", "/d", "--profile", "fast"], "invalid value"),
        (vec!["bench", "/d", "--duration", "0s"], "greater than zero"),
        (vec!["bench", "/d", "--duration", "soon"], "invalid duration"),
        (vec!["bench", "/d", "--size", "12KiB"], "too small"),
        (vec!["bench", "/d", "--size", "big"], "invalid size"),
        (vec!["bench", "/d", "--format", "yaml"], "invalid value"),
        (vec!["bench"], "required"),
    ] {
        let err = Cli::try_parse_from(&argv).expect_err(&format!("{argv:?} should fail"));
        assert!(err.to_string().contains(want), "{argv:?}: {err}");
    }
}
