//! Scenarios (`catalog/scenarios.yaml`): what a user runs, the role it maps to, and the engine
//! blueprints `generate` writes.

use kstor_model::catalog::{Catalog, Engine, Pattern, Role, parse_data};
use serde::{Deserialize, Serialize};

use crate::PlanError;

/// The workload kind a scenario runs as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum WorkloadKind {
    /// One volume per replica through claim templates.
    StatefulSet,
    /// Interchangeable replicas.
    Deployment,
    /// One pod per node.
    DaemonSet,
    /// Parallel pods that run to completion.
    Job,
}

/// A scenario: what the user runs.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its id (`relational-database`).
    pub id: String,
    /// In words (`relational database`).
    pub title: String,
    /// Other names `--workload` accepts.
    pub aliases: Vec<String>,
    /// The role whose decision-matrix row applies.
    pub role: Role,
    /// Engines of `catalog/roles.yaml` that are this scenario.
    pub engines: Vec<String>,
    /// The engine `generate` writes when only the scenario is named.
    pub default_engine: String,
    /// The data path is fsync-bound: the provider's fast block type.
    pub latency_sensitive: bool,
    /// Replicas when `--replicas` is not given.
    pub replicas: u32,
    /// Where replication belongs, in words.
    pub replication: String,
    /// Default volume size.
    pub size: String,
    /// The workload kind `generate` writes.
    pub kind: WorkloadKind,
}

/// An environment variable of a blueprint.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// A literal value (`{name}`, `{size_bytes}`, `{size_mib}` are replaced).
    #[serde(default)]
    pub value: Option<String>,
    /// A key of the workload's credentials Secret.
    #[serde(default)]
    pub secret: Option<String>,
    /// Why, for the comment.
    #[serde(default)]
    pub why: Option<String>,
}

/// How `generate` runs an engine.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Blueprint {
    /// The engine (`postgres`).
    pub engine: String,
    /// Its image (pin a digest in production).
    pub image: String,
    /// The uid/gid the image runs as (the pod's fsGroup); 0 for root.
    pub user: i64,
    /// Where the data volume is mounted.
    pub mount: String,
    /// A subdirectory of the volume to mount (engines that refuse lost+found).
    #[serde(default)]
    pub sub_path: Option<String>,
    /// The volume is only read by this engine.
    #[serde(default)]
    pub read_only: bool,
    /// Container command.
    #[serde(default)]
    pub command: Vec<String>,
    /// Container args.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment.
    #[serde(default)]
    pub env: Vec<EnvVar>,
    /// The port it serves (0: none).
    pub port: u16,
    /// Memory request and limit (the working set; cache sizes come on top).
    pub memory: String,
    /// CPU request.
    pub cpu: String,
    /// A pattern preferred over the matrix's first choice for this engine.
    #[serde(default)]
    pub prefer: Option<Pattern>,
    /// Why it is preferred.
    #[serde(default)]
    pub prefer_why: Option<String>,
    /// Rootless BuildKit needs unconfined seccomp and AppArmor profiles.
    #[serde(default)]
    pub rootless_unconfined: bool,
    /// What `generate` leaves to the user.
    pub leaves: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    scenarios: Vec<Scenario>,
    blueprints: Vec<Blueprint>,
}

/// Scenarios and blueprints.
#[derive(Clone, Debug)]
pub struct ScenarioCatalog {
    /// Scenarios in catalog order.
    pub scenarios: Vec<Scenario>,
    /// Engine blueprints.
    pub blueprints: Vec<Blueprint>,
}

/// What `--workload` resolved to.
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The engine, when one was named (or the scenario's default for `generate`).
    pub engine: Option<&'a Engine>,
    /// How the name was matched, for `--explain`.
    pub matched: String,
}

impl ScenarioCatalog {
    /// The built-in catalog from `catalog/scenarios.yaml`.
    pub fn builtin() -> ScenarioCatalog {
        let file: ScenarioFile =
            parse_data("catalog/scenarios.yaml", include_str!("../../../catalog/scenarios.yaml"))
                .unwrap_or_else(|e| panic!("built-in scenario catalog is invalid: {e}"));
        ScenarioCatalog { scenarios: file.scenarios, blueprints: file.blueprints }
    }

    /// A scenario by id.
    pub fn get(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// The scenario of an engine.
    pub fn of_engine(&self, engine: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.engines.iter().any(|e| e == engine))
    }

    /// The first scenario of a role.
    pub fn of_role(&self, role: Role) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.role == role)
    }

    /// The blueprint of an engine.
    pub fn blueprint(&self, engine: &str) -> Option<&Blueprint> {
        self.blueprints.iter().find(|b| b.engine == engine)
    }

    /// Resolves `--workload`: a scenario id or alias, an engine name, or an engine's
    /// `app.kubernetes.io/name` (`postgresql`).
    pub fn resolve<'a>(&'a self, catalog: &'a Catalog, name: &str) -> Result<Resolved<'a>, PlanError> {
        let wanted = name.trim().to_ascii_lowercase();
        if let Some(scenario) = self.scenarios.iter().find(|s| s.id == wanted || s.aliases.contains(&wanted))
        {
            return Ok(Resolved {
                scenario,
                engine: None,
                matched: format!("\"{name}\" is the scenario {} ({})", scenario.id, scenario.title),
            });
        }
        let engine = catalog.roles.engine(&wanted).or_else(|| catalog.roles.engine_by_app_name(&wanted));
        if let Some(engine) = engine {
            let scenario = self.of_engine(&engine.name).or_else(|| self.of_role(engine.role));
            if let Some(scenario) = scenario {
                return Ok(Resolved {
                    scenario,
                    engine: Some(engine),
                    matched: format!(
                        "\"{name}\" is the engine {} (role {}), scenario {} ({})",
                        engine.name, engine.role, scenario.id, scenario.title
                    ),
                });
            }
        }
        Err(PlanError::new(
            format!("unknown workload \"{name}\""),
            format!(
                "name a scenario ({}) or an engine ({})",
                self.scenarios.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", "),
                self.scenarios
                    .iter()
                    .flat_map(|s| &s.engines)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_engine_and_blueprint_is_in_the_role_catalog_with_the_scenarios_role() {
        let catalog = Catalog::builtin();
        let scenarios = ScenarioCatalog::builtin();
        assert!(scenarios.scenarios.len() >= 10);
        for scenario in &scenarios.scenarios {
            assert!(catalog.patterns.recommendation(scenario.role).is_some(), "{}", scenario.id);
            assert!(scenario.engines.contains(&scenario.default_engine), "{}", scenario.id);
            assert!(scenarios.blueprint(&scenario.default_engine).is_some(), "{}", scenario.id);
            assert!(kstor_model::quantity::parse_quantity(&scenario.size).is_some(), "{}", scenario.id);
            for engine in &scenario.engines {
                let found =
                    catalog.roles.engine(engine).unwrap_or_else(|| panic!("{engine} not in roles.yaml"));
                assert_eq!(found.role, scenario.role, "{engine}");
            }
        }
        for blueprint in &scenarios.blueprints {
            assert!(scenarios.of_engine(&blueprint.engine).is_some(), "{} has no scenario", blueprint.engine);
            assert!(
                kstor_model::quantity::parse_quantity(&blueprint.memory).is_some(),
                "{}",
                blueprint.engine
            );
        }
    }

    #[test]
    fn resolves_scenarios_aliases_engines_and_app_names() {
        let catalog = Catalog::builtin();
        let scenarios = ScenarioCatalog::builtin();
        let id = |name: &str| scenarios.resolve(&catalog, name).map(|r| r.scenario.id.clone());
        assert_eq!(id("postgres").unwrap(), "relational-database");
        assert_eq!(id("postgresql").unwrap(), "relational-database");
        assert_eq!(id("MongoDB").unwrap(), "document-database");
        assert_eq!(id("build-cache").unwrap(), "build-cache");
        assert_eq!(id("scratch").unwrap(), "build-cache");
        assert_eq!(id("kafka").unwrap(), "message-queue");
        assert_eq!(id("redis").unwrap(), "cache");
        assert_eq!(id("etcd").unwrap(), "coordination");
        let error = id("excel").unwrap_err();
        assert!(error.message.contains("excel") && error.hint.contains("relational-database"), "{error}");
    }
}
