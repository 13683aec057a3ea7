//! Prometheus metrics (`prometheus-client`), exposed as text on `/metrics`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of an admission request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The admitted object's kind (`PersistentVolumeClaim`).
    pub kind: String,
    /// `CREATE`, `UPDATE`, …
    pub operation: String,
    /// `allow`, `warn`, `deny`, `skip` (not judged: excluded, unknown kind, no object) or
    /// `unsynced` (allowed because the cache has not synced).
    pub decision: String,
    /// `true` for dry-run requests (judged, never counted as enforcement).
    pub dry_run: String,
}

/// Labels of a finding's effect.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    /// The rule code.
    pub rule: String,
    /// `deny` or `warn`.
    pub action: String,
}

/// The rule label of an applied mutation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MutationLabels {
    /// The rule whose safe fix was applied.
    pub rule: String,
}

/// A kind label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The cached kind.
    pub kind: String,
}

/// An outcome label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `success` or `failure` (TLS reloads), or the reason of a rejected request.
    pub result: String,
}

/// Every metric kstor serve exports.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    findings: Family<RuleLabels, Counter>,
    duration: Histogram,
    rejected: Family<ResultLabels, Counter>,
    cache_objects: Family<KindLabels, Gauge>,
    cache_synced: Family<KindLabels, Gauge>,
    watch_errors: Family<KindLabels, Counter>,
    tls_reloads: Family<ResultLabels, Counter>,
    mutation_requests: Family<RequestLabels, Counter>,
    mutations: Family<MutationLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every family registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kstor");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "admission_requests",
            "Admission requests by object kind, operation, decision and dry run",
            requests.clone(),
        );
        let findings = Family::<RuleLabels, Counter>::default();
        registry.register(
            "admission_findings",
            "Findings that denied or warned a request, by rule and action (dry-run requests not counted)",
            findings.clone(),
        );
        // 100 µs to ~3.3 s.
        let duration = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "admission_duration_seconds",
            "Time to judge an admission request (read, judge, answer)",
            duration.clone(),
        );
        let rejected = Family::<ResultLabels, Counter>::default();
        registry.register(
            "admission_rejected_requests",
            "Requests answered 400, by reason",
            rejected.clone(),
        );
        let cache_objects = Family::<KindLabels, Gauge>::default();
        registry.register("cache_objects", "Objects in the watched cache, by kind", cache_objects.clone());
        let cache_synced = Family::<KindLabels, Gauge>::default();
        registry.register(
            "cache_synced",
            "1 when the kind's initial list has been received",
            cache_synced.clone(),
        );
        let watch_errors = Family::<KindLabels, Counter>::default();
        registry.register(
            "cache_watch_errors",
            "Watch errors (retried with backoff), by kind",
            watch_errors.clone(),
        );
        let tls_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "tls_reloads",
            "TLS certificate reloads after the files changed, by result",
            tls_reloads.clone(),
        );
        let mutation_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "mutation_requests",
            "Requests to /mutate by object kind, operation, decision (patch, none, skip, unsynced) and dry run",
            mutation_requests.clone(),
        );
        let mutations = Family::<MutationLabels, Counter>::default();
        registry.register(
            "mutations",
            "Safe fixes applied by /mutate, by rule (dry-run requests not counted)",
            mutations.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            mutation_requests,
            mutations,
            requests,
            findings,
            duration,
            rejected,
            cache_objects,
            cache_synced,
            watch_errors,
            tls_reloads,
        }
    }

    /// Counts a judged request.
    pub fn request(&self, kind: &str, operation: &str, decision: &str, dry_run: bool, took: Duration) {
        self.count_request(&self.requests, kind, operation, decision, dry_run, took);
    }

    /// Counts a finding that denied or warned a (non-dry-run) request.
    pub fn finding(&self, rule: &str, action: &str) {
        self.findings.get_or_create(&RuleLabels { rule: rule.to_string(), action: action.to_string() }).inc();
    }

    /// Counts a request to `/mutate` (its time goes into the same duration histogram).
    pub fn mutation_request(
        &self,
        kind: &str,
        operation: &str,
        decision: &str,
        dry_run: bool,
        took: Duration,
    ) {
        self.count_request(&self.mutation_requests, kind, operation, decision, dry_run, took);
    }

    fn count_request(
        &self,
        family: &Family<RequestLabels, Counter>,
        kind: &str,
        operation: &str,
        decision: &str,
        dry_run: bool,
        took: Duration,
    ) {
        let labels = RequestLabels {
            kind: kind.to_string(),
            operation: operation.to_string(),
            decision: decision.to_string(),
            dry_run: dry_run.to_string(),
        };
        family.get_or_create(&labels).inc();
        self.duration.observe(took.as_secs_f64());
    }

    /// Counts a safe fix `/mutate` applied (non-dry-run requests).
    pub fn mutation(&self, rule: &str) {
        self.mutations.get_or_create(&MutationLabels { rule: rule.to_string() }).inc();
    }

    /// Counts a request answered 400.
    pub fn rejected(&self, reason: &str) {
        self.rejected.get_or_create(&ResultLabels { result: reason.to_string() }).inc();
    }

    /// Sets a kind's cache size and sync state.
    pub fn set_cache(&self, kind: &str, objects: usize, synced: bool) {
        let labels = KindLabels { kind: kind.to_string() };
        self.cache_objects.get_or_create(&labels).set(objects as i64);
        self.cache_synced.get_or_create(&labels).set(i64::from(synced));
    }

    /// Counts a watch error.
    pub fn watch_error(&self, kind: &str) {
        self.watch_errors.get_or_create(&KindLabels { kind: kind.to_string() }).inc();
    }

    /// Counts a TLS reload.
    pub fn tls_reload(&self, ok: bool) {
        let result = if ok { "success" } else { "failure" };
        self.tls_reloads.get_or_create(&ResultLabels { result: result.to_string() }).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
