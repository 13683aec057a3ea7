//! The PV controller and the external provisioner of the simulated drivers: dynamic
//! provisioning (Immediate and WaitForFirstConsumer, zones, restore and clone), binding,
//! release and reclaim, and the pvc-protection and pv-protection finalizers.

use serde_json::{Value, json};

use super::{claims_of, is_terminal, name, namespace, uid};
use crate::api::{PV_PROTECTION, PVC_PROTECTION};
use crate::config::{Driver, Topology};
use crate::state::{State, VolumeData, rt};

/// The annotation the scheduler sets on WaitForFirstConsumer claims.
pub const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
const PV_CONTROLLER: &str = "persistentvolume-controller";

/// The event source of a driver's external provisioner.
fn provisioner(driver: &str) -> String {
    format!("{driver}_csi-controller-0_6f1c2d3e-testkube")
}

pub(crate) fn reconcile(state: &mut State) {
    for claim in state.list("PersistentVolumeClaim", None) {
        if !claim["metadata"]["deletionTimestamp"].is_null() {
            protect_claim(state, claim);
            continue;
        }
        match claim["status"]["phase"].as_str() {
            Some("Pending") | None if claim["spec"]["volumeName"].as_str().is_none_or(str::is_empty) => {
                provision(state, claim)
            }
            Some("Bound") => {
                let pv = claim["spec"]["volumeName"].as_str().unwrap_or_default();
                if state.get("PersistentVolume", "", pv).is_none() {
                    let mut lost = claim.clone();
                    lost["status"]["phase"] = json!("Lost");
                    let lost = state.put("PersistentVolumeClaim", lost);
                    state.event(
                        &lost,
                        true,
                        "ClaimLost",
                        "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
                        PV_CONTROLLER,
                    );
                }
            }
            _ => {}
        }
    }
    for pv in state.list("PersistentVolume", None) {
        reclaim(state, pv);
    }
}

/// pvc-protection: a deleted claim goes once no running pod uses it.
fn protect_claim(state: &mut State, claim: Value) {
    let ns = namespace(&claim).to_string();
    let claim_name = name(&claim).to_string();
    let in_use = state
        .list("Pod", Some(&ns))
        .iter()
        .any(|p| !is_terminal(p) && claims_of(p).iter().any(|(_, c)| *c == claim_name));
    let finalizers = claim["metadata"]["finalizers"].as_array().cloned().unwrap_or_default();
    if !in_use && finalizers.iter().any(|f| f == PVC_PROTECTION) {
        let key = format!("pvc-protection/{}", uid(&claim));
        if state.due(&key, state.config.timing.step) {
            state.done(&key);
            state.remove_finalizer(rt("PersistentVolumeClaim"), claim, PVC_PROTECTION);
        }
    }
}

/// The CSI access mode names, as drivers word their refusals.
fn capability(mode: &str) -> &str {
    match mode {
        "ReadWriteOnce" => "SINGLE_NODE_MULTI_WRITER",
        "ReadWriteOncePod" => "SINGLE_NODE_SINGLE_WRITER",
        "ReadWriteMany" => "MULTI_NODE_MULTI_WRITER",
        "ReadOnlyMany" => "MULTI_NODE_READER_ONLY",
        other => other,
    }
}

fn provision(state: &mut State, mut claim: Value) {
    let class_name = claim["spec"]["storageClassName"].as_str().unwrap_or_default().to_string();
    if class_name.is_empty() {
        return; // static binding only: nothing to provision
    }
    let Some(class) = state.get("StorageClass", "", &class_name) else {
        let message = format!("storageclass.storage.k8s.io \"{class_name}\" not found");
        state.event(&claim, true, "ProvisioningFailed", &message, PV_CONTROLLER);
        return;
    };
    let driver_name = class["provisioner"].as_str().unwrap_or_default().to_string();
    if claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"].is_null() {
        claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] = json!(driver_name);
        claim["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-provisioner"] =
            json!(driver_name);
        claim = state.put("PersistentVolumeClaim", claim);
    }
    let wffc = class["volumeBindingMode"] == "WaitForFirstConsumer";
    let selected = claim["metadata"]["annotations"][SELECTED_NODE].as_str().map(String::from);
    if wffc && selected.is_none() {
        state.event(
            &claim,
            false,
            "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding",
            PV_CONTROLLER,
        );
        return;
    }
    let waiting = format!(
        "Waiting for a volume to be created either by the external provisioner '{driver_name}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
    );
    state.event(&claim, false, "ExternalProvisioning", &waiting, PV_CONTROLLER);
    let Some(driver) = state.driver(&driver_name).cloned() else {
        return; // no such provisioner runs: the claim waits, as in a cluster without the driver
    };
    let key = format!("provision/{}", uid(&claim));
    if !state.due(&key, state.config.timing.step) {
        return;
    }
    let source = provisioner(&driver.name);
    let claim_ref = format!("{}/{}", namespace(&claim), name(&claim));
    state.event(
        &claim,
        false,
        "Provisioning",
        &format!("External provisioner is provisioning volume for claim \"{claim_ref}\""),
        &source,
    );
    match plan(state, &claim, &class, &driver, selected.as_deref()) {
        Ok(plan) => {
            state.done(&key);
            create_volume(state, claim, &class, &driver, plan);
        }
        Err(why) => {
            let message = format!("failed to provision volume with StorageClass \"{class_name}\": {why}");
            state.event(&claim, true, "ProvisioningFailed", &message, &source);
            // Retry after the retry interval, as the provisioner's backoff.
            state.done(&key);
        }
    }
}

/// Where and from what a volume is made.
struct Plan {
    /// The topology value (zone or node) it is confined to.
    place: Option<String>,
    /// The directory whose content the new volume starts with (restore or clone).
    copy_from: Option<std::path::PathBuf>,
}

fn plan(
    state: &mut State,
    claim: &Value,
    class: &Value,
    driver: &Driver,
    selected: Option<&str>,
) -> Result<Plan, String> {
    if let Some(message) = state.config.faults.provisioning_fails.clone() {
        return Err(message);
    }
    let modes: Vec<&str> =
        claim["spec"]["accessModes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let unsupported: Vec<&str> = modes
        .iter()
        .filter(|m| !driver.access_modes.iter().any(|d| d == *m))
        .map(|m| capability(m))
        .collect();
    if !unsupported.is_empty() {
        return Err(format!(
            "rpc error: code = InvalidArgument desc = Volume capabilities [{}] not supported",
            unsupported.join(" ")
        ));
    }
    let copy_from = data_source(state, claim, driver)?;
    let place = match (&driver.topology, selected) {
        (Topology::Global, _) => None,
        (Topology::Zonal { key, .. } | Topology::NodeLocal { key }, Some(node_name)) => {
            let node = state
                .get("Node", "", node_name)
                .ok_or_else(|| format!("failed to get target node: nodes \"{node_name}\" not found"))?;
            let value = node["metadata"]["labels"][key.as_str()]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| node_name.to_string());
            if let Topology::Zonal { zones, .. } = &driver.topology
                && !zones.contains(&value)
            {
                return Err(format!(
                    "rpc error: code = ResourceExhausted desc = the driver cannot provision in {key}={value}"
                ));
            }
            Some(value)
        }
        (Topology::Zonal { key, zones }, None) => {
            let allowed = allowed_values(class, key);
            let candidates: Vec<&String> =
                zones.iter().filter(|z| allowed.as_ref().is_none_or(|a| a.contains(*z))).collect();
            if candidates.is_empty() {
                return Err("rpc error: code = InvalidArgument desc = no topology allowed by the StorageClass is served by the driver".into());
            }
            state.memo.next_zone += 1;
            Some(candidates[(state.memo.next_zone - 1) % candidates.len()].clone())
        }
        (Topology::NodeLocal { key }, None) => {
            let allowed = allowed_values(class, key);
            let nodes: Vec<String> = state
                .list("Node", None)
                .iter()
                .map(|n| n["metadata"]["labels"][key.as_str()].as_str().unwrap_or(name(n)).to_string())
                .filter(|v| allowed.as_ref().is_none_or(|a| a.contains(v)))
                .collect();
            if nodes.is_empty() {
                return Err("rpc error: code = ResourceExhausted desc = no node to provision on".into());
            }
            state.memo.next_zone += 1;
            Some(nodes[(state.memo.next_zone - 1) % nodes.len()].clone())
        }
    };
    Ok(Plan { place, copy_from })
}

/// The values of a key the class's allowedTopologies permit (None = no restriction).
fn allowed_values(class: &Value, key: &str) -> Option<Vec<String>> {
    let terms = class["allowedTopologies"].as_array()?;
    let values: Vec<String> = terms
        .iter()
        .flat_map(|t| t["matchLabelExpressions"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["key"] == key)
        .flat_map(|e| e["values"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    (!values.is_empty()).then_some(values)
}

/// The directory a restore or clone starts from.
fn data_source(state: &State, claim: &Value, driver: &Driver) -> Result<Option<std::path::PathBuf>, String> {
    let source = if claim["spec"]["dataSourceRef"].is_object() {
        &claim["spec"]["dataSourceRef"]
    } else {
        &claim["spec"]["dataSource"]
    };
    if !source.is_object() {
        return Ok(None);
    }
    let ns = namespace(claim);
    let source_name = source["name"].as_str().unwrap_or_default();
    match source["kind"].as_str() {
        Some("VolumeSnapshot") => {
            let prefix =
                format!("error getting handle for DataSource Type VolumeSnapshot by Name {source_name}");
            let snapshot = state.get("VolumeSnapshot", ns, source_name).ok_or_else(|| {
                format!("{prefix}: error getting snapshot {source_name} from api server: volumesnapshots.snapshot.storage.k8s.io \"{source_name}\" not found")
            })?;
            if snapshot["status"]["readyToUse"] != true {
                return Err(format!("{prefix}: snapshot {source_name} is not Ready"));
            }
            let content = snapshot["status"]["boundVolumeSnapshotContentName"].as_str().unwrap_or_default();
            let content_driver =
                state.get("VolumeSnapshotContent", "", content).map(|c| c["spec"]["driver"].clone());
            if content_driver.as_ref().is_some_and(|d| *d != driver.name.as_str()) {
                return Err(format!("{prefix}: snapshot {source_name} was taken by another driver"));
            }
            let dir = state
                .memo
                .snapshots
                .get(content)
                .cloned()
                .ok_or_else(|| format!("{prefix}: snapshot content {content} not found"))?;
            Ok(Some(dir))
        }
        Some("PersistentVolumeClaim") => {
            let prefix = format!(
                "error getting handle for DataSource Type PersistentVolumeClaim by Name {source_name}"
            );
            if !driver.clone {
                return Err(format!("{prefix}: the driver {} does not support cloning", driver.name));
            }
            let source_claim = state
                .get("PersistentVolumeClaim", ns, source_name)
                .ok_or_else(|| format!("{prefix}: persistentvolumeclaims \"{source_name}\" not found"))?;
            if source_claim["status"]["phase"] != "Bound" {
                return Err(format!("{prefix}: the PVC {source_name} is not yet bound to a PV"));
            }
            let pv = source_claim["spec"]["volumeName"].as_str().unwrap_or_default();
            let dir = state
                .memo
                .volumes
                .get(pv)
                .map(|v| v.dir.clone())
                .ok_or_else(|| format!("{prefix}: volume {pv} not found"))?;
            Ok(Some(dir))
        }
        _ => Ok(None),
    }
}

fn create_volume(state: &mut State, mut claim: Value, class: &Value, driver: &Driver, plan: Plan) {
    let pv_name = format!("pvc-{}", uid(&claim));
    let size = claim["spec"]["resources"]["requests"]["storage"].clone();
    let dir = state.new_dir(&pv_name);
    if let Some(from) = &plan.copy_from
        && !state.config.faults.empty_restore
        && let Err(e) = super::copy_dir(from, &dir)
    {
        eprintln!("kstor-testkube: copying {} into {}: {e}", from.display(), dir.display());
    }
    state.memo.volumes.insert(pv_name.clone(), VolumeData { dir, last_node: None });
    let handle = format!("vol-{}", &uid(&claim).replace('-', "")[..17]);
    let mut spec = json!({
        "accessModes": claim["spec"]["accessModes"],
        "capacity": {"storage": size},
        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": namespace(&claim),
                     "name": name(&claim), "uid": uid(&claim), "resourceVersion": claim["metadata"]["resourceVersion"]},
        "csi": {"driver": driver.name, "volumeHandle": handle, "fsType": "ext4",
                "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1764172320000-8081-".to_string() + &driver.name}},
        "persistentVolumeReclaimPolicy": class["reclaimPolicy"].as_str().unwrap_or("Delete"),
        "storageClassName": name(class),
        "volumeMode": claim["spec"]["volumeMode"].as_str().unwrap_or("Filesystem"),
    });
    if let (Some(key), Some(place)) = (driver.topology_key(), &plan.place) {
        spec["nodeAffinity"] = json!({"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": key, "operator": "In", "values": [place]}]}]}});
    }
    if let Some(options) = class["mountOptions"].as_array() {
        spec["mountOptions"] = json!(options);
    }
    let pv = json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": driver.name,
                     "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                     "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}},
        "spec": spec,
    });
    let mut pv = match state.create(rt("PersistentVolume"), None, pv) {
        Ok(pv) => pv,
        Err(e) => {
            eprintln!("kstor-testkube: creating {pv_name}: {e}");
            return;
        }
    };
    pv["status"] = json!({"phase": "Bound"});
    state.put("PersistentVolume", pv);
    let annotations = &mut claim["metadata"]["annotations"];
    annotations["pv.kubernetes.io/bind-completed"] = json!("yes");
    annotations["pv.kubernetes.io/bound-by-controller"] = json!("yes");
    claim["spec"]["volumeName"] = json!(pv_name);
    claim["status"] =
        json!({"phase": "Bound", "accessModes": claim["spec"]["accessModes"], "capacity": {"storage": size}});
    let claim = state.put("PersistentVolumeClaim", claim);
    state.event(
        &claim,
        false,
        "ProvisioningSucceeded",
        &format!("Successfully provisioned volume {pv_name}"),
        &provisioner(&driver.name),
    );
}

/// Release, reclaim and pv-protection.
fn reclaim(state: &mut State, mut pv: Value) {
    let pv_name = name(&pv).to_string();
    let phase = pv["status"]["phase"].as_str().unwrap_or_default().to_string();
    if !pv["metadata"]["deletionTimestamp"].is_null() {
        if phase != "Bound"
            && pv["metadata"]["finalizers"].as_array().is_some_and(|f| f.iter().any(|f| f == PV_PROTECTION))
        {
            state.remove_finalizer(rt("PersistentVolume"), pv, PV_PROTECTION);
        }
        return;
    }
    let claim_ref = &pv["spec"]["claimRef"];
    if phase == "Bound" && claim_ref.is_object() {
        let claim = state.get(
            "PersistentVolumeClaim",
            claim_ref["namespace"].as_str().unwrap_or_default(),
            claim_ref["name"].as_str().unwrap_or_default(),
        );
        let gone = claim.is_none_or(|c| c["metadata"]["uid"] != claim_ref["uid"]);
        if gone {
            pv["status"]["phase"] = json!("Released");
            pv = state.put("PersistentVolume", pv);
        } else {
            return;
        }
    }
    if pv["status"]["phase"] == "Released" && pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete" {
        let key = format!("reclaim/{}", uid(&pv));
        if state.due(&key, state.config.timing.step) {
            state.done(&key);
            if let Some(volume) = state.memo.volumes.remove(&pv_name) {
                let _ = std::fs::remove_dir_all(&volume.dir);
            }
            let _ = state.delete(rt("PersistentVolume"), "", &pv_name, None);
        }
    }
}
