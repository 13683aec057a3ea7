//! `kstor serve`: the admission webhook.

use std::time::Duration;

use kstor_engine::{Engine, ServeConfig};
use kstor_server::{ServeOptions, serve};

use super::{EXIT_ERROR, EXIT_OK, fail};
use crate::cli::ServeArgs;

/// Runs `kstor serve` until SIGTERM/SIGINT; 0 after a clean drain, 2 when it cannot start.
pub fn run(args: &ServeArgs) -> u8 {
    // One file for the rules (the keys of .kstor.yaml) and the admission policy; without
    // --config, the defaults (no discovery: a webhook's working directory means nothing).
    let serve_config = match &args.config {
        None => ServeConfig::default(),
        Some(path) => match ServeConfig::load(path) {
            Ok(c) => c,
            Err(e) => return fail(e),
        },
    };
    let engine = match Engine::new(serve_config.config, &[], &[]) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let options = ServeOptions {
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        policy: serve_config.policy,
        engine,
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        cluster: kstor_live::FetchOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            ..kstor_live::FetchOptions::default()
        },
        drain: Duration::from_secs(args.drain_timeout),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => {
            eprintln!("kstor: stopped");
            EXIT_OK
        }
        Err(e) => {
            let _ = fail(e);
            EXIT_ERROR
        }
    }
}
