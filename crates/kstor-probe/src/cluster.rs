//! The probe's view of the API: typed handles for what it reads and creates, polling with
//! deadlines, and the namespace's events.

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, PersistentVolumeClaim, Pod};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, PostParams};
use kube::{Client, Error as KubeError};
use serde::de::DeserializeOwned;

/// Why a step stopped.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The step's deadline passed.
    #[error("{0} did not happen within {1:?}")]
    Timeout(String, Duration),
    /// The API server answered with an error or could not be reached.
    #[error("the API server: {0}")]
    Api(#[from] KubeError),
    /// What the step saw was wrong.
    #[error("{0}")]
    Failed(String),
    /// The identity may not do what the probe needs (the run cannot go on: exit 2).
    #[error("the identity may not: {0} (deploy/rbac/kstor-probe.yaml grants what the probe needs)")]
    Forbidden(String),
}

impl StepError {
    /// Whether the run cannot go on (the API server is unreachable, or permissions are
    /// missing): exit 2.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StepError::Api(KubeError::Api(_)) => false,
            StepError::Api(_) | StepError::Forbidden(_) => true,
            _ => false,
        }
    }
}

/// The snapshot API's VolumeSnapshot resource.
pub fn volume_snapshot_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshot"),
        "volumesnapshots",
    )
}

/// The snapshot API's VolumeSnapshotClass resource.
pub fn volume_snapshot_class_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshotClass"),
        "volumesnapshotclasses",
    )
}

/// The snapshot API's VolumeSnapshotContent resource.
pub fn volume_snapshot_content_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("snapshot.storage.k8s.io", "v1", "VolumeSnapshotContent"),
        "volumesnapshotcontents",
    )
}

/// A client, the run's namespace and the polling settings.
#[derive(Clone)]
pub struct Cluster {
    /// The client.
    pub client: Client,
    /// The run's namespace.
    pub namespace: String,
    /// How often to poll.
    pub poll: Duration,
    /// Deadline of one step.
    pub step_timeout: Duration,
    /// Deadline of the whole run.
    pub deadline: Instant,
}

impl Cluster {
    /// Namespaced objects of the run's namespace.
    pub fn ns<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Cluster-scoped objects.
    pub fn all<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>,
    {
        Api::all(self.client.clone())
    }

    /// VolumeSnapshots of the run's namespace.
    pub fn snapshots(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &volume_snapshot_resource())
    }

    /// Polls `probe` until it returns a value, the step's deadline or the run's passes.
    pub async fn wait<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, StepError>>,
    {
        let timeout = self.step_timeout.min(self.deadline.saturating_duration_since(Instant::now()));
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = probe().await? {
                return Ok(value);
            }
            if Instant::now() >= deadline {
                return Err(StepError::Timeout(what.to_string(), timeout));
            }
            tokio::time::sleep(self.poll.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// An object, `None` when it does not exist.
    pub async fn get<K: Clone + DeserializeOwned + std::fmt::Debug>(
        api: &Api<K>,
        name: &str,
    ) -> Result<Option<K>, StepError> {
        Ok(api.get_opt(name).await?)
    }

    /// Creates an object.
    pub async fn create<K>(api: &Api<K>, object: &K) -> Result<K, StepError>
    where
        K: Clone + DeserializeOwned + serde::Serialize + std::fmt::Debug,
    {
        Ok(api.create(&PostParams::default(), object).await?)
    }

    /// Deletes an object and waits until it is gone.
    pub async fn delete_and_wait<K>(&self, api: &Api<K>, name: &str) -> Result<(), StepError>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        match api.delete(name, &DeleteParams::foreground()).await {
            Ok(_) => {}
            Err(KubeError::Api(e)) if e.code == 404 => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        self.wait(&format!("deletion of {name}"), || async {
            Ok(api.get_opt(name).await?.is_none().then_some(()))
        })
        .await
    }

    /// The namespace's events, oldest first.
    pub async fn events(&self) -> Result<Vec<Event>, StepError> {
        let api: Api<Event> = self.ns();
        let mut events = api.list(&ListParams::default()).await?.items;
        events.sort_by_key(|e| {
            e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)).or(e
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0))
        });
        Ok(events)
    }

    /// A claim's phase and volume.
    pub async fn claim(&self, name: &str) -> Result<Option<PersistentVolumeClaim>, StepError> {
        Cluster::get(&self.ns::<PersistentVolumeClaim>(), name).await
    }

    /// A pod.
    pub async fn pod(&self, name: &str) -> Result<Option<Pod>, StepError> {
        Cluster::get(&self.ns::<Pod>(), name).await
    }
}

/// The phase of a claim (`Bound`, `Pending`, …).
pub fn claim_phase(claim: &PersistentVolumeClaim) -> &str {
    claim.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

/// The volume a claim is bound to.
pub fn claim_volume(claim: &PersistentVolumeClaim) -> Option<String> {
    claim.spec.as_ref().and_then(|s| s.volume_name.clone())
}
