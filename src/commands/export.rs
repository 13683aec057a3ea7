//! `kstor export vap`: kstor's single-object rules as ValidatingAdmissionPolicies.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kstor_engine::vap::{ExportOptions, VapAction};

use super::{EXIT_OK, engine, fail};
use crate::output::{write_atomically, write_stdout};

/// Arguments of `kstor export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    #[command(subcommand)]
    pub target: ExportTarget,
}

/// Export targets.
#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects
    /// (admissionregistration.k8s.io/v1, Kubernetes 1.30+) whose CEL enforces every rule a
    /// policy can judge; the others are listed in a comment at the top.
    Vap(VapArgs),
}

/// Arguments of `kstor export vap`.
#[derive(Debug, Args)]
pub struct VapArgs {
    /// Export only these rules (codes or names, comma-separated); default: every exportable
    /// rule the configuration runs. Naming a rule that cannot be exported is an error.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub rules: Vec<String>,
    /// The bindings' validationActions: deny, warn or audit; default: by severity (errors
    /// deny, warnings warn, info audit), as `kstor serve` does.
    #[arg(long, value_enum, value_name = "ACTION")]
    pub action: Option<ActionArg>,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file: its rule selection, severities and catalog additions apply
    /// (default: the nearest .kstor.yaml upward from the working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// `--action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActionArg {
    /// Reject the request.
    Deny,
    /// Admit it with a warning.
    Warn,
    /// Admit it and record an audit annotation.
    Audit,
}

/// Runs `kstor export`; returns the exit code.
pub fn run(args: &ExportArgs) -> u8 {
    match &args.target {
        ExportTarget::Vap(args) => vap(args),
    }
}

fn vap(args: &VapArgs) -> u8 {
    let engine = match engine(args.config.as_deref(), args.no_config, &[], &[]) {
        Ok(engine) => engine,
        Err(e) => return fail(e),
    };
    let options = ExportOptions {
        rules: args.rules.clone(),
        action: args.action.map(|a| match a {
            ActionArg::Deny => VapAction::Deny,
            ActionArg::Warn => VapAction::Warn,
            ActionArg::Audit => VapAction::Audit,
        }),
    };
    let export = match engine.export_vap(&options) {
        Ok(export) => export,
        Err(e) => return fail(e),
    };
    let yaml = export.to_yaml();
    let written = match &args.output {
        Some(path) => write_atomically(path, |out| out.write_all(yaml.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => write_stdout(|out| out.write_all(yaml.as_bytes())).map_err(|e| format!("cannot write: {e}")),
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}
