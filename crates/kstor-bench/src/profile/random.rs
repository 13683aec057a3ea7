//! `randread-4k` and `randwrite-4k`: 4 KiB at uniformly random 4 KiB-aligned offsets of
//! the laid-out data file, one at a time (queue depth 1), O_DIRECT where allowed.

use std::io;
use std::time::Instant;

use super::{DataFile, Measured, Meter, Profile, RunOptions};
use crate::progress::Progress;
use crate::workdir::{AlignedBuf, BenchDir, DIRECT_ALIGN};

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let write = profile == Profile::Randwrite4k;
    let data = DataFile::open(dir, opts, progress, write)?;
    let bs = DIRECT_ALIGN as u64;
    let blocks = data.size / bs;
    let mut rng = fastrand::Rng::new();
    let mut buf = AlignedBuf::random(DIRECT_ALIGN, &mut rng);
    let mut m = Meter::new(profile, opts, progress);
    loop {
        let off = rng.u64(..blocks) * bs;
        let t0 = Instant::now();
        data.transfer(write, &mut buf, off)?;
        let t1 = Instant::now();
        m.record(t0, t1, bs);
        if !m.keep_going(t1)? {
            return Ok(m.finish(data.direct, data.note.into_iter().collect()));
        }
    }
}
