//! The shared state behind the API server and the controllers: the store, the configuration,
//! the drivers and what the controllers remember between passes.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::{ClusterConfig, Driver};
use crate::resources::{self, ResourceType};
use crate::store::Store;

/// A provisioned volume's data.
#[derive(Debug, Clone)]
pub(crate) struct VolumeData {
    pub dir: PathBuf,
    /// The node it was last mounted on (for the lose-data fault).
    pub last_node: Option<String>,
}

/// What the controllers remember between passes.
#[derive(Default)]
pub(crate) struct Memo {
    /// Pending actions: key → when first seen due.
    since: HashMap<String, Instant>,
    touched: HashSet<String>,
    /// Event throttle: event key → last emitted.
    emitted: HashMap<String, Instant>,
    pub next_zone: usize,
    pub volumes: HashMap<String, VolumeData>,
    /// VolumeSnapshotContent name → the copied data.
    pub snapshots: HashMap<String, PathBuf>,
    /// Pod uids whose container callback runs or ran.
    pub started: HashSet<String>,
    /// One-shot facts (an event already reported once).
    pub flags: HashSet<String>,
    pub dirs: u64,
    pub events: u64,
}

pub(crate) struct State {
    pub store: Store,
    pub config: ClusterConfig,
    pub drivers: Vec<Driver>,
    pub data_root: PathBuf,
    pub memo: Memo,
}

/// The type of a kind or plural known to be served (internal names only).
pub(crate) fn rt(name: &str) -> &'static ResourceType {
    resources::lookup(name).unwrap_or_else(|| panic!("unknown resource type {name}"))
}

impl State {
    pub fn new(config: ClusterConfig, data_root: PathBuf) -> State {
        State { store: Store::new(), config, drivers: Vec::new(), data_root, memo: Memo::default() }
    }

    /// Whether an action keyed `key` has been due for `delay`; the first call starts the clock.
    pub fn due(&mut self, key: &str, delay: Duration) -> bool {
        self.memo.touched.insert(key.to_string());
        let since = *self.memo.since.entry(key.to_string()).or_insert_with(Instant::now);
        since.elapsed() >= delay
    }

    /// Forgets a done action.
    pub fn done(&mut self, key: &str) {
        self.memo.since.remove(key);
    }

    /// Ends a controller pass: actions no longer due are forgotten, so their clock restarts.
    pub fn end_pass(&mut self) {
        let touched = std::mem::take(&mut self.memo.touched);
        self.memo.since.retain(|k, _| touched.contains(k));
    }

    pub fn driver(&self, name: &str) -> Option<&Driver> {
        self.drivers.iter().find(|d| d.name == name)
    }

    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.store.get(rt(kind), namespace, name).cloned()
    }

    pub fn list(&self, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        self.store.list(rt(kind), namespace)
    }

    /// Stores an object as a controller does (no admission).
    pub fn put(&mut self, kind: &str, object: Value) -> Value {
        self.store.put(rt(kind), object)
    }

    /// A new data directory under the cluster's root.
    pub fn new_dir(&mut self, prefix: &str) -> PathBuf {
        self.memo.dirs += 1;
        let dir = self.data_root.join(format!("{prefix}-{}", self.memo.dirs));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("kstor-testkube: cannot create {}: {e}", dir.display());
        }
        dir
    }

    /// Records an Event about `involved` (in its namespace, or `default` for cluster-scoped
    /// objects), as the component's event recorder does: a repeat of the same reason and
    /// message bumps `count`, at most once per retry interval.
    pub fn event(&mut self, involved: &Value, warning: bool, reason: &str, message: &str, component: &str) {
        let meta = &involved["metadata"];
        let uid = meta["uid"].as_str().unwrap_or_default();
        let throttle = format!("{uid}\u{0}{reason}\u{0}{message}");
        if let Some(last) = self.memo.emitted.get(&throttle)
            && last.elapsed() < self.config.timing.retry
        {
            return;
        }
        self.memo.emitted.insert(throttle, Instant::now());
        let namespace = meta["namespace"].as_str().unwrap_or("default").to_string();
        let name = meta["name"].as_str().unwrap_or_default();
        let now = crate::time::now();
        let existing = self
            .list("Event", Some(&namespace))
            .into_iter()
            .find(|e| e["involvedObject"]["uid"] == uid && e["reason"] == reason && e["message"] == message);
        if let Some(mut e) = existing {
            e["count"] = json!(e["count"].as_u64().unwrap_or(1) + 1);
            e["lastTimestamp"] = json!(now);
            self.put("Event", e);
            return;
        }
        self.memo.events += 1;
        let suffix = format!("{:x}", crate::time::now_nanos().wrapping_add(self.memo.events << 20));
        let host = if component == "kubelet" {
            involved["spec"]["nodeName"].as_str().unwrap_or_default()
        } else {
            ""
        };
        let mut source = json!({"component": component});
        if !host.is_empty() {
            source["host"] = json!(host);
        }
        let uid_event = self.store.uid();
        let mut event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{name}.{suffix}"), "namespace": namespace, "uid": uid_event,
                         "creationTimestamp": now},
            "involvedObject": {
                "apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": name,
                "namespace": meta["namespace"], "uid": uid, "resourceVersion": meta["resourceVersion"],
            },
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": if warning { "Warning" } else { "Normal" },
            "eventTime": null,
            "reportingComponent": component,
            "reportingInstance": host,
        });
        if meta["namespace"].is_null()
            && let Some(reference) = event["involvedObject"].as_object_mut()
        {
            reference.remove("namespace");
        }
        self.put("Event", event);
    }
}
