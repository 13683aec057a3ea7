//! kstor's language server: `kstor lsp` speaks the Language Server Protocol over stdio.
//!
//! - diagnostics for the open YAML/JSON documents, linted together with the workspace's
//!   manifests on disk (the storage graph spans files), with the finding's related locations
//!   in other files, the rule code linked to its documentation page, published after a short
//!   debounce ([`server::DEFAULT_DEBOUNCE`]);
//! - hover on a claim or StorageClass name: the resolved chain workload → claim → class →
//!   driver capabilities → snapshot class ([`hover`]);
//! - code actions from the fixes findings carry, with the edits `kstor lint --fix` makes
//!   ([`actions`]);
//! - configuration from `.kstor.yaml` in the workspace root, reloaded when it changes.
//!
//! Synchronous (rust-analyzer's `lsp-server`): one thread handles messages in order, the
//! engine's own rayon pool parallelises the work on large workspaces.

pub mod actions;
pub mod config;
pub mod diagnostics;
pub mod disk;
pub mod hover;
pub mod position;
pub mod server;
pub mod state;
pub mod uri;

pub use server::{DEFAULT_DEBOUNCE, Options};

/// Runs the server on stdin/stdout until the client's `shutdown` and `exit` (`Ok`), or until
/// the client goes away or breaks the protocol (`Err`, and the process should exit with 1 as
/// the protocol asks).
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let result = server::run(&connection);
    // The writer thread ends when the connection's sender is dropped.
    drop(connection);
    match result {
        Ok(()) => io_threads.join().map_err(|e| format!("stdio: {e}")),
        Err(e) => Err(e),
    }
}
