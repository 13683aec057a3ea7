//! KS701 volume-expansion-disabled: a class of a driver that can expand volumes, without
//! `allowVolumeExpansion: true`.

use kstor_model::catalog::Catalog;
use kstor_model::catalog::drivers::Confidence;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::volume_expansion_disabled::VolumeExpansionDisabled;

use super::{message, storage_classes};
use crate::vap::cel::{any_of, object_name, provisioner_conditions};
use crate::vap::{Policy, Validation};

const RULE: &RuleMeta = &VolumeExpansionDisabled::META;

pub fn policies(catalog: &Catalog) -> Vec<Policy> {
    let expands = any_of(
        provisioner_conditions(&catalog.drivers, |s| s.expansion && s.confidence == Confidence::Curated)
            .into_iter()
            .map(|(_, condition)| condition),
    );
    let validation = Validation {
        expression: "!variables.expands || (has(object.allowVolumeExpansion) && object.allowVolumeExpansion)"
            .into(),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' uses ' + object.provisioner + ', which can expand volumes (online for most CSI drivers), but ' + (has(object.allowVolumeExpansion) ? 'sets allowVolumeExpansion: false' : 'leaves allowVolumeExpansion unset (false)') + ': claims on it can never grow when their disks fill up; the API server rejects every resize until the class is edited'",
                object_name()
            ),
        ),
    };
    vec![Policy::new(RULE, storage_classes(), validation).variables(vec![("expands".into(), expands)]).caveat(
        "kstor lint reports a class only when a stateful workload uses it or the input is a platform bundle; a policy sees the class alone and judges every class",
    )]
}
