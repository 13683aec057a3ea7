//! The `kstor` command-line tool (also built as the kubectl plugin `kubectl-kstor`).

pub mod cli;
pub mod commands;
pub mod output;
