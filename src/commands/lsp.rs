//! `kstor lsp`: the language server on stdin/stdout (kstor-lsp).

use super::EXIT_OK;
use crate::cli::LspArgs;

/// The exit code the protocol asks for when the client sends `exit` without `shutdown` (or goes
/// away without either).
const EXIT_PROTOCOL: u8 = 1;

/// Serves until the client's `shutdown` and `exit`.
pub fn run(args: &LspArgs) -> u8 {
    // stdio is the only transport; `--stdio` is what clients such as vscode-languageclient pass.
    let _ = args.stdio;
    match kstor_lsp::run_stdio() {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("kstor lsp: {message}");
            EXIT_PROTOCOL
        }
    }
}
