//! What a rule is: its metadata (code, name, group, severity, docs, requirements), declared
//! with [`declare_rule!`], and its check, written by hand.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::context::{Context, RuleOptions};
use crate::finding::Finding;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely to hurt.
    Warning,
    /// Will break or lose data.
    Error,
}

impl Severity {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!("unknown severity `{s}`; expected error, warning or info")),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The family a rule belongs to (the hundreds digit of its code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Group {
    /// KS0xx: the input itself.
    Input,
    /// KS1xx: binding mode and topology.
    Topology,
    /// KS2xx: access modes.
    AccessModes,
    /// KS3xx: reclaim and data durability.
    DataSafety,
    /// KS4xx: snapshots.
    Snapshots,
    /// KS5xx: ownership and permissions.
    Permissions,
    /// KS6xx: ephemeral storage.
    Ephemeral,
    /// KS7xx: claims and classes.
    Claims,
    /// KS8xx: drivers and platform.
    Platform,
    /// KS9xx: live cluster state.
    LiveState,
}

impl Group {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Input => "input",
            Group::Topology => "topology",
            Group::AccessModes => "access-modes",
            Group::DataSafety => "data-safety",
            Group::Snapshots => "snapshots",
            Group::Permissions => "permissions",
            Group::Ephemeral => "ephemeral",
            Group::Claims => "claims",
            Group::Platform => "platform",
            Group::LiveState => "live-state",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's identity and documentation.
#[derive(Debug, Serialize)]
pub struct RuleMeta {
    /// `KS201`.
    pub code: &'static str,
    /// `rwx-for-database`.
    pub name: &'static str,
    /// Its family.
    pub group: Group,
    /// Default severity (a rule may raise or lower it per finding, config overrides it).
    pub severity: Severity,
    /// One line for `kstor rules`.
    pub summary: &'static str,
    /// The rule's doc comment: Markdown with the sections of [`DOC_SECTIONS`].
    #[serde(skip)]
    pub docs: &'static str,
    /// The kinds of fix its findings may carry (`[]`: none; the docs' "Automatic fix"
    /// paragraph says why).
    pub fixes: &'static [crate::finding::Applicability],
    /// What the rule needs beyond the graph; the engine skips it when that is missing.
    #[serde(skip)]
    pub requires: Requires,
}

/// What a rule needs beyond the graph to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Requires {
    /// Only the graph.
    #[default]
    Nothing,
    /// The facts of `kstor audit` ([`crate::context::AuditFacts`]): the input is a
    /// cluster's state. Read them with [`Context::audit`].
    AuditFacts,
}

impl Requires {
    /// Whether the options provide what is required.
    pub fn met_by(self, options: &RuleOptions) -> bool {
        match self {
            Requires::Nothing => true,
            Requires::AuditFacts => options.audit.is_some(),
        }
    }
}

/// Headings every rule's documentation must have, in order.
pub const DOC_SECTIONS: [&str; 5] = ["What it does", "Why it matters", "Example", "Fix", "References"];

/// Where the rules' documentation pages are published (`docs/rules/<CODE>.md` of the
/// repository): SARIF's `helpUri` and the language server's diagnostic links.
pub const RULE_DOCS_BASE: &str = "https://github.com/kstor-dev/kstor/blob/main/docs/rules";

impl RuleMeta {
    /// The URL of the rule's documentation page.
    pub fn doc_url(&self) -> String {
        format!("{RULE_DOCS_BASE}/{}.md", self.code)
    }

    /// The documentation with the one-space indent of `///` comments removed.
    pub fn documentation(&self) -> String {
        let mut out = String::new();
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    /// The body of one `## Section` of the documentation.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.documentation();
        let marker = format!("## {heading}\n");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").map(|i| i + 1).unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }
}

/// A rule as the engine sees it: its metadata (implemented by [`declare_rule!`]) and its
/// [`Check`].
pub trait Rule: Check + Send + Sync {
    /// Identity, docs and requirements.
    fn meta(&self) -> &'static RuleMeta;
}

/// What a rule's file writes: the check. Pure, reads only the [`Context`].
pub trait Check {
    /// Adds this rule's findings for the graph. Runs only when the options meet the rule's
    /// [`RuleMeta::requires`].
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Declares a rule type whose doc comment is its documentation, and implements [`Rule`] for
/// it; the rule's file implements [`Check`]. `requires` is optional ([`Requires::Nothing`]).
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct RwxForDatabase {
///         code: "KS201", name: "rwx-for-database", group: AccessModes, severity: Error,
///         summary: "a database keeps its data on ReadWriteMany storage",
///     }
/// }
///
/// impl Check for RwxForDatabase {
///     fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) { ... }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (@requires) => {
        $crate::rule::Requires::Nothing
    };
    (@requires $requires:ident) => {
        $crate::rule::Requires::$requires
    };
    (
        $(#[doc = $doc:expr])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rule_name:literal,
            group: $group:ident,
            severity: $severity:ident,
            summary: $summary:literal,
            fixes: [$($fix:ident),* $(,)?]
            $(, requires: $requires:ident)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis struct $name;

        impl $name {
            /// The rule's identity and documentation.
            pub const META: $crate::rule::RuleMeta = $crate::rule::RuleMeta {
                code: $code,
                name: $rule_name,
                group: $crate::rule::Group::$group,
                severity: $crate::rule::Severity::$severity,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
                fixes: &[$($crate::finding::Applicability::$fix),*],
                requires: $crate::declare_rule!(@requires $($requires)?),
            };
        }

        impl $crate::rule::Rule for $name {
            fn meta(&self) -> &'static $crate::rule::RuleMeta {
                &Self::META
            }
        }
    };
}
