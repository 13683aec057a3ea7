//! Writes a synthetic `kubectl get pv,pvc,sc,…,nodes,pods,events -A -o json` dump for the audit
//! benchmark (docs/performance.md): an EKS-like cluster of `nodes` nodes in three zones and
//! `namespaces` team namespaces, each with three 3-replica StatefulSets (database, queue,
//! cache) on gp3 claims and a 3-replica web Deployment sharing an EFS claim, plus 3 worker pods
//! — 10 claims and 15 pods per namespace, so 2,000 namespaces give 20,000 PVCs, 20,000 PVs and
//! 30,000 pods. Every 40th namespace has a claim Pending on a provisioning failure (with its
//! event) and a Released `Retain` volume in its place; 1% of nodes are NotReady. Objects look
//! like the API serves them (full metadata, spec, status; kubectl's 4-space indentation).
//! Deterministic: the same arguments give the same bytes.
//!
//! Usage: `cargo run --release -p kstor --example gen_cluster_dump -- <nodes> <namespaces> <out.json>`

use std::fs::File;
use std::io::{BufWriter, Write};

use serde::Serialize;
use serde_json::{Value, json};

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const CREATED: &str = "2026-09-01T08:00:00Z";
const NOW_ISH: &str = "2026-11-26T11:40:00Z";

fn uid(kind: u32, n: usize) -> String {
    format!(
        "{kind:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        n >> 16 & 0xffff,
        n >> 4 & 0xfff,
        n & 0xfff,
        n * 7919
    )
}

fn node_name(n: usize) -> String {
    format!("ip-10-{}-{}-{}.ec2.internal", n % 3, n / 250 % 250, n % 250)
}

fn node(n: usize) -> Value {
    let zone = ZONES[n % 3];
    let ready = n % 100 != 99;
    let condition = |kind: &str, status: &str, reason: &str, message: &str| json!({"type": kind, "status": status, "lastHeartbeatTime": NOW_ISH, "lastTransitionTime": CREATED, "reason": reason, "message": message});
    let images: Vec<Value> = (0..12)
        .map(|i| json!({"names": [format!("602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/image-{i}@sha256:{:064x}", i * 31 + n), format!("602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/image-{i}:v1.{i}.0")], "sizeBytes": 20_000_000 + i * 1_000_003}))
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": node_name(n), "uid": uid(1, n), "resourceVersion": format!("{}", 900_000 + n), "creationTimestamp": CREATED,
            "labels": {
                "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "m6i.2xlarge", "beta.kubernetes.io/os": "linux",
                "eks.amazonaws.com/capacityType": "ON_DEMAND", "eks.amazonaws.com/nodegroup": format!("workers-{zone}"),
                "failure-domain.beta.kubernetes.io/region": "us-east-1", "failure-domain.beta.kubernetes.io/zone": zone,
                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": node_name(n), "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.ebs.csi.aws.com/zone": zone,
                "topology.kubernetes.io/region": "us-east-1", "topology.kubernetes.io/zone": zone
            },
            "annotations": {"alpha.kubernetes.io/provided-node-ip": format!("10.{}.{}.{}", n % 3, n / 250 % 250, n % 250), "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
        },
        "spec": {"providerID": format!("aws:///{zone}/i-{:017x}", n * 104_729)},
        "status": {
            "addresses": [{"type": "InternalIP", "address": format!("10.{}.{}.{}", n % 3, n / 250 % 250, n % 250)}, {"type": "Hostname", "address": node_name(n)}, {"type": "InternalDNS", "address": node_name(n)}],
            "allocatable": {"cpu": "7910m", "ephemeral-storage": "95551679124", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "31482044Ki", "pods": "58"},
            "capacity": {"cpu": "8", "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32500412Ki", "pods": "58"},
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                if ready { condition("Ready", "True", "KubeletReady", "kubelet is posting ready status") } else { condition("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.") }
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": images,
            "nodeInfo": {"architecture": "amd64", "bootID": uid(2, n), "containerRuntimeVersion": "containerd://1.7.22", "kernelVersion": "6.1.112-122.189.amzn2023.x86_64", "kubeProxyVersion": "v1.31.2-eks-7f9249a", "kubeletVersion": "v1.31.2-eks-7f9249a", "machineID": format!("{:032x}", n), "operatingSystem": "linux", "osImage": "Amazon Linux 2023.6.20241111", "systemUUID": uid(3, n)}
        }
    })
}

fn storage_classes() -> Vec<Value> {
    let class = |name: &str, provisioner: &str, params: Value, reclaim: &str, mode: &str, default: bool| {
        let mut annotations = json!({});
        if default {
            annotations["storageclass.kubernetes.io/is-default-class"] = json!("true");
        }
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "uid": uid(4, name.len()), "resourceVersion": "1201", "creationTimestamp": CREATED, "annotations": annotations},
            "provisioner": provisioner, "parameters": params, "reclaimPolicy": reclaim, "volumeBindingMode": mode, "allowVolumeExpansion": true})
    };
    vec![
        class(
            "gp3",
            "ebs.csi.aws.com",
            json!({"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}),
            "Delete",
            "WaitForFirstConsumer",
            true,
        ),
        class(
            "gp3-retain",
            "ebs.csi.aws.com",
            json!({"type": "gp3", "encrypted": "true"}),
            "Retain",
            "WaitForFirstConsumer",
            false,
        ),
        class(
            "efs",
            "efs.csi.aws.com",
            json!({"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0", "directoryPerms": "700"}),
            "Delete",
            "Immediate",
            false,
        ),
    ]
}

fn cluster_objects() -> Vec<Value> {
    let mut out = storage_classes();
    for (name, attach) in [("ebs.csi.aws.com", true), ("efs.csi.aws.com", false)] {
        out.push(json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": name, "uid": uid(5, name.len()), "creationTimestamp": CREATED},
            "spec": {"attachRequired": attach, "fsGroupPolicy": "ReadWriteOnceWithFSType", "podInfoOnMount": false, "requiresRepublish": false, "seLinuxMount": false, "storageCapacity": false, "volumeLifecycleModes": ["Persistent"]}}));
    }
    out.push(json!({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
        "metadata": {"name": "ebs-retain", "uid": uid(6, 1), "creationTimestamp": CREATED, "annotations": {"snapshot.storage.kubernetes.io/is-default-class": "true"}},
        "driver": "ebs.csi.aws.com", "deletionPolicy": "Retain"}));
    out
}

/// Everything of one team namespace: workloads, claims, volumes, pods, events.
struct Team {
    objects: Vec<Value>,
}

// One call per generated object; a parameter struct would only rename the arguments.
#[allow(clippy::too_many_arguments)]
fn pod(
    ns: &str,
    name: &str,
    owner: (&str, &str),
    image: &str,
    claim: Option<(&str, &str)>,
    node: usize,
    n: usize,
    pending: bool,
) -> Value {
    let mut volumes = vec![json!({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})];
    let mut mounts = vec![
        json!({"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}),
    ];
    match claim {
        Some((claim, path)) => {
            volumes.push(json!({"name": "data", "persistentVolumeClaim": {"claimName": claim}}));
            mounts.push(json!({"name": "data", "mountPath": path}));
        }
        None => {
            volumes.push(json!({"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}));
            mounts.push(json!({"name": "scratch", "mountPath": "/tmp"}));
        }
    }
    let running = json!({"phase": "Running", "hostIP": format!("10.0.{}.{}", node / 250 % 250, node % 250), "podIP": format!("10.1.{}.{}", n / 250 % 250, n % 250), "qosClass": "Burstable", "startTime": CREATED,
        "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": CREATED}, {"type": "Ready", "status": "True", "lastTransitionTime": CREATED}, {"type": "ContainersReady", "status": "True", "lastTransitionTime": CREATED}, {"type": "PodScheduled", "status": "True", "lastTransitionTime": CREATED}],
        "containerStatuses": [{"name": "main", "image": image, "imageID": format!("docker.io/library/{image}@sha256:{:064x}", n), "containerID": format!("containerd://{:064x}", n * 3), "ready": true, "restartCount": 0, "started": true, "state": {"running": {"startedAt": CREATED}}}]});
    let pending_status = json!({"phase": "Pending", "qosClass": "Burstable", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": NOW_ISH, "message": "0/5000 nodes are available: pod has unbound immediate PersistentVolumeClaims."}]});
    let mut spec = json!({
        "containers": [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent", "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}, "volumeMounts": mounts,
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
        "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always",
        "schedulerName": "default-scheduler", "securityContext": {"fsGroup": 1000, "runAsNonRoot": true, "runAsUser": 1000, "fsGroupChangePolicy": "OnRootMismatch"},
        "serviceAccount": "default", "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
        "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300}, {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}],
        "volumes": volumes
    });
    if !pending {
        spec["nodeName"] = json!(node_name(node));
    }
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": uid(7, n), "resourceVersion": format!("{}", 2_000_000 + n), "creationTimestamp": CREATED, "generateName": format!("{}-", owner.1),
            "labels": {"app.kubernetes.io/name": owner.1, "app.kubernetes.io/part-of": ns},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner.0, "name": owner.1, "uid": uid(8, n / 3), "controller": true, "blockOwnerDeletion": true}]},
        "spec": spec,
        "status": if pending { pending_status } else { running }})
}

fn claim(ns: &str, name: &str, class: &str, mode: &str, size: &str, volume: Option<&str>, n: usize) -> Value {
    let mut spec = json!({"accessModes": [mode], "resources": {"requests": {"storage": size}}, "storageClassName": class, "volumeMode": "Filesystem"});
    let status = match volume {
        Some(v) => {
            spec["volumeName"] = json!(v);
            json!({"phase": "Bound", "accessModes": [mode], "capacity": {"storage": size}})
        }
        None => json!({"phase": "Pending"}),
    };
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns, "uid": uid(9, n), "resourceVersion": format!("{}", 3_000_000 + n), "creationTimestamp": if volume.is_some() { CREATED } else { NOW_ISH },
            "labels": {"app.kubernetes.io/part-of": ns}, "finalizers": ["kubernetes.io/pvc-protection"],
            "annotations": {"pv.kubernetes.io/bind-completed": "yes", "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com", "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"}},
        "spec": spec, "status": status})
}

#[allow(clippy::too_many_arguments)]
fn volume(
    name: &str,
    claim: (&str, &str),
    class: &str,
    driver: &str,
    mode: &str,
    size: &str,
    zone: Option<&str>,
    phase: &str,
    reclaim: &str,
    n: usize,
) -> Value {
    let mut spec = json!({"accessModes": [mode], "capacity": {"storage": size}, "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": claim.0, "name": claim.1, "uid": uid(9, n)},
        "csi": {"driver": driver, "fsType": "ext4", "volumeHandle": format!("vol-{:017x}", n * 7_368_787), "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1725177600000-8081-ebs.csi.aws.com"}},
        "persistentVolumeReclaimPolicy": reclaim, "storageClassName": class, "volumeMode": "Filesystem"});
    if let Some(zone) = zone {
        spec["nodeAffinity"] = json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}});
    }
    json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "uid": uid(10, n), "resourceVersion": format!("{}", 4_000_000 + n), "creationTimestamp": CREATED,
            "annotations": {"pv.kubernetes.io/provisioned-by": driver, "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
            "finalizers": ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"]},
        "spec": spec, "status": {"phase": phase, "lastPhaseTransitionTime": CREATED}})
}

fn team(t: usize, nodes: usize) -> Team {
    let ns = format!("team-{t:05}");
    let mut objects = Vec::new();
    let mut n = t * 16;
    let troubled = t % 40 == 7;
    for (s, (set, image, path, size)) in [
        ("db", "postgres:16.4", "/var/lib/postgresql/data", "100Gi"),
        ("queue", "rabbitmq:3.13", "/var/lib/rabbitmq", "20Gi"),
        ("cache", "redis:7.2", "/data", "10Gi"),
    ]
    .into_iter()
    .enumerate()
    {
        objects.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": set, "namespace": ns, "uid": uid(8, n / 3), "generation": 1, "creationTimestamp": CREATED, "labels": {"app.kubernetes.io/name": set}},
            "spec": {"replicas": 3, "serviceName": set, "podManagementPolicy": "OrderedReady", "selector": {"matchLabels": {"app.kubernetes.io/name": set}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": set}}, "spec": {"securityContext": {"fsGroup": 1000, "runAsNonRoot": true, "runAsUser": 1000, "fsGroupChangePolicy": "OnRootMismatch"},
                    "containers": [{"name": "main", "image": image, "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}, "volumeMounts": [{"name": "data", "mountPath": path}]}]}},
                "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOncePod"], "storageClassName": if s == 0 { "gp3-retain" } else { "gp3" }, "resources": {"requests": {"storage": size}}}}]},
            "status": {"replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3}}));
        for r in 0..3 {
            n += 1;
            let pvc = format!("data-{set}-{r}");
            let pv = format!("pvc-{}", uid(9, n));
            let zone = ZONES[(t + r) % 3];
            let class = if s == 0 { "gp3-retain" } else { "gp3" };
            let pending = troubled && s == 2 && r == 2;
            if pending {
                objects.push(claim(&ns, &pvc, class, "ReadWriteOncePod", size, None, n));
                objects.push(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": format!("{pvc}.{:016x}", n), "namespace": ns, "uid": uid(11, n), "creationTimestamp": NOW_ISH},
                    "involvedObject": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": pvc, "uid": uid(9, n), "apiVersion": "v1"},
                    "reason": "ProvisioningFailed", "message": format!("failed to provision volume with StorageClass \"{class}\": rpc error: code = ResourceExhausted desc = VolumeLimitExceeded"),
                    "type": "Warning", "count": 12, "firstTimestamp": NOW_ISH, "lastTimestamp": NOW_ISH, "source": {"component": "ebs.csi.aws.com_ebs-csi-controller"}}));
                // The volume a deleted claim left behind keeps the PV count.
                objects.push(volume(
                    &pv,
                    (&ns, &format!("old-{pvc}")),
                    "gp3-retain",
                    "ebs.csi.aws.com",
                    "ReadWriteOnce",
                    size,
                    Some(zone),
                    "Released",
                    "Retain",
                    n,
                ));
            } else {
                objects.push(claim(&ns, &pvc, class, "ReadWriteOncePod", size, Some(&pv), n));
                objects.push(volume(
                    &pv,
                    (&ns, &pvc),
                    class,
                    "ebs.csi.aws.com",
                    "ReadWriteOncePod",
                    size,
                    Some(zone),
                    "Bound",
                    if s == 0 { "Retain" } else { "Delete" },
                    n,
                ));
            }
            let node = (t * 7 + s * 3 + r) % nodes;
            objects.push(pod(
                &ns,
                &format!("{set}-{r}"),
                ("StatefulSet", set),
                image,
                Some((&pvc, path)),
                node,
                n,
                pending,
            ));
        }
    }
    // A web Deployment sharing one EFS claim, and workers with scratch space.
    n += 1;
    let pv = format!("pvc-{}", uid(9, n));
    objects.push(claim(&ns, "uploads", "efs", "ReadWriteMany", "50Gi", Some(&pv), n));
    objects.push(volume(
        &pv,
        (&ns, "uploads"),
        "efs",
        "efs.csi.aws.com",
        "ReadWriteMany",
        "50Gi",
        None,
        "Bound",
        "Delete",
        n,
    ));
    for (deploy, image, claimed) in [("web", "nginx:1.27", true), ("worker", "python:3.12-slim", false)] {
        let rs = format!("{deploy}-{:010x}", t * 104_729 % 0xffff_ffff);
        objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": deploy, "namespace": ns, "uid": uid(12, n), "generation": 1, "creationTimestamp": CREATED},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": deploy}}, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": deploy}}, "spec": {"securityContext": {"fsGroup": 1000, "runAsNonRoot": true, "runAsUser": 1000, "fsGroupChangePolicy": "OnRootMismatch"},
                    "containers": [{"name": "main", "image": image, "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
                        "volumeMounts": [if claimed { json!({"name": "data", "mountPath": "/srv/uploads"}) } else { json!({"name": "scratch", "mountPath": "/tmp"}) }]}],
                    "volumes": [if claimed { json!({"name": "data", "persistentVolumeClaim": {"claimName": "uploads"}}) } else { json!({"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}) }]}}},
            "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "updatedReplicas": 3}}));
        objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs, "namespace": ns, "uid": uid(13, n), "generation": 1, "creationTimestamp": CREATED,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy, "uid": uid(12, n), "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": deploy}}, "template": {"metadata": {"labels": {"app.kubernetes.io/name": deploy}}, "spec": {"containers": [{"name": "main", "image": image}]}}},
            "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3}}));
        for r in 0..3 {
            n += 1;
            let node = (t * 11 + r) % nodes;
            let claim = if claimed { Some(("uploads", "/srv/uploads")) } else { None };
            objects.push(pod(
                &ns,
                &format!("{rs}-{r:05}"),
                ("ReplicaSet", &rs),
                image,
                claim,
                node,
                n,
                false,
            ));
        }
    }
    Team { objects }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gen_cluster_dump <nodes> <namespaces> <out.json>";
    let (Some(nodes), Some(teams), Some(path)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let (Ok(nodes), Ok(teams)) = (nodes.parse::<usize>(), teams.parse::<usize>()) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let mut items = cluster_objects();
    items.extend((0..nodes.max(1)).map(node));
    for t in 0..teams {
        items.extend(team(t, nodes.max(1)).objects);
    }
    let list =
        json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    let mut out = BufWriter::new(File::create(path)?);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    list.serialize(&mut serializer).map_err(std::io::Error::other)?;
    writeln!(out)?;
    out.flush()
}
