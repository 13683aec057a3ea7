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
