use kstor_model::graph::{ClassRef, annotation_path};

use super::common::default_annotation;

use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Reports each PersistentVolumeClaim, StatefulSet claim template and generic ephemeral
    /// volume claim template that leaves `storageClassName` unset (no field, no
    /// `volume.beta.kubernetes.io/storage-class` annotation). `storageClassName: ""` is not
    /// reported: it explicitly asks for a pre-provisioned volume without a class.
    ///
    /// ## Why it matters
    /// An unset class means "whatever the cluster's default StorageClass is": the
    /// `DefaultStorageClass` admission plugin fills it in when the claim is created (and,
    /// since Kubernetes 1.28, the PV controller fills it in later for claims still
    /// unbound). The same manifest then gets fast replicated SSDs on one cluster, node-local
    /// disks on another, and stays `Pending` on a cluster without a default class. With
    /// several default classes the newest one wins. The choice is made once, at creation:
    /// the claim's class cannot be changed afterwards.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources:
    ///     requests:
    ///       storage: 20Gi
    ///   # storageClassName unset: the cluster default decides
    /// ```
    ///
    /// ## Fix
    /// Name the class the data should live on (`storageClassName: fast-ssd`), or make it a
    /// chart value. Use `storageClassName: ""` to bind only to pre-provisioned volumes.
    ///
    /// **Automatic fix:** none: naming a class pins the claim to one cluster's class names, a
    /// choice between portability and explicitness.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Class":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#class-1>
    /// - Kubernetes docs, "Change the default StorageClass":
    ///   <https://kubernetes.io/docs/tasks/administer-cluster/change-default-storage-class/>
    pub struct ClaimWithoutStorageClass {
        code: "KS702",
        name: "claim-without-storage-class",
        group: Claims,
        severity: Info,
        summary: "a claim leaves storageClassName unset and relies on the cluster's default class",
        fixes: [],
    }
}

impl Check for ClaimWithoutStorageClass {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let default = graph.default_class();
        for claim in graph.claims.iter().filter(|c| c.class_ref == ClassRef::Unset) {
            let outcome = match default {
                Some(class) => format!(
                    "it gets class {}, which this input marks default, unless the cluster has a newer default class",
                    class.name
                ),
                None => "its storage depends on the cluster's default StorageClass: it stays Pending if there is none, and gets the newest one if there are several".to_string(),
            };
            let message = format!("{} sets no storageClassName: {outcome}", claim.describe(graph));
            let mut finding = Finding::at(&Self::META, claim.object, claim.class_path.clone(), message)
                .help("set `storageClassName` to the class this data should live on (`\"\"` for pre-provisioned volumes only)");
            if let Some(class) = default {
                finding = finding.related(
                    class.object,
                    annotation_path(
                        graph.object(class.object),
                        default_annotation(graph.object(class.object)),
                    ),
                    format!("class {} is marked default", class.name),
                );
            }
            out.push(finding);
        }
    }
}
