//! `kstor probe`: validates a StorageClass end to end in a live cluster: provision, attach,
//! write, reschedule onto another node, snapshot and restore, expand, each timed, the data
//! verified by checksum, everything it creates labelled and removed (docs/probe.md).

pub mod agent;
