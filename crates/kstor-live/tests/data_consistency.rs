//! The recorded cluster in `tests/data/` is self-consistent (names, uids, claimRefs, volumeName,
//! nodeName match) and `dump.json` is exactly its `kubectl get … -A -o json`.

mod common;

use std::collections::{HashMap, HashSet};

use kstor_live::RESOURCES;
use serde_json::Value;

fn items(plural: &str) -> Vec<Value> {
    common::recorded().into_iter().find(|l| l.plural == plural).unwrap().items
}

fn key(item: &Value) -> (String, String) {
    let m = &item["metadata"];
    (m["namespace"].as_str().unwrap_or("").to_string(), m["name"].as_str().unwrap().to_string())
}

#[test]
fn lists_are_in_api_server_order_without_types_and_unique_uids() {
    let mut uids = HashSet::new();
    for list in common::recorded() {
        let keys: Vec<_> = list.items.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{} is not in namespace/name order", list.plural);
        for item in &list.items {
            assert!(item.get("kind").is_none() && item.get("apiVersion").is_none(), "{}", list.plural);
            let uid = item["metadata"]["uid"].as_str().unwrap().to_string();
            assert!(uids.insert(uid.clone()), "uid {uid} twice");
            let rv: u64 = item["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
            assert!(rv < list.resource_version.parse::<u64>().unwrap(), "{}", list.plural);
        }
    }
}

#[test]
fn references_resolve() {
    let pvs = items("persistentvolumes");
    let pvcs = items("persistentvolumeclaims");
    let nodes: HashSet<String> = items("nodes").iter().map(|n| key(n).1).collect();
    let classes: HashSet<String> = items("storageclasses").iter().map(|c| key(c).1).collect();
    let pvc_by_key: HashMap<(String, String), &Value> = pvcs.iter().map(|p| (key(p), p)).collect();
    let pv_by_name: HashMap<String, &Value> = pvs.iter().map(|p| (key(p).1, p)).collect();

    // PV claimRef ↔ PVC uid and volumeName; a Released PV's claim is gone.
    for pv in &pvs {
        let name = key(pv).1;
        assert!(classes.contains(pv["spec"]["storageClassName"].as_str().unwrap()), "{name}");
        let Some(claim) = pv["spec"].get("claimRef") else { continue };
        let claim_key = (claim["namespace"].as_str().unwrap().into(), claim["name"].as_str().unwrap().into());
        match pv["status"]["phase"].as_str().unwrap() {
            "Bound" => {
                let pvc = pvc_by_key[&claim_key];
                assert_eq!(pvc["metadata"]["uid"], claim["uid"], "{name}");
                assert_eq!(pvc["spec"]["volumeName"].as_str(), Some(name.as_str()));
                assert_eq!(pvc["metadata"]["resourceVersion"], claim["resourceVersion"], "{name}");
            }
            "Released" => assert!(!pvc_by_key.contains_key(&claim_key), "{name}"),
            phase => panic!("{name}: {phase} with a claimRef"),
        }
    }
    // PVC phases: Bound ones name their PV, the Lost one names a PV that no longer exists.
    let phases: Vec<&str> = pvcs.iter().map(|p| p["status"]["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["Bound", "Bound", "Pending", "Bound", "Lost"]);
    for pvc in &pvcs {
        let volume = pvc["spec"]["volumeName"].as_str();
        match pvc["status"]["phase"].as_str().unwrap() {
            "Bound" => assert!(pv_by_name.contains_key(volume.unwrap())),
            "Lost" => assert!(!pv_by_name.contains_key(volume.unwrap())),
            _ => assert!(volume.is_none()),
        }
    }
    // A PV pinned to a zone without nodes.
    let zones: HashSet<String> = items("nodes")
        .iter()
        .map(|n| n["metadata"]["labels"]["topology.kubernetes.io/zone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(zones.len(), 3);
    let pinned_elsewhere =
        pvs.iter().filter(|pv| {
            let zone = &pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
                ["values"][0];
            !zones.contains(zone.as_str().unwrap())
        });
    assert_eq!(pinned_elsewhere.count(), 1);

    // Pods: nodes exist, claims exist in their namespace, owners exist with the same uid.
    let mut owners: HashMap<(String, String, String), String> = HashMap::new();
    for (plural, kind) in [
        ("statefulsets", "StatefulSet"),
        ("replicasets", "ReplicaSet"),
        ("daemonsets", "DaemonSet"),
        ("deployments", "Deployment"),
        ("cronjobs", "CronJob"),
    ] {
        for o in items(plural) {
            let (ns, name) = key(&o);
            owners.insert((kind.into(), ns, name), o["metadata"]["uid"].as_str().unwrap().into());
        }
    }
    for object in items("pods").iter().chain(&items("replicasets")).chain(&items("jobs")) {
        let (ns, name) = key(object);
        let owner = &object["metadata"]["ownerReferences"][0];
        let owner_key =
            (owner["kind"].as_str().unwrap().into(), ns.clone(), owner["name"].as_str().unwrap().into());
        assert_eq!(owners.get(&owner_key).map(String::as_str), owner["uid"].as_str(), "{ns}/{name}");
        if let Some(node) = object["spec"]["nodeName"].as_str() {
            assert!(nodes.contains(node), "{name} on {node}");
        }
        for volume in object["spec"]["volumes"].as_array().into_iter().flatten() {
            if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
                assert!(pvc_by_key.contains_key(&(ns.clone(), claim.to_string())), "{name}: {claim}");
            }
        }
    }
    // VolumeAttachment, CSINodes, events and snapshots point at real objects.
    for va in items("volumeattachments") {
        assert!(pv_by_name.contains_key(va["spec"]["source"]["persistentVolumeName"].as_str().unwrap()));
        assert!(nodes.contains(va["spec"]["nodeName"].as_str().unwrap()));
        assert!(va["status"]["attachError"]["message"].is_string());
    }
    for csinode in items("csinodes") {
        assert!(nodes.contains(&key(&csinode).1));
    }
    let all_uids: HashSet<String> = common::recorded()
        .iter()
        .flat_map(|l| l.items.iter().map(|i| i["metadata"]["uid"].as_str().unwrap().to_string()))
        .collect();
    for event in items("events") {
        let object = &event["involvedObject"];
        let uid = object["uid"].as_str().unwrap();
        assert!(all_uids.contains(uid) || nodes.contains(uid), "event about {uid}");
    }
    assert!(
        items("events")
            .iter()
            .any(|e| e["reason"] == "ProvisioningFailed" && e["involvedObject"]["name"] == "data-postgres-2")
    );
    let snapshot = &items("volumesnapshots")[0];
    let content = &items("volumesnapshotcontents")[0];
    assert_eq!(snapshot["status"]["boundVolumeSnapshotContentName"].as_str(), Some(key(content).1.as_str()));
    assert_eq!(content["spec"]["volumeSnapshotRef"]["uid"], snapshot["metadata"]["uid"]);
    let source = snapshot["spec"]["source"]["persistentVolumeClaimName"].as_str().unwrap();
    let source_pv = pv_by_name
        [pvc_by_key[&("data".to_string(), source.to_string())]["spec"]["volumeName"].as_str().unwrap()];
    assert_eq!(content["spec"]["source"]["volumeHandle"], source_pv["spec"]["csi"]["volumeHandle"]);
}

#[test]
fn dump_is_the_kubectl_list_of_the_same_objects() {
    let dump: Value =
        serde_json::from_str(&std::fs::read_to_string(common::data_dir().join("dump.json")).unwrap())
            .unwrap();
    assert_eq!((&dump["apiVersion"], &dump["kind"]), (&"v1".into(), &"List".into()));
    let mut expected = Vec::new();
    for (r, list) in RESOURCES.iter().zip(common::recorded()) {
        for item in list.items {
            let mut typed = serde_json::Map::new();
            typed.insert("apiVersion".into(), r.api_version().into());
            typed.insert("kind".into(), r.kind.into());
            typed.extend(item.as_object().unwrap().clone());
            expected.push(Value::Object(typed));
        }
    }
    assert_eq!(dump["items"].as_array().unwrap(), &expected);
}
