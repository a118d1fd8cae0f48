//! Byte-exact edits: the only way fluxtag changes a file.
//!
//! [`apply_edits`] replaces the given byte ranges and copies every other byte unchanged, so a fix
//! keeps line endings, BOM, blank lines, comments, indentation, block scalars, document markers
//! and a missing final newline exactly as they were (`fluxtag-differences.md` §1).

use thiserror::Error;

use crate::diag::Edit;

/// Why a set of edits cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EditError {
    /// An edit reaches past the end of the text or splits a character.
    #[error("an edit of bytes {start}..{end} does not fit a text of {len} bytes")]
    OutOfBounds {
        /// Start of the edit.
        start: usize,
        /// End of the edit.
        end: usize,
        /// Length of the text.
        len: usize,
    },
    /// Two edits touch the same bytes.
    #[error("two edits overlap at byte {at}")]
    Overlap {
        /// Where the second edit starts.
        at: usize,
    },
}

/// Applies `edits` to `text`. Edits may come in any order; identical duplicates are applied
/// once; overlapping edits are refused.
pub fn apply_edits(text: &[u8], edits: &[Edit]) -> Result<Vec<u8>, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    sorted.dedup();
    let mut out = Vec::with_capacity(text.len() + 64);
    let mut copied = 0usize;
    for edit in sorted {
        let (start, end) = (edit.range.start, edit.range.end);
        if start > end || end > text.len() {
            return Err(EditError::OutOfBounds {
                start,
                end,
                len: text.len(),
            });
        }
        if start < copied {
            return Err(EditError::Overlap { at: start });
        }
        out.extend_from_slice(&text[copied..start]);
        out.extend_from_slice(edit.new_text.as_bytes());
        copied = end;
    }
    out.extend_from_slice(&text[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(range: std::ops::Range<usize>, text: &str) -> Edit {
        Edit {
            range,
            new_text: text.to_string(),
        }
    }

    #[test]
    fn replaces_only_the_ranges() {
        let text = b"a: 1\r\nb: 2";
        let out = apply_edits(text, &[edit(9..10, "3"), edit(3..4, "\"x\"")]).unwrap();
        assert_eq!(out, b"a: \"x\"\r\nb: 3");
    }

    #[test]
    fn refuses_overlaps_and_out_of_bounds() {
        let text = b"abcdef";
        assert_eq!(
            apply_edits(text, &[edit(0..3, "x"), edit(2..4, "y")]),
            Err(EditError::Overlap { at: 2 })
        );
        assert!(matches!(
            apply_edits(text, &[edit(5..9, "x")]),
            Err(EditError::OutOfBounds { .. })
        ));
        assert_eq!(
            apply_edits(text, &[edit(1..2, "x"), edit(1..2, "x")]).unwrap(),
            b"axcdef"
        );
    }
}
