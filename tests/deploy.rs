//! The deployment artifacts of `kstor serve`: the plain manifests in `deploy/webhook/` and the
//! Helm chart in `charts/kstor/`. Every manifest, and the chart rendered with and without
//! cert-manager, validates offline against the Kubernetes 1.30 and 1.37 schemas
//! (kubernetes-validate) and lints clean with kstor itself; the chart honours its values and,
//! with its defaults, renders the same objects as the plain manifests; `kstor serve`'s own
//! policy reader accepts every policy as documented; every webhook configuration fails open,
//! fast, without side effects, and never judges its own namespace.
//!
//! External tools: `kubernetes-validate` ($KUBERNETES_VALIDATE, else on PATH) and `helm`
//! ($HELM, else on PATH). Without them a test prints `SKIPPED: …` and passes, unless `CI` is
//! set (.ci/run installs both), where it fails.

#[path = "support/tools.rs"]
mod tools;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use tools::{helm, kubernetes_validate};

use assert_cmd::Command;
use kstor_engine::{Action, Policy};
use kstor_model::yaml::{Node, Value, parse_stream};
use kstor_model::{Limits, Workspace};
use kstor_rules::Severity;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn webhook_dir() -> PathBuf {
    root().join("deploy/webhook")
}

fn chart_dir() -> PathBuf {
    root().join("charts/kstor")
}

/// The namespace of the plain manifests, and the one the chart is rendered into here.
const NAMESPACE: &str = "kstor-system";

/// Every .yaml/.yml file under `dir`, recursively, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `helm template kstor charts/kstor --namespace kstor-system <args>`, written to `dir/<name>`.
fn render(helm: &Path, dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = Process::new(helm)
        .args(["template", "kstor"])
        .arg(chart_dir())
        .args(["--namespace", NAMESPACE])
        .args(args)
        // Keep Helm's cache and configuration out of the developer's home.
        .env("HELM_CACHE_HOME", dir.join("helm/cache"))
        .env("HELM_CONFIG_HOME", dir.join("helm/config"))
        .env("HELM_DATA_HOME", dir.join("helm/data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "helm template {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// The chart's two modes, as the tests render them.
const MODES: [(&str, &[&str]); 2] =
    [("chart-default.yaml", &[]), ("chart-cert-manager.yaml", &["--set", "certManager.enabled=true"])];

/// The objects of some files, parsed by kstor's own loader (no syntax errors allowed).
fn load(files: &[PathBuf]) -> Workspace {
    let mut workspace = Workspace::default();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        workspace.add_text(&file.display().to_string(), text, &Limits::default());
    }
    assert!(workspace.diagnostics.is_empty(), "{files:?}: {:?}", workspace.diagnostics);
    assert!(!workspace.objects.is_empty(), "{files:?}: no objects");
    workspace
}

fn of_kind<'w>(workspace: &'w Workspace, kind: &str) -> Vec<Node<'w>> {
    workspace.objects.iter().filter(|o| o.reference.kind == kind).map(|o| o.root()).collect()
}

fn one<'w>(workspace: &'w Workspace, kind: &str) -> Node<'w> {
    let found = of_kind(workspace, kind);
    assert_eq!(found.len(), 1, "exactly one {kind}");
    found[0]
}

/// The node at a dotted path of mapping keys and sequence indices (`spec.webhooks.0.name`).
fn at<'t>(node: Node<'t>, path: &str) -> Node<'t> {
    let mut current = node;
    for segment in path.split('.') {
        let next = match segment.parse::<usize>() {
            Ok(index) => current.as_seq().and_then(|s| s.get(index)),
            Err(_) => current.get(segment),
        };
        current = next.unwrap_or_else(|| panic!("no {path} (at {segment})"));
    }
    current
}

fn str_at<'t>(node: Node<'t>, path: &str) -> &'t str {
    at(node, path).as_str().unwrap_or_else(|| panic!("{path} is not a string"))
}

fn int_at(node: Node<'_>, path: &str) -> i64 {
    match at(node, path).value() {
        Value::Int(i) => i,
        _ => panic!("{path} is not an integer"),
    }
}

fn strs(node: Node<'_>) -> Vec<&str> {
    node.as_seq().expect("a sequence").iter().map(|n| n.as_str().expect("a string")).collect()
}

/// A canonical text of a value: mapping keys sorted, keys in `skip` left out at any depth.
/// Equal texts mean equal values, whatever the formatting, key order and comments.
fn canon(node: Node<'_>, skip: &[&str]) -> String {
    match node.value() {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::Seq(seq) => {
            format!("[{}]", seq.iter().map(|n| canon(n, skip)).collect::<Vec<_>>().join(", "))
        }
        Value::Map(map) => {
            let mut entries: Vec<String> = map
                .iter()
                .filter(|e| !skip.contains(&e.key))
                .map(|e| format!("{}: {}", e.key, canon(e.value, skip)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Runs kubernetes-validate --strict on `files` for each Kubernetes version; only the
/// cert-manager kinds may lack a schema, and every other object must pass.
fn validate(validator: &Path, files: &[PathBuf]) {
    let workspace = load(files);
    let cert_manager = workspace.objects.iter().filter(|o| o.reference.group() == "cert-manager.io").count();
    let core = workspace.objects.len() - cert_manager;
    // The oldest Kubernetes the manifests support (the preStop sleep action is on by default
    // from 1.30) and the newest the validator knows.
    for version in ["1.30.0", "1.37.0"] {
        let out = Process::new(validator).args(["--strict", "-k", version]).args(files).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ERROR")).collect();
        assert!(
            errors.is_empty() && out.status.success(),
            "Kubernetes {version}: {:?}\n{stdout}\n{stderr}",
            out.status
        );
        let skipped: Vec<&&str> = lines.iter().filter(|l| l.contains("Couldn't find schema")).collect();
        assert!(
            skipped.iter().all(|l| l.contains("kind Issuer ") || l.contains("kind Certificate ")),
            "Kubernetes {version}: only cert-manager kinds may lack a schema: {skipped:?}"
        );
        assert_eq!(skipped.len(), cert_manager, "Kubernetes {version}: {skipped:?}");
        let passed = lines.iter().filter(|l| l.contains("passed for resource")).count();
        assert_eq!(passed, core, "Kubernetes {version}: objects validated\n{stdout}");
    }
}

#[test]
fn plain_manifests_validate_against_the_kubernetes_schemas() {
    let Some(validator) = kubernetes_validate() else { return };
    let files = yaml_files(&webhook_dir());
    assert!(files.len() >= 10, "{files:?}");
    validate(&validator, &files);
}

#[test]
fn rendered_chart_validates_against_the_kubernetes_schemas_in_both_modes() {
    let Some(validator) = kubernetes_validate() else { return };
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in MODES {
        let file = render(&helm, dir.path(), name, args);
        validate(&validator, &[file]);
    }
}

/// `kstor lint --no-config --fail-on warning <path>`: nothing at warning or above.
fn lint_clean(path: &Path) {
    let out = Command::cargo_bin("kstor")
        .unwrap()
        .args(["lint", "--no-config", "--fail-on", "warning", "--color", "never"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "kstor lint {}:\n{stdout}\n{stderr}", path.display());
    // Info findings are allowed, but shown, so a reviewer sees the advice.
    eprintln!("kstor lint {}: {}", path.display(), stdout.trim());
}

#[test]
fn kstor_lints_the_plain_manifests_clean() {
    lint_clean(&webhook_dir());
}

#[test]
fn kstor_lints_the_rendered_chart_clean_in_both_modes() {
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in MODES {
        lint_clean(&render(&helm, dir.path(), name, args));
    }
}

/// The resources the webhook is called for, as (API group, resource).
const WEBHOOK_RESOURCES: [(&str, &str); 13] = [
    ("", "pods"),
    ("", "persistentvolumeclaims"),
    ("", "persistentvolumes"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("snapshot.storage.k8s.io", "volumesnapshotclasses"),
    ("snapshot.storage.k8s.io", "volumesnapshots"),
];

/// The resources the server watches, as (API group, resource): read-only access to these only.
const WATCHED_RESOURCES: [(&str, &str); 7] = [
    ("", "persistentvolumes"),
    ("", "persistentvolumeclaims"),
    ("", "nodes"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("snapshot.storage.k8s.io", "volumesnapshotclasses"),
    ("snapshot.storage.k8s.io", "volumesnapshots"),
];

fn resource_set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs.iter().map(|(g, r)| (g.to_string(), r.to_string())).collect()
}

/// Every (API group, resource) pair of a list of RBAC or webhook rules.
fn rule_resources(rules: Node<'_>) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for rule in rules.as_seq().expect("rules").iter() {
        for group in strs(at(rule, "apiGroups")) {
            for resource in strs(at(rule, "resources")) {
                pairs.insert((group.to_string(), resource.to_string()));
            }
        }
    }
    pairs
}

/// The `cert-manager.io/inject-ca-from` annotation (keys with dots: no `at` path).
fn inject_ca_from<'t>(object: Node<'t>) -> Option<&'t str> {
    at(object, "metadata").get("annotations")?.get_str("cert-manager.io/inject-ca-from")
}

/// The settings every webhook configuration must keep: fail open (unless a test overrides it),
/// no side effects, 5 s, v1 reviews, equivalent versions, its own namespace excluded, CREATE
/// and UPDATE on exactly the storage-relevant resources, sent to the Service's /validate.
fn check_webhook_configuration(config: Node<'_>, failure_policy: &str, timeout: i64, what: &str) {
    let path = if str_at(config, "kind") == "MutatingWebhookConfiguration" { "/mutate" } else { "/validate" };
    let webhooks = at(config, "webhooks").as_seq().unwrap();
    assert!(!webhooks.is_empty(), "{what}: no webhooks");
    for webhook in webhooks.iter() {
        let what = format!("{what}, webhook {}", str_at(webhook, "name"));
        assert_eq!(str_at(webhook, "failurePolicy"), failure_policy, "{what}");
        assert_eq!(str_at(webhook, "sideEffects"), "None", "{what}");
        assert_eq!(int_at(webhook, "timeoutSeconds"), timeout, "{what}");
        assert_eq!(strs(at(webhook, "admissionReviewVersions")), ["v1"], "{what}");
        assert_eq!(str_at(webhook, "matchPolicy"), "Equivalent", "{what}");
        let excludes_own_namespace =
            at(webhook, "namespaceSelector.matchExpressions").as_seq().unwrap().iter().any(|e| {
                str_at(e, "key") == "kubernetes.io/metadata.name"
                    && str_at(e, "operator") == "NotIn"
                    && strs(at(e, "values")).contains(&NAMESPACE)
            });
        assert!(excludes_own_namespace, "{what}: the namespaceSelector must exclude {NAMESPACE}");
        assert_eq!(str_at(webhook, "clientConfig.service.name"), "kstor", "{what}");
        assert_eq!(str_at(webhook, "clientConfig.service.namespace"), NAMESPACE, "{what}");
        assert_eq!(str_at(webhook, "clientConfig.service.path"), path, "{what}");
        assert_eq!(int_at(webhook, "clientConfig.service.port"), 443, "{what}");
        for rule in at(webhook, "rules").as_seq().unwrap().iter() {
            assert_eq!(strs(at(rule, "operations")), ["CREATE", "UPDATE"], "{what}");
            assert_eq!(strs(at(rule, "apiVersions")), ["v1"], "{what}");
        }
        assert_eq!(
            rule_resources(at(webhook, "rules")),
            resource_set(&WEBHOOK_RESOURCES),
            "{what}: the resources sent to the webhook"
        );
    }
}

/// The objects of `kstor serve` besides the webhook configuration: read-only RBAC on exactly
/// the watched resources; a hardened Deployment with probes on the metrics port and the TLS
/// Secret and the policy mounted as directories; the PodDisruptionBudget; the Service ports;
/// everything namespaced in kstor-system.
fn check_server_objects(workspace: &Workspace, replicas: i64, what: &str) {
    let role = one(workspace, "ClusterRole");
    for rule in at(role, "rules").as_seq().unwrap().iter() {
        assert_eq!(strs(at(rule, "verbs")), ["get", "list", "watch"], "{what}: read-only");
    }
    assert_eq!(rule_resources(at(role, "rules")), resource_set(&WATCHED_RESOURCES), "{what}: RBAC");
    let binding = one(workspace, "ClusterRoleBinding");
    assert_eq!(str_at(binding, "roleRef.name"), str_at(role, "metadata.name"), "{what}");
    assert_eq!(str_at(binding, "subjects.0.name"), "kstor", "{what}");
    assert_eq!(str_at(binding, "subjects.0.namespace"), NAMESPACE, "{what}");

    let deployment = one(workspace, "Deployment");
    assert_eq!(int_at(deployment, "spec.replicas"), replicas, "{what}");
    let pod = at(deployment, "spec.template.spec");
    assert_eq!(str_at(pod, "serviceAccountName"), "kstor", "{what}");
    assert!(matches!(at(pod, "securityContext.runAsNonRoot").value(), Value::Bool(true)), "{what}");
    assert_eq!(str_at(pod, "securityContext.seccompProfile.type"), "RuntimeDefault", "{what}");
    let anti_affinity = at(pod, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution");
    assert_eq!(str_at(anti_affinity, "0.podAffinityTerm.topologyKey"), "kubernetes.io/hostname", "{what}");
    assert!(!at(pod, "topologySpreadConstraints").as_seq().unwrap().is_empty(), "{what}");
    let container = at(pod, "containers.0");
    assert_eq!(at(pod, "containers").as_seq().unwrap().len(), 1, "{what}");
    let security = at(container, "securityContext");
    assert!(matches!(at(security, "readOnlyRootFilesystem").value(), Value::Bool(true)), "{what}");
    assert!(matches!(at(security, "allowPrivilegeEscalation").value(), Value::Bool(false)), "{what}");
    assert!(matches!(at(security, "runAsNonRoot").value(), Value::Bool(true)), "{what}");
    assert_eq!(strs(at(security, "capabilities.drop")), ["ALL"], "{what}");
    for resource in ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] {
        at(container, &format!("resources.{resource}"));
    }
    let args = strs(at(container, "args"));
    assert_eq!(
        args,
        [
            "serve",
            "--tls-cert=/tls/tls.crt",
            "--tls-key=/tls/tls.key",
            "--config=/config/policy.yaml",
            "--listen=0.0.0.0:8443",
            "--metrics-listen=0.0.0.0:9090",
        ],
        "{what}"
    );
    let ports: Vec<(&str, i64)> = at(container, "ports")
        .as_seq()
        .unwrap()
        .iter()
        .map(|p| (str_at(p, "name"), int_at(p, "containerPort")))
        .collect();
    assert_eq!(ports, [("https", 8443), ("metrics", 9090)], "{what}");
    assert_eq!(str_at(container, "livenessProbe.httpGet.path"), "/healthz", "{what}");
    assert_eq!(str_at(container, "livenessProbe.httpGet.port"), "metrics", "{what}");
    assert_eq!(str_at(container, "readinessProbe.httpGet.path"), "/readyz", "{what}");
    assert_eq!(str_at(container, "readinessProbe.httpGet.port"), "metrics", "{what}");
    let mounts: Vec<(&str, &str)> = at(container, "volumeMounts")
        .as_seq()
        .unwrap()
        .iter()
        .map(|m| {
            // A subPath mount never sees Secret updates: certificate rotation would not arrive.
            assert!(m.get("subPath").is_none(), "{what}: subPath mount");
            (str_at(m, "name"), str_at(m, "mountPath"))
        })
        .collect();
    assert_eq!(mounts, [("tls", "/tls"), ("config", "/config")], "{what}");
    assert_eq!(str_at(pod, "volumes.0.name"), "tls", "{what}");
    assert_eq!(str_at(pod, "volumes.0.secret.secretName"), "kstor-webhook-tls", "{what}");
    assert_eq!(str_at(pod, "volumes.1.name"), "config", "{what}");
    let config_map = one(workspace, "ConfigMap");
    assert_eq!(str_at(pod, "volumes.1.configMap.name"), str_at(config_map, "metadata.name"), "{what}");
    at(config_map, "data").get("policy.yaml").unwrap_or_else(|| panic!("{what}: no policy.yaml"));

    assert_eq!(int_at(one(workspace, "PodDisruptionBudget"), "spec.minAvailable"), 1, "{what}");
    let service = one(workspace, "Service");
    assert_eq!(str_at(service, "metadata.name"), "kstor", "{what}");
    let ports: Vec<(&str, i64, &str)> = at(service, "spec.ports")
        .as_seq()
        .unwrap()
        .iter()
        .map(|p| (str_at(p, "name"), int_at(p, "port"), str_at(p, "targetPort")))
        .collect();
    assert_eq!(ports, [("https", 443, "https"), ("metrics", 9090, "metrics")], "{what}");

    for object in &workspace.objects {
        let cluster_scoped =
            ["Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration"]
                .contains(&object.reference.kind.as_str());
        let namespace = object.reference.namespace.as_deref();
        let expected = if cluster_scoped { None } else { Some(NAMESPACE) };
        assert_eq!(namespace, expected, "{what}: {}", object.reference);
    }
}

/// The cert-manager objects: a self-signed Issuer signs a CA Certificate, whose Secret a CA
/// Issuer signs the serving Certificate with; the serving Certificate writes the Secret the
/// pods mount, for the Service's DNS name; the webhook configuration injects its CA.
fn check_cert_manager(workspace: &Workspace, what: &str) {
    let certificates = of_kind(workspace, "Certificate");
    let issuers = of_kind(workspace, "Issuer");
    assert_eq!(certificates.len(), 2, "{what}: a CA and a serving certificate");
    assert_eq!(issuers.len(), 2, "{what}: a self-signed and a CA issuer");
    let is_ca =
        |c: &Node<'_>| matches!(at(*c, "spec").get("isCA").map(|n| n.value()), Some(Value::Bool(true)));
    let ca = certificates.iter().find(|c| is_ca(c)).unwrap_or_else(|| panic!("{what}: no CA"));
    let serving = certificates.iter().find(|c| !is_ca(c)).unwrap_or_else(|| panic!("{what}: no serving"));
    let issuer_named = |name: &str| {
        *issuers
            .iter()
            .find(|i| str_at(**i, "metadata.name") == name)
            .unwrap_or_else(|| panic!("{what}: {name}"))
    };
    assert!(
        issuer_named(str_at(*ca, "spec.issuerRef.name")).get("spec").unwrap().get("selfSigned").is_some()
    );
    let ca_issuer = issuer_named(str_at(*serving, "spec.issuerRef.name"));
    assert_eq!(str_at(ca_issuer, "spec.ca.secretName"), str_at(*ca, "spec.secretName"), "{what}");
    assert_eq!(str_at(*serving, "spec.secretName"), "kstor-webhook-tls", "{what}");
    assert!(strs(at(*serving, "spec.dnsNames")).contains(&"kstor.kstor-system.svc"), "{what}");
    let expected = format!("{NAMESPACE}/{}", str_at(*serving, "metadata.name"));
    let config = one(workspace, "ValidatingWebhookConfiguration");
    assert_eq!(inject_ca_from(config), Some(expected.as_str()), "{what}");
}

#[test]
fn the_mutating_webhook_is_off_by_default_and_the_chart_renders_the_plain_one() {
    let plain = load(&yaml_files(&webhook_dir().join("mutating")));
    let config = one(&plain, "MutatingWebhookConfiguration");
    check_webhook_configuration(config, "Ignore", 5, "deploy/webhook/mutating");
    assert_eq!(str_at(config, "webhooks.0.reinvocationPolicy"), "Never");
    assert!(of_kind(&load(&top_level_manifests()), "MutatingWebhookConfiguration").is_empty());
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let default = load(&[render(&helm, dir.path(), "default.yaml", &[])]);
    assert!(of_kind(&default, "MutatingWebhookConfiguration").is_empty(), "off by default");
    let args = ["--set", "mutatingWebhook.enabled=true"];
    let enabled = load(&[render(&helm, dir.path(), "mutating.yaml", &args)]);
    let rendered = one(&enabled, "MutatingWebhookConfiguration");
    assert_eq!(canon(rendered, &HELM_METADATA), canon(config, &HELM_METADATA));
    assert_eq!(inject_ca_from(rendered), None);
    let args = ["--set", "mutatingWebhook.enabled=true", "--set", "certManager.enabled=true"];
    let with_cert_manager = load(&[render(&helm, dir.path(), "mutating-cm.yaml", &args)]);
    let rendered = one(&with_cert_manager, "MutatingWebhookConfiguration");
    assert_eq!(inject_ca_from(rendered), Some("kstor-system/kstor-webhook"));
    // The policy the chart renders lists no mutations until the user opts rules in.
    let (_, _, policy) = policy_of(&enabled);
    assert!(policy.mutated_rules().is_empty());
    let args = ["--set", "mutatingWebhook.enabled=true", "--set", "policy.mutate={KS503,KS302}"];
    let opted = load(&[render(&helm, dir.path(), "mutating-rules.yaml", &args)]);
    assert_eq!(policy_of(&opted).2.mutated_rules(), ["KS503", "KS302"]);
}

/// deploy/webhook/*.yaml, without the cert-manager/ folder.
fn top_level_manifests() -> Vec<PathBuf> {
    yaml_files(&webhook_dir()).into_iter().filter(|f| f.parent() == Some(webhook_dir().as_path())).collect()
}

fn cert_manager_manifests() -> Vec<PathBuf> {
    yaml_files(&webhook_dir().join("cert-manager"))
}

#[test]
fn plain_manifests_keep_the_webhook_contract() {
    let all = load(&yaml_files(&webhook_dir()));
    let configs = of_kind(&all, "ValidatingWebhookConfiguration");
    assert_eq!(configs.len(), 2, "the plain webhook configuration and its cert-manager variant");
    for config in &configs {
        check_webhook_configuration(*config, "Ignore", 5, "deploy/webhook");
    }
    // The cert-manager variant is the same object plus the inject-ca-from annotation.
    assert_eq!(canon(configs[0], &["annotations"]), canon(configs[1], &["annotations"]));

    let plain = load(&top_level_manifests());
    check_server_objects(&plain, 2, "deploy/webhook");
    let config = one(&plain, "ValidatingWebhookConfiguration");
    assert_eq!(inject_ca_from(config), None);
    assert!(
        at(config, "webhooks.0.clientConfig").get("caBundle").is_none(),
        "set by the user or cert-manager"
    );
    let namespace = one(&plain, "Namespace");
    assert_eq!(str_at(namespace, "metadata.name"), NAMESPACE);
    assert_eq!(
        at(namespace, "metadata.labels").get_str("pod-security.kubernetes.io/enforce"),
        Some("restricted")
    );

    check_cert_manager(&load(&cert_manager_manifests()), "deploy/webhook/cert-manager");
}

#[test]
fn chart_keeps_the_webhook_contract_in_both_modes() {
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in MODES {
        let workspace = load(&[render(&helm, dir.path(), name, args)]);
        let config = one(&workspace, "ValidatingWebhookConfiguration");
        check_webhook_configuration(config, "Ignore", 5, name);
        check_server_objects(&workspace, 2, name);
        assert!(of_kind(&workspace, "Namespace").is_empty(), "{name}: helm --create-namespace makes it");
        assert!(at(config, "webhooks.0.clientConfig").get("caBundle").is_none(), "{name}");
        if args.is_empty() {
            assert!(of_kind(&workspace, "Certificate").is_empty(), "{name}");
            assert!(of_kind(&workspace, "Issuer").is_empty(), "{name}");
            assert_eq!(inject_ca_from(config), None, "{name}");
        } else {
            check_cert_manager(&workspace, name);
        }
    }
}

/// Keys left out when comparing the chart's objects with the plain manifests: Helm adds its
/// own labels (and selects on them) and a checksum annotation; comments and layout never count.
const HELM_METADATA: [&str; 4] = ["labels", "annotations", "matchLabels", "selector"];

/// The objects of some workspaces by (kind, name), in canonical text; the ConfigMap's policy
/// document compared as YAML, not as text. Later workspaces replace earlier ones' objects.
fn canonical_objects(workspaces: &[&Workspace]) -> std::collections::BTreeMap<(String, String), String> {
    let mut objects = std::collections::BTreeMap::new();
    for workspace in workspaces {
        for object in &workspace.objects {
            let mut text = canon(object.root(), &HELM_METADATA);
            if let Some(data) = object.root().get("data").and_then(|d| d.as_map()) {
                let skip: Vec<&str> = HELM_METADATA.iter().copied().chain(["data"]).collect();
                text = canon(object.root(), &skip);
                for entry in data.iter() {
                    let stream = parse_stream(entry.value.as_str().unwrap(), &Limits::default());
                    assert!(stream.errors.is_empty(), "{}: {:?}", object.reference, stream.errors);
                    text.push_str(&format!("\n{}: {}", entry.key, canon(stream.root(0), &[])));
                }
            }
            objects.insert((object.reference.kind.clone(), object.reference.name.clone()), text);
        }
    }
    objects
}

fn assert_same_objects(chart: &Workspace, plain: &[&Workspace], what: &str) {
    let chart = canonical_objects(&[chart]);
    let plain = canonical_objects(plain);
    assert_eq!(chart.keys().collect::<Vec<_>>(), plain.keys().collect::<Vec<_>>(), "{what}: objects");
    for (key, text) in &plain {
        let (chart, plain): (Vec<char>, Vec<char>) = (chart[key].chars().collect(), text.chars().collect());
        if chart != plain {
            // Where the canonical texts part, with some context on either side.
            let at = chart.iter().zip(&plain).take_while(|(a, b)| a == b).count();
            let from = at.saturating_sub(100);
            let excerpt = |c: &[char]| c[from.min(c.len())..c.len().min(at + 60)].iter().collect::<String>();
            panic!(
                "{what}: {key:?} differs between the chart and deploy/webhook/ (labels, annotations and \
                 selectors aside):\n  chart: …{}…\n  plain: …{}…",
                excerpt(&chart),
                excerpt(&plain)
            );
        }
    }
}

#[test]
fn chart_renders_the_plain_manifests() {
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let plain = load(&top_level_manifests());
    let cert_manager = load(&cert_manager_manifests());

    // Default values: deploy/webhook/*.yaml, without the Namespace (helm --create-namespace).
    let default = load(&[render(&helm, dir.path(), "default.yaml", &[])]);
    let mut without_namespace = load(&top_level_manifests());
    without_namespace.objects.retain(|o| o.reference.kind != "Namespace");
    assert_same_objects(&default, &[&without_namespace], "default values");

    // With cert-manager and the Namespace: all of deploy/webhook/, the cert-manager variant of
    // the webhook configuration included, down to its annotation.
    let args = ["--set", "certManager.enabled=true", "--set", "namespace.create=true"];
    let full = load(&[render(&helm, dir.path(), "full.yaml", &args)]);
    assert_same_objects(&full, &[&plain, &cert_manager], "certManager.enabled, namespace.create");
    assert_eq!(
        inject_ca_from(one(&full, "ValidatingWebhookConfiguration")),
        inject_ca_from(one(&cert_manager, "ValidatingWebhookConfiguration"))
    );
    let namespace = one(&full, "Namespace");
    assert_eq!(
        at(namespace, "metadata.labels").get_str("pod-security.kubernetes.io/enforce"),
        Some("restricted")
    );
}

/// The policy document of a ConfigMap: its text, its YAML, and the server's reading of it
/// (`kstor serve` refuses to start on a policy it cannot read).
fn policy_of(workspace: &Workspace) -> (String, kstor_model::yaml::ParsedStream, Policy) {
    let text = at(one(workspace, "ConfigMap"), "data").get_str("policy.yaml").unwrap().to_string();
    let stream = parse_stream(&text, &Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    let policy = Policy::parse("policy.yaml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, stream, policy)
}

fn no_labels(_: &str) -> Option<String> {
    None
}

/// The documented default: errors deny, warnings warn, info and KS702 ignored, kube-system
/// left alone, every other namespace and object judged.
fn check_default_policy(policy: &Policy, what: &str) {
    assert_eq!(policy.action("KS201", Severity::Error), Action::Deny, "{what}");
    assert_eq!(policy.action("KS101", Severity::Warning), Action::Warn, "{what}");
    assert_eq!(policy.action("KS205", Severity::Info), Action::Ignore, "{what}");
    assert_eq!(policy.action("KS702", Severity::Info), Action::Ignore, "{what}");
    assert!(!policy.applies("kube-system", &no_labels), "{what}");
    assert!(policy.applies("shop", &no_labels), "{what}");
    assert!(policy.applies("", &no_labels), "{what}: cluster-scoped objects");
}

#[test]
fn the_server_reads_the_plain_policy_as_documented() {
    let (_, _, policy) = policy_of(&load(&top_level_manifests()));
    check_default_policy(&policy, "deploy/webhook/configmap.yaml");
}

#[test]
fn chart_honours_its_values() {
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().unwrap();
    let set = [
        "replicas=3",
        "failurePolicy=Fail",
        "timeoutSeconds=3",
        "excludeNamespaces={kube-system,monitoring}",
        "caBundle=Q0EK",
        "image.repository=registry.example/kstor",
        "image.tag=1.2.3",
        "image.pullPolicy=Always",
        "preStopSleepSeconds=0",
        "resources.limits.memory=1Gi",
        "policy.severity.warning=deny",
        "policy.rules.KS702=null",
        "policy.rules.rwx-for-database=warn",
        "policy.namespaces.exclude={kube-system,monitoring}",
    ];
    let args: Vec<&str> = set.iter().flat_map(|s| ["--set", *s]).collect();
    let file = render(&helm, dir.path(), "values.yaml", &args);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\n  replicas: 3\n"), "{text}");
    assert!(text.contains("\n    failurePolicy: Fail\n"), "{text}");
    assert!(text.contains("rwx-for-database: warn"), "{text}");

    let workspace = load(&[file]);
    check_server_objects(&workspace, 3, "--set");
    let config = one(&workspace, "ValidatingWebhookConfiguration");
    check_webhook_configuration(config, "Fail", 3, "--set");
    assert_eq!(
        strs(at(config, "webhooks.0.namespaceSelector.matchExpressions.0.values")),
        [NAMESPACE, "kube-system", "monitoring"]
    );
    assert_eq!(str_at(config, "webhooks.0.clientConfig.caBundle"), "Q0EK");
    let container = at(one(&workspace, "Deployment"), "spec.template.spec.containers.0");
    assert_eq!(str_at(container, "image"), "registry.example/kstor:1.2.3");
    assert_eq!(str_at(container, "imagePullPolicy"), "Always");
    assert!(container.get("lifecycle").is_none(), "preStopSleepSeconds=0 drops the hook");
    assert_eq!(str_at(container, "resources.limits.memory"), "1Gi");
    assert_eq!(str_at(container, "resources.requests.memory"), "128Mi", "defaults merge");

    // The policy lands in the ConfigMap, merged key by key with the defaults, and the server
    // reads it so: a rule override by name, a severity changed, the namespace list replaced.
    let (policy_text, policy, server_policy) = policy_of(&workspace);
    assert_eq!(server_policy.action("KS201", Severity::Error), Action::Warn, "{policy_text}");
    assert_eq!(server_policy.action("KS101", Severity::Warning), Action::Deny, "{policy_text}");
    assert!(!server_policy.applies("monitoring", &no_labels), "{policy_text}");
    let policy = policy.root(0);
    assert_eq!(str_at(policy, "severity.error"), "deny", "{policy_text}");
    assert_eq!(str_at(policy, "severity.warning"), "deny", "{policy_text}");
    assert_eq!(str_at(policy, "severity.info"), "ignore", "{policy_text}");
    assert_eq!(canon(at(policy, "rules"), &[]), r#"{rwx-for-database: "warn"}"#, "{policy_text}");
    assert_eq!(strs(at(policy, "namespaces.exclude")), ["kube-system", "monitoring"], "{policy_text}");

    // With cert-manager, the CA comes from the injector, never from the caBundle value.
    let args = ["--set", "certManager.enabled=true", "--set", "caBundle=Q0EK"];
    let workspace = load(&[render(&helm, dir.path(), "cert-manager.yaml", &args)]);
    let config = one(&workspace, "ValidatingWebhookConfiguration");
    assert!(at(config, "webhooks.0.clientConfig").get("caBundle").is_none());
    check_cert_manager(&workspace, "--set certManager.enabled=true");

    // The default policy is the documented one (the plain ConfigMap's, compared as YAML).
    let workspace = load(&[render(&helm, dir.path(), "default.yaml", &[])]);
    let plain = load(&top_level_manifests());
    let (_, chart_policy, server_policy) = policy_of(&workspace);
    let (_, plain_policy, _) = policy_of(&plain);
    assert_eq!(canon(chart_policy.root(0), &[]), canon(plain_policy.root(0), &[]));
    check_default_policy(&server_policy, "the chart's default policy");
}
