//! Failures explained from the namespace's events: the event, the object and, where one
//! applies, the kstor rule that predicts it.

use k8s_openapi::api::core::v1::Event;

use crate::report::Diagnosis;

/// What the probe knows about the class when it explains a failure.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClassFacts {
    /// The class binds Immediately.
    pub immediate: bool,
}

/// The warning events that explain a storage failure, oldest first, each with its rule.
pub fn diagnose(events: &[Event], facts: ClassFacts) -> Vec<Diagnosis> {
    let mut out: Vec<Diagnosis> = Vec::new();
    for event in events {
        let reason = event.reason.clone().unwrap_or_default();
        let message = event.message.clone().unwrap_or_default();
        let Some(rule) = rule_for(&reason, &message, facts) else { continue };
        let object = format!(
            "{}/{}",
            event.involved_object.kind.as_deref().unwrap_or("?"),
            event.involved_object.name.as_deref().unwrap_or("?")
        );
        let diagnosis = Diagnosis { reason, object, message, rule: rule.map(str::to_string) };
        if !out.contains(&diagnosis) {
            out.push(diagnosis);
        }
    }
    out
}

/// `None`: not a storage failure; `Some(None)`: one without a rule; `Some(Some(code))`.
fn rule_for(reason: &str, message: &str, facts: ClassFacts) -> Option<Option<&'static str>> {
    let rule = match reason {
        "FailedScheduling" if message.contains("volume node affinity conflict") => {
            // An Immediate class provisions before the scheduler picks a node: the zone
            // conflict KS101 predicts.
            if facts.immediate { Some("KS101") } else { Some("KS905") }
        }
        "FailedScheduling"
            if message.contains("persistentvolumeclaim") || message.contains("PersistentVolumeClaim") =>
        {
            Some("KS901")
        }
        "FailedAttachVolume" if message.contains("Multi-Attach") => Some("KS202"),
        "FailedAttachVolume" => Some("KS906"),
        "ProvisioningFailed" if message.to_lowercase().contains("access mode") => Some("KS204"),
        "ProvisioningFailed" => Some("KS901"),
        "FailedMount" if message.contains("permission denied") => Some("KS501"),
        "FailedMount"
        | "FailedScheduling"
        | "FailedBinding"
        | "VolumeResizeFailed"
        | "FileSystemResizeFailed"
        | "SnapshotCreationFailed"
        | "SnapshotContentCreationFailed"
        | "ProvisioningFailedRetry" => None,
        _ => return None,
    };
    Some(rule)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ObjectReference;

    use super::*;

    fn event(reason: &str, kind: &str, name: &str, message: &str) -> Event {
        Event {
            reason: Some(reason.into()),
            message: Some(message.into()),
            involved_object: ObjectReference {
                kind: Some(kind.into()),
                name: Some(name.into()),
                ..Default::default()
            },
            ..Event::default()
        }
    }

    #[test]
    fn the_zone_conflict_of_an_immediate_class_is_ks101() {
        let events = [
            event("Scheduled", "Pod", "writer", "Successfully assigned"),
            event(
                "FailedScheduling",
                "Pod",
                "writer",
                "0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
            ),
        ];
        let found = diagnose(&events, ClassFacts { immediate: true });
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].rule.as_deref(), found[0].object.as_str()), (Some("KS101"), "Pod/writer"));
        let found = diagnose(&events, ClassFacts { immediate: false });
        assert_eq!(found[0].rule.as_deref(), Some("KS905"));
    }

    #[test]
    fn multi_attach_and_other_failures() {
        let events = [
            event(
                "FailedAttachVolume",
                "Pod",
                "reader",
                "Multi-Attach error for volume \"pvc-1\" Volume is already used by pod(s) writer",
            ),
            event(
                "FailedAttachVolume",
                "Pod",
                "reader",
                "AttachVolume.Attach failed for volume \"pvc-1\": timed out",
            ),
            event("ProvisioningFailed", "PersistentVolumeClaim", "data", "failed to provision volume: boom"),
            event("FailedMount", "Pod", "reader", "MountVolume.SetUp failed: mount failed: exit status 32"),
        ];
        let found = diagnose(&events, ClassFacts::default());
        let rules: Vec<Option<&str>> = found.iter().map(|d| d.rule.as_deref()).collect();
        assert_eq!(rules, [Some("KS202"), Some("KS906"), Some("KS901"), None]);
    }
}
