//! Generated documentation: `docs/rules/<CODE>.md` from each rule's doc comment, the index
//! `docs/rules/README.md`, and the rule table of the top-level README. A test keeps the
//! committed files in step with the code.

use crate::registry::RULES;
use crate::rule::RuleMeta;

const GENERATED: &str = "<!-- Generated from the rule's doc comment by `KSTOR_BLESS=1 cargo test -p kstor-rules --test docs`; do not edit. -->";

/// The Markdown page of one rule.
pub fn rule_page(meta: &RuleMeta) -> String {
    format!(
        "{GENERATED}\n\n# {code} {name}\n\n| severity | group | automatic fix | summary |\n|---|---|---|---|\n| {severity} | {group} | {fix} | {summary} |\n\nSuppress with the annotation `kstor.io/ignore: \"{code}\"` or a `# kstor:ignore {code}` comment; see [suppression](../configuration.md#suppression).\n\n{docs}",
        code = meta.code,
        name = meta.name,
        severity = meta.severity,
        group = meta.group,
        summary = meta.summary,
        fix = fix_kinds(meta),
        docs = meta.documentation().replace("\n## ", "\n### ").replacen("## ", "### ", 1),
    )
}

/// The rule table; links point at `<link_prefix><CODE>.md`.
pub fn rules_table(link_prefix: &str) -> String {
    let mut out =
        String::from("| code | name | severity | group | fix | summary |\n|---|---|---|---|---|---|\n");
    for rule in RULES {
        let m = rule.meta();
        out.push_str(&format!(
            "| [{code}]({link_prefix}{code}.md) | {name} | {severity} | {group} | {fix} | {summary} |\n",
            code = m.code,
            name = m.name,
            severity = m.severity,
            group = m.group,
            fix = fix_kinds(m),
            summary = m.summary
        ));
    }
    out
}

/// The kinds of automatic fix a rule has: `safe`, `unsafe, display-only`, or `none`.
pub fn fix_kinds(meta: &RuleMeta) -> String {
    if meta.fixes.is_empty() {
        return "none".to_string();
    }
    meta.fixes.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
}

/// The index page: every rule in a table.
pub fn index_page() -> String {
    format!("{GENERATED}\n\n# kstor rules\n\n{}", rules_table(""))
}

/// Every generated page: (file name in `docs/rules/`, contents).
pub fn pages() -> Vec<(String, String)> {
    let mut pages = vec![("README.md".to_string(), index_page())];
    pages.extend(RULES.iter().map(|r| (format!("{}.md", r.meta().code), rule_page(r.meta()))));
    pages
}

/// Markers around the generated rule table in the top-level README.
pub const README_MARKERS: (&str, &str) = ("<!-- rules:start -->\n", "<!-- rules:end -->");

/// The README with the block between the markers replaced by the current rule table, or
/// `None` when the markers are missing.
pub fn readme_with_table(readme: &str) -> Option<String> {
    let (start, end) = README_MARKERS;
    let begin = readme.find(start)? + start.len();
    let finish = begin + readme[begin..].find(end)?;
    Some(format!("{}{}{}", &readme[..begin], rules_table("docs/rules/"), &readme[finish..]))
}
