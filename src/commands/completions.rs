//! `kstor completions SHELL`: a shell completion script, generated from the clap definition.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{EXIT_OK, fail};
use crate::cli::Cli;
use crate::output::write_stdout;

/// Arguments of `kstor completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`, for the command `kstor`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "kstor", &mut script);
    script
}

/// Runs `kstor completions`; returns the exit code.
pub fn run(args: &CompletionsArgs) -> u8 {
    // Generated in memory first: clap_complete panics on a failed write (a closed pipe).
    let script = script(args.shell);
    match write_stdout(|out| out.write_all(&script)) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(format!("cannot write the completion script: {e}")),
    }
}
