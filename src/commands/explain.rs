//! `kstor explain`.

use kstor_rules::registry;

use super::{EXIT_OK, fail};
use crate::cli::ExplainArgs;

/// Prints a rule's documentation.
pub fn run(args: &ExplainArgs) -> u8 {
    match registry::find(&args.rule) {
        Some(rule) => {
            print!("{}", explain(rule.meta()));
            EXIT_OK
        }
        None => fail(format!("unknown rule `{}` (see `kstor rules`)", args.rule)),
    }
}

/// The text `kstor explain` prints: a header line and the rule's documentation.
pub fn explain(meta: &kstor_rules::RuleMeta) -> String {
    format!(
        "# {} {}\n\nSeverity: {} · Group: {}\n{}\n\n{}",
        meta.code,
        meta.name,
        meta.severity,
        meta.group,
        meta.summary,
        meta.documentation()
    )
}
