//! A small string-to-string map (labels, annotations, parameters, env).
//!
//! Kubernetes maps hold a handful of entries; a sorted `Vec` costs a fraction of a
//! `BTreeMap`'s node allocation (about 550 bytes even for one entry), which adds up over tens
//! of thousands of objects.

use std::collections::BTreeMap;

/// A map from string keys to string values, sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StrMap(Vec<(String, String)>);

impl StrMap {
    /// An empty map.
    pub fn new() -> Self {
        StrMap(Vec::new())
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|i| &self.0[i].1)
    }

    /// Whether the key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets a key, replacing an earlier value.
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<String, String>> for StrMap {
    fn from(map: BTreeMap<String, String>) -> Self {
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.shrink_to_fit();
        StrMap(entries)
    }
}

impl FromIterator<(String, String)> for StrMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut map = StrMap::new();
        map.extend(iter);
        map
    }
}

impl Extend<(String, String)> for StrMap {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
        self.0.shrink_to_fit();
    }
}

impl<'a> IntoIterator for &'a StrMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_keys() {
        let mut map: StrMap =
            [("b", "2"), ("a", "1"), ("b", "3")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        assert_eq!(map.get("b").map(String::as_str), Some("3"));
        assert_eq!(map.len(), 2);
        map.insert("0".into(), "x".into());
        let keys: Vec<_> = map.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["0", "a", "b"]);
        assert!(!map.contains_key("c"));
    }
}
