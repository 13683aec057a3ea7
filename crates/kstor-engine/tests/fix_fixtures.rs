//! Fix fixture pairs: for every rule with a `fixed/` folder, each `bad/` file (with the
//! rule's `context/`) is fixed with only that rule enabled and unsafe fixes included, and must
//! equal `fixed/<file>`. Then, on the fixed bundle:
//! - fixing again changes nothing (idempotence);
//! - no finding of the rule remains in the file (but suggestions), and fixing the bundle with
//!   every rule enabled leaves no finding that was not there before (a fix never introduces
//!   a finding);
//!
//! `KSTOR_BLESS=1 cargo test -p kstor-engine --test fix_fixtures` writes missing `fixed/`
//! files for review (it never overwrites one).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kstor_engine::{Engine, FixOptions};
use libtest_mimic::{Arguments, Failed, Trial};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kstor-rules/fixtures")
}

fn read_dir(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Everything found, as (code, file, object, path) keys.
fn finding_keys(engine: &Engine, files: &[(String, String)]) -> BTreeSet<String> {
    let (graph, result) = engine.lint_texts(files);
    result
        .findings
        .iter()
        .map(|r| {
            let object =
                r.finding.object().map(|o| graph.object(o).reference.to_string()).unwrap_or_default();
            format!("{} {} {}", r.finding.rule.code, object, r.finding.message)
        })
        .collect()
}

fn check(
    code: &str,
    file: &str,
    input: &str,
    expected: Option<String>,
    context: &[(String, String)],
) -> Result<(), Failed> {
    let engine = Engine::with_rules(&[code]).map_err(|e| e.to_string())?;
    let mut bundle = vec![(format!("bad/{file}"), input.to_string())];
    bundle.extend(context.iter().map(|(n, t)| (format!("context/{n}"), t.clone())));
    let outcome = engine.fix_texts(&bundle, FixOptions { unsafe_fixes: true });
    let fixed = &outcome.sources[0].fixed;
    let expected_path = fixtures_root().join(code).join("fixed").join(file);
    let Some(expected) = expected else {
        if std::env::var_os("KSTOR_BLESS").is_some() {
            std::fs::write(&expected_path, fixed).map_err(|e| e.to_string())?;
            return Err(format!("wrote {} for review", expected_path.display()).into());
        }
        return Err(format!("{} is missing (KSTOR_BLESS=1 writes it)", expected_path.display()).into());
    };
    if *fixed != expected {
        return Err(format!(
            "fixed text differs from fixed/{file}:\n--- got\n{fixed}\n--- expected\n{expected}"
        )
        .into());
    }
    if outcome.fixed() == 0 {
        return Err("no fix was applied".into());
    }
    if !outcome.sources.iter().any(|s| s.changed()) {
        return Err("the fix changed nothing".into());
    }
    // Idempotence: the fixed bundle has nothing left to fix.
    let files: Vec<(String, String)> =
        outcome.sources.iter().map(|s| (s.name.clone(), s.fixed.clone())).collect();
    let again = engine.fix_texts(&files, FixOptions { unsafe_fixes: true });
    if again.sources.iter().any(|s| s.changed()) {
        return Err("fixing the fixed files changed them again".into());
    }
    // No new finding of any rule once every rule's fixes have run (one rule's fix may leave
    // work for another, e.g. ReadWriteOnce then ReadWriteOncePod).
    let all = Engine::default();
    let everything = all.fix_texts(&bundle, FixOptions { unsafe_fixes: true });
    let all_fixed: Vec<(String, String)> =
        everything.sources.iter().map(|s| (s.name.clone(), s.fixed.clone())).collect();
    let before = finding_keys(&all, &bundle);
    let after = finding_keys(&all, &all_fixed);
    let new: Vec<&String> = after.difference(&before).collect();
    if !new.is_empty() {
        return Err(format!("the fix introduced findings: {new:#?}").into());
    }
    // The fixed findings are gone: none of the rule remains in the fixed file, except those
    // whose fix is only a suggestion.
    let (graph, result) = engine.lint_texts(&files);
    let remaining: Vec<&str> = result
        .findings
        .iter()
        .filter(|r| {
            r.finding.fix.as_ref().is_none_or(|f| f.applicability != kstor_rules::Applicability::DisplayOnly)
        })
        .filter(|r| {
            r.position
                .as_ref()
                .is_some_and(|p| graph.workspace.sources[p.source.0 as usize].name == files[0].0)
        })
        .map(|r| r.finding.message.as_str())
        .collect();
    if !remaining.is_empty() {
        return Err(format!("findings remain after fixing: {remaining:#?}").into());
    }
    Ok(())
}

/// The kinds of fix the rule's findings on its `bad/` fixtures carry are exactly the kinds the
/// rule declares (`fixes: [...]`, shown by `kstor explain` and the docs), and a rule with
/// fixes to apply has fixture pairs.
fn check_declared_kinds(code: &str, dir: &Path, context: &[(String, String)]) -> Result<(), Failed> {
    let rule = kstor_rules::registry::find(code).ok_or("no such rule")?;
    let declared: BTreeSet<&str> = rule.meta().fixes.iter().map(|a| a.as_str()).collect();
    let engine = Engine::with_rules(&[code]).map_err(|e| e.to_string())?;
    let mut emitted = BTreeSet::new();
    for (file, input) in read_dir(&dir.join("bad")) {
        let mut bundle = vec![(format!("bad/{file}"), input)];
        bundle.extend(context.iter().map(|(n, t)| (format!("context/{n}"), t.clone())));
        let (_, result) = engine.lint_texts(&bundle);
        emitted.extend(
            result.findings.iter().filter_map(|r| r.finding.fix.as_ref()).map(|f| f.applicability.as_str()),
        );
    }
    if emitted != declared {
        return Err(format!("declared fixes {declared:?}, but its bad fixtures carry {emitted:?}").into());
    }
    let applies = declared.contains("safe") || declared.contains("unsafe");
    if applies && !dir.join("fixed").is_dir() {
        return Err("the rule has fixes to apply but no fixed/ fixture pairs".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let mut codes: Vec<PathBuf> =
        std::fs::read_dir(fixtures_root()).unwrap().map(|e| e.unwrap().path()).collect();
    codes.sort();
    for dir in codes {
        let code = dir.file_name().unwrap().to_string_lossy().into_owned();
        let context = read_dir(&dir.join("context"));
        if dir.join("bad").is_dir() {
            let (code, context, dir) = (code.clone(), context.clone(), dir.clone());
            trials.push(Trial::test(format!("{code}/declared-fixes"), move || {
                check_declared_kinds(&code, &dir, &context)
            }));
        }
        if !dir.join("fixed").is_dir() {
            continue;
        }
        let expected: Vec<(String, String)> = read_dir(&dir.join("fixed"));
        for (file, input) in read_dir(&dir.join("bad")) {
            let want = expected.iter().find(|(n, _)| *n == file).map(|(_, t)| t.clone());
            if want.is_none() && std::env::var_os("KSTOR_BLESS").is_none() {
                // No pair: the file's findings have no fix to apply (suggestions only).
                continue;
            }
            let (code, context) = (code.clone(), context.clone());
            trials.push(Trial::test(format!("{code}/fixed/{file}"), move || {
                check(&code, &file, &input, want, &context)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
