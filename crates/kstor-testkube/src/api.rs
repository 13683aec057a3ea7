//! What the API server does with a request once routed: defaulting and admission as the real
//! server's plugins do them (DefaultStorageClass, StorageObjectInUseProtection,
//! NamespaceLifecycle, PersistentVolumeClaimResize), validation of what the probe can get
//! wrong, optimistic concurrency, finalizers and graceful deletion.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::resources::ResourceType;
use crate::state::State;

/// How a PATCH body is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/merge-patch+json` and `application/strategic-merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/apply-patch+yaml` (server-side apply, as a merge that may create).
    Apply,
}

impl PatchKind {
    /// The kind of a PATCH content type.
    pub fn from_content_type(content_type: &str) -> Option<PatchKind> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                Some(PatchKind::Merge)
            }
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(PatchKind::Apply),
            _ => None,
        }
    }
}

/// The finalizer the StorageObjectInUseProtection admission plugin puts on claims.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// The finalizer the same plugin puts on volumes.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

const RESIZE_FORBIDDEN: &str = "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize";

fn name_of(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

fn finalizers(o: &Value) -> Vec<String> {
    o["metadata"]["finalizers"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Lowercase letters and digits of generated names, without vowels (as the API server).
const GENERATED: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl State {
    /// GET one object.
    pub fn read(&self, rt: &'static ResourceType, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.store
            .get(rt, namespace, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(rt.group, rt.plural, name))
    }

    /// Refuses new objects in a missing or Terminating namespace (NamespaceLifecycle).
    fn check_namespace(&self, rt: &ResourceType, namespace: &str, name: &str) -> Result<(), ApiError> {
        let Some(ns) = self.get("Namespace", "", namespace) else {
            return Err(ApiError::not_found("", "namespaces", namespace));
        };
        if !ns["metadata"]["deletionTimestamp"].is_null() {
            let mut e = ApiError::forbidden(
                rt.group,
                rt.plural,
                name,
                &format!(
                    "unable to create new content in namespace {namespace} because it is being terminated"
                ),
            );
            e.details["causes"] = json!([{"reason": "NamespaceTerminating", "message": format!("namespace {namespace} is being terminated"), "field": "metadata.namespace"}]);
            return Err(e);
        }
        Ok(())
    }

    /// POST: creates an object. `namespace` is the URL's (None for cluster-scoped types).
    pub fn create(
        &mut self,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        mut object: Value,
    ) -> Result<Value, ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request("the body of the request is not a JSON object"));
        }
        if object["metadata"].is_null() {
            object["metadata"] = json!({});
        }
        object["apiVersion"] = json!(rt.api_version());
        object["kind"] = json!(rt.kind);
        let meta = &mut object["metadata"];
        if rt.namespaced {
            let namespace = namespace.unwrap_or("default");
            match meta["namespace"].as_str() {
                Some(ns) if !ns.is_empty() && ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => meta["namespace"] = json!(namespace),
            }
        } else if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
        }
        if meta["name"].as_str().is_none_or(str::is_empty) {
            let Some(prefix) = meta["generateName"].as_str().filter(|p| !p.is_empty()) else {
                return Err(ApiError::invalid(
                    rt.group,
                    rt.kind,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            };
            let mut seed = crate::time::now_nanos() ^ self.store.resource_version().rotate_left(17);
            let suffix: String = (0..5)
                .map(|_| {
                    seed =
                        seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    GENERATED[(seed >> 33) as usize % GENERATED.len()] as char
                })
                .collect();
            meta["name"] = json!(format!("{prefix}{suffix}"));
        }
        let name = name_of(&object).to_string();
        let ns = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        if rt.namespaced {
            self.check_namespace(rt, &ns, &name)?;
        }
        if self.store.get(rt, &ns, &name).is_some() {
            return Err(ApiError::already_exists(rt.group, rt.plural, &name));
        }
        self.admit_create(rt, &mut object)?;
        let meta = object["metadata"].as_object_mut().expect("metadata is an object");
        for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"] {
            meta.remove(field);
        }
        meta.insert("uid".into(), json!(self.store.uid()));
        meta.insert("creationTimestamp".into(), json!(crate::time::now()));
        meta.insert("generation".into(), json!(1));
        Ok(self.store.put(rt, object))
    }

    /// Defaulting, admission and validation of a new object.
    fn admit_create(&mut self, rt: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
        let name = name_of(object).to_string();
        match rt.kind {
            "Namespace" => {
                object["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
                object["spec"] = json!({"finalizers": ["kubernetes"]});
                object["status"] = json!({"phase": "Active"});
            }
            "PersistentVolumeClaim" => {
                let spec = &object["spec"];
                if spec["accessModes"].as_array().is_none_or(Vec::is_empty) {
                    return Err(ApiError::invalid(
                        "",
                        rt.kind,
                        &name,
                        "spec.accessModes",
                        "Required value: at least 1 access mode is required",
                    ));
                }
                let storage = spec["resources"]["requests"]["storage"].as_str().unwrap_or_default();
                if storage.is_empty() {
                    return Err(ApiError::invalid(
                        "",
                        rt.kind,
                        &name,
                        "spec.resources[storage]",
                        "Required value",
                    ));
                }
                if crate::quantity::parse(storage).is_none() {
                    return Err(ApiError::invalid(
                        "",
                        rt.kind,
                        &name,
                        "spec.resources.requests.storage",
                        &format!(
                            "Invalid value: \"{storage}\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                        ),
                    ));
                }
                // DefaultStorageClass: a claim that names no class gets the default one.
                if object["spec"].get("storageClassName").is_none()
                    && let Some(default) = self.list("StorageClass", None).into_iter().find(|c| {
                        c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
                    })
                {
                    object["spec"]["storageClassName"] = default["metadata"]["name"].clone();
                }
                if object["spec"]["volumeMode"].is_null() {
                    object["spec"]["volumeMode"] = json!("Filesystem");
                }
                add_finalizer(object, PVC_PROTECTION);
                object["status"] = json!({"phase": "Pending"});
            }
            "PersistentVolume" => {
                add_finalizer(object, PV_PROTECTION);
                if object["status"]["phase"].is_null() {
                    object["status"] = json!({"phase": "Pending"});
                }
            }
            "Pod" => {
                let containers = object["spec"]["containers"].as_array().map_or(0, Vec::len);
                if containers == 0 {
                    return Err(ApiError::invalid("", rt.kind, &name, "spec.containers", "Required value"));
                }
                let spec = &mut object["spec"];
                for (field, value) in [
                    ("restartPolicy", json!("Always")),
                    ("schedulerName", json!("default-scheduler")),
                    ("serviceAccountName", json!("default")),
                    ("terminationGracePeriodSeconds", json!(30)),
                    ("dnsPolicy", json!("ClusterFirst")),
                    ("securityContext", json!({})),
                ] {
                    if spec[field].is_null() {
                        spec[field] = value;
                    }
                }
                if let Some(containers) = spec["containers"].as_array_mut() {
                    for c in containers {
                        if c["terminationMessagePath"].is_null() {
                            c["terminationMessagePath"] = json!("/dev/termination-log");
                        }
                        if c["terminationMessagePolicy"].is_null() {
                            c["terminationMessagePolicy"] = json!("File");
                        }
                        if c["imagePullPolicy"].is_null() {
                            c["imagePullPolicy"] = json!("IfNotPresent");
                        }
                    }
                }
                let has_requests = object["spec"]["containers"].as_array().is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c["resources"]["requests"].is_object() || c["resources"]["limits"].is_object()
                    })
                });
                object["status"] = json!({"phase": "Pending", "qosClass": if has_requests { "Burstable" } else { "BestEffort" }});
            }
            "VolumeSnapshot" => {
                let source = &object["spec"]["source"];
                if source["persistentVolumeClaimName"].is_null()
                    == source["volumeSnapshotContentName"].is_null()
                {
                    return Err(ApiError::invalid(
                        crate::resources::SNAPSHOT_GROUP,
                        rt.kind,
                        &name,
                        "spec.source",
                        "Invalid value: \"object\": Exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set.",
                    ));
                }
                if let Some(m) = object.as_object_mut() {
                    m.remove("status");
                }
            }
            "SelfSubjectAccessReview" => {}
            _ => {}
        }
        Ok(())
    }

    /// PUT: replaces an object (or its status with `status_only`).
    pub fn replace(
        &mut self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
        mut object: Value,
        status_only: bool,
    ) -> Result<Value, ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request("the body of the request is not a JSON object"));
        }
        let current = self.read(rt, namespace, name)?;
        if let Some(body_name) = object["metadata"]["name"].as_str()
            && body_name != name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(rv) = object["metadata"]["resourceVersion"].as_str().filter(|rv| !rv.is_empty())
            && current["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(ApiError::conflict(rt.group, rt.plural, name));
        }
        self.update(rt, current, &mut object, status_only)
    }

    /// PATCH: applies a patch to an object (or its status).
    pub fn patch(
        &mut self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
        kind: PatchKind,
        patch: &Value,
        status_only: bool,
    ) -> Result<Value, ApiError> {
        let current = match self.read(rt, namespace, name) {
            Ok(current) => current,
            Err(_) if kind == PatchKind::Apply => {
                let mut object = patch.clone();
                object["metadata"]["name"] = json!(name);
                return self.create(rt, rt.namespaced.then_some(namespace), object);
            }
            Err(e) => return Err(e),
        };
        let mut object = current.clone();
        match kind {
            PatchKind::Merge | PatchKind::Apply => {
                if !patch.is_object() {
                    return Err(ApiError::bad_request("a merge patch must be a JSON object"));
                }
                crate::patch::merge(&mut object, patch);
            }
            PatchKind::Json => crate::patch::json_patch(&mut object, patch).map_err(|e| ApiError {
                code: 422,
                reason: "Invalid",
                message: e,
                details: json!({}),
            })?,
        }
        if let Some(rv) = patch["metadata"]["resourceVersion"].as_str()
            && current["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(ApiError::conflict(rt.group, rt.plural, name));
        }
        self.update(rt, current, &mut object, status_only)
    }

    /// The common part of PUT and PATCH: keeps what clients cannot change, checks what
    /// admission checks, bumps the generation on spec changes, and completes deletions whose
    /// finalizers are gone.
    fn update(
        &mut self,
        rt: &'static ResourceType,
        current: Value,
        object: &mut Value,
        status_only: bool,
    ) -> Result<Value, ApiError> {
        let name = name_of(&current).to_string();
        object["apiVersion"] = json!(rt.api_version());
        object["kind"] = json!(rt.kind);
        if status_only {
            let status = object["status"].take();
            *object = current.clone();
            object["status"] = status;
        } else if rt.status {
            object["status"] = current["status"].clone();
        }
        for field in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match current["metadata"].get(field) {
                Some(v) => object["metadata"][field] = v.clone(),
                None => {
                    if let Some(m) = object["metadata"].as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        if rt.kind == "PersistentVolumeClaim" && !status_only {
            self.admit_claim_update(&current, object)?;
        }
        let spec_changed = |a: &Value, b: &Value| {
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(m) = v.as_object_mut() {
                    m.remove("metadata");
                    m.remove("status");
                }
                v
            };
            strip(a) != strip(b)
        };
        if spec_changed(&current, object) {
            object["metadata"]["generation"] =
                json!(current["metadata"]["generation"].as_i64().unwrap_or(1) + 1);
        }
        if !current["metadata"]["deletionTimestamp"].is_null() {
            // A new finalizer cannot be added to an object being deleted.
            let before = finalizers(&current);
            if finalizers(object).iter().any(|f| !before.contains(f)) {
                return Err(ApiError::forbidden(
                    rt.group,
                    rt.plural,
                    &name,
                    "no new finalizers can be added if the object is being deleted",
                ));
            }
        }
        let stored = self.store.put(rt, object.clone());
        Ok(self.finish_deletion(rt, stored))
    }

    /// PersistentVolumeClaimResize and the claim's immutable spec.
    fn admit_claim_update(&self, current: &Value, object: &Value) -> Result<(), ApiError> {
        let name = name_of(current);
        let old_spec = &current["spec"];
        let new_spec = &object["spec"];
        let size =
            |s: &Value| s["resources"]["requests"]["storage"].as_str().and_then(crate::quantity::parse);
        let bound = current["status"]["phase"] == "Bound";
        let mut rest_old = old_spec.clone();
        let mut rest_new = new_spec.clone();
        for s in [&mut rest_old, &mut rest_new] {
            if let Some(m) = s.as_object_mut() {
                m.remove("resources");
                m.remove("volumeAttributesClassName");
                // The binder fills volumeName; clients may set it once too.
                if old_spec["volumeName"].is_null() {
                    m.remove("volumeName");
                }
                m.retain(|_, v| !v.is_null());
            }
        }
        let resized = size(old_spec) != size(new_spec);
        if rest_old != rest_new || (resized && !bound) {
            return Err(ApiError::invalid(
                "",
                "PersistentVolumeClaim",
                name,
                "spec",
                "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
            ));
        }
        if !resized {
            return Ok(());
        }
        let (Some(old), Some(new)) = (size(old_spec), size(new_spec)) else {
            return Err(ApiError::invalid(
                "",
                "PersistentVolumeClaim",
                name,
                "spec.resources.requests.storage",
                "Required value",
            ));
        };
        let capacity =
            current["status"]["capacity"]["storage"].as_str().and_then(crate::quantity::parse).unwrap_or(old);
        if new < capacity.min(old) {
            return Err(ApiError::invalid(
                "",
                "PersistentVolumeClaim",
                name,
                "spec.resources.requests.storage",
                "Forbidden: field can not be less than status.capacity",
            ));
        }
        let class = old_spec["storageClassName"].as_str().unwrap_or_default();
        let expandable =
            self.get("StorageClass", "", class).is_some_and(|c| c["allowVolumeExpansion"] == true);
        let dynamic = old_spec["volumeName"]
            .as_str()
            .and_then(|pv| self.get("PersistentVolume", "", pv))
            .is_some_and(|pv| pv["spec"]["csi"].is_object() || pv["spec"]["storageClassName"].is_string());
        if !expandable || !dynamic {
            return Err(ApiError::forbidden("", "persistentvolumeclaims", name, RESIZE_FORBIDDEN));
        }
        Ok(())
    }

    /// Removes an object whose deletion was pending and whose finalizers are all gone.
    fn finish_deletion(&mut self, rt: &'static ResourceType, object: Value) -> Value {
        if object["metadata"]["deletionTimestamp"].is_null() || !finalizers(&object).is_empty() {
            return object;
        }
        let waits_for_kubelet = rt.kind == "Pod" && crate::controllers::kubelet::holds(&object);
        if rt.kind == "Namespace" || waits_for_kubelet {
            return object;
        }
        let ns = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        self.store.remove(rt, &ns, name_of(&object)).unwrap_or(object)
    }

    /// DELETE: removes an object, or marks it for deletion when finalizers, a kubelet (a
    /// scheduled, not terminated pod) or the namespace controller must act first.
    pub fn delete(
        &mut self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
        grace: Option<i64>,
    ) -> Result<Value, ApiError> {
        let mut object = self.read(rt, namespace, name)?;
        if !object["metadata"]["deletionTimestamp"].is_null() {
            if rt.kind == "Pod" && grace == Some(0) {
                return Ok(self.store.remove(rt, namespace, name).unwrap_or(object));
            }
            return Ok(object);
        }
        let graceful_pod =
            rt.kind == "Pod" && grace != Some(0) && crate::controllers::kubelet::holds(&object);
        if rt.kind == "Namespace" {
            object["status"]["phase"] = json!("Terminating");
        }
        if graceful_pod || rt.kind == "Namespace" || !finalizers(&object).is_empty() {
            object["metadata"]["deletionTimestamp"] = json!(crate::time::now());
            let period = if rt.kind == "Pod" {
                grace.or(object["spec"]["terminationGracePeriodSeconds"].as_i64()).unwrap_or(30)
            } else {
                0
            };
            object["metadata"]["deletionGracePeriodSeconds"] = json!(period);
            return Ok(self.store.put(rt, object));
        }
        Ok(self.store.remove(rt, namespace, name).unwrap_or(object))
    }

    /// Removes finalizer `finalizer` from an object (a controller's action) and completes its
    /// deletion when it was the last one.
    pub fn remove_finalizer(
        &mut self,
        rt: &'static ResourceType,
        mut object: Value,
        finalizer: &str,
    ) -> Value {
        let kept: Vec<String> = finalizers(&object).into_iter().filter(|f| f != finalizer).collect();
        object["metadata"]["finalizers"] = json!(kept);
        let stored = self.store.put(rt, object);
        self.finish_deletion(rt, stored)
    }
}

/// Adds a finalizer if missing.
pub(crate) fn add_finalizer(object: &mut Value, finalizer: &str) {
    let mut list = finalizers(object);
    if !list.iter().any(|f| f == finalizer) {
        list.push(finalizer.to_string());
    }
    object["metadata"]["finalizers"] = json!(list);
}
