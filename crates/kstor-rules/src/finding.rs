//! Findings: what a rule reports, where, and what is related.

use kstor_model::edit::ObjectEdit;
use kstor_model::path::Path;
use kstor_model::{Location, ObjectId};

use crate::rule::{RuleMeta, Severity};

/// A location elsewhere that explains a finding (the claim, the class, the mount).
#[derive(Clone, Debug)]
pub struct Related {
    /// Where.
    pub location: Location,
    /// Why it is relevant.
    pub message: String,
}

/// Whether `kstor lint --fix` may apply a fix (as ruff classifies fixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Applies cleanly over the existing object (no immutable field changes) and changes
    /// only what the rule asks: `--fix` applies it.
    Safe,
    /// Right for a new object, but it changes an immutable field, changes behaviour or
    /// needs a value kstor chooses: only `--unsafe-fixes` applies it.
    Unsafe,
    /// A suggestion shown with the finding, never written.
    DisplayOnly,
}

impl Applicability {
    /// The name used in JSON output and docs: `safe`, `unsafe`, `display-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// A change that resolves a finding: edits of objects by field path, which the engine turns
/// into text edits (files) or JSON Patch operations (admission).
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// Whether `--fix` may apply it.
    pub applicability: Applicability,
    /// What the fix does and, for unsafe fixes, why it is unsafe.
    pub message: String,
    /// The edits; all of them or none are applied.
    pub edits: Vec<ObjectEdit>,
}

impl Fix {
    /// A safe fix.
    pub fn safe(message: impl Into<String>, edits: Vec<ObjectEdit>) -> Self {
        Fix { applicability: Applicability::Safe, message: message.into(), edits }
    }

    /// An unsafe fix; `message` says why it is unsafe.
    pub fn unsafe_fix(message: impl Into<String>, edits: Vec<ObjectEdit>) -> Self {
        Fix { applicability: Applicability::Unsafe, message: message.into(), edits }
    }

    /// A suggestion that is never applied.
    pub fn display_only(message: impl Into<String>, edits: Vec<ObjectEdit>) -> Self {
        Fix { applicability: Applicability::DisplayOnly, message: message.into(), edits }
    }
}

/// One finding of one rule.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule.
    pub rule: &'static RuleMeta,
    /// Severity (the rule's default unless the rule or config changed it).
    pub severity: Severity,
    /// What is wrong and what it leads to, naming the objects.
    pub message: String,
    /// The field at fault.
    pub location: Location,
    /// Other places involved.
    pub related: Vec<Related>,
    /// How to fix it, briefly.
    pub help: Option<String>,
    /// The change that fixes it, when kstor can make it.
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding at a field of an object, with the rule's default severity.
    pub fn at(rule: &'static RuleMeta, object: ObjectId, path: Path, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            location: Location::Field { object, path },
            related: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// A finding at an arbitrary location.
    pub fn new(rule: &'static RuleMeta, location: Location, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            location,
            related: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Sets the severity.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Adds a related field.
    #[must_use]
    pub fn related(mut self, object: ObjectId, path: Path, message: impl Into<String>) -> Self {
        self.related.push(Related { location: Location::Field { object, path }, message: message.into() });
        self
    }

    /// Sets the fix hint.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the fix.
    #[must_use]
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// The object the finding is on, if it is on an object.
    pub fn object(&self) -> Option<ObjectId> {
        match &self.location {
            Location::Field { object, .. } => Some(*object),
            Location::Span { .. } => None,
        }
    }
}
