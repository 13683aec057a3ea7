//! The simulated cluster through kube-rs, as the probe uses it: claims, pods, attachments,
//! snapshots, expansion, namespace deletion and the API server stopping and restarting.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Namespace, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::VolumeAttachment;
use kstor_testkube::{AgentCall, AgentExit, ApiServer, Cluster, ClusterConfig, Driver, objects};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

const DRIVER: &str = "ebs.csi.aws.com";
const WAIT: Duration = Duration::from_secs(3);

/// A three-zone cluster (one node per zone, plus `node-a2` in zone a) with a WFFC class `wffc`
/// and an Immediate class `immediate`, an agent that writes or reads `data` files, a server
/// and a kube-rs client.
struct Setup {
    cluster: Cluster,
    server: ApiServer,
    client: kube::Client,
    _dir: tempfile::TempDir,
}

/// `write TEXT` writes `TEXT` to `<mount>/data`; `read` returns its content; `size` the
/// mount's live size; `hold` keeps running.
fn agent(call: &AgentCall) -> AgentExit {
    let Some(dir) = call.mounts.values().next() else { return AgentExit::failure(3, "no volume") };
    match call.args.first().map(String::as_str) {
        Some("write") => match std::fs::write(dir.join("data"), &call.args[1]) {
            Ok(()) => AgentExit::success(format!("wrote on {}", call.node)),
            Err(e) => AgentExit::failure(1, e.to_string()),
        },
        Some("read") => match std::fs::read_to_string(dir.join("data")) {
            Ok(text) => AgentExit::success(text),
            Err(e) => AgentExit::failure(1, format!("read: {e}")),
        },
        Some("size") => {
            let path = call.mounts.keys().next().unwrap();
            AgentExit::success(format!("{:?}", call.current_size(path)))
        }
        _ => AgentExit::running(),
    }
}

async fn setup(config: ClusterConfig) -> Setup {
    let cluster = Cluster::new(config);
    cluster.add_driver(Driver::zonal(DRIVER, &["zone-a", "zone-b", "zone-c"]));
    for (node, zone) in
        [("node-a", "zone-a"), ("node-a2", "zone-a"), ("node-b", "zone-b"), ("node-c", "zone-c")]
    {
        cluster.add_node(node, zone);
    }
    cluster.create(objects::storage_class("wffc", DRIVER, "WaitForFirstConsumer")).unwrap();
    cluster.create(objects::storage_class("immediate", DRIVER, "Immediate")).unwrap();
    cluster.create(objects::snapshot_class("snap", DRIVER, "Delete")).unwrap();
    cluster.set_agent(agent);
    let server = ApiServer::start(cluster.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server, dir.path()).await;
    Setup { cluster, server, client, _dir: dir }
}

async fn client(server: &ApiServer, dir: &Path) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(server.kubeconfig(dir).unwrap()).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.unwrap();
    kube::Client::try_from(config).unwrap()
}

/// Polls `check` every 2 ms until it yields a value; panics with `what` after [`WAIT`].
async fn until<T, F: Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

impl Setup {
    async fn namespace(&self, name: &str) {
        let ns: Namespace = serde_json::from_value(objects::namespace(name)).unwrap();
        Api::<Namespace>::all(self.client.clone()).create(&PostParams::default(), &ns).await.unwrap();
    }

    async fn claim(&self, ns: &str, name: &str, class: &str, mode: &str) -> PersistentVolumeClaim {
        let claim: PersistentVolumeClaim =
            serde_json::from_value(objects::claim(ns, name, class, "1Gi", mode)).unwrap();
        Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), ns)
            .create(&PostParams::default(), &claim)
            .await
            .unwrap()
    }

    async fn pod(&self, ns: &str, name: &str, claim: &str, node: Option<&str>, args: &[&str]) -> Pod {
        let mut pod = objects::pod(ns, name, claim, "/data", args);
        if let Some(node) = node {
            pod["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": node});
        }
        let pod: Pod = serde_json::from_value(pod).unwrap();
        Api::<Pod>::namespaced(self.client.clone(), ns).create(&PostParams::default(), &pod).await.unwrap()
    }

    /// Waits for a pod to end; its phase and termination message.
    async fn finished(&self, ns: &str, name: &str) -> (String, String) {
        let pods = Api::<Pod>::namespaced(self.client.clone(), ns);
        until(&format!("pod {name} to finish"), || {
            let pods = pods.clone();
            async move {
                let pod = pods.get(name).await.ok()?;
                let status = pod.status?;
                let phase = status.phase?;
                if phase != "Succeeded" && phase != "Failed" {
                    return None;
                }
                let terminated = status.container_statuses?.first()?.state.clone()?.terminated?;
                Some((phase, terminated.message.unwrap_or_default()))
            }
        })
        .await
    }

    /// Waits for an event of `reason` about `object`; its message.
    async fn event(&self, ns: &str, object: &str, reason: &str) -> String {
        let events = Api::<Event>::namespaced(self.client.clone(), ns);
        let params = ListParams::default().fields(&format!("involvedObject.name={object},reason={reason}"));
        until(&format!("event {reason} on {object}"), || {
            let (events, params) = (events.clone(), params.clone());
            async move { events.list(&params).await.ok()?.items.into_iter().next().and_then(|e| e.message) }
        })
        .await
    }

    async fn running(&self, ns: &str, name: &str) -> Pod {
        let pods = Api::<Pod>::namespaced(self.client.clone(), ns);
        until(&format!("pod {name} to run"), || {
            let pods = pods.clone();
            async move {
                pods.get(name)
                    .await
                    .ok()
                    .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            }
        })
        .await
    }

    async fn bound(&self, ns: &str, name: &str) -> PersistentVolumeClaim {
        let claims = Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), ns);
        until(&format!("claim {name} to bind"), || {
            let claims = claims.clone();
            async move {
                claims
                    .get(name)
                    .await
                    .ok()
                    .filter(|c| c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound"))
            }
        })
        .await
    }

    async fn volume(&self, claim: &PersistentVolumeClaim) -> PersistentVolume {
        let pv = claim.spec.as_ref().unwrap().volume_name.clone().unwrap();
        Api::<PersistentVolume>::all(self.client.clone()).get(&pv).await.unwrap()
    }
}

fn zone_of(pv: &PersistentVolume) -> String {
    let terms = &pv
        .spec
        .as_ref()
        .unwrap()
        .node_affinity
        .as_ref()
        .unwrap()
        .required
        .as_ref()
        .unwrap()
        .node_selector_terms;
    let expression = &terms[0].match_expressions.as_ref().unwrap()[0];
    assert_eq!(expression.key, "topology.kubernetes.io/zone");
    expression.values.as_ref().unwrap()[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_first_consumer_binds_in_the_pods_zone_and_the_pod_runs_the_agent() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    let claim = s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    assert_eq!(claim.spec.unwrap().storage_class_name.as_deref(), Some("wffc"));
    s.event("probe", "data", "WaitForFirstConsumer").await;
    s.pod("probe", "writer", "data", Some("node-b"), &["write", "hello"]).await;

    let (phase, message) = s.finished("probe", "writer").await;
    assert_eq!((phase.as_str(), message.as_str()), ("Succeeded", "wrote on node-b"));
    let claim = s.bound("probe", "data").await;
    let annotations = claim.metadata.annotations.clone().unwrap();
    assert_eq!(annotations["volume.kubernetes.io/selected-node"], "node-b");
    let pv = s.volume(&claim).await;
    assert_eq!(zone_of(&pv), "zone-b");
    assert_eq!(pv.spec.as_ref().unwrap().csi.as_ref().unwrap().driver, DRIVER);
    let dir = s.cluster.volume_dir(pv.metadata.name.as_deref().unwrap()).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("data")).unwrap(), "hello");

    assert!(s.event("probe", "writer", "Scheduled").await.ends_with("probe/writer to node-b"));
    let attached = s.event("probe", "writer", "SuccessfulAttachVolume").await;
    assert_eq!(
        attached,
        format!("AttachVolume.Attach succeeded for volume \"{}\" ", pv.metadata.name.unwrap())
    );
    assert_eq!(s.event("probe", "writer", "Started").await, "Started container agent");
    assert!(
        s.event("probe", "data", "ProvisioningSucceeded")
            .await
            .starts_with("Successfully provisioned volume pvc-")
    );
    // The pod ended, so the volume is detached.
    let attachments = Api::<VolumeAttachment>::all(s.client.clone());
    until("detach", || {
        let attachments = attachments.clone();
        async move { attachments.list(&ListParams::default()).await.ok().filter(|l| l.items.is_empty()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_binding_then_a_pod_pinned_to_another_zone_is_unschedulable() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "immediate", "ReadWriteOnce").await;
    let claim = s.bound("probe", "data").await;
    let zone = zone_of(&s.volume(&claim).await);
    assert_eq!(zone, "zone-a", "the first Immediate claim goes to the first zone");
    s.pod("probe", "reader", "data", Some("node-b"), &["read"]).await;
    let message = s.event("probe", "reader", "FailedScheduling").await;
    assert_eq!(
        message,
        "0/4 nodes are available: 1 node(s) had volume node affinity conflict, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    );
    let pod = Api::<Pod>::namespaced(s.client.clone(), "probe").get("reader").await.unwrap();
    let condition = &pod.status.unwrap().conditions.unwrap()[0];
    assert_eq!(
        (condition.type_.as_str(), condition.reason.as_deref()),
        ("PodScheduled", Some("Unschedulable"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_gets_the_multi_attach_error_and_rwop_is_refused() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "holder", "data", Some("node-a"), &["hold"]).await;
    s.running("probe", "holder").await;
    s.pod("probe", "intruder", "data", Some("node-a2"), &["read"]).await;
    let pv = s.bound("probe", "data").await.spec.unwrap().volume_name.unwrap();
    let message = s.event("probe", "intruder", "FailedAttachVolume").await;
    assert_eq!(
        message,
        format!("Multi-Attach error for volume \"{pv}\" Volume is already used by pod(s) holder")
    );

    s.claim("probe", "single", "wffc", "ReadWriteOncePod").await;
    s.pod("probe", "first", "single", None, &["hold"]).await;
    s.running("probe", "first").await;
    s.pod("probe", "second", "single", None, &["read"]).await;
    let message = s.event("probe", "second", "FailedScheduling").await;
    assert_eq!(
        message,
        "0/4 nodes are available: node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_restores_the_data_it_was_taken_with() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "writer", "data", None, &["write", "before"]).await;
    s.finished("probe", "writer").await;
    let snapshots = Api::<DynamicObject>::namespaced_with(
        s.client.clone(),
        "probe",
        &ApiResource::from_gvk(&GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshot")),
    );
    let snapshot: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": "snap-1"},
        "spec": {"volumeSnapshotClassName": "snap", "source": {"persistentVolumeClaimName": "data"}},
    }))
    .unwrap();
    snapshots.create(&PostParams::default(), &snapshot).await.unwrap();
    // Data written after the snapshot is not in it.
    let pv = s.bound("probe", "data").await.spec.unwrap().volume_name.unwrap();
    let ready = until("snapshot ready", || {
        let snapshots = snapshots.clone();
        async move { snapshots.get("snap-1").await.ok().filter(|o| o.data["status"]["readyToUse"] == true) }
    })
    .await;
    std::fs::write(s.cluster.volume_dir(&pv).unwrap().join("data"), "after").unwrap();
    assert_eq!(ready.data["status"]["restoreSize"], "1Gi");
    let content = ready.data["status"]["boundVolumeSnapshotContentName"].as_str().unwrap();
    assert!(s.cluster.get("VolumeSnapshotContent", "", content).is_some());

    let mut restore = objects::claim("probe", "restored", "wffc", "1Gi", "ReadWriteOnce");
    restore["spec"]["dataSource"] =
        json!({"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "snap-1"});
    let restore: PersistentVolumeClaim = serde_json::from_value(restore).unwrap();
    Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe")
        .create(&PostParams::default(), &restore)
        .await
        .unwrap();
    s.pod("probe", "reader", "restored", None, &["read"]).await;
    assert_eq!(s.finished("probe", "reader").await, ("Succeeded".to_string(), "before".to_string()));

    // Deleting the snapshot (deletionPolicy Delete) deletes its content.
    snapshots.delete("snap-1", &DeleteParams::default()).await.unwrap();
    let cluster = s.cluster.clone();
    assert!(cluster.wait_until(WAIT, |c| c.get("VolumeSnapshotContent", "", content).is_none()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expansion_grows_the_volume_online_and_is_refused_without_allow_volume_expansion() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "holder", "data", None, &["hold"]).await;
    s.running("probe", "holder").await;
    let claims = Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe");
    let grow = json!({"spec": {"resources": {"requests": {"storage": "2Gi"}}}});
    claims.patch("data", &PatchParams::default(), &Patch::Merge(&grow)).await.unwrap();
    let claim = until("expansion", || {
        let claims = claims.clone();
        async move {
            let c = claims.get("data").await.ok()?;
            (c.status.as_ref()?.capacity.as_ref()?["storage"].0 == "2Gi").then_some(c)
        }
    })
    .await;
    assert_eq!(s.volume(&claim).await.spec.unwrap().capacity.unwrap()["storage"].0, "2Gi");
    assert!(
        s.event("probe", "holder", "FileSystemResizeSuccessful")
            .await
            .starts_with("MountVolume.NodeExpandVolume succeeded")
    );
    s.pod("probe", "df", "data", None, &["size"]).await;
    assert_eq!(s.finished("probe", "df").await.1, format!("Some({})", 2u64 << 30));

    let mut fixed = objects::storage_class("fixed", DRIVER, "Immediate");
    fixed["allowVolumeExpansion"] = json!(false);
    s.cluster.create(fixed).unwrap();
    s.claim("probe", "small", "fixed", "ReadWriteOnce").await;
    s.bound("probe", "small").await;
    let error = claims.patch("small", &PatchParams::default(), &Patch::Merge(&grow)).await.unwrap_err();
    let kube::Error::Api(status) = error else { panic!("{error}") };
    assert_eq!(status.code, 403);
    assert_eq!(
        status.message,
        "persistentvolumeclaims \"small\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_deletes_everything_in_it() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "holder", "data", None, &["hold"]).await;
    s.running("probe", "holder").await;
    let pv = s.bound("probe", "data").await.spec.unwrap().volume_name.unwrap();
    let dir = s.cluster.volume_dir(&pv).unwrap();
    let namespaces = Api::<Namespace>::all(s.client.clone());
    namespaces.delete("probe", &DeleteParams::default()).await.unwrap();
    let ns = namespaces.get("probe").await.unwrap();
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    // Nothing new in a Terminating namespace (403), nothing in a missing one (404).
    let claim: PersistentVolumeClaim =
        serde_json::from_value(objects::claim("probe", "late", "wffc", "1Gi", "ReadWriteOnce")).unwrap();
    let claims = Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe");
    let kube::Error::Api(refused) = claims.create(&PostParams::default(), &claim).await.unwrap_err() else {
        panic!()
    };
    assert_eq!(refused.code, 403);
    assert!(
        refused
            .message
            .ends_with("unable to create new content in namespace probe because it is being terminated")
    );

    until("namespace gone", || {
        let namespaces = namespaces.clone();
        async move {
            matches!(namespaces.get("probe").await, Err(kube::Error::Api(e)) if e.code == 404).then_some(())
        }
    })
    .await;
    assert!(s.cluster.wait_until(WAIT, |c| c.get("PersistentVolume", "", &pv).is_none()).await);
    assert!(s.cluster.list("VolumeAttachment", None).is_empty());
    assert!(s.cluster.list("Event", Some("probe")).is_empty());
    assert!(!dir.exists(), "reclaim Delete removes the data");
    let kube::Error::Api(missing) = claims.create(&PostParams::default(), &claim).await.unwrap_err() else {
        panic!()
    };
    assert_eq!((missing.code, missing.message.as_str()), (404, "namespaces \"probe\" not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_and_restarts_with_the_same_state() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    let namespaces = Api::<Namespace>::all(s.client.clone());
    s.server.stop();
    let error = namespaces.get("probe").await.unwrap_err();
    assert!(!matches!(error, kube::Error::Api(_)), "a connection error, got {error}");
    assert!(std::net::TcpStream::connect(s.server.addr()).is_err(), "connections are refused");
    s.server.restart().unwrap();
    assert_eq!(namespaces.get("probe").await.unwrap().metadata.name.as_deref(), Some("probe"));
    let version = s.client.apiserver_version().await.unwrap();
    assert_eq!((version.major.as_str(), version.minor.as_str()), ("1", "33"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_semantics_kube_rs_relies_on() {
    let config = ClusterConfig {
        snapshot_crds: false,
        denied: vec![kstor_testkube::Denied::new("patch", "", "nodes")],
        ..ClusterConfig::default()
    };
    let s = setup(config).await;
    // Discovery without the snapshot CRDs.
    let groups = s.client.list_api_groups().await.unwrap();
    assert!(groups.groups.iter().any(|g| g.name == "storage.k8s.io"));
    assert!(!groups.groups.iter().any(|g| g.name == "snapshot.storage.k8s.io"));
    let discovery = kube::discovery::Discovery::new(s.client.clone()).run().await.unwrap();
    assert!(discovery.has_group("storage.k8s.io") && !discovery.has_group("snapshot.storage.k8s.io"));
    // Access reviews.
    let review = |verb: &str, resource: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
               "spec": {"resourceAttributes": {"verb": verb, "group": "", "resource": resource}}})
    };
    let reviews = Api::<k8s_openapi::api::authorization::v1::SelfSubjectAccessReview>::all(s.client.clone());
    for (verb, resource, allowed) in [("patch", "nodes", false), ("create", "pods", true)] {
        let r = serde_json::from_value(review(verb, resource)).unwrap();
        let answer = reviews.create(&PostParams::default(), &r).await.unwrap();
        assert_eq!(answer.status.unwrap().allowed, allowed, "{verb} {resource}");
    }
    // generateName, label selectors, conflicts, already exists.
    s.namespace("probe").await;
    let claims = Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe");
    let mut claim = objects::claim("probe", "", "wffc", "1Gi", "ReadWriteOnce");
    claim["metadata"] = json!({"generateName": "kstor-probe-", "labels": {"kstor.io/probe-run": "r1"}});
    let created =
        claims.create(&PostParams::default(), &serde_json::from_value(claim).unwrap()).await.unwrap();
    let name = created.metadata.name.clone().unwrap();
    assert!(name.starts_with("kstor-probe-") && name.len() == "kstor-probe-".len() + 5, "{name}");
    assert_eq!(
        created.metadata.finalizers.as_deref(),
        Some(&["kubernetes.io/pvc-protection".to_string()][..])
    );
    for (selector, count) in [
        ("kstor.io/probe-run=r1", 1),
        ("kstor.io/probe-run in (r2)", 0),
        ("kstor.io/probe-run", 1),
        ("!kstor.io/probe-run", 0),
    ] {
        let listed = claims.list(&ListParams::default().labels(selector)).await.unwrap();
        assert_eq!(listed.items.len(), count, "{selector}");
    }
    // The PV controller annotates the claim: wait for that, then take the latest version.
    s.event("probe", &name, "WaitForFirstConsumer").await;
    let mut stale = claims.get(&name).await.unwrap();
    stale.metadata.labels = Some([("x".to_string(), "1".to_string())].into());
    claims.replace(&name, &PostParams::default(), &stale).await.unwrap();
    let kube::Error::Api(conflict) = claims.replace(&name, &PostParams::default(), &stale).await.unwrap_err()
    else {
        panic!()
    };
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    let mut again = created.clone();
    again.metadata.resource_version = None;
    let kube::Error::Api(exists) = claims.create(&PostParams::default(), &again).await.unwrap_err() else {
        panic!()
    };
    assert_eq!((exists.code, exists.reason.as_str()), (409, "AlreadyExists"));
    // The request log.
    let log = s.server.requests();
    assert!(log.iter().all(|r| r.authorization.as_deref() == Some("Bearer kstor-testkube-token")));
    assert!(log.iter().any(|r| r.method == "PUT" && r.status == 409));
}

impl Setup {
    async fn delete_pod(&self, ns: &str, name: &str) {
        let pods = Api::<Pod>::namespaced(self.client.clone(), ns);
        pods.delete(name, &DeleteParams::default()).await.unwrap();
        until(&format!("pod {name} gone"), || {
            let pods = pods.clone();
            async move { matches!(pods.get(name).await, Err(kube::Error::Api(e)) if e.code == 404).then_some(()) }
        })
        .await;
    }

    async fn no_attachments(&self) {
        let cluster = self.cluster.clone();
        assert!(
            cluster.wait_until(WAIT, |c| c.list("VolumeAttachment", None).is_empty()).await,
            "still attached"
        );
    }

    async fn snapshot(&self, ns: &str, name: &str, claim: &str) -> Api<DynamicObject> {
        let snapshots = Api::<DynamicObject>::namespaced_with(
            self.client.clone(),
            ns,
            &ApiResource::from_gvk(&GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshot")),
        );
        let snapshot: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
            "metadata": {"name": name},
            "spec": {"volumeSnapshotClassName": "snap", "source": {"persistentVolumeClaimName": claim}},
        }))
        .unwrap();
        snapshots.create(&PostParams::default(), &snapshot).await.unwrap();
        snapshots
    }

    async fn restore(&self, ns: &str, name: &str, kind: &str, source: &str) {
        let mut restore = objects::claim(ns, name, "wffc", "1Gi", "ReadWriteOnce");
        let group = if kind == "VolumeSnapshot" { json!("snapshot.storage.k8s.io") } else { json!(null) };
        restore["spec"]["dataSource"] = json!({"apiGroup": group, "kind": kind, "name": source});
        let restore: PersistentVolumeClaim = serde_json::from_value(restore).unwrap();
        Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), ns)
            .create(&PostParams::default(), &restore)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reschedule_keeps_the_data_unless_the_driver_loses_it() {
    for lose in [false, true] {
        let s = setup(ClusterConfig::default()).await;
        s.cluster.update_faults(|f| f.lose_data_on_reschedule = lose);
        s.namespace("probe").await;
        s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
        s.pod("probe", "writer", "data", Some("node-a"), &["write", "kept"]).await;
        s.finished("probe", "writer").await;
        s.delete_pod("probe", "writer").await;
        s.no_attachments().await;
        s.pod("probe", "reader", "data", Some("node-a2"), &["read"]).await;
        let (phase, message) = s.finished("probe", "reader").await;
        if lose {
            assert_eq!(phase, "Failed");
            assert!(message.starts_with("read: "), "{message}");
        } else {
            assert_eq!((phase.as_str(), message.as_str()), ("Succeeded", "kept"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_failures_leave_the_claim_pending_with_an_event() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    // The driver does not do ReadWriteMany.
    s.claim("probe", "shared", "immediate", "ReadWriteMany").await;
    let message = s.event("probe", "shared", "ProvisioningFailed").await;
    assert_eq!(
        message,
        "failed to provision volume with StorageClass \"immediate\": rpc error: code = InvalidArgument desc = Volume capabilities [MULTI_NODE_MULTI_WRITER] not supported"
    );
    s.cluster.update_faults(|f| {
        f.provisioning_fails = Some("rpc error: code = ResourceExhausted desc = quota exceeded".into())
    });
    s.claim("probe", "data", "immediate", "ReadWriteOnce").await;
    let message = s.event("probe", "data", "ProvisioningFailed").await;
    assert_eq!(
        message,
        "failed to provision volume with StorageClass \"immediate\": rpc error: code = ResourceExhausted desc = quota exceeded"
    );
    let claim = s.cluster.get("PersistentVolumeClaim", "probe", "data").unwrap();
    assert_eq!(claim["status"]["phase"], "Pending");
    // The fault lifted, the retry provisions.
    s.cluster.update_faults(|f| f.provisioning_fails = None);
    s.bound("probe", "data").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_attachments_mount_failures_and_forced_multi_attach() {
    let mut config = ClusterConfig::default();
    config.faults.attach_stuck = true;
    let s = setup(config).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "writer", "data", None, &["write", "x"]).await;
    let pv = s.bound("probe", "data").await.spec.unwrap().volume_name.unwrap();
    let message = s.event("probe", "writer", "FailedAttachVolume").await;
    assert!(message.starts_with(&format!("AttachVolume.Attach failed for volume \"{pv}\" : timed out waiting for external-attacher of {DRIVER} CSI driver")), "{message}");
    let attachment = &s.cluster.list("VolumeAttachment", None)[0];
    assert_eq!(attachment["status"]["attached"], false);
    assert_eq!(attachment["spec"]["source"]["persistentVolumeName"], pv.as_str());
    assert_eq!(s.cluster.get("Pod", "probe", "writer").unwrap()["status"]["phase"], "Pending");

    s.cluster.set_faults(kstor_testkube::Faults {
        mount_fails: Some("mount failed: exit status 32".into()),
        ..Default::default()
    });
    let message = s.event("probe", "writer", "FailedMount").await;
    assert_eq!(
        message,
        format!(
            "MountVolume.MountDevice failed for volume \"{pv}\" : rpc error: code = Internal desc = mount failed: exit status 32"
        )
    );
    s.cluster.set_faults(kstor_testkube::Faults { multi_attach: true, ..Default::default() });
    s.finished("probe", "writer").await;
    s.delete_pod("probe", "writer").await;
    let node = s.cluster.list("VolumeAttachment", None)[0]["spec"]["nodeName"].as_str().unwrap().to_string();
    let other = if node == "node-a" { "node-a2" } else { "node-a" };
    s.pod("probe", "reader", "data", Some(other), &["read"]).await;
    let message = s.event("probe", "reader", "FailedAttachVolume").await;
    assert_eq!(
        message,
        format!(
            "Multi-Attach error for volume \"{pv}\" Volume is already exclusively attached to one node and can't be attached to another"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_that_never_get_ready_empty_restores_and_clones() {
    let mut config = ClusterConfig::default();
    config.faults.snapshot_never_ready = true;
    let s = setup(config).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    s.pod("probe", "writer", "data", None, &["write", "original"]).await;
    s.finished("probe", "writer").await;
    let snapshots = s.snapshot("probe", "stuck", "data").await;
    s.event("probe", "stuck", "CreatingSnapshot").await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    let stuck = snapshots.get("stuck").await.unwrap();
    assert_eq!(stuck.data["status"]["readyToUse"], false);
    assert!(stuck.data["status"]["boundVolumeSnapshotContentName"].is_string());
    // A restore from a snapshot that is not ready fails and retries.
    s.restore("probe", "early", "VolumeSnapshot", "stuck").await;
    s.pod("probe", "early-reader", "early", None, &["read"]).await;
    let message = s.event("probe", "early", "ProvisioningFailed").await;
    assert!(message.ends_with("error getting handle for DataSource Type VolumeSnapshot by Name stuck: snapshot stuck is not Ready"), "{message}");

    s.cluster.set_faults(kstor_testkube::Faults { empty_restore: true, ..Default::default() });
    let (phase, message) = s.finished("probe", "early-reader").await;
    assert_eq!(phase, "Failed", "the restore is empty: {message}");
    // Clones copy the source volume.
    s.cluster.set_faults(kstor_testkube::Faults::default());
    s.restore("probe", "clone", "PersistentVolumeClaim", "data").await;
    s.pod("probe", "clone-reader", "clone", None, &["read"]).await;
    assert_eq!(s.finished("probe", "clone-reader").await.1, "original");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_in_use_are_protected_and_retained_volumes_are_released() {
    let s = setup(ClusterConfig::default()).await;
    let mut retain = objects::storage_class("retain", DRIVER, "WaitForFirstConsumer");
    retain["reclaimPolicy"] = json!("Retain");
    s.cluster.create(retain).unwrap();
    s.namespace("probe").await;
    s.claim("probe", "data", "retain", "ReadWriteOnce").await;
    s.pod("probe", "holder", "data", None, &["hold"]).await;
    s.running("probe", "holder").await;
    let claims = Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe");
    claims.delete("data", &DeleteParams::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let held = claims.get("data").await.unwrap();
    assert!(held.metadata.deletion_timestamp.is_some(), "marked for deletion, held by pvc-protection");
    let pv = held.spec.unwrap().volume_name.unwrap();
    s.delete_pod("probe", "holder").await;
    until("claim gone", || {
        let claims = claims.clone();
        async move { matches!(claims.get("data").await, Err(kube::Error::Api(e)) if e.code == 404).then_some(()) }
    })
    .await;
    let cluster = s.cluster.clone();
    assert!(
        cluster
            .wait_until(WAIT, |c| c
                .get("PersistentVolume", "", &pv)
                .is_some_and(|v| v["status"]["phase"] == "Released"))
            .await
    );
    let volumes = Api::<PersistentVolume>::all(s.client.clone());
    volumes.delete(&pv, &DeleteParams::default()).await.unwrap();
    assert!(cluster.wait_until(WAIT, |c| c.get("PersistentVolume", "", &pv).is_none()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_affinity_and_cordoned_nodes_are_honoured() {
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    s.claim("probe", "data", "wffc", "ReadWriteOnce").await;
    let mut writer = objects::pod("probe", "writer", "data", "/data", &["hold"]);
    writer["metadata"]["labels"] = json!({"app": "probe"});
    writer["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": "node-a"});
    s.cluster.create(writer).unwrap();
    s.running("probe", "writer").await;
    let nodes = Api::<k8s_openapi::api::core::v1::Node>::all(s.client.clone());
    nodes
        .patch("node-a2", &PatchParams::default(), &Patch::Merge(json!({"spec": {"unschedulable": true}})))
        .await
        .unwrap();
    let mut other = objects::pod("probe", "other", "data", "/data", &["read"]);
    other["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "probe"}}, "topologyKey": "kubernetes.io/hostname"}]}});
    s.cluster.create(other).unwrap();
    let message = s.event("probe", "other", "FailedScheduling").await;
    assert_eq!(
        message,
        "0/4 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    );
    // Uncordoned, the only node left in the volume's zone takes it.
    nodes
        .patch("node-a2", &PatchParams::default(), &Patch::Merge(json!({"spec": {"unschedulable": false}})))
        .await
        .unwrap();
    let pod = until("scheduled", || {
        let pods = Api::<Pod>::namespaced(s.client.clone(), "probe");
        async move { pods.get("other").await.ok()?.spec?.node_name }
    })
    .await;
    assert_eq!(pod, "node-a2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_stream_changes_after_a_resource_version() {
    use futures::StreamExt;
    let s = setup(ClusterConfig::default()).await;
    s.namespace("probe").await;
    let claims = Api::<PersistentVolumeClaim>::namespaced(s.client.clone(), "probe");
    let listed = claims.list(&ListParams::default()).await.unwrap();
    let rv = listed.metadata.resource_version.unwrap();
    let params = kube::api::WatchParams::default().labels("app=probe").timeout(5);
    let mut stream = claims.watch(&params, &rv).await.unwrap().boxed();
    let mut ignored = objects::claim("probe", "other", "wffc", "1Gi", "ReadWriteOnce");
    ignored["metadata"]["labels"] = json!({"app": "other"});
    s.cluster.create(ignored).unwrap();
    let mut claim = objects::claim("probe", "data", "wffc", "1Gi", "ReadWriteOnce");
    claim["metadata"]["labels"] = json!({"app": "probe"});
    s.cluster.create(claim).unwrap();
    let first = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
    let kube::api::WatchEvent::Added(added) = first else { panic!("{first:?}") };
    assert_eq!(added.metadata.name.as_deref(), Some("data"));
    let second = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap().unwrap();
    assert!(
        matches!(second, kube::api::WatchEvent::Modified(ref c) if c.metadata.name.as_deref() == Some("data")),
        "{second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_volumes_are_shared_across_nodes_and_fs_group_follows_the_driver_policy() {
    let s = setup(ClusterConfig::default()).await;
    s.cluster.add_driver(Driver::file("efs.csi.aws.com"));
    s.cluster.create(objects::storage_class("efs", "efs.csi.aws.com", "Immediate")).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    s.cluster.set_agent(move |call| {
        record.lock().unwrap().push((
            call.pod.clone(),
            call.run_as_user,
            call.fs_group,
            call.fs_group_applied.clone(),
        ));
        agent(call)
    });
    s.namespace("probe").await;
    s.claim("probe", "shared", "efs", "ReadWriteMany").await;
    s.claim("probe", "block", "wffc", "ReadWriteOnce").await;
    let pv = s.volume(&s.bound("probe", "shared").await).await;
    assert!(pv.spec.unwrap().node_affinity.is_none(), "file volumes are reachable from every node");
    s.pod("probe", "writer", "shared", Some("node-b"), &["write", "from b"]).await;
    s.finished("probe", "writer").await;
    s.pod("probe", "reader", "shared", Some("node-c"), &["read"]).await;
    assert_eq!(s.finished("probe", "reader").await.1, "from b");
    assert!(s.cluster.list("VolumeAttachment", None).is_empty(), "file volumes are not attached");

    for (name, claim) in [("nonroot-file", "shared"), ("nonroot-block", "block")] {
        let mut pod = objects::pod("probe", name, claim, "/data", &["write", "x"]);
        pod["spec"]["securityContext"] = json!({"runAsUser": 65532, "runAsNonRoot": true, "fsGroup": 65532});
        s.cluster.create(pod).unwrap();
        s.finished("probe", name).await;
    }
    let seen = seen.lock().unwrap();
    let applied = |pod: &str| {
        let (_, user, group, applied) = seen.iter().find(|(p, ..)| p == pod).unwrap();
        assert_eq!((*user, *group), (Some(65532), Some(65532)));
        applied["/data"]
    };
    assert!(!applied("nonroot-file"), "fsGroupPolicy None");
    assert!(applied("nonroot-block"), "fsGroupPolicy ReadWriteOnceWithFSType on a RWO volume");
}
