use kstor_model::graph::{Claim, ClaimOrigin, ClassRef, ClassResolution, EventInfo, LivePod, StorageGraph};
use kstor_model::path::Path;

use crate::context::{AuditFacts, Context};
use crate::finding::Finding;
use crate::live::{PENDING_GRACE_SECONDS, age_text, clause, events_for};
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Flags a PersistentVolumeClaim that has been `Pending` for more than
    /// 5 minutes (counted from its `creationTimestamp`), with the cause when the cluster
    /// tells it, in this order: the claim's events (`ProvisioningFailed`, `FailedBinding`,
    /// `VolumeMismatch`, `ExternalProvisioning` with no progress), then the objects: a class
    /// that does not exist, no class and no default class, `storageClassName: ""` with no
    /// static PersistentVolume to bind, a `volumeName` that names no volume.
    ///
    /// A claim of a `WaitForFirstConsumer` class that no pod uses yet is normal and never
    /// reported; once a pod uses it, the pod's `FailedScheduling` events explain the wait.
    ///
    /// ## Why it matters
    /// Pods using a Pending claim cannot start: a StatefulSet rollout stops at the first
    /// pod, a Deployment sits in `ContainerCreating`/`Pending`. The reason is buried in
    /// events that expire after an hour.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data-pg-0
    ///   namespace: db
    ///   creationTimestamp: "2026-11-26T09:00:00Z"
    /// spec:
    ///   storageClassName: fast-ssd     # no such StorageClass
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 50Gi}}
    /// status:
    ///   phase: Pending
    /// ```
    ///
    /// ## Fix
    /// Follow the cause: create the missing class or fix the name (the field is immutable:
    /// recreate the claim), mark a class default, fix the provisioner's error (quota,
    /// permissions, an unsupported parameter), or create a matching PersistentVolume.
    ///
    /// **Automatic fix:** none: a live-state finding; the cause (no class, no capacity, a
    /// topology conflict) is in the cluster, not in a file.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Binding":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#binding>
    /// - Kubernetes docs, Dynamic Volume Provisioning:
    ///   <https://kubernetes.io/docs/concepts/storage/dynamic-provisioning/>
    pub struct ClaimPending {
        code: "KS901",
        name: "claim-pending",
        group: LiveState,
        severity: Error,
        summary: "a claim has been Pending for more than 5 minutes",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for ClaimPending {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        for claim in &graph.claims {
            if claim.origin != ClaimOrigin::Standalone || claim.phase.as_deref() != Some("Pending") {
                continue;
            }
            let Some(created) = claim.live.as_ref().and_then(|l| l.created) else {
                continue;
            };
            let age = audit.age_seconds(created);
            if age <= PENDING_GRACE_SECONDS {
                continue;
            }
            if let Some(finding) = pending(graph, audit, claim, age) {
                out.push(finding);
            }
        }
    }
}

/// What the wait is, and the objects that explain it.
struct Cause {
    text: String,
    help: String,
    related: Vec<(kstor_model::ObjectId, Path, String)>,
}

fn pending(graph: &StorageGraph, audit: &AuditFacts, claim: &Claim, age: i64) -> Option<Finding> {
    let events = events_for(graph, "PersistentVolumeClaim", Some(&claim.namespace), &claim.name);
    let pods: Vec<&LivePod> = graph
        .live_pods
        .iter()
        .filter(|p| p.namespace == claim.namespace && p.claims.contains(&claim.name))
        .collect();
    let class = graph.class_of(claim);
    let waits_for_consumer = class.is_some_and(|c| !c.binds_immediately())
        || events.first().is_some_and(|e| e.reason == "WaitForFirstConsumer");
    if waits_for_consumer && pods.is_empty() {
        return None;
    }
    let cause = from_events(audit, &events)
        .or_else(|| waits_for_consumer.then(|| from_pods(graph, audit, &pods)).flatten())
        .or_else(|| from_model(graph, claim))
        .unwrap_or_else(|| Cause {
            text: "no event explains it (events expire after an hour)".into(),
            help: format!(
                "run `kubectl describe pvc -n {} {}` and check the provisioner's logs",
                claim.namespace, claim.name
            ),
            related: Vec::new(),
        });
    let users = if pods.is_empty() {
        "pods that use it cannot start".to_string()
    } else {
        let names: Vec<String> = pods.iter().take(3).map(|p| format!("pod {}", p.name)).collect();
        format!("{} cannot start", super::common::join_names(&names))
    };
    let message =
        format!("{} has been Pending for {}: {}; {users}", claim.describe(graph), age_text(age), cause.text);
    let mut finding =
        Finding::at(&ClaimPending::META, claim.object, Path::root().key("status").key("phase"), message)
            .help(cause.help);
    if let Some(class) = class {
        finding =
            finding.related(class.object, Path::root().key("provisioner"), format!("class {}", class.name));
    }
    for (object, path, text) in cause.related {
        finding = finding.related(object, path, text);
    }
    Some(finding)
}

fn event_note(audit: &AuditFacts, event: &EventInfo) -> String {
    let seen =
        event.last_seen.map(|t| format!(", last {} ago", age_text(audit.age_seconds(t)))).unwrap_or_default();
    let count = if event.count > 1 { format!(" ×{}", event.count) } else { String::new() };
    format!("event {}{count}{seen}", event.reason)
}

fn from_events(audit: &AuditFacts, events: &[&EventInfo]) -> Option<Cause> {
    let newest = |reasons: &[&str]| events.iter().copied().find(|e| reasons.contains(&e.reason.as_str()));
    let related = |e: &EventInfo| vec![(e.object, Path::root().key("message"), event_note(audit, e))];
    if let Some(e) = newest(&["ProvisioningFailed"]) {
        return Some(Cause {
            text: format!("provisioning failed: {}", clause(&e.message)),
            help: "fix what the provisioner reports (quota, permissions, class parameters, capacity); it retries on its own".into(),
            related: related(e),
        });
    }
    if let Some(e) = newest(&["FailedBinding", "VolumeMismatch"]) {
        return Some(Cause {
            text: format!("no matching PersistentVolume: {}", clause(&e.message)),
            help: "create a PersistentVolume that matches the claim (class, size, access modes, volume mode), or give the claim a class that provisions".into(),
            related: related(e),
        });
    }
    if let Some(e) = newest(&["ExternalProvisioning"]) {
        let provisioner = e.message.split('\'').nth(1).unwrap_or("of its class");
        return Some(Cause {
            text: format!(
                "waiting for the external provisioner {provisioner}, which has not created a volume"
            ),
            help: format!(
                "check that the CSI driver {provisioner} is installed and its csi-provisioner sidecar runs (its logs tell why)"
            ),
            related: related(e),
        });
    }
    None
}

/// A WaitForFirstConsumer claim with a pod: the pod's scheduling failure about volumes.
fn from_pods(graph: &StorageGraph, audit: &AuditFacts, pods: &[&LivePod]) -> Option<Cause> {
    pods.iter().find_map(|pod| {
        let event = events_for(graph, "Pod", Some(&pod.namespace), &pod.name).into_iter().find(|e| {
            let m = e.message.to_ascii_lowercase();
            e.reason == "FailedScheduling"
                && (m.contains("volume") || m.contains("persistentvolumeclaim") || m.contains("storage"))
        })?;
        Some(Cause {
            text: format!("pod {} cannot be scheduled: {}", pod.name, clause(&event.message)),
            help: "make a node eligible for the volume (zone, capacity, allowedTopologies) or relax the pod's placement".into(),
            related: vec![
                (pod.object, Path::root().key("spec"), format!("pod {}", pod.name)),
                (event.object, Path::root().key("message"), event_note(audit, event)),
            ],
        })
    })
}

fn from_model(graph: &StorageGraph, claim: &Claim) -> Option<Cause> {
    if let Some(name) = &claim.volume_name
        && claim.volume.is_none()
        && !graph.volumes.is_empty()
    {
        return Some(Cause {
            text: format!("it asks for persistent volume {name} (spec.volumeName), which does not exist"),
            help: "create the volume, or recreate the claim without `volumeName`".into(),
            related: Vec::new(),
        });
    }
    match (&claim.class, &claim.class_ref) {
        (ClassResolution::NotFound, ClassRef::Field(name) | ClassRef::Annotation(name)) if !graph.classes.is_empty() => {
            let names = graph.classes.iter().map(|c| c.name.as_str());
            Some(Cause {
                text: match super::common::closest(name, names) {
                    Some(close) => format!("class {name} does not exist (did you mean {close}?)"),
                    None => format!("class {name} does not exist"),
                },
                help: "create the class, or recreate the claim with an existing `storageClassName` (the field is immutable)".into(),
                related: Vec::new(),
            })
        }
        (ClassResolution::UnknownDefault, _) => Some(Cause {
            text: "it names no class and the cluster has no default class".into(),
            help: "mark a StorageClass default (`storageclass.kubernetes.io/is-default-class: \"true\"`); the claim then gets it, or set `storageClassName`".into(),
            related: Vec::new(),
        }),
        (ClassResolution::NoClass, _) if claim.volume.is_none() => Some(Cause {
            text: "it asks for no class (`storageClassName: \"\"`), so it is never provisioned, and no static PersistentVolume matches it".into(),
            help: "create a matching PersistentVolume without a class, or set a `storageClassName` that provisions".into(),
            related: Vec::new(),
        }),
        _ => None,
    }
}
