//! Where reports go: stdout, or a file written atomically.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Streams a report to `path` atomically: it is written to a temporary file in the same
/// directory, flushed and synced, then renamed over the target, so readers never see a
/// partial report and a failed run leaves the previous report in place.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut writer = BufWriter::new(file.as_file_mut());
        write(&mut writer)?;
        writer.flush()?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Streams a report to stdout.
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    write(&mut writer)?;
    writer.flush()
}
