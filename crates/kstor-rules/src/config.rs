//! `.kstor.yaml`: rule selection, severities, role overrides, extra drivers, excluded paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kstor_model::catalog::{DriverSpec, RoleOverride, parse_data};
use serde::Deserialize;

use crate::rule::Severity;

/// The names a config file may have, looked up in each directory.
pub const CONFIG_FILE_NAMES: [&str; 2] = [".kstor.yaml", ".kstor.yml"];

/// The severity threshold for a failing exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Fail on errors.
    Error,
    /// Fail on warnings and errors (the default).
    Warning,
    /// Fail on any finding.
    Info,
    /// Never fail because of findings.
    Never,
}

impl FailOn {
    /// Whether a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Info => true,
            FailOn::Never => false,
        }
    }
}

/// The configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rules to run (codes, names, code prefixes or `ALL`); all when empty.
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides by rule code or name.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Exit-code threshold (the CLI flag wins).
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// Roles for images kstor does not recognise (or recognises wrongly).
    #[serde(default)]
    pub roles: Vec<RoleOverride>,
    /// Extra or replacement driver catalog entries.
    #[serde(default)]
    pub drivers: Vec<DriverSpec>,
    /// Glob patterns of paths to skip while walking directories.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Error reading a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not readable.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// Not valid.
    #[error("{0}")]
    Invalid(#[from] kstor_model::catalog::DataError),
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), message: e.to_string() })?;
        Ok(parse_data(&path.display().to_string(), &text)?)
    }

    /// The nearest config file in `start` or its ancestors.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start.ancestors().find_map(|dir| {
            CONFIG_FILE_NAMES.iter().map(|name| dir.join(name)).find(|candidate| candidate.is_file())
        })
    }

    /// Compiles `exclude` into matchers (relative patterns match at any depth).
    pub fn exclude_matchers(&self) -> Result<Vec<globset::GlobMatcher>, String> {
        self.exclude
            .iter()
            .map(|pattern| {
                let full = if pattern.starts_with('/') || pattern.starts_with("**") {
                    pattern.clone()
                } else {
                    format!("**/{pattern}")
                };
                globset::Glob::new(full.trim_end_matches('/'))
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("exclude pattern `{pattern}`: {e}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_field_and_rejects_unknown_ones() {
        let text = "select: [ALL]\nignore: [KS802, rwo-claim-rolling-update]\nseverity:\n  KS401: error\nfail-on: error\nroles:\n  - {image: \"registry.example.com/ledger*\", role: database, engine: postgres}\nexclude: [\"charts/*/templates\"]\n";
        let config: Config = parse_data(".kstor.yaml", text).unwrap();
        assert_eq!(config.ignore.len(), 2);
        assert_eq!(config.severity["KS401"], Severity::Error);
        assert_eq!(config.fail_on, Some(FailOn::Error));
        assert_eq!(config.roles[0].engine.as_deref(), Some("postgres"));
        let matchers = config.exclude_matchers().unwrap();
        assert!(matchers[0].is_match("k8s/charts/app/templates"));

        let error = parse_data::<Config>(".kstor.yaml", "selct: [KS201]\n").unwrap_err();
        assert!(error.to_string().contains("unknown field `selct`"), "{error}");
        let error = parse_data::<Config>(".kstor.yaml", "severity: {KS401: fatal}\n").unwrap_err();
        assert!(error.to_string().contains("1:"), "positioned: {error}");
    }

    #[test]
    fn fail_on_thresholds() {
        assert!(FailOn::Warning.fails(Severity::Warning));
        assert!(!FailOn::Warning.fails(Severity::Info));
        assert!(!FailOn::Error.fails(Severity::Warning));
        assert!(FailOn::Info.fails(Severity::Info));
        assert!(!FailOn::Never.fails(Severity::Error));
    }
}
