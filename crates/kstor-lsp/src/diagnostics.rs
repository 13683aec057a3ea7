//! Findings as LSP diagnostics: the rule code linked to its documentation, the severity, the
//! help line, and the finding's related locations, which may be in other files of the
//! workspace (open or on disk).

use std::collections::HashMap;
use std::str::FromStr;

use kstor_model::{SourceId, Span};
use kstor_rules::{Reported, Severity};
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, Uri,
};

use crate::position::LineIndex;
use crate::state::{Analysis, Document};

/// The `source` of every diagnostic.
pub const SOURCE: &str = "kstor";

/// Turns the analysis' sources into URIs and ranges, indexing each text's lines once.
pub struct Locator<'a> {
    analysis: &'a Analysis,
    open: &'a HashMap<String, Document>,
    lines: HashMap<SourceId, LineIndex<'a>>,
}

impl<'a> Locator<'a> {
    /// A locator over an analysis and the open documents (whose URIs are used as the client
    /// sent them).
    pub fn new(analysis: &'a Analysis, open: &'a HashMap<String, Document>) -> Self {
        Locator { analysis, open, lines: HashMap::new() }
    }

    /// The URI of a source: the open document's, else the file's.
    pub fn uri(&self, source: SourceId) -> Option<Uri> {
        let key = self.analysis.key(source)?;
        match self.open.get(key) {
            Some(document) => Some(document.uri.clone()),
            None if std::path::Path::new(key).is_absolute() => crate::uri::uri_of(std::path::Path::new(key)),
            None => Uri::from_str(key).ok(),
        }
    }

    /// The range of a span of a source.
    pub fn range(&mut self, source: SourceId, span: Span) -> Range {
        let graph = &self.analysis.graph;
        let index = self.lines.entry(source).or_insert_with(|| {
            let text = graph.workspace.sources.get(source.0 as usize).map_or("", |s| &s.text);
            LineIndex::new(text)
        });
        index.range(span.start as usize, span.end as usize)
    }

    /// The LSP location of a span.
    pub fn location(&mut self, source: SourceId, span: Span) -> Option<Location> {
        Some(Location { uri: self.uri(source)?, range: self.range(source, span) })
    }
}

/// The LSP severity of a kstor severity.
pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// The diagnostic of a positioned finding (`None` for a finding without a position).
pub fn diagnostic(locator: &mut Locator<'_>, reported: &Reported) -> Option<Diagnostic> {
    let position = reported.position.as_ref()?;
    let finding = &reported.finding;
    let related: Vec<DiagnosticRelatedInformation> = reported
        .related_with(&locator.analysis.graph)
        .filter_map(|(related, position, _)| {
            let position = position?;
            let location = locator.location(position.source, position.span)?;
            Some(DiagnosticRelatedInformation { location, message: related.message.clone() })
        })
        .collect();
    let message = match &finding.help {
        Some(help) => format!("{}\nhelp: {help}", finding.message),
        None => finding.message.clone(),
    };
    Some(Diagnostic {
        range: locator.range(position.source, position.span),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule.code.to_string())),
        code_description: Uri::from_str(&finding.rule.doc_url()).ok().map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    })
}

/// The diagnostics of every finding in one source, in the findings' order.
pub fn for_source(locator: &mut Locator<'_>, source: SourceId) -> Vec<Diagnostic> {
    let analysis = locator.analysis;
    analysis
        .result
        .findings
        .iter()
        .filter(|r| r.position.as_ref().is_some_and(|p| p.source == source))
        .filter_map(|r| diagnostic(locator, r))
        .collect()
}

/// The diagnostic of a configuration problem, on the config file.
pub fn config_problem(problem: &crate::config::Problem) -> Diagnostic {
    let at = lsp_types::Position { line: problem.line, character: problem.column };
    Diagnostic {
        range: Range { start: at, end: at },
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some(SOURCE.to_string()),
        message: format!(
            "invalid kstor configuration (the previous one, or the defaults, stay in use): {}",
            problem.message
        ),
        ..Diagnostic::default()
    }
}
