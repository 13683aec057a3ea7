//! The recorded EKS test cluster (`tests/data/`) served on 127.0.0.1 by kstor-testkube's
//! `recorded` fake (real API paths, pagination, bearer token, request log), for the live-path
//! tests of kstor-live and of the root package's `tests/audit_live.rs`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kstor_testkube::recorded::RecordedType;
#[allow(unused_imports)] // each test file uses a part
pub use kstor_testkube::recorded::{Behaviour, FakeApi, Logged, Recorded, TOKEN, refused_addr, start_silent};

/// The recorded cluster; this module is also compiled into the tests of the root `kstor` package,
/// whose manifest directory is the repository root, so the path depends on the including package.
pub fn data_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    match env!("CARGO_PKG_NAME") {
        "kstor-live" => manifest.join("tests/data"),
        _ => manifest.join("crates/kstor-live/tests/data"),
    }
}

/// The recorded list of every resource kstor-live reads.
pub fn recorded() -> Vec<Recorded> {
    let types: Vec<RecordedType<'_>> = kstor_live::RESOURCES
        .iter()
        .map(|r| RecordedType {
            group: r.group,
            version: r.version,
            plural: r.plural,
            kind: r.kind,
            namespaced: r.namespaced,
        })
        .collect();
    kstor_testkube::recorded::recorded(&data_dir(), &types).unwrap_or_else(|e| panic!("{e}"))
}

/// Starts the fake API server with the recorded cluster on the current tokio runtime.
pub async fn start(behaviour: Behaviour) -> FakeApi {
    kstor_testkube::recorded::start(recorded(), behaviour).await
}

/// Writes a kubeconfig with two contexts: `staging` (current, pointing at `staging_server` with another
/// token) and `prod` (pointing at `prod_server` with `prod_token`).
pub fn kubeconfig(dir: &Path, prod_server: &str, staging_server: &str, prod_token: &str) -> PathBuf {
    kstor_testkube::recorded::kubeconfig(dir, prod_server, staging_server, prod_token)
        .expect("a kubeconfig in the test directory")
}
