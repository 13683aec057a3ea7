//! `POST /mutate`: the safe fixes of the rules the policy opts in (`mutate: [KS503, …]`),
//! returned as an RFC 6902 JSON Patch for a MutatingAdmissionWebhook.
//!
//! The object is judged as `/validate` judges it; each safe fix of an opted-in rule becomes
//! JSON Patch operations ([`kstor_model::edit::json_patch`]) computed on the object as the
//! earlier fixes left it, and is kept only when the whole fix applies. As `kstor lint --fix`
//! does, the patched object is judged again (a bounded number of passes), so a fix that
//! makes room for another one lands in the same response.

use std::sync::Arc;

use kstor_engine::{ClusterView, Engine, Policy};
use kstor_model::Location;
use kstor_model::edit::json_patch;
use kstor_model::yaml::SharedText;
use kstor_rules::Applicability;
use serde_json::Value;

use crate::judge::incoming_object;

/// Passes of judge-then-patch before the patch is returned. Within a pass each fix is
/// computed on the object as the earlier ones left it, so fixes of one pass compose.
const MAX_PASSES: usize = 4;

/// What `/mutate` changes in one object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mutation {
    /// The JSON Patch operations, in order.
    pub patch: Vec<Value>,
    /// The rules whose fixes were applied, once per applied fix.
    pub rules: Vec<&'static str>,
    /// What each applied fix did, for the response's warnings.
    pub messages: Vec<String>,
}

/// The admitted object, as the request named it.
pub struct Admitted<'a> {
    /// The object's JSON.
    pub object: Value,
    /// `apiVersion` of the request's kind.
    pub api_version: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// The request's namespace.
    pub namespace: Option<&'a str>,
}

/// The safe fixes of the opted-in rules for `admitted`, judged against `view`.
pub fn mutate(engine: &Engine, policy: &Policy, admitted: Admitted<'_>, view: &dyn ClusterView) -> Mutation {
    let mut mutation = Mutation::default();
    if policy.mutated_rules().is_empty() {
        return mutation;
    }
    let mut working = admitted.object;
    for _ in 0..MAX_PASSES {
        let text = Arc::new(working.to_string());
        let shared = SharedText::from(Arc::clone(&text));
        let Ok(object) =
            incoming_object(&shared, &text, admitted.api_version, admitted.kind, admitted.namespace)
        else {
            break;
        };
        let admission = engine.admit(object, view);
        let mut applied = false;
        for reported in &admission.result.findings {
            let finding = &reported.finding;
            let Some(fix) = finding.fix.as_ref().filter(|f| f.applicability == Applicability::Safe) else {
                continue;
            };
            if !policy.mutates(finding.rule.code) || !matches!(finding.location, Location::Field { .. }) {
                continue;
            }
            if let Some((patched, operations)) = patch_fix(&working, fix) {
                working = patched;
                mutation.patch.extend(operations);
                mutation.rules.push(finding.rule.code);
                mutation.messages.push(format!("{}: {}", finding.rule.code, fix.message));
                applied = true;
            }
        }
        if !applied {
            break;
        }
    }
    mutation
}

/// The object with every edit of `fix` applied, and the operations that did it; `None` when
/// an edit is not on the admitted object or does not apply (the fix is then skipped whole).
fn patch_fix(object: &Value, fix: &kstor_rules::Fix) -> Option<(Value, Vec<Value>)> {
    let mut patched = object.clone();
    let mut operations = Vec::new();
    for edit in &fix.edits {
        if edit.object.0 != 0 {
            return None;
        }
        let ops = json_patch(&patched, &edit.op).ok()?;
        let parsed: json_patch::Patch = serde_json::from_value(Value::Array(ops.clone())).ok()?;
        json_patch::patch(&mut patched, &parsed).ok()?;
        operations.extend(ops);
    }
    (!operations.is_empty()).then_some((patched, operations))
}
