//! kstor's engine: the one place where configuration is read and where objects become a
//! [`StorageGraph`] and findings. Every front end calls it: `kstor lint` and `kstor report`
//! ([`Engine::lint`], [`Engine::graph`]), `kstor audit` ([`Engine::audit`]), `kstor serve`
//! ([`Engine::admit`] against a [`ClusterView`]), `kstor recommend`/`generate` (which check
//! their own output with [`Engine::lint_workspace`]).
//!
//! The engine owns the [`Config`] (`.kstor.yaml`), the catalog it extends, the rule
//! [`Settings`] it selects, and the admission [`Policy`]. `kstor-rules` stays pure.

pub mod admit;
pub mod config;
pub mod fix;
pub mod pipeline;
pub mod policy;
pub mod vap;
pub mod view;

use std::sync::Arc;

use kstor_model::catalog::Catalog;
use kstor_rules::Settings;

pub use admit::{Admission, ClusterView, SharedObject};
pub use config::{CONFIG_FILE_NAMES, Config, ConfigError, FailOn, ServeConfig};
pub use fix::{FixOptions, FixOutcome, FixedSource, SkippedFix};
pub use pipeline::{Audited, EngineError, Timings};
pub use policy::{Action, Policy};
pub use view::BundleView;

/// A configured engine: the config, the catalog it implies and the rule settings.
#[derive(Clone, Debug)]
pub struct Engine {
    config: Config,
    catalog: Arc<Catalog>,
    settings: Settings,
}

impl Default for Engine {
    /// The built-in catalog and every rule at its default severity.
    fn default() -> Self {
        Engine { config: Config::default(), catalog: Catalog::builtin(), settings: Settings::default() }
    }
}

impl Engine {
    /// An engine for a config and command-line selections (`select` replaces the config's,
    /// `ignore` adds to it).
    pub fn new(config: Config, select: &[String], ignore: &[String]) -> Result<Engine, EngineError> {
        let settings = config.settings(select, ignore).map_err(EngineError::Usage)?;
        let catalog = config.catalog();
        Ok(Engine { config, catalog, settings })
    }

    /// An engine running only the given rules (codes or names), with the built-in catalog.
    pub fn with_rules(rules: &[&str]) -> Result<Engine, EngineError> {
        let select: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        Engine::new(Config::default(), &select, &[])
    }

    /// An engine over a given catalog, every rule at its default severity.
    pub fn with_catalog(catalog: Arc<Catalog>) -> Engine {
        Engine { catalog, ..Engine::default() }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The catalog graphs are built with.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The rule settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The rule settings, to set options (`--complete`, audit facts).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }
}
