//! `kstor lsp` driven over stdio with JSON-RPC, as an editor drives it: initialize on a
//! workspace with a manifest on disk and a `.kstor.yaml`, open a document that refers to the
//! file on disk, and check the published diagnostics against `kstor lint --format json` of the
//! same files, then hover, code actions, incremental changes (UTF-16 columns), a bad YAML
//! document, config reloads, close, shutdown and exit.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use lsp_client::{Client, apply_edits, file_uri, position};
use serde_json::{Value, json};

const CLASSES: &str = "\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
reclaimPolicy: Retain
parameters:
  type: gp3
  encrypted: \"true\"
";

const DATABASE: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: pg
  namespace: db
spec:
  replicas: 1
  serviceName: pg
  selector:
    matchLabels: {app: pg}
  template:
    metadata:
      labels: {app: pg}
    spec:
      securityContext: {fsGroup: 999, fsGroupChangePolicy: OnRootMismatch}
      containers:
        - name: postgres
          image: postgres:16
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        storageClassName: fast
        accessModes: [ReadWriteMany]
        resources:
          requests:
            storage: 10Gi
";

/// One line of JSON; `𝄞` (two UTF-16 units) and `é` come before the class name.
const CLAIM: &str = "{\"apiVersion\": \"v1\", \"kind\": \"PersistentVolumeClaim\", \"metadata\": {\"name\": \"cache\", \"namespace\": \"db\", \"annotations\": {\"note\": \"𝄞 é\"}}, \"spec\": {\"storageClassName\": \"missing-class\", \"accessModes\": [\"ReadWriteOnce\"], \"resources\": {\"requests\": {\"storage\": \"1Gi\"}}}}\n";

/// A class with a safe fix (KS701) and unsafe ones (KS101, KS804).
const ZONAL_CLASS: &str = "\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: zonal
provisioner: ebs.csi.aws.com
volumeBindingMode: Immediate
";

const BAD: &str = "apiVersion: v1\nkind: [unclosed\nmetadata: {name: x}\n";

/// KS406 (no snapshot schedule) would fire on the database; the config ignores it.
const CONFIG: &str = "ignore: [KS406]\n";

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for (name, text) in [
            ("classes.yaml", CLASSES),
            ("db.yaml", DATABASE),
            ("claim.json", CLAIM),
            ("bad.yaml", BAD),
            (".kstor.yaml", CONFIG),
        ] {
            std::fs::write(root.join(name), text).unwrap();
        }
        Workspace { _dir: dir, root }
    }

    fn uri(&self, name: &str) -> String {
        file_uri(&self.root.join(name))
    }

    /// `kstor lint --format json` of the workspace: the findings of one file.
    fn lint(&self, file: &str) -> Vec<Value> {
        let output = Command::cargo_bin("kstor")
            .unwrap()
            .current_dir(&self.root)
            .args(["lint", "--format", "json", "."])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let findings = report["findings"].as_array().unwrap();
        findings.iter().filter(|f| f["file"] == format!("./{file}")).cloned().collect()
    }
}

fn server() -> Client {
    Client::spawn(Path::new(env!("CARGO_BIN_EXE_kstor")), &["lsp", "--stdio"])
}

fn open(client: &mut Client, uri: &str, language: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
    );
}

/// Waits until the server has handled everything sent so far (a request is answered after
/// the changes before it are published), then drops what it sent.
fn sync(client: &mut Client) {
    let far = json!({"line": 0, "character": 0});
    client.request("textDocument/hover", json!({"textDocument": {"uri": "untitled:sync"}, "position": far}));
    client.clear();
}

fn codes(diagnostics: &Value) -> Vec<&str> {
    diagnostics["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// The UTF-16 column (0-based) of a lint finding's character column (1-based) on its line.
fn utf16_column(text: &str, line: u64, column: u64) -> u64 {
    let line_text = text.lines().nth(line as usize - 1).unwrap();
    line_text.chars().take(column as usize - 1).map(|c| c.len_utf16() as u64).sum()
}

/// Checks published diagnostics against lint's findings for the same file: codes, severities,
/// ranges (lint's character columns converted to UTF-16), messages and related locations.
fn assert_matches_lint(published: &Value, findings: &[Value], text: &str, workspace: &Workspace) {
    let diagnostics = published["diagnostics"].as_array().unwrap();
    let lint_codes: Vec<&str> = findings.iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes(published), lint_codes, "{published:#}");
    for (diagnostic, finding) in diagnostics.iter().zip(findings) {
        let line = finding["line"].as_u64().unwrap();
        let end_line = finding["endLine"].as_u64().unwrap();
        let expected = json!({
            "start": {"line": line - 1, "character": utf16_column(text, line, finding["column"].as_u64().unwrap())},
            "end": {"line": end_line - 1, "character": utf16_column(text, end_line, finding["endColumn"].as_u64().unwrap())},
        });
        assert_eq!(diagnostic["range"], expected, "{} range", finding["code"]);
        assert_eq!(diagnostic["source"], "kstor");
        let severity = match finding["severity"].as_str().unwrap() {
            "error" => 1,
            "warning" => 2,
            _ => 3,
        };
        assert_eq!(diagnostic["severity"], severity);
        let message = diagnostic["message"].as_str().unwrap();
        assert!(message.starts_with(finding["message"].as_str().unwrap()), "{message}");
        let href = diagnostic["codeDescription"]["href"].as_str().unwrap();
        assert!(href.ends_with(&format!("/docs/rules/{}.md", finding["code"].as_str().unwrap())), "{href}");
        let related: Vec<(String, u64, String)> = diagnostic["relatedInformation"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| {
                        let uri = r["location"]["uri"].as_str().unwrap().to_string();
                        let line = r["location"]["range"]["start"]["line"].as_u64().unwrap() + 1;
                        (uri, line, r["message"].as_str().unwrap().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<(String, u64, String)> = finding["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let file = r["file"].as_str().unwrap().trim_start_matches("./");
                (workspace.uri(file), r["line"].as_u64().unwrap(), r["message"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(related, expected, "{} related", finding["code"]);
    }
}

#[test]
fn diagnostics_hover_code_actions_and_changes_over_stdio() {
    let workspace = Workspace::new();
    let mut client = server();
    let init = client.initialize(&file_uri(&workspace.root), json!({"debounceMs": 5}));
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync: {init}");
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["serverInfo"]["name"], "kstor");
    // The server asks to watch the manifests and the config.
    let (_, registration) = client.wait_for(|m| m["method"] == "client/registerCapability");
    assert_eq!(registration["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");

    // The database refers to the class on disk (not open): related locations point there.
    let db = workspace.uri("db.yaml");
    open(&mut client, &db, "yaml", DATABASE);
    let published = client.diagnostics(&db);
    assert_eq!(published["version"], 1);
    assert_matches_lint(&published, &workspace.lint("db.yaml"), DATABASE, &workspace);
    let found = codes(&published);
    assert!(found.contains(&"KS201") && !found.contains(&"KS406"), "config ignores KS406: {found:?}");
    let ks201 =
        published["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "KS201").unwrap().clone();
    let modes = DATABASE.find("ReadWriteMany").unwrap();
    assert_eq!(ks201["range"]["start"], position(DATABASE, modes));
    assert_eq!(ks201["range"]["end"], position(DATABASE, modes + "ReadWriteMany".len()));
    let related = ks201["relatedInformation"].as_array().unwrap();
    assert!(related.iter().any(|r| r["location"]["uri"] == workspace.uri("classes.yaml")), "{related:?}");
    // Nothing is published for files that are not open.
    let classes = workspace.uri("classes.yaml");
    let stray = client.try_wait_for(Duration::from_millis(200), |m| m["params"]["uri"] == classes);
    assert!(stray.is_none(), "{stray:?}");

    // Hover on the claim template's class: the chain through the class on disk.
    let at = DATABASE.find("storageClassName: fast").unwrap() + "storageClassName: f".len();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": db}, "position": position(DATABASE, at)}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    for expected in [
        "statefulset `db/pg` (database, postgres)",
        "claim template data of statefulset db/pg",
        "ReadWriteMany",
        "`fast`",
        "Amazon EBS (`ebs.csi.aws.com`)",
        "topology: zonal",
        "VolumeSnapshotClass**: none for `ebs.csi.aws.com`",
    ] {
        assert!(markdown.contains(expected), "missing {expected:?} in:\n{markdown}");
    }
    assert_eq!(hover["contents"]["kind"], "markdown");
    // Not on a storage name: no hover.
    let at = DATABASE.find("image: postgres").unwrap();
    let none = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": db}, "position": position(DATABASE, at)}),
    );
    assert_eq!(none, Value::Null);

    // Code actions at the access mode: KS201's fix (unsafe: not preferred), and the edit it
    // makes, applied as an incremental change, leaves no finding.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": db}, "range": ks201["range"], "context": {"diagnostics": [ks201]}}),
    );
    let actions = actions.as_array().unwrap();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Fix KS201"))
        .unwrap_or_else(|| panic!("no KS201 fix in {actions:#?}"));
    assert!(fix["title"].as_str().unwrap().contains("unsafe"), "{fix}");
    assert_eq!(fix["kind"], "quickfix");
    assert!(fix.get("isPreferred").is_none_or(|p| p == false), "unsafe fixes are not preferred: {fix}");
    assert_eq!(fix["diagnostics"][0]["code"], "KS201");
    let edits = fix["edit"]["changes"][&db].as_array().unwrap().clone();
    let fixed = apply_edits(DATABASE, &edits);
    assert!(fixed.contains("accessModes: [ReadWriteOnce]"), "{fixed}");
    // Actions only for the requested range: none at the image line.
    let image = position(DATABASE, DATABASE.find("image:").unwrap());
    let elsewhere = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": db}, "range": {"start": image, "end": image}, "context": {"diagnostics": []}}),
    );
    assert_eq!(elsewhere, json!([]));

    let changes: Vec<Value> =
        edits.iter().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": db, "version": 2}, "contentChanges": changes}),
    );
    let published = client.diagnostics(&db);
    assert_eq!(published["version"], 2);
    for gone in ["KS201", "KS204", "KS502"] {
        assert!(
            !codes(&published).contains(&gone),
            "the fix clears KS201 and what followed from it: {published:#}"
        );
    }
    std::fs::write(workspace.root.join("db.yaml"), &fixed).unwrap();
    assert_matches_lint(&published, &workspace.lint("db.yaml"), &fixed, &workspace);
    std::fs::write(workspace.root.join("db.yaml"), DATABASE).unwrap();
    // Undo it with a whole-text change: the findings are back.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": db, "version": 3}, "contentChanges": [{"text": DATABASE}]}),
    );
    assert!(codes(&client.diagnostics(&db)).contains(&"KS201"));

    // UTF-16 columns: the claim's class sits after `𝄞` on one line.
    let claim = workspace.uri("claim.json");
    open(&mut client, &claim, "json", CLAIM);
    let published = client.diagnostics(&claim);
    assert_matches_lint(&published, &workspace.lint("claim.json"), CLAIM, &workspace);
    assert_eq!(codes(&published), ["KS703"]);
    let name = CLAIM.find("missing-class").unwrap();
    assert_eq!(
        published["diagnostics"][0]["range"]["start"]["character"],
        CLAIM[..CLAIM.find("\"storageClassName\"").unwrap()].encode_utf16().count()
    );
    // An incremental change in UTF-16 positions after the surrogate pair names the class on disk.
    let (start, end) = (position(CLAIM, name), position(CLAIM, name + "missing-class".len()));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": claim, "version": 2},
               "contentChanges": [{"range": {"start": start, "end": end}, "text": "fast"}]}),
    );
    assert_eq!(client.diagnostics(&claim)["diagnostics"], json!([]));
    let text = CLAIM.replace("missing-class", "fast");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": claim}, "position": position(&text, text.find("\"fast\"").unwrap() + 2)}),
    );
    assert!(hover["contents"]["value"].as_str().unwrap().contains("claim db/cache"), "{hover}");

    // Bad YAML: lint's KS001, and the server carries on.
    let bad = workspace.uri("bad.yaml");
    open(&mut client, &bad, "yaml", BAD);
    let published = client.diagnostics(&bad);
    assert_matches_lint(&published, &workspace.lint("bad.yaml"), BAD, &workspace);
    assert_eq!(codes(&published), ["KS001"]);
    // Out-of-range positions and unknown documents are answered, not fatal.
    let far = json!({"line": 999, "character": 999});
    let hover = client.request("textDocument/hover", json!({"textDocument": {"uri": bad}, "position": far}));
    assert_eq!(hover, Value::Null);
    let unknown = json!({"uri": "file:///nowhere/x.yaml"});
    assert_eq!(
        client.request("textDocument/hover", json!({"textDocument": unknown, "position": far})),
        Value::Null
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": bad, "version": 2},
               "contentChanges": [{"range": {"start": far, "end": far}, "text": "\u{0}"}]}),
    );
    assert_eq!(codes(&client.diagnostics(&bad)), ["KS001"], "a NUL past the end is still bad YAML");
    let response = client.request_raw("textDocument/hover", json!({"textDocument": {"uri": 7}}));
    assert_eq!(response["error"]["code"], -32602, "invalid params: {response}");
    let response = client.request_raw("workspace/symbol", json!({"query": "x"}));
    assert_eq!(response["error"]["code"], -32601, "method not found: {response}");

    // Closing clears the document's diagnostics.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": bad}}));
    assert_eq!(client.diagnostics(&bad)["diagnostics"], json!([]));

    // The config changes on disk: without the ignore, KS406 appears on the open database.
    sync(&mut client);
    std::fs::write(workspace.root.join(".kstor.yaml"), "ignore: []\n").unwrap();
    let config = workspace.uri(".kstor.yaml");
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": config, "type": 2}]}));
    let published = client.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == db
            && codes(&m["params"]).contains(&"KS406")
    });
    assert!(codes(&published.1["params"]).contains(&"KS201"));
    // A bad config: an error message and a diagnostic on the file; the previous config stays.
    std::fs::write(workspace.root.join(".kstor.yaml"), "ignore: []\nselct: [KS201]\n").unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": config, "type": 2}]}));
    let (_, message) = client.wait_for(|m| m["method"] == "window/showMessage");
    assert_eq!(message["params"]["type"], 1);
    assert!(message["params"]["message"].as_str().unwrap().contains("unknown field `selct`"), "{message}");
    let problem = client.diagnostics(&config);
    assert_eq!(problem["diagnostics"][0]["range"]["start"], json!({"line": 1, "character": 0}));
    assert!(codes(&client.diagnostics(&db)).contains(&"KS406"), "the previous config stays in use");
    // Fixed again: the problem is cleared.
    std::fs::write(workspace.root.join(".kstor.yaml"), CONFIG).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": config, "type": 2}]}));
    assert_eq!(client.diagnostics(&config)["diagnostics"], json!([]));
    assert!(!codes(&client.diagnostics(&db)).contains(&"KS406"));

    // A file on disk goes away: the class and what followed from its driver (KS502, KS204, the
    // related locations in it) leave the open database's diagnostics, as lint of the same files
    // (the claim saved as it is open) says.
    sync(&mut client);
    std::fs::write(workspace.root.join("claim.json"), &text).unwrap();
    std::fs::remove_file(workspace.root.join("classes.yaml")).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": classes, "type": 3}]}));
    let published = client.diagnostics(&db);
    assert!(!codes(&published).contains(&"KS502"), "{published:#}");
    assert_matches_lint(&published, &workspace.lint("db.yaml"), DATABASE, &workspace);

    assert!(client.shutdown().success(), "shutdown and exit: exit code 0");
}

#[test]
fn safe_fixes_are_preferred_and_fix_all_applies_them() {
    // Whichever safe fixes lint reports on this class (KS701 today), the server offers the same.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let text = ZONAL_CLASS;
    std::fs::write(root.join("class.yaml"), text).unwrap();
    let output = Command::cargo_bin("kstor")
        .unwrap()
        .current_dir(&root)
        .args(["lint", "--format", "json", "--no-config", "class.yaml"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let safe: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fix"]["applicability"] == "safe")
        .collect();
    assert!(!safe.is_empty(), "the class has a safe fix: {report:#}");

    let mut client = server();
    client.initialize(&file_uri(&root), json!({}));
    let uri = file_uri(&root.join("class.yaml"));
    open(&mut client, &uri, "yaml", text);
    let published = client.diagnostics(&uri);
    let whole = json!({"start": {"line": 0, "character": 0}, "end": position(text, text.len())});
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": published["diagnostics"]}}),
    );
    for finding in &safe {
        let title = format!("Fix {}: ", finding["code"].as_str().unwrap());
        let action = actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"].as_str().unwrap().starts_with(&title))
            .unwrap_or_else(|| panic!("no {title} in {actions:#}"));
        assert_eq!(action["isPreferred"], true);
        // The same edits as the JSON output's.
        let edits = action["edit"]["changes"][&uri].as_array().unwrap();
        let json_edits = finding["fix"]["edits"].as_array().unwrap();
        assert_eq!(edits.len(), json_edits.len());
        for (edit, json_edit) in edits.iter().zip(json_edits) {
            assert_eq!(edit["newText"], json_edit["content"]);
            assert_eq!(
                edit["range"]["start"]["line"].as_u64().unwrap() + 1,
                json_edit["start"]["line"].as_u64().unwrap()
            );
        }
    }
    // No fix-all unless asked for.
    assert!(actions.as_array().unwrap().iter().all(|a| a["kind"] == "quickfix"), "{actions:#}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": whole,
               "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let fix_all = &actions[0];
    assert_eq!(fix_all["kind"], "source.fixAll.kstor", "{actions:#}");
    let fixed = apply_edits(text, fix_all["edit"]["changes"][&uri].as_array().unwrap());
    // What `kstor lint --fix` writes.
    Command::cargo_bin("kstor")
        .unwrap()
        .current_dir(&root)
        .args(["lint", "--fix", "--no-config", "class.yaml"])
        .output()
        .unwrap();
    assert_eq!(fixed, std::fs::read_to_string(root.join("class.yaml")).unwrap());
    assert_ne!(fixed, text);
    assert!(client.shutdown().success());
}

#[test]
fn exit_without_shutdown_is_exit_code_1_and_no_workspace_is_fine() {
    let mut client = server();
    client.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    client.notify("initialized", json!({}));
    let uri = "untitled:Untitled-1";
    open(&mut client, uri, "yaml", ZONAL_CLASS);
    let published = client.diagnostics(uri);
    assert!(codes(&published).contains(&"KS101"), "{published:#}");
    // A language the server does not lint is ignored.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///x/readme.md", "languageId": "markdown", "version": 1, "text": "# x"}}),
    );
    let stray =
        client.try_wait_for(Duration::from_millis(300), |m| m["params"]["uri"] == "file:///x/readme.md");
    assert!(stray.is_none());
    client.notify("exit", Value::Null);
    assert_eq!(client.close().code(), Some(1));
}

/// The VS Code extension: a package.json that parses, whose `main` exists and starts `kstor lsp`.
#[test]
fn the_vscode_extension_starts_kstor_lsp() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode");
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    assert_eq!(package["name"], "kstor");
    assert!(package["engines"]["vscode"].is_string());
    assert!(package["dependencies"]["vscode-languageclient"].as_str().unwrap().starts_with("^9"));
    let events: Vec<&str> =
        package["activationEvents"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(events.contains(&"onLanguage:yaml") && events.contains(&"onLanguage:json"), "{events:?}");
    assert!(package["contributes"]["configuration"]["properties"]["kstor.path"].is_object());
    let main = dir.join(package["main"].as_str().unwrap());
    let script = std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()));
    assert!(script.contains("args: ['lsp']"), "the extension starts `kstor lsp`");
    assert!(script.contains("kstor.path"), "the binary comes from the kstor.path setting");
    assert!(dir.join("README.md").is_file() && dir.join(".vscodeignore").is_file());
    // What the extension runs is a real subcommand.
    Command::cargo_bin("kstor").unwrap().args(["lsp", "--help"]).assert().success();
}
