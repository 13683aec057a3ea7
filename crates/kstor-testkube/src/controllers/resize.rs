//! Volume expansion: the external resizer grows the PV after [`crate::Timing::resize`]; the
//! kubelet then grows the filesystem of a running pod's mount and the claim's
//! `status.capacity` follows (at once for file drivers, which need no node step).

use serde_json::{Value, json};

use super::{claims_of, name, namespace, uid};
use crate::config::Topology;
use crate::state::State;

const RESIZE_PENDING: &str = "FileSystemResizePending";

fn size(v: &Value) -> Option<u64> {
    v.as_str().and_then(crate::quantity::parse)
}

pub(crate) fn reconcile(state: &mut State) {
    for claim in state.list("PersistentVolumeClaim", None) {
        if claim["status"]["phase"] != "Bound" || !claim["metadata"]["deletionTimestamp"].is_null() {
            continue;
        }
        let (Some(requested), Some(capacity)) = (
            size(&claim["spec"]["resources"]["requests"]["storage"]),
            size(&claim["status"]["capacity"]["storage"]),
        ) else {
            continue;
        };
        if requested <= capacity {
            continue;
        }
        let Some(mut pv) =
            claim["spec"]["volumeName"].as_str().and_then(|v| state.get("PersistentVolume", "", v))
        else {
            continue;
        };
        let driver = pv["spec"]["csi"]["driver"].as_str().and_then(|d| state.driver(d)).cloned();
        let Some(driver) = driver.filter(|d| d.expansion) else {
            state.event(
                &claim,
                false,
                "ExternalExpanding",
                "waiting for an external controller to expand this PVC",
                "volume_expand",
            );
            continue;
        };
        let pv_size = size(&pv["spec"]["capacity"]["storage"]).unwrap_or(0);
        let requested_text = claim["spec"]["resources"]["requests"]["storage"].clone();
        if pv_size < requested {
            let key = format!("resize/{}", uid(&claim));
            if !state.due(&key, state.config.timing.resize) {
                continue;
            }
            state.done(&key);
            let source = format!("external-resizer {}", driver.name);
            state.event(
                &claim,
                false,
                "Resizing",
                &format!("External resizer is resizing volume {}", name(&pv)),
                &source,
            );
            pv["spec"]["capacity"]["storage"] = requested_text.clone();
            state.put("PersistentVolume", pv);
            let mut claim = claim.clone();
            claim["status"]["allocatedResources"] = json!({"storage": requested_text});
            if driver.topology == Topology::Global {
                claim["status"]["capacity"]["storage"] = requested_text;
                let claim = state.put("PersistentVolumeClaim", claim);
                state.event(&claim, false, "VolumeResizeSuccessful", "Resize volume succeeded", &source);
                continue;
            }
            claim["status"]["allocatedResourceStatuses"] = json!({"storage": "NodeResizePending"});
            claim["status"]["conditions"] = json!([{
                "type": RESIZE_PENDING, "status": "True", "lastProbeTime": null, "lastTransitionTime": crate::time::now(),
                "message": "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
            }]);
            let claim = state.put("PersistentVolumeClaim", claim);
            state.event(
                &claim,
                false,
                "FileSystemResizeRequired",
                "Require file system resize of volume on node",
                &source,
            );
            continue;
        }
        node_expand(state, claim, &pv);
    }
}

/// The kubelet's NodeExpandVolume on the node of a running pod that mounts the claim.
fn node_expand(state: &mut State, mut claim: Value, pv: &Value) {
    let claim_name = name(&claim).to_string();
    let Some(pod) = state
        .list("Pod", Some(namespace(&claim)))
        .into_iter()
        .find(|p| p["status"]["phase"] == "Running" && claims_of(p).iter().any(|(_, c)| *c == claim_name))
    else {
        return;
    };
    let key = format!("node-expand/{}", uid(&claim));
    if !state.due(&key, state.config.timing.step) {
        return;
    }
    state.done(&key);
    claim["status"]["capacity"]["storage"] = pv["spec"]["capacity"]["storage"].clone();
    if let Some(status) = claim["status"].as_object_mut() {
        status.remove("conditions");
        status.remove("allocatedResourceStatuses");
    }
    state.put("PersistentVolumeClaim", claim);
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default().to_string();
    let message = format!("MountVolume.NodeExpandVolume succeeded for volume \"{}\" {node}", name(pv));
    state.event(&pod, false, "FileSystemResizeSuccessful", &message, "kubelet");
}

/// NodeExpandVolume at mount time: when the volume (PV) is larger than the claim's capacity,
/// the filesystem is grown as the kubelet mounts it for `pod`; returns the updated claim.
pub(crate) fn expand_on_mount(
    state: &mut State,
    claim: &Value,
    pv: &Value,
    pod: &Value,
    node: &str,
) -> Option<Value> {
    let pv_size = size(&pv["spec"]["capacity"]["storage"])?;
    let claim_size = size(&claim["status"]["capacity"]["storage"])?;
    if pv_size <= claim_size {
        return None;
    }
    let mut claim = claim.clone();
    claim["status"]["capacity"]["storage"] = pv["spec"]["capacity"]["storage"].clone();
    if let Some(status) = claim["status"].as_object_mut() {
        status.remove("conditions");
        status.remove("allocatedResourceStatuses");
    }
    let claim = state.put("PersistentVolumeClaim", claim);
    let message = format!("MountVolume.NodeExpandVolume succeeded for volume \"{}\" {node}", name(pv));
    state.event(pod, false, "FileSystemResizeSuccessful", &message, "kubelet");
    Some(claim)
}
