//! The workspace's manifests on disk: the `.yaml`, `.yml` and `.json` files under the root,
//! walked as `kstor lint DIR` walks (hidden entries skipped, the config's `exclude` globs
//! honoured) and also skipping `target/` and `node_modules/`, within limits an editor can
//! afford.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobMatcher;
use kstor_model::Input;
use kstor_model::load::read_limited;

/// Most files read from disk; the rest of a larger tree is left out (and said so).
pub const MAX_FILES: usize = 5_000;
/// A file larger than this is not read from disk (opening it still lints it).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Most bytes read from disk in all.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// Directories never walked (build output and dependencies hold no manifests of the project).
const SKIPPED_DIRS: [&str; 2] = ["target", "node_modules"];

/// The manifests read from disk, and what was left out.
#[derive(Default)]
pub struct Scan {
    /// `(path, text)` in path order.
    pub files: Vec<(PathBuf, Arc<str>)>,
    /// Files left out because of the limits (counted, for a log message).
    pub left_out: usize,
}

/// Whether a path has a manifest extension, as `kstor lint DIR` decides it.
pub use kstor_model::load::is_manifest_name as is_manifest_path;

/// Whether the config's `exclude` patterns match a path or a directory it is in (as walking
/// skips an excluded directory's files).
pub fn is_excluded(path: &Path, exclude: &[GlobMatcher]) -> bool {
    !exclude.is_empty() && path.ancestors().any(|p| exclude.iter().any(|g| g.is_match(p)))
}

/// Whether a file under the root belongs to the workspace's manifests: a manifest extension,
/// no hidden component or skipped directory below the root, not excluded, not a config file.
pub fn is_workspace_manifest(root: &Path, path: &Path, exclude: &[GlobMatcher]) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let hidden_or_skipped = relative.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref())
    });
    is_manifest_path(path) && !hidden_or_skipped && !is_excluded(path, exclude)
}

/// Reads one manifest (`None`: unreadable, too large or not UTF-8; the loader's message for
/// such a file would point nowhere useful in an editor).
pub fn read(path: &Path) -> Option<Arc<str>> {
    read_limited(&Input::Path(path.to_path_buf()), MAX_FILE_BYTES).ok().map(Arc::from)
}

/// Walks `root` for manifests.
pub fn scan(root: &Path, exclude: &[GlobMatcher]) -> Scan {
    let mut scan = Scan::default();
    let mut total = 0u64;
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|entry| {
        let name = entry.file_name().to_string_lossy();
        let skipped = entry.depth() > 0
            && (name.starts_with('.')
                || (entry.file_type().is_dir() && SKIPPED_DIRS.contains(&name.as_ref())));
        // The entry's directories were checked on the way down.
        !skipped && !exclude.iter().any(|g| g.is_match(entry.path()))
    });
    for entry in walker.filter_map(Result::ok) {
        if entry.file_type().is_dir() || !is_manifest_path(entry.path()) {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        if scan.files.len() >= MAX_FILES || size > MAX_FILE_BYTES || total + size > MAX_TOTAL_BYTES {
            scan.left_out += 1;
            continue;
        }
        if let Some(text) = read(entry.path()) {
            total += text.len() as u64;
            scan.files.push((entry.into_path(), text));
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_manifests_like_lint_and_skips_build_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "a.yaml",
            "sub/b.yml",
            "sub/c.json",
            "notes.txt",
            ".hidden/d.yaml",
            ".kstor.yaml",
            "target/e.yaml",
            "node_modules/f.json",
            "charts/x/templates/g.yaml",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "a: 1\n").unwrap();
        }
        let exclude =
            kstor_engine::Config { exclude: vec!["charts/*/templates".into()], ..Default::default() }
                .exclude_matchers()
                .unwrap();
        let scan = scan(root, &exclude);
        let names: Vec<String> =
            scan.files.iter().map(|(p, _)| p.strip_prefix(root).unwrap().display().to_string()).collect();
        assert_eq!(names, ["a.yaml", "sub/b.yml", "sub/c.json"]);
        assert!(is_workspace_manifest(root, &root.join("sub/new.yaml"), &exclude));
        assert!(!is_workspace_manifest(root, &root.join("target/new.yaml"), &exclude));
        assert!(!is_workspace_manifest(root, &root.join("charts/x/templates/h.yaml"), &exclude));
        assert!(!is_workspace_manifest(root, &root.join(".kstor.yaml"), &exclude));
        assert!(!is_workspace_manifest(root, Path::new("/elsewhere/a.yaml"), &exclude));
    }
}
