//! YAML with exact spans.
//!
//! [`parse`] turns a file's bytes into documents of owned [`Node`]s, each with the byte range it
//! covers, plus every comment of the file and every syntax error. It never fails and never
//! panics: a syntax error is recorded and the rest of the file is still read.
//!
//! Two traps of tree-sitter-yaml 0.7.2 are handled here (see `stack.md`): its scanner keeps rows
//! and columns in 16 bits, so a file is split into documents at `---` lines and each is parsed on
//! its own, and a single document longer than 32,767 lines (or with a line longer than 32,767
//! bytes) is not given to tree-sitter at all: it is marked [`Document::oversized`] and the marker
//! finder scans its lines instead. The tree is walked with a cursor and an explicit stack; no
//! `Node::parent()` call is ever made.
//!
//! The parts: this file owns the public data model ([`YamlFile`], [`Node`]…) and [`parse`];
//! `parser` owns the driver ([`Parser`]: document splitting, oversized documents, threads,
//! reuse between parses, [`Depth`]); `build` owns the conversion of one tree-sitter tree into
//! [`Node`]s; [`scalar`] owns scalar decoding and encoding. The data model must not depend on
//! tree-sitter, and nothing here may know about Flux or markers.

mod build;
mod parser;
pub mod scalar;

use std::ops::Range;

pub use parser::{Depth, Parser, TREE_SITTER_LIMIT};
pub use scalar::ScalarStyle;

/// A parsed file.
#[derive(Debug, Clone, Default)]
pub struct YamlFile {
    /// Every document in source order.
    pub documents: Vec<Document>,
    /// Every comment of the parsed documents, in source order.
    pub comments: Vec<Comment>,
    /// Syntax errors, in source order.
    pub errors: Vec<SyntaxError>,
    /// Byte length of a leading byte-order mark (0 or 3).
    pub bom: usize,
}

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Bytes of the document, from its `---` line (if any) to the next document.
    pub range: Range<usize>,
    /// The root node; `None` for an empty or comment-only document, one that was not parsed, or
    /// an oversized one.
    pub root: Option<Node>,
    /// False when the caller's prefilter chose not to parse this document.
    pub parsed: bool,
    /// True when the document was too large for tree-sitter-yaml (see the module doc).
    pub oversized: bool,
    /// True when a syntax error lies inside this document.
    pub has_error: bool,
    /// Offset of the `---` marker that starts this document, if it has one.
    pub start_marker: Option<usize>,
}

/// A `#` comment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    /// From the `#` to the end of the line (line break excluded).
    pub range: Range<usize>,
}

/// A syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where tree-sitter found the error.
    pub range: Range<usize>,
    /// What is wrong, in words.
    pub message: String,
}

/// A YAML node with its span.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// Bytes of the node's content (tag and anchor excluded).
    pub range: Range<usize>,
    /// Bytes of an explicit tag such as `!!str`.
    pub tag: Option<Range<usize>>,
    /// Whether the node is inside a flow collection (`[…]`, `{…}`) or is one.
    pub in_flow: bool,
    /// The content.
    pub value: NodeValue,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum NodeValue {
    /// A block or flow mapping.
    Mapping(Vec<Entry>),
    /// A block or flow sequence.
    Sequence(Vec<Item>),
    /// A scalar of any style.
    Scalar(Scalar),
    /// An alias `*name`.
    Alias(String),
}

/// A key and its value in a mapping.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The key node.
    pub key: Node,
    /// The value node; `None` when the value is empty (null).
    pub value: Option<Node>,
    /// Offset of the `:` separating them.
    pub colon: Option<usize>,
}

/// An item of a sequence.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// Offset of the `-` of a block sequence item.
    pub dash: Option<usize>,
    /// The item's node; `None` for an empty item.
    pub value: Option<Node>,
}

/// A scalar: its style and decoded value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scalar {
    /// How it is written.
    pub style: ScalarStyle,
    /// The decoded value (lossy for bytes that are not UTF-8).
    pub value: String,
}

impl Node {
    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).and_then(|e| e.value.as_ref())
    }

    /// The entry of `key` when this node is a mapping (the last one if the key repeats, as
    /// go-yaml's node decoding keeps every entry and readers take the last).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Mapping(entries) => {
                entries.iter().rev().find(|e| e.key.as_str() == Some(key))
            }
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The decoded text when this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(s) => Some(&s.value),
            _ => None,
        }
    }

    /// The scalar when this node is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            NodeValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The entries when this node is a mapping.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            NodeValue::Mapping(entries) => entries,
            _ => &[],
        }
    }

    /// The items when this node is a sequence.
    pub fn items(&self) -> &[Item] {
        match &self.value {
            NodeValue::Sequence(items) => items,
            _ => &[],
        }
    }

    /// Whether this node is a mapping.
    pub fn is_mapping(&self) -> bool {
        matches!(self.value, NodeValue::Mapping(_))
    }

    /// Whether this node is a plain scalar reading as null (`null`, `~`, `Null`, `NULL`).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar(Scalar { style: ScalarStyle::Plain, value })
            if matches!(value.as_str(), "null" | "Null" | "NULL" | "~" | ""))
    }
}

/// Parses `text` with a fresh parser, reading every document.
pub fn parse(text: &[u8]) -> YamlFile {
    Parser::new().parse(text, &|_| true)
}
