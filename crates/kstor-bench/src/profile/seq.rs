//! `seq-read` and `seq-write`: 1 MiB blocks in order through the laid-out data file,
//! wrapping at the end, O_DIRECT where allowed.
//!
//! Without O_DIRECT, reads drop the file from the page cache at every wrap, and writes
//! end with an fdatasync whose time counts in the throughput (not in the latencies).

use std::io;
use std::time::Instant;

use super::{DataFile, Measured, Meter, Profile, RunOptions};
use crate::progress::Progress;
use crate::workdir::{AlignedBuf, BenchDir, drop_cache};

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let write = profile == Profile::SeqWrite;
    let data = DataFile::open(dir, opts, progress, write)?;
    let size = data.size;
    // The data file is a multiple of 4 KiB, so this block size stays O_DIRECT-aligned.
    let bs = profile.block_size().min(size);
    let mut rng = fastrand::Rng::new();
    let mut buf = AlignedBuf::random(bs as usize, &mut rng);
    let mut m = Meter::new(profile, opts, progress);
    let mut off = 0u64;
    loop {
        let t0 = Instant::now();
        data.transfer(write, &mut buf, off)?;
        let t1 = Instant::now();
        m.record(t0, t1, bs);
        off += bs;
        if off + bs > size {
            off = 0;
            if !data.direct && !write {
                drop_cache(&data.file);
            }
        }
        if !m.keep_going(t1)? {
            break;
        }
    }
    if write && !data.direct {
        data.file.sync_data()?;
    }
    Ok(m.finish(data.direct, data.note.into_iter().collect()))
}
