//! Document URIs ↔ file paths, and the keys documents are known by.
//!
//! A `file:` URI is keyed by its decoded path, so a document the client opens and the same
//! file read from disk are one source, whatever the client percent-encodes (VS Code encodes
//! `:`, others do not). Any other URI (`untitled:Untitled-1`) is keyed by its text.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// Bytes escaped in a path written into a URI (RFC 3986 path characters stay as they are).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The path of a `file:` URI (`file:///tmp/a%20b.yaml` → `/tmp/a b.yaml`); `None` for other
/// schemes or a path that is not UTF-8 once decoded.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let scheme_end = text.find(':')?;
    if !text[..scheme_end].eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = &text[scheme_end + 1..];
    // `file:///p` and `file://host/p`: the authority (a host, usually empty) is dropped.
    let path = match rest.strip_prefix("//") {
        Some(after) => &after[after.find('/')?..],
        None => rest,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    // `/c:/x` on Windows is `c:/x`.
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if cfg!(windows) && drive.is_ascii_alphabetic() => decoded[1..].to_string(),
        _ => decoded.into_owned(),
    };
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    let text = if text.starts_with('/') { text } else { format!("/{text}") };
    Uri::from_str(&format!("file://{}", utf8_percent_encode(&text, PATH))).ok()
}

/// The key of a document: its path for a `file:` URI, else the URI itself.
pub fn key_of(uri: &Uri) -> String {
    match path_of(uri) {
        Some(path) => path.display().to_string(),
        None => uri.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        Uri::from_str(text).unwrap()
    }

    #[test]
    fn file_uris_round_trip_through_paths() {
        let path = Path::new("/tmp/my dir/ünïcode#1.yaml");
        let encoded = uri_of(path).unwrap();
        assert_eq!(encoded.as_str(), "file:///tmp/my%20dir/%C3%BCn%C3%AFcode%231.yaml");
        assert_eq!(path_of(&encoded).unwrap(), path);
        // Encoded differently by another client: the same key.
        assert_eq!(key_of(&uri("file:///tmp/my%20dir/%c3%bcn%c3%afcode%231.yaml")), key_of(&encoded));
        assert_eq!(path_of(&uri("file://localhost/etc/x.yaml")).unwrap(), Path::new("/etc/x.yaml"));
    }

    #[test]
    fn other_schemes_are_keyed_by_their_text() {
        let untitled = uri("untitled:Untitled-1");
        assert_eq!(path_of(&untitled), None);
        assert_eq!(key_of(&untitled), "untitled:Untitled-1");
        assert!(path_of(&uri("file:///bad%FF")).is_none(), "not UTF-8");
    }
}
