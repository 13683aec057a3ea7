//! KS803 multiple-default-storage-classes: a class marked default while another is. Every
//! existing StorageClass is a parameter: the policy fails when one of them is another default.

use kstor_model::catalog::Catalog;
use kstor_rules::Severity;

use super::{message, storage_classes};
use crate::vap::cel::object_name;
use crate::vap::{ParamKind, Policy, Validation};

/// The default-class annotations (the beta one is still honoured).
fn is_default(object: &str) -> String {
    format!(
        "(has({object}.metadata.annotations) && (('storageclass.kubernetes.io/is-default-class' in {object}.metadata.annotations && {object}.metadata.annotations['storageclass.kubernetes.io/is-default-class'] == 'true') || ('storageclass.beta.kubernetes.io/is-default-class' in {object}.metadata.annotations && {object}.metadata.annotations['storageclass.beta.kubernetes.io/is-default-class'] == 'true')))"
    )
}

pub fn policies(_: &Catalog) -> Vec<Policy> {
    vec![Policy {
        code: "KS803",
        rule: "multiple-default-storage-classes",
        variant: None,
        severity: Severity::Warning,
        resources: storage_classes(),
        exact_versions: false,
        param: Some(ParamKind { api_version: "storage.k8s.io/v1", kind: "StorageClass", namespaced: false }),
        match_conditions: vec![("marked-default".into(), is_default("object"))],
        variables: Vec::new(),
        validations: vec![Validation {
            expression: format!("!{} || params.metadata.name == {}", is_default("params"), object_name()),
            message_expression: message(
                "KS803",
                "multiple-default-storage-classes",
                &format!(
                    "'storage class ' + {} + ' is marked default, and so is ' + params.metadata.name + ': claims without a storageClassName get whichever was created last (Kubernetes 1.26+; older API servers reject them); mark exactly one StorageClass default'",
                    object_name()
                ),
            ),
        }],
        caveat: Some(
            "judged against the classes that exist when the request arrives: the class created second is refused, the first one stays",
        ),
    }]
}
