//! The decision matrix as a tool.
//!
//! [`recommend`] turns a scenario (a relational database on three zones of AWS, a cache, ML
//! training) into the storage pattern it should use, the alternatives and why they lost, and the
//! concrete settings; [`generate`] writes the bundle that realises it for a provider (StorageClass,
//! VolumeSnapshotClass, the workload with its claims, PodDisruptionBudget, snapshot schedule), and
//! checks it with kstor's own rules before handing it out. [`infer`] does the same for workloads
//! found in manifests and diffs their storage against the recommendation.
//!
//! Everything here is data-driven: scenarios and engine blueprints come from
//! `catalog/scenarios.yaml`, provider offerings from `catalog/providers.yaml`, patterns and the
//! decision matrix from `catalog/patterns.yaml`, driver capabilities from `catalog/drivers.yaml`.

pub mod error;
pub mod generate;
pub mod infer;
pub mod probe;
pub mod provider;
pub mod recommend;
pub mod render;
pub mod scenario;
/// The YAML writer of generated bundles (kept in kstor-model, shared with `kstor export vap`).
pub use kstor_model::yaml_out;

pub use error::PlanError;
pub use generate::{Bundle, GenerateRequest, generate};
pub use provider::{Offering, OfferingKind, Provider, ProviderCatalog};
pub use recommend::{Recommendation, Request, recommend};
pub use scenario::{Blueprint, Scenario, ScenarioCatalog};
