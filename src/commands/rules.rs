//! `kstor rules`.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use kstor_rules::registry::RULES;

use super::EXIT_OK;
use crate::cli::RulesArgs;

/// Prints the rule table (or JSON).
pub fn run(args: &RulesArgs) -> u8 {
    if args.format == "json" {
        let rules: Vec<_> = RULES.iter().map(|r| r.meta()).collect();
        println!("{}", serde_json::to_string_pretty(&rules).expect("rule metadata serialises"));
        return EXIT_OK;
    }
    print!("{}", table());
    EXIT_OK
}

/// The rule table as text.
pub fn table() -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(["code", "name", "severity", "group", "fix", "summary"]);
    for rule in RULES {
        let m = rule.meta();
        let fix = kstor_rules::docs::fix_kinds(m);
        table.add_row([m.code, m.name, m.severity.as_str(), m.group.as_str(), fix.as_str(), m.summary]);
    }
    format!("{table}\n")
}
