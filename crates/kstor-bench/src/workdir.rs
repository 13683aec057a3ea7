//! The benchmark's own directory inside the tested path: creation, O_DIRECT probe,
//! laid-out data file, aligned buffers, and removal of everything on drop.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Advice, OFlags};

use crate::cleanup;
use crate::progress::Progress;

/// Alignment of O_DIRECT buffers, offsets and sizes (covers 512 B and 4 KiB sectors).
pub const DIRECT_ALIGN: usize = 4096;
/// Block size used to lay out the data file.
const LAYOUT_BLOCK: usize = 1 << 20;

/// Whether the filesystem accepts O_DIRECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectIo {
    /// O_DIRECT reads and writes of aligned 4 KiB blocks work.
    Supported,
    /// They do not; the reason (errno text).
    Unsupported(String),
}

impl DirectIo {
    /// True for [`DirectIo::Supported`].
    pub fn is_supported(&self) -> bool {
        matches!(self, DirectIo::Supported)
    }
}

/// A hidden directory `.kstor-bench-XXXXXX` created in the tested path, holding every
/// file a run creates. Dropping it removes it with all its content; while it exists it
/// is registered for removal on Ctrl-C.
#[derive(Debug)]
pub struct BenchDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    direct_io: DirectIo,
    data: Option<(PathBuf, u64)>,
}

impl BenchDir {
    /// Creates the directory in `parent` and probes O_DIRECT in it.
    pub fn create(parent: &Path) -> io::Result<Self> {
        let dir = tempfile::Builder::new().prefix(".kstor-bench-").tempdir_in(parent)?;
        let path = dir.path().to_path_buf();
        cleanup::register(&path);
        let mut this = Self { dir: Some(dir), path, direct_io: DirectIo::Supported, data: None };
        this.direct_io = probe_direct_io(&this.path.join("direct-probe"));
        Ok(this)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether O_DIRECT works here.
    pub fn direct_io(&self) -> &DirectIo {
        &self.direct_io
    }

    /// The shared data file of the read/write profiles, `size` bytes (rounded down to
    /// 4 KiB), written fully with random data and synced on first use, then dropped
    /// from the page cache (`POSIX_FADV_DONTNEED`) each time it is handed out.
    /// Returns the path and the actual size.
    pub fn data_file(&mut self, size: u64, progress: &Progress) -> io::Result<(PathBuf, u64)> {
        let size = (size / DIRECT_ALIGN as u64).max(1) * DIRECT_ALIGN as u64;
        match &self.data {
            Some((p, s)) if *s == size => {
                drop_cache(&File::open(p)?);
                Ok((p.clone(), size))
            }
            _ => {
                let path = self.path.join("data");
                let _ = std::fs::remove_file(&path);
                lay_out(&path, size, progress)?;
                self.data = Some((path.clone(), size));
                Ok((path, size))
            }
        }
    }
}

impl Drop for BenchDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
        cleanup::unregister(&self.path);
    }
}

/// Opens `path` for reading and/or writing, with O_DIRECT when `direct` is set.
pub fn open(path: &Path, read: bool, write: bool, direct: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(read).write(write);
    if direct {
        o.custom_flags(OFlags::DIRECT.bits() as i32);
    }
    o.open(path)
}

/// Creates `path` (which must not exist) and reserves `size` bytes for it with
/// `fallocate` as fio does by default, falling back to a sparse file where the
/// filesystem cannot preallocate.
pub fn create_preallocated(path: &Path, size: u64) -> io::Result<File> {
    let f = OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
    if size > 0 && rustix::fs::fallocate(&f, rustix::fs::FallocateFlags::empty(), 0, size).is_err() {
        f.set_len(size)?;
    }
    Ok(f)
}

/// Asks the kernel to drop the file's clean pages from the page cache (best effort).
pub fn drop_cache(f: &File) {
    let _ = rustix::fs::fadvise(f, 0, None, Advice::DontNeed);
}

/// Writes `size` bytes of random data to a new file, syncs it and drops it from cache.
fn lay_out(path: &Path, size: u64, progress: &Progress) -> io::Result<()> {
    let f = OpenOptions::new().write(true).create_new(true).open(path)?;
    let bar = progress.bar("layout", size);
    let mut rng = fastrand::Rng::new();
    let mut buf = vec![0u8; LAYOUT_BLOCK];
    let mut off = 0u64;
    while off < size {
        if cleanup::interrupted() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = (size - off).min(LAYOUT_BLOCK as u64) as usize;
        rng.fill(&mut buf[..n]);
        f.write_all_at(&buf[..n], off)?;
        off += n as u64;
        bar.set_position(off);
    }
    f.sync_all()?;
    drop_cache(&f);
    bar.finish_and_clear();
    Ok(())
}

/// Tries an O_DIRECT write and read of one aligned 4 KiB block at `probe`, then removes
/// the probe file.
fn probe_direct_io(probe: &Path) -> DirectIo {
    let result = (|| {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .custom_flags(OFlags::DIRECT.bits() as i32)
            .open(probe)?;
        let mut buf = AlignedBuf::new(DIRECT_ALIGN);
        f.write_all_at(buf.as_slice(), 0)?;
        f.read_exact_at(buf.as_mut_slice(), 0)
    })();
    let _ = std::fs::remove_file(probe);
    match result {
        Ok(()) => DirectIo::Supported,
        Err(e) => DirectIo::Unsupported(e.to_string()),
    }
}

/// A zero-initialised byte buffer whose start is aligned to [`DIRECT_ALIGN`], as
/// O_DIRECT requires. Safe code: over-allocates and slices at the aligned offset.
#[derive(Clone, Debug)]
pub struct AlignedBuf {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    /// A buffer of `len` zero bytes.
    pub fn new(len: usize) -> Self {
        let storage = vec![0u8; len + DIRECT_ALIGN];
        let start = storage.as_ptr().align_offset(DIRECT_ALIGN);
        assert!(start < DIRECT_ALIGN, "u8 pointers can always be aligned");
        Self { storage, start, len }
    }

    /// A buffer of `len` random bytes (incompressible, not deduplicable).
    pub fn random(len: usize, rng: &mut fastrand::Rng) -> Self {
        let mut b = Self::new(len);
        rng.fill(b.as_mut_slice());
        b
    }

    /// The aligned bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    /// The aligned bytes, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buffers_are_aligned() {
        for len in [1, 4096, 1 << 20] {
            let b = AlignedBuf::new(len);
            assert_eq!(b.as_slice().as_ptr() as usize % DIRECT_ALIGN, 0);
            assert_eq!(b.as_slice().len(), len);
        }
    }

    #[test]
    fn bench_dir_is_removed_on_drop() {
        let parent = tempfile::tempdir().unwrap();
        let path = {
            let mut d = BenchDir::create(parent.path()).unwrap();
            let (f, size) = d.data_file(1 << 20, &Progress::hidden()).unwrap();
            assert_eq!(size, 1 << 20);
            assert_eq!(std::fs::metadata(f).unwrap().len(), 1 << 20);
            d.path().to_path_buf()
        };
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
