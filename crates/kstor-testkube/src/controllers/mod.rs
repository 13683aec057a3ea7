//! The simulated controllers: one loop that, every [`crate::Timing::step`], runs each
//! controller's pass over the shared state, then starts the containers the kubelet readied.

pub(crate) mod attach;
pub(crate) mod kubelet;
pub(crate) mod namespace;
pub(crate) mod pv;
pub(crate) mod resize;
pub(crate) mod scheduler;
pub(crate) mod snapshot;

use std::path::Path;
use std::sync::Weak;

use serde_json::Value;

use crate::cluster::Inner;

/// Runs the controllers until the cluster is dropped.
pub(crate) async fn run(cluster: Weak<Inner>) {
    loop {
        let Some(inner) = cluster.upgrade() else { return };
        let (step, starts) = {
            let mut state = inner.lock();
            namespace::reconcile(&mut state);
            pv::reconcile(&mut state);
            scheduler::reconcile(&mut state);
            attach::reconcile(&mut state);
            let starts = kubelet::reconcile(&mut state);
            snapshot::reconcile(&mut state);
            resize::reconcile(&mut state);
            state.end_pass();
            (state.config.timing.step, starts)
        };
        for start in starts {
            kubelet::launch(&inner, start);
        }
        drop(inner);
        tokio::time::sleep(step).await;
    }
}

pub(crate) fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

pub(crate) fn namespace(o: &Value) -> &str {
    o["metadata"]["namespace"].as_str().unwrap_or_default()
}

pub(crate) fn uid(o: &Value) -> &str {
    o["metadata"]["uid"].as_str().unwrap_or_default()
}

/// Whether a pod has finished (restartPolicy Never: Succeeded or Failed).
pub(crate) fn is_terminal(pod: &Value) -> bool {
    matches!(pod["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
}

/// A pod's (volume name, claim name) pairs.
pub(crate) fn claims_of(pod: &Value) -> Vec<(String, String)> {
    pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let claim = v["persistentVolumeClaim"]["claimName"].as_str()?;
            Some((v["name"].as_str().unwrap_or_default().to_string(), claim.to_string()))
        })
        .collect()
}

/// Whether a node's labels (and name) satisfy one node selector term.
pub(crate) fn term_matches(term: &Value, node: &Value) -> bool {
    let labels = &node["metadata"]["labels"];
    let expressions = term["matchExpressions"].as_array().cloned().unwrap_or_default();
    let fields = term["matchFields"].as_array().cloned().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false; // an empty term matches nothing
    }
    let check = |e: &Value, value: Option<&str>| {
        let values: Vec<&str> =
            e["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        match e["operator"].as_str().unwrap_or_default() {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => value.is_none_or(|v| !values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            op @ ("Gt" | "Lt") => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    values.first().and_then(|b| b.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if op == "Gt" { v > bound } else { v < bound }
            }
            _ => false,
        }
    };
    expressions.iter().all(|e| check(e, labels[e["key"].as_str().unwrap_or_default()].as_str()))
        && fields.iter().all(|e| check(e, (e["key"] == "metadata.name").then(|| name(node))))
}

/// Whether a node satisfies a required node selector (any term).
pub(crate) fn selector_matches(selector: &Value, node: &Value) -> bool {
    match selector["nodeSelectorTerms"].as_array() {
        Some(terms) => terms.iter().any(|t| term_matches(t, node)),
        None => true,
    }
}

/// Copies a directory tree (restore, clone, snapshot).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Empties a directory (the lose-data fault).
pub(crate) fn empty_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() { std::fs::remove_dir_all(path)? } else { std::fs::remove_file(path)? }
    }
    Ok(())
}
