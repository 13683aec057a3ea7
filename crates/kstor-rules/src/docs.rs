//! Generated documentation: `docs/rules/<CODE>.md` from each rule's doc comment, and the
//! index `docs/rules/README.md`. A test keeps the committed files in step with the code.

use crate::registry::RULES;
use crate::rule::RuleMeta;

const GENERATED: &str = "<!-- Generated from the rule's doc comment by `KSTOR_BLESS=1 cargo test -p kstor-rules --test docs`; do not edit. -->";

/// The Markdown page of one rule.
pub fn rule_page(meta: &RuleMeta) -> String {
    format!(
        "{GENERATED}\n\n# {code} {name}\n\n| severity | group | summary |\n|---|---|---|\n| {severity} | {group} | {summary} |\n\nSuppress with the annotation `kstor.io/ignore: \"{code}\"` or a `# kstor:ignore {code}` comment; see [suppression](../configuration.md#suppression).\n\n{docs}",
        code = meta.code,
        name = meta.name,
        severity = meta.severity,
        group = meta.group,
        summary = meta.summary,
        docs = meta
            .documentation()
            .replace("\n## ", "\n### ")
            .replacen("## ", "### ", 1),
    )
}

/// The index page: every rule in a table.
pub fn index_page() -> String {
    let mut out = format!(
        "{GENERATED}\n\n# kstor rules\n\n| code | name | severity | group | summary |\n|---|---|---|---|---|\n"
    );
    for rule in RULES {
        let m = rule.meta();
        out.push_str(&format!(
            "| [{code}]({code}.md) | {name} | {severity} | {group} | {summary} |\n",
            code = m.code,
            name = m.name,
            severity = m.severity,
            group = m.group,
            summary = m.summary
        ));
    }
    out
}

/// Every generated file: (path relative to `docs/rules/`, contents).
pub fn pages() -> Vec<(String, String)> {
    let mut pages = vec![("README.md".to_string(), index_page())];
    pages.extend(
        RULES
            .iter()
            .map(|r| (format!("{}.md", r.meta().code), rule_page(r.meta()))),
    );
    pages
}
