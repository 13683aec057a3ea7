//! `kstor serve`: the admission webhook.

use std::time::Duration;

use kstor_model::load::{Input, ReadError, read_limited};
use kstor_server::policy::Policy;
use kstor_server::{ServeOptions, serve};

use super::{EXIT_ERROR, EXIT_OK, fail};
use crate::cli::ServeArgs;

/// A policy file larger than this is a mistake.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Runs `kstor serve` until SIGTERM/SIGINT; 0 after a clean drain, 2 when it cannot start.
pub fn run(args: &ServeArgs) -> u8 {
    let policy = match &args.config {
        None => Policy::default(),
        Some(path) => {
            let text = match read_limited(&Input::Path(path.clone()), MAX_POLICY_BYTES) {
                Ok(t) => t,
                Err(e) => {
                    let why = match e {
                        ReadError::Io(message) => message,
                        ReadError::TooLarge(_) => format!("larger than {MAX_POLICY_BYTES} bytes"),
                        ReadError::NotUtf8 { offset, .. } => format!("not UTF-8 (byte {offset})"),
                    };
                    return fail(format!("{}: {why}", path.display()));
                }
            };
            match Policy::parse(&path.display().to_string(), &text) {
                Ok(p) => p,
                Err(e) => return fail(e),
            }
        }
    };
    let options = ServeOptions {
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        policy,
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
