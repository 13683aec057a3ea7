//! The VolumeSnapshotClass and the scheduled snapshot CronJob with retention, and the RBAC it
//! needs (create and prune VolumeSnapshots of the workload's claims in its namespace only).

use kstor_model::api::SNAPSHOT_GROUP;

use super::Spec;
use crate::yaml_out::{Document, Map, Value};

/// When snapshots are taken: every 6 hours.
pub const SCHEDULE: &str = "0 */6 * * *";
/// How many snapshots per claim are kept (7 days at 4 a day).
pub const KEEP: u32 = 28;
/// An image with a shell, kubectl and awk. Pin its digest in production.
pub const KUBECTL_IMAGE: &str = "alpine/k8s:1.34.1";

fn doc(body: Map) -> Document {
    Document { header: Vec::new(), body }
}

/// The job's pods must not match the workload's selector (its Service, PDB and controller).
fn job_labels(spec: &Spec<'_>) -> Map {
    Map::new()
        .with("app.kubernetes.io/name", "kstor-snapshot")
        .with("app.kubernetes.io/instance", spec.name.as_str())
}

fn class_name(spec: &Spec<'_>) -> String {
    format!("{}-snapshots", spec.name)
}

fn job_name(spec: &Spec<'_>) -> String {
    format!("{}-snapshot", spec.name)
}

/// The VolumeSnapshotClass for the data's driver.
pub(super) fn snapshot_class(spec: &Spec<'_>) -> Document {
    let r = spec.rec.realization.as_ref().expect("snapshots come with a realised claim");
    let mut body = Map::new()
        .with("apiVersion", "snapshot.storage.k8s.io/v1")
        .with("kind", "VolumeSnapshotClass")
        .with("metadata", Map::new().with("name", class_name(spec)).with("labels", spec.labels()))
        .noted("driver", r.provisioner.as_str(), "the CSI driver of the StorageClass above");
    body.push(
        "deletionPolicy",
        "Retain",
        Some(
            "deleting a VolumeSnapshot object keeps the snapshot's data: recovery points survive mistakes"
                .into(),
        ),
    );
    if !r.spec.snapshot_parameters.is_empty() {
        let mut parameters = Map::new();
        for p in &r.spec.snapshot_parameters {
            parameters.push(&p.name, p.value.as_str(), p.why.clone());
        }
        body.push("parameters", parameters, None);
    }
    doc(body)
}

/// The script: snapshot every claim of the instance, then delete all but the newest KEEP.
/// VolumeSnapshots are deleted with a Retain class, so pruning removes the objects; their
/// VolumeSnapshotContents (and the data) stay until an operator deletes them.
fn script() -> String {
    r#"set -eu
stamp=$(date -u +%Y%m%d-%H%M%S)
for pvc in $(kubectl get pvc -n "$NAMESPACE" -l "$SELECTOR" -o jsonpath='{.items[*].metadata.name}'); do
  kubectl create -n "$NAMESPACE" -f - <<EOF
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: $pvc-$stamp
  labels:
    kstor.io/snapshot-of: $pvc
spec:
  volumeSnapshotClassName: $SNAPSHOT_CLASS
  source:
    persistentVolumeClaimName: $pvc
EOF
  kubectl get volumesnapshot -n "$NAMESPACE" -l "kstor.io/snapshot-of=$pvc" \
      --sort-by=.metadata.creationTimestamp -o name \
    | awk -v keep="$KEEP" '{ names[NR] = $0 } END { for (i = 1; i <= NR - keep; i++) print names[i] }' \
    | xargs -r kubectl delete -n "$NAMESPACE"
done
"#
    .to_string()
}

/// ServiceAccount, Role, RoleBinding and the CronJob.
pub(super) fn schedule(spec: &Spec<'_>) -> Vec<Document> {
    let name = job_name(spec);
    let meta = || {
        Map::new()
            .with("name", name.as_str())
            .with("namespace", spec.namespace.as_str())
            .with("labels", spec.labels())
    };
    let account = Map::new().with("apiVersion", "v1").with("kind", "ServiceAccount").with("metadata", meta());
    let rule = |groups: Vec<&str>, resources: Vec<&str>, verbs: Vec<&str>| {
        Value::Map(Map::new().with("apiGroups", groups).with("resources", resources).with("verbs", verbs))
    };
    let role = Map::new()
        .with("apiVersion", "rbac.authorization.k8s.io/v1")
        .with("kind", "Role")
        .with("metadata", meta())
        .noted(
            "rules",
            vec![
                rule(vec![""], vec!["persistentvolumeclaims"], vec!["get", "list"]),
                rule(vec![SNAPSHOT_GROUP], vec!["volumesnapshots"], vec!["get", "list", "create", "delete"]),
            ],
            "only what the schedule needs, in this namespace",
        );
    let binding = Map::new()
        .with("apiVersion", "rbac.authorization.k8s.io/v1")
        .with("kind", "RoleBinding")
        .with("metadata", meta())
        .with(
            "roleRef",
            Map::new()
                .with("apiGroup", "rbac.authorization.k8s.io")
                .with("kind", "Role")
                .with("name", name.as_str()),
        )
        .with(
            "subjects",
            vec![Value::Map(
                Map::new()
                    .with("kind", "ServiceAccount")
                    .with("name", name.as_str())
                    .with("namespace", spec.namespace.as_str()),
            )],
        );
    let env = |n: &str, v: String| Value::Map(Map::new().with("name", n).with("value", v));
    let container = Map::new()
        .with("name", "snapshot")
        .noted("image", KUBECTL_IMAGE, "any image with sh, kubectl and awk; pin its digest")
        .with("command", vec!["/bin/sh", "-c"])
        .with("args", vec![Value::Block(script())])
        .with(
            "env",
            vec![
                Value::Map(Map::new().with("name", "NAMESPACE").with(
                    "valueFrom",
                    Map::new().with("fieldRef", Map::new().with("fieldPath", "metadata.namespace")),
                )),
                env("HOME", "/tmp".into()),
                env("SELECTOR", format!("app.kubernetes.io/instance={}", spec.name)),
                env("SNAPSHOT_CLASS", class_name(spec)),
                env("KEEP", KEEP.to_string()),
            ],
        )
        .with(
            "resources",
            Map::new()
                .with("requests", Map::new().with("cpu", "50m").with("memory", "64Mi"))
                .with("limits", Map::new().with("memory", "128Mi")),
        )
        .with(
            "securityContext",
            Map::new()
                .with("allowPrivilegeEscalation", false)
                .with("capabilities", Map::new().with("drop", vec!["ALL"])),
        );
    let pod = Map::new()
        .with("serviceAccountName", name.as_str())
        .with("restartPolicy", "Never")
        .with(
            "securityContext",
            Map::new()
                .with("runAsNonRoot", true)
                .with("runAsUser", 65532i64)
                .with("seccompProfile", Map::new().with("type", "RuntimeDefault")),
        )
        .with("containers", vec![Value::Map(container)]);
    let cron = Map::new()
        .with("apiVersion", "batch/v1")
        .with("kind", "CronJob")
        .with("metadata", meta())
        .with(
            "spec",
            Map::new()
                .noted(
                    "schedule",
                    SCHEDULE,
                    format!(
                        "a crash-consistent snapshot of every claim of {} every 6 hours, the newest {KEEP} kept (7 days)",
                        spec.name
                    ),
                )
                .with("timeZone", "Etc/UTC")
                .noted("concurrencyPolicy", "Forbid", "never two rounds at once")
                .with("successfulJobsHistoryLimit", 3i64)
                .with("failedJobsHistoryLimit", 3i64)
                .with(
                    "jobTemplate",
                    Map::new().with(
                        "spec",
                        Map::new()
                            .with("backoffLimit", 2i64)
                            .with("activeDeadlineSeconds", 1800i64)
                            .with("template", Map::new().with("metadata", Map::new().with("labels", job_labels(spec))).with("spec", pod)),
                    ),
                ),
        );
    vec![doc(account), doc(role), doc(binding), doc(cron)]
}
