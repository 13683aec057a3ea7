//! Classifying workloads into roles (database, message-queue, …).

use super::model::{ContainerInfo, Evidence, PodTemplate, RoleAssignment};
use crate::catalog::roles::ImageMatch;
use crate::catalog::{Engine, Role, RoleCatalog};
use crate::object::Object;

/// The annotation that sets a workload's role explicitly.
pub const ROLE_ANNOTATION: &str = "kstor.io/role";

/// The label whose value can name an engine.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// Labels whose value can name a role, in the order they are read.
pub const COMPONENT_LABELS: [&str; 3] = ["app.kubernetes.io/component", "component", "tier"];

/// Decides a workload's role. Returns an error message for an invalid `kstor.io/role` value.
pub fn classify(
    object: &Object,
    pod: &PodTemplate,
    role_annotation: Option<&str>,
    catalog: &RoleCatalog,
) -> (RoleAssignment, Option<String>) {
    let mut problem = None;
    if let Some(value) = role_annotation {
        match value.parse::<Role>() {
            Ok(role) => {
                // Keep the engine when an image agrees with the annotated role.
                let found = engine_containers(pod, catalog).into_iter().find(|(_, e)| e.role == role);
                return (assignment(role, found.map(|(i, e)| (Some(i), e)), Evidence::Annotation, pod), None);
            }
            Err(message) => problem = Some(format!("`{ROLE_ANNOTATION}`: {message}")),
        }
    }
    for (i, container) in pod.containers.iter().enumerate() {
        if let Some(over) = catalog.override_for_image(&container.image) {
            let engine = over.engine.as_deref().and_then(|name| catalog.engine(name));
            return (assignment(over.role, engine.map(|e| (Some(i), e)), Evidence::Config, pod), problem);
        }
    }
    let engines = engine_containers(pod, catalog);
    if let Some(&(i, engine)) = engines.iter().min_by_key(|(_, e)| priority(e.role)) {
        return (assignment(engine.role, Some((Some(i), engine)), Evidence::Image, pod), problem);
    }
    let all_known_non_engines = !pod.containers.is_empty()
        && pod.containers.iter().all(|c| matches!(catalog.match_image(&c.image), ImageMatch::NotEngine));
    if all_known_non_engines {
        return (RoleAssignment::generic(), problem);
    }
    let label = |key: &str| object.label(key).or_else(|| pod.labels.get(key).map(String::as_str));
    if let Some(engine) = label(NAME_LABEL).and_then(|n| catalog.engine_by_app_name(n)) {
        return (assignment(engine.role, Some((None, engine)), Evidence::NameLabel, pod), problem);
    }
    if let Some(role) =
        COMPONENT_LABELS.iter().find_map(|k| label(k).and_then(|c| catalog.role_by_component(c)))
    {
        return (assignment(role, None, Evidence::ComponentLabel, pod), problem);
    }
    for (i, container) in pod.containers.iter().enumerate() {
        if let Some(engine) = container.mounts.iter().find_map(|m| catalog.engine_by_data_dir(&m.mount_path))
        {
            return (assignment(engine.role, Some((Some(i), engine)), Evidence::DataDirectory, pod), problem);
        }
    }
    for (i, container) in pod.containers.iter().enumerate() {
        if let Some(engine) = container.ports.iter().find_map(|p| catalog.engine_by_port(*p)) {
            return (assignment(engine.role, Some((Some(i), engine)), Evidence::Port, pod), problem);
        }
    }
    (RoleAssignment::generic(), problem)
}

/// App containers whose image is a known engine and that run the engine, not a client.
fn engine_containers<'c>(pod: &PodTemplate, catalog: &'c RoleCatalog) -> Vec<(usize, &'c Engine)> {
    pod.containers
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match catalog.match_image(&c.image) {
            ImageMatch::Engine(engine) if !runs_client(c, engine) => Some((i, engine)),
            _ => None,
        })
        .collect()
}

/// True when the container's command starts a client tool of the engine (`psql …`), or a
/// shell whose script begins with one.
fn runs_client(container: &ContainerInfo, engine: &Engine) -> bool {
    let Some(first) = container.command.first() else {
        return false;
    };
    let program = first.rsplit('/').next().unwrap_or(first);
    if engine.clients.iter().any(|c| c == program) {
        return true;
    }
    let is_shell = matches!(program, "sh" | "bash" | "ash" | "dash");
    if is_shell && let Some(script) = container.command.iter().skip(1).find(|a| !a.starts_with('-')) {
        let first_word = script.split_whitespace().next().unwrap_or("");
        return engine.clients.iter().any(|c| c == first_word);
    }
    false
}

/// Lower is more important when a pod runs several engines.
fn priority(role: Role) -> usize {
    Role::ALL.iter().position(|r| *r == role).unwrap_or(usize::MAX)
}

fn assignment(
    role: Role,
    engine: Option<(Option<usize>, &Engine)>,
    evidence: Evidence,
    pod: &PodTemplate,
) -> RoleAssignment {
    let (container, engine) = match engine {
        Some((container, engine)) => (container, Some(engine)),
        None => (None, None),
    };
    // Without an image to go by (labels), the engine runs in the only container, or in the
    // one named after the engine.
    let container = container.or_else(|| {
        let engine = engine?;
        match pod.containers.len() {
            1 => Some(0),
            _ => pod
                .containers
                .iter()
                .position(|c| c.name == engine.name || engine.names.iter().any(|n| *n == c.name)),
        }
    });
    let mut data_dirs: Vec<String> = engine.map(|e| e.data_dirs.clone()).unwrap_or_default();
    if let Some(engine) = engine {
        let containers: Vec<&ContainerInfo> = match container {
            Some(i) => pod.containers.get(i).into_iter().collect(),
            None => pod.containers.iter().collect(),
        };
        // Environment variables that move the data directory (PGDATA, ETCD_DATA_DIR, …)
        // replace the defaults.
        let from_env: Vec<String> = containers
            .iter()
            .flat_map(|c| engine.data_dir_env.iter().filter_map(|var| c.env.get(var)))
            .flat_map(|value| {
                value.split(',').map(str::trim).filter(|d| d.starts_with('/')).map(String::from)
            })
            .collect();
        if !from_env.is_empty() {
            data_dirs = from_env;
        }
        // Paths given on the command line (`--datadir=/x`, `server /storage`) usually are the
        // data directory when a volume is mounted there; they add to the defaults.
        for c in &containers {
            for dir in argument_paths(&c.command) {
                let mounted = c.mounts.iter().any(|m| covers(&m.mount_path, dir));
                if mounted && !data_dirs.iter().any(|d| d == dir) {
                    data_dirs.insert(0, dir.to_string());
                }
            }
        }
    }
    RoleAssignment {
        role,
        engine: engine.map(|e| e.name.clone()),
        evidence,
        container,
        data_dirs: data_dirs.into_iter().map(Into::into).collect(),
    }
}

/// Absolute paths on a command line that may name a data directory: positional paths and
/// values of flags (`--datadir=/x`, `--data-dir /x`), but not of flags about configuration,
/// logs, certificates, sockets or temporary files.
fn argument_paths(command: &[crate::yaml::Text]) -> Vec<&str> {
    const NOT_DATA: [&str; 10] =
        ["conf", "log", "cert", "tls", "key", "secret", "sock", "pid", "tmp", "plugin"];
    let mut out = Vec::new();
    let words: Vec<&str> = command.iter().flat_map(|a| a.split_whitespace()).collect();
    for (i, word) in words.iter().enumerate() {
        let (flag, value) = match word.split_once('=') {
            Some((flag, value)) => (Some(flag), value),
            None => (words.get(i.wrapping_sub(1)).filter(|w| w.starts_with('-')).copied(), *word),
        };
        if !value.starts_with('/') {
            continue;
        }
        let flag = flag.unwrap_or("").to_ascii_lowercase();
        if !NOT_DATA.iter().any(|n| flag.contains(n)) {
            out.push(value);
        }
    }
    out
}

/// True when `mount_path` covers `data_dir` (equal, or one contains the other).
pub fn covers(mount_path: &str, data_dir: &str) -> bool {
    let m = mount_path.trim_end_matches('/');
    let d = data_dir.trim_end_matches('/');
    m == d
        || d.strip_prefix(m).is_some_and(|rest| rest.starts_with('/'))
        || m.strip_prefix(d).is_some_and(|rest| rest.starts_with('/'))
}
