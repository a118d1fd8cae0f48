//! Markers found line by line, where the tree cannot be trusted: documents too large for
//! tree-sitter-yaml ([`crate::yaml::TREE_SITTER_LIMIT`]), with one note per document saying the
//! near-miss checks were skipped, and documents with a syntax error, whose error recovery may
//! swallow the marker's line (a Helm template: issue 11 item 1). Markers are `key: value # {…}`
//! and `- value # {…}`, each reported with [`Placement::LineScan`]; in a document with a syntax
//! error, any other marker candidate is recorded too, so that the file-level pass reports the
//! skipped file.
//!
//! It must stay a line reader: no YAML structure is inferred beyond one line.

use crate::diag::{Code, Diagnostic};
use crate::yaml::{Document, ScalarStyle};

use super::{CommentClass, Finder, Marker, Placement, classify_comment, parse_reference};

impl Finder<'_> {
    /// Markers of a document too large for tree-sitter-yaml, found line by line.
    pub(super) fn line_scan(&mut self, number: usize, document: &Document) {
        let start_line = self.line(document.range.start);
        let end_line = self.line(document.range.end.saturating_sub(1));
        let mut found = 0usize;
        for line in start_line..=end_line {
            let range = self.index.line_range(self.text, line);
            let bytes = &self.text[range.clone()];
            if !super::may_hold_marker_text(bytes) {
                continue;
            }
            let Some(marker) = scan_line(bytes, range.start, number) else {
                continue;
            };
            self.reference_diagnostics(&marker);
            self.out.markers.push(marker);
            found += 1;
        }
        self.out.diagnostics.push(
            Diagnostic::new(
                Code::LineScanned,
                self.path,
                document.range.start..document.range.start,
                format!(
                    "this document has more than {} lines, more than the YAML parser handles; its {found} marker(s) were found line by line",
                    crate::yaml::TREE_SITTER_LIMIT
                ),
            )
            .with_help("split the document with `---` lines to get every near-miss check"),
        );
    }

    /// The marker candidates of a document with a syntax error that the tree did not yield:
    /// tree-sitter's error recovery may drop whole lines (a Helm template's `{{- if … }}`), but
    /// Flux skips the file whatever was recovered, so every candidate must count (issue 11
    /// item 1). Markers become [`Placement::LineScan`] markers; other candidates (malformed,
    /// or on a key) are kept in `recovered` for the file-level pass.
    pub(super) fn recover_lines(&mut self, number: usize, document: &Document) {
        let start_line = self.line(document.range.start);
        let end_line = self.line(document.range.end.saturating_sub(1));
        for line in start_line..=end_line {
            let range = self.index.line_range(self.text, line);
            let bytes = &self.text[range.clone()];
            if !super::may_hold_marker_text(bytes) {
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let Some(hash) = comment_start(&text) else {
                continue;
            };
            let start = range.start + hash;
            if self
                .comments
                .binary_search_by_key(&start, |c| c.range.start)
                .is_ok()
            {
                continue; // the tree has it: the walk judged it
            }
            let comment = text[hash..].trim_end_matches('\r');
            if matches!(classify_comment(comment), CommentClass::NotMarker) {
                continue;
            }
            match scan_line(bytes, range.start, number) {
                Some(marker) => self.out.markers.push(marker),
                None => self.recovered.push(start..start + comment.len()),
            }
        }
    }
}

/// The byte offset of a line's comment: a `#` at the start or after a blank, outside quotes.
fn comment_start(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') if i == 0 || text[..i].ends_with([' ', ':', '-']) => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || text[..i].ends_with([' ', '\t']) => return Some(i),
            _ => {}
        }
    }
    None
}

/// Reads one line: `key: value # {…}` or `- value # {…}`.
fn scan_line(line: &[u8], offset: usize, document: usize) -> Option<Marker> {
    let text = String::from_utf8_lossy(line);
    let hash = comment_start(&text)?;
    let comment = text[hash..].trim_end_matches('\r');
    let CommentClass::Marker {
        reference,
        reference_range,
    } = classify_comment(comment)
    else {
        return None;
    };
    let before = &text[..hash];
    let content = before.trim_end();
    let value_start = if let Some(colon) = find_mapping_colon(content) {
        colon + 1
    } else {
        let trimmed = content.trim_start();
        let dash = content.len() - trimmed.len();
        if !trimmed.starts_with('-') {
            return None;
        }
        dash + 1
    };
    let raw = &content[value_start..];
    let lead = raw.len() - raw.trim_start().len();
    let value_text = raw.trim();
    if value_text.is_empty() {
        return None;
    }
    let start = value_start + lead;
    let (style, value) = match value_text.as_bytes()[0] {
        b'\'' => (
            ScalarStyle::SingleQuoted,
            crate::yaml::scalar::decode_single(value_text),
        ),
        b'"' => (
            ScalarStyle::DoubleQuoted,
            crate::yaml::scalar::decode_double(value_text),
        ),
        _ => (ScalarStyle::Plain, value_text.to_string()),
    };
    Some(Marker {
        comment: offset + hash..offset + hash + comment.len(),
        target: parse_reference(&reference),
        reference,
        reference_range: offset + hash + reference_range.start..offset + hash + reference_range.end,
        scalar: offset + start..offset + start + value_text.len(),
        style,
        value,
        in_flow: false,
        placement: Placement::LineScan,
        document,
        block_header: None,
    })
}

/// The `:` of `key: value` on a line (outside quotes, followed by a blank).
fn find_mapping_colon(line: &str) -> Option<usize> {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), b) if b == q => quote = None,
            (None, b':') if bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\t') => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}
