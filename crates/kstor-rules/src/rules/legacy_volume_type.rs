use kstor_model::path::Path;

use crate::context::Context;
use crate::finding::{Finding, Fix};
use crate::rule::Check;
use kstor_model::edit::ObjectEdit;

crate::declare_rule! {
    /// ## What it does
    /// Reports a StorageClass whose parameters pick a superseded volume type, per the
    /// catalog's `legacy_types` data (each entry cites its source): on Amazon EBS `gp2`
    /// (use `gp3`), `io1` (use `io2`) and `standard`, the previous-generation magnetic type
    /// (use `gp3`, or `st1`/`sc1` for large sequential data). A `kubernetes.io/aws-ebs`
    /// class without `type` is reported too: the in-tree provisioner created `gp2` volumes
    /// when `type` was unset.
    ///
    /// ## Why it matters
    /// `gp3` costs about 20% less per GiB than `gp2` and gives every volume 3,000 IOPS and
    /// 125 MiB/s, where `gp2` scales IOPS with size (3 per GiB) and small volumes live on
    /// burst credits that run out under sustained load. `io2` costs the same as `io1` and is
    /// designed for 99.999% durability instead of 99.8–99.9%. Every volume a legacy class
    /// provisions keeps the old type until someone modifies it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: standard
    /// provisioner: ebs.csi.aws.com
    /// parameters:
    ///   type: gp2
    /// ```
    ///
    /// ## Fix
    /// Create a class with the replacement type (`type: gp3`; parameters are immutable) and
    /// make it the default. Existing EBS volumes can be changed in place with
    /// `aws ec2 modify-volume --volume-type gp3`, or through a VolumeAttributesClass where the
    /// driver supports it.
    ///
    /// **Automatic fix:** unsafe: replaces the superseded type (`gp2` → `gp3`); StorageClass
    /// parameters are immutable, and volumes already provisioned keep their type.
    ///
    /// ## References
    /// - AWS, "Migrate Amazon EBS volumes from gp2 to gp3":
    ///   <https://docs.aws.amazon.com/prescriptive-guidance/latest/optimize-costs-microsoft-workloads/ebs-migrate-gp2-gp3.html>
    /// - Amazon EBS volume types:
    ///   <https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html>
    /// - AWS EBS CSI driver parameters:
    ///   <https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md>
    pub struct LegacyVolumeType {
        code: "KS805",
        name: "legacy-volume-type",
        group: Platform,
        severity: Info,
        summary: "a StorageClass picks a superseded volume type (EBS gp2 where gp3 is cheaper and faster)",
        fixes: [Unsafe],
    }
}

impl Check for LegacyVolumeType {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        for class in &graph.classes {
            let Some(found) = graph.catalog.drivers.lookup(&class.provisioner) else {
                continue;
            };
            for legacy in &found.spec.legacy_types {
                let written =
                    class.parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case(&legacy.parameter));
                let finding = match written {
                    Some((key, value)) if legacy.matches(value) => {
                        let message = format!(
                            "storage class {} picks {} volume type `{value}`, superseded by {}: {}",
                            class.name, found.spec.display_name, legacy.replacement, legacy.why
                        );
                        Finding::at(
                            &Self::META,
                            class.object,
                            Path::root().key("parameters").key(key),
                            message,
                        )
                    }
                    Some(_) => continue,
                    None => {
                        let Some(default) = found.in_tree.and_then(|p| {
                            p.parameter_defaults.iter().find(|d| {
                                d.parameter.eq_ignore_ascii_case(&legacy.parameter)
                                    && legacy.matches(&d.value)
                            })
                        }) else {
                            continue;
                        };
                        let message = format!(
                            "storage class {} leaves `{}` unset, and the in-tree provisioner {} creates `{}` volumes then (under CSI migration the driver's own default may apply instead), superseded by {}: {}",
                            class.name,
                            legacy.parameter,
                            class.provisioner,
                            default.value,
                            legacy.replacement,
                            legacy.why
                        );
                        Finding::at(&Self::META, class.object, Path::root().key("provisioner"), message)
                    }
                };
                let replacement = legacy.replacement.split_whitespace().next().unwrap_or(&legacy.replacement);
                let key = written.map_or(legacy.parameter.as_str(), |(k, _)| k.as_str());
                out.push(
                    finding
                        .help(format!(
                            "use `{}: {replacement}` in a new class (parameters are immutable); change existing volumes in place with the provider's tools",
                            legacy.parameter
                        ))
                        .fix(Fix::unsafe_fix(
                            format!("set `{key}: {replacement}`; StorageClass fields are immutable: delete and recreate the class; existing volumes keep their old settings"),
                            vec![ObjectEdit::set(class.object, Path::root().key("parameters").key(key), replacement)],
                        )),
                );
            }
        }
    }
}
