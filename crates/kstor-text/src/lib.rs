//! Plain-text pieces that every kstor front end shares: parsing and formatting of Kubernetes
//! quantities and byte sizes ([`quantity`]) and the aligned-column table layout ([`table`]).
//!
//! A leaf crate on purpose: `kstor-bench` uses it without pulling in `kstor-model` and its
//! Kubernetes API types, and `kstor-model` re-exports [`quantity`] as `kstor_model::quantity`.

pub mod quantity;
pub mod table;

pub use table::{Align, Columns, layout};
