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

/// The text `kstor explain` prints: a header line, the kinds of automatic fix, and the
/// rule's documentation (whose "Automatic fix" paragraph says what each fix does).
pub fn explain(meta: &kstor_rules::RuleMeta) -> String {
    format!(
        "# {} {}\n\nSeverity: {} · Group: {} · Fix: {}\n{}\n\n{}",
        meta.code,
        meta.name,
        meta.severity,
        meta.group,
        fix_kinds(meta.fixes),
        meta.summary,
        meta.documentation()
    )
}

/// `safe (--fix)`, `unsafe (--unsafe-fixes), display-only`, or `none`.
pub fn fix_kinds(fixes: &[kstor_rules::Applicability]) -> String {
    if fixes.is_empty() {
        return "none".to_string();
    }
    let kinds: Vec<&str> = fixes
        .iter()
        .map(|a| match a {
            kstor_rules::Applicability::Safe => "safe (--fix)",
            kstor_rules::Applicability::Unsafe => "unsafe (--fix --unsafe-fixes)",
            kstor_rules::Applicability::DisplayOnly => "display-only",
        })
        .collect();
    kinds.join(", ")
}
