//! The live path against a fake API server on 127.0.0.1 that serves the recorded objects of
//! `tests/data/` under real API paths, with pagination, a 403, a 404 group and token auth.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Behaviour, TOKEN};
use kstor_live::{FetchOptions, Fetched, LiveError, RESOURCES, fetch, fetch_blocking};
use serde_json::Value;

fn options(kubeconfig: &std::path::Path, context: &str) -> FetchOptions {
    FetchOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: Some(context.to_string()),
        request_timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

/// The recorded items of one resource, with `apiVersion` and `kind` as kubectl prints them.
fn expected_items(plural: &str, namespaces: &[&str]) -> Vec<Value> {
    let r = RESOURCES.iter().find(|r| r.plural == plural).unwrap();
    let recorded = common::recorded().into_iter().find(|l| l.plural == plural).unwrap();
    let mut items: Vec<Value> = recorded
        .items
        .into_iter()
        .filter(|i| {
            namespaces.is_empty() || namespaces.contains(&i["metadata"]["namespace"].as_str().unwrap_or(""))
        })
        .map(|item| {
            let mut typed = serde_json::Map::new();
            typed.insert("apiVersion".into(), r.api_version().into());
            typed.insert("kind".into(), r.kind.into());
            typed.extend(item.as_object().unwrap().clone());
            Value::Object(typed)
        })
        .collect();
    items.sort_by_key(|i| i["metadata"]["namespace"].as_str().unwrap_or("").to_string());
    items
}

/// The items of one resource's pages, typed as kubectl prints them (the loader does the same).
fn items_of(fetched: &Fetched, resource: &str) -> Vec<Value> {
    let list =
        fetched.lists.iter().find(|l| l.resource == resource).unwrap_or_else(|| panic!("no {resource}"));
    let mut items = Vec::new();
    for page in &list.pages {
        // Each page is the API server's answer, unchanged.
        let doc: Value = serde_json::from_str(page).unwrap();
        assert_eq!(doc["apiVersion"], list.api_version.as_str());
        assert_eq!(doc["kind"], format!("{}List", list.kind).as_str());
        for item in doc["items"].as_array().unwrap() {
            assert!(item.get("kind").is_none(), "the server's items carry no type");
            let mut typed = serde_json::Map::new();
            typed.insert("apiVersion".into(), list.api_version.as_str().into());
            typed.insert("kind".into(), list.kind.as_str().into());
            typed.extend(item.as_object().unwrap().clone());
            items.push(Value::Object(typed));
        }
    }
    assert_eq!(items.len(), list.count);
    items
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["metadata"]["namespace"].as_str().unwrap_or(""),
                i["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_the_cluster_through_the_chosen_context_with_pagination_403_and_404() {
    let api = common::start(Behaviour {
        forbidden: HashSet::from(["events".to_string()]),
        no_snapshot_group: true,
        ..Behaviour::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let staging = format!("http://{}", common::refused_addr());
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), &staging, TOKEN);
    let fetched = fetch(&FetchOptions { page_size: 3, ..options(&kubeconfig, "prod") }).await.unwrap();

    assert_eq!(fetched.context.as_deref(), Some("prod"));
    assert_eq!(fetched.server, api.url());

    // Every resource but the forbidden and the missing ones, in RESOURCES order.
    let listed: Vec<&str> = fetched.lists.iter().map(|l| l.resource.as_str()).collect();
    let expected: Vec<String> = RESOURCES
        .iter()
        .filter(|r| r.plural != "events" && r.group != "snapshot.storage.k8s.io")
        .map(|r| r.name())
        .collect();
    assert_eq!(listed, expected);

    // All items, each once, in the server's order, typed.
    for r in RESOURCES.iter().filter(|r| r.plural != "events" && r.group != "snapshot.storage.k8s.io") {
        let got = items_of(&fetched, &r.name());
        let want = expected_items(r.plural, &[]);
        assert_eq!(names(&got), names(&want), "{}", r.plural);
        assert_eq!(got, want, "{}", r.plural);
    }
    assert_eq!(items_of(&fetched, "pods").len(), 8);

    // Pods came in 3 pages of 3, 3, 2: the first without a token, then the tokens the server handed out.
    let requests = api.requests();
    let pod_requests: Vec<_> = requests.iter().filter(|r| r.path == "/api/v1/pods").collect();
    assert_eq!(pod_requests.len(), 3, "{pod_requests:#?}");
    let tokens: Vec<String> = api
        .tokens
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == "/api/v1/pods")
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_eq!(pod_requests[0].param("continue"), None);
    assert_eq!(pod_requests[1].param("continue"), Some(tokens[0].as_str()));
    assert_eq!(pod_requests[2].param("continue"), Some(tokens[1].as_str()));
    assert!(pod_requests.iter().all(|r| r.param("limit") == Some("3")));
    let pods = fetched.lists.iter().find(|l| l.resource == "pods").unwrap();
    assert_eq!(pods.pages.len(), 3, "each page is kept as the server sent it");
    let names: Vec<String> = pods.clone().into_documents().map(|(name, _)| name).collect();
    assert_eq!(names, ["GET pods", "GET pods (page 2)", "GET pods (page 3)"]);

    // 403 → one warning, the rest still read; 404 group → missing group, not an error.
    assert_eq!(fetched.forbidden.len(), 1, "{:?}", fetched.forbidden);
    let forbidden = &fetched.forbidden[0];
    assert_eq!(
        (forbidden.resource.as_str(), forbidden.verb.as_str(), &forbidden.namespace),
        ("events", "list", &None)
    );
    assert!(forbidden.message.contains("cannot list resource \"events\""), "{}", forbidden.message);
    assert_eq!(
        forbidden.to_string(),
        "not allowed to list events at the cluster scope (403 Forbidden); skipped"
    );
    assert_eq!(fetched.missing_groups, vec!["snapshot.storage.k8s.io".to_string()]);
    assert!(fetched.missing_resources.is_empty());

    // Read-only, and every request carried the prod context's token.
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:#?}");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}"))));
}

/// Everything served: the lists, concatenated, are the items of `tests/data/dump.json` (the
/// `kubectl get … -A -o json` of the same cluster).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_lists_together_are_the_kubectl_dump() {
    let api = common::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", TOKEN);
    let fetched = fetch(&options(&kubeconfig, "prod")).await.unwrap();
    assert!(fetched.forbidden.is_empty() && fetched.missing_groups.is_empty());
    assert_eq!(fetched.lists.len(), RESOURCES.len());

    let mut items = Vec::new();
    for list in &fetched.lists {
        items.extend(items_of(&fetched, &list.resource));
    }
    let dump: Value =
        serde_json::from_str(&std::fs::read_to_string(common::data_dir().join("dump.json")).unwrap())
            .unwrap();
    assert_eq!(dump["kind"], "List");
    let dump_items = dump["items"].as_array().unwrap();
    assert_eq!(names(&items), names(dump_items));
    assert_eq!(&items, dump_items);
    // One page each with the default page size.
    assert_eq!(api.requests().len(), RESOURCES.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_restrict_namespaced_lists_only() {
    let api =
        common::start(Behaviour { forbidden: HashSet::from(["events".to_string()]), ..Behaviour::default() })
            .await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", TOKEN);
    let namespaces = vec!["queues".to_string(), "data".to_string(), "queues".to_string()];
    let fetched = fetch(&FetchOptions { namespaces, ..options(&kubeconfig, "prod") }).await.unwrap();

    // Namespaced: only data and queues, merged in namespace order; cluster-scoped: everything.
    assert_eq!(names(&items_of(&fetched, "pods")), names(&expected_items("pods", &["data", "queues"])));
    assert_eq!(items_of(&fetched, "persistentvolumeclaims").len(), 5);
    assert_eq!(items_of(&fetched, "persistentvolumes").len(), 5);
    assert_eq!(items_of(&fetched, "nodes").len(), 3);
    assert!(items_of(&fetched, "daemonsets.apps").is_empty(), "ebs-csi-node lives in kube-system");

    let requests = api.requests();
    let paths: HashSet<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert!(
        paths.contains("/api/v1/namespaces/data/pods") && paths.contains("/api/v1/namespaces/queues/pods")
    );
    assert!(!paths.contains("/api/v1/pods") && !paths.contains("/api/v1/namespaces/kube-system/pods"));
    assert!(paths.contains("/api/v1/persistentvolumes"));
    assert_eq!(requests.iter().filter(|r| r.path == "/api/v1/namespaces/queues/pods").count(), 1);

    let forbidden: Vec<_> = fetched.forbidden.iter().map(|f| f.namespace.as_deref().unwrap()).collect();
    assert_eq!(forbidden, vec!["data", "queues"]);
    assert_eq!(
        fetched.forbidden[0].to_string(),
        "not allowed to list events in namespace data (403 Forbidden); skipped"
    );
    assert!(fetched.lists.iter().all(|l| l.resource != "events"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_missing_from_a_served_group_is_not_a_missing_group() {
    let api = common::start(Behaviour {
        missing: HashSet::from(["volumesnapshotcontents".to_string()]),
        ..Behaviour::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", TOKEN);
    let fetched = fetch(&options(&kubeconfig, "prod")).await.unwrap();
    assert!(fetched.missing_groups.is_empty());
    assert_eq!(fetched.missing_resources, vec!["volumesnapshotcontents.snapshot.storage.k8s.io".to_string()]);
    assert_eq!(items_of(&fetched, "volumesnapshots.snapshot.storage.k8s.io").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded() {
    let api = common::start(Behaviour { delay: Duration::from_millis(15), ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", TOKEN);
    let fetched = fetch(&FetchOptions { concurrency: 2, ..options(&kubeconfig, "prod") }).await.unwrap();
    assert_eq!(fetched.lists.len(), RESOURCES.len());
    let max = api.max_in_flight.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=2).contains(&max), "{max} requests at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_naming_the_resource() {
    let addr = common::start_silent().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &format!("http://{addr}"), "http://127.0.0.1:9", TOKEN);
    let started = Instant::now();
    let error =
        fetch(&FetchOptions { request_timeout: Duration::from_secs(1), ..options(&kubeconfig, "prod") })
            .await
            .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4), "{elapsed:?}");
    let LiveError::Timeout { resource, .. } = &error else { panic!("{error:?}") };
    assert!(RESOURCES.iter().any(|r| r.name() == *resource), "{resource}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("timeout after 1 s while listing {resource} from http://{addr}")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_clear_error() {
    let addr = common::refused_addr();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &format!("http://{addr}"), "http://127.0.0.1:9", TOKEN);
    let error = fetch(&options(&kubeconfig, "prod")).await.unwrap_err();
    assert!(matches!(error, LiveError::ConnectionRefused { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with(&format!("connection refused by http://{addr} while listing ")), "{message}");
    assert!(!message.contains('\n'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_401_unauthorized() {
    let api = common::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", "expired-token");
    let error = fetch(&options(&kubeconfig, "prod")).await.unwrap_err();
    assert!(matches!(error, LiveError::Unauthorized { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with(&format!("401 unauthorized by {} while listing ", api.url())),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_context_names_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), "http://127.0.0.1:9", "http://127.0.0.1:9", TOKEN);
    let error = fetch(&options(&kubeconfig, "production")).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "context \"production\" not found in kubeconfig {} (available: staging, prod)",
            kubeconfig.display()
        )
    );
}

#[tokio::test]
async fn a_missing_kubeconfig_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.yaml");
    let error =
        fetch(&FetchOptions { kubeconfig: Some(path.clone()), ..FetchOptions::default() }).await.unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with(&format!("kubeconfig {}: cannot read it: ", path.display())), "{message}");
}

/// Without `--context` the kubeconfig's current-context is used: here `staging`, whose server refuses.
#[tokio::test]
async fn the_current_context_is_the_default() {
    let api = common::start(Behaviour::default()).await;
    let staging = common::refused_addr();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), &format!("http://{staging}"), TOKEN);
    let error =
        fetch(&FetchOptions { kubeconfig: Some(kubeconfig), ..FetchOptions::default() }).await.unwrap_err();
    assert!(error.to_string().contains(&format!("http://{staging}")), "{error}");
    assert!(api.requests().is_empty());
}

/// The CLI's entry point: a blocking call, outside any runtime (the server runs on its own).
#[test]
fn fetch_blocking_reads_the_cluster() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let api = runtime.block_on(common::start(Behaviour { no_snapshot_group: true, ..Behaviour::default() }));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::kubeconfig(dir.path(), &api.url(), "http://127.0.0.1:9", TOKEN);
    let fetched = fetch_blocking(&options(&kubeconfig, "prod")).unwrap();
    assert_eq!(fetched.lists.len(), RESOURCES.len() - 3);
    assert_eq!(fetched.missing_groups, vec!["snapshot.storage.k8s.io".to_string()]);
}
