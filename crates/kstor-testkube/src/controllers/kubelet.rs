//! The kubelet of every node: mounts a scheduled pod's volumes once attached, starts its first
//! container by calling the test's callback with the volumes' host directories, records the
//! exit in the pod status, and removes deleted pods once their containers are stopped.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use serde_json::{Value, json};

use super::attach::attachment_name;
use super::{claims_of, empty_dir, is_terminal, name, namespace, uid};
use crate::agent::{AgentCall, AgentExit};
use crate::cluster::{Cluster, Inner};
use crate::state::{State, rt};

const KUBELET: &str = "kubelet";

/// Whether a kubelet must stop the pod before it can go: scheduled and not terminated.
pub(crate) fn holds(pod: &Value) -> bool {
    pod["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty()) && !is_terminal(pod)
}

/// A container to start outside the state lock.
pub(crate) struct Start {
    uid: String,
    call: AgentCall,
}

/// One mounted volume of a pod.
struct Mounted {
    volume: String,
    claim: Value,
    pv: Value,
}

pub(crate) fn reconcile(state: &mut State) -> Vec<Start> {
    let mut starts = Vec::new();
    for pod in state.list("Pod", None) {
        let Some(node) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()).map(String::from) else {
            continue;
        };
        if !pod["metadata"]["deletionTimestamp"].is_null() {
            stop(state, &pod);
            continue;
        }
        if is_terminal(&pod) || pod["status"]["phase"] == "Running" || state.memo.started.contains(uid(&pod))
        {
            continue;
        }
        let pod = creating(state, pod);
        let Some(mounted) = ready_volumes(state, &pod, &node) else { continue };
        if let Some(why) = state.config.faults.mount_fails.clone() {
            for m in &mounted {
                let message = format!(
                    "MountVolume.MountDevice failed for volume \"{}\" : rpc error: code = Internal desc = {why}",
                    name(&m.pv)
                );
                state.event(&pod, true, "FailedMount", &message, KUBELET);
            }
            continue;
        }
        let key = format!("start/{}", uid(&pod));
        if state.due(&key, state.config.timing.step) {
            state.done(&key);
            starts.push(start(state, pod, &node, mounted));
        }
    }
    starts
}

/// A scheduled pod's container waits in ContainerCreating while its volumes are set up.
fn creating(state: &mut State, mut pod: Value) -> Value {
    if pod["status"]["containerStatuses"].is_array() {
        return pod;
    }
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!({"name": c["name"], "image": c["image"], "imageID": "", "ready": false, "started": false,
                   "restartCount": 0, "lastState": {}, "state": {"waiting": {"reason": "ContainerCreating"}}})
        })
        .collect();
    pod["status"]["containerStatuses"] = json!(statuses);
    state.put("Pod", pod)
}

/// The pod's claims, bound and (where the driver attaches) attached to the node; None while
/// one is not.
fn ready_volumes(state: &State, pod: &Value, node: &str) -> Option<Vec<Mounted>> {
    let mut out = Vec::new();
    for (volume, claim_name) in claims_of(pod) {
        let claim = state.get("PersistentVolumeClaim", namespace(pod), &claim_name)?;
        if claim["status"]["phase"] != "Bound" {
            return None;
        }
        let pv = state.get("PersistentVolume", "", claim["spec"]["volumeName"].as_str()?)?;
        let driver = pv["spec"]["csi"]["driver"].as_str().unwrap_or_default();
        if state.driver(driver).is_some_and(|d| d.attach_required) {
            let handle = pv["spec"]["csi"]["volumeHandle"].as_str().unwrap_or_default();
            let va = state.get("VolumeAttachment", "", &attachment_name(handle, driver, node))?;
            if va["status"]["attached"] != true {
                return None;
            }
        }
        out.push(Mounted { volume, claim, pv });
    }
    Some(out)
}

fn start(state: &mut State, mut pod: Value, node: &str, mounted: Vec<Mounted>) -> Start {
    state.memo.started.insert(uid(&pod).to_string());
    for m in &mounted {
        if let Some(data) = state.memo.volumes.get_mut(name(&m.pv)) {
            let moved = data.last_node.as_deref().is_some_and(|last| last != node);
            if moved
                && state.config.faults.lose_data_on_reschedule
                && let Err(e) = empty_dir(&data.dir)
            {
                eprintln!("kstor-testkube: emptying {}: {e}", data.dir.display());
            }
            data.last_node = Some(node.to_string());
        }
    }
    // A volume whose filesystem waits for a resize is grown while it is mounted, before the
    // container starts (the kubelet's NodeExpandVolume on mount).
    let mut mounted = mounted;
    for m in &mut mounted {
        if let Some(claim) = super::resize::expand_on_mount(state, &m.claim, &m.pv, &pod, node) {
            m.claim = claim;
        }
    }
    let call = agent_call(state, &pod, node, &mounted);
    let now = crate::time::now();
    let container = &pod["spec"]["containers"][0];
    let container_name = container["name"].as_str().unwrap_or_default().to_string();
    let image = container["image"].as_str().unwrap_or_default().to_string();
    let index = state.memo.started.len();
    let condition = |kind: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
    let host_ip = format!("10.0.{}.{}", index / 200 % 250, 10 + index % 200);
    let pod_ip = format!("10.244.{}.{}", index / 200 % 250, 2 + index % 250);
    pod["status"] = json!({
        "phase": "Running",
        "qosClass": pod["status"]["qosClass"],
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                       condition("ContainersReady"), condition("PodScheduled")],
        "containerStatuses": [{
            "name": container_name, "image": image, "imageID": format!("{image}@sha256:{:064x}", 0x5eed),
            "containerID": format!("containerd://{:064x}", crate::time::now_nanos()),
            "ready": true, "started": true, "restartCount": 0, "lastState": {},
            "state": {"running": {"startedAt": now}},
        }],
    });
    let pod = state.put("Pod", pod);
    state.event(
        &pod,
        false,
        "Pulled",
        &format!("Container image \"{image}\" already present on machine"),
        KUBELET,
    );
    state.event(&pod, false, "Created", &format!("Created container: {container_name}"), KUBELET);
    state.event(&pod, false, "Started", &format!("Started container {container_name}"), KUBELET);
    Start { uid: uid(&pod).to_string(), call }
}

/// What the container sees: its command, environment, identity and volumes.
fn agent_call(state: &State, pod: &Value, node: &str, mounted: &[Mounted]) -> AgentCall {
    let container = &pod["spec"]["containers"][0];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(String::from)).collect()
    };
    let pod_security = &pod["spec"]["securityContext"];
    let security = &container["securityContext"];
    let id = |field: &str| security[field].as_i64().or_else(|| pod_security[field].as_i64());
    let fs_group = pod_security["fsGroup"].as_i64();
    let mut call = AgentCall {
        namespace: namespace(pod).to_string(),
        pod: name(pod).to_string(),
        node: node.to_string(),
        container: container["name"].as_str().unwrap_or_default().to_string(),
        image: container["image"].as_str().unwrap_or_default().to_string(),
        command: strings(&container["command"]),
        args: strings(&container["args"]),
        env: container["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["name"].as_str()?.to_string(), e["value"].as_str()?.to_string())))
            .collect(),
        run_as_user: id("runAsUser"),
        run_as_group: id("runAsGroup"),
        fs_group,
        mounts: BTreeMap::new(),
        sizes: BTreeMap::new(),
        fs_group_applied: BTreeMap::new(),
        access_modes: BTreeMap::new(),
        cluster: None,
    };
    for mount in container["volumeMounts"].as_array().into_iter().flatten() {
        let Some(m) = mounted.iter().find(|m| mount["name"] == m.volume.as_str()) else { continue };
        let path = mount["mountPath"].as_str().unwrap_or_default().to_string();
        let Some(data) = state.memo.volumes.get(name(&m.pv)) else { continue };
        let mut dir = data.dir.clone();
        if let Some(sub) = mount["subPath"].as_str().filter(|s| !s.is_empty()) {
            dir = dir.join(sub);
            let _ = std::fs::create_dir_all(&dir);
        }
        let size =
            m.claim["status"]["capacity"]["storage"].as_str().and_then(crate::quantity::parse).unwrap_or(0);
        let modes = strings(&m.claim["spec"]["accessModes"]);
        let policy = m.pv["spec"]["csi"]["driver"]
            .as_str()
            .and_then(|d| state.driver(d))
            .map(|d| d.fs_group_policy.clone());
        let applied = fs_group.is_some()
            && match policy.as_deref() {
                Some("File") => true,
                Some("None") => false,
                // ReadWriteOnceWithFSType: only single-node volumes with an fsType.
                _ => {
                    m.pv["spec"]["csi"]["fsType"].is_string()
                        && modes.iter().all(|m| m == "ReadWriteOnce" || m == "ReadWriteOncePod")
                }
            };
        call.mounts.insert(path.clone(), dir);
        call.sizes.insert(path.clone(), size);
        call.fs_group_applied.insert(path.clone(), applied);
        call.access_modes.insert(path, modes);
    }
    call
}

/// A deleted pod: its containers stop after a step, then it goes.
fn stop(state: &mut State, pod: &Value) {
    let key = format!("stop/{}", uid(pod));
    if !state.due(&key, state.config.timing.step) {
        return;
    }
    state.done(&key);
    if pod["status"]["phase"] == "Running" {
        let container = pod["spec"]["containers"][0]["name"].as_str().unwrap_or_default();
        state.event(pod, false, "Killing", &format!("Stopping container {container}"), KUBELET);
    }
    state.memo.started.remove(uid(pod));
    state.store.remove(rt("Pod"), namespace(pod), name(pod));
}

/// Runs the container callback on a blocking thread; its exit lands in the pod status.
pub(crate) fn launch(inner: &Arc<Inner>, mut start: Start) {
    let Some(agent) = inner.agent() else { return };
    start.call.cluster = Some(Cluster::from_inner(inner.clone()));
    let weak = Arc::downgrade(inner);
    tokio::task::spawn_blocking(move || {
        let exit = std::panic::catch_unwind(AssertUnwindSafe(|| agent(&start.call)))
            .unwrap_or_else(|_| AgentExit::failure(2, "the agent callback panicked"));
        start.call.cluster = None;
        if exit.keep_running {
            return;
        }
        if let Some(inner) = weak.upgrade() {
            finish(&mut inner.lock(), &start, exit);
        }
    });
}

/// Records a container's exit (restartPolicy Never): terminated state, phase Succeeded or
/// Failed. A pod deleted or replaced meanwhile is left alone.
fn finish(state: &mut State, start: &Start, exit: AgentExit) {
    let Some(mut pod) = state.get("Pod", &start.call.namespace, &start.call.pod) else { return };
    if uid(&pod) != start.uid
        || !pod["metadata"]["deletionTimestamp"].is_null()
        || pod["status"]["phase"] != "Running"
    {
        return;
    }
    let now = crate::time::now();
    let status = &mut pod["status"];
    let started_at = status["containerStatuses"][0]["state"]["running"]["startedAt"].clone();
    let container_id = status["containerStatuses"][0]["containerID"].clone();
    status["phase"] = json!(if exit.exit_code == 0 { "Succeeded" } else { "Failed" });
    status["containerStatuses"][0]["ready"] = json!(false);
    status["containerStatuses"][0]["started"] = json!(false);
    status["containerStatuses"][0]["state"] = json!({"terminated": {
        "exitCode": exit.exit_code,
        "reason": if exit.exit_code == 0 { "Completed" } else { "Error" },
        "message": exit.message,
        "startedAt": started_at,
        "finishedAt": now,
        "containerID": container_id,
    }});
    if let Some(conditions) = status["conditions"].as_array_mut() {
        for c in conditions.iter_mut().filter(|c| c["type"] == "Ready" || c["type"] == "ContainersReady") {
            c["status"] = json!("False");
            c["reason"] = json!("PodCompleted");
            c["lastTransitionTime"] = json!(now);
        }
    }
    state.put("Pod", pod);
}
