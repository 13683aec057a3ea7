//! YAML (and JSON) loading into span-preserving trees.

mod de;
mod node;
mod parse;
mod scalar;

pub use de::{NodeDeserializer, from_node, from_object_node};
pub use node::{Entry, Map, Node, Text, Value};
pub use parse::{Document, IgnoreComment, Limits, ParsedStream, SyntaxError, parse_stream};
