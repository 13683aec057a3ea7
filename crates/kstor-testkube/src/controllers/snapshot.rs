//! The snapshot controller and the CSI snapshotter: a VolumeSnapshot of a bound claim gets a
//! VolumeSnapshotContent (the data directory is copied at that moment) and becomes
//! `readyToUse` after [`crate::Timing::snapshot_ready`]; deleting it deletes or retains the
//! content per `deletionPolicy`.

use serde_json::{Value, json};

use super::{name, namespace, uid};
use crate::state::{State, rt};

const SNAPSHOT_CONTROLLER: &str = "snapshot-controller";
const DEFAULT_CLASS: &str = "snapshot.storage.kubernetes.io/is-default-class";

pub(crate) fn reconcile(state: &mut State) {
    if !state.config.snapshot_crds {
        return;
    }
    for snapshot in state.list("VolumeSnapshot", None) {
        if !snapshot["metadata"]["deletionTimestamp"].is_null() {
            continue;
        }
        match snapshot["status"]["boundVolumeSnapshotContentName"].as_str() {
            None => create_content(state, snapshot),
            Some(content) if snapshot["status"]["readyToUse"] != true => {
                let content = content.to_string();
                make_ready(state, snapshot, &content);
            }
            Some(_) => {}
        }
    }
    for content in state.list("VolumeSnapshotContent", None) {
        let reference = &content["spec"]["volumeSnapshotRef"];
        let snapshot = state.get(
            "VolumeSnapshot",
            reference["namespace"].as_str().unwrap_or_default(),
            reference["name"].as_str().unwrap_or_default(),
        );
        let orphan = snapshot.is_none_or(|s| s["metadata"]["uid"] != reference["uid"]);
        if orphan && content["spec"]["deletionPolicy"] == "Delete" && reference["uid"].is_string() {
            if let Some(dir) = state.memo.snapshots.remove(name(&content)) {
                let _ = std::fs::remove_dir_all(dir);
            }
            let _ = state.delete(rt("VolumeSnapshotContent"), "", name(&content), None);
        }
    }
}

fn failed(state: &mut State, snapshot: &Value, why: &str) {
    let message = format!("Failed to create snapshot content with error {why}");
    state.event(snapshot, true, "SnapshotContentCreationFailed", &message, SNAPSHOT_CONTROLLER);
}

fn create_content(state: &mut State, mut snapshot: Value) {
    let ns = namespace(&snapshot).to_string();
    let snap_name = name(&snapshot).to_string();
    let Some(claim_name) = snapshot["spec"]["source"]["persistentVolumeClaimName"].as_str().map(String::from)
    else {
        return; // pre-provisioned contents are not simulated
    };
    let input = format!("failed to get input parameters to create snapshot {snap_name}");
    let Some(claim) = state.get("PersistentVolumeClaim", &ns, &claim_name) else {
        return failed(
            state,
            &snapshot,
            &format!("{input}: \"persistentvolumeclaims \\\"{claim_name}\\\" not found\""),
        );
    };
    let pv = claim["spec"]["volumeName"]
        .as_str()
        .filter(|_| claim["status"]["phase"] == "Bound")
        .and_then(|v| state.get("PersistentVolume", "", v));
    let Some(pv) = pv else {
        return failed(
            state,
            &snapshot,
            &format!(
                "{input}: \"the PVC {claim_name} is not yet bound to a PV, will not attempt to take a snapshot\""
            ),
        );
    };
    let driver = pv["spec"]["csi"]["driver"].as_str().unwrap_or_default().to_string();
    let class = match snapshot["spec"]["volumeSnapshotClassName"].as_str() {
        Some(class_name) => match state.get("VolumeSnapshotClass", "", class_name) {
            Some(class) => class,
            None => {
                let why = format!(
                    "{input}: \"volumesnapshotclass.snapshot.storage.k8s.io \\\"{class_name}\\\" not found\""
                );
                return failed(state, &snapshot, &why);
            }
        },
        None => {
            let default = state.list("VolumeSnapshotClass", None).into_iter().find(|c| {
                c["driver"] == driver.as_str() && c["metadata"]["annotations"][DEFAULT_CLASS] == "true"
            });
            match default {
                Some(class) => {
                    snapshot["spec"]["volumeSnapshotClassName"] = json!(name(&class));
                    class
                }
                None => {
                    return failed(
                        state,
                        &snapshot,
                        &format!("{input}: \"cannot find default snapshot class\""),
                    );
                }
            }
        }
    };
    if class["driver"] != driver.as_str() {
        let why = format!(
            "{input}: \"the snapshot class {} driver {} does not match the volume's driver {driver}\"",
            name(&class),
            class["driver"]
        );
        return failed(state, &snapshot, &why);
    }
    let key = format!("snapshot/{}", uid(&snapshot));
    if !state.due(&key, state.config.timing.step) {
        return;
    }
    state.done(&key);
    let content_name = format!("snapcontent-{}", uid(&snapshot));
    let dir = state.new_dir(&content_name);
    if let Some(source) = state.memo.volumes.get(name(&pv)).map(|v| v.dir.clone())
        && let Err(e) = super::copy_dir(&source, &dir)
    {
        eprintln!("kstor-testkube: snapshotting {}: {e}", source.display());
    }
    state.memo.snapshots.insert(content_name.clone(), dir);
    let content = json!({
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotContent",
        "metadata": {"name": content_name},
        "spec": {
            "deletionPolicy": class["deletionPolicy"].as_str().unwrap_or("Delete"),
            "driver": driver,
            "source": {"volumeHandle": pv["spec"]["csi"]["volumeHandle"]},
            "sourceVolumeMode": pv["spec"]["volumeMode"].as_str().unwrap_or("Filesystem"),
            "volumeSnapshotClassName": name(&class),
            "volumeSnapshotRef": {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                                  "name": snap_name, "namespace": ns, "uid": uid(&snapshot),
                                  "resourceVersion": snapshot["metadata"]["resourceVersion"]},
        },
    });
    if let Err(e) = state.create(rt("VolumeSnapshotContent"), None, content) {
        eprintln!("kstor-testkube: creating {content_name}: {e}");
        return;
    }
    snapshot["status"] = json!({"boundVolumeSnapshotContentName": content_name, "readyToUse": false});
    let snapshot = state.put("VolumeSnapshot", snapshot);
    let message = format!("Waiting for a snapshot {ns}/{snap_name} to be created by the CSI driver.");
    state.event(&snapshot, false, "CreatingSnapshot", &message, SNAPSHOT_CONTROLLER);
}

fn make_ready(state: &mut State, mut snapshot: Value, content_name: &str) {
    let Some(mut content) = state.get("VolumeSnapshotContent", "", content_name) else { return };
    let driver = content["spec"]["driver"].as_str().unwrap_or_default().to_string();
    let supported = state.driver(&driver).is_some_and(|d| d.snapshots);
    if !supported || state.config.faults.snapshot_never_ready {
        return;
    }
    let key = format!("snapshot-ready/{}", uid(&snapshot));
    if !state.due(&key, state.config.timing.snapshot_ready) {
        return;
    }
    state.done(&key);
    let claim = snapshot["spec"]["source"]["persistentVolumeClaimName"].as_str().unwrap_or_default();
    let size_text = state
        .get("PersistentVolumeClaim", namespace(&snapshot), claim)
        .and_then(|c| c["status"]["capacity"]["storage"].as_str().map(String::from))
        .unwrap_or_else(|| "1Gi".into());
    let bytes = crate::quantity::parse(&size_text).unwrap_or(0);
    let nanos = crate::time::now_nanos();
    let handle = format!("snap-{}", &uid(&snapshot).replace('-', "")[..17]);
    content["status"] =
        json!({"creationTime": nanos, "readyToUse": true, "restoreSize": bytes, "snapshotHandle": handle});
    state.put("VolumeSnapshotContent", content);
    snapshot["status"] = json!({
        "boundVolumeSnapshotContentName": content_name, "creationTime": crate::time::now(),
        "readyToUse": true, "restoreSize": crate::quantity::format(bytes),
    });
    let snapshot = state.put("VolumeSnapshot", snapshot);
    let id = format!("{}/{}", namespace(&snapshot), name(&snapshot));
    state.event(
        &snapshot,
        false,
        "SnapshotCreated",
        &format!("Snapshot {id} was successfully created by the CSI driver."),
        SNAPSHOT_CONTROLLER,
    );
    state.event(
        &snapshot,
        false,
        "SnapshotReady",
        &format!("Snapshot {id} is ready to use."),
        SNAPSHOT_CONTROLLER,
    );
}
