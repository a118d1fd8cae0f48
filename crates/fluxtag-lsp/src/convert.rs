//! Positions between fluxtag's byte offsets and the protocol's lines and characters: the one
//! place that knows the negotiated position encoding.
//!
//! Outgoing positions (diagnostics, hovers, locations, hints) are computed from the file's bytes
//! with `fluxtag_core::text::LineIndex`, in UTF-8 bytes when the client offered `utf-8` and in
//! UTF-16 code units otherwise. Incoming edits of `didChange` are applied to the document's rope
//! with the rope's own line breaks (`\n`, `\r\n` and a lone `\r`, exactly the protocol's). Every
//! conversion clamps: a position past a line's end means the line's end, a line past the end of
//! the file means the file's end, and a position inside a character rounds down to its start.

use std::ops::Range as ByteRange;

use fluxtag_core::text::{ColumnUnit, LineCol, LineIndex};
use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind, Range};

/// The position encoding agreed with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Columns count UTF-8 bytes (when the client offers `utf-8`).
    Utf8,
    /// Columns count UTF-16 code units (the protocol's default).
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (which every client must support).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    /// The protocol name of the encoding, for the `initialize` result.
    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn unit(self) -> ColumnUnit {
        match self {
            Encoding::Utf8 => ColumnUnit::Bytes,
            Encoding::Utf16 => ColumnUnit::Utf16,
        }
    }
}

/// A file's bytes with their line index: everything a conversion needs.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// Line starts of exactly these bytes.
    pub lines: &'a LineIndex,
}

impl Text<'_> {
    /// The protocol position of byte `offset`.
    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let LineCol { line, col } = self.lines.line_col(self.bytes, offset, encoding.unit());
        Position::new(line, col)
    }

    /// The protocol range of a byte range.
    pub fn range(&self, range: &ByteRange<usize>, encoding: Encoding) -> Range {
        Range::new(
            self.position(range.start, encoding),
            self.position(range.end.max(range.start), encoding),
        )
    }

    /// The byte offset of a protocol position.
    pub fn offset(&self, position: Position, encoding: Encoding) -> usize {
        self.lines.offset(
            self.bytes,
            LineCol {
                line: position.line,
                col: position.character,
            },
            encoding.unit(),
        )
    }

    /// The byte range of a protocol range (start and end ordered).
    pub fn byte_range(&self, range: Range, encoding: Encoding) -> ByteRange<usize> {
        let start = self.offset(range.start, encoding);
        let end = self.offset(range.end, encoding);
        start.min(end)..start.max(end)
    }
}

/// Applies one `didChange` content change to a rope: a range edit, or the whole text when the
/// change has no range.
pub fn apply_change(rope: &mut Rope, range: Option<Range>, text: &str, encoding: Encoding) {
    let Some(range) = range else {
        *rope = Rope::from_str(text);
        return;
    };
    let start = rope_char(rope, range.start, encoding);
    let end = rope_char(rope, range.end, encoding);
    let (start, end) = (start.min(end), start.max(end));
    rope.remove(start..end);
    rope.insert(start, text);
}

/// The char index of a protocol position in a rope, clamped to the line and the file.
fn rope_char(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let start = rope.line_to_char(line);
    let slice = rope.line(line);
    let mut content_chars = slice.len_chars();
    // Strip the line break: `\n`, `\r\n` or a lone `\r`.
    if content_chars > 0 && slice.char(content_chars - 1) == '\n' {
        content_chars -= 1;
    }
    if content_chars > 0 && slice.char(content_chars - 1) == '\r' {
        content_chars -= 1;
    }
    let end = start + content_chars;
    let column = position.character as usize;
    match encoding {
        Encoding::Utf8 => {
            let start_byte = rope.char_to_byte(start);
            let end_byte = rope.char_to_byte(end);
            rope.byte_to_char((start_byte + column).min(end_byte))
        }
        Encoding::Utf16 => {
            let start_unit = rope.char_to_utf16_cu(start);
            let end_unit = rope.char_to_utf16_cu(end);
            rope.utf16_cu_to_char((start_unit + column).min(end_unit))
        }
    }
}

/// The rope's text as bytes.
pub fn rope_bytes(rope: &Rope) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(rope.len_bytes());
    for chunk in rope.chunks() {
        bytes.extend_from_slice(chunk.as_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn non_ascii_columns_round_trip_in_both_encodings() {
        let bytes = "a: é𝄞 x # {}\nb: 1\n".as_bytes();
        let lines = LineIndex::new(bytes);
        let text = Text {
            bytes,
            lines: &lines,
        };
        let x = bytes.iter().position(|&b| b == b'x').unwrap_or(0);
        assert_eq!(text.position(x, Encoding::Utf8), pos(0, 10));
        assert_eq!(text.position(x, Encoding::Utf16), pos(0, 7));
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let p = text.position(x, encoding);
            assert_eq!(text.offset(p, encoding), x);
        }
        // Past the end of a line clamps to its end; past the file to its end.
        assert_eq!(text.offset(pos(1, 99), Encoding::Utf16), bytes.len() - 1);
        assert_eq!(text.offset(pos(9, 0), Encoding::Utf16), bytes.len());
    }

    /// Random edits through protocol positions agree with the same edits on a plain string,
    /// in both encodings, on text with multi-byte and astral characters and all line breaks.
    #[test]
    fn random_edits_match_a_string_model() {
        let pieces = ["a", "é", "𝄞", "日本", " ", "\n", "\r\n", "# {}", "x: 1"];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let mut model = String::from("k: v\n");
            let mut rope = Rope::from_str(&model);
            for _ in 0..500 {
                // Two char boundaries of the model, as protocol positions.
                let boundaries: Vec<usize> = model
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([model.len()])
                    .filter(|&i| !(model[..i].ends_with('\r') && model[i..].starts_with('\n')))
                    .collect();
                let a = boundaries[next(boundaries.len())];
                let b = boundaries[next(boundaries.len())];
                let (start, end) = (a.min(b), a.max(b));
                let to_position = |offset: usize| {
                    let before = &model[..offset];
                    let line_start = before.rfind(['\n']).map_or(0, |i| i + 1);
                    let line = before.matches('\n').count() as u32;
                    let column = &before[line_start..];
                    let character = match encoding {
                        Encoding::Utf8 => column.len(),
                        Encoding::Utf16 => column.encode_utf16().count(),
                    };
                    Position::new(line, character as u32)
                };
                let insert: String = (0..next(3)).map(|_| pieces[next(pieces.len())]).collect();
                let range = Range::new(to_position(start), to_position(end));
                apply_change(&mut rope, Some(range), &insert, encoding);
                model.replace_range(start..end, &insert);
                assert_eq!(rope.to_string(), model, "{encoding:?}");
                // And back: every boundary converts to a position and to the same offset.
                let lines = LineIndex::new(model.as_bytes());
                let text = Text {
                    bytes: model.as_bytes(),
                    lines: &lines,
                };
                for (offset, _) in model.char_indices() {
                    if model[..offset].ends_with('\r') && model[offset..].starts_with('\n') {
                        continue; // inside a line break: no position names it
                    }
                    assert_eq!(
                        text.offset(text.position(offset, encoding), encoding),
                        offset
                    );
                }
            }
        }
    }

    #[test]
    fn incremental_changes_on_lines_with_non_ascii_text() {
        for (encoding, start, end) in [(Encoding::Utf16, 7, 8), (Encoding::Utf8, 10, 11)] {
            let mut rope = Rope::from_str("a: é𝄞 x\r\nb\n");
            apply_change(
                &mut rope,
                Some(Range::new(pos(0, start), pos(0, end))),
                "ÿz",
                encoding,
            );
            assert_eq!(rope.to_string(), "a: é𝄞 ÿz\r\nb\n");
            // A column past the end of the line lands before its `\r\n`.
            apply_change(
                &mut rope,
                Some(Range::new(pos(0, 99), pos(0, 99))),
                "!",
                encoding,
            );
            assert_eq!(rope.to_string(), "a: é𝄞 ÿz!\r\nb\n");
        }
        let mut rope = Rope::from_str("x");
        apply_change(&mut rope, None, "new", Encoding::Utf16);
        assert_eq!(rope_bytes(&rope), b"new");
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
    }
}
