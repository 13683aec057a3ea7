//! Per-object extraction of the storage facts, before cross-references are resolved.
//!
//! Runs in parallel (one object at a time, no shared state); [`super::build`] links the
//! results through hash maps afterwards.

use crate::strmap::StrMap;
use crate::yaml::Text;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::decode::Typed;
use super::model::*;
use crate::api::{
    BETA_CLASS_ANNOTATION, DEFAULT_CLASS_ANNOTATIONS, DEFAULT_SNAPSHOT_CLASS_ANNOTATION, HOSTNAME_LABEL,
    ZONE_LABEL,
};
use crate::catalog::{AccessMode, FsGroupPolicy, VolumeMode};
use crate::load::{Diagnostic, Location};
use crate::object::{Object, ObjectId};
use crate::path::Path;
use crate::quantity::parse_quantity;

/// A claim before its class and volume are resolved.
pub struct ClaimDraft {
    pub claim: Claim,
    /// For templates: the template (or ephemeral volume) name.
    pub template_name: Option<String>,
}

/// A workload before its claims get ids.
pub struct WorkloadDraft {
    pub workload: Workload,
    /// StatefulSet claim templates.
    pub templates: Vec<ClaimDraft>,
    /// Generic ephemeral volumes: (volume index, claim).
    pub ephemeral: Vec<(usize, ClaimDraft)>,
    /// For Pods: how it runs.
    pub live_pod: Option<LivePod>,
}

/// What one object contributes to the graph.
// Every variant with a payload is boxed: one `Extracted` per object is alive at once while the
// graph is built, so the enum's size multiplies by the object count.
pub enum Extracted {
    Workload(Box<WorkloadDraft>),
    /// A Pod whose controller is in the input: only how it runs.
    OwnedPod(Box<LivePod>),
    /// The members of an operator's custom resource (roles already assigned).
    OperatorWorkloads(Vec<WorkloadDraft>),
    Claim(Box<ClaimDraft>),
    Class(Box<StorageClassInfo>),
    Volume(Box<PersistentVolumeInfo>),
    SnapshotClass(Box<SnapshotClassInfo>),
    Snapshot(Box<SnapshotInfo>),
    SnapshotContent(Box<SnapshotContentInfo>),
    Node(Box<NodeInfo>),
    Attachment(Box<AttachmentInfo>),
    Event(Box<EventInfo>),
    CsiDriver(Box<CsiDriverInfo>),
    Nothing,
}

/// Collects KS001 diagnostics for unsupported enum values while extracting.
pub struct Checker<'a> {
    object: ObjectId,
    namespace: String,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Generic ephemeral volumes met while extracting a pod template: (volume index, claim).
    ephemeral: Vec<(usize, ClaimDraft)>,
}

impl<'a> Checker<'a> {
    pub fn new(object: &Object, diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        Checker {
            object: object.id,
            namespace: object.effective_namespace().into(),
            diagnostics,
            ephemeral: Vec::new(),
        }
    }

    /// Records a KS001 when `value` is not one of `allowed`; returns whether it is.
    pub(super) fn one_of(&mut self, value: &str, allowed: &[&str], field: &str, path: &Path) -> bool {
        if allowed.contains(&value) {
            return true;
        }
        self.diagnostics.push(Diagnostic {
            location: Location::Field { object: self.object, path: path.clone() },
            message: format!(
                "`{field}`: unsupported value \"{value}\"; expected one of {}",
                allowed.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
            ),
        });
        false
    }

    /// The object being extracted.
    pub(super) fn object(&self) -> ObjectId {
        self.object
    }

    /// The generic ephemeral volumes met so far (taken).
    pub(super) fn take_ephemeral(&mut self) -> Vec<(usize, ClaimDraft)> {
        std::mem::take(&mut self.ephemeral)
    }
}

/// Extracts one decoded object.
pub fn extract(object: &Object, typed: Typed, diagnostics: &mut Vec<Diagnostic>) -> Extracted {
    let mut check = Checker::new(object, diagnostics);
    let namespace = object.effective_namespace().to_string();
    let name = object.reference.name.clone();
    let root = Path::root();
    let pod_template_path = root.key("spec").key("template");
    match typed {
        Typed::Pod(pod) => {
            let live = live_pod(object, &pod);
            let spec = pod.spec.unwrap_or_default();
            let template = pod_template(&spec, root.key("spec"), &StrMap::new(), &mut check);
            let mut extracted =
                workload(object, Parts { pod: template, ..Parts::new(WorkloadKind::Pod) }, &mut check);
            if let Extracted::Workload(draft) = &mut extracted {
                draft.live_pod = Some(live);
            }
            extracted
        }
        Typed::Node(node) => {
            let labels: StrMap = node.metadata.labels.clone().unwrap_or_default().into();
            let ready = node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
                .map(|c| c.status == "True");
            let zone = ZONE_LABELS.iter().find_map(|k| labels.get(k).cloned());
            Extracted::Node(Box::new(NodeInfo {
                object: object.id,
                name,
                ready,
                unschedulable: node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false),
                zone,
                labels,
            }))
        }
        Typed::VolumeAttachment(va) => {
            let status = va.status.unwrap_or_default();
            let error = |e: Option<k8s_openapi::api::storage::v1::VolumeError>| {
                e.map(|e| (e.message.unwrap_or_default(), e.time.map(|t| t.0)))
            };
            Extracted::Attachment(Box::new(AttachmentInfo {
                object: object.id,
                name,
                attacher: va.spec.attacher,
                node_name: va.spec.node_name,
                volume_name: va.spec.source.persistent_volume_name,
                attached: status.attached,
                attach_error: error(status.attach_error),
                detach_error: error(status.detach_error),
                created: va.metadata.creation_timestamp.map(|t| t.0),
                deleting: va.metadata.deletion_timestamp.map(|t| t.0),
            }))
        }
        Typed::Event(event) => {
            let involved = event.involved_object;
            let last_seen = event
                .last_timestamp
                .map(|t| t.0)
                .or(event.event_time.map(|t| t.0))
                .or(event.series.and_then(|s| s.last_observed_time).map(|t| t.0))
                .or(event.first_timestamp.map(|t| t.0))
                .or(event.metadata.creation_timestamp.map(|t| t.0));
            Extracted::Event(Box::new(EventInfo {
                object: object.id,
                involved: (
                    involved.kind.unwrap_or_default(),
                    involved.namespace,
                    involved.name.unwrap_or_default(),
                ),
                reason: event.reason.unwrap_or_default(),
                message: event.message.unwrap_or_default(),
                warning: event.type_.as_deref() == Some("Warning"),
                last_seen,
                count: event.count.unwrap_or(1),
            }))
        }
        Typed::VolumeSnapshotContent(content) => {
            let spec = content.spec.unwrap_or_default();
            let status = content.status.unwrap_or_default();
            Extracted::SnapshotContent(Box::new(SnapshotContentInfo {
                object: object.id,
                name,
                driver: spec.driver.unwrap_or_default(),
                deletion_policy: spec.deletion_policy,
                snapshot_ref: spec
                    .volume_snapshot_ref
                    .and_then(|r| Some((r.namespace.unwrap_or_else(|| "default".into()), r.name?))),
                ready_to_use: status.ready_to_use,
                snapshot_handle: status.snapshot_handle,
                created: content.metadata.creation_timestamp.map(|t| t.0),
            }))
        }
        Typed::Deployment(d) => {
            let spec = d.spec;
            let parts = Parts {
                replicas: Some(replicas(spec.replicas, &root)),
                strategy: deployment_strategy(spec.strategy.as_ref(), &mut check),
                ..Parts::new(WorkloadKind::Deployment)
            };
            templated(object, parts, &spec.template, &pod_template_path, &mut check)
        }
        Typed::ReplicaSet(rs) => {
            let parts = Parts {
                replicas: Some(replicas(rs.spec.replicas, &root)),
                ..Parts::new(WorkloadKind::ReplicaSet)
            };
            templated(object, parts, &rs.spec.template.unwrap_or_default(), &pod_template_path, &mut check)
        }
        Typed::ReplicationController(rc) => {
            let spec = rc.spec.unwrap_or_default();
            let parts = Parts {
                replicas: Some(replicas(spec.replicas, &root)),
                ..Parts::new(WorkloadKind::ReplicationController)
            };
            templated(object, parts, &spec.template.unwrap_or_default(), &pod_template_path, &mut check)
        }
        Typed::DaemonSet(ds) => templated(
            object,
            Parts::new(WorkloadKind::DaemonSet),
            &ds.spec.template,
            &pod_template_path,
            &mut check,
        ),
        Typed::Job(job) => {
            let template = job.spec.unwrap_or_default().template;
            templated(object, Parts::new(WorkloadKind::Job), &template, &pod_template_path, &mut check)
        }
        Typed::CronJob(cj) => {
            let template = cj.spec.job_template.spec.unwrap_or_default().template;
            let path = root.key("spec").key("jobTemplate").key("spec").key("template");
            templated(object, Parts::new(WorkloadKind::CronJob), &template, &path, &mut check)
        }
        Typed::StatefulSet(sts) => {
            let spec = sts.spec;
            let templates: Vec<ClaimDraft> = spec
                .volume_claim_templates
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, pvc)| {
                    let path = root.key("spec").key("volumeClaimTemplates").index(i);
                    let template_name = pvc.metadata.name.clone().unwrap_or_default();
                    let claim = claim(
                        object.id,
                        ClaimOrigin::Template { workload: WorkloadId(usize::MAX) },
                        path,
                        &namespace,
                        &template_name,
                        &pvc.metadata,
                        pvc.spec.as_ref(),
                        pvc.status.as_ref(),
                        &mut check,
                    );
                    ClaimDraft { claim, template_name: Some(template_name) }
                })
                .collect();
            let retention = spec.persistent_volume_claim_retention_policy.as_ref().map(|p| {
                let base = root.key("spec").key("persistentVolumeClaimRetentionPolicy");
                RetentionPolicy {
                    when_deleted: p.when_deleted.clone().map(|v| (v, base.key("whenDeleted"))),
                    when_scaled: p.when_scaled.clone().map(|v| (v, base.key("whenScaled"))),
                }
            });
            let parts = Parts {
                replicas: Some(replicas(spec.replicas, &root)),
                templates,
                retention,
                ..Parts::new(WorkloadKind::StatefulSet)
            };
            templated(object, parts, &spec.template, &pod_template_path, &mut check)
        }
        Typed::PersistentVolumeClaim(pvc) => {
            let claim = claim(
                object.id,
                ClaimOrigin::Standalone,
                root,
                &namespace,
                &name,
                &pvc.metadata,
                pvc.spec.as_ref(),
                pvc.status.as_ref(),
                &mut check,
            );
            Extracted::Claim(Box::new(ClaimDraft { claim, template_name: None }))
        }
        Typed::StorageClass(sc) => {
            if let Some(policy) = &sc.reclaim_policy {
                check.one_of(policy, &["Delete", "Retain"], "reclaimPolicy", &root.key("reclaimPolicy"));
            }
            if let Some(mode) = &sc.volume_binding_mode {
                check.one_of(
                    mode,
                    &["Immediate", "WaitForFirstConsumer"],
                    "volumeBindingMode",
                    &root.key("volumeBindingMode"),
                );
            }
            let allowed_topologies = sc
                .allowed_topologies
                .unwrap_or_default()
                .iter()
                .map(|term| {
                    term.match_label_expressions
                        .iter()
                        .flatten()
                        .map(|e| (e.key.clone(), e.values.clone()))
                        .collect()
                })
                .collect();
            Extracted::Class(Box::new(StorageClassInfo {
                object: object.id,
                name,
                provisioner: sc.provisioner,
                parameters: sc.parameters.unwrap_or_default().into(),
                reclaim_policy: sc.reclaim_policy,
                binding_mode: sc.volume_binding_mode,
                allow_volume_expansion: sc.allow_volume_expansion,
                allowed_topologies,
                is_default: is_default(object, &DEFAULT_CLASS_ANNOTATIONS),
                created: sc.metadata.creation_timestamp.map(|t| t.0.to_string()),
                driver: None,
                csi_driver: None,
            }))
        }
        Typed::PersistentVolume(pv) => {
            let spec = pv.spec.unwrap_or_default();
            if let Some(policy) = &spec.persistent_volume_reclaim_policy {
                check.one_of(
                    policy,
                    &["Delete", "Retain", "Recycle"],
                    "persistentVolumeReclaimPolicy",
                    &root.key("spec").key("persistentVolumeReclaimPolicy"),
                );
            }
            let modes = access_modes(
                spec.access_modes.as_deref().unwrap_or_default(),
                &root.key("spec").key("accessModes"),
                &mut check,
            );
            let source_field = in_tree_pv_source(object.root());
            let driver = spec.csi.as_ref().map(|c| c.driver.clone()).or_else(|| source_field.clone());
            let fs_type = spec.csi.as_ref().and_then(|c| c.fs_type.clone()).or_else(|| {
                let field = source_field.as_deref()?;
                object.root().get("spec")?.get(field)?.get_str("fsType").map(str::to_string)
            });
            let volume_mode = match spec.volume_mode.as_deref() {
                Some("Block") => VolumeMode::Block,
                Some("Filesystem") | None => VolumeMode::Filesystem,
                Some(other) => {
                    let path = root.key("spec").key("volumeMode");
                    check.one_of(other, &["Filesystem", "Block"], "volumeMode", &path);
                    VolumeMode::Filesystem
                }
            };
            let source = spec
                .csi
                .as_ref()
                .map(|_| "csi".to_string())
                .or(source_field)
                .map(|field| (field.clone(), root.key("spec").key(&field)));
            Extracted::Volume(Box::new(PersistentVolumeInfo {
                object: object.id,
                name,
                reclaim_policy: spec.persistent_volume_reclaim_policy.clone(),
                storage_class: spec
                    .storage_class_name
                    .clone()
                    .or_else(|| object.annotation(BETA_CLASS_ANNOTATION).map(str::to_string)),
                claim_ref: spec.claim_ref.as_ref().and_then(|r| {
                    Some((r.namespace.clone().unwrap_or_else(|| "default".into()), r.name.clone()?))
                }),
                access_modes: modes.into_iter().map(|(m, _)| m).collect(),
                driver,
                node_local: spec.local.is_some() || spec.host_path.is_some(),
                has_node_affinity: spec.node_affinity.as_ref().is_some_and(|a| a.required.is_some()),
                capacity: spec
                    .capacity
                    .as_ref()
                    .and_then(|c| c.get("storage"))
                    .and_then(|q| parse_quantity(&q.0)),
                source,
                fs_type,
                volume_mode,
                volume_handle: spec.csi.as_ref().map(|c| c.volume_handle.clone()),
                node_affinity: spec
                    .node_affinity
                    .as_ref()
                    .and_then(|a| a.required.as_ref())
                    .map(|r| {
                        r.node_selector_terms
                            .iter()
                            .map(|t| {
                                t.match_expressions
                                    .iter()
                                    .flatten()
                                    .map(|e| {
                                        (
                                            e.key.clone(),
                                            e.operator.clone(),
                                            e.values.clone().unwrap_or_default(),
                                        )
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                created: pv.metadata.creation_timestamp.map(|t| t.0),
                phase_since: pv
                    .status
                    .as_ref()
                    .and_then(|s| s.last_phase_transition_time.clone())
                    .map(|t| t.0),
                status_message: pv.status.as_ref().and_then(|s| s.message.clone().or(s.reason.clone())),
                phase: pv.status.and_then(|s| s.phase),
            }))
        }
        Typed::VolumeSnapshotClass(vsc) => {
            if let Some(policy) = &vsc.deletion_policy {
                check.one_of(policy, &["Delete", "Retain"], "deletionPolicy", &root.key("deletionPolicy"));
            }
            Extracted::SnapshotClass(Box::new(SnapshotClassInfo {
                object: object.id,
                name,
                driver: vsc.driver.unwrap_or_default(),
                deletion_policy: vsc.deletion_policy,
                is_default: is_default(object, &[DEFAULT_SNAPSHOT_CLASS_ANNOTATION]),
                parameters: vsc.parameters.unwrap_or_default().into(),
            }))
        }
        Typed::VolumeSnapshot(vs) => {
            let spec = vs.spec.unwrap_or_default();
            let spec_path = root.key("spec");
            let source = spec.source.unwrap_or_default();
            Extracted::Snapshot(Box::new(SnapshotInfo {
                object: object.id,
                namespace: namespace.as_str().into(),
                name: name.as_str().into(),
                class_name: spec
                    .volume_snapshot_class_name
                    .map(|c| (c, spec_path.key("volumeSnapshotClassName"))),
                source_claim: source
                    .persistent_volume_claim_name
                    .map(|c| (c, spec_path.key("source").key("persistentVolumeClaimName"))),
                source_content: source.volume_snapshot_content_name,
                ready_to_use: vs.status.as_ref().and_then(|s| s.ready_to_use),
                error: vs.status.as_ref().and_then(|s| s.error.as_ref()).and_then(|e| e.message.clone()),
                bound_content: vs.status.as_ref().and_then(|s| s.bound_volume_snapshot_content_name.clone()),
                created: vs.metadata.creation_timestamp.map(|t| t.0),
            }))
        }
        Typed::CsiDriver(driver) => {
            let spec = driver.spec;
            let fs_group_policy = match spec.fs_group_policy.as_deref() {
                None => FsGroupPolicy::default(),
                Some(policy) => {
                    let path = root.key("spec").key("fsGroupPolicy");
                    check.one_of(
                        policy,
                        &["ReadWriteOnceWithFSType", "File", "None"],
                        "fsGroupPolicy",
                        &path,
                    );
                    FsGroupPolicy::parse(policy).unwrap_or_default()
                }
            };
            Extracted::CsiDriver(Box::new(CsiDriverInfo {
                object: object.id,
                name,
                attach_required: spec.attach_required.unwrap_or(true),
                fs_group_policy,
                lifecycle_modes: spec.volume_lifecycle_modes.unwrap_or_else(|| vec!["Persistent".into()]),
            }))
        }
        _ => Extracted::Nothing,
    }
}

/// Whether a StorageClass object carries the default-class annotation (or its beta form).
pub fn is_default_storage_class(object: &Object) -> bool {
    is_default(object, &DEFAULT_CLASS_ANNOTATIONS)
}

fn is_default(object: &Object, keys: &[&str]) -> bool {
    keys.iter().any(|k| object.annotation(k) == Some("true"))
}

/// The `kstor.io/role` annotation of a pod template.
fn template_role(metadata: &Option<ObjectMeta>) -> Option<Text> {
    metadata.as_ref()?.annotations.as_ref()?.get(super::ROLE_ANNOTATION).map(|r| Text::from(r.as_str()))
}

fn replicas(value: Option<i32>, root: &Path) -> Replicas {
    Replicas { count: value.unwrap_or(1), path: value.map(|_| root.key("spec").key("replicas")) }
}

/// The parts of a workload that differ by kind.
struct Parts {
    kind: WorkloadKind,
    replicas: Option<Replicas>,
    strategy: Option<Strategy>,
    pod: PodTemplate,
    templates: Vec<ClaimDraft>,
    retention: Option<RetentionPolicy>,
    template_role: Option<Text>,
}

impl Parts {
    fn new(kind: WorkloadKind) -> Self {
        Parts {
            kind,
            replicas: None,
            strategy: None,
            pod: PodTemplate::default(),
            templates: Vec::new(),
            retention: None,
            template_role: None,
        }
    }
}

/// A workload whose pods come from a pod template at `path`.
fn templated(
    object: &Object,
    parts: Parts,
    template: &core::PodTemplateSpec,
    path: &Path,
    check: &mut Checker<'_>,
) -> Extracted {
    let pod = from_template(template, path, check);
    let template_role = template_role(&template.metadata);
    workload(object, Parts { pod, template_role, ..parts }, check)
}

fn workload(object: &Object, parts: Parts, check: &mut Checker<'_>) -> Extracted {
    let Parts { kind, replicas, strategy, pod, templates, retention, template_role } = parts;
    // The workload's own annotation wins over its pod template's.
    let role_annotation = object.annotation(super::ROLE_ANNOTATION).map(Text::from).or(template_role);
    let ephemeral = std::mem::take(&mut check.ephemeral);
    Extracted::Workload(Box::new(WorkloadDraft {
        workload: Workload {
            object: object.id,
            kind,
            namespace: object.effective_namespace().into(),
            name: object.reference.name.as_str().into(),
            replicas,
            strategy,
            pod,
            claim_templates: Vec::new(),
            retention,
            role: RoleAssignment::generic(),
            role_annotation,
            custom_kind: None,
        },
        templates,
        ephemeral,
        live_pod: None,
    }))
}

fn deployment_strategy(
    strategy: Option<&k8s_openapi::api::apps::v1::DeploymentStrategy>,
    check: &mut Checker<'_>,
) -> Option<Strategy> {
    let base = Path::root().key("spec");
    let Some(strategy) = strategy else {
        return Some(Strategy {
            recreate: false,
            max_surge: "25%".into(),
            surges: true,
            keeps_old_pod: true,
            path: base,
        });
    };
    let strategy_path = base.key("strategy");
    if let Some(kind) = &strategy.type_ {
        check.one_of(kind, &["Recreate", "RollingUpdate"], "strategy.type", &strategy_path.key("type"));
    }
    let recreate = strategy.type_.as_deref() == Some("Recreate");
    let rolling = strategy.rolling_update.as_ref();
    let surge = rolling.and_then(|r| r.max_surge.clone());
    // With one replica a percentage of maxSurge rounds up, one of maxUnavailable rounds down.
    let percent = |s: &str| s.trim_end_matches('%').trim().parse::<f64>().unwrap_or(25.0);
    let (max_surge, surges) = match &surge {
        None => ("25%".to_string(), true),
        Some(IntOrString::Int(n)) => (n.to_string(), *n > 0),
        Some(IntOrString::String(s)) => (s.clone(), percent(s) > 0.0),
    };
    let keeps_old_pod = match rolling.and_then(|r| r.max_unavailable.as_ref()) {
        None => true,
        Some(IntOrString::Int(n)) => *n < 1,
        Some(IntOrString::String(s)) => percent(s) < 100.0,
    };
    let path = if surge.is_some() {
        strategy_path.key("rollingUpdate").key("maxSurge")
    } else if strategy.type_.is_some() {
        strategy_path.key("type")
    } else {
        strategy_path
    };
    Some(Strategy { recreate, max_surge, surges, keeps_old_pod, path })
}

pub(super) fn from_template(
    template: &core::PodTemplateSpec,
    path: &Path,
    check: &mut Checker<'_>,
) -> PodTemplate {
    let labels: StrMap = template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default().into();
    let spec = template.spec.clone().unwrap_or_default();
    pod_template(&spec, path.key("spec"), &labels, check)
}

/// Extracts the storage-relevant parts of a pod spec at `path`.
pub fn pod_template(
    spec: &core::PodSpec,
    path: Path,
    labels: &StrMap,
    check: &mut Checker<'_>,
) -> PodTemplate {
    let volumes: Vec<PodVolume> = spec
        .volumes
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| pod_volume(v, i, path.key("volumes").index(i), check))
        .collect();
    let container_list = |list: &[core::Container], field: &str, check: &mut Checker<'_>| {
        list.iter()
            .enumerate()
            .map(|(i, c)| container(c, path.key(field).index(i), &volumes, check))
            .collect::<Vec<_>>()
    };
    let containers = container_list(&spec.containers, "containers", check);
    let init_containers =
        container_list(spec.init_containers.as_deref().unwrap_or_default(), "initContainers", check);
    let security = match &spec.security_context {
        Some(sc) => {
            let sc_path = path.key("securityContext");
            if let Some(policy) = &sc.fs_group_change_policy {
                check.one_of(
                    policy,
                    &["Always", "OnRootMismatch"],
                    "fsGroupChangePolicy",
                    &sc_path.key("fsGroupChangePolicy"),
                );
            }
            PodSecurity {
                fs_group: sc.fs_group,
                fs_group_change_policy: sc.fs_group_change_policy.clone(),
                run_as_user: sc.run_as_user,
                run_as_non_root: sc.run_as_non_root,
                path: sc_path,
            }
        }
        None => PodSecurity { path: path.clone(), ..PodSecurity::default() },
    };
    PodTemplate {
        placement: placement(spec, &path),
        path,
        labels: labels.clone(),
        volumes,
        containers,
        init_containers,
        security,
    }
}

const ZONE_LABELS: [&str; 2] = [ZONE_LABEL, "failure-domain.beta.kubernetes.io/zone"];

fn is_zone_key(key: &str) -> bool {
    ZONE_LABELS.contains(&key) || key.ends_with("/zone")
}

fn placement(spec: &core::PodSpec, path: &Path) -> Placement {
    let node_selector = spec.node_selector.clone().unwrap_or_default();
    let mut hostname = node_selector.get(HOSTNAME_LABEL).cloned();
    let selected_zone = node_selector.iter().find(|(k, _)| is_zone_key(k));
    let mut zones_path = selected_zone.map(|(k, _)| path.key("nodeSelector").key(k));
    let mut zones: Option<Vec<String>> = selected_zone.map(|(_, v)| vec![v.clone()]);
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref());
    if let Some(required) = required {
        let terms = &required.node_selector_terms;
        let single_values = |key_test: &dyn Fn(&str) -> bool| -> Vec<Option<Vec<String>>> {
            terms
                .iter()
                .map(|term| {
                    term.match_expressions.iter().flatten().find_map(|e| {
                        (key_test(&e.key) && e.operator == "In").then(|| e.values.clone().unwrap_or_default())
                    })
                })
                .collect()
        };
        let hosts = single_values(&|k| k == HOSTNAME_LABEL);
        if hosts.len() == 1
            && let Some(Some(values)) = hosts.first()
            && values.len() == 1
        {
            hostname = Some(values[0].clone());
        }
        let term_zones = single_values(&is_zone_key);
        if !term_zones.is_empty() && term_zones.iter().all(Option::is_some) {
            let mut all: Vec<String> = term_zones.into_iter().flatten().flatten().collect();
            all.sort();
            all.dedup();
            zones = Some(match zones {
                Some(selected) => all.into_iter().filter(|z| selected.contains(z)).collect(),
                None => all,
            });
            zones_path = zones_path.or_else(|| {
                Some(
                    path.key("affinity")
                        .key("nodeAffinity")
                        .key("requiredDuringSchedulingIgnoredDuringExecution")
                        .key("nodeSelectorTerms"),
                )
            });
        }
    }
    Placement {
        node_name: spec.node_name.clone(),
        hostname,
        zones,
        zones_path,
        node_selector: node_selector.into(),
    }
}

fn pod_volume(volume: &core::Volume, index: usize, path: Path, check: &mut Checker<'_>) -> PodVolume {
    let source = if let Some(pvc) = &volume.persistent_volume_claim {
        VolumeSource::Claim {
            claim_name: pvc.claim_name.as_str().into(),
            read_only: pvc.read_only.unwrap_or(false),
            claim: None,
        }
    } else if let Some(ephemeral) = &volume.ephemeral {
        if let Some(template) = &ephemeral.volume_claim_template {
            let claim_path = path.key("ephemeral").key("volumeClaimTemplate");
            let metadata = template.metadata.clone().unwrap_or_default();
            let namespace = check.namespace.clone();
            let draft = claim(
                check.object,
                ClaimOrigin::Ephemeral { workload: WorkloadId(usize::MAX) },
                claim_path,
                &namespace,
                &volume.name,
                &metadata,
                Some(&template.spec),
                None,
                check,
            );
            check
                .ephemeral
                .push((index, ClaimDraft { claim: draft, template_name: Some(volume.name.clone()) }));
        }
        // The claim id is filled in when the graph is linked.
        VolumeSource::Ephemeral { claim: ClaimId(usize::MAX) }
    } else if let Some(empty) = &volume.empty_dir {
        let medium = empty.medium.as_deref().unwrap_or("");
        if !(medium.is_empty() || medium == "Memory" || medium.starts_with("HugePages")) {
            check.one_of(
                medium,
                &["", "Memory", "HugePages"],
                "emptyDir.medium",
                &path.key("emptyDir").key("medium"),
            );
        }
        VolumeSource::EmptyDir {
            memory: medium == "Memory",
            size_limit: empty.size_limit.as_ref().map(|q| q.0.clone()),
        }
    } else if let Some(host) = &volume.host_path {
        VolumeSource::HostPath { host_path: host.path.clone() }
    } else if let Some(csi) = &volume.csi {
        VolumeSource::Csi { driver: csi.driver.clone(), read_only: csi.read_only.unwrap_or(false) }
    } else if volume.config_map.is_some() {
        VolumeSource::Projected { kind: "configMap" }
    } else if volume.secret.is_some() {
        VolumeSource::Projected { kind: "secret" }
    } else if volume.projected.is_some() {
        VolumeSource::Projected { kind: "projected" }
    } else if volume.downward_api.is_some() {
        VolumeSource::Projected { kind: "downwardAPI" }
    } else {
        VolumeSource::Other { kind: volume_kind_name(volume) }
    };
    PodVolume { name: volume.name.as_str().into(), path, source, shadowed_by: None }
}

/// The name of the first volume-source field set (for in-tree and uncommon types).
fn volume_kind_name(volume: &core::Volume) -> String {
    let value = serde_json::to_value(volume).unwrap_or_default();
    value
        .as_object()
        .and_then(|m| m.keys().find(|k| k.as_str() != "name").cloned())
        .unwrap_or_else(|| "unknown".into())
}

/// The volume type field of a PersistentVolume that is not CSI (`nfs`, `local`,
/// `awsElasticBlockStore`, …): the first `spec` key that is not a common PV field.
fn in_tree_pv_source(root: crate::yaml::Node<'_>) -> Option<String> {
    const COMMON: [&str; 10] = [
        "accessModes",
        "capacity",
        "claimRef",
        "mountOptions",
        "nodeAffinity",
        "persistentVolumeReclaimPolicy",
        "storageClassName",
        "volumeMode",
        "volumeAttributesClassName",
        "csi",
    ];
    let spec = root.get("spec")?.as_map()?;
    spec.iter().map(|e| e.key).find(|k| !COMMON.contains(k)).map(str::to_string)
}

fn container(
    c: &core::Container,
    path: Path,
    volumes: &[PodVolume],
    check: &mut Checker<'_>,
) -> ContainerInfo {
    let resolve = |name: &str| {
        volumes.iter().position(|v| v.name == name).map_or(MountTarget::Missing, MountTarget::Volume)
    };
    let mounts = c
        .volume_mounts
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| Mount {
            volume: m.name.as_str().into(),
            mount_path: m.mount_path.as_str().into(),
            read_only: m.read_only.unwrap_or(false),
            sub_path: m.sub_path.as_deref().or(m.sub_path_expr.as_deref()).map(Into::into),
            path: path.key("volumeMounts").index(i),
            target: resolve(&m.name),
        })
        .collect();
    let devices = c
        .volume_devices
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, d)| Mount {
            volume: d.name.as_str().into(),
            mount_path: d.device_path.as_str().into(),
            read_only: false,
            sub_path: None,
            path: path.key("volumeDevices").index(i),
            target: resolve(&d.name),
        })
        .collect();
    let resources = match &c.resources {
        Some(r) => Resources {
            has_requests: r.requests.as_ref().is_some_and(|m| !m.is_empty()),
            has_limits: r.limits.as_ref().is_some_and(|m| !m.is_empty()),
            memory_limit: r.limits.as_ref().and_then(|l| l.get("memory")).and_then(|q| parse_quantity(&q.0)),
            path: path.key("resources"),
        },
        None => Resources { path: path.clone(), ..Resources::default() },
    };
    let _ = check;
    let command: Vec<Text> =
        c.command.iter().flatten().chain(c.args.iter().flatten()).map(|a| Text::from(a.as_str())).collect();
    ContainerInfo {
        name: c.name.as_str().into(),
        image: c.image.as_deref().unwrap_or_default().into(),
        path,
        command,
        mounts,
        devices,
        run_as_user: c.security_context.as_ref().and_then(|s| s.run_as_user),
        run_as_non_root: c.security_context.as_ref().and_then(|s| s.run_as_non_root),
        resources,
        ports: c.ports.iter().flatten().map(|p| p.container_port).collect(),
        env: c.env.iter().flatten().filter_map(|e| Some((e.name.clone(), e.value.clone()?))).collect(),
    }
}

pub(super) fn access_modes(
    modes: &[String],
    path: &Path,
    check: &mut Checker<'_>,
) -> Vec<(AccessMode, Path)> {
    const ALLOWED: [&str; 4] = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
    modes
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let item = path.index(i);
            match AccessMode::parse(m) {
                Some(mode) => Some((mode, item)),
                None => {
                    check.one_of(m, &ALLOWED, "accessModes", &item);
                    None
                }
            }
        })
        .collect()
}

/// Builds a claim from a PVC's metadata and spec (standalone or template).
#[allow(clippy::too_many_arguments)]
fn claim(
    object: ObjectId,
    origin: ClaimOrigin,
    path: Path,
    namespace: &str,
    name: &str,
    metadata: &ObjectMeta,
    spec: Option<&core::PersistentVolumeClaimSpec>,
    status: Option<&core::PersistentVolumeClaimStatus>,
    check: &mut Checker<'_>,
) -> Claim {
    let spec_path = path.key("spec");
    claim_at(object, origin, path, spec_path, namespace, name, metadata, spec, status, check)
}

/// Like [`claim`], with the claim spec at `spec_path` (operator fields hold a bare
/// PersistentVolumeClaimSpec, not `metadata` + `spec`).
#[allow(clippy::too_many_arguments)]
pub(super) fn claim_at(
    object: ObjectId,
    origin: ClaimOrigin,
    path: Path,
    spec_path: Path,
    namespace: &str,
    name: &str,
    metadata: &ObjectMeta,
    spec: Option<&core::PersistentVolumeClaimSpec>,
    status: Option<&core::PersistentVolumeClaimStatus>,
    check: &mut Checker<'_>,
) -> Claim {
    let default_spec = core::PersistentVolumeClaimSpec::default();
    let spec = spec.unwrap_or(&default_spec);
    let volume_mode = match spec.volume_mode.as_deref() {
        Some("Block") => VolumeMode::Block,
        Some("Filesystem") | None => VolumeMode::Filesystem,
        Some(other) => {
            check.one_of(other, &["Filesystem", "Block"], "volumeMode", &spec_path.key("volumeMode"));
            VolumeMode::Filesystem
        }
    };
    let annotation = metadata.annotations.as_ref().and_then(|a| a.get(BETA_CLASS_ANNOTATION));
    let (class_ref, class_path) = match (annotation, spec.storage_class_name.as_deref()) {
        (Some(name), _) => (
            ClassRef::Annotation(name.clone()),
            path.key("metadata").key("annotations").key(BETA_CLASS_ANNOTATION),
        ),
        (None, Some("")) => (ClassRef::Empty, spec_path.key("storageClassName")),
        (None, Some(name)) => (ClassRef::Field(name.to_string()), spec_path.key("storageClassName")),
        (None, None) => (ClassRef::Unset, spec_path.clone()),
    };
    Claim {
        object,
        origin,
        access_modes: access_modes(
            spec.access_modes.as_deref().unwrap_or_default(),
            &spec_path.key("accessModes"),
            check,
        ),
        path,
        namespace: namespace.into(),
        name: name.into(),
        volume_mode,
        class_ref,
        class_path,
        class: ClassResolution::UnknownDefault,
        volume_name: spec.volume_name.clone().filter(|v| !v.is_empty()),
        volume: None,
        driver: None,
        request: spec
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .and_then(|q| parse_quantity(&q.0)),
        phase: status.and_then(|s| s.phase.clone()),
        data_source: data_source(spec, &spec_path),
        live: claim_live(metadata, status),
    }
}

/// A claim's live state: only for claims read with a `status` or timestamps (from a cluster).
fn claim_live(
    metadata: &ObjectMeta,
    status: Option<&core::PersistentVolumeClaimStatus>,
) -> Option<Box<ClaimLive>> {
    if status.is_none() && metadata.creation_timestamp.is_none() {
        return None;
    }
    let status = status.cloned().unwrap_or_default();
    Some(Box::new(ClaimLive {
        created: metadata.creation_timestamp.as_ref().map(|t| t.0),
        deleting: metadata.deletion_timestamp.as_ref().map(|t| t.0),
        capacity: status.capacity.as_ref().and_then(|c| c.get("storage")).and_then(|q| parse_quantity(&q.0)),
        conditions: status
            .conditions
            .unwrap_or_default()
            .into_iter()
            .map(|c| Condition {
                kind: c.type_,
                status: c.status,
                reason: c.reason,
                message: c.message,
                since: c.last_transition_time.map(|t| t.0),
            })
            .collect(),
        resize_statuses: status.allocated_resource_statuses.unwrap_or_default().into_iter().collect(),
    }))
}

/// The (kind, name) of a Pod's controller (the owner reference with `controller: true`).
pub fn controller_of(pod: &core::Pod) -> Option<(&str, &str)> {
    let owners = pod.metadata.owner_references.as_deref().unwrap_or_default();
    owners.iter().find(|o| o.controller == Some(true)).map(|o| (o.kind.as_str(), o.name.as_str()))
}

/// How a Pod runs: node, phase, controller and the claims it names.
pub fn live_pod(object: &Object, pod: &core::Pod) -> LivePod {
    let status = pod.status.as_ref();
    let no_spec = core::PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    let owner = controller_of(pod).map(|(kind, name)| (kind.to_string(), name.to_string()));
    let pod_name = object.reference.name.as_str();
    let claims = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| {
            if let Some(pvc) = &v.persistent_volume_claim {
                Some(Text::from(pvc.claim_name.as_str()))
            } else {
                v.ephemeral.as_ref().map(|_| Text::from(format!("{pod_name}-{}", v.name).as_str()))
            }
        })
        .collect();
    LivePod {
        object: object.id,
        namespace: object.effective_namespace().into(),
        name: pod_name.into(),
        node_name: spec.node_name.clone(),
        phase: status.and_then(|s| s.phase.clone()),
        owner,
        claims,
    }
}

/// `dataSourceRef` wins (it is the superset; the API server keeps both equal when both are
/// set); `dataSource` otherwise.
fn data_source(spec: &core::PersistentVolumeClaimSpec, spec_path: &Path) -> Option<DataSource> {
    if let Some(r) = &spec.data_source_ref {
        return Some(DataSource {
            api_group: r.api_group.clone().unwrap_or_default(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            path: spec_path.key("dataSourceRef"),
        });
    }
    spec.data_source.as_ref().map(|r| DataSource {
        api_group: r.api_group.clone().unwrap_or_default(),
        kind: r.kind.clone(),
        name: r.name.clone(),
        namespace: None,
        path: spec_path.key("dataSource"),
    })
}
