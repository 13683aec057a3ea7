//! TLS with a certificate that follows its files: every handshake checks the files' identity
//! (inode, size, modification time — two `stat` calls) and reloads them when they changed, so a
//! cert-manager rotation (an atomic symlink swap in the Secret volume) takes effect on the next
//! connection without a restart. A broken pair is reported and the previous certificate kept.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::metrics::Metrics;

/// What identifies a file's content without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { inode: meta.ino(), len: meta.len(), modified: meta.modified().ok() })
}

/// Reads a certificate chain and key from PEM files.
pub fn load_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let signing_key = any_supported_type(&key_der).map_err(|e| format!("{}: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified
        .keys_match()
        .map_err(|e| format!("{} and {} do not match: {e}", cert.display(), key.display()))?;
    Ok(certified)
}

struct Current {
    stamps: (Option<Stamp>, Option<Stamp>),
    key: Arc<CertifiedKey>,
}

/// A certificate resolver that reloads its files when they change.
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    current: Mutex<Current>,
    metrics: Arc<Metrics>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert").field("cert", &self.cert).field("key", &self.key).finish()
    }
}

impl ReloadingCert {
    /// Loads the pair; fails when it cannot be used.
    pub fn new(cert: PathBuf, key: PathBuf, metrics: Arc<Metrics>) -> Result<ReloadingCert, String> {
        let stamps = (stamp(&cert), stamp(&key));
        let loaded = load_pair(&cert, &key)?;
        Ok(ReloadingCert {
            cert,
            key,
            current: Mutex::new(Current { stamps, key: Arc::new(loaded) }),
            metrics,
        })
    }

    /// The certificate to present now, reloaded first if the files changed.
    pub fn current(&self) -> Arc<CertifiedKey> {
        let stamps = (stamp(&self.cert), stamp(&self.key));
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if stamps != current.stamps {
            current.stamps = stamps;
            match load_pair(&self.cert, &self.key) {
                Ok(loaded) => {
                    current.key = Arc::new(loaded);
                    self.metrics.tls_reload(true);
                    eprintln!("kstor: reloaded the TLS certificate from {}", self.cert.display());
                }
                // Mid-rotation the two files can disagree for a moment; the next handshake
                // after both are written loads them (their stamps change again).
                Err(e) => {
                    self.metrics.tls_reload(false);
                    eprintln!("kstor: keeping the previous TLS certificate: {e}");
                }
            }
        }
        Arc::clone(&current.key)
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The rustls server configuration: TLS 1.2 and 1.3, HTTP/1.1, the reloading certificate.
pub fn server_config(resolver: Arc<ReloadingCert>) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}
