//! `admission.k8s.io/v1` AdmissionReview: reading requests and writing responses.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The group/version/kind of the admitted object.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Gvk {
    /// API group (`""` for core).
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
}

/// The part of an AdmissionRequest kstor reads; the object stays raw JSON (borrowed from the
/// body) until the model parses it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    /// Echoed in the response.
    pub uid: String,
    /// The object's type.
    #[serde(default)]
    pub kind: Gvk,
    /// Namespace of the request (empty for cluster-scoped objects).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Name, when known (not for generateName).
    #[serde(default)]
    pub name: Option<String>,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    #[serde(default)]
    pub operation: String,
    /// The object.
    #[serde(default, borrow)]
    pub object: Option<&'a RawValue>,
    /// A dry run: judged, never counted as enforcement.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review<'a> {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default, borrow)]
    request: Option<AdmissionRequest<'a>>,
}

/// Why a body is not a usable AdmissionReview (answered 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadReview {
    /// A metric label (`malformed-json`, `wrong-type`, `no-request`, `no-object`).
    pub reason: &'static str,
    /// The message.
    pub message: String,
}

/// Parses an AdmissionReview body.
pub fn parse(body: &str) -> Result<AdmissionRequest<'_>, BadReview> {
    let review: Review<'_> = serde_json::from_str(body).map_err(|e| BadReview {
        reason: "malformed-json",
        message: format!("the body is not an AdmissionReview: {e}"),
    })?;
    if review.api_version != "admission.k8s.io/v1" || review.kind != "AdmissionReview" {
        return Err(BadReview {
            reason: "wrong-type",
            message: format!(
                "expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got apiVersion {:?}, kind {:?}",
                review.api_version, review.kind
            ),
        });
    }
    let request = review.request.ok_or_else(|| BadReview {
        reason: "no-request",
        message: "the AdmissionReview has no request".into(),
    })?;
    if request.uid.is_empty() {
        return Err(BadReview {
            reason: "no-request",
            message: "the AdmissionReview request has no uid".into(),
        });
    }
    if request.object.is_none() && matches!(request.operation.as_str(), "CREATE" | "UPDATE" | "") {
        return Err(BadReview {
            reason: "no-object",
            message: format!(
                "the {} request has no request.object",
                if request.operation.is_empty() { "admission" } else { &request.operation }
            ),
        });
    }
    Ok(request)
}

/// The decision for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the object is admitted.
    pub allowed: bool,
    /// Why not, when denied.
    pub message: Option<String>,
    /// Warnings kubectl shows.
    pub warnings: Vec<String>,
}

/// At most this many characters per warning, and this many in all (the API server's budget for
/// warnings is 4 KiB; longer ones are truncated).
const WARNING_CHARS: usize = 512;
const WARNINGS_TOTAL: usize = 4000;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The AdmissionReview response body.
pub fn response(uid: &str, verdict: &Verdict) -> Value {
    let mut response = json!({ "uid": uid, "allowed": verdict.allowed });
    if let Some(message) = &verdict.message {
        response["status"] = json!({ "code": 403, "reason": "Forbidden", "message": message });
    }
    if !verdict.warnings.is_empty() {
        let mut total = 0;
        let warnings: Vec<String> = verdict
            .warnings
            .iter()
            .map(|w| clip(w, WARNING_CHARS))
            .take_while(|w| {
                total += w.len();
                total <= WARNINGS_TOTAL
            })
            .collect();
        response["warnings"] = json!(warnings);
    }
    json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response })
}

/// The AdmissionReview response of `/mutate`: allowed, with the JSON Patch (base64, as the
/// API requires) when there is one, and a warning per applied fix.
pub fn mutation_response(uid: &str, patch: &[Value], warnings: &[String]) -> Value {
    use base64::Engine as _;
    let verdict = Verdict { allowed: true, message: None, warnings: warnings.to_vec() };
    let mut review = response(uid, &verdict);
    if !patch.is_empty() {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(Value::Array(patch.to_vec()).to_string());
        review["response"]["patchType"] = json!("JSONPatch");
        review["response"]["patch"] = json!(encoded);
    }
    review
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_review_and_refuses_bad_ones_with_a_reason() {
        let body = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"PersistentVolumeClaim"},"namespace":"data","operation":"CREATE","dryRun":true,"object":{"apiVersion":"v1","kind":"PersistentVolumeClaim"}}}"#;
        let request = parse(body).unwrap();
        assert_eq!(
            (request.uid.as_str(), request.kind.kind.as_str(), request.dry_run),
            ("u1", "PersistentVolumeClaim", Some(true))
        );
        assert!(request.object.unwrap().get().starts_with("{\"apiVersion\""));
        assert_eq!(parse("{nope").unwrap_err().reason, "malformed-json");
        assert_eq!(
            parse(
                r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#
            )
            .unwrap_err()
            .reason,
            "wrong-type"
        );
        assert_eq!(
            parse(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#).unwrap_err().reason,
            "no-request"
        );
        assert_eq!(parse(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","operation":"CREATE"}}"#).unwrap_err().reason, "no-object");
        let delete = parse(
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","operation":"DELETE"}}"#,
        );
        assert!(delete.unwrap().object.is_none(), "a DELETE has no object and is not an error");
    }

    #[test]
    fn responses_carry_the_uid_status_and_clipped_warnings() {
        let verdict = Verdict {
            allowed: false,
            message: Some("no".into()),
            warnings: vec!["w".repeat(600), "short".into()],
        };
        let r = response("u1", &verdict);
        assert_eq!(r["response"]["uid"], "u1");
        assert_eq!(r["response"]["allowed"], false);
        assert_eq!(r["response"]["status"]["code"], 403);
        assert_eq!(r["response"]["warnings"][0].as_str().unwrap().chars().count(), 512);
        assert_eq!(r["response"]["warnings"][1], "short");
        let ok = response("u2", &Verdict { allowed: true, ..Verdict::default() });
        assert!(ok["response"].get("status").is_none() && ok["response"].get("warnings").is_none());
    }
}
