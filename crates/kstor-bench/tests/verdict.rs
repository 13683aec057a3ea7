//! The verdict: every band of the pattern table, its boundaries, and the wording.

use kstor_bench::verdict::{ETCD_GUIDELINE_NS, matching_patterns};
use kstor_bench::{Pattern, Placement, Profile, place, verdict};

const MS: u64 = 1_000_000;

#[test]
fn every_band_and_boundary() {
    let cases = [
        (0, Placement::Memory),
        (MS / 2 - 1, Placement::Memory),
        (MS / 2, Placement::BetweenMemoryAndRwoBlock),
        (2 * MS - 1, Placement::BetweenMemoryAndRwoBlock),
        (2 * MS, Placement::RwoBlock),
        (5 * MS - 1, Placement::RwoBlock),
        (5 * MS, Placement::RwoBlockOrDistributed),
        (8 * MS - 1, Placement::RwoBlockOrDistributed),
        (8 * MS, Placement::Distributed),
        (15 * MS - 1, Placement::Distributed),
        (15 * MS, Placement::RwxFile),
        (40 * MS - 1, Placement::RwxFile),
        (40 * MS, Placement::SlowerThanRwxFile),
        (u64::MAX, Placement::SlowerThanRwxFile),
    ];
    for (p99, want) in cases {
        assert_eq!(place(p99), want, "p99 {p99} ns");
    }
}

#[test]
fn the_catalog_table_has_the_shape_the_placements_name() {
    // Placement's variants name the gaps and the overlap of the table: memory from 0, a gap
    // up to RWO block, distributed starting inside RWO block and ending after it, RWX file
    // starting where distributed ends. An edit of catalog/patterns.yaml that breaks this
    // needs new placements.
    let [memory, rwo, distributed, rwx] =
        [Pattern::Memory, Pattern::RwoBlock, Pattern::Distributed, Pattern::RwxFile].map(Pattern::range_ns);
    assert_eq!(memory.0, 0);
    assert!(memory.1 < rwo.0);
    assert!(rwo.0 < distributed.0 && distributed.0 < rwo.1 && rwo.1 < distributed.1);
    assert_eq!(distributed.1, rwx.0);
    assert!(rwx.0 < rwx.1);
}

#[test]
fn labels_and_placements_quote_the_catalog_ranges() {
    assert_eq!(Pattern::Memory.label(), "memory (< 0.5 ms)");
    assert_eq!(Pattern::RwoBlock.label(), "RWO block (2–8 ms)");
    assert_eq!(
        Placement::BetweenMemoryAndRwoBlock.describe(),
        "between memory and RWO block, 0.5–2 ms: fast local SSD/NVMe"
    );
    assert_eq!(Placement::RwoBlockOrDistributed.describe(), "RWO block or distributed, 5–8 ms overlap");
    assert_eq!(Placement::RwxFile.describe(), "RWX file, 15–40 ms");
    assert_eq!(Placement::SlowerThanRwxFile.describe(), "slower than RWX file storage, ≥ 40 ms");
}

#[test]
fn matching_rows_of_the_table() {
    assert_eq!(matching_patterns(100_000), [Pattern::Memory]);
    assert_eq!(matching_patterns(MS), []);
    assert_eq!(matching_patterns(3 * MS), [Pattern::RwoBlock]);
    assert_eq!(matching_patterns(6 * MS), [Pattern::RwoBlock, Pattern::Distributed]);
    assert_eq!(matching_patterns(12 * MS), [Pattern::Distributed]);
    assert_eq!(matching_patterns(20 * MS), [Pattern::RwxFile]);
    assert_eq!(matching_patterns(50 * MS), []);
}

#[test]
fn wal_above_the_etcd_guideline() {
    let v = verdict(Profile::Wal, 12 * MS, 0.0);
    assert_eq!(
        v.summary,
        "WAL p99 12.0 ms (distributed, 5–15 ms): above the 10 ms etcd guideline; \
         fine for bulk data, not for a busy database's WAL"
    );
    assert_eq!(v.meets_etcd_guideline, Some(false));
    assert_eq!(v.placement, Placement::Distributed);
    assert_eq!(v.patterns, [Pattern::Distributed]);
    assert!((v.p99_ms - 12.0).abs() < 1e-9);
}

#[test]
fn etcd_guideline_boundary() {
    for profile in [Profile::Wal, Profile::FsyncSmall] {
        let below = verdict(profile, ETCD_GUIDELINE_NS - 1, 0.0);
        let at = verdict(profile, ETCD_GUIDELINE_NS, 0.0);
        assert_eq!(below.meets_etcd_guideline, Some(true));
        assert!(below.summary.contains("within the 10 ms etcd guideline"), "{}", below.summary);
        assert_eq!(at.meets_etcd_guideline, Some(false));
        assert!(at.summary.contains("above the 10 ms etcd guideline"), "{}", at.summary);
    }
    let fast = verdict(Profile::FsyncSmall, MS, 0.0);
    assert!(fast.summary.contains("busy database WALs"), "{}", fast.summary);
    assert_eq!(verdict(Profile::Randread4k, 20 * MS, 0.0).meets_etcd_guideline, None);
}

#[test]
fn random_and_metadata_wording_follows_the_band() {
    let at = |profile, ms: f64| verdict(profile, (ms * MS as f64) as u64, 0.0).summary;
    assert!(at(Profile::Randread4k, 0.1).contains("latency-sensitive databases"));
    assert!(at(Profile::Randread4k, 3.0).contains("suits databases and general application data"));
    assert!(at(Profile::Randwrite4k, 10.0).contains("busy OLTP"));
    assert!(at(Profile::Randwrite4k, 20.0).contains("not databases"));
    assert!(at(Profile::Randread4k, 60.0).contains("archives and backups only"));
    assert!(at(Profile::Metadata, 0.2).contains("suits small-file-heavy work"));
    assert!(at(Profile::Metadata, 25.0).contains("typical of RWX file storage"));
    assert!(at(Profile::Randread4k, 3.0).starts_with("4 KiB random read p99 3.00 ms (RWO block, 2–8 ms)"));
}

#[test]
fn sequential_verdicts_speak_of_bandwidth() {
    let mib = 1024.0 * 1024.0;
    let v = verdict(Profile::SeqRead, 3 * MS, 812.0 * mib);
    assert_eq!(
        v.summary,
        "sequential read 812 MiB/s (1 MiB block p99 3.00 ms): suits bulk data, analytics and streaming"
    );
    assert!(verdict(Profile::SeqWrite, MS, 49.0 * mib).summary.contains("low bandwidth"));
    assert!(verdict(Profile::SeqWrite, MS, 50.0 * mib).summary.contains("moderate rates"));
    assert!(verdict(Profile::SeqWrite, MS, 1000.0 * mib).summary.contains("NVMe-class"));
}
