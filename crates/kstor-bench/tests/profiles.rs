//! Each profile runs a short, bounded pass on a temporary directory and reports sane,
//! consistent figures; its files are gone afterwards. No assertion on absolute speed.

use std::path::Path;
use std::time::Duration;

use kstor_bench::{BenchDir, Profile, ProfileResult, Progress, RunOptions, run_profile};

const DURATION: Duration = Duration::from_millis(200);

fn options(allow_direct_io: bool) -> RunOptions {
    RunOptions { duration: DURATION, size: 4 << 20, max_ops: None, allow_direct_io }
}

fn assert_empty(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

fn run(profile: Profile, opts: &RunOptions) -> ProfileResult {
    let parent = tempfile::tempdir().unwrap();
    let result = {
        let mut dir = BenchDir::create(parent.path()).unwrap();
        run_profile(&mut dir, profile, opts, &Progress::hidden()).unwrap()
    };
    assert_empty(parent.path());
    check(&result, opts);
    result
}

fn check(r: &ProfileResult, opts: &RunOptions) {
    let name = r.profile.name();
    assert!(r.ops > 0, "{name}: no operations");
    assert_eq!(r.bytes, r.ops * r.block_size_bytes, "{name}: bytes");
    assert_eq!(r.block_size_bytes, r.profile.block_size());
    assert!(r.ops_per_sec > 0.0 && r.bytes_per_sec > 0.0, "{name}: throughput");
    let implied_ops = r.ops_per_sec * r.elapsed_s;
    assert!((implied_ops - r.ops as f64).abs() < 1.0, "{name}: ops/s × elapsed ≠ ops");
    assert!(
        r.elapsed_s >= opts.duration.as_secs_f64(),
        "{name}: stopped after {} s, before --duration",
        r.elapsed_s
    );
    assert!(r.elapsed_s < opts.duration.as_secs_f64() + 10.0, "{name}: ran far past --duration");
    let l = &r.latency_ns;
    assert!(l.is_monotone(), "{name}: percentiles not monotone: {l:?}");
    assert!(l.min > 0, "{name}: zero-time operation");
    assert!((r.verdict.p99_ms - l.p99 as f64 / 1e6).abs() < 1e-9, "{name}: verdict not based on p99");
    assert!(!r.verdict.summary.is_empty());
    assert_eq!(r.sync_latency_ns.is_some(), r.profile.has_sync_latency(), "{name}");
    if let Some(s) = &r.sync_latency_ns {
        assert!(s.is_monotone(), "{name}: sync percentiles not monotone: {s:?}");
        // The fdatasync is part of each operation, so each of its percentiles is at most
        // the operation's.
        for (sync, op) in [
            (s.min, l.min),
            (s.p50, l.p50),
            (s.p90, l.p90),
            (s.p99, l.p99),
            (s.p99_9, l.p99_9),
            (s.max, l.max),
        ] {
            assert!(sync <= op, "{name}: fdatasync {sync} ns > operation {op} ns");
        }
    }
    assert!(!r.curve.is_empty(), "{name}: no curve");
}

#[test]
fn wal() {
    run(Profile::Wal, &options(true));
}

#[test]
fn fsync_small() {
    let r = run(Profile::FsyncSmall, &options(true));
    assert_eq!(r.block_size_bytes, 2300);
}

#[test]
fn randread_4k() {
    run(Profile::Randread4k, &options(true));
}

#[test]
fn randwrite_4k() {
    run(Profile::Randwrite4k, &options(true));
}

#[test]
fn seq_read() {
    let r = run(Profile::SeqRead, &options(true));
    assert_eq!(r.block_size_bytes, 1 << 20);
}

#[test]
fn seq_write() {
    run(Profile::SeqWrite, &options(true));
}

#[test]
fn metadata() {
    run(Profile::Metadata, &options(true));
}

#[test]
fn buffered_fallback_is_noted() {
    for profile in [Profile::Randread4k, Profile::SeqRead, Profile::SeqWrite] {
        let r = run(profile, &options(false));
        assert!(!r.direct_io, "{profile}: used O_DIRECT although disallowed");
        assert!(
            r.notes.iter().any(|n| n.contains("buffered I/O")),
            "{profile}: no note about buffered I/O: {:?}",
            r.notes
        );
    }
}

#[test]
fn direct_io_is_used_where_the_probe_allows_it() {
    let parent = tempfile::tempdir().unwrap();
    let mut dir = BenchDir::create(parent.path()).unwrap();
    let supported = dir.direct_io().is_supported();
    let r = run_profile(&mut dir, Profile::Randread4k, &options(true), &Progress::hidden()).unwrap();
    assert_eq!(r.direct_io, supported);
    assert_eq!(r.notes.is_empty(), supported, "{:?}", r.notes);
}

#[test]
fn max_ops_bounds_a_run() {
    let opts = RunOptions { duration: Duration::from_secs(60), max_ops: Some(25), ..options(true) };
    let parent = tempfile::tempdir().unwrap();
    let mut dir = BenchDir::create(parent.path()).unwrap();
    let r = run_profile(&mut dir, Profile::Metadata, &opts, &Progress::hidden()).unwrap();
    assert_eq!(r.ops, 25);
}

#[test]
fn several_profiles_share_one_directory_and_leave_nothing() {
    let parent = tempfile::tempdir().unwrap();
    {
        let mut dir = BenchDir::create(parent.path()).unwrap();
        let opts = RunOptions { duration: Duration::from_millis(50), ..options(true) };
        for p in Profile::ALL {
            let r = run_profile(&mut dir, p, &opts, &Progress::hidden()).unwrap();
            check(&r, &opts);
        }
    }
    assert_empty(parent.path());
}
