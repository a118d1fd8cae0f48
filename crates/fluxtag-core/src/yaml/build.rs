//! Conversion of one parsed tree-sitter tree into owned [`Node`]s with exact byte ranges
//! (offset into the whole file), collecting every comment and the first syntax error of each
//! broken subtree. The tree is walked top-down with cursors; no `Node::parent()` call is made.
//!
//! It must not split documents or decide what to parse (that is `parser`), and must not panic on
//! any tree: unexpected node kinds are recovered as well as they can be.

use std::ops::Range;

use super::scalar::{self, ScalarStyle};
use super::{Comment, Entry, Item, Node, NodeValue, Scalar, SyntaxError};

/// Deepest nesting converted into [`Node`]s; deeper content is reported and skipped.
pub(super) const MAX_DEPTH: usize = 256;

/// Converts the nodes of one document chunk, appending to the file's comments and errors.
pub(super) struct Builder<'a> {
    /// The whole file's bytes.
    pub(super) text: &'a [u8],
    /// Where the parsed chunk starts in `text`.
    pub(super) offset: usize,
    /// The file's comments.
    pub(super) comments: &'a mut Vec<Comment>,
    /// The file's syntax errors.
    pub(super) errors: &'a mut Vec<SyntaxError>,
    /// Depth beyond which collections are kept empty (see [`super::Depth::Shallow`]).
    pub(super) limit: usize,
}

impl Builder<'_> {
    fn range(&self, node: tree_sitter::Node) -> Range<usize> {
        let r = node.byte_range();
        (r.start + self.offset)..(r.end + self.offset)
    }

    fn source(&self, node: tree_sitter::Node) -> String {
        String::from_utf8_lossy(&self.text[self.range(node)]).into_owned()
    }

    pub(super) fn comment(&mut self, node: tree_sitter::Node) {
        let range = self.range(node);
        // tree-sitter includes a trailing `\r` of CRLF files in the comment.
        let mut end = range.end;
        while end > range.start && self.text[end - 1] == b'\r' {
            end -= 1;
        }
        self.comments.push(Comment {
            range: range.start..end,
        });
    }

    /// Records the first error or missing node below `node`, if any.
    pub(super) fn check_error(&mut self, node: tree_sitter::Node) {
        if !node.has_error() {
            return;
        }
        let mut cursor = node.walk();
        let mut current = node;
        loop {
            if current.is_error() || current.is_missing() {
                break;
            }
            let next = current
                .children(&mut cursor)
                .find(|c| c.has_error() || c.is_missing());
            match next {
                Some(child) => current = child,
                None => break,
            }
        }
        let range = self.range(current);
        let message = if current.is_missing() {
            format!("syntax error: missing `{}`", current.kind())
        } else {
            let snippet =
                String::from_utf8_lossy(&self.text[range.start..range.end.min(range.start + 20)])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
            if snippet.trim().is_empty() {
                "syntax error".to_string()
            } else {
                format!("syntax error near `{}`", snippet.trim())
            }
        };
        self.errors.push(SyntaxError { range, message });
    }

    pub(super) fn document(&mut self, node: tree_sitter::Node) -> Option<Node> {
        self.check_error(node);
        let mut cursor = node.walk();
        let mut root = None;
        for child in node.children(&mut cursor) {
            match child.kind() {
                "comment" => self.comment(child),
                "block_node" | "flow_node" | "ERROR" if root.is_none() => {
                    root = self.node(child, 0, false);
                }
                _ => self.collect_comments(child),
            }
        }
        root
    }

    /// Collects comments anywhere below `node` (used for parts not converted to nodes).
    fn collect_comments(&mut self, node: tree_sitter::Node) {
        if node.kind() == "comment" {
            self.comment(node);
            return;
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        for child in children {
            self.collect_comments(child);
        }
    }

    /// Converts a tree-sitter node into a [`Node`]: the depth limits, then one method per node
    /// family.
    pub(super) fn node(
        &mut self,
        node: tree_sitter::Node,
        depth: usize,
        in_flow: bool,
    ) -> Option<Node> {
        if depth > self.limit && self.limit < MAX_DEPTH {
            return self.shallow(node, in_flow);
        }
        if depth > MAX_DEPTH {
            self.errors.push(SyntaxError {
                range: self.range(node),
                message: format!("nesting deeper than {MAX_DEPTH} levels is not read"),
            });
            return None;
        }
        let kind = node.kind();
        match kind {
            "block_node" | "flow_node" => self.wrapped(node, depth, in_flow),
            "plain_scalar" | "single_quote_scalar" | "double_quote_scalar" | "block_scalar" => {
                Some(self.scalar(node, kind, in_flow))
            }
            "alias" => {
                let source = self.source(node);
                Some(Node {
                    range: self.range(node),
                    tag: None,
                    in_flow,
                    value: NodeValue::Alias(source.trim_start_matches('*').to_string()),
                })
            }
            "block_mapping" | "flow_mapping" => {
                let flow = in_flow || kind == "flow_mapping";
                let entries = self.entries(node, depth, flow);
                Some(Node {
                    range: self.range(node),
                    tag: None,
                    in_flow: flow,
                    value: NodeValue::Mapping(entries),
                })
            }
            "block_sequence" | "flow_sequence" => {
                let flow = in_flow || kind == "flow_sequence";
                let items = self.items(node, depth, flow);
                Some(Node {
                    range: self.range(node),
                    tag: None,
                    in_flow: flow,
                    value: NodeValue::Sequence(items),
                })
            }
            _ => self.recover(node, depth, in_flow),
        }
    }

    /// A `block_node` or `flow_node`: its tag (anchors are dropped) around its content.
    fn wrapped(&mut self, node: tree_sitter::Node, depth: usize, in_flow: bool) -> Option<Node> {
        let mut tag = None;
        let mut content = None;
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            match child.kind() {
                "tag" => tag = Some(self.range(child)),
                "anchor" => {}
                "comment" => self.comment(child),
                _ if content.is_none() => content = Some(child),
                _ => self.collect_comments(child),
            }
        }
        let mut converted = match content {
            Some(content) => self.node(content, depth + 1, in_flow)?,
            // A tag or anchor without content: an empty scalar right after it.
            None => {
                let end = self.range(node).end;
                Node {
                    range: end..end,
                    tag: None,
                    in_flow,
                    value: NodeValue::Scalar(Scalar {
                        style: ScalarStyle::Plain,
                        value: String::new(),
                    }),
                }
            }
        };
        converted.tag = tag;
        Some(converted)
    }

    /// A scalar of tree-sitter kind `kind`, decoded in its style.
    fn scalar(&mut self, node: tree_sitter::Node, kind: &str, in_flow: bool) -> Node {
        let source = self.source(node);
        let (style, value) = match kind {
            "plain_scalar" => (ScalarStyle::Plain, scalar::decode_plain(&source)),
            "single_quote_scalar" => (ScalarStyle::SingleQuoted, scalar::decode_single(&source)),
            "double_quote_scalar" => (ScalarStyle::DoubleQuoted, scalar::decode_double(&source)),
            _ => {
                let style = if source.starts_with('>') {
                    ScalarStyle::Folded
                } else {
                    ScalarStyle::Literal
                };
                (style, scalar::decode_block(&source))
            }
        };
        Node {
            range: self.trimmed_range(node),
            tag: None,
            in_flow,
            value: NodeValue::Scalar(Scalar { style, value }),
        }
    }

    /// ERROR and anything unexpected: read it as a mapping if it holds pairs, a sequence if it
    /// holds items, else the first node that converts.
    fn recover(&mut self, node: tree_sitter::Node, depth: usize, in_flow: bool) -> Option<Node> {
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        if children
            .iter()
            .any(|c| matches!(c.kind(), "block_mapping_pair" | "flow_pair"))
        {
            let entries = self.entries(node, depth, in_flow);
            return Some(Node {
                range: self.range(node),
                tag: None,
                in_flow,
                value: NodeValue::Mapping(entries),
            });
        }
        if children.iter().any(|c| c.kind() == "block_sequence_item") {
            let items = self.items(node, depth, in_flow);
            return Some(Node {
                range: self.range(node),
                tag: None,
                in_flow,
                value: NodeValue::Sequence(items),
            });
        }
        let mut found = None;
        for child in children {
            if child.kind() == "comment" {
                self.comment(child);
            } else if found.is_none() && child.is_named() {
                found = self.node(child, depth + 1, in_flow);
            } else {
                self.collect_comments(child);
            }
        }
        found
    }

    /// A node of the right kind without its children (see [`Depth::Shallow`]).
    fn shallow(&mut self, node: tree_sitter::Node, in_flow: bool) -> Option<Node> {
        let value = match node.kind() {
            "block_mapping" | "flow_mapping" => NodeValue::Mapping(Vec::new()),
            "block_sequence" | "flow_sequence" => NodeValue::Sequence(Vec::new()),
            "block_node" | "flow_node" => {
                let mut cursor = node.walk();
                let content = node
                    .children(&mut cursor)
                    .find(|c| !matches!(c.kind(), "tag" | "anchor" | "comment"))?;
                return self.shallow(content, in_flow);
            }
            "alias" => NodeValue::Alias(String::new()),
            _ => NodeValue::Scalar(Scalar {
                style: ScalarStyle::Plain,
                value: String::new(),
            }),
        };
        Some(Node {
            range: self.range(node),
            tag: None,
            in_flow,
            value,
        })
    }

    /// The range of a scalar without trailing `\r` (CRLF files) or white space.
    fn trimmed_range(&self, node: tree_sitter::Node) -> Range<usize> {
        let range = self.range(node);
        let mut end = range.end;
        while end > range.start && matches!(self.text[end - 1], b'\r') {
            end -= 1;
        }
        range.start..end
    }

    fn entries(&mut self, node: tree_sitter::Node, depth: usize, in_flow: bool) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "block_mapping_pair" | "flow_pair" => {
                    let mut key = None;
                    let mut value = None;
                    let mut colon = None;
                    let mut pair_cursor = child.walk();
                    let parts: Vec<_> = child.children(&mut pair_cursor).collect();
                    let mut seen_colon = false;
                    for part in parts {
                        match part.kind() {
                            ":" => {
                                seen_colon = true;
                                colon = Some(self.range(part).start);
                            }
                            "comment" => self.comment(part),
                            "?" => {}
                            _ if part.is_named() => {
                                let converted = self.node(part, depth + 1, in_flow);
                                if seen_colon {
                                    value = value.or(converted);
                                } else {
                                    key = key.or(converted);
                                }
                            }
                            _ => {}
                        }
                    }
                    let key = key.unwrap_or_else(|| {
                        let at = colon.unwrap_or_else(|| self.range(child).start);
                        Node {
                            range: at..at,
                            tag: None,
                            in_flow,
                            value: NodeValue::Scalar(Scalar {
                                style: ScalarStyle::Plain,
                                value: String::new(),
                            }),
                        }
                    });
                    entries.push(Entry { key, value, colon });
                }
                "flow_node" => {
                    if let Some(key) = self.node(child, depth + 1, in_flow) {
                        entries.push(Entry {
                            key,
                            value: None,
                            colon: None,
                        });
                    }
                }
                "comment" => self.comment(child),
                _ => self.collect_comments(child),
            }
        }
        entries
    }

    fn items(&mut self, node: tree_sitter::Node, depth: usize, in_flow: bool) -> Vec<Item> {
        let mut items = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<_> = node.children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "block_sequence_item" => {
                    let mut dash = None;
                    let mut value = None;
                    let mut item_cursor = child.walk();
                    let parts: Vec<_> = child.children(&mut item_cursor).collect();
                    for part in parts {
                        match part.kind() {
                            "-" => dash = Some(self.range(part).start),
                            "comment" => self.comment(part),
                            _ if part.is_named() && value.is_none() => {
                                value = self.node(part, depth + 1, in_flow);
                            }
                            _ => self.collect_comments(part),
                        }
                    }
                    items.push(Item { dash, value });
                }
                "flow_node" => items.push(Item {
                    dash: None,
                    value: self.node(child, depth + 1, in_flow),
                }),
                "flow_pair" => {
                    let range = self.range(child);
                    // A single-pair mapping inside a flow sequence: `[a: b]`.
                    let entries = {
                        let mut holder = Vec::new();
                        let mut pair_cursor = child.walk();
                        let parts: Vec<_> = child.children(&mut pair_cursor).collect();
                        let mut key = None;
                        let mut value = None;
                        let mut colon = None;
                        for part in parts {
                            match part.kind() {
                                ":" => colon = Some(self.range(part).start),
                                "comment" => self.comment(part),
                                _ if part.is_named() => {
                                    let converted = self.node(part, depth + 1, true);
                                    if colon.is_some() {
                                        value = value.or(converted);
                                    } else {
                                        key = key.or(converted);
                                    }
                                }
                                _ => {}
                            }
                        }
                        if let Some(key) = key {
                            holder.push(Entry { key, value, colon });
                        }
                        holder
                    };
                    items.push(Item {
                        dash: None,
                        value: Some(Node {
                            range,
                            tag: None,
                            in_flow: true,
                            value: NodeValue::Mapping(entries),
                        }),
                    });
                }
                "comment" => self.comment(child),
                _ => self.collect_comments(child),
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Node, parse};

    fn scalar_at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        node.path(path).unwrap()
    }

    #[test]
    fn spans_and_values() {
        let text = b"a:\n  b: 'x''y' # c\n  c: [1, \"two\"]\n";
        let file = parse(text);
        assert!(file.errors.is_empty());
        let root = file.documents[0].root.as_ref().unwrap();
        let b = scalar_at(root, &["a", "b"]);
        assert_eq!(b.as_str(), Some("x'y"));
        assert_eq!(&text[b.range.clone()], b"'x''y'");
        assert_eq!(file.comments.len(), 1);
        assert_eq!(&text[file.comments[0].range.clone()], b"# c");
        let c = scalar_at(root, &["a", "c"]);
        assert_eq!(c.items().len(), 2);
        assert_eq!(c.items()[1].value.as_ref().unwrap().as_str(), Some("two"));
        assert!(c.in_flow);
    }

    #[test]
    fn crlf_and_bom() {
        let text = b"\xef\xbb\xbfa: x # c\r\nb: y\r\n";
        let file = parse(text);
        assert_eq!(file.bom, 3);
        let root = file.documents[0].root.as_ref().unwrap();
        let a = root.get("a").unwrap();
        assert_eq!(&text[a.range.clone()], b"x");
        assert_eq!(&text[file.comments[0].range.clone()], b"# c");
        let b = root.get("b").unwrap();
        assert_eq!(&text[b.range.clone()], b"y");
    }
}
