//! What a rule sees.

use kstor_model::graph::{StorageGraph, Timestamp};

/// Options that change what rules consider (not which rules run).
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// The input is the complete bundle: references to objects it lacks are errors.
    pub complete: bool,
    /// Set by `kstor audit`: the input is a cluster's state (live or a dump), so live-state
    /// rules apply and absences mean something.
    pub audit: Option<AuditFacts>,
}

/// What `kstor audit` knows beyond the objects.
#[derive(Clone, Debug)]
pub struct AuditFacts {
    /// The clock ages are computed against (injected, so rules stay pure).
    pub now: Timestamp,
    /// Price of a GiB-month of storage, to put a cost on orphaned capacity.
    pub price_per_gib_month: Option<f64>,
    /// Whether the cluster serves `snapshot.storage.k8s.io`.
    pub snapshot_api: SnapshotApi,
    /// Resources the API refused to list (403): `persistentvolumes (list)`.
    pub forbidden: Vec<String>,
}

impl AuditFacts {
    /// Facts at `now`, with nothing else known.
    pub fn at(now: Timestamp) -> Self {
        AuditFacts {
            now,
            price_per_gib_month: None,
            snapshot_api: SnapshotApi::Unknown,
            forbidden: Vec::new(),
        }
    }

    /// Seconds from `then` to now (0 when `then` is in the future).
    pub fn age_seconds(&self, then: Timestamp) -> i64 {
        (self.now.as_second() - then.as_second()).max(0)
    }
}

/// The API group of VolumeSnapshots and their classes and contents.
pub use kstor_model::api::SNAPSHOT_GROUP;

/// Whether the snapshot API is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotApi {
    /// Listed fine.
    Served,
    /// The group is not served (CRDs not installed).
    Missing,
    /// Not known (a dump without snapshot kinds).
    Unknown,
}

/// The input to every rule.
pub struct Context<'g> {
    /// The resolved storage model.
    pub graph: &'g StorageGraph,
    /// Options.
    pub options: &'g RuleOptions,
}

impl<'g> Context<'g> {
    /// The facts of `kstor audit`, for a rule declared with `requires: AuditFacts` (the
    /// engine runs it only when they are present).
    ///
    /// # Panics
    /// When called by a rule that does not declare the requirement, without the facts.
    pub fn audit(&self) -> &'g AuditFacts {
        self.options.audit.as_ref().expect("only rules declared `requires: AuditFacts` read audit facts")
    }
}
