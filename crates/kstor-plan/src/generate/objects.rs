//! The StorageClass, the workload with its volumes, its Service and PodDisruptionBudget.

use kstor_model::catalog::{Role, Topology};
use kstor_model::quantity::parse_quantity;
use kstor_rules::rules::no_snapshot_schedule;
use kstor_rules::suppress::{IGNORE_ANNOTATION, IGNORE_REASON_ANNOTATION};

use super::{Spec, Zones};
use crate::recommend::ZONE_LABEL;
use crate::scenario::WorkloadKind;
use crate::yaml_out::{Document, Map, Value};

const DATA_VOLUME: &str = "data";

fn doc(body: Map) -> Document {
    Document { header: Vec::new(), body }
}

fn metadata(spec: &Spec<'_>, name: &str, namespaced: bool) -> Map {
    let m = Map::new().with("name", name);
    let m = if namespaced { m.with("namespace", spec.namespace.as_str()) } else { m };
    m.with("labels", spec.labels())
}

fn setting_why(spec: &Spec<'_>, key: &str) -> String {
    spec.rec.settings.iter().find(|s| s.key == key).map(|s| s.why.clone()).unwrap_or_default()
}

/// The StorageClass of the data claim, when the pattern has one.
pub(super) fn storage_class(spec: &Spec<'_>, placeholders: &mut Vec<(String, String)>) -> Option<Document> {
    let r = spec.rec.realization.as_ref()?;
    let d = &spec.rec.decisions;
    let mut parameters = Map::new();
    for p in &r.spec.parameters {
        let value = spec.fill(&p.value);
        let comment = match (&p.required, &p.why) {
            (Some(required), _) => {
                placeholders.push((
                    format!("StorageClass {} parameter {}", spec.class_name(), p.name),
                    required.clone(),
                ));
                Some(format!("SET BEFORE APPLYING: {required}"))
            }
            (None, Some(why)) => Some(why.clone()),
            (None, None) => None,
        };
        parameters.push(&p.name, value, comment);
    }
    let mut body = Map::new()
        .with("apiVersion", "storage.k8s.io/v1")
        .with("kind", "StorageClass")
        .with("metadata", metadata(spec, &spec.class_name(), false))
        .noted(
            "provisioner",
            r.provisioner.as_str(),
            format!("{}: {}", r.capabilities.display_name, r.title),
        );
    if !parameters.is_empty() {
        body.push("parameters", parameters, None);
    }
    let reclaim = d.reclaim_policy.unwrap_or("Delete");
    body.push("reclaimPolicy", reclaim, Some(setting_why(spec, "reclaimPolicy")));
    body.push(
        "volumeBindingMode",
        d.binding_mode.unwrap_or("WaitForFirstConsumer"),
        Some(setting_why(spec, "volumeBindingMode")),
    );
    body.push(
        "allowVolumeExpansion",
        d.expansion.unwrap_or(false),
        Some(setting_why(spec, "allowVolumeExpansion")),
    );
    if !r.spec.mount_options.is_empty() {
        body.push("mountOptions", r.spec.mount_options.clone(), None);
    }
    if let Zones::Names(zones) = &spec.zones
        && r.capabilities.topology == Topology::Zonal
    {
        let key = r.capabilities.topology_keys.first().map_or(ZONE_LABEL, String::as_str);
        let expression = Map::new().with("key", key).with("values", zones.clone());
        body.push(
            "allowedTopologies",
            vec![Value::Map(Map::new().with("matchLabelExpressions", vec![Value::Map(expression)]))],
            Some(format!(
                "volumes only in the workload's zones, on the label {} publishes on its nodes",
                r.driver
            )),
        );
    }
    Some(doc(body))
}

/// The workload, its claim (for shared volumes), Service and PodDisruptionBudget.
pub(super) fn workload_objects(spec: &Spec<'_>) -> Vec<Document> {
    let rec = spec.rec;
    let d = &rec.decisions;
    let mut out = Vec::new();
    let shared_claim = rec.realization.is_some() && d.kind != WorkloadKind::StatefulSet;
    if shared_claim {
        out.push(doc(shared_claim_object(spec)));
    }
    if spec.blueprint.port != 0 && matches!(d.kind, WorkloadKind::StatefulSet | WorkloadKind::Deployment) {
        out.push(doc(service(spec)));
    }
    out.push(doc(workload(spec)));
    if d.disruption_budget {
        out.push(doc(disruption_budget(spec)));
    }
    out
}

fn claim_spec(spec: &Spec<'_>) -> Map {
    let d = &spec.rec.decisions;
    let mode = d.access_mode.map(|m| m.to_string()).unwrap_or_else(|| "ReadWriteOnce".into());
    let mut requests = Map::new();
    let size_comment = spec.size_note.clone();
    requests.push("storage", spec.size.as_str(), size_comment);
    Map::new()
        .noted("accessModes", vec![mode], setting_why(spec, "accessMode"))
        .with("storageClassName", spec.class_name())
        .with("resources", Map::new().with("requests", requests))
}

fn shared_claim_object(spec: &Spec<'_>) -> Map {
    Map::new()
        .with("apiVersion", "v1")
        .with("kind", "PersistentVolumeClaim")
        .with("metadata", metadata(spec, &format!("{}-{DATA_VOLUME}", spec.name), true))
        .with("spec", claim_spec(spec))
}

fn service(spec: &Spec<'_>) -> Map {
    let headless = spec.rec.decisions.kind == WorkloadKind::StatefulSet;
    let port = i64::from(spec.blueprint.port);
    let mut s = Map::new();
    if headless {
        s.push(
            "clusterIP",
            "None",
            Some("headless: stable DNS names per replica for the StatefulSet".into()),
        );
        s.push(
            "publishNotReadyAddresses",
            true,
            Some("members find each other before they are ready".into()),
        );
    }
    s.push("selector", spec.labels(), None);
    s.push(
        "ports",
        vec![Value::Map(Map::new().with("name", "main").with("port", port).with("targetPort", port))],
        None,
    );
    Map::new()
        .with("apiVersion", "v1")
        .with("kind", "Service")
        .with("metadata", metadata(spec, &spec.name, true))
        .with("spec", s)
}

fn disruption_budget(spec: &Spec<'_>) -> Map {
    Map::new()
        .with("apiVersion", "policy/v1")
        .with("kind", "PodDisruptionBudget")
        .with("metadata", metadata(spec, &spec.name, true))
        .with(
            "spec",
            Map::new()
                .noted("maxUnavailable", 1i64, setting_why(spec, "podDisruptionBudget"))
                .with("selector", Map::new().with("matchLabels", spec.labels())),
        )
}

/// Memory: the engine's working set, plus the cache's size for caches and memory-backed scratch.
fn memory_limit(spec: &Spec<'_>) -> (String, Option<String>) {
    let base = parse_quantity(&spec.blueprint.memory).unwrap_or(0.0) as u64;
    let d = &spec.rec.decisions;
    let adds_size = d.memory_backed || spec.rec.role == Role::Cache;
    if !adds_size {
        return (spec.blueprint.memory.clone(), None);
    }
    let total = base + spec.size_bytes;
    let why = if d.memory_backed {
        format!(
            "{} for the engine plus the {} tmpfs: tmpfs pages count against this limit",
            spec.blueprint.memory, spec.size
        )
    } else {
        format!("{} for the engine plus the {} cache", spec.blueprint.memory, spec.size)
    };
    (mebibytes(total), Some(why))
}

/// `6Gi` when whole, else `1536Mi`.
fn mebibytes(bytes: u64) -> String {
    let mib = bytes.div_ceil(1024 * 1024);
    if mib.is_multiple_of(1024) { format!("{}Gi", mib / 1024) } else { format!("{mib}Mi") }
}

fn container(spec: &Spec<'_>) -> Map {
    let b = spec.blueprint;
    let d = &spec.rec.decisions;
    let mut c = Map::new().with("name", b.engine.as_str()).with("image", b.image.as_str());
    if !b.command.is_empty() {
        c.push("command", b.command.iter().map(|a| spec.fill(a)).collect::<Vec<_>>(), None);
    }
    if !b.args.is_empty() {
        c.push("args", b.args.iter().map(|a| spec.fill(a)).collect::<Vec<_>>(), None);
    }
    if !b.env.is_empty() {
        let env: Vec<Value> = b
            .env
            .iter()
            .map(|e| {
                let mut m = Map::new();
                m.push("name", e.name.as_str(), e.why.clone());
                match (&e.value, &e.secret) {
                    (_, Some(key)) => m.push(
                        "valueFrom",
                        Map::new().with(
                            "secretKeyRef",
                            Map::new()
                                .with("name", format!("{}-credentials", spec.name))
                                .with("key", key.as_str()),
                        ),
                        None,
                    ),
                    (Some(v), None) => m.push("value", spec.fill(v), None),
                    (None, None) => m.push("value", "", None),
                }
                Value::Map(m)
            })
            .collect();
        c.push("env", env, None);
    }
    if b.port != 0 {
        c.push(
            "ports",
            vec![Value::Map(Map::new().with("name", "main").with("containerPort", i64::from(b.port)))],
            None,
        );
    }
    let (memory, memory_why) = memory_limit(spec);
    let mut requests = Map::new().with("cpu", b.cpu.as_str()).with("memory", memory.as_str());
    let mut limits = Map::new();
    limits.push(
        "memory",
        memory.as_str(),
        memory_why.or(Some(
            "limit = request: the engine is never OOM-killed for memory the node promised elsewhere".into(),
        )),
    );
    if d.node_disk {
        requests.push(
            "ephemeral-storage",
            spec.size.as_str(),
            Some("the scheduler reserves the node disk the emptyDir may use".into()),
        );
        limits.push("ephemeral-storage", spec.size.as_str(), None);
    }
    c.push("resources", Map::new().with("requests", requests).with("limits", limits), None);
    let mut mounts = vec![data_mount(spec)];
    if spec.rec.role == Role::MlTraining {
        mounts.push(Value::Map(Map::new().with("name", "dshm").with("mountPath", "/dev/shm")));
    }
    if spec.rec.role == Role::Logging {
        mounts.push(Value::Map(
            Map::new().with("name", "varlog").with("mountPath", "/var/log").with("readOnly", true),
        ));
    }
    c.push("volumeMounts", mounts, None);
    let mut security = Map::new().with("allowPrivilegeEscalation", false);
    if b.rootless_unconfined {
        security.push(
            "seccompProfile",
            Map::new().with("type", "Unconfined"),
            Some("rootless BuildKit creates user namespaces, which the default profile forbids".into()),
        );
        security.push("appArmorProfile", Map::new().with("type", "Unconfined"), None);
    } else {
        security.push("capabilities", Map::new().with("drop", vec!["ALL"]), None);
    }
    c.push("securityContext", security, None);
    c
}

/// Hands the volume root to the engine's user once; runs as root with only CHOWN.
fn chown_init(spec: &Spec<'_>) -> Map {
    let b = spec.blueprint;
    let owner = format!("{0}:{0}", b.user);
    Map::new()
        .with("name", "volume-owner")
        .with("image", "busybox:1.37")
        .with("command", vec!["chown".to_string(), owner, b.mount.clone()])
        .with(
            "resources",
            Map::new()
                .with("requests", Map::new().with("cpu", "10m").with("memory", "16Mi"))
                .with("limits", Map::new().with("memory", "32Mi")),
        )
        .with(
            "volumeMounts",
            vec![Value::Map(Map::new().with("name", DATA_VOLUME).with("mountPath", b.mount.as_str()))],
        )
        .with(
            "securityContext",
            Map::new()
                .with("runAsUser", 0i64)
                .with("runAsNonRoot", false)
                .with("allowPrivilegeEscalation", false)
                .with("capabilities", Map::new().with("drop", vec!["ALL"]).with("add", vec!["CHOWN"])),
        )
}

fn data_mount(spec: &Spec<'_>) -> Value {
    let b = spec.blueprint;
    let mut m = Map::new().with("name", DATA_VOLUME).with("mountPath", b.mount.as_str());
    if let Some(sub) = &b.sub_path {
        m.push(
            "subPath",
            sub.as_str(),
            Some("a subdirectory: the engine refuses a volume root that holds lost+found".into()),
        );
    }
    if spec.rec.decisions.read_only {
        m.push("readOnly", true, Some("the readers never write: the shared volume stays consistent".into()));
    }
    Value::Map(m)
}

fn pod_security(spec: &Spec<'_>) -> Map {
    let b = spec.blueprint;
    let d = &spec.rec.decisions;
    let mut s = Map::new();
    if b.user != 0 {
        s.push("runAsNonRoot", true, None);
        s.push("runAsUser", b.user, Some(format!("the user {} runs as", b.image)));
        s.push("runAsGroup", b.user, None);
    }
    if let Some(gid) = d.fs_group {
        s.push("fsGroup", gid, Some(setting_why(spec, "fsGroup")));
        s.push("fsGroupChangePolicy", "OnRootMismatch", None);
    }
    if !b.rootless_unconfined {
        s.push("seccompProfile", Map::new().with("type", "RuntimeDefault"), None);
    }
    s
}

fn volumes(spec: &Spec<'_>) -> Vec<Value> {
    let d = &spec.rec.decisions;
    let mut out = Vec::new();
    let data = if d.memory_backed {
        Map::new().with("name", DATA_VOLUME).noted(
            "emptyDir",
            Map::new().with("medium", "Memory").with("sizeLimit", spec.size.as_str()),
            setting_why(spec, "sizeLimit"),
        )
    } else if d.node_disk {
        Map::new().with("name", DATA_VOLUME).noted(
            "emptyDir",
            Map::new().with("sizeLimit", spec.size.as_str()),
            setting_why(spec, "sizeLimit"),
        )
    } else {
        let mut claim = Map::new().with("claimName", format!("{}-{DATA_VOLUME}", spec.name));
        if d.read_only {
            claim.push("readOnly", true, None);
        }
        Map::new().with("name", DATA_VOLUME).with("persistentVolumeClaim", claim)
    };
    if d.kind != WorkloadKind::StatefulSet || d.memory_backed || d.node_disk {
        out.push(Value::Map(data));
    }
    if spec.rec.role == Role::MlTraining {
        let shm = shm_size(spec);
        out.push(Value::Map(Map::new().with("name", "dshm").noted(
            "emptyDir",
            Map::new().with("medium", "Memory").with("sizeLimit", shm),
            "shared memory for data-loader workers (the runtime's default /dev/shm is 64 MiB); it counts against the memory limit",
        )));
    }
    if spec.rec.role == Role::Logging {
        out.push(Value::Map(Map::new().with("name", "varlog").noted(
            "hostPath",
            Map::new().with("path", "/var/log").with("type", "Directory"),
            "the node's container logs, read-only",
        )));
    }
    out
}

fn shm_size(spec: &Spec<'_>) -> String {
    let memory = parse_quantity(&spec.blueprint.memory).unwrap_or(0.0) as u64;
    mebibytes(memory / 4)
}

fn spread(spec: &Spec<'_>) -> Option<Value> {
    let d = &spec.rec.decisions;
    if d.zones < 2
        || d.replicas < 2
        || !matches!(d.kind, WorkloadKind::StatefulSet | WorkloadKind::Deployment)
    {
        return None;
    }
    let selector = Map::new().with("matchLabels", spec.labels());
    Some(Value::Seq(vec![
        Value::Map(
            Map::new()
                .with("maxSkew", 1i64)
                .with("topologyKey", ZONE_LABEL)
                .with("whenUnsatisfiable", "DoNotSchedule")
                .with("labelSelector", selector.clone()),
        ),
        Value::Map(
            Map::new()
                .with("maxSkew", 1i64)
                .with("topologyKey", "kubernetes.io/hostname")
                .with("whenUnsatisfiable", "ScheduleAnyway")
                .with("labelSelector", selector),
        ),
    ]))
}

fn pod_template(spec: &Spec<'_>) -> Map {
    let d = &spec.rec.decisions;
    let mut pod = Map::new();
    if d.kind == WorkloadKind::Job {
        pod.push("restartPolicy", "Never", None);
    }
    if let Some(spread) = spread(spec) {
        pod.push("topologySpreadConstraints", spread, Some(setting_why(spec, "topologySpread")));
    }
    pod.push("securityContext", pod_security(spec), None);
    if d.kind == WorkloadKind::StatefulSet {
        pod.push(
            "terminationGracePeriodSeconds",
            60i64,
            Some("time to flush and close the data files on shutdown".into()),
        );
    }
    if d.chown_init {
        pod.push("initContainers", vec![Value::Map(chown_init(spec))], Some(setting_why(spec, "fsGroup")));
    }
    pod.push("containers", vec![Value::Map(container(spec))], None);
    let volumes = volumes(spec);
    if !volumes.is_empty() {
        pod.push("volumes", volumes, None);
    }
    Map::new().with("metadata", Map::new().with("labels", spec.labels())).with("spec", pod)
}

fn workload(spec: &Spec<'_>) -> Map {
    let d = &spec.rec.decisions;
    let selector = Map::new().with("matchLabels", spec.labels());
    let (api, kind) = match d.kind {
        WorkloadKind::StatefulSet => ("apps/v1", "StatefulSet"),
        WorkloadKind::Deployment => ("apps/v1", "Deployment"),
        WorkloadKind::DaemonSet => ("apps/v1", "DaemonSet"),
        WorkloadKind::Job => ("batch/v1", "Job"),
    };
    let mut s = Map::new();
    match d.kind {
        WorkloadKind::StatefulSet => {
            s.push("serviceName", spec.name.as_str(), None);
            s.push("replicas", d.replicas, Some(setting_why(spec, "replicas")));
            s.push("selector", selector, None);
            s.push(
                "persistentVolumeClaimRetentionPolicy",
                Map::new().with("whenDeleted", "Retain").with("whenScaled", "Retain"),
                Some("deleting or scaling down the StatefulSet keeps the claims (and the data)".into()),
            );
        }
        WorkloadKind::Deployment => {
            s.push("replicas", d.replicas, Some(setting_why(spec, "replicas")));
            s.push("selector", selector, None);
        }
        WorkloadKind::DaemonSet => s.push("selector", selector, None),
        WorkloadKind::Job => {
            s.push("parallelism", d.replicas, None);
            s.push("completions", d.replicas, None);
            s.push("completionMode", "Indexed", Some("one index per worker (the rank for torchrun)".into()));
            s.push("backoffLimit", 2i64, None);
        }
    }
    s.push("template", pod_template(spec), None);
    if d.kind == WorkloadKind::StatefulSet && spec.rec.realization.is_some() {
        let claim = Map::new()
            .with("metadata", Map::new().with("name", DATA_VOLUME).with("labels", spec.labels()))
            .with("spec", claim_spec(spec));
        s.push("volumeClaimTemplates", vec![Value::Map(claim)], Some(setting_why(spec, "volume")));
    }
    let mut meta = metadata(spec, &spec.name, true);
    // A driver that can snapshot and a pattern without a schedule is a choice, not an
    // oversight: say so where KS406 (which `--complete` makes a warning) would look.
    if d.snapshot_class && !d.snapshots && no_snapshot_schedule::judges_role(spec.rec.role) {
        meta.push(
            "annotations",
            Map::new().with(IGNORE_ANNOTATION, "KS406").with(
                IGNORE_REASON_ANNOTATION,
                format!(
                    "pattern {}: no snapshot schedule by choice; the VolumeSnapshotClass is for snapshots taken before risky changes",
                    spec.rec.pattern
                ),
            ),
            None,
        );
    }
    let mut body = Map::new().with("apiVersion", api).with("kind", kind).with("metadata", meta);
    body.push("spec", s, None);
    body
}
