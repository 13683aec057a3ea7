//! YAML (and JSON) loading into span-preserving trees.

mod de;
mod json;
mod node;
mod parse;
mod scalar;

pub use json::{PRUNED, tree_from_json_slice};
pub use scalar::{Scalar, resolve_plain};

pub use de::{NodeDeserializer, Override, Overrides, from_node, from_object_node};
pub use node::{Entry, Map, MapIter, Node, Seq, SeqIter, SharedText, Text, Tree, Value};
pub(crate) use parse::check_text_size;
pub use parse::{
    Document, IgnoreComment, Limits, MAX_FILE_BYTES, ParsedStream, SyntaxError, parse_shared, parse_stream,
};
