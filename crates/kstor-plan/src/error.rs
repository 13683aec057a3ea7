//! Why a recommendation or a bundle cannot be made.

/// A request kstor refuses, with the reason and what to choose instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}\n  hint: {hint}")]
pub struct PlanError {
    /// What is wrong and why.
    pub message: String,
    /// What to choose instead.
    pub hint: String,
}

impl PlanError {
    /// A refusal with its hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> PlanError {
        PlanError { message: message.into(), hint: hint.into() }
    }
}
