//! The stray pass of the marker finder: every marker candidate the walk did not attach to a
//! scalar is reported as misplaced, with the reason Flux ignores it (read from the recorded
//! [`Anchor`]s: a comment above a key, on a key, on a collection, on an empty value…) and, when
//! the value it was meant for is a scalar whose line has no comment and the comment is valid
//! marker JSON, an unsafe fix moving it there (unsafe because it changes what Flux does: the
//! value starts being rewritten; issue 11 item 2).
//!
//! It must run after the walk (it reads `consumed` and the sorted anchors) and must not create
//! markers.

use std::ops::Range;

use crate::diag::{Applicability, Edit, Fix};

use super::{Anchor, AnchorValue, CommentClass, CommentInfo, Finder};

/// Why a stray comment is ignored, and the move fix when one is offered.
type Why = (String, Option<Fix>);

impl Finder<'_> {
    /// Marker candidates not attached to any scalar.
    pub(super) fn stray_comments(&mut self) {
        for at in 0..self.comments.len() {
            if self.consumed.contains(&at) {
                continue;
            }
            let class = self.comments[at].class.clone();
            if matches!(class, CommentClass::NotMarker) {
                continue;
            }
            let (reason, fix) = self.why_stray(at);
            self.misplaced(at, &reason, fix);
            if let CommentClass::Malformed { reason, .. } = class {
                // Say both: where it is and what is wrong with it.
                if let Some(last) = self.out.diagnostics.last_mut() {
                    last.message.push_str(&format!(" (and {reason})"));
                }
            }
        }
    }

    /// The anchors recorded on `line`, in the order they were recorded.
    fn anchors_on(&self, line: u32) -> impl Iterator<Item = &Anchor> {
        let from = self.anchors.partition_point(|(l, _)| *l < line);
        self.anchors[from..]
            .iter()
            .take_while(move |(l, _)| *l == line)
            .map(|(_, a)| a)
    }

    /// The first line after `after` that is neither a comment nor blank; `None` when a blank
    /// line or the end of the file comes first.
    fn next_code_line(&self, after: u32) -> Option<u32> {
        let mut line = after + 1;
        while (line as usize) < self.index.line_count() {
            let range = self.index.line_range(self.text, line);
            let content = self.text[range].trim_ascii();
            if content.is_empty() {
                return None; // a blank line: the comment belongs to nothing below
            }
            if !content.starts_with(b"#") {
                return Some(line);
            }
            line += 1;
        }
        None
    }

    /// A fix moving comment `at` to the end of the line of the scalar `value`, when the comment
    /// is a marker Flux can read (valid JSON: moving a malformed one would only join lines),
    /// that line has no comment and the move stays byte-exact.
    ///
    /// Always [`Applicability::Unsafe`]: once moved, the marker is applied and Flux starts
    /// rewriting the value, a change of behaviour a person must choose (issue 11 item 2; ruff's
    /// fix-safety contract, `style.md` §3). It also removes a line, which no `--fix` may do.
    fn move_fix(&self, at: usize, value: &Range<usize>) -> Option<Fix> {
        let comment = &self.comments[at];
        if !matches!(comment.class, CommentClass::Marker { .. }) {
            return None;
        }
        let text = String::from_utf8_lossy(&self.text[comment.range.clone()]).into_owned();
        let value_line = self.line(value.start);
        let value_line_range = self.index.line_range(self.text, value_line);
        // Only when the value's line has no comment of its own.
        if self.trailing_comment(value.end).is_some() || value_line_range.end < value.end {
            return None;
        }
        let remove = if comment.own_line {
            let start = self.index.line_start(comment.line);
            let end = self.index.line_start(comment.line + 1);
            start..end
        } else {
            let mut start = comment.range.start;
            while start > 0 && matches!(self.text[start - 1], b' ' | b'\t') {
                start -= 1;
            }
            start..comment.range.end
        };
        if remove.end > value_line_range.end && remove.start < value_line_range.end {
            return None;
        }
        let mut edits = vec![
            Edit {
                range: remove,
                new_text: String::new(),
            },
            Edit {
                range: value_line_range.end..value_line_range.end,
                new_text: format!(" {text}"),
            },
        ];
        edits.sort_by_key(|e| e.range.start);
        Some(Fix {
            title: "Move the marker to the end of the value's line".to_string(),
            edits,
            applicability: Applicability::Unsafe,
        })
    }

    /// Why comment `at`, a marker candidate attached to no scalar, is ignored, and the move fix
    /// when one is offered. One helper per kind of stray comment.
    fn why_stray(&self, at: usize) -> Why {
        let comment = &self.comments[at];
        if comment.own_line {
            self.why_stray_own_line(at, comment)
        } else {
            self.why_stray_end_of_line(at, comment)
        }
    }

    /// A comment on a line of its own: Flux attaches it to the first code line below it, if no
    /// blank line comes first.
    fn why_stray_own_line(&self, at: usize, comment: &CommentInfo) -> Why {
        let Some(next) = self.next_code_line(comment.line) else {
            return (
                "it is not attached to any value (a comment line followed by a blank line or the end of the document)".to_string(),
                None,
            );
        };
        for anchor in self.anchors_on(next) {
            match anchor {
                Anchor::Key { key, value } => return self.above_key(at, key, value.as_ref()),
                Anchor::Item { value } => {
                    return (
                        format!("it is a comment line {}", above_item(value.as_ref())),
                        None,
                    );
                }
                Anchor::FlowEnd => {}
            }
        }
        (
            "it is not attached to any value Flux visits".to_string(),
            None,
        )
    }

    /// A comment line above the key `key`: the key's head comment, movable to a scalar value.
    fn above_key(&self, at: usize, key: &Range<usize>, value: Option<&AnchorValue>) -> Why {
        let key_text = String::from_utf8_lossy(&self.text[key.clone()]);
        let fix = match value {
            Some(AnchorValue::Scalar { range, .. }) => self.move_fix(at, range),
            _ => None,
        };
        (
            format!(
                "it is a comment line above the key `{key_text}`, which Flux attaches to the key, not to its value"
            ),
            fix,
        )
    }

    /// A comment at the end of a line with something before it: the last anchor of its line
    /// that explains it (a key before it, a flow end, an empty or collection item).
    fn why_stray_end_of_line(&self, at: usize, comment: &CommentInfo) -> Why {
        for anchor in self
            .anchors_on(comment.line)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            match anchor {
                Anchor::Key { key, value } if key.end <= comment.range.start => {
                    return self.on_key(at, comment, key, value.as_ref());
                }
                Anchor::FlowEnd => {
                    return (
                        "it follows a flow collection (`[…]` or `{…}`); markers annotate scalar values only".to_string(),
                        None,
                    );
                }
                Anchor::Item { value: None } => {
                    return ("the sequence item is empty".to_string(), None);
                }
                Anchor::Item {
                    value: Some(AnchorValue::Collection),
                } => {
                    return (
                        "it is on a sequence item that is a mapping or a sequence; markers annotate scalar values only".to_string(),
                        None,
                    );
                }
                _ => {}
            }
        }
        (
            "it is not at the end of a scalar value's line".to_string(),
            None,
        )
    }

    /// A comment after the key `key` on its line: the key's line comment, whatever its value.
    fn on_key(
        &self,
        at: usize,
        comment: &CommentInfo,
        key: &Range<usize>,
        value: Option<&AnchorValue>,
    ) -> Why {
        let key_text = String::from_utf8_lossy(&self.text[key.clone()]);
        match value {
            None => (
                format!(
                    "the key `{key_text}` has an empty value; Flux attaches this comment to the key and never updates a null value"
                ),
                None,
            ),
            Some(AnchorValue::Scalar { range, line }) if *line > comment.line => (
                format!(
                    "it is on the line of the key `{key_text}` while the value is on the next line; Flux reads it as the key's comment"
                ),
                self.move_fix(at, range),
            ),
            Some(AnchorValue::Alias) => (
                format!(
                    "the value of `{key_text}` is an alias (`*name`); Flux does not visit aliases"
                ),
                None,
            ),
            Some(_) => (
                format!(
                    "the value of `{key_text}` is a mapping or a sequence; markers annotate scalar values only"
                ),
                None,
            ),
        }
    }
}

/// What a comment line above a sequence item is, by the item's value.
fn above_item(value: Option<&AnchorValue>) -> &'static str {
    match value {
        Some(AnchorValue::Collection) => {
            "above a sequence item that is a mapping or a sequence; markers annotate scalar values only"
        }
        Some(AnchorValue::Alias) => {
            "above a sequence item that is an alias (`*name`); Flux does not visit aliases"
        }
        _ => "above a sequence item Flux does not annotate",
    }
}
