//! `seq-read` and `seq-write`: 1 MiB blocks in order through the laid-out data file,
//! wrapping at the end, O_DIRECT where allowed.
//!
//! Without O_DIRECT, reads drop the file from the page cache at every wrap, and writes
//! end with an fdatasync whose time counts in the throughput (not in the latencies).

use std::io;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::{Measured, Meter, Profile, RunOptions, direct_io_choice};
use crate::progress::Progress;
use crate::workdir::{AlignedBuf, BenchDir, drop_cache, open};

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let (direct, note) = direct_io_choice(dir, opts);
    let (path, size) = dir.data_file(opts.size, progress)?;
    let write = profile == Profile::SeqWrite;
    let file = open(&path, !write, write, direct)?;
    // The data file is a multiple of 4 KiB, so this block size stays O_DIRECT-aligned.
    let bs = profile.block_size().min(size);
    let mut rng = fastrand::Rng::new();
    let mut buf = AlignedBuf::random(bs as usize, &mut rng);
    let mut m = Meter::new(profile, opts, progress);
    let mut off = 0u64;
    loop {
        let t0 = Instant::now();
        if write {
            file.write_all_at(buf.as_slice(), off)?;
        } else {
            file.read_exact_at(buf.as_mut_slice(), off)?;
        }
        let t1 = Instant::now();
        m.record(t0, t1, bs);
        off += bs;
        if off + bs > size {
            off = 0;
            if !direct && !write {
                drop_cache(&file);
            }
        }
        if !m.keep_going(t1)? {
            break;
        }
    }
    if write && !direct {
        file.sync_data()?;
    }
    Ok(m.finish(direct, note.into_iter().collect()))
}
