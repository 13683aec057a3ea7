//! Workload roles and the engines (postgres, kafka, etcd, …) that define them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a workload is, as far as storage is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Databases of every kind.
    Database,
    /// Brokers and event streams.
    MessageQueue,
    /// In-memory caches.
    Cache,
    /// Search engines.
    Search,
    /// Object storage servers.
    ObjectStore,
    /// Consensus stores.
    Coordination,
    /// Training jobs.
    MlTraining,
    /// Log shippers.
    Logging,
    /// Static web content.
    StaticContent,
    /// Build tools and their caches (BuildKit, Docker-in-Docker, Kaniko).
    BuildCache,
    /// Anything else.
    Generic,
}

impl Role {
    /// Every role, in catalog order.
    pub const ALL: [Role; 11] = [
        Role::Database,
        Role::MessageQueue,
        Role::Cache,
        Role::Search,
        Role::ObjectStore,
        Role::Coordination,
        Role::MlTraining,
        Role::Logging,
        Role::StaticContent,
        Role::BuildCache,
        Role::Generic,
    ];

    /// The role's name (`message-queue`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Database => "database",
            Role::MessageQueue => "message-queue",
            Role::Cache => "cache",
            Role::Search => "search",
            Role::ObjectStore => "object-store",
            Role::Coordination => "coordination",
            Role::MlTraining => "ml-training",
            Role::Logging => "logging",
            Role::StaticContent => "static-content",
            Role::BuildCache => "build-cache",
            Role::Generic => "generic",
        }
    }

    /// Roles whose data loss is an incident: database, message-queue, search, coordination
    /// and object-store.
    pub fn holds_critical_data(self) -> bool {
        matches!(
            self,
            Role::Database | Role::MessageQueue | Role::Search | Role::Coordination | Role::ObjectStore
        )
    }

    /// Roles that need a single writer with strong consistency (no shared file storage):
    /// database, message-queue, search and coordination.
    pub fn needs_single_writer(self) -> bool {
        matches!(self, Role::Database | Role::MessageQueue | Role::Search | Role::Coordination)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL.into_iter().find(|r| r.name() == s.trim()).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
            format!("unknown role `{s}`; expected one of {}", names.join(", "))
        })
    }
}

/// A role's description.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInfo {
    /// The role.
    pub name: Role,
    /// Whether its data must survive pod restarts.
    pub stateful: bool,
    /// One line about it.
    pub summary: String,
}

/// An engine and how to recognise it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Engine {
    /// Its name (`postgres`).
    pub name: String,
    /// The role it gives a workload.
    pub role: Role,
    /// Image repository patterns (registry and tag stripped; `*` wildcards).
    pub images: Vec<String>,
    /// `app.kubernetes.io/name` values.
    pub names: Vec<String>,
    /// Default data directories.
    pub data_dirs: Vec<String>,
    /// Environment variables that move the data directory.
    #[serde(default)]
    pub data_dir_env: Vec<String>,
    /// Ports it listens on.
    pub ports: Vec<i32>,
    /// Client commands: a container running one of them is a client, not the engine.
    pub clients: Vec<String>,
    /// One process owns the data files.
    pub single_writer: bool,
    /// The engine can run without persistent data (e.g. NATS without JetStream).
    #[serde(default)]
    pub data_optional: bool,
}

/// A user-configured role for images matching a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleOverride {
    /// Image pattern (`*` wildcards), matched like the catalog's.
    pub image: String,
    /// The role to give.
    pub role: Role,
    /// Optional engine name, for its data directories.
    #[serde(default)]
    pub engine: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    roles: Vec<RoleInfo>,
    engines: Vec<Engine>,
    not_engines: Vec<String>,
    components: BTreeMap<String, Role>,
}

/// What an image says about a container.
#[derive(Clone, Copy, Debug)]
pub enum ImageMatch<'a> {
    /// A known engine.
    Engine(&'a Engine),
    /// Known not to be an engine (exporter, proxy, operator, tooling).
    NotEngine,
    /// Not known.
    Unknown,
}

/// Roles, engines and the rules to recognise them.
#[derive(Clone, Debug)]
pub struct RoleCatalog {
    /// Role descriptions.
    pub roles: Vec<RoleInfo>,
    /// Engines.
    pub engines: Vec<Engine>,
    not_engines: Vec<ImagePattern>,
    /// Compiled `images` of each engine, parallel to `engines`.
    engine_images: Vec<Vec<ImagePattern>>,
    components: BTreeMap<String, Role>,
    unique_ports: HashMap<i32, usize>,
    /// User overrides by image pattern (checked first).
    pub overrides: Vec<RoleOverride>,
}

impl RoleCatalog {
    /// The built-in catalog from `catalog/roles.yaml`.
    pub fn builtin() -> RoleCatalog {
        let file: RoleFile =
            super::parse_data("catalog/roles.yaml", include_str!("../../../../catalog/roles.yaml"))
                .unwrap_or_else(|e| panic!("built-in role catalog is invalid: {e}"));
        let mut port_owners: HashMap<i32, Vec<usize>> = HashMap::new();
        for (i, engine) in file.engines.iter().enumerate() {
            for port in &engine.ports {
                port_owners.entry(*port).or_default().push(i);
            }
        }
        let unique_ports = port_owners
            .into_iter()
            .filter(|(_, owners)| owners.len() == 1)
            .map(|(port, owners)| (port, owners[0]))
            .collect();
        let engine_images =
            file.engines.iter().map(|e| e.images.iter().map(|p| ImagePattern::new(p)).collect()).collect();
        RoleCatalog {
            roles: file.roles,
            engines: file.engines,
            not_engines: file.not_engines.iter().map(|p| ImagePattern::new(p)).collect(),
            engine_images,
            components: file.components,
            unique_ports,
            overrides: Vec::new(),
        }
    }

    /// The `not_engines` image patterns, normalised (for `kstor export vap`).
    pub fn not_engine_patterns(&self) -> Vec<String> {
        self.not_engines.iter().map(|p| p.segments.join("/")).collect()
    }

    /// `app.kubernetes.io/component` values and the roles they name.
    pub fn components(&self) -> &BTreeMap<String, Role> {
        &self.components
    }

    /// The engine with this name.
    pub fn engine(&self, name: &str) -> Option<&Engine> {
        self.engines.iter().find(|e| e.name == name)
    }

    /// What an image reference says (`docker.io/bitnami/postgresql:16` → postgres).
    pub fn match_image(&self, image: &str) -> ImageMatch<'_> {
        let repository = image_repository(image);
        let segments: Vec<&str> = repository.split('/').collect();
        if self.not_engines.iter().any(|p| p.matches(&segments)) {
            return ImageMatch::NotEngine;
        }
        self.engine_images
            .iter()
            .position(|patterns| patterns.iter().any(|p| p.matches(&segments)))
            .map_or(ImageMatch::Unknown, |i| ImageMatch::Engine(&self.engines[i]))
    }

    /// A user override for this image, if any.
    pub fn override_for_image(&self, image: &str) -> Option<&RoleOverride> {
        let repository = image_repository(image);
        let segments: Vec<&str> = repository.split('/').collect();
        self.overrides.iter().find(|o| {
            ImagePattern::new(&o.image).matches(&segments)
                || glob_match(&o.image.to_ascii_lowercase(), &image.to_ascii_lowercase())
        })
    }

    /// The engine named by an `app.kubernetes.io/name` value.
    pub fn engine_by_app_name(&self, name: &str) -> Option<&Engine> {
        let name = name.to_ascii_lowercase();
        self.engines.iter().find(|e| e.names.contains(&name))
    }

    /// The role named by an `app.kubernetes.io/component` value.
    pub fn role_by_component(&self, component: &str) -> Option<Role> {
        self.components.get(&component.to_ascii_lowercase()).copied()
    }

    /// The engine whose data directory this mount path is: an exact match of a directory
    /// that names the engine (`/var/lib/postgresql/data`, `/bitnami/kafka`), owned by that
    /// engine alone. Generic paths (`/data`, `/export`) prove nothing.
    pub fn engine_by_data_dir(&self, mount_path: &str) -> Option<&Engine> {
        let path = mount_path.trim_end_matches('/');
        let names_engine =
            |e: &Engine| std::iter::once(&e.name).chain(&e.names).any(|n| path.contains(n.as_str()));
        let owners: Vec<&Engine> = self
            .engines
            .iter()
            .filter(|e| e.data_dirs.iter().any(|d| d == path) && names_engine(e))
            .collect();
        match owners.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The engine that alone uses this port.
    pub fn engine_by_port(&self, port: i32) -> Option<&Engine> {
        self.unique_ports.get(&port).map(|&i| &self.engines[i])
    }
}

/// The repository path of an image reference: registry, tag, digest and `library/` removed,
/// lower-cased (`docker.io/library/postgres:16@sha256:…` → `postgres`).
pub fn image_repository(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image).trim();
    let without_tag = match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    };
    let mut segments: Vec<&str> = without_tag.split('/').collect();
    if segments.len() > 1 {
        let first = segments[0];
        if first.contains('.') || first.contains(':') || first == "localhost" {
            segments.remove(0);
        }
    }
    if segments.len() > 1 && segments[0] == "library" {
        segments.remove(0);
    }
    segments.join("/").to_ascii_lowercase()
}

/// An image pattern, normalised once: patterns without `/` match the repository's last
/// segment, patterns with `/` its trailing segments; `*` is a wildcard within a segment.
#[derive(Clone, Debug)]
struct ImagePattern {
    segments: Vec<String>,
}

impl ImagePattern {
    fn new(pattern: &str) -> Self {
        ImagePattern { segments: image_repository(pattern).split('/').map(str::to_string).collect() }
    }

    fn matches(&self, repository: &[&str]) -> bool {
        let Some(offset) = repository.len().checked_sub(self.segments.len()) else { return false };
        self.segments.iter().zip(&repository[offset..]).all(|(p, r)| glob_match(p, r))
    }
}

/// `*` matches any run of characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine_of(image: &str) -> Option<String> {
        match RoleCatalog::builtin().match_image(image) {
            ImageMatch::Engine(e) => Some(e.name.clone()),
            _ => None,
        }
    }

    #[test]
    fn normalises_image_references() {
        assert_eq!(image_repository("postgres:16"), "postgres");
        assert_eq!(image_repository("docker.io/library/postgres:16-alpine"), "postgres");
        assert_eq!(
            image_repository("docker.io/bitnami/postgresql:16.2.0-debian-12-r8"),
            "bitnami/postgresql"
        );
        assert_eq!(image_repository("localhost:5000/team/db:1@sha256:abc"), "team/db");
        assert_eq!(image_repository("registry.k8s.io/etcd:3.5.12-0"), "etcd");
        assert_eq!(image_repository("quay.io/coreos/etcd"), "coreos/etcd");
    }

    #[test]
    fn recognises_engines_and_non_engines() {
        assert_eq!(engine_of("postgres:16").as_deref(), Some("postgres"));
        assert_eq!(engine_of("docker.io/bitnami/postgresql:16").as_deref(), Some("postgres"));
        assert_eq!(engine_of("ghcr.io/cloudnative-pg/postgresql:16.1").as_deref(), Some("postgres"));
        assert_eq!(engine_of("mysql:8.4").as_deref(), Some("mysql"));
        assert_eq!(engine_of("confluentinc/cp-kafka:7.6.0").as_deref(), Some("kafka"));
        assert_eq!(engine_of("registry.k8s.io/etcd:3.5.12-0").as_deref(), Some("etcd"));
        assert_eq!(engine_of("redis:7").as_deref(), Some("redis"));
        assert_eq!(engine_of("myorg/postgres").as_deref(), Some("postgres"));
        assert_eq!(engine_of("prometheuscommunity/postgres-exporter"), None);
        assert_eq!(engine_of("oliver006/redis_exporter:v1"), None);
        assert_eq!(engine_of("registry.opensource.zalan.do/acid/postgres-operator:v1.10"), None);
        assert_eq!(engine_of("bitnami/pgbouncer"), None);
        assert_eq!(engine_of("nginx:1.27").as_deref(), Some("web-server"));
        assert!(matches!(RoleCatalog::builtin().match_image("busybox:1.36"), ImageMatch::NotEngine));
    }

    #[test]
    fn labels_paths_and_ports() {
        let catalog = RoleCatalog::builtin();
        assert_eq!(catalog.engine_by_app_name("PostgreSQL").unwrap().name, "postgres");
        assert_eq!(catalog.role_by_component("database"), Some(Role::Database));
        assert_eq!(catalog.engine_by_data_dir("/var/lib/postgresql/data/").unwrap().name, "postgres");
        assert!(catalog.engine_by_data_dir("/data").is_none(), "shared by many engines");
        assert!(catalog.engine_by_data_dir("/export").is_none(), "minio's, but generic");
        assert_eq!(catalog.engine_by_data_dir("/var/lib/mysql").unwrap().name, "mysql", "named by the path");
        assert_eq!(catalog.engine_by_data_dir("/bitnami/kafka").unwrap().name, "kafka");
        assert_eq!(catalog.engine_by_port(5432).unwrap().name, "postgres");
        assert!(catalog.engine_by_port(2379).is_none(), "etcd and PD share 2379");
        assert!(catalog.engine_by_port(80).is_none());
    }

    #[test]
    fn overrides_match_image_patterns() {
        let mut catalog = RoleCatalog::builtin();
        catalog.overrides.push(RoleOverride {
            image: "registry.example.com/team/ledger*".into(),
            role: Role::Database,
            engine: None,
        });
        assert!(catalog.override_for_image("registry.example.com/team/ledger-db:2").is_some());
        assert!(catalog.override_for_image("registry.example.com/team/api:2").is_none());
        assert_eq!("message-queue".parse::<Role>(), Ok(Role::MessageQueue));
        assert!("db".parse::<Role>().is_err());
    }
}
