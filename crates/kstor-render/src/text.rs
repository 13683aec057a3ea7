//! `--format text`: rustc-style code frames, grouped by file, and a summary line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{Annotation, AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use kstor_model::{Position, SourceFile};
use kstor_rules::{Reported, Severity};

use crate::Output;

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Annotations of one file, relative to a window of whole lines around them.
struct Window<'a> {
    file: &'a SourceFile,
    first_line: u32,
    text: &'a str,
    annotations: Vec<Annotation<'a>>,
}

fn window<'a>(file: &'a SourceFile, marks: &[(AnnotationKind, &Position, String)]) -> Window<'a> {
    let first_line = marks.iter().map(|(_, p, _)| p.start.line).min().unwrap_or(1);
    let last_line = marks.iter().map(|(_, p, _)| p.end.line).max().unwrap_or(first_line);
    let start = line_start(file, first_line);
    let end = line_start(file, last_line + 1).min(file.text.len());
    let text = file.text[start..end].trim_end_matches(['\n', '\r']);
    let annotations = marks
        .iter()
        .map(|(kind, p, label)| {
            let range = clamp(p.span.start as usize - start..p.span.end as usize - start, text);
            let annotation = (*kind).span(range);
            if label.is_empty() { annotation } else { annotation.label(label.clone()) }
        })
        .collect();
    Window { file, first_line, text, annotations }
}

/// The range inside the text, on character boundaries (a syntax error in invalid UTF-8 or
/// multibyte text can point inside a character; annotate-snippets slices by these offsets).
fn clamp(range: Range<usize>, text: &str) -> Range<usize> {
    let floor = |mut i: usize| {
        while i > 0 && !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start.min(text.len()));
    let mut end = range.end.clamp(start, text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn line_start(file: &SourceFile, line: u32) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match file.text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return file.text.len(),
        }
    }
    offset
}

fn render_one<'a>(output: &'a Output<'a>, reported: &'a Reported) -> Vec<Group<'a>> {
    let f = &reported.finding;
    let sources = &output.graph.workspace.sources;
    let title = level(f.severity).primary_title(f.message.as_str()).id(f.rule.code);
    // Marks per file: the primary first, then related ones in the same file.
    let mut per_file: BTreeMap<u32, Vec<(AnnotationKind, &Position, String)>> = BTreeMap::new();
    let mut order: Vec<u32> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if let Some(p) = &reported.position {
        per_file.entry(p.source.0).or_default().push((AnnotationKind::Primary, p, String::new()));
        order.push(p.source.0);
    }
    for (related, position, object) in reported.related_with(output.graph) {
        match position {
            Some(p) => {
                if !order.contains(&p.source.0) {
                    order.push(p.source.0);
                }
                per_file.entry(p.source.0).or_default().push((
                    AnnotationKind::Context,
                    p,
                    related.message.clone(),
                ));
            }
            None => notes.push(match object {
                Some(o) => format!("{}: {}", o.slug(), related.message),
                None => related.message.clone(),
            }),
        }
    }
    let mut group = Group::with_title(title);
    if reported.position.is_none() {
        let origin = reported.object(output.graph).map(|o| o.slug()).unwrap_or_else(|| "input".into());
        group = group.element(Origin::path(origin));
    }
    for source in order {
        let file: &SourceFile = &sources[source as usize];
        let w = window(file, &per_file[&source]);
        group = group.element(
            Snippet::source(w.text)
                .line_start(w.first_line as usize)
                .path(w.file.name.as_str())
                .fold(true)
                .annotations(w.annotations),
        );
    }
    for note in notes {
        group = group.element(Level::NOTE.message(note));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    if let Some(fix) = &f.fix {
        group = group.element(Level::HELP.message(fix_text(output, fix)));
    }
    group = group.element(Level::NOTE.message(format!("`kstor explain {}` ({})", f.rule.code, f.rule.name)));
    vec![group]
}

/// The fix under a finding: its applicability and message, then its edits as diff lines.
fn fix_text(output: &Output<'_>, fix: &kstor_rules::Fix) -> String {
    let how = match fix.applicability {
        kstor_rules::Applicability::Safe => "fix (safe, `--fix`)",
        kstor_rules::Applicability::Unsafe => "fix (unsafe, `--fix --unsafe-fixes`)",
        kstor_rules::Applicability::DisplayOnly => "suggestion (not applied)",
    };
    let mut text = format!("{how}: {}", fix.message);
    let mut edits = crate::fix::positioned(output, fix);
    edits.sort_by_key(|e| (e.file.clone(), e.start.line, e.start.column));
    // Insertions at one place read as one hunk.
    let mut merged: Vec<crate::fix::PositionedEdit> = Vec::with_capacity(edits.len());
    for edit in edits {
        match merged.last_mut() {
            Some(last)
                if last.file == edit.file
                    && last.start == last.end
                    && last.start == edit.start
                    && edit.start == edit.end =>
            {
                last.content.push_str(&edit.content);
            }
            _ => merged.push(edit),
        }
    }
    for edit in merged {
        let Some(file) = output.graph.workspace.sources.iter().find(|s| s.name == edit.file) else {
            continue;
        };
        let old: Vec<&str> = (edit.start.line..=edit.end.line).map(|l| file.line_text(l)).collect();
        let before: String = old[0].chars().take(edit.start.column as usize - 1).collect();
        let after: String = old[old.len() - 1].chars().skip(edit.end.column as usize - 1).collect();
        let replaced = format!("{before}{}{after}", edit.content.replace("\r\n", "\n"));
        let new: Vec<&str> = replaced.split('\n').collect();
        // Lines the edit leaves as they were, before or after the change, are context.
        let same = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let tail = old[same..].iter().rev().zip(new[same..].iter().rev()).take_while(|(a, b)| a == b).count();
        text.push_str(&format!("\n  --> {}:{}", edit.file, edit.start));
        for line in &old[..same] {
            text.push_str(&format!("\n    {line}"));
        }
        for line in &old[same..old.len() - tail] {
            text.push_str(&format!("\n  - {line}"));
        }
        for line in &new[same..new.len() - tail] {
            text.push_str(&format!("\n  + {line}"));
        }
        // Trailing context, unless it is only the empty end of the file.
        let after_context = &old[old.len() - tail..];
        if after_context.iter().any(|l| !l.is_empty()) {
            for line in after_context {
                text.push_str(&format!("\n    {line}"));
            }
        }
    }
    text
}

/// The summary line: counts by severity, suppressed, files and objects.
pub(crate) fn summary(output: &Output<'_>) -> String {
    let r = output.result;
    let files = output.graph.workspace.sources.len();
    let objects = output.graph.workspace.objects.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let counts = if r.findings.is_empty() {
        "no findings".to_string()
    } else {
        format!(
            "{}, {}, {} info",
            plural(r.count(Severity::Error), "error"),
            plural(r.count(Severity::Warning), "warning"),
            r.count(Severity::Info),
        )
    };
    if let Some(inventory) = output.inventory {
        return format!(
            "kstor: {counts} ({} suppressed) in {} from {}",
            r.suppressed,
            plural(objects, "object"),
            inventory.source
        );
    }
    format!(
        "kstor: {counts} ({} suppressed) in {}, {}",
        r.suppressed,
        plural(files, "file"),
        plural(objects, "object"),
    )
}

pub(crate) fn render(output: &Output<'_>, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() }.decor_style(DecorStyle::Ascii);
    if let Some(inventory) = output.inventory {
        inventory.write_text(out)?;
    }
    // Findings arrive sorted by file, line and column, so each file's findings are together;
    // findings on cluster objects (no file) come sorted by namespace and get a heading per
    // namespace in place of the file name.
    let mut namespace: Option<Option<&str>> = None;
    for reported in &output.result.findings {
        if reported.position.is_none()
            && let Some(object) = reported.object(output.graph)
            && namespace != Some(object.namespace.as_deref())
        {
            namespace = Some(object.namespace.as_deref());
            match &object.namespace {
                Some(ns) => writeln!(out, "--- namespace {ns} ---\n")?,
                None => writeln!(out, "--- cluster-scoped objects ---\n")?,
            }
        }
        let groups = render_one(output, reported);
        writeln!(out, "{}\n", renderer.render(&groups))?;
    }
    writeln!(out, "{}", summary(output))
}
