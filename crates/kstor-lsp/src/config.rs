//! The configuration: `.kstor.yaml` (or `.kstor.yml`) in the workspace root or above it, found
//! as `kstor lint` run in the root finds it. A bad file is a [`Problem`] (shown to the user and
//! published as a diagnostic on the file), never a failure of the server.

use std::path::{Path, PathBuf};

use globset::GlobMatcher;
use kstor_engine::{CONFIG_FILE_NAMES, Config, ConfigError, Engine};

/// A usable configuration.
#[derive(Default)]
pub struct Loaded {
    /// The engine it configures.
    pub engine: Engine,
    /// Its `exclude` patterns, compiled.
    pub exclude: Vec<GlobMatcher>,
    /// The file it came from (`None`: no file, the defaults).
    pub path: Option<PathBuf>,
}

/// Why a config file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// What is wrong (with the file's name, as `kstor lint` prints it).
    pub message: String,
    /// Where, 0-based line and character column (0, 0 when the error has no position).
    pub line: u32,
    /// See `line`.
    pub column: u32,
}

/// The config file that applies to `root`: the nearest one in it or above it.
pub fn find(root: &Path) -> Option<PathBuf> {
    Config::discover(root)
}

/// Loads the configuration of a workspace root (no root, or no file: the defaults).
pub fn load(root: Option<&Path>) -> Result<Loaded, Problem> {
    let Some(path) = root.and_then(find) else {
        return Ok(Loaded::default());
    };
    let problem =
        |message: String, (line, column): (u32, u32)| Problem { path: path.clone(), message, line, column };
    let config = Config::load(&path).map_err(|e| {
        let at = match &e {
            ConfigError::Invalid(data) => (data.at.line.saturating_sub(1), data.at.column.saturating_sub(1)),
            ConfigError::Io { .. } => (0, 0),
        };
        problem(e.to_string(), at)
    })?;
    let exclude =
        config.exclude_matchers().map_err(|e| problem(format!("{}: {e}", path.display()), (0, 0)))?;
    let engine =
        Engine::new(config, &[], &[]).map_err(|e| problem(format!("{}: {e}", path.display()), (0, 0)))?;
    Ok(Loaded { engine, exclude, path: Some(path) })
}

/// Whether a file is where a config of `root` is or could be: a config file name in the root
/// or one of its ancestors.
pub fn is_config_of(root: &Path, path: &Path) -> bool {
    is_config_name(path) && path.parent().is_some_and(|dir| root.starts_with(dir))
}

/// Whether a file is named as a config file (`.kstor.yaml`, `.kstor.yml`): such a file is
/// configuration, never a manifest.
pub fn is_config_name(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| CONFIG_FILE_NAMES.contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_positioned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".kstor.yaml"), "ignore: [KS802]\nselct: [KS201]\n").unwrap();
        let problem = load(Some(dir.path())).err().unwrap();
        assert!(problem.message.contains("unknown field `selct`"), "{}", problem.message);
        assert_eq!((problem.line, problem.column), (1, 0));

        std::fs::write(dir.path().join(".kstor.yaml"), "ignore: [KS999]\n").unwrap();
        let problem = load(Some(dir.path())).err().unwrap();
        assert!(problem.message.contains("KS999"), "{}", problem.message);

        std::fs::write(dir.path().join(".kstor.yaml"), "ignore: [KS802]\n").unwrap();
        let loaded = load(Some(dir.path())).unwrap();
        assert_eq!(loaded.path.as_deref(), Some(dir.path().join(".kstor.yaml").as_path()));
        assert!(!loaded.engine.settings().enabled.contains("KS802"));
    }

    #[test]
    fn config_locations() {
        let root = Path::new("/w/project");
        assert!(is_config_of(root, Path::new("/w/project/.kstor.yaml")));
        assert!(is_config_of(root, Path::new("/w/.kstor.yml")));
        assert!(!is_config_of(root, Path::new("/w/project/sub/.kstor.yaml")));
        assert!(!is_config_of(root, Path::new("/w/project/kstor.yaml")));
    }
}
