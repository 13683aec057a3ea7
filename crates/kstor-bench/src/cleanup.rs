//! Removing the benchmark's files on every exit path, Ctrl-C (and SIGTERM/SIGHUP)
//! included.
//!
//! Every benchmark directory is registered here while it exists. On a signal the handler
//! sets [`interrupted`], which the measuring loops poll after each operation; the run then
//! stops, removes its directory and returns exit code 130. If the run does not finish
//! within [`GRACE`] (an I/O stuck on a dead NFS server, say), the handler removes the
//! registered directories itself and exits the process with code 130.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Exit code after an interrupt (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;
/// How long the handler waits for the measuring loop to stop and clean up by itself.
pub const GRACE: Duration = Duration::from_secs(3);

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: OnceLock<bool> = OnceLock::new();

/// True once Ctrl-C (or SIGTERM/SIGHUP) arrived during a benchmark.
#[inline]
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Installs the process-wide signal handler once; later calls do nothing. Returns false
/// when another handler already owns the signals (files are then removed on normal
/// exit only).
pub fn install_handler() -> bool {
    *HANDLER.get_or_init(|| ctrlc::set_handler(on_signal).is_ok())
}

/// Clears a previous interrupt so that a new benchmark can run in the same process.
pub fn reset() {
    INTERRUPTED.store(false, Ordering::Relaxed);
}

fn on_signal() {
    if registered_is_empty() {
        // No benchmark running: behave like the default action.
        std::process::exit(EXIT_INTERRUPTED);
    }
    INTERRUPTED.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if registered_is_empty() {
            // The run cleaned up and is returning 130 itself.
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    remove_all_registered();
    std::process::exit(EXIT_INTERRUPTED);
}

fn registered_is_empty() -> bool {
    REGISTERED.lock().map(|r| r.is_empty()).unwrap_or(true)
}

/// Registers a directory to remove if the process is interrupted.
pub fn register(dir: &Path) {
    if let Ok(mut r) = REGISTERED.lock() {
        r.push(dir.to_path_buf());
    }
}

/// Forgets a directory (after it was removed normally).
pub fn unregister(dir: &Path) {
    if let Ok(mut r) = REGISTERED.lock()
        && let Some(i) = r.iter().position(|p| p == dir)
    {
        r.swap_remove(i);
    }
}

/// Removes every registered directory (best effort) and forgets them.
pub fn remove_all_registered() {
    let dirs = REGISTERED.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Makes the measuring loops stop as if Ctrl-C had been pressed (for tests and for
/// embedding programs that handle signals themselves).
pub fn request_stop() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}
