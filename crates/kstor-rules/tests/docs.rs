//! docs/rules/*.md must match what the rules' doc comments generate.
//! Regenerate with `KSTOR_BLESS=1 cargo test -p kstor-rules --test docs`.

use std::path::PathBuf;

#[test]
fn generated_rule_docs_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let bless = std::env::var_os("KSTOR_BLESS").is_some();
    let mut stale = Vec::new();
    let pages = kstor_rules::docs::pages();
    for (name, expected) in &pages {
        let path = dir.join(name);
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if &actual != expected {
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, expected).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    // No page for a rule that no longer exists.
    for entry in std::fs::read_dir(&dir).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !pages.iter().any(|(n, _)| *n == name) {
            if bless {
                std::fs::remove_file(dir.join(&name)).unwrap();
            } else {
                stale.push(format!("{name} (no such rule)"));
            }
        }
    }
    // The README's rule table.
    let readme_path = dir.join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let expected =
        kstor_rules::docs::readme_with_table(&readme).expect("README has the rules:start/end markers");
    if expected != readme {
        if bless {
            std::fs::write(&readme_path, expected).unwrap();
        } else {
            stale.push("../../README.md (rule table)".into());
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is out of date: {stale:?}; run `KSTOR_BLESS=1 cargo test -p kstor-rules --test docs`"
    );
}
