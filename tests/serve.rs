//! `kstor serve` end to end: the real binary on 127.0.0.1 with a test certificate (rcgen), fed by
//! watchers pointed at a fake API server (recorded lists, pushed watch events), answering real
//! AdmissionReview JSON over HTTPS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kstor_testkube::watch::FakeApi;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, pki_types::ServerName};

/// The recorded lists of the EKS test cluster (crates/kstor-live/tests/data), by plural.
fn recorded_lists() -> std::collections::HashMap<String, Vec<Value>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kstor-live/tests/data");
    kstor_testkube::watch::recorded_lists(&dir).unwrap()
}

/// A self-signed certificate for localhost: (cert PEM, key PEM, cert DER).
fn certificate() -> (String, String, Vec<u8>) {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    (c.cert.pem(), c.key_pair.serialize_pem(), c.cert.der().to_vec())
}

/// A TLS client that trusts one certificate.
fn trusting(der: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.to_vec().into()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `kstor serve`.
struct Server {
    child: Child,
    https: SocketAddr,
    plain: SocketAddr,
    dir: tempfile::TempDir,
    root: Vec<u8>,
}

impl Server {
    fn start(api: &FakeApi, policy: Option<&str>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, der) = certificate();
        std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
        std::fs::write(dir.path().join("tls.key"), key).unwrap();
        let kubeconfig = api.kubeconfig(dir.path()).unwrap();
        let https: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let plain: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("kstor"));
        command
            .args(["serve", "--tls-cert"])
            .arg(dir.path().join("tls.crt"))
            .arg("--tls-key")
            .arg(dir.path().join("tls.key"))
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args([
                "--listen",
                &https.to_string(),
                "--metrics-listen",
                &plain.to_string(),
                "--drain-timeout",
                "10",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(policy) = policy {
            let path = dir.path().join("policy.yaml");
            std::fs::write(&path, policy).unwrap();
            command.arg("--config").arg(path);
        }
        let child = command.spawn().unwrap();
        let server = Server { child, https, plain, dir, root: der };
        server.wait_listening();
        server
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(self.plain).is_err() {
            assert!(Instant::now() < deadline, "kstor serve did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn cert_path(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; its exit code and stderr.
    fn wait_exit(mut self, timeout: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                use std::io::Read;
                self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                return (status.code(), stderr);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("kstor serve did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Plain HTTP GET on the metrics listener: (status, body).
    async fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.plain).await.unwrap();
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        split_response(&raw)
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.get("/readyz").await.0 == 200 {
                return;
            }
            assert!(Instant::now() < deadline, "never ready: {:?}", self.get("/readyz").await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn connector(&self) -> TlsConnector {
        trusting(&self.root)
    }

    /// A new TLS connection: the stream and the certificate the server presented.
    async fn connect(
        &self,
        connector: &TlsConnector,
    ) -> (tokio_rustls::client::TlsStream<TcpStream>, Vec<u8>) {
        let tcp = TcpStream::connect(self.https).await.unwrap();
        let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
        let presented = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        (tls, presented)
    }

    /// POSTs a body over a new HTTPS connection: (status, body).
    async fn post(&self, path: &str, body: &[u8]) -> (u16, String) {
        let (mut tls, _) = self.connect(&self.connector()).await;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        // A server may answer (400) before reading a large body; a failed write is then fine.
        let _ = tls.write_all(body).await;
        let mut raw = Vec::new();
        let _ = tls.read_to_end(&mut raw).await;
        split_response(&String::from_utf8_lossy(&raw))
    }

    /// Sends an AdmissionReview and returns its `response`.
    async fn review(&self, body: &Value) -> Value {
        let (status, text) = self.post("/validate", body.to_string().as_bytes()).await;
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(answer["kind"], "AdmissionReview");
        assert_eq!(answer["response"]["uid"], body["request"]["uid"]);
        answer["response"].clone()
    }

    async fn metrics(&self) -> String {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200);
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn split_response(raw: &str) -> (u16, String) {
    let status = raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    // Chunked bodies (axum streams none of ours, but be safe): keep the JSON part.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if body.starts_with(|c: char| c.is_ascii_hexdigit()) && !body.starts_with('{') => {
            body[a..=b].to_string()
        }
        _ => body,
    };
    (status, body)
}

/// An AdmissionReview for an object.
fn review(uid: &str, group: &str, kind: &str, namespace: &str, object: Value, dry_run: bool) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": format!("{}s", kind.to_lowercase())},
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
            "object": object,
            "dryRun": dry_run,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

fn rwx_claim(namespace: &str, name: &str, class: Option<&str>) -> Value {
    let mut spec = json!({"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}});
    if let Some(class) = class {
        spec["storageClassName"] = json!(class);
    }
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

/// A metric sample's value (0 when absent).
fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_follow_the_rules_the_cache_and_its_watch_events() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    let server = Server::start(&api, None);
    server.wait_ready().await;

    // A claim whose driver cannot do RWX: denied, naming the rule, the field and the fix.
    let deny = server
        .review(&review(
            "u1",
            "",
            "PersistentVolumeClaim",
            "data",
            rwx_claim("data", "shared", Some("gp3")),
            false,
        ))
        .await;
    assert_eq!(deny["allowed"], false, "{deny}");
    let message = deny["status"]["message"].as_str().unwrap();
    assert_eq!(deny["status"]["code"], 403);
    for part in [
        "PersistentVolumeClaim data/shared",
        "KS204",
        "access-mode-unsupported-by-driver",
        "spec.accessModes[0]",
        "Fix:",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }

    // Cross-object: two Deployment replicas on the cached RWO claim queues/redis-data.
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "redis", "namespace": "queues"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "redis"}}, "template": {
            "metadata": {"labels": {"app": "redis"}},
            "spec": {"containers": [{"name": "redis", "image": "redis:7", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "redis-data"}}]}}}
    });
    let shared = server.review(&review("u2", "apps", "Deployment", "queues", deployment, false)).await;
    assert_eq!(shared["allowed"], false, "{shared}");
    assert!(shared["status"]["message"].as_str().unwrap().contains("KS202"), "{shared}");

    // A warning-level finding: allowed, with the warning kubectl prints.
    let class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
                       "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
                       "volumeBindingMode": "Immediate", "allowVolumeExpansion": true});
    let warned = server.review(&review("u3", "storage.k8s.io", "StorageClass", "", class, false)).await;
    assert_eq!(warned["allowed"], true, "{warned}");
    let warnings: Vec<&str> =
        warned["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(
        warnings.iter().any(|w| w.starts_with("kstor: KS101") && w.contains("volumeBindingMode")),
        "{warnings:?}"
    );

    // Unknown kinds pass untouched.
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "data"}, "data": {"a": "b"}});
    let skipped = server.review(&review("u4", "", "ConfigMap", "data", config_map, false)).await;
    assert_eq!(skipped, json!({"uid": "u4", "allowed": true}));

    // A claim without a class gets the default class gp3 (EBS, no RWX): denied. A watch event
    // that un-defaults gp3 changes the next decision.
    let unclassed =
        review("u5", "", "PersistentVolumeClaim", "data", rwx_claim("data", "shared", None), false);
    assert_eq!(server.review(&unclassed).await["allowed"], false);
    let mut gp3 =
        recorded_lists()["storageclasses"].iter().find(|c| c["metadata"]["name"] == "gp3").unwrap().clone();
    gp3["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] = json!("false");
    gp3["apiVersion"] = json!("storage.k8s.io/v1");
    gp3["kind"] = json!("StorageClass");
    api.push("storageclasses", "MODIFIED", gp3);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = server.review(&unclassed).await;
        if answer["allowed"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "the MODIFIED StorageClass never reached the cache: {answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And an ADDED class is used by the next request that names it.
    let named = review(
        "u6",
        "",
        "PersistentVolumeClaim",
        "data",
        rwx_claim("data", "shared", Some("block-rwx")),
        false,
    );
    assert_eq!(server.review(&named).await["allowed"], true, "unknown class: nothing to judge the driver by");
    api.push("storageclasses", "ADDED", json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "block-rwx"}, "provisioner": "ebs.csi.aws.com", "parameters": {"encrypted": "true", "type": "gp3"},
        "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true, "reclaimPolicy": "Delete"}));
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.review(&named).await["allowed"] != false {
        assert!(Instant::now() < deadline, "the ADDED StorageClass never reached the cache");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Dry runs are judged but not counted as enforcement.
    let before = server.metrics().await;
    let dry = server
        .review(&review(
            "u7",
            "",
            "PersistentVolumeClaim",
            "data",
            rwx_claim("data", "shared", Some("gp3")),
            true,
        ))
        .await;
    assert_eq!(dry["allowed"], false);
    let after = server.metrics().await;
    let findings = "kstor_admission_findings_total{rule=\"KS204\",action=\"deny\"}";
    assert_eq!(sample(&before, findings), sample(&after, findings), "dry run counted as enforcement");
    assert_eq!(
        sample(
            &after,
            "kstor_admission_requests_total{kind=\"PersistentVolumeClaim\",operation=\"CREATE\",decision=\"deny\",dry_run=\"true\"}"
        ),
        1.0
    );

    let metrics = server.metrics().await;
    for (line, at_least) in [
        (
            "kstor_admission_requests_total{kind=\"Deployment\",operation=\"CREATE\",decision=\"deny\",dry_run=\"false\"}",
            1.0,
        ),
        (
            "kstor_admission_requests_total{kind=\"StorageClass\",operation=\"CREATE\",decision=\"warn\",dry_run=\"false\"}",
            1.0,
        ),
        (
            "kstor_admission_requests_total{kind=\"ConfigMap\",operation=\"CREATE\",decision=\"skip\",dry_run=\"false\"}",
            1.0,
        ),
        ("kstor_admission_findings_total{rule=\"KS202\",action=\"deny\"}", 1.0),
        ("kstor_admission_findings_total{rule=\"KS101\",action=\"warn\"}", 1.0),
        ("kstor_admission_duration_seconds_count", 8.0),
        ("kstor_cache_objects{kind=\"PersistentVolumeClaim\"}", 5.0),
        ("kstor_cache_objects{kind=\"StorageClass\"}", 3.0),
        ("kstor_cache_synced{kind=\"VolumeSnapshotClass\"}", 1.0),
    ] {
        assert!(sample(&metrics, line) >= at_least, "{line} >= {at_least} in\n{metrics}");
    }
    assert!(metrics.contains("# TYPE kstor_admission_duration_seconds histogram"), "{metrics}");
    assert!(
        metrics.contains("kstor_tls_reloads_total") || metrics.contains("# TYPE kstor_tls_reloads counter")
    );
    // Watchers list, then watch; nothing but GETs.
    let log = api.log();
    assert!(log.iter().all(|l| l.starts_with("GET ")), "{log:?}");
    assert!(
        log.iter().any(|l| l.contains("/apis/storage.k8s.io/v1/storageclasses?") && l.contains("watch=true")),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_well_formed_400_and_the_server_keeps_serving() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    let server = Server::start(&api, None);
    server.wait_ready().await;
    let mut huge =
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","pad":""#
            .to_vec();
    huge.extend(std::iter::repeat_n(b'a', 3 * 1024 * 1024));
    huge.extend(br#""}}"#);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("malformed-json", b"{\"apiVersion\": ".to_vec()),
        ("wrong-type", br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#.to_vec()),
        ("wrong-type", br#"{"apiVersion":"admission.k8s.io/v1","kind":"TokenReview","request":{"uid":"x"}}"#.to_vec()),
        ("no-object", br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","operation":"CREATE","kind":{"group":"","version":"v1","kind":"Pod"}}}"#.to_vec()),
        ("too-large", huge),
    ];
    for (reason, body) in &cases {
        let (status, text) = server.post("/validate", body).await;
        assert_eq!(status, 400, "{reason}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{reason}: {e}: {text}"));
        assert_eq!(error["error"], *reason, "{text}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    let pvc =
        review("after", "", "PersistentVolumeClaim", "data", rwx_claim("data", "ok", Some("gp3")), false);
    assert_eq!(server.review(&pvc).await["allowed"], false, "still serving after bad input");
    let metrics = server.metrics().await;
    assert_eq!(
        sample(&metrics, "kstor_admission_rejected_requests_total{result=\"wrong-type\"}"),
        2.0,
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "kstor_admission_rejected_requests_total{result=\"too-large\"}"),
        1.0,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_open_until_the_cache_has_synced() {
    let api = FakeApi::start(recorded_lists(), true, false).await;
    let server = Server::start(&api, None);
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("StorageClass"), "{body}");
    assert_eq!(server.get("/healthz").await.0, 200, "alive while not ready");
    let pvc =
        review("early", "", "PersistentVolumeClaim", "data", rwx_claim("data", "shared", Some("gp3")), false);
    let early = server.review(&pvc).await;
    assert_eq!(early["allowed"], true, "{early}");
    assert!(early["warnings"][0].as_str().unwrap().contains("not synced"), "{early}");
    let metrics = server.metrics().await;
    assert_eq!(sample(&metrics, "kstor_cache_synced{kind=\"PersistentVolumeClaim\"}"), 0.0);
    assert_eq!(
        sample(
            &metrics,
            "kstor_admission_requests_total{kind=\"PersistentVolumeClaim\",operation=\"CREATE\",decision=\"unsynced\",dry_run=\"false\"}"
        ),
        1.0
    );
    api.release();
    server.wait_ready().await;
    assert_eq!(server.review(&pvc).await["allowed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_decides_per_rule_namespace_and_label() {
    let api = FakeApi::start(recorded_lists(), false, true).await;
    let policy = "rules:\n  KS204: warn\nnamespaces:\n  exclude: [scratch]\nobjectSelector:\n  matchExpressions:\n    - {key: kstor.io/skip, operator: DoesNotExist}\n";
    let server = Server::start(&api, Some(policy));
    // Without the snapshot CRDs the cache still syncs (their kinds are empty).
    server.wait_ready().await;
    let warned = server
        .review(&review(
            "p1",
            "",
            "PersistentVolumeClaim",
            "data",
            rwx_claim("data", "s", Some("gp3")),
            false,
        ))
        .await;
    assert_eq!(warned["allowed"], true, "{warned}");
    assert!(warned["warnings"][0].as_str().unwrap().contains("KS204"), "{warned}");
    let excluded = server
        .review(&review(
            "p2",
            "",
            "PersistentVolumeClaim",
            "scratch",
            rwx_claim("scratch", "s", Some("gp3")),
            false,
        ))
        .await;
    assert_eq!(excluded, json!({"uid": "p2", "allowed": true}));
    let mut labelled = rwx_claim("data", "s", Some("gp3"));
    labelled["metadata"]["labels"] = json!({"kstor.io/skip": "yes"});
    let skipped = server.review(&review("p3", "", "PersistentVolumeClaim", "data", labelled, false)).await;
    assert_eq!(skipped, json!({"uid": "p3", "allowed": true}));
    assert!(!api.log().iter().any(|l| l.contains("volumesnapshot")), "no watch on an API that is not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_presented_on_the_next_handshake() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    let server = Server::start(&api, None);
    let connector = server.connector();
    let (_, first) = server.connect(&connector).await;
    assert_eq!(first, server.root);
    // cert-manager writes new files and swaps them in atomically.
    let (cert, key, der) = certificate();
    let swap = |path: &Path, text: &str| {
        let tmp = path.with_extension("new");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    };
    swap(&server.key_path(), &key);
    swap(&server.cert_path(), &cert);
    let (_, second) = server.connect(&trusting(&der)).await;
    assert_eq!(second, der, "the next handshake presents the new certificate");
    assert_ne!(second, first);
    let metrics = server.metrics().await;
    assert!(sample(&metrics, "kstor_tls_reloads_total{result=\"success\"}") >= 1.0, "{metrics}");
    // A broken pair keeps the current certificate.
    swap(&server.key_path(), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
    let (_, third) = server.connect(&trusting(&der)).await;
    assert_eq!(third, der);
    assert!(sample(&server.metrics().await, "kstor_tls_reloads_total{result=\"failure\"}") >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_exits_0() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    let server = Server::start(&api, None);
    server.wait_ready().await;
    let body =
        review("drain", "", "PersistentVolumeClaim", "data", rwx_claim("data", "shared", Some("gp3")), false)
            .to_string();
    let (mut tls, _) = server.connect(&server.connector()).await;
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    tls.write_all(first).await.unwrap();
    tls.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The in-flight request still completes.
    tls.write_all(rest).await.unwrap();
    tls.flush().await.unwrap();
    let mut raw = vec![0u8; 64 * 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut raw)).await.unwrap().unwrap();
    let (status, text) = split_response(&String::from_utf8_lossy(&raw[..n]));
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"uid\":\"drain\""), "{text}");
    drop(tls);
    let (code, stderr) = server.wait_exit(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("draining"), "{stderr}");
}

/// A database StatefulSet with findings of two rules with safe fixes (KS503, and KS302 twice).
fn postgres_statefulset() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "pg", "namespace": "data"},
        "spec": {
            "serviceName": "pg",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "pg"}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"},
            "template": {
                "metadata": {"labels": {"app": "pg"}},
                "spec": {
                    "securityContext": {"fsGroup": 999},
                    "containers": [{
                        "name": "postgres",
                        "image": "postgres:16",
                        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]
                    }]
                }
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "gp3",
                    "resources": {"requests": {"storage": "20Gi"}}
                }
            }]
        }
    })
}

/// The rule codes `kstor lint` reports for one object.
fn lint_codes(object: &Value) -> Vec<String> {
    let output = Command::new(assert_cmd::cargo::cargo_bin("kstor"))
        .args(["lint", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(object.to_string().as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut codes: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

/// The object with a /mutate response's patch applied, as the API server applies it.
fn patched(object: &Value, response: &Value) -> Value {
    use base64::Engine as _;
    assert_eq!(response["patchType"], "JSONPatch", "{response}");
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(response["patch"].as_str().unwrap()).unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut object = object.clone();
    json_patch::patch(&mut object, &patch).unwrap();
    object
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutate_applies_the_safe_fixes_the_policy_opts_in() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    // KS302 has a safe fix too, but the policy does not opt it in.
    let server = Server::start(&api, Some("mutate: [fsgroup-without-change-policy]\n"));
    server.wait_ready().await;
    let post = |body: Value| {
        let server = &server;
        async move {
            let (status, text) = server.post("/mutate", body.to_string().as_bytes()).await;
            assert_eq!(status, 200, "{text}");
            let answer: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(answer["response"]["uid"], body["request"]["uid"]);
            answer["response"].clone()
        }
    };

    let object = postgres_statefulset();
    let before = lint_codes(&object);
    assert_eq!(before, ["KS302", "KS302", "KS503"]);
    let response = post(review("m1", "apps", "StatefulSet", "data", object.clone(), false)).await;
    assert_eq!(response["allowed"], true);
    let fixed = patched(&object, &response);
    assert_eq!(fixed["spec"]["template"]["spec"]["securityContext"]["fsGroupChangePolicy"], "OnRootMismatch");
    // The mutated rule is clean; the rule the policy did not opt in is untouched.
    assert_eq!(
        fixed["spec"]["persistentVolumeClaimRetentionPolicy"],
        object["spec"]["persistentVolumeClaimRetentionPolicy"]
    );
    assert_eq!(lint_codes(&fixed), ["KS302", "KS302"]);
    let warnings = response["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().starts_with("kstor mutated: KS503")), "{response}");

    // Nothing to fix: allowed without a patch. A dry run patches but is not counted.
    let clean = post(review("m2", "apps", "StatefulSet", "data", fixed.clone(), false)).await;
    assert_eq!(clean, json!({"uid": "m2", "allowed": true}));
    let dry = post(review("m3", "apps", "StatefulSet", "data", object.clone(), true)).await;
    assert_eq!(patched(&object, &dry), fixed);
    // A pod's spec is immutable: an UPDATE is never patched.
    let mut update = review(
        "m4",
        "",
        "Pod",
        "data",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "data"}, "spec": {"securityContext": {"fsGroup": 1}, "containers": [{"name": "c", "image": "busybox"}]}}),
        false,
    );
    update["request"]["operation"] = json!("UPDATE");
    assert_eq!(post(update).await, json!({"uid": "m4", "allowed": true}));

    let metrics = server.metrics().await;
    assert_eq!(sample(&metrics, "kstor_mutations_total{rule=\"KS503\"}"), 1.0, "{metrics}");
    assert!(!metrics.contains("kstor_mutations_total{rule=\"KS302\"}"), "{metrics}");
    assert!(metrics.contains("kstor_mutation_requests_total{"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mutate_rules_the_mutating_endpoint_changes_nothing() {
    let api = FakeApi::start(recorded_lists(), false, false).await;
    let server = Server::start(&api, None);
    server.wait_ready().await;
    let body = review("n1", "apps", "StatefulSet", "data", postgres_statefulset(), false);
    let (status, text) = server.post("/mutate", body.to_string().as_bytes()).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["response"], json!({"uid": "n1", "allowed": true}));
    // Both opted-in rules, by code and by name: every safe fix lands in one patch.
    drop(server);
    let server = Server::start(&api, Some("mutate: [KS503, statefulset-retention-deletes-claims]\n"));
    server.wait_ready().await;
    let object = postgres_statefulset();
    let body = review("n2", "apps", "StatefulSet", "data", object.clone(), false);
    let (_, text) = server.post("/mutate", body.to_string().as_bytes()).await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    let fixed = patched(&object, &answer["response"]);
    assert_eq!(
        fixed["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    assert_eq!(lint_codes(&fixed), Vec::<String>::new());
    let metrics = server.metrics().await;
    // Two KS302 findings (whenDeleted, whenScaled), two fixes.
    assert_eq!(sample(&metrics, "kstor_mutations_total{rule=\"KS302\"}"), 2.0, "{metrics}");
    assert_eq!(server.post("/mutate", b"{nope").await.0, 400);
}
