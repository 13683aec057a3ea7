//! KS803 multiple-default-storage-classes: a class marked default while another is. Every
//! existing StorageClass is a parameter: the policy fails when one of them is another default.

use kstor_model::api::DEFAULT_CLASS_ANNOTATIONS;
use kstor_model::catalog::Catalog;
use kstor_rules::rule::RuleMeta;
use kstor_rules::rules::multiple_default_storage_classes::MultipleDefaultStorageClasses;

use super::{message, storage_classes};
use crate::vap::cel::{any_of, lit, object_name};
use crate::vap::{ParamKind, Policy, Validation};

const RULE: &RuleMeta = &MultipleDefaultStorageClasses::META;

/// Marked default by either annotation, with the exact value `"true"` (storage-semantics §1).
fn is_default(object: &str) -> String {
    let annotations = format!("{object}.metadata.annotations");
    let marked = any_of(DEFAULT_CLASS_ANNOTATIONS.iter().map(|key| {
        let key = lit(key);
        format!("{key} in {annotations} && {annotations}[{key}] == 'true'")
    }));
    format!("(has({annotations}) && ({marked}))")
}

pub fn policies(_: &Catalog) -> Vec<Policy> {
    let validation = Validation {
        expression: format!("!{} || params.metadata.name == {}", is_default("params"), object_name()),
        message_expression: message(
            RULE,
            &format!(
                "'storage class ' + {} + ' is marked default, and so is ' + params.metadata.name + ': claims without a storageClassName get whichever was created last (Kubernetes 1.26+; older API servers reject them); mark exactly one StorageClass default'",
                object_name()
            ),
        ),
    };
    vec![
        Policy::new(RULE, storage_classes(), validation)
            .param(ParamKind::STORAGE_CLASSES)
            .match_condition("marked-default", is_default("object"))
            .caveat("judged against the classes that exist when the request arrives: the class created second is refused, the first one stays"),
    ]
}
