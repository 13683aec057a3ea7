//! Renderers for lint results. Each takes the graph (for the sources) and the result.

mod fix;
mod github;
mod gitlab;
mod inventory;
mod json;
mod junit;
mod report;
mod sarif;
mod text;

use std::io::{self, Write};
use std::path::Path;

use kstor_model::graph::StorageGraph;
use kstor_rules::LintResult;

pub use gitlab::gitlab_report;
pub use inventory::Inventory;
pub use json::json_report;
pub use report::{ReportFormat, render_report, report_json};
pub use sarif::sarif_report;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rustc-style code frames with a summary line.
    Text,
    /// The documented JSON shape (`version: 1`).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow commands.
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// What to render.
pub struct Output<'a> {
    /// The graph the findings were made on.
    pub graph: &'a StorageGraph,
    /// The findings.
    pub result: &'a LintResult,
    /// `kstor audit`'s inventory header; `None` for manifests.
    pub inventory: Option<&'a Inventory>,
    /// The directory file names are made relative to where a format wants relative paths
    /// (GitLab); `None` keeps them as given.
    pub root: Option<&'a Path>,
}

impl<'a> Output<'a> {
    /// The output of a lint run (no inventory).
    pub fn new(graph: &'a StorageGraph, result: &'a LintResult) -> Self {
        Output { graph, result, inventory: None, root: None }
    }

    /// With `kstor audit`'s inventory header.
    #[must_use]
    pub fn with_inventory(mut self, inventory: &'a Inventory) -> Self {
        self.inventory = Some(inventory);
        self
    }

    /// With the directory relative paths start from (the working directory).
    #[must_use]
    pub fn with_root(mut self, root: &'a Path) -> Self {
        self.root = Some(root);
        self
    }
}

/// Writes the result in the format; `color` applies to text only.
pub fn render(format: Format, output: &Output<'_>, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(output, color, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &json_report(output))?;
            writeln!(out)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif_report(output))?;
            writeln!(out)
        }
        Format::Junit => junit::render(output, out),
        Format::Github => github::render(output, out),
        Format::Gitlab => gitlab::render(output, out),
    }
}

/// The display name of a finding's file, or of its object when it has no file.
pub(crate) fn file_name(output: &Output<'_>, position: Option<&kstor_model::Position>) -> Option<String> {
    position.map(|p| output.graph.workspace.sources[p.source.0 as usize].name.clone())
}
