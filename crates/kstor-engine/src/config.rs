//! Configuration: `.kstor.yaml` (rule selection, severities, role overrides, extra drivers,
//! excluded paths) and, for `kstor serve`, the same keys plus the admission policy in one file.
//! This is the only place kstor reads configuration files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kstor_model::catalog::{Catalog, DriverSpec, RoleOverride, parse_data};
use kstor_model::load::{Input, ReadError, read_limited};
use kstor_rules::{Settings, Severity};
use serde::Deserialize;

use crate::policy::{Action, LabelSelector, Namespaces, Policy, SeverityActions};

/// A configuration file larger than this is a mistake.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

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

/// Reads a configuration file (at most [`MAX_CONFIG_BYTES`], UTF-8).
fn read_config(path: &Path) -> Result<String, ConfigError> {
    read_limited(&Input::Path(path.to_path_buf()), MAX_CONFIG_BYTES).map_err(|e| {
        let message = match e {
            ReadError::Io(message) => message,
            ReadError::TooLarge(_) => format!("larger than {MAX_CONFIG_BYTES} bytes"),
            ReadError::NotUtf8 { offset, .. } => format!("not UTF-8 (byte {offset})"),
        };
        ConfigError::Io { path: path.display().to_string(), message }
    })
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_config(path)?;
        Ok(parse_data(&path.display().to_string(), &text)?)
    }

    /// The config for a run: the file named on the command line, else the nearest
    /// `.kstor.yaml` in `start` or its ancestors, else the defaults; `disabled` (`--no-config`)
    /// always gives the defaults.
    pub fn resolve(
        explicit: Option<&Path>,
        disabled: bool,
        start: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        if disabled {
            return Ok(Config::default());
        }
        match explicit.map(Path::to_path_buf).or_else(|| start.and_then(Config::discover)) {
            Some(path) => Config::load(&path),
            None => Ok(Config::default()),
        }
    }

    /// Which rules run and how they are judged: the config's selection and severities, with
    /// command-line `select` replacing the config's and `ignore` adding to it.
    pub fn settings(&self, select: &[String], ignore: &[String]) -> Result<Settings, String> {
        let selectors = if select.is_empty() { &self.select } else { select };
        Settings::from_selection(
            selectors.iter().map(String::as_str),
            self.ignore.iter().chain(ignore).map(String::as_str),
            self.severity.iter().map(|(k, v)| (k.as_str(), *v)),
        )
    }

    /// The catalog: built in, or extended by the config's drivers and roles.
    pub fn catalog(&self) -> Arc<Catalog> {
        if self.drivers.is_empty() && self.roles.is_empty() {
            Catalog::builtin()
        } else {
            Arc::new(Catalog::extended(self.drivers.clone(), self.roles.clone()))
        }
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

/// `kstor serve --config FILE`: the keys of `.kstor.yaml` (drivers, roles, rule selection,
/// severities) and the admission policy (`severity` actions, `rules`, `namespaces`,
/// `objectSelector`) in one file.
///
/// `severity` holds both kinds of entry, told apart by the key: `error`, `warning` and
/// `info` map a severity to an admission action (`deny`, `warn`, `ignore`), any other key is
/// a rule whose severity is overridden. So a policy file written for earlier versions and a
/// `.kstor.yaml` are both valid serve configurations.
#[derive(Clone, Debug, Default)]
pub struct ServeConfig {
    /// The rule configuration.
    pub config: Config,
    /// The admission policy.
    pub policy: Policy,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ServeFile {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    fail_on: Option<FailOn>,
    #[serde(default)]
    roles: Vec<RoleOverride>,
    #[serde(default)]
    drivers: Vec<DriverSpec>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, Action>,
    #[serde(default)]
    namespaces: Namespaces,
    #[serde(default, rename = "objectSelector")]
    object_selector: LabelSelector,
    #[serde(default)]
    mutate: Vec<String>,
}

fn parse_word<T: for<'de> Deserialize<'de>>(
    name: &str,
    key: &str,
    value: &str,
    expected: &str,
) -> Result<T, String> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(value))
        .map_err(|_| format!("{name}: severity.{key}: `{value}` is not {expected}"))
}

impl ServeConfig {
    /// Parses a serve configuration; `name` is the file, for messages.
    pub fn parse(name: &str, text: &str) -> Result<ServeConfig, String> {
        let file: ServeFile = parse_data(name, text).map_err(|e| e.to_string())?;
        let mut actions = SeverityActions::default();
        let mut severity = BTreeMap::new();
        for (key, value) in &file.severity {
            let action = || parse_word::<Action>(name, key, value, "an action (deny, warn, ignore)");
            match key.as_str() {
                "error" => actions.error = action()?,
                "warning" => actions.warning = action()?,
                "info" => actions.info = action()?,
                rule => {
                    let level: Severity =
                        value.parse().map_err(|e| format!("{name}: severity.{rule}: {e}"))?;
                    severity.insert(rule.to_string(), level);
                }
            }
        }
        let config = Config {
            select: file.select,
            ignore: file.ignore,
            severity,
            fail_on: file.fail_on,
            roles: file.roles,
            drivers: file.drivers,
            exclude: file.exclude,
        };
        // Unknown rules in `select`, `ignore` and `severity` are refused here, not at the first request.
        config.settings(&[], &[]).map_err(|e| format!("{name}: {e}"))?;
        let policy = Policy::new(name, actions, file.rules, file.namespaces, file.object_selector)?
            .with_mutations(name, &file.mutate)?;
        Ok(ServeConfig { config, policy })
    }

    /// Reads and parses a serve configuration file.
    pub fn load(path: &Path) -> Result<ServeConfig, String> {
        let text = read_config(path).map_err(|e| e.to_string())?;
        ServeConfig::parse(&path.display().to_string(), &text)
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
