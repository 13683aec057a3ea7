//! `wal` and `fsync-small`: sequential writes each followed by fdatasync.
//!
//! Like fio's default (`fallocate=native`), the file is preallocated to `--size` with
//! fallocate and written from offset 0, wrapping at the end. One operation is the write
//! plus the fdatasync (what a commit costs); the fdatasync alone is recorded too (what
//! etcd's guideline and fio's `sync` latency measure).

use std::io;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::{Measured, Meter, Profile, RunOptions};
use crate::progress::Progress;
use crate::workdir::{BenchDir, create_preallocated};

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let bs = profile.block_size();
    let size = opts.size.max(bs);
    let path = dir.path().join(profile.name());
    let file = create_preallocated(&path, size)?;
    let mut rng = fastrand::Rng::new();
    let mut buf = vec![0u8; bs as usize];
    rng.fill(&mut buf);
    let result = (|| {
        let mut m = Meter::new(profile, opts, progress);
        let mut off = 0u64;
        loop {
            // A different block each time, so that nothing can deduplicate the writes.
            buf[..8].copy_from_slice(&m.ops.to_le_bytes());
            let t0 = Instant::now();
            file.write_all_at(&buf, off)?;
            let t1 = Instant::now();
            file.sync_data()?;
            let t2 = Instant::now();
            m.record(t0, t2, bs);
            m.record_sync(t1, t2);
            off += bs;
            if off + bs > size {
                off = 0;
            }
            if !m.keep_going(t2)? {
                return Ok(m.finish(false, Vec::new()));
            }
        }
    })();
    drop(file);
    let _ = std::fs::remove_file(&path);
    result
}
