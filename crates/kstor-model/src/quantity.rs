//! Kubernetes resource quantities (`10Gi`, `512Mi`, `1.5G`, `500m`) and byte formatting.
//!
//! One implementation for every crate: it lives in the leaf crate `kstor-text`, which
//! `kstor-bench` shares without depending on the model's Kubernetes types.

pub use kstor_text::quantity::*;
