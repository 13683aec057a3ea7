//! Removing what a run created, and only that: the run's namespace (or its labelled objects
//! when the namespace was given and kept), then the volumes that Retain classes left behind
//! for the run's claims and the snapshot contents of Retain snapshot classes. `kstor probe
//! cleanup` does the same for every run it finds by label.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::cluster::{Cluster, StepError, volume_snapshot_content_resource};
use crate::objects::RUN_LABEL;

/// How long the cleanup waits for a namespace to go.
const NAMESPACE_GRACE: Duration = Duration::from_secs(120);

/// Removes one run's objects; returns what it did, one line each.
pub async fn cleanup_run(
    cluster: &Cluster,
    run: &str,
    delete_namespace: bool,
    cordoned: Option<&str>,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(node) = cordoned {
        let nodes: Api<Node> = cluster.all();
        let patch = json!({"spec": {"unschedulable": false}});
        match nodes.patch(node, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => lines.push(format!("uncordoned node {node}")),
            Err(e) => {
                lines.push(format!("could not uncordon node {node}: {e}; run `kubectl uncordon {node}`"))
            }
        }
    }
    let namespace = cluster.namespace.clone();
    let outcome = if delete_namespace {
        delete_namespace_and_wait(&cluster.client, &namespace)
            .await
            .map(|()| format!("deleted namespace {namespace}"))
    } else {
        delete_labelled(cluster, run)
            .await
            .map(|n| format!("deleted {n} probe objects in namespace {namespace}"))
    };
    match outcome {
        Ok(line) => lines.push(line),
        Err(e) => {
            lines.push(format!(
                "could not finish the cleanup ({e}); run `kstor probe cleanup` once the API server answers"
            ));
            return lines;
        }
    }
    lines.extend(released_leftovers(&cluster.client, &[namespace]).await);
    lines
}

/// Deletes a namespace and waits until it is gone.
async fn delete_namespace_and_wait(client: &Client, name: &str) -> Result<(), StepError> {
    let api: Api<Namespace> = Api::all(client.clone());
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let deadline = std::time::Instant::now() + NAMESPACE_GRACE;
    while api.get_opt(name).await?.is_some() {
        if std::time::Instant::now() >= deadline {
            return Err(StepError::Timeout(format!("deletion of namespace {name}"), NAMESPACE_GRACE));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Deletes the run's labelled pods, snapshots and claims in a kept namespace, in that order.
async fn delete_labelled(cluster: &Cluster, run: &str) -> Result<usize, StepError> {
    let selector = ListParams::default().labels(&format!("{RUN_LABEL}={run}"));
    let mut count = 0;
    let pods: Api<Pod> = cluster.ns();
    for pod in pods.list(&selector).await?.items {
        cluster.delete_and_wait(&pods, &pod.name_any()).await?;
        count += 1;
    }
    let snapshots = cluster.snapshots();
    if let Ok(list) = snapshots.list(&selector).await {
        for snapshot in list.items {
            cluster.delete_and_wait(&snapshots, &snapshot.name_any()).await?;
            count += 1;
        }
    }
    let claims: Api<PersistentVolumeClaim> = cluster.ns();
    for claim in claims.list(&selector).await?.items {
        cluster.delete_and_wait(&claims, &claim.name_any()).await?;
        count += 1;
    }
    Ok(count)
}

/// Volumes bound to claims of these namespaces that a Retain policy kept, and snapshot
/// contents of their snapshots that a Retain snapshot class kept: deleted, with a line each.
async fn released_leftovers(client: &Client, namespaces: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    if let Ok(list) = volumes.list(&ListParams::default()).await {
        for volume in list.items {
            let claim_namespace =
                volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref()).and_then(|c| c.namespace.clone());
            if claim_namespace.is_some_and(|ns| namespaces.contains(&ns)) {
                let name = volume.name_any();
                match volumes.delete(&name, &DeleteParams::default()).await {
                    Ok(_) => lines.push(format!(
                        "deleted persistent volume {name}, kept by reclaimPolicy Retain after the probe's claim went (the storage behind it may need deleting in the provider too)"
                    )),
                    Err(e) => lines.push(format!("could not delete persistent volume {name}: {e}")),
                }
            }
        }
    }
    let contents: Api<DynamicObject> = Api::all_with(client.clone(), &volume_snapshot_content_resource());
    if let Ok(list) = contents.list(&ListParams::default()).await {
        for content in list.items {
            let namespace =
                content.data["spec"]["volumeSnapshotRef"]["namespace"].as_str().map(str::to_string);
            if namespace.is_some_and(|ns| namespaces.contains(&ns)) {
                let name = content.name_any();
                match contents.delete(&name, &DeleteParams::default()).await {
                    Ok(_) => lines.push(format!(
                        "deleted volume snapshot content {name}, kept by deletionPolicy Retain"
                    )),
                    Err(e) => lines.push(format!("could not delete volume snapshot content {name}: {e}")),
                }
            }
        }
    }
    lines
}

/// `kstor probe cleanup`: every namespace labelled by a run (older than `older_than`), and
/// their leftovers. Returns what it did (or would do, with `dry_run`).
pub async fn cleanup_leftovers(
    client: &Client,
    older_than: Option<Duration>,
    dry_run: bool,
) -> Result<Vec<String>, StepError> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let list = namespaces.list(&ListParams::default().labels(RUN_LABEL)).await?;
    let now = k8s_openapi::jiff::Timestamp::now();
    let mut found = Vec::new();
    for namespace in list.items {
        let age = namespace.metadata.creation_timestamp.as_ref().map(|t| now.duration_since(t.0));
        let old_enough = match (older_than, age) {
            (Some(limit), Some(age)) => age.as_secs_f64() >= limit.as_secs_f64(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if old_enough {
            found.push(namespace.name_any());
        }
    }
    let mut lines = Vec::new();
    if dry_run {
        lines.extend(found.iter().map(|ns| format!("would delete namespace {ns} and what it left behind")));
        return Ok(lines);
    }
    for namespace in &found {
        delete_namespace_and_wait(client, namespace).await?;
        lines.push(format!("deleted namespace {namespace}"));
    }
    if !found.is_empty() {
        lines.extend(released_leftovers(client, &found).await);
    }
    if lines.is_empty() {
        lines.push("nothing to clean up".into());
    }
    Ok(lines)
}
