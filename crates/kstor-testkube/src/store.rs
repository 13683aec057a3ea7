//! The object store: every object by type, namespace and name, the global resourceVersion
//! counter, and the change feed watches read.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::resources::ResourceType;

/// One change, as a watch event.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub rv: u64,
    pub rt: &'static ResourceType,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    pub object: Value,
}

/// How many past changes a watch can resume from.
const HISTORY: usize = 10_000;

type Key = (String, String);

#[derive(Default)]
pub(crate) struct Store {
    objects: HashMap<(&'static str, &'static str), BTreeMap<Key, Value>>,
    rv: u64,
    uids: u64,
    history: VecDeque<Change>,
    watchers: Vec<mpsc::UnboundedSender<Change>>,
}

fn key_of(rt: &ResourceType) -> (&'static str, &'static str) {
    (rt.group, rt.plural)
}

impl Store {
    pub fn new() -> Store {
        Store { rv: 1000, ..Store::default() }
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// A fresh UUID-shaped uid, unique within the process.
    pub fn uid(&mut self) -> String {
        self.uids += 1;
        let seed = crate::time::now_nanos() ^ (u64::from(std::process::id()) << 32);
        let a = splitmix(seed.wrapping_add(self.uids));
        let b = splitmix(a ^ self.uids);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(&key_of(rt))?.get(&(namespace.to_string(), name.to_string()))
    }

    /// Objects of a type, in one namespace or all, ordered by namespace and name.
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .get(&key_of(rt))
            .map(|m| {
                m.iter()
                    .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether no object lives in the namespace.
    pub fn namespace_empty(&self, namespace: &str) -> bool {
        self.objects.iter().all(|(_, m)| m.keys().all(|(ns, _)| ns != namespace))
    }

    /// Stores an object (created or replaced), stamping a new resourceVersion. The object must
    /// carry apiVersion, kind and metadata.name.
    pub fn put(&mut self, rt: &'static ResourceType, mut object: Value) -> Value {
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let previous = self.objects.entry(key_of(rt)).or_default().insert((namespace, name), object.clone());
        let kind = if previous.is_some() { "MODIFIED" } else { "ADDED" };
        self.record(Change { rv: self.rv, rt, kind, object: object.clone() });
        object
    }

    /// Removes an object; the DELETED event carries a new resourceVersion.
    pub fn remove(&mut self, rt: &'static ResourceType, namespace: &str, name: &str) -> Option<Value> {
        let mut object =
            self.objects.get_mut(&key_of(rt))?.remove(&(namespace.to_string(), name.to_string()))?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.record(Change { rv: self.rv, rt, kind: "DELETED", object: object.clone() });
        Some(object)
    }

    fn record(&mut self, change: Change) {
        self.watchers.retain(|w| w.send(change.clone()).is_ok());
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(change);
    }

    /// Subscribes to changes after `since`: the past ones still in the history, then new ones.
    pub fn subscribe(&mut self, since: u64) -> mpsc::UnboundedReceiver<Change> {
        let (tx, rx) = mpsc::unbounded_channel();
        for change in self.history.iter().filter(|c| c.rv > since) {
            let _ = tx.send(change.clone());
        }
        self.watchers.push(tx);
        rx
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
