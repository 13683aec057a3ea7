use kstor_model::graph::{ClaimOrigin, ClassRef};
use kstor_model::path::Path;

use super::common::join_names;
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// `kstor audit` only. Reports, once, that the cluster has no default StorageClass: none
    /// of its classes carries `storageclass.kubernetes.io/is-default-class: "true"`, or it
    /// has no StorageClass at all. The finding is placed on the first class by name (or, with
    /// no class, on the first claim that names no class, else the first object) and lists the
    /// unbound claims that rely on a default. Not reported when listing StorageClasses was forbidden.
    ///
    /// ## Why it matters
    /// Claims without `storageClassName` (most Helm charts' default) get the default class
    /// when they are created; without one they stay `Pending` forever ("no persistent volumes
    /// available for this claim and no storage class is set"), and the charts that create
    /// them hang on install.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    ///   # no storageclass.kubernetes.io/is-default-class: "true"
    /// provisioner: ebs.csi.aws.com
    /// ```
    ///
    /// ## Fix
    /// Mark one class default:
    /// `kubectl patch storageclass gp3 -p '{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'`.
    /// Since Kubernetes 1.28, claims already Pending without a class then get it
    /// retroactively.
    ///
    /// **Automatic fix:** none: a live-state finding; which class should be the default is the
    /// platform's choice.
    ///
    /// ## References
    /// - Kubernetes docs, "Change the default StorageClass":
    ///   <https://kubernetes.io/docs/tasks/administer-cluster/change-default-storage-class/>
    /// - Kubernetes docs, Storage Classes, "Default StorageClass":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass>
    pub struct NoDefaultStorageClass {
        code: "KS909",
        name: "no-default-storage-class",
        group: LiveState,
        severity: Info,
        summary: "the cluster has no default StorageClass",
        fixes: [],
        requires: AuditFacts,
    }
}

impl Check for NoDefaultStorageClass {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let audit = ctx.audit();
        let graph = ctx.graph;
        if graph.classes.iter().any(|c| c.is_default)
            || audit.forbidden.iter().any(|f| f.contains("storageclasses"))
        {
            return;
        }
        let relying: Vec<_> = graph
            .claims
            .iter()
            .filter(|c| {
                c.origin == ClaimOrigin::Standalone
                    && c.class_ref == ClassRef::Unset
                    && c.phase.as_deref() != Some("Bound")
            })
            .collect();
        let reliance = match relying.len() {
            0 => "claims without a storageClassName will stay Pending".to_string(),
            1 => format!("{} names no class and cannot be provisioned", relying[0].describe(graph)),
            n => format!("{n} claims name no class and cannot be provisioned"),
        };
        let mut classes: Vec<_> = graph.classes.iter().collect();
        classes.sort_by(|a, b| a.name.cmp(&b.name));
        let (object, path, message) = if let Some(first) = classes.first() {
            let names: Vec<&str> = classes.iter().take(5).map(|c| c.name.as_str()).collect();
            let more =
                if classes.len() > 5 { format!(" and {} more", classes.len() - 5) } else { String::new() };
            let which = if classes.len() == 1 {
                format!("its only storage class, {}, is not marked default", names[0])
            } else {
                format!(
                    "none of its {} storage classes ({}{more}) is marked default",
                    classes.len(),
                    join_names(&names)
                )
            };
            (
                first.object,
                Path::root().key("metadata"),
                format!("the cluster has no default StorageClass: {which}; {reliance}"),
            )
        } else {
            let anchor = relying
                .first()
                .map(|c| (c.object, c.class_path.clone()))
                .or_else(|| graph.workspace.objects.first().map(|o| (o.id, Path::root())));
            let Some((object, path)) = anchor else {
                return;
            };
            (
                object,
                path,
                format!("the cluster has no default StorageClass: no StorageClass is defined; {reliance}"),
            )
        };
        let mut finding = Finding::at(&Self::META, object, path, message).help(
            "mark one StorageClass default with the annotation `storageclass.kubernetes.io/is-default-class: \"true\"`",
        );
        for claim in relying.iter().filter(|c| c.object != object).take(3) {
            finding = finding.related(
                claim.object,
                claim.class_path.clone(),
                format!("{} names no class", claim.describe(graph)),
            );
        }
        out.push(finding);
    }
}
