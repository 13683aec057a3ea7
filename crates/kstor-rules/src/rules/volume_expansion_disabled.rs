use std::collections::BTreeMap;

use kstor_model::catalog::Confidence;
use kstor_model::graph::{ClaimId, ClaimOrigin, VolumeSource, Workload};
use kstor_model::path::Path;

use super::common::{driver_name, role_and_workload};
use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Flags a StorageClass whose driver can expand volumes (per kstor's curated driver
    /// catalog) when the class leaves `allowVolumeExpansion` unset or sets it to `false`, and
    /// the class matters: a claim of a database, message queue, search engine, coordination
    /// service or object store resolves to it (by name, or as the input's default class), or
    /// the input is a platform bundle (it defines no workloads at all, only storage).
    ///
    /// ## Why it matters
    /// Growing a claim (`resources.requests.storage`) is rejected by the API server unless
    /// the claim's StorageClass has `allowVolumeExpansion: true`: "only dynamically
    /// provisioned pvc can be resized and the storageclass that provisions the pvc must
    /// support resize". When a database's disk fills up, the fix is then a data migration
    /// to a new claim instead of a one-line change. Most CSI drivers grow volumes online,
    /// while the pod keeps running. The field can be changed on an existing class (unlike
    /// its parameters), and existing claims can grow once it is set, but only someone
    /// allowed to edit cluster-scoped StorageClasses can do it, usually during the outage.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: fast
    /// provisioner: ebs.csi.aws.com   # supports expansion
    /// volumeBindingMode: WaitForFirstConsumer
    /// # allowVolumeExpansion unset: claims on this class can never grow
    /// ```
    ///
    /// ## Fix
    /// Set `allowVolumeExpansion: true` on the class. It takes effect for existing claims
    /// too: grow them by raising `resources.requests.storage`.
    ///
    /// **Automatic fix:** safe: sets `allowVolumeExpansion: true`, the one StorageClass field
    /// that may change after creation.
    ///
    /// ## References
    /// - Kubernetes docs, Persistent Volumes, "Expanding Persistent Volumes Claims":
    ///   <https://kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims>
    /// - Kubernetes docs, Storage Classes, "Allow volume expansion":
    ///   <https://kubernetes.io/docs/concepts/storage/storage-classes/#allow-volume-expansion>
    pub struct VolumeExpansionDisabled {
        code: "KS701",
        name: "volume-expansion-disabled",
        group: Claims,
        severity: Warning,
        summary: "a StorageClass whose driver can expand volumes does not allow expansion",
        fixes: [Safe],
    }
}

impl Check for VolumeExpansionDisabled {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let platform_bundle = !graph.shape.workloads;
        // Class name → the first stateful workload claim on it, by namespace and name rather
        // than input order (admission gathers the same objects in another order).
        let mut stateful: BTreeMap<&str, (&Workload, ClaimId)> = BTreeMap::new();
        let mut workloads: Vec<&Workload> =
            graph.workloads.iter().filter(|w| w.role.role.holds_critical_data()).collect();
        workloads.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        for workload in workloads {
            for claim in persistent_claims(workload) {
                if let Some(class) = graph.class_of(graph.claim(claim)) {
                    stateful.entry(class.name.as_str()).or_insert((workload, claim));
                }
            }
        }
        for class in &graph.classes {
            let Some(driver) = &class.driver else {
                continue;
            };
            if !driver.expansion
                || driver.confidence != Confidence::Curated
                || class.allow_volume_expansion == Some(true)
            {
                continue;
            }
            let user = stateful.get(class.name.as_str());
            if user.is_none() && !platform_bundle {
                continue;
            }
            let setting = match class.allow_volume_expansion {
                Some(_) => "sets allowVolumeExpansion: false",
                None => "leaves allowVolumeExpansion unset (false)",
            };
            let why = match user {
                Some((workload, claim)) => {
                    let claim = graph.claim(*claim);
                    let claim_name = match claim.origin {
                        ClaimOrigin::Standalone => claim.describe(graph),
                        _ => format!("claim template {}", claim.name),
                    };
                    format!(
                        "{} keeps its data on {claim_name}, which cannot grow when the disk fills up",
                        role_and_workload(workload)
                    )
                }
                None => "claims on it can never grow when their disks fill up".to_string(),
            };
            let message = format!(
                "storage class {} uses {}, which can expand volumes (online for most CSI drivers), but {setting}: {why}; the API server rejects every resize until the class is edited",
                class.name,
                driver_name(driver),
            );
            let path = match class.allow_volume_expansion {
                Some(_) => Path::root().key("allowVolumeExpansion"),
                None => Path::root().key("provisioner"),
            };
            let mut finding = Finding::at(&Self::META, class.object, path, message)
                .help("set `allowVolumeExpansion: true` on the class (it applies to existing claims too)")
                .fix(Fix::safe(
                    "set `allowVolumeExpansion: true` (the field can be changed on an existing class)",
                    vec![ObjectEdit::set(class.object, Path::root().key("allowVolumeExpansion"), true)],
                ));
            if let Some((_, claim)) = user {
                let claim = graph.claim(*claim);
                finding = finding.related(
                    claim.object,
                    claim.class_path.clone(),
                    format!("{} resolves to class {}", claim.describe(graph), class.name),
                );
            }
            out.push(finding);
        }
    }
}

/// The claims of a workload that outlive its pods: StatefulSet claim templates and standalone
/// claims its volumes reference.
fn persistent_claims(workload: &Workload) -> impl Iterator<Item = ClaimId> + '_ {
    let volumes = workload.pod.volumes.iter().filter_map(|v| match v.source {
        VolumeSource::Claim { claim, .. } if v.shadowed_by.is_none() => claim,
        _ => None,
    });
    workload.claim_templates.iter().copied().chain(volumes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_rule;

    fn findings(text: &str) -> Vec<Finding> {
        run_rule(&VolumeExpansionDisabled, text, &Default::default())
    }

    const CLASSES: &str = "
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: block}
provisioner: rook-ceph.rbd.csi.ceph.com
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: grows}
provisioner: rook-ceph.rbd.csi.ceph.com
allowVolumeExpansion: true
";

    #[test]
    fn a_platform_bundle_reports_every_class_that_forbids_expansion() {
        let out = findings(CLASSES);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.contains("storage class block") && out[0].message.contains("never grow"));
    }

    #[test]
    fn an_application_bundle_reports_only_classes_of_stateful_workloads() {
        let app = "
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
";
        assert!(findings(&format!("{CLASSES}{app}")).is_empty());
    }
}
