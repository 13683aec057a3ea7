//! `kstor completions` and `kstor man`: every subcommand and every long flag of the clap
//! definition (walked, not listed) appears in the bash completion and in the man pages.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use clap::CommandFactory;
use kstor::cli::Cli;

/// A visible command of the tree: its path below `kstor` and its long flags.
struct Node {
    path: Vec<String>,
    flags: Vec<String>,
    subcommands: Vec<String>,
}

/// Every visible command, depth first; `help` (clap's own) is not a command of kstor's.
fn tree() -> Vec<Node> {
    fn walk(command: &clap::Command, path: Vec<String>, out: &mut Vec<Node>) {
        let visible: Vec<&clap::Command> =
            command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help").collect();
        out.push(Node {
            path: path.clone(),
            flags: command
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect(),
            subcommands: visible.iter().map(|s| s.get_name().to_string()).collect(),
        });
        for sub in visible {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
        }
    }
    let mut command = Cli::command();
    // Building adds --help and --version, which the generators see too.
    command.build();
    let mut nodes = Vec::new();
    walk(&command, Vec::new(), &mut nodes);
    nodes
}

fn kstor() -> Command {
    Command::cargo_bin("kstor").unwrap()
}

#[test]
fn the_tree_is_kstors() {
    let nodes = tree();
    let names: Vec<&str> = nodes[0].subcommands.iter().map(String::as_str).collect();
    for expected in ["lint", "report", "completions", "man"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let lint = nodes.iter().find(|n| n.path == ["lint"]).unwrap();
    assert!(lint.flags.contains(&"--fail-on".to_string()), "{:?}", lint.flags);
}

/// The `opts="…"` words of the bash completion's case for `label`.
fn bash_opts<'a>(script: &'a str, label: &str) -> Vec<&'a str> {
    let case = format!("\n        {label})\n");
    let start = script.find(&case).unwrap_or_else(|| panic!("no case {label} in the bash completion"));
    let rest = &script[start + case.len()..];
    let line = rest.lines().next().unwrap().trim();
    let opts = line.strip_prefix("opts=\"").and_then(|l| l.strip_suffix('"')).unwrap_or_else(|| {
        panic!("case {label} does not start with opts: {line}");
    });
    opts.split_whitespace().collect()
}

#[test]
fn bash_completion_has_every_subcommand_and_long_flag() {
    let out = kstor().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("complete -F _kstor"), "registers the completion for kstor");
    let mut checked = 0;
    for node in tree() {
        // clap_complete names a command's case `kstor__subcmd__lint`.
        let label = std::iter::once("kstor".to_string())
            .chain(node.path.iter().map(|p| format!("subcmd__{}", p.replace('-', "__"))))
            .collect::<Vec<_>>()
            .join("__");
        let opts = bash_opts(&script, &label);
        for word in node.flags.iter().chain(&node.subcommands) {
            assert!(opts.contains(&word.as_str()), "{label}: {word} is not completed: {opts:?}");
            checked += 1;
        }
        if let Some(name) = node.path.last() {
            let parent = label.rsplit_once("__subcmd__").unwrap().0;
            assert!(script.contains(&format!("{parent},{name})")), "{name} is not recognised after {parent}");
        }
    }
    // The minimal linter (`--features lint`) has four commands of its own; the default build all.
    let at_least = if cfg!(feature = "audit") { 100 } else { 30 };
    assert!(checked > at_least, "only {checked} words checked");
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("bash", "_kstor()"),
        ("zsh", "#compdef kstor"),
        ("fish", "complete -c kstor"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[kstor]"),
    ] {
        let out = kstor().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: no {marker}");
        assert!(script.contains("fail-on"), "{shell}: lint's flags are in it");
    }
    let out = kstor().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

#[test]
fn a_failed_write_is_an_error_not_a_panic() {
    let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kstor"))
        .args(["completions", "zsh"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("kstor: error: cannot write the completion script"), "{stderr}");
}

/// The text of a man page with roff's escaped hyphens restored.
fn page(dir: &Path, name: &str) -> String {
    let roff = fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    roff.replace("\\-", "-")
}

/// Whether `text` has `word` not followed by more of a flag (`--config` is not `--config-x`).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word)
        .any(|(i, _)| !text[i + word.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-'))
}

#[test]
fn man_pages_have_every_subcommand_and_long_flag() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("share/man/man1");
    let out = kstor().arg("man").arg(&man).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let nodes = tree();
    let mut expected: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "{}.1",
                ["kstor".to_string()].iter().chain(&n.path).cloned().collect::<Vec<_>>().join("-")
            )
        })
        .collect();
    expected.sort();
    let mut written: Vec<String> =
        fs::read_dir(&man).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, expected, "one page per command, and nothing else (no temporary files)");
    for node in &nodes {
        let name = ["kstor".to_string()].iter().chain(&node.path).cloned().collect::<Vec<_>>().join("-");
        let text = page(&man, &format!("{name}.1"));
        assert!(text.contains(&format!(".TH {name}")), "{name}: title");
        for flag in &node.flags {
            assert!(has_word(&text, flag), "{name}.1 does not document {flag}");
        }
        for sub in &node.subcommands {
            assert!(text.contains(&format!("{name}-{sub}(1)")), "{name}.1 does not list {sub}");
        }
    }
}

#[test]
fn man_replaces_old_pages_and_reports_bad_directories() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("kstor-lint.1"), "stale").unwrap();
    let out = kstor().arg("man").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(page(dir.path(), "kstor-lint.1").contains("--fail-on"));

    let file = dir.path().join("kstor.1");
    let out = kstor().arg("man").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("kstor: error: ") && stderr.contains("kstor.1"), "{stderr}");
}
