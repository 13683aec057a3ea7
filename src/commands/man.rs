//! `kstor man DIR`: man pages (`kstor.1`, `kstor-lint.1`, …) generated from the clap
//! definition, one per command, each written atomically.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_mangen::Man;

use super::{EXIT_OK, fail};
use crate::cli::Cli;
use crate::output::write_atomically;

/// Arguments of `kstor man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write the pages into (created when missing), e.g. /usr/local/share/man/man1.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Every man page: `(file name, roff text)`, the main page first, then each visible subcommand
/// (`kstor-lint.1`), depth first.
pub fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // Subcommands are documented by their own pages, so the `help` subcommand needs none.
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building names the subcommands `kstor-lint`, the names of their pages.
    command.build();
    let mut pages = Vec::new();
    collect(command, &mut pages)?;
    Ok(pages)
}

fn collect(command: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let subcommands: Vec<clap::Command> =
        command.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    // The footer names the program and its version on every page, not the subcommand's name.
    let man = Man::new(command).source(format!("kstor {}", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push((man.get_filename(), roff));
    for subcommand in subcommands {
        collect(subcommand, pages)?;
    }
    Ok(())
}

/// Writes every page into `dir`; returns the paths written.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pages = pages().map_err(|e| format!("cannot render the man pages: {e}"))?;
    let mut written = Vec::with_capacity(pages.len());
    for (name, roff) in pages {
        let path = dir.join(name);
        write_atomically(&path, |out| out.write_all(&roff))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Runs `kstor man`; returns the exit code.
pub fn run(args: &ManArgs) -> u8 {
    match write_pages(&args.dir) {
        Ok(written) => {
            eprintln!("kstor: wrote {} man pages to {}", written.len(), args.dir.display());
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}
