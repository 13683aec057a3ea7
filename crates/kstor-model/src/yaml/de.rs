//! A serde `Deserializer` over a [`Node`], so typed Kubernetes objects can be read straight
//! from the span-preserving tree; combined with `serde_path_to_error` a type error comes
//! back with the path of the offending field, which the loader turns into a position.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::node::{Entry, MapIter, Node, SeqIter, Value};
use crate::path::{Path, Segment};

/// How a node is read instead of its real value (used to step over fields already reported
/// as wrong, so decoding can go on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    /// Read as null.
    Null,
    /// Read as an empty mapping.
    EmptyMap,
}

/// Node overrides by node index.
pub type Overrides = HashMap<u32, Override>;

static NO_OVERRIDES: std::sync::LazyLock<Overrides> = std::sync::LazyLock::new(HashMap::new);

/// Deserializes `T` from a node; on failure returns the path of the offending field
/// (relative to `node`) and serde's message.
pub fn from_node<'a, T: de::Deserialize<'a>>(node: Node<'a>) -> Result<T, (Path, String)> {
    decode_with(NodeDeserializer { node, overrides: &NO_OVERRIDES })
}

/// Like [`from_node`], but hides the root's `apiVersion` and `kind` (objects of older API
/// versions such as `extensions/v1beta1` are checked against the current types, whose
/// structure they share), and reads overridden nodes as their override.
pub fn from_object_node<'a, T: de::Deserialize<'a>>(
    node: Node<'a>,
    overrides: &'a Overrides,
) -> Result<T, (Path, String)> {
    decode_with(RootDeserializer(NodeDeserializer { node, overrides }))
}

/// Decodes without path tracking first (errors are rare and tracking costs on every node),
/// then again with `serde_path_to_error` to locate an error.
fn decode_with<'a, T: de::Deserialize<'a>, D>(deserializer: D) -> Result<T, (Path, String)>
where
    D: de::Deserializer<'a, Error = DeError> + Copy,
{
    T::deserialize(deserializer).or_else(|_| {
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = convert_path(error.path());
            (path, error.into_inner().0)
        })
    })
}

fn convert_path(path: &serde_path_to_error::Path) -> Path {
    use serde_path_to_error::Segment as S;
    let mut out = Path::root();
    for segment in path.iter() {
        match segment {
            S::Seq { index } => out.push(Segment::Index(*index)),
            S::Map { key } => out.push(Segment::Key(key.as_str().into())),
            S::Enum { variant } => out.push(Segment::Key(variant.as_str().into())),
            S::Unknown => {}
        }
    }
    out
}

/// The error of [`NodeDeserializer`]: serde's message.
#[derive(Debug)]
pub struct DeError(pub String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// A `serde::Deserializer` reading from a [`Node`].
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'a> {
    node: Node<'a>,
    overrides: &'a Overrides,
}

impl<'a> NodeDeserializer<'a> {
    fn at(&self, node: Node<'a>) -> Self {
        NodeDeserializer { node, overrides: self.overrides }
    }

    fn value(&self) -> Value<'a> {
        match self.overrides.get(&self.node.index()) {
            None => self.node.value(),
            Some(Override::Null) => Value::Null,
            Some(Override::EmptyMap) => Value::Null,
        }
    }

    fn is_empty_map(&self) -> bool {
        self.overrides.get(&self.node.index()) == Some(&Override::EmptyMap)
    }
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_empty_map() {
            return visitor.visit_map(EmptyMap);
        }
        match self.value() {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqAccess { items: items.iter(), de: self }),
            Value::Map(map) => {
                visitor.visit_map(MapAccess { entries: map.iter(), value: None, de: self, skip: &[] })
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value() {
            Value::Null if !self.is_empty_map() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value() {
            Value::Str(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Map(map) if map.len() == 1 => {
                let entry = map.first().expect("one entry");
                visitor.visit_enum(EnumAccess { entry, de: self })
            }
            _ => Err(de::Error::invalid_type(unexpected(self.value()), &"an enum variant")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Unknown fields are skipped without walking them.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: Value<'_>) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(b),
        Value::Int(i) => de::Unexpected::Signed(i),
        Value::Float(f) => de::Unexpected::Float(f),
        Value::Str(s) => de::Unexpected::Str(s),
        Value::Seq(_) => de::Unexpected::Seq,
        Value::Map(_) => de::Unexpected::Map,
    }
}

/// The root of an object: a mapping without its type fields.
#[derive(Clone, Copy)]
struct RootDeserializer<'a>(NodeDeserializer<'a>);

const TYPE_FIELDS: [&str; 2] = ["apiVersion", "kind"];

impl<'de> de::Deserializer<'de> for RootDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.value() {
            Value::Map(map) => visitor.visit_map(MapAccess {
                entries: map.iter(),
                value: None,
                de: self.0,
                skip: &TYPE_FIELDS,
            }),
            _ => de::Deserializer::deserialize_any(self.0, visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string option
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct
        identifier enum ignored_any
    }
}

struct SeqAccess<'a> {
    items: SeqIter<'a>,
    de: NodeDeserializer<'a>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        self.items.next().map(|node| seed.deserialize(self.de.at(node))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a> {
    entries: MapIter<'a>,
    value: Option<Node<'a>>,
    de: NodeDeserializer<'a>,
    skip: &'static [&'static str],
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let skip = self.skip;
        match self.entries.find(|e| !skip.contains(&e.key)) {
            Some(entry) => {
                self.value = Some(entry.value);
                let key: de::value::BorrowedStrDeserializer<'de, DeError> =
                    de::value::BorrowedStrDeserializer::new(entry.key);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self.value.take().ok_or_else(|| DeError("value without a key".into()))?;
        seed.deserialize(self.de.at(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping without entries (a list item blanked by an [`Override::EmptyMap`]).
struct EmptyMap;

impl<'de> de::MapAccess<'de> for EmptyMap {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>, DeError> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _seed: V) -> Result<V::Value, DeError> {
        Err(DeError("value without a key".into()))
    }
}

struct EnumAccess<'a> {
    entry: Entry<'a>,
    de: NodeDeserializer<'a>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = DeError;
    type Variant = VariantAccess<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), DeError> {
        let key: de::value::BorrowedStrDeserializer<'de, DeError> =
            de::value::BorrowedStrDeserializer::new(self.entry.key);
        let variant = seed.deserialize(key)?;
        Ok((variant, VariantAccess { de: self.de.at(self.entry.value) }))
    }
}

struct VariantAccess<'a> {
    de: NodeDeserializer<'a>,
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(self.de, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, ParsedStream, parse_stream};

    fn parsed(text: &str) -> ParsedStream {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn reads_typed_kubernetes_objects() {
        let stream = parsed(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10Gi}}\n",
        );
        let pvc: k8s_openapi::api::core::v1::PersistentVolumeClaim = from_node(stream.root(0)).unwrap();
        assert_eq!(pvc.metadata.name.as_deref(), Some("data"));
        assert_eq!(pvc.spec.unwrap().access_modes.unwrap(), vec!["ReadWriteOnce".to_string()]);
    }

    #[test]
    fn type_errors_carry_the_field_path() {
        let stream = parsed(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: three\n  selector: {}\n  template:\n    spec:\n      containers:\n        - name: a\n          env:\n            - {name: A, value: 3}\n",
        );
        let (path, message) =
            from_node::<k8s_openapi::api::apps::v1::Deployment>(stream.root(0)).unwrap_err();
        assert_eq!(path.to_string(), "spec.replicas");
        assert!(message.contains("invalid type: string \"three\""), "{message}");

        let stream = parsed(
            "kind: Pod\nspec:\n  containers:\n    - name: a\n      env:\n        - {name: A, value: 3}\n",
        );
        let (path, message) = from_node::<k8s_openapi::api::core::v1::Pod>(stream.root(0)).unwrap_err();
        assert_eq!(path.to_string(), "spec.containers[0].env[0].value");
        assert!(message.contains("integer `3`"), "{message}");
    }

    #[test]
    fn overrides_step_over_wrong_fields() {
        let stream = parsed(
            "kind: Pod\nspec:\n  containers:\n    - name: a\n      env:\n        - {name: A, value: 3}\n",
        );
        let root = stream.root(0);
        let value = root.get("spec").unwrap().get("containers").unwrap().as_seq().unwrap().get(0).unwrap();
        let value = value.get("env").unwrap().as_seq().unwrap().get(0).unwrap().get("value").unwrap();
        let overrides = Overrides::from([(value.index(), Override::Null)]);
        let pod: k8s_openapi::api::core::v1::Pod = from_object_node(root, &overrides).unwrap();
        assert_eq!(pod.spec.unwrap().containers[0].env.as_ref().unwrap()[0].value, None);
    }
}
