//! `kstor probe`: validates a StorageClass end to end in a live cluster: provision, attach,
//! write, reschedule onto another node, snapshot and restore, expand, each timed, the data
//! verified by checksum, everything it creates labelled and removed (docs/probe.md).

pub mod agent;
pub mod cleanup;
pub mod cluster;
pub mod diagnose;
pub mod objects;
pub mod options;
pub mod preflight;
pub mod probe;
pub mod report;
pub mod run;
