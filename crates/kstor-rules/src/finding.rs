//! Findings: what a rule reports, where, and what is related.

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

    /// The object the finding is on, if it is on an object.
    pub fn object(&self) -> Option<ObjectId> {
        match &self.location {
            Location::Field { object, .. } => Some(*object),
            Location::Span { .. } => None,
        }
    }
}
