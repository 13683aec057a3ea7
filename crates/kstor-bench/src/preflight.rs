//! Checks done before anything is written: the path is a writable directory on real
//! storage with enough free space.

use std::io::ErrorKind;
use std::path::Path;

use rustix::fs::Access;

use crate::fs::{FsInfo, FsKind, detect};
use crate::units::format_bytes;

/// Space kept free on top of the test file (metadata files, O_DIRECT probe, fs overhead).
pub const SPACE_MARGIN_BYTES: u64 = 16 << 20;

/// Why a path cannot be benchmarked. Each message is one line naming the path.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The path does not exist.
    #[error("cannot benchmark {0}: no such directory")]
    NotFound(String),
    /// The path exists but is not a directory.
    #[error("cannot benchmark {0}: not a directory")]
    NotADirectory(String),
    /// The filesystem is mounted read-only.
    #[error("cannot benchmark {0}: read-only filesystem")]
    ReadOnly(String),
    /// A kernel pseudo filesystem such as /proc.
    #[error(
        "cannot benchmark {path}: not a writable directory ({fs_type} is a kernel pseudo filesystem, not storage)"
    )]
    PseudoFilesystem {
        /// The path.
        path: String,
        /// Its filesystem type.
        fs_type: String,
    },
    /// Permissions forbid creating files.
    #[error("cannot benchmark {path}: not a writable directory ({reason})")]
    NotWritable {
        /// The path.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// Not enough free space for the test file.
    #[error(
        "cannot benchmark {path}: not enough free space: the test needs {need} but only {free} is available (lower --size)"
    )]
    NoSpace {
        /// The path.
        path: String,
        /// Bytes needed, formatted.
        need: String,
        /// Bytes free, formatted.
        free: String,
    },
    /// Any other failure to inspect the path.
    #[error("cannot benchmark {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Verifies that `path` is a writable directory on real storage with at least
/// `need_bytes` (plus [`SPACE_MARGIN_BYTES`]) free, and returns what it is.
/// Creates nothing.
pub fn check(path: &Path, need_bytes: u64) -> Result<FsInfo, PreflightError> {
    let shown = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(PreflightError::NotFound(shown)),
        Err(e) if e.kind() == ErrorKind::NotADirectory => {
            return Err(PreflightError::NotFound(shown));
        }
        Err(source) => {
            return Err(PreflightError::Io { path: shown, source });
        }
    };
    if !meta.is_dir() {
        return Err(PreflightError::NotADirectory(shown));
    }
    let info = detect(path).map_err(|source| PreflightError::Io { path: shown.clone(), source })?;
    if info.kind == FsKind::Pseudo {
        return Err(PreflightError::PseudoFilesystem { path: shown, fs_type: info.fs_type });
    }
    if info.read_only {
        return Err(PreflightError::ReadOnly(shown));
    }
    match rustix::fs::access(path, Access::WRITE_OK | Access::EXEC_OK) {
        Ok(()) => {}
        Err(rustix::io::Errno::ROFS) => return Err(PreflightError::ReadOnly(shown)),
        Err(e) => {
            return Err(PreflightError::NotWritable {
                path: shown,
                reason: std::io::Error::from(e).to_string(),
            });
        }
    }
    let need = need_bytes.saturating_add(SPACE_MARGIN_BYTES);
    if info.free_bytes < need {
        return Err(PreflightError::NoSpace {
            path: shown,
            need: format_bytes(need as f64),
            free: format_bytes(info.free_bytes as f64),
        });
    }
    Ok(info)
}
