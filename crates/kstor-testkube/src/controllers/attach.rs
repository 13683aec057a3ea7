//! The attach/detach controller and the external attacher: VolumeAttachments for the volumes
//! of scheduled pods, the Multi-Attach check of single-node volumes, attachment after a step
//! (or never, with the attach-stuck fault) and detachment once no pod on the node uses them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{claims_of, is_terminal, name, namespace, uid};
use crate::state::{State, rt};

const AD_CONTROLLER: &str = "attachdetach-controller";

/// The VolumeAttachment name upstream derives from the volume handle, driver and node.
pub fn attachment_name(handle: &str, driver: &str, node: &str) -> String {
    let digest = Sha256::digest(format!("{handle}{driver}{node}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("csi-{hex}")
}

/// A volume some pod on a node needs attached.
struct Wanted {
    pv: Value,
    node: String,
    pods: Vec<Value>,
}

/// The PV behind a pod's claim, if bound to a CSI volume of a driver that attaches.
pub(crate) fn attachable_volumes(state: &State, pod: &Value) -> Vec<Value> {
    claims_of(pod)
        .iter()
        .filter_map(|(_, claim)| state.get("PersistentVolumeClaim", namespace(pod), claim))
        .filter(|c| c["status"]["phase"] == "Bound")
        .filter_map(|c| state.get("PersistentVolume", "", c["spec"]["volumeName"].as_str()?))
        .filter(|pv| {
            pv["spec"]["csi"]["driver"]
                .as_str()
                .and_then(|d| state.driver(d))
                .is_some_and(|d| d.attach_required)
        })
        .collect()
}

pub(crate) fn reconcile(state: &mut State) {
    let mut wanted: BTreeMap<(String, String), Wanted> = BTreeMap::new();
    for pod in state.list("Pod", None) {
        let Some(node) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()).map(String::from) else {
            continue;
        };
        if is_terminal(&pod) {
            continue;
        }
        for pv in attachable_volumes(state, &pod) {
            let entry = wanted.entry((name(&pv).to_string(), node.clone())).or_insert_with(|| Wanted {
                pv: pv.clone(),
                node: node.clone(),
                pods: Vec::new(),
            });
            entry.pods.push(pod.clone());
        }
    }
    let attachments = state.list("VolumeAttachment", None);
    let attached_to = |pv: &str| -> BTreeSet<String> {
        attachments
            .iter()
            .filter(|a| a["spec"]["source"]["persistentVolumeName"] == pv)
            .filter_map(|a| a["spec"]["nodeName"].as_str().map(String::from))
            .collect()
    };
    for w in wanted.values() {
        let pv_name = name(&w.pv).to_string();
        let driver = w.pv["spec"]["csi"]["driver"].as_str().unwrap_or_default().to_string();
        let handle = w.pv["spec"]["csi"]["volumeHandle"].as_str().unwrap_or_default().to_string();
        let va_name = attachment_name(&handle, &driver, &w.node);
        if let Some(va) = attachments.iter().find(|a| name(a) == va_name) {
            report_attachment(state, w, va, &handle, &driver);
            continue;
        }
        let multi_node = w.pv["spec"]["accessModes"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "ReadWriteMany" || m == "ReadOnlyMany"));
        let elsewhere: Vec<String> = attached_to(&pv_name).into_iter().filter(|n| *n != w.node).collect();
        if !multi_node && !elsewhere.is_empty() {
            multi_attach(state, w, &elsewhere);
            continue;
        }
        let key = format!("attach/{pv_name}/{}", w.node);
        if state.due(&key, state.config.timing.step) {
            state.done(&key);
            let va = json!({
                "apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
                "metadata": {"name": va_name, "annotations": {"csi.alpha.kubernetes.io/node-id": w.node}},
                "spec": {"attacher": driver, "nodeName": w.node, "source": {"persistentVolumeName": pv_name}},
                "status": {"attached": false},
            });
            if let Ok(mut va) = state.create(rt("VolumeAttachment"), None, va) {
                va["status"] = json!({"attached": false});
                state.put("VolumeAttachment", va);
            }
        }
    }
    // Detach what no running pod on the node needs (never, with the multi-attach fault).
    for va in attachments {
        let pv = va["spec"]["source"]["persistentVolumeName"].as_str().unwrap_or_default().to_string();
        let node = va["spec"]["nodeName"].as_str().unwrap_or_default().to_string();
        if wanted.contains_key(&(pv.clone(), node)) || state.config.faults.multi_attach {
            continue;
        }
        let key = format!("detach/{}", name(&va));
        if state.due(&key, state.config.timing.step) {
            state.done(&key);
            let _ = state.delete(rt("VolumeAttachment"), "", name(&va), None);
        }
    }
}

/// The external attacher marks a new attachment attached after a step; the AD controller
/// reports success, or the timeout of a stuck attachment, on each pod.
fn report_attachment(state: &mut State, w: &Wanted, va: &Value, handle: &str, driver: &str) {
    let pv_name = name(&w.pv);
    if va["status"]["attached"] == true {
        for pod in &w.pods {
            let flag = format!("attached/{}/{pv_name}", uid(pod));
            if state.memo.flags.insert(flag) {
                let message = format!("AttachVolume.Attach succeeded for volume \"{pv_name}\" ");
                state.event(pod, false, "SuccessfulAttachVolume", &message, AD_CONTROLLER);
            }
        }
        return;
    }
    if state.config.faults.attach_stuck {
        let key = format!("attach-timeout/{}", name(va));
        if state.due(&key, state.config.timing.attach_timeout) {
            for pod in &w.pods {
                let message = format!(
                    "AttachVolume.Attach failed for volume \"{pv_name}\" : timed out waiting for external-attacher of {driver} CSI driver to attach volume {handle}"
                );
                state.event(pod, true, "FailedAttachVolume", &message, AD_CONTROLLER);
            }
        }
        return;
    }
    let key = format!("attached/{}", name(va));
    if state.due(&key, state.config.timing.step) {
        state.done(&key);
        let mut va = va.clone();
        va["status"] = json!({"attached": true, "attachmentMetadata": {"devicePath": "/dev/xvdba"}});
        state.put("VolumeAttachment", va);
    }
}

/// FailedAttachVolume "Multi-Attach error" with reconciler.go's wording.
fn multi_attach(state: &mut State, w: &Wanted, elsewhere: &[String]) {
    let pv_name = name(&w.pv).to_string();
    let users: Vec<Value> = state
        .list("Pod", None)
        .into_iter()
        .filter(|p| {
            !is_terminal(p)
                && p["spec"]["nodeName"].as_str().is_some_and(|n| elsewhere.iter().any(|e| e == n))
        })
        .filter(|p| attachable_volumes(state, p).iter().any(|pv| name(pv) == pv_name))
        .collect();
    for pod in &w.pods {
        let local: Vec<&str> = users.iter().filter(|u| namespace(u) == namespace(pod)).map(name).collect();
        let detail = if users.is_empty() {
            "Volume is already exclusively attached to one node and can't be attached to another".to_string()
        } else if local.is_empty() {
            format!("Volume is already used by {} pod(s) in different namespaces", users.len())
        } else {
            format!("Volume is already used by pod(s) {}", local.join(", "))
        };
        let message = format!("Multi-Attach error for volume \"{pv_name}\" {detail}");
        state.event(pod, true, "FailedAttachVolume", &message, AD_CONTROLLER);
    }
}
