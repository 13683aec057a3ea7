use kstor_model::graph::annotation_path;

use super::common::{default_annotation, join_names};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags every StorageClass marked default
    /// (`storageclass.kubernetes.io/is-default-class: "true"`, or the legacy
    /// `storageclass.beta.kubernetes.io/is-default-class`) when the input marks more than one.
    ///
    /// ## Why it matters
    /// Claims without a `storageClassName` get the default class. With several defaults,
    /// Kubernetes 1.26 and later pick the newest one by `creationTimestamp` (ties broken by
    /// name), so which class new claims get depends on the order the classes were created;
    /// older API servers reject such claims outright ("N default StorageClasses were
    /// found"). Either way, a database can end up on a class nobody chose for it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp2
    ///   annotations:
    ///     storageclass.kubernetes.io/is-default-class: "true"
    /// provisioner: kubernetes.io/aws-ebs
    /// ---
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3
    ///   annotations:
    ///     storageclass.kubernetes.io/is-default-class: "true"   # a second default
    /// provisioner: ebs.csi.aws.com
    /// ```
    ///
    /// ## Fix
    /// Keep the annotation on exactly one class; set it to `"false"` (or remove it) on the
    /// others. On a live cluster, `kubectl patch storageclass gp2 -p
    /// '{"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}}'`.
    ///
    /// **Automatic fix:** unsafe: removes the default annotation from every class but the one
    /// Kubernetes picks (the most recently created, else the first by name); which class stays
    /// the default is kstor's choice, and claims without a class then get that one.
    ///
    /// ## References
    /// - Kubernetes docs, "Change the default StorageClass":
    ///   <https://kubernetes.io/docs/tasks/administer-cluster/change-default-storage-class/>
    /// - Kubernetes docs, Storage Classes, "Default StorageClass":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#default-storageclass>
    pub struct MultipleDefaultStorageClasses {
        code: "KS803",
        name: "multiple-default-storage-classes",
        group: Platform,
        severity: Warning,
        summary: "more than one StorageClass is marked default",
        fixes: [Unsafe],
    }
}

impl Check for MultipleDefaultStorageClasses {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let defaults: Vec<_> = graph.classes.iter().filter(|c| c.is_default).collect();
        // Two manifests of one class (a base and an overlay, two renders) are one object in
        // the cluster: only distinct names make several defaults.
        let mut names: Vec<&str> = Vec::new();
        for class in &defaults {
            if !names.contains(&class.name.as_str()) {
                names.push(class.name.as_str());
            }
        }
        if names.len() < 2 {
            return;
        }
        let all_dated = defaults.iter().all(|c| c.created.is_some());
        let winner = if all_dated { graph.default_class().map(|c| c.name.as_str()) } else { None };
        for class in &defaults {
            let others: Vec<&str> = names.iter().copied().filter(|n| *n != class.name).collect();
            let outcome = match winner {
                Some(name) => format!(
                    "claims without a storageClassName get the newest, class {name} (Kubernetes 1.26+; older API servers reject them)"
                ),
                None => "claims without a storageClassName get whichever was created last (Kubernetes 1.26+; older API servers reject them)".to_string(),
            };
            let message = format!(
                "storage class {} is marked default, and so {} {}: {outcome}",
                class.name,
                if others.len() == 1 { "is" } else { "are" },
                join_names(&others),
            );
            let object = graph.object(class.object);
            let mut finding = Finding::at(
                &Self::META,
                class.object,
                annotation_path(object, default_annotation(object)),
                message,
            )
            .help("mark exactly one StorageClass default; set the annotation to \"false\" on the others");
            // Keep the class Kubernetes picks (the newest), else the first by name.
            let kept = winner.or_else(|| defaults.iter().map(|c| c.name.as_str()).min());
            if kept != Some(class.name.as_str()) {
                finding = finding.fix(Fix::unsafe_fix(
                    format!(
                        "drop the default annotation from class {}, keeping class {} default: which class stays default is a choice, and claims without a class then get that one",
                        class.name,
                        kept.unwrap_or_default()
                    ),
                    vec![ObjectEdit::remove(class.object, annotation_path(object, default_annotation(object)))],
                ));
            }
            for other in defaults.iter().filter(|o| o.name != class.name) {
                let other_object = graph.object(other.object);
                finding = finding.related(
                    other.object,
                    annotation_path(other_object, default_annotation(other_object)),
                    format!("class {} is also marked default", other.name),
                );
            }
            out.push(finding);
        }
    }
}
