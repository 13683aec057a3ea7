//! Operator custom resources (CloudNativePG `Cluster`, Strimzi `Kafka`, ECK
//! `Elasticsearch`, …) read into the model as workloads, as `catalog/operators.yaml`
//! describes them.
//!
//! Each member of a resource becomes a [`WorkloadKind::Operator`] workload with the role of
//! its engine ([`Evidence::Operator`]), claim templates built from its storage fields, and one
//! engine container (image empty, named after the engine) whose mounts at the engine's data
//! directory target those claim templates, or an `emptyDir` / `hostPath` pod volume for
//! ephemeral and host storage. Every synthesized claim, mode, class, mount and volume points
//! at the resource's storage field, so findings land on the line the user wrote. Wrong field
//! types become KS001 diagnostics with their positions, never panics.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::extract::{Checker, ClaimDraft, WorkloadDraft, claim_at, from_template};
use super::model::*;
use crate::catalog::operators::{Member, OperatorKind, StorageField, StorageFormat};
use crate::catalog::{AccessMode, RoleCatalog};
use crate::load::{Diagnostic, Location};
use crate::object::Object;
use crate::path::Path;
use crate::quantity::parse_quantity;
use crate::yaml::{Node, Text, Value, from_node};

/// What one storage field contributes.
enum Unit {
    /// A claim template, mounted at `mount`.
    Claim { draft: Box<ClaimDraft>, mount: String, path: Path },
    /// A pod volume (emptyDir, hostPath), mounted at `mount`.
    Volume { volume: PodVolume, mount: String, path: Path },
}

/// The workloads of one operator custom resource.
pub fn extract(
    object: &Object,
    operator: &OperatorKind,
    roles: &RoleCatalog,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<WorkloadDraft> {
    let mut check = Checker::new(object, diagnostics);
    let root = object.root();
    let mut out = Vec::new();
    for member in &operator.members {
        if let Some(list) = member.path.strip_suffix("[*]") {
            let (node, path) = follow(root, Path::root(), list);
            let Some(items) = node.and_then(|n| n.as_seq()) else { continue };
            for (i, item) in items.iter().enumerate() {
                let name = item.get_str("name").map_or_else(|| i.to_string(), str::to_string);
                let draft = extract_member(
                    object,
                    operator,
                    member,
                    item,
                    path.index(i),
                    Some(&name),
                    roles,
                    &mut check,
                );
                out.extend(draft);
            }
        } else {
            let (node, path) = follow(root, Path::root(), &member.path);
            let Some(node) = node.filter(|n| n.as_map().is_some()) else { continue };
            let suffix = member.suffix.as_deref();
            out.extend(extract_member(object, operator, member, node, path, suffix, roles, &mut check));
        }
    }
    out
}

/// Follows a dotted path (`spec.kafka`) from a node; the node is `None` when a step is
/// missing, the path is complete either way.
fn follow<'t>(node: Node<'t>, mut path: Path, dotted: &str) -> (Option<Node<'t>>, Path) {
    let mut current = Some(node);
    for key in dotted.split('.').filter(|k| !k.is_empty()) {
        current = current.and_then(|n| n.get(key));
        path = path.key(key);
    }
    (current, path)
}

#[allow(clippy::too_many_arguments)]
fn extract_member(
    object: &Object,
    operator: &OperatorKind,
    member: &Member,
    node: Node<'_>,
    path: Path,
    suffix: Option<&str>,
    roles: &RoleCatalog,
    check: &mut Checker<'_>,
) -> Option<WorkloadDraft> {
    let engine = roles.engine(&member.engine)?;
    let namespace = object.effective_namespace().to_string();

    // Storage first: a member without any storage is not deployed (Strimzi `spec.kafka`
    // with node pools, an absent ZooKeeper) and gives no workload.
    let mut pod = match &member.pod_template {
        Some(key) => pod_template_at(node, &path, key, check),
        None => PodTemplate {
            path: path.clone(),
            security: PodSecurity { path: path.clone(), ..PodSecurity::default() },
            ..PodTemplate::default()
        },
    };
    let mut retention = None;
    let mut units = Vec::new();
    for field in &member.storage {
        let (field_node, field_path) = follow(node, path.clone(), &field.field);
        let context = Context { object, namespace: &namespace, field, path: field_path, pod: &pod };
        units.extend(storage_units(&context, field_node, &mut retention, check));
    }
    if units.is_empty() {
        return None;
    }

    let replicas = member.replicas.as_ref().map(|r| match node.get(&r.field) {
        Some(value) => match value.value() {
            Value::Int(n) => {
                Replicas { count: i32::try_from(n).unwrap_or(i32::MAX), path: Some(path.key(&r.field)) }
            }
            _ => {
                type_problem(check, &path.key(&r.field), "an integer", value);
                Replicas { count: r.default, path: None }
            }
        },
        None => Replicas { count: r.default, path: None },
    });

    // The engine container: the pod template's (ECK `elasticsearch`), or a synthesized one.
    let container_name = member.container.as_deref().unwrap_or(&engine.name);
    let index = match pod.containers.iter().position(|c| c.name == container_name) {
        Some(i) => i,
        None => {
            pod.containers.push(ContainerInfo {
                name: container_name.into(),
                path: path.clone(),
                resources: Resources { path: path.clone(), ..Resources::default() },
                ..ContainerInfo::default()
            });
            pod.containers.len() - 1
        }
    };
    let mut templates = Vec::new();
    let mut data_dirs: Vec<Text> = Vec::new();
    for unit in units {
        let (volume, mount_path, mount_at, target) = match unit {
            Unit::Claim { draft, mount, path } => {
                let name = draft.template_name.clone().unwrap_or_default();
                templates.push(*draft);
                if mount.is_empty() {
                    continue; // another claim template: the pod template mounts it
                }
                // Linked to the claim template by name when the graph adds the workload.
                (name, mount, path, MountTarget::Missing)
            }
            Unit::Volume { volume, mount, path } => {
                let name = volume.name.to_string();
                let index = match pod.volumes.iter().position(|v| v.name == volume.name) {
                    Some(i) => i,
                    None => {
                        pod.volumes.push(volume);
                        pod.volumes.len() - 1
                    }
                };
                (name, mount, path, MountTarget::Volume(index))
            }
        };
        if !data_dirs.iter().any(|d| **d == *mount_path) {
            data_dirs.push(mount_path.as_str().into());
        }
        let container = &mut pod.containers[index];
        if container.mounts.iter().any(|m| m.volume == volume.as_str()) {
            continue; // the pod template mounts it already
        }
        container.mounts.push(Mount {
            volume: volume.as_str().into(),
            mount_path: mount_path.as_str().into(),
            read_only: false,
            sub_path: None,
            path: mount_at,
            target,
        });
    }
    for dir in &engine.data_dirs {
        if !data_dirs.iter().any(|d| **d == **dir) {
            data_dirs.push(dir.as_str().into());
        }
    }
    let name = match suffix {
        Some(suffix) => format!("{}/{suffix}", object.reference.name),
        None => object.reference.name.clone(),
    };
    let ephemeral = check.take_ephemeral();
    Some(WorkloadDraft {
        workload: Workload {
            object: object.id,
            kind: WorkloadKind::Operator,
            namespace: namespace.as_str().into(),
            name: name.as_str().into(),
            replicas: Some(replicas.unwrap_or(Replicas { count: 1, path: None })),
            strategy: None,
            pod,
            claim_templates: Vec::new(),
            retention,
            role: RoleAssignment {
                role: member.role.unwrap_or(engine.role),
                engine: Some(engine.name.clone()),
                evidence: Evidence::Operator,
                container: Some(index),
                data_dirs,
            },
            role_annotation: None,
            custom_kind: Some(operator.kind.to_ascii_lowercase().as_str().into()),
        },
        templates,
        ephemeral,
        live_pod: None,
    })
}

/// The pod template at `key` of a member (ECK `podTemplate`), or an empty one there.
fn pod_template_at(node: Node<'_>, path: &Path, key: &str, check: &mut Checker<'_>) -> PodTemplate {
    let template_path = path.key(key);
    let template = node
        .get(key)
        .and_then(|n| decode::<core::PodTemplateSpec>(n, &template_path, check))
        .unwrap_or_default();
    let mut pod = from_template(&template, &template_path, check);
    if template.spec.is_none() {
        pod.path = template_path.clone();
        pod.security.path = template_path;
    }
    pod
}

/// What a storage field is read with.
struct Context<'a> {
    object: &'a Object,
    namespace: &'a str,
    field: &'a StorageField,
    /// The storage field's path.
    path: Path,
    /// The member's pod template (its volumes replace default claims of the same name).
    pod: &'a PodTemplate,
}

impl Context<'_> {
    /// A claim template named `name` from `spec` (at `spec_path`, when written).
    fn claim(
        &self,
        name: &str,
        metadata: &ObjectMeta,
        spec: Option<&core::PersistentVolumeClaimSpec>,
        spec_path: Path,
        check: &mut Checker<'_>,
    ) -> ClaimDraft {
        let mut claim = claim_at(
            self.object.id,
            ClaimOrigin::Template { workload: WorkloadId(usize::MAX) },
            self.path.clone(),
            spec_path,
            self.namespace,
            name,
            metadata,
            spec,
            None,
            check,
        );
        if claim.access_modes.is_empty() {
            // The operators create ReadWriteOnce claims unless told otherwise.
            claim.access_modes = vec![(AccessMode::ReadWriteOnce, self.path.clone())];
        }
        if claim.class_ref == ClassRef::Unset {
            claim.class_path = self.path.clone();
        }
        ClaimDraft { claim, template_name: Some(name.to_string()) }
    }

    /// A default claim (no spec): ReadWriteOnce, the default class, `size`.
    fn default_claim(&self, name: &str, size: Option<&str>, check: &mut Checker<'_>) -> ClaimDraft {
        let mut draft = self.claim(name, &ObjectMeta::default(), None, self.path.clone(), check);
        draft.claim.request = size.and_then(parse_quantity);
        draft
    }

    fn claim_unit(&self, draft: ClaimDraft, mount: String) -> Unit {
        Unit::Claim { draft: Box::new(draft), mount, path: self.path.clone() }
    }

    /// Whether the member's pod template defines a volume of this name (it then replaces the
    /// operator's default claim, as ECK does).
    fn pod_defines(&self, name: &str) -> bool {
        self.pod.volumes.iter().any(|v| v.name == name)
    }
}

fn storage_units(
    cx: &Context<'_>,
    node: Option<Node<'_>>,
    retention: &mut Option<RetentionPolicy>,
    check: &mut Checker<'_>,
) -> Vec<Unit> {
    let field = cx.field;
    let mount = field.mount.clone();
    let node = node.filter(|n| !n.is_null());
    // Every format but the list is a mapping.
    if let Some(n) = node {
        let expected_list = field.format == StorageFormat::PvcTemplateList;
        let ok = if expected_list { n.as_seq().is_some() } else { n.as_map().is_some() };
        if !ok {
            type_problem(check, &cx.path, if expected_list { "a sequence" } else { "a mapping" }, n);
            return Vec::new();
        }
    }
    match field.format {
        StorageFormat::PvcSpec => {
            let Some(n) = node else { return Vec::new() };
            let spec = decode::<core::PersistentVolumeClaimSpec>(n, &cx.path, check);
            let draft = cx.claim(&field.name, &ObjectMeta::default(), spec.as_ref(), cx.path.clone(), check);
            vec![cx.claim_unit(draft, mount)]
        }
        StorageFormat::PvcTemplate => {
            let Some(n) = node else { return Vec::new() };
            let pvc = decode::<core::PersistentVolumeClaim>(n, &cx.path, check).unwrap_or_default();
            let draft = cx.claim(&field.name, &pvc.metadata, pvc.spec.as_ref(), cx.path.key("spec"), check);
            vec![cx.claim_unit(draft, mount)]
        }
        StorageFormat::PvcTemplateList => {
            let items: Vec<Node<'_>> =
                node.and_then(|n| n.as_seq()).map(|s| s.iter().collect()).unwrap_or_default();
            if items.is_empty() {
                if cx.pod_defines(&field.name) {
                    let index = cx.pod.volumes.iter().position(|v| v.name == field.name).unwrap_or(0);
                    let volume = cx.pod.volumes[index].clone();
                    return vec![Unit::Volume { path: volume.path.clone(), volume, mount }];
                }
                return match &field.default_size {
                    Some(size) => {
                        vec![cx.claim_unit(cx.default_claim(&field.name, Some(size), check), mount)]
                    }
                    None => Vec::new(),
                };
            }
            let mut units = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let path = cx.path.index(i);
                let pvc = decode::<core::PersistentVolumeClaim>(item, &path, check).unwrap_or_default();
                let name = pvc.metadata.name.clone().unwrap_or_else(|| field.name.clone());
                let item_cx = Context { path: path.clone(), ..*cx };
                let draft = item_cx.claim(&name, &pvc.metadata, pvc.spec.as_ref(), path.key("spec"), check);
                if name == field.name {
                    units.push(item_cx.claim_unit(draft, mount.clone()));
                } else {
                    // Another claim template: the user mounts it in the pod template.
                    units.push(Unit::Claim { draft: Box::new(draft), mount: String::new(), path });
                }
            }
            units
        }
        StorageFormat::SizeClass => size_class(cx, node, mount, check),
        StorageFormat::Mariadb => mariadb(cx, node, mount, check),
        StorageFormat::PerconaVolumeSpec => {
            let Some(n) = node else { return Vec::new() };
            if let Some(pvc) = n.get("persistentVolumeClaim") {
                let spec_path = cx.path.key("persistentVolumeClaim");
                let spec = decode::<core::PersistentVolumeClaimSpec>(pvc, &spec_path, check);
                let draft = cx.claim(&field.name, &ObjectMeta::default(), spec.as_ref(), spec_path, check);
                vec![cx.claim_unit(draft, mount)]
            } else if let Some(empty) = n.get("emptyDir") {
                let medium = empty.get_str("medium").unwrap_or("");
                let source = VolumeSource::EmptyDir {
                    memory: medium == "Memory",
                    size_limit: empty.get_str("sizeLimit").map(str::to_string),
                };
                vec![volume_unit(&field.name, cx.path.clone(), source, mount)]
            } else if let Some(host) = n.get("hostPath") {
                let source = VolumeSource::HostPath {
                    host_path: host.get_str("path").unwrap_or_default().to_string(),
                };
                vec![volume_unit(&field.name, cx.path.clone(), source, mount)]
            } else {
                Vec::new()
            }
        }
        StorageFormat::Strimzi => {
            let Some(n) = node else { return Vec::new() };
            strimzi(cx, n, cx.path.clone(), &field.name, &mount, retention, check)
        }
    }
}

/// CloudNativePG / Zalando / RabbitMQ: the optional claim spec under `template_key`, which
/// the class and size keys override.
fn size_class(cx: &Context<'_>, node: Option<Node<'_>>, mount: String, check: &mut Checker<'_>) -> Vec<Unit> {
    let field = cx.field;
    let Some(n) = node else {
        return match &field.default_size {
            Some(size) => vec![cx.claim_unit(cx.default_claim(&field.name, Some(size), check), mount)],
            None => Vec::new(),
        };
    };
    let (template, template_path) = match &field.template_key {
        Some(key) => {
            let path = cx.path.key(key);
            (n.get(key).and_then(|t| decode::<core::PersistentVolumeClaimSpec>(t, &path, check)), path)
        }
        None => (None, cx.path.clone()),
    };
    let mut draft = cx.claim(&field.name, &ObjectMeta::default(), template.as_ref(), template_path, check);
    let claim = &mut draft.claim;
    if let Some(key) = &field.class_key {
        override_class(claim, n, key, &cx.path, check);
    }
    let size_key = field.size_key.as_deref().unwrap_or("size");
    match quantity(n, size_key, &cx.path, check) {
        Some(size) => claim.request = Some(size),
        None if claim.request.is_none() => {
            claim.request = field.default_size.as_deref().and_then(parse_quantity);
        }
        None => {}
    }
    vec![cx.claim_unit(draft, mount)]
}

/// MariaDB operator `storage`: `ephemeral: true` is an emptyDir; a `volumeClaimTemplate`
/// is used as written; otherwise `size` and `storageClassName` make the claim.
fn mariadb(cx: &Context<'_>, node: Option<Node<'_>>, mount: String, check: &mut Checker<'_>) -> Vec<Unit> {
    let field = cx.field;
    let Some(n) = node else { return Vec::new() };
    if let Some(ephemeral) = n.get("ephemeral") {
        match ephemeral.value() {
            Value::Bool(true) => {
                let source = VolumeSource::EmptyDir { memory: false, size_limit: None };
                return vec![volume_unit(&field.name, cx.path.key("ephemeral"), source, mount)];
            }
            Value::Bool(false) => {}
            _ => type_problem(check, &cx.path.key("ephemeral"), "true or false", ephemeral),
        }
    }
    if let Some(template) = n.get("volumeClaimTemplate") {
        let path = cx.path.key("volumeClaimTemplate");
        let spec = decode::<core::PersistentVolumeClaimSpec>(template, &path, check);
        let draft = cx.claim(&field.name, &ObjectMeta::default(), spec.as_ref(), path, check);
        return vec![cx.claim_unit(draft, mount)];
    }
    let mut draft = cx.claim(&field.name, &ObjectMeta::default(), None, cx.path.clone(), check);
    override_class(&mut draft.claim, n, "storageClassName", &cx.path, check);
    draft.claim.request = quantity(n, "size", &cx.path, check);
    vec![cx.claim_unit(draft, mount)]
}

/// Strimzi storage (`persistent-claim`, `ephemeral`, `jbod`).
fn strimzi(
    cx: &Context<'_>,
    n: Node<'_>,
    path: Path,
    name: &str,
    mount: &str,
    retention: &mut Option<RetentionPolicy>,
    check: &mut Checker<'_>,
) -> Vec<Unit> {
    let type_path = path.key("type");
    let Some(kind) = n.get_str("type") else {
        if let Some(other) = n.get("type") {
            type_problem(check, &type_path, "a string", other);
        }
        return Vec::new();
    };
    match kind {
        "persistent-claim" => {
            let item_cx = Context { path: path.clone(), ..*cx };
            let mut draft = item_cx.claim(name, &ObjectMeta::default(), None, path.clone(), check);
            override_class(&mut draft.claim, n, "class", &path, check);
            draft.claim.request = quantity(n, "size", &path, check);
            if let Some(delete) = n.get("deleteClaim") {
                match delete.value() {
                    Value::Bool(true) => {
                        let policy = retention
                            .get_or_insert(RetentionPolicy { when_deleted: None, when_scaled: None });
                        policy.when_deleted.get_or_insert(("Delete".into(), path.key("deleteClaim")));
                    }
                    Value::Bool(false) => {}
                    _ => type_problem(check, &path.key("deleteClaim"), "true or false", delete),
                }
            }
            vec![Unit::Claim { draft: Box::new(draft), mount: mount.to_string(), path }]
        }
        "ephemeral" => {
            let source = VolumeSource::EmptyDir {
                memory: false,
                size_limit: n.get_str("sizeLimit").map(str::to_string),
            };
            vec![volume_unit(name, type_path, source, mount.to_string())]
        }
        "jbod" => {
            let volumes = path.key("volumes");
            let Some(items) = n.get("volumes").and_then(|v| v.as_seq()) else { return Vec::new() };
            let mut units = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let id = match item.get("id").map(|v| v.value()) {
                    Some(Value::Int(id)) => id.to_string(),
                    _ => i.to_string(),
                };
                let (volume_name, volume_mount) = (format!("{name}-{id}"), format!("{mount}-{id}"));
                units.extend(strimzi(
                    cx,
                    item,
                    volumes.index(i),
                    &volume_name,
                    &volume_mount,
                    retention,
                    check,
                ));
            }
            units
        }
        other => {
            check.one_of(other, &["persistent-claim", "ephemeral", "jbod"], "storage.type", &type_path);
            Vec::new()
        }
    }
}

fn volume_unit(name: &str, path: Path, source: VolumeSource, mount: String) -> Unit {
    Unit::Volume {
        volume: PodVolume { name: name.into(), path: path.clone(), source, shadowed_by: None },
        mount,
        path,
    }
}

/// Applies a class key (`storageClass`, `class`): it wins over a template's class.
fn override_class(claim: &mut Claim, n: Node<'_>, key: &str, base: &Path, check: &mut Checker<'_>) {
    let Some(value) = n.get(key) else { return };
    let path = base.key(key);
    match value.value() {
        Value::Str("") => {
            claim.class_ref = ClassRef::Empty;
            claim.class_path = path;
        }
        Value::Str(name) => {
            claim.class_ref = ClassRef::Field(name.to_string());
            claim.class_path = path;
        }
        Value::Null => {}
        _ => type_problem(check, &path, "a string", value),
    }
}

/// A size key (`size`, `storage`) in bytes.
fn quantity(n: Node<'_>, key: &str, base: &Path, check: &mut Checker<'_>) -> Option<f64> {
    let value = n.get(key)?;
    match value.value() {
        Value::Str(s) => {
            let parsed = parse_quantity(s);
            if parsed.is_none() {
                push(
                    check,
                    &base.key(key),
                    format!("`{}`: \"{s}\" is not a quantity (like 10Gi)", base.key(key)),
                );
            }
            parsed
        }
        Value::Int(i) => Some(i as f64),
        Value::Null => None,
        _ => {
            type_problem(check, &base.key(key), "a quantity (like 10Gi)", value);
            None
        }
    }
}

/// Decodes a part of the resource; a wrong type is a KS001 at its position.
fn decode<T: for<'a> serde::Deserialize<'a>>(
    node: Node<'_>,
    path: &Path,
    check: &mut Checker<'_>,
) -> Option<T> {
    match from_node::<T>(node) {
        Ok(value) => Some(value),
        Err((relative, message)) => {
            let full = path.join(&relative);
            let message = format!("`{full}`: {}", super::decode::friendly(message));
            push(check, &full, message);
            None
        }
    }
}

fn type_problem(check: &mut Checker<'_>, path: &Path, expected: &str, found: Node<'_>) {
    push(check, path, format!("`{path}`: expected {expected}, found {}", found.described()));
}

fn push(check: &mut Checker<'_>, path: &Path, message: String) {
    let object = check.object();
    check.diagnostics.push(Diagnostic { location: Location::Field { object, path: path.clone() }, message });
}
