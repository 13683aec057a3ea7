//! kstor's rules and the lint engine.
//!
//! Every rule is one file under [`rules`], declared with [`declare_rule!`] (which implements
//! [`Rule`] from its metadata; the file implements [`Check`]); its doc comment is its
//! documentation. [`registry::RULES`] lists them all. [`engine::lint`] runs the enabled
//! rules over a [`kstor_model::graph::StorageGraph`] (skipping rules whose
//! [`rule::Requires`] the options do not meet), keeps one finding per fact of overlapping
//! rules ([`overlap::OVERLAPS`]), applies severity overrides and suppression, and returns
//! positioned findings for the renderers.

pub mod context;
pub mod docs;
pub mod engine;
pub mod finding;
pub mod live;
pub mod overlap;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod suppress;
#[cfg(test)]
mod testing;

pub use context::{AuditFacts, RuleOptions, SNAPSHOT_GROUP, SnapshotApi};
pub use engine::{LintResult, Reported, Settings, lint};
pub use finding::{Applicability, Finding, Fix, Related};
pub use rule::{Check, Group, Requires, Rule, RuleMeta, Severity};
