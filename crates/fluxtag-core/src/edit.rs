//! Byte-exact edits: the only way fluxtag changes a file.
//!
//! [`apply_edits`] replaces the given byte ranges and copies every other byte unchanged, so a fix
//! keeps line endings, BOM, blank lines, comments, indentation, block scalars, document markers
//! and a missing final newline exactly as they were (`fluxtag-differences.md` §1).

use std::collections::BTreeMap;

use thiserror::Error;

use crate::diag::{Applicability, Diagnostic, Edit};

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

/// The edits of every safe fix among `diagnostics`, by file: what `fluxtag check --fix` writes
/// and what the editor's `source.fixAll` sends (one collector for both). Each file's edits are
/// sorted by range with identical duplicates removed; overlapping edits are kept, for
/// [`disjoint`] and [`apply_edits`] to refuse (the whole file, never a part of it).
pub fn safe_edits<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
) -> BTreeMap<String, Vec<Edit>> {
    fix_edits(diagnostics, false)
}

/// The edits `fluxtag check --fix` writes: those of every safe fix and, with `unsafe_fixes`
/// (`--unsafe-fixes`), of every unsafe one too; collected as [`safe_edits`] does.
pub fn fix_edits<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    unsafe_fixes: bool,
) -> BTreeMap<String, Vec<Edit>> {
    let mut pending: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for diagnostic in diagnostics {
        let Some(fix) = &diagnostic.fix else { continue };
        if fix.applicability != Applicability::Safe && !unsafe_fixes {
            continue;
        }
        pending
            .entry(diagnostic.path.clone())
            .or_default()
            .extend(fix.edits.iter().cloned());
    }
    for edits in pending.values_mut() {
        edits.sort_by(|a, b| {
            (a.range.start, a.range.end, &a.new_text).cmp(&(
                b.range.start,
                b.range.end,
                &b.new_text,
            ))
        });
        edits.dedup();
    }
    pending
}

/// Whether `edits` can apply together: once sorted and with identical duplicates removed, no
/// two touch the same bytes (the rule [`apply_edits`] enforces).
pub fn disjoint(edits: &[Edit]) -> Result<(), EditError> {
    sorted_disjoint(edits).map(|_| ())
}

/// `edits` sorted by range, identical duplicates removed, or the first overlap.
fn sorted_disjoint(edits: &[Edit]) -> Result<Vec<&Edit>, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    sorted.dedup();
    let mut end = 0usize;
    for edit in &sorted {
        if edit.range.start < end {
            return Err(EditError::Overlap {
                at: edit.range.start,
            });
        }
        end = end.max(edit.range.end);
    }
    Ok(sorted)
}

/// Applies `edits` to `text`. Edits may come in any order; identical duplicates are applied
/// once; overlapping edits are refused.
pub fn apply_edits(text: &[u8], edits: &[Edit]) -> Result<Vec<u8>, EditError> {
    let sorted = sorted_disjoint(edits)?;
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

    /// One collector for `--fix` and `source.fixAll`: only safe fixes, per file, sorted, identical
    /// duplicates once; an overlap is kept for `disjoint` and `apply_edits` to refuse.
    #[test]
    fn safe_edits_collects_sorts_and_keeps_overlaps_visible() {
        use crate::diag::{Code, Fix};
        let with_fix = |path: &str, range: std::ops::Range<usize>, text: &str, safe: bool| {
            Diagnostic::new(Code::Stale, path, range.clone(), "m").with_fix(Fix {
                title: "t".into(),
                edits: vec![edit(range, text)],
                applicability: if safe {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                },
            })
        };
        let diagnostics = [
            with_fix("b.yaml", 5..6, "x", true),
            with_fix("a.yaml", 3..4, "y", true),
            with_fix("a.yaml", 0..1, "z", true),
            with_fix("a.yaml", 0..1, "z", true),
            with_fix("a.yaml", 8..9, "unsafe", false),
            with_fix("c.yaml", 0..4, "p", true),
            with_fix("c.yaml", 2..6, "q", true),
        ];
        let pending = safe_edits(&diagnostics);
        assert_eq!(
            pending.keys().collect::<Vec<_>>(),
            ["a.yaml", "b.yaml", "c.yaml"]
        );
        assert_eq!(pending["a.yaml"], vec![edit(0..1, "z"), edit(3..4, "y")]);
        assert_eq!(disjoint(&pending["a.yaml"]), Ok(()));
        assert_eq!(
            disjoint(&pending["c.yaml"]),
            Err(EditError::Overlap { at: 2 })
        );
        assert!(apply_edits(b"abcdefgh", &pending["c.yaml"]).is_err());
        // `--unsafe-fixes` adds the unsafe ones, collected the same way.
        let all = fix_edits(&diagnostics, true);
        assert_eq!(
            all["a.yaml"],
            vec![edit(0..1, "z"), edit(3..4, "y"), edit(8..9, "unsafe")]
        );
        assert_eq!(all["b.yaml"], pending["b.yaml"]);
    }
}
