//! `metadata`: the life of a small file written safely, as one operation: create,
//! write 4 KiB, fsync, close, rename, unlink. Directory operations and their journal
//! commits are what RWX file storage is slow at.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::time::Instant;

use super::{Measured, Meter, Profile, RunOptions};
use crate::progress::Progress;
use crate::workdir::BenchDir;

pub(super) fn run(
    dir: &mut BenchDir,
    profile: Profile,
    opts: &RunOptions,
    progress: &Progress,
) -> io::Result<Measured> {
    let root = dir.path().join("metadata");
    fs::create_dir(&root)?;
    let mut rng = fastrand::Rng::new();
    let mut buf = vec![0u8; profile.block_size() as usize];
    rng.fill(&mut buf);
    let result = (|| {
        let mut m = Meter::new(profile, opts, progress);
        loop {
            let tmp = root.join(format!("f{}.tmp", m.ops));
            let done = root.join(format!("f{}", m.ops));
            let t0 = Instant::now();
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &done)?;
            fs::remove_file(&done)?;
            let t1 = Instant::now();
            m.record(t0, t1, buf.len() as u64);
            if !m.keep_going(t1)? {
                return Ok(m.finish(false, Vec::new()));
            }
        }
    })();
    let _ = fs::remove_dir_all(&root);
    result
}
