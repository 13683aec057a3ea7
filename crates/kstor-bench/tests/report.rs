//! The report: JSON schema stability (insta snapshots), round trip, text and plot.

use std::path::PathBuf;
use std::time::Duration;

use kstor_bench::{
    BenchArgs, Format, FsInfo, FsKind, HostInfo, Percentiles, Profile, ProfileError, ProfileResult, Report,
    SCHEMA_VERSION, Settings, run, verdict,
};
use serde_json::Value;

/// Replaces every measured or machine-dependent leaf by its type, so that the snapshot
/// pins field names, nesting and types but no figures. Arrays of objects keep one entry
/// per element (the seven profiles); other arrays, whose length depends on the machine
/// (warnings, notes, matching patterns), become `"<array>"`.
fn schema(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Bool(_) => "<bool>".into(),
        Value::Number(_) => "<number>".into(),
        Value::String(_) => "<string>".into(),
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => {
            Value::Array(a.iter().map(schema).collect())
        }
        Value::Array(_) => "<array>".into(),
        Value::Object(o) => Value::Object(
            o.iter()
                // Profile names are part of the contract and do not vary: keep them.
                .map(|(k, v)| (k.clone(), if k == "profile" { v.clone() } else { schema(v) }))
                .collect(),
        ),
    }
}

fn quick_args(path: PathBuf, format: Format) -> BenchArgs {
    BenchArgs {
        duration: Duration::from_millis(100),
        size: 2 << 20,
        format,
        no_progress: true,
        ..BenchArgs::new(path)
    }
}

#[test]
fn json_schema_of_a_real_run_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let plots = tempfile::tempdir().unwrap();
    let plot = plots.path().join("latency.svg");
    let args = BenchArgs { plot: Some(plot.clone()), ..quick_args(dir.path().to_path_buf(), Format::Json) };
    let mut out = Vec::new();
    assert_eq!(run(&args, &mut out).unwrap(), 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "files left");

    let text = String::from_utf8(out).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    assert_eq!(json["tool"], "kstor-bench");
    assert_eq!(json["profiles"].as_array().unwrap().len(), 7);
    let names: Vec<&str> =
        json["profiles"].as_array().unwrap().iter().map(|p| p["profile"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["wal", "fsync-small", "randread-4k", "randwrite-4k", "seq-read", "seq-write", "metadata"]
    );
    // It reads back into the library's types.
    let report = Report::from_json(&text).unwrap();
    assert!(report.profiles.iter().all(|p| p.ops > 0 && p.latency_ns.is_monotone()));

    insta::assert_json_snapshot!("json_schema", schema(&json));

    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG");
    for name in names {
        assert!(svg.contains(&format!("{name}: p50")), "no panel for {name}");
    }
}

#[test]
fn text_report_of_a_real_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = BenchArgs {
        profiles: vec![Profile::Metadata, Profile::Wal],
        ..quick_args(dir.path().to_path_buf(), Format::Text)
    };
    let mut out = Vec::new();
    assert_eq!(run(&args, &mut out).unwrap(), 0);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&format!("kstor bench {}", dir.path().display())));
    for needle in ["filesystem", "p99.9", "fdatasync", "verdicts", "wal ", "metadata "] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    assert!(!text.contains("randread-4k"), "ran an unrequested profile:\n{text}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "files left");
}

fn pct(min: u64, p50: u64, p90: u64, p99: u64, p99_9: u64, max: u64, mean: u64) -> Percentiles {
    Percentiles { min, p50, p90, p99, p99_9, max, mean }
}

/// A report with fixed figures: the documented sample (docs/bench.md).
fn sample_report() -> Report {
    let wal = pct(1_510_000, 2_810_000, 4_020_000, 12_050_000, 31_500_000, 48_200_000, 3_300_000);
    let wal_sync = pct(1_480_000, 2_750_000, 3_950_000, 11_900_000, 31_300_000, 48_100_000, 3_240_000);
    let rr = pct(180_000, 410_000, 690_000, 1_900_000, 4_700_000, 9_800_000, 470_000);
    let result =
        |profile: Profile, ops: u64, latency: Percentiles, sync: Option<Percentiles>, direct_io: bool| {
            let elapsed_s = 4.0;
            let bytes = ops * profile.block_size();
            ProfileResult {
                profile,
                description: profile.description().to_string(),
                block_size_bytes: profile.block_size(),
                direct_io,
                ops,
                bytes,
                elapsed_s,
                ops_per_sec: ops as f64 / elapsed_s,
                bytes_per_sec: bytes as f64 / elapsed_s,
                latency_ns: latency,
                sync_latency_ns: sync,
                verdict: verdict(profile, latency.p99, bytes as f64 / elapsed_s),
                notes: Vec::new(),
                curve: latency.as_curve(),
            }
        };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: "kstor-bench".into(),
        tool_version: "0.1.0".into(),
        path: "/mnt/efs".into(),
        started_at: "2026-11-26T12:00:00Z".into(),
        filesystem: FsInfo {
            fs_type: "nfs4".into(),
            kind: FsKind::Network,
            magic: "0x6969".into(),
            mount_point: Some("/mnt/efs".into()),
            total_bytes: 9_007_199_254_740_992,
            free_bytes: 9_007_199_254_740_992,
            read_only: false,
            direct_io: Some(true),
        },
        host: HostInfo {
            cpus: 2,
            mem_available_bytes: Some(24_000_000_000),
            kernel: Some("6.1.0-27-cloud-amd64".into()),
        },
        settings: Settings {
            duration_ms: 4_000,
            size_bytes: 256 << 20,
            profiles: vec![Profile::Wal, Profile::Randread4k, Profile::SeqWrite],
        },
        warnings: vec![],
        profiles: vec![
            result(Profile::Wal, 1_190, wal, Some(wal_sync), false),
            result(Profile::Randread4k, 8_230, rr, None, true),
        ],
        errors: vec![ProfileError {
            profile: Profile::SeqWrite,
            error: "No space left on device (os error 28)".into(),
        }],
    }
}

#[test]
fn sample_json_is_stable_and_round_trips() {
    let report = sample_report();
    let json = report.to_json();
    insta::assert_snapshot!("sample_json", json);
    let mut back = Report::from_json(&json).unwrap();
    // The plotting curve is not part of the JSON.
    assert!(back.profiles.iter().all(|p| p.curve.is_empty()));
    for (b, r) in back.profiles.iter_mut().zip(&report.profiles) {
        b.curve = r.curve.clone();
    }
    assert_eq!(back, report);
}

#[test]
fn sample_text_is_stable() {
    let mut out = Vec::new();
    kstor_bench::text::write_text(&sample_report(), &mut out).unwrap();
    insta::assert_snapshot!("sample_text", String::from_utf8(out).unwrap());
}

#[test]
fn plot_from_a_report_read_back_from_json() {
    let report = Report::from_json(&sample_report().to_json()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.svg");
    kstor_bench::plot::write_svg(&report, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("wal: p50 2.81 ms, p99 12.1 ms"), "{svg}");
    assert!(svg.contains("RWX file up to 40 ms"));
}
