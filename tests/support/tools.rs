//! External tools the schema and chart tests run: `kubernetes-validate` and `helm`, which
//! `.ci/run` installs. Missing under CI is a failure; missing on a developer machine is a
//! printed `SKIPPED: …`, never a silent pass.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// An external tool from `$env_var`, else `name` on PATH when `name <probe>` succeeds. When it
/// is missing: fails under CI, else prints `SKIPPED: …` and returns None.
pub fn tool(env_var: &str, name: &str, probe: &[&str], hint: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var) {
        return Some(PathBuf::from(path));
    }
    if Command::new(name).args(probe).output().is_ok_and(|o| o.status.success()) {
        return Some(PathBuf::from(name));
    }
    assert!(std::env::var_os("CI").is_none(), "{name} is not installed, and CI must run this test ({hint})");
    eprintln!("SKIPPED: {name} not found ({hint}, or set {env_var})");
    None
}

/// `kubernetes-validate` (offline Kubernetes OpenAPI schema validation, from PyPI).
pub fn kubernetes_validate() -> Option<PathBuf> {
    tool("KUBERNETES_VALIDATE", "kubernetes-validate", &["--version"], "pip install kubernetes-validate")
}

/// `helm` (renders charts/kstor).
pub fn helm() -> Option<PathBuf> {
    tool("HELM", "helm", &["version"], "install Helm 3")
}
