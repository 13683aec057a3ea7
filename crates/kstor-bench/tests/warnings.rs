//! Run-wide warnings: memory-backed storage, overlay, page-cache-sized test files.

use kstor_bench::{FsInfo, FsKind, HostInfo, Profile, RunOptions, warnings};

fn fs(kind: FsKind, fs_type: &str, direct_io: bool) -> FsInfo {
    FsInfo {
        fs_type: fs_type.into(),
        kind,
        magic: "0x0".into(),
        mount_point: None,
        total_bytes: 1 << 40,
        free_bytes: 1 << 40,
        read_only: false,
        direct_io: Some(direct_io),
    }
}

fn host(mem_available: u64) -> HostInfo {
    HostInfo { cpus: 2, mem_available_bytes: Some(mem_available), kernel: None }
}

fn opts(size: u64) -> RunOptions {
    RunOptions { size, ..RunOptions::default() }
}

const GIB: u64 = 1 << 30;

#[test]
fn buffered_reads_of_a_cacheable_file_are_flagged() {
    let w = warnings(&fs(FsKind::Network, "fuse.sshfs", false), &host(4 * GIB), &Profile::ALL, &opts(GIB));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("fits in the page cache"), "{w:?}");
    assert!(w[0].contains("randread-4k and seq-read"), "{w:?}");
    // At exactly MemAvailable the file still fits.
    let at = warnings(&fs(FsKind::LocalDisk, "ext4", false), &host(GIB), &[Profile::SeqRead], &opts(GIB));
    assert_eq!(at.len(), 1, "{at:?}");
}

#[test]
fn no_cache_warning_when_it_cannot_apply() {
    let none =
        |fs: FsInfo, profiles: &[Profile], size: u64| warnings(&fs, &host(4 * GIB), profiles, &opts(size));
    // O_DIRECT bypasses the cache.
    assert!(none(fs(FsKind::LocalDisk, "ext4", true), &Profile::ALL, GIB).is_empty());
    // Larger than what the cache could hold.
    assert!(none(fs(FsKind::LocalDisk, "ext4", false), &Profile::ALL, 5 * GIB).is_empty());
    // No read profile.
    assert!(none(fs(FsKind::LocalDisk, "ext4", false), &[Profile::Wal, Profile::SeqWrite], GIB).is_empty());
}

#[test]
fn memory_and_overlay_storage_are_flagged() {
    let w = warnings(&fs(FsKind::Memory, "tmpfs", false), &host(4 * GIB), &Profile::ALL, &opts(GIB));
    assert_eq!(w.len(), 1, "tmpfs gets the memory warning, not the cache one: {w:?}");
    assert!(w[0].starts_with("tmpfs keeps data in RAM"), "{w:?}");
    let w = warnings(&fs(FsKind::Overlay, "overlay", true), &host(4 * GIB), &Profile::ALL, &opts(GIB));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("PersistentVolume"), "{w:?}");
}
