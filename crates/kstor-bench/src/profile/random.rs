//! `randread-4k` and `randwrite-4k`: 4 KiB at uniformly random 4 KiB-aligned offsets of
//! the laid-out data file, one at a time (queue depth 1), O_DIRECT where allowed.

use std::io;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::{Measured, Meter, Profile, RunOptions, direct_io_choice};
use crate::progress::Progress;
use crate::workdir::{AlignedBuf, BenchDir, DIRECT_ALIGN, open};

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let (direct, note) = direct_io_choice(dir, opts);
    let (path, size) = dir.data_file(opts.size, progress)?;
    let write = profile == Profile::Randwrite4k;
    let file = open(&path, !write, write, direct)?;
    let bs = DIRECT_ALIGN as u64;
    let blocks = size / bs;
    let mut rng = fastrand::Rng::new();
    let mut buf = AlignedBuf::random(DIRECT_ALIGN, &mut rng);
    let mut m = Meter::new(profile, opts, progress);
    loop {
        let off = rng.u64(..blocks) * bs;
        let t0 = Instant::now();
        if write {
            file.write_all_at(buf.as_slice(), off)?;
        } else {
            file.read_exact_at(buf.as_mut_slice(), off)?;
        }
        let t1 = Instant::now();
        m.record(t0, t1, bs);
        if !m.keep_going(t1)? {
            return Ok(m.finish(direct, note.into_iter().collect()));
        }
    }
}
