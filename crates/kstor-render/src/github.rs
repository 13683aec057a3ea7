//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`).

use std::io::{self, Write};

use kstor_rules::Severity;

use crate::{Output, file_name};

/// Escapes the message part of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) fn render(output: &Output<'_>, out: &mut dyn Write) -> io::Result<()> {
    for r in &output.result.findings {
        let f = &r.finding;
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = Vec::new();
        if let (Some(file), Some(p)) = (file_name(output, r.position.as_ref()), &r.position) {
            properties.push(format!("file={}", escape_property(&file)));
            properties.push(format!("line={}", p.start.line));
            properties.push(format!("col={}", p.start.column));
            properties.push(format!("endLine={}", p.end.line));
            properties.push(format!("endColumn={}", p.end.column));
        }
        properties.push(format!("title={}", escape_property(&format!("{} {}", f.rule.code, f.rule.name))));
        let mut message = f.message.clone();
        if r.position.is_none()
            && let Some(object) = r.object(output.graph)
        {
            message = format!("{}: {message}", object.slug());
        }
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(out, "::{command} {}::{}", properties.join(","), escape_data(&message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_the_workflow_command_rules() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a,b:c"), "a%2Cb%3Ac");
    }
}
