//! Reading what pagination needs from one page of a list without decoding it: the list's type,
//! the continue token and the number of items. The items are skipped (`IgnoredAny` checks the
//! syntax and allocates nothing); the page's text goes to the loader as it is.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};

/// What a page says about itself.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Page {
    /// `kind` of the list, e.g. `PersistentVolumeList`.
    pub kind: String,
    /// `apiVersion` of the list (and of its items).
    pub api_version: String,
    /// `metadata.continue`; empty on the last page.
    pub next: String,
    /// Number of items.
    pub items: usize,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    kind: String,
    #[serde(default, rename = "apiVersion")]
    api_version: String,
    #[serde(default)]
    metadata: ListMeta,
    items: Option<ItemCount>,
}

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(default, rename = "continue")]
    next: Option<String>,
}

/// The length of a JSON array, its elements skipped.
struct ItemCount(usize);

impl<'de> Deserialize<'de> for ItemCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Count;
        impl<'de> Visitor<'de> for Count {
            type Value = ItemCount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of items")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemCount, A::Error> {
                let mut count = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(ItemCount(count))
            }
        }
        deserializer.deserialize_seq(Count)
    }
}

/// Scans a page; the error says what is wrong with it, in words.
pub(crate) fn scan(text: &str) -> Result<Page, String> {
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("no items array ({e}) in the answer"),
        _ => format!("not JSON ({e})"),
    })?;
    let items = envelope.items.ok_or("no items array in the answer")?.0;
    Ok(Page {
        kind: envelope.kind,
        api_version: envelope.api_version,
        next: envelope.metadata.next.unwrap_or_default(),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_type_token_and_count_only() {
        let page = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"abc"},
            "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"spec":{"x":[1,2,{}]}}]}"#;
        let expected =
            Page { kind: "PodList".into(), api_version: "v1".into(), next: "abc".into(), items: 2 };
        assert_eq!(scan(page), Ok(expected));
        let last = scan(r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}"#).unwrap();
        assert_eq!((last.next.as_str(), last.items), ("", 0));
    }

    #[test]
    fn refuses_what_is_not_a_list() {
        assert!(scan("<html>").unwrap_err().starts_with("not JSON"));
        assert!(scan(r#"{"kind":"PodList","items":[{"a":}]}"#).unwrap_err().starts_with("not JSON"));
        assert!(scan(r#"{"kind":"Status"}"#).unwrap_err().contains("no items array"));
        assert!(scan(r#"{"kind":"PodList","items":null}"#).unwrap_err().contains("no items array"));
        assert!(scan(r#"{"kind":"PodList","items":{}}"#).unwrap_err().contains("no items array"));
    }
}
