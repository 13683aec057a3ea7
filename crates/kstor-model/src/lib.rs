//! kstor's storage model.
//!
//! Sources (files, stdin, API objects) are loaded into a [`Workspace`] of [`Object`]s that
//! keep a span for every key and value; the [`graph::StorageGraph`] resolves workloads →
//! volumes → claims → StorageClasses → drivers → snapshot classes, classifies workload roles
//! and names each volume's storage pattern. Rules read only the graph.

pub mod api;
pub mod catalog;
pub mod cluster;
pub mod edit;
pub mod graph;
pub mod load;
pub mod object;
pub mod path;
pub mod quantity;
pub mod source;
pub mod strmap;
pub mod yaml;
pub mod yaml_out;

pub use cluster::{ClusterError, ClusterLoadStats, ClusterScope, load_cluster};
pub use load::{Diagnostic, Input, LoadOptions, Location, Position, Reparsed, Workspace, load};
pub use object::{Object, ObjectId, ObjectRef};
pub use path::Path;
pub use source::{LineCol, SourceFile, SourceId, Span};
pub use yaml::{Limits, MAX_FILE_BYTES};
