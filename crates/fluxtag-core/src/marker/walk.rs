//! The tree walk of the marker finder: it attaches each comment to the scalar Flux would give it
//! (a value's line comment, or a sequence item's head comment), turns those that are markers
//! into [`Marker`]s, reports malformed and hidden ones, flags marker text inside block scalars,
//! and records an [`Anchor`] for every key, item and flow end so that the stray pass can say
//! why a leftover comment is ignored.
//!
//! It must not judge comments attached to nothing (that is `stray`) nor whole files (that is
//! `file_level`).

use std::ops::Range;

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix};
use crate::yaml::{Node, NodeValue, ScalarStyle};

use super::{
    Anchor, AnchorValue, CommentClass, Finder, Marker, Placement, classify_comment, parse_reference,
};

impl Finder<'_> {
    /// The contiguous block of own-line comments directly above `line`.
    fn comment_block_above(&self, line: u32) -> Vec<usize> {
        let line_start = self.index.line_start(line);
        let mut at = self
            .comments
            .partition_point(|c| c.range.start < line_start);
        let mut block = Vec::new();
        let mut expected = line;
        while at > 0 {
            let c = &self.comments[at - 1];
            if !c.own_line || c.line + 1 != expected {
                break;
            }
            block.push(at - 1);
            expected = c.line;
            at -= 1;
        }
        block.reverse();
        block
    }

    /// Walks a collection: records anchors for its keys and items and visits their values.
    pub(super) fn walk(&mut self, node: &Node, document: usize) {
        match &node.value {
            NodeValue::Mapping(entries) => {
                for entry in entries {
                    let key_line = self.line(entry.key.range.end.saturating_sub(1));
                    let value = entry.value.as_ref().map(|v| self.anchor_value(v));
                    self.anchors.push((
                        key_line,
                        Anchor::Key {
                            key: entry.key.range.clone(),
                            value,
                        },
                    ));
                    if let NodeValue::Scalar(scalar) = &entry.key.value
                        && matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded)
                    {
                        self.block_scalar(&entry.key);
                    }
                    if let Some(value) = &entry.value {
                        self.visit_value(value, None, document);
                    }
                }
                if node.in_flow {
                    self.flow_end(node);
                }
            }
            NodeValue::Sequence(items) => {
                for item in items {
                    if let Some(dash) = item.dash {
                        let value = item.value.as_ref().map(|v| self.anchor_value(v));
                        self.anchors.push((self.line(dash), Anchor::Item { value }));
                    }
                    if let Some(value) = &item.value {
                        self.visit_value(value, item.dash, document);
                    }
                }
                if node.in_flow {
                    self.flow_end(node);
                }
            }
            NodeValue::Scalar(_) | NodeValue::Alias(_) => {}
        }
    }

    /// Records the end of a flow collection as an anchor.
    fn flow_end(&mut self, node: &Node) {
        let line = self.line(node.range.end.saturating_sub(1));
        self.anchors.push((line, Anchor::FlowEnd));
    }

    /// What an anchor records of a value node.
    fn anchor_value(&self, node: &Node) -> AnchorValue {
        match &node.value {
            NodeValue::Scalar(_) => AnchorValue::Scalar {
                range: node.range.clone(),
                line: self.line(node.range.start),
            },
            NodeValue::Alias(_) => AnchorValue::Alias,
            _ => AnchorValue::Collection,
        }
    }

    /// A node in value position: a mapping value or a sequence item.
    fn visit_value(&mut self, node: &Node, dash: Option<usize>, document: usize) {
        let NodeValue::Scalar(scalar) = &node.value else {
            self.walk(node, document);
            return;
        };
        if matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // A comment on the header line of a block scalar is its line comment in go-yaml,
            // so a marker there is applied (flux-semantics §9); tree-sitter keeps it inside
            // the block's token.
            let has_header_comment = self.block_header(node, document);
            self.block_scalar_body(node);
            if has_header_comment {
                return; // a line comment hides a head comment
            }
        }
        let line_comment = self.trailing_comment(node.range.end);
        let mut head_comment = None;
        if let Some(dash) = dash {
            // `- # comment` with the value on a later line.
            let dash_line = self.line(dash);
            if let Some(at) = self.trailing_comment(dash + 1)
                && self.line(node.range.start) > dash_line
                && Some(at) != line_comment
            {
                head_comment = Some(vec![at]);
            } else {
                let block = self.comment_block_above(dash_line);
                if !block.is_empty() {
                    head_comment = Some(block);
                }
            }
        }
        match (line_comment, head_comment) {
            (Some(at), head) => {
                let used = self.use_comment(at, node, Placement::LineComment, document);
                if let Some(head) = head {
                    for h in head {
                        if matches!(
                            self.comments[h].class,
                            CommentClass::Marker { .. } | CommentClass::Malformed { .. }
                        ) {
                            let reason = if used {
                                "this marker is hidden by the marker at the end of the value's line; Flux reads only that one"
                            } else {
                                "this marker is hidden by the comment at the end of the value's line; Flux reads a sequence item's head comment only when the line has no comment"
                            };
                            self.misplaced(h, reason, None);
                        }
                    }
                }
            }
            (None, Some(head)) if head.len() == 1 => {
                self.use_comment(head[0], node, Placement::HeadComment, document);
            }
            (None, Some(head)) => {
                for h in head {
                    if !matches!(self.comments[h].class, CommentClass::NotMarker) {
                        self.misplaced(
                            h,
                            "this marker is part of a block of several comment lines; Flux reads the block as one comment, which is not JSON",
                            None,
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }

    /// Uses comment `at` as the comment of scalar `node`. Returns whether it is a marker.
    fn use_comment(
        &mut self,
        at: usize,
        node: &Node,
        placement: Placement,
        document: usize,
    ) -> bool {
        let NodeValue::Scalar(scalar) = &node.value else {
            return false;
        };
        let comment = &self.comments[at];
        match comment.class.clone() {
            CommentClass::NotMarker => false,
            CommentClass::Malformed { reason, suggestion } => {
                self.consumed.insert(at);
                self.malformed(at, &reason, suggestion);
                false
            }
            CommentClass::Marker {
                reference,
                reference_range,
            } => {
                self.consumed.insert(at);
                let start = comment.range.start;
                let marker = Marker {
                    comment: comment.range.clone(),
                    target: parse_reference(&reference),
                    reference,
                    reference_range: (start + reference_range.start)..(start + reference_range.end),
                    scalar: node.range.clone(),
                    style: scalar.style,
                    value: scalar.value.clone(),
                    in_flow: node.in_flow,
                    placement,
                    document,
                    block_header: None,
                };
                self.reference_diagnostics(&marker);
                self.out.markers.push(marker);
                true
            }
        }
    }

    /// Reports comment `at` as a malformed marker, with a rewrite when the intent is clear.
    fn malformed(&mut self, at: usize, reason: &str, suggestion: Option<String>) {
        let range = self.comments[at].range.clone();
        self.malformed_at(range, reason, suggestion);
    }

    /// Reports the comment at `range` as a malformed marker, with a rewrite when the intent is
    /// clear.
    fn malformed_at(&mut self, range: Range<usize>, reason: &str, suggestion: Option<String>) {
        let mut diagnostic = Diagnostic::new(
            Code::MarkerMalformed,
            self.path,
            range.clone(),
            format!("Flux ignores this marker: {reason}"),
        )
        .with_help("write the marker as `# {\"$imagepolicy\": \"<namespace>:<policy>\"}`, optionally with `:tag`, `:name` or `:digest`");
        if let Some(suggestion) = suggestion {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Rewrite the marker as `{suggestion}`"),
                edits: vec![Edit {
                    range,
                    new_text: suggestion,
                }],
                applicability: Applicability::Unsafe,
            });
        }
        self.out.diagnostics.push(diagnostic);
    }

    /// The comment on a block scalar's header line (`key: | # {…}`), which go-yaml gives the
    /// scalar as its line comment: Flux applies a marker there and replaces the whole block
    /// (issue 11 item 8b; `flux-semantics.md` §9). The marker's scalar range is the block's
    /// content, from its first character to the end of its last; [`super::block_header_edits`]
    /// gives the edits that write what Flux writes from its [`super::BlockHeader`].
    /// Returns whether the header line has a comment at all.
    fn block_header(&mut self, node: &Node, document: usize) -> bool {
        let Some(header) = block_header_of(self.text, node.range.clone()) else {
            return false;
        };
        let comment_text = String::from_utf8_lossy(&self.text[header.comment.clone()]).into_owned();
        let comment_text = comment_text.trim_end_matches('\r');
        let NodeValue::Scalar(scalar) = &node.value else {
            return true;
        };
        match classify_comment(comment_text) {
            CommentClass::NotMarker => {}
            CommentClass::Malformed { reason, suggestion } => {
                let range = header.comment.start..header.comment.start + comment_text.len();
                self.malformed_at(range, &reason, suggestion);
            }
            CommentClass::Marker {
                reference,
                reference_range,
            } => {
                let start = header.comment.start;
                let comment = start..start + comment_text.len();
                let Some(content) = header.content.clone() else {
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::MarkerMisplaced,
                            self.path,
                            comment,
                            "this marker is on the header of an empty block scalar: Flux applies it, but fluxtag cannot write a value where the block has no line",
                        )
                        .with_help("write the value on the marker's line instead: `key: app:1.0 # {\"$imagepolicy\": \"ns:policy\"}`"),
                    );
                    return true;
                };
                let content_lines = 1 + self.text[content.clone()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                let marker = Marker {
                    comment,
                    target: parse_reference(&reference),
                    reference,
                    reference_range: (start + reference_range.start)..(start + reference_range.end),
                    scalar: content,
                    style: scalar.style,
                    value: scalar.value.clone(),
                    in_flow: node.in_flow,
                    placement: Placement::LineComment,
                    document,
                    block_header: Some(super::BlockHeader {
                        indicator: header.indicator.clone(),
                        content_lines,
                    }),
                };
                self.reference_diagnostics(&marker);
                self.out.markers.push(marker);
            }
        }
        true
    }

    /// Marker text on the content lines of a block scalar (its header line excluded).
    fn block_scalar_body(&mut self, node: &Node) {
        let range = node.range.clone();
        let body_start = self.text[range.clone()]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(range.end, |at| range.start + at + 1);
        self.block_scalar(&Node {
            range: body_start..range.end,
            ..node.clone()
        });
    }

    /// A `#…$imagepolicy…` inside a block scalar is text, not a comment.
    pub(super) fn block_scalar(&mut self, node: &Node) {
        let range = node.range.clone();
        let bytes = &self.text[range.clone()];
        if !super::may_hold_marker_text(bytes) {
            return;
        }
        let mut offset = range.start;
        for line in bytes.split(|&b| b == b'\n') {
            if let Some(hash) = line.iter().position(|&b| b == b'#') {
                let comment = String::from_utf8_lossy(&line[hash..]);
                let comment = comment.trim_end_matches('\r');
                if !matches!(classify_comment(comment), CommentClass::NotMarker) {
                    let start = offset + hash;
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::MarkerMisplaced,
                            self.path,
                            start..start + comment.len(),
                            "Flux never reads this marker: it is inside a block scalar (`|` or `>`), where `#` is text, not a comment",
                        )
                        .with_help("markers work only as comments of plain or quoted values; move the value out of the block scalar"),
                    );
                }
            }
            offset += line.len() + 1;
        }
    }
}

/// The parts of a block scalar's header line.
pub(super) struct HeaderLine {
    /// The indicator with its chomping and indentation hints (`|`, `>-`, `|2+`).
    pub(super) indicator: Range<usize>,
    /// The header's comment, from `#` to the end of the line (a `\r` included).
    pub(super) comment: Range<usize>,
    /// The content, from its first character to the end of its last; `None` when the block
    /// has no content.
    pub(super) content: Option<Range<usize>>,
}

/// Reads the header line of the block scalar spanning `range` (from its indicator), when it
/// carries a comment.
pub(super) fn block_header_of(text: &[u8], range: Range<usize>) -> Option<HeaderLine> {
    let bytes = &text[range.clone()];
    if !matches!(bytes.first(), Some(b'|' | b'>')) {
        return None;
    }
    let hints = bytes[1..]
        .iter()
        .take_while(|b| matches!(b, b'+' | b'-' | b'1'..=b'9'))
        .count();
    let indicator = range.start..range.start + 1 + hints;
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(range.end, |at| range.start + at);
    let after = &text[indicator.end..line_end];
    let blanks = after
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if blanks == 0 || after.get(blanks) != Some(&b'#') {
        return None;
    }
    let comment = indicator.end + blanks..line_end;
    let content = (line_end < range.end)
        .then(|| {
            let body = &text[line_end + 1..range.end];
            let first = body.iter().position(|b| !b.is_ascii_whitespace())?;
            let last = body.iter().rposition(|b| !b.is_ascii_whitespace())?;
            Some(line_end + 1 + first..line_end + 1 + last + 1)
        })
        .flatten();
    Some(HeaderLine {
        indicator,
        comment,
        content,
    })
}
