//! What a rule sees.

use kstor_model::graph::StorageGraph;

/// Options that change what rules consider (not which rules run).
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// The input is the complete bundle: references to objects it lacks are errors.
    pub complete: bool,
}

/// The input to every rule.
pub struct Context<'g> {
    /// The resolved storage model.
    pub graph: &'g StorageGraph,
    /// Options.
    pub options: &'g RuleOptions,
}
