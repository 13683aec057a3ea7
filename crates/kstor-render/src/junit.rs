//! `--format junit`: one test suite per file, one failing test case per finding, and a
//! passing case for each file without findings.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::{Output, file_name};

pub(crate) fn render(output: &Output<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<String, Vec<TestCase>> = BTreeMap::new();
    for source in &output.graph.workspace.sources {
        suites.entry(source.name.clone()).or_default();
    }
    for r in &output.result.findings {
        let f = &r.finding;
        // A file is a suite; findings on cluster objects (no file) are grouped per namespace.
        let object = r.object(output.graph);
        let (suite, file) = match file_name(output, r.position.as_ref()) {
            Some(file) => (file.clone(), file),
            None => match object {
                Some(o) => (
                    o.namespace
                        .as_ref()
                        .map_or("cluster-scoped objects".into(), |ns| format!("namespace {ns}")),
                    o.slug(),
                ),
                None => ("-".into(), "-".into()),
            },
        };
        let location =
            r.position.as_ref().map(|p| format!(":{}:{}", p.start.line, p.start.column)).unwrap_or_default();
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(f.message.clone());
        status.set_type(f.severity.as_str());
        status.set_description(format!(
            "{file}{location} {} {} [{}]{}",
            f.rule.code,
            f.rule.name,
            f.severity,
            f.help.as_ref().map(|h| format!("\nhelp: {h}")).unwrap_or_default()
        ));
        let mut case = TestCase::new(format!("{} {} at {file}{location}", f.rule.code, f.rule.name), status);
        case.set_classname(format!("kstor.{}", f.rule.group));
        suites.entry(suite).or_default().push(case);
    }
    let mut report = Report::new("kstor");
    for (file, mut cases) in suites {
        if cases.is_empty() {
            cases.push(TestCase::new(format!("{file} has no findings"), TestCaseStatus::success()));
        }
        let mut suite = TestSuite::new(file);
        suite.add_test_cases(cases);
        report.add_test_suite(suite);
    }
    report.serialize(&mut *out).map_err(io::Error::other)
}
