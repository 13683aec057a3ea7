//! Where reports go: stdout, or a file written atomically.

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Streams a report to `path`.
///
/// A regular file (or a new one) is written atomically: to a temporary file in the same
/// directory, flushed and synced, then renamed over the target, so readers never see a
/// partial report and a failed run leaves the previous report in place. A symlink is
/// followed, so the link stays and its target is replaced. Anything else that exists
/// (`/dev/null`, `/dev/stdout`, a named pipe) is opened and written in place: renaming over
/// a device would replace it.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let target = resolve(path)?;
    if let Ok(meta) = fs::metadata(&target)
        && !meta.is_file()
    {
        let file = OpenOptions::new().write(true).truncate(true).open(&target)?;
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        return writer.flush();
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    // A replaced file keeps its permissions (the temporary file is created 0600).
    if let Ok(meta) = fs::metadata(&target) {
        file.as_file().set_permissions(meta.permissions())?;
    }
    {
        let mut writer = BufWriter::new(file.as_file_mut());
        write(&mut writer)?;
        writer.flush()?;
    }
    file.as_file().sync_all()?;
    file.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// The path a write should go to: symlinks followed (also dangling ones).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..32 {
        match fs::read_link(&target) {
            Ok(link) => {
                target = match target.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                }
            }
            Err(_) => return Ok(target),
        }
    }
    Err(io::Error::other(format!("{}: too many levels of symbolic links", path.display())))
}

/// Streams a report to stdout.
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    write(&mut writer)?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileTypeExt;

    use super::*;

    fn write_text(path: &Path, text: &str) -> io::Result<()> {
        write_atomically(path, |out| out.write_all(text.as_bytes()))
    }

    #[test]
    fn replaces_regular_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        write_text(&report, "old").unwrap();
        write_text(&report, "new").unwrap();
        assert_eq!(fs::read_to_string(&report).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn follows_symlinks_and_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.sarif");
        let link = dir.path().join("link.sarif");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.sarif", &link).unwrap();
        write_text(&link, "new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn writes_into_pipes_and_devices_without_replacing_them() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write_text(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
    }
}
