//! Positions in a file: byte offsets inside, line and column at the edges.
//!
//! Everything in the core speaks byte offsets into the file's original bytes. [`LineIndex`] turns
//! an offset into a line and a column counted in bytes, UTF-8 characters or UTF-16 code units, so
//! that the command line (characters), SARIF and GitHub (characters) and the language server
//! (negotiated UTF-8 or UTF-16) all convert in one place. Lines end at `\n`; a `\r` before it
//! belongs to the line break. Bytes that are not valid UTF-8 count as one character (and one
//! UTF-16 unit) each, so no input can make a conversion fail.

use std::ops::Range;

/// How a column is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    /// Bytes of the UTF-8 encoding (LSP `utf-8`).
    Bytes,
    /// Unicode scalar values (what a person counts; used by the CLI, SARIF and GitHub output).
    Chars,
    /// UTF-16 code units (LSP's default `utf-16`).
    Utf16,
}

/// A zero-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// Zero-based line number.
    pub line: u32,
    /// Zero-based column, in the unit it was asked for.
    pub col: u32,
}

/// The start offset of every line of a file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &[u8]) -> LineIndex {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Number of lines (a final line without `\n` counts; an empty file has one line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line holding byte `offset` (clamped to the file).
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.len);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        u32::try_from(line).unwrap_or(u32::MAX)
    }

    /// The byte range of line `line`, without its line break (`\n` or `\r\n`).
    pub fn line_range(&self, text: &[u8], line: u32) -> Range<usize> {
        let line = line as usize;
        let Some(&start) = self.line_starts.get(line) else {
            return self.len..self.len;
        };
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(self.len, |next| next - 1);
        if end > start && text.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end.max(start)
    }

    /// The byte offset where line `line` starts (the file's end past the last line).
    pub fn line_start(&self, line: u32) -> usize {
        self.line_starts
            .get(line as usize)
            .copied()
            .unwrap_or(self.len)
    }

    /// Converts a byte offset to a line and a column in `unit`.
    pub fn line_col(&self, text: &[u8], offset: usize, unit: ColumnUnit) -> LineCol {
        let offset = offset.min(self.len).min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let col = column_width(&text[start..offset], unit);
        LineCol { line, col }
    }

    /// Converts a line and a column in `unit` back to a byte offset. A column past the end of
    /// the line clamps to the line's end; a column inside a multi-unit character rounds down.
    pub fn offset(&self, text: &[u8], position: LineCol, unit: ColumnUnit) -> usize {
        let range = self.line_range(text, position.line);
        let line = &text[range.clone()];
        let mut counted = 0u32;
        let mut index = 0usize;
        while index < line.len() {
            let (width, units) = char_at(line, index, unit);
            if counted + units > position.col {
                break;
            }
            counted += units;
            index += width;
        }
        range.start + index
    }
}

/// Width of `bytes` in `unit`.
fn column_width(bytes: &[u8], unit: ColumnUnit) -> u32 {
    if unit == ColumnUnit::Bytes {
        return u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    }
    let mut index = 0usize;
    let mut units = 0u32;
    while index < bytes.len() {
        let (width, n) = char_at(bytes, index, unit);
        index += width;
        units = units.saturating_add(n);
    }
    units
}

/// The byte width of the character at `index` and its width in `unit`. Invalid UTF-8 bytes are
/// one byte and one unit each.
fn char_at(bytes: &[u8], index: usize, unit: ColumnUnit) -> (usize, u32) {
    let first = bytes[index];
    let width = match first {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (1, 1),
    };
    if index + width > bytes.len() || std::str::from_utf8(&bytes[index..index + width]).is_err() {
        return (1, 1);
    }
    let units = match unit {
        ColumnUnit::Bytes => width as u32,
        ColumnUnit::Chars => 1,
        ColumnUnit::Utf16 => {
            if width == 4 {
                2
            } else {
                1
            }
        }
    };
    (width, units)
}

/// Offsets of `needle` in `haystack`.
pub(crate) fn memchr_iter(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(needle, haystack)
}

/// Whether `needle` occurs in `haystack` (a plain byte search).
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    find_bytes(haystack, needle).is_some()
}

/// The first offset of `needle` in `haystack`.
pub fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_every_unit() {
        let text = "a: é𝄞x\r\nb\n".as_bytes();
        let index = LineIndex::new(text);
        let x = text.iter().position(|&b| b == b'x').unwrap();
        assert_eq!(index.line_col(text, x, ColumnUnit::Bytes).col, 9);
        assert_eq!(index.line_col(text, x, ColumnUnit::Chars).col, 5);
        assert_eq!(index.line_col(text, x, ColumnUnit::Utf16).col, 6);
        for unit in [ColumnUnit::Bytes, ColumnUnit::Chars, ColumnUnit::Utf16] {
            let lc = index.line_col(text, x, unit);
            assert_eq!(index.offset(text, lc, unit), x);
        }
        assert_eq!(index.line_range(text, 0), 0..10);
        assert_eq!(index.line_of(12), 1);
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn invalid_utf8_counts_one_per_byte() {
        let text = b"k: \xff\xfev";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 5, ColumnUnit::Chars).col, 5);
        assert_eq!(index.line_col(text, 5, ColumnUnit::Utf16).col, 5);
    }

    #[test]
    fn find_bytes_finds_and_misses() {
        assert_eq!(
            find_bytes(b"abc\"$imagepolicy\"", b"\"$imagepolicy\""),
            Some(3)
        );
        assert_eq!(find_bytes(b"abc", b"abcd"), None);
        assert_eq!(find_bytes(b"aab", b"ab"), Some(1));
    }
}
