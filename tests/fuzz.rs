//! Property tests: whatever bytes come in, loading, the graph, every rule and every renderer
//! finish without a panic, and problems are reported as KS001 findings.

use kstor_engine::Engine;
use kstor_render::{Format, Output, render};
use proptest::prelude::*;

fn lint_everything(text: String) {
    let files = vec![("fuzz.yaml".to_string(), text)];
    let (graph, result) = Engine::default().lint_texts(&files);
    for format in [Format::Text, Format::Json, Format::Sarif, Format::Junit, Format::Github] {
        let mut out = Vec::new();
        render(format, &Output::new(&graph, &result), false, &mut out).unwrap();
    }
}

/// Fragments that steer random input towards YAML structure and Kubernetes objects.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("apiVersion: apps/v1\nkind: StatefulSet\n".to_string()),
        Just("apiVersion: v1\nkind: PersistentVolumeClaim\n".to_string()),
        Just("apiVersion: storage.k8s.io/v1\nkind: StorageClass\nprovisioner: ebs.csi.aws.com\n".to_string()),
        Just("kind: List\nitems:\n".to_string()),
        Just("metadata: {name: a, namespace: b}\n".to_string()),
        Just("spec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: postgres\n".to_string()),
        Just("      volumes:\n        - name: d\n          emptyDir: {medium: Memory}\n".to_string()),
        Just("  volumeClaimTemplates:\n    - metadata: {name: d}\n      spec: {accessModes: [ReadWriteMany]}\n".to_string()),
        Just("  accessModes: [ReadWriteOnce, 3, {x: y}]\n".to_string()),
        Just("---\n".to_string()),
        Just("&a [*a]\n".to_string()),
        Just("x: &b {y: 1}\nz: *b\n<<: *b\n".to_string()),
        Just("? [complex]\n: key\n".to_string()),
        Just("\"unterminated\n".to_string()),
        Just("replicas: \"3\"\n".to_string()),
        Just("\t\u{feff}\u{0}\r\n".to_string()),
        "[ -~\n]{0,40}".prop_map(|s| s),
        // Multi-byte characters next to YAML syntax: spans must stay on char boundaries.
        Just("name: é€😀\u{fffd}: [\n".to_string()),
        "[ -~\n\u{e9}\u{20ac}\u{1f600}\u{fffd}\t]{0,24}".prop_map(|s| s),
    ]
}

/// Found by `arbitrary_bytes_never_panic`: a syntax error inside a multibyte character
/// (U+FFFD from invalid UTF-8) made the text renderer slice inside it.
#[test]
fn a_syntax_error_inside_a_multibyte_character_renders() {
    let bytes = [
        123u8, 34, 140, 9, 3, 84, 34, 43, 39, 51, 77, 44, 246, 184, 221, 187, 134, 215, 57, 139, 26, 72, 120,
        227, 1, 76, 188, 223, 60, 100, 131, 25, 155, 240, 240, 7, 92, 252, 50,
    ];
    lint_everything(String::from_utf8_lossy(&bytes).into_owned());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        lint_everything(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn yaml_like_input_never_panics(parts in proptest::collection::vec(fragment(), 0..24)) {
        lint_everything(parts.concat());
    }

    #[test]
    fn indentation_soup_never_panics(lines in proptest::collection::vec((0usize..12, fragment()), 0..30)) {
        let text: String = lines.iter().map(|(indent, f)| format!("{}{}", " ".repeat(*indent), f)).collect();
        lint_everything(text);
    }
}
