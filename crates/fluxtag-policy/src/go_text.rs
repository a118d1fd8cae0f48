//! Small pieces of Go's text formatting that the controllers' messages depend on.

use std::fmt::Write as _;

/// Go's `strconv.Quote` (the `%q` verb): a double-quoted string with `"` and `\` escaped,
/// `\a \b \f \n \r \t \v` for those controls, `\xNN` for other ASCII controls, and `\uNNNN` /
/// `\UNNNNNNNN` for non-printable non-ASCII characters. Printable non-ASCII characters are
/// kept as they are.
///
/// "Printable" is approximated without Unicode category tables: controls, whitespace other
/// than the ASCII space, private-use characters, non-characters and the common invisible
/// format characters are escaped; unassigned code points are kept (Go would escape them).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0B}' => out.push_str("\\v"),
            c if c.is_ascii() => {
                if c.is_ascii_control() {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                } else {
                    out.push(c);
                }
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Approximation of Go's `unicode.IsPrint` for non-ASCII characters.
fn is_printable(c: char) -> bool {
    let n = c as u32;
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format_chars = matches!(
        n,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0001
            | 0xE0020..=0xE007F
    );
    let private_or_nonchar = matches!(n, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
        || (n & 0xFFFE) == 0xFFFE
        || (0xFDD0..=0xFDEF).contains(&n);
    !(format_chars || private_or_nonchar)
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("1.0.0p"), "\"1.0.0p\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote("\t\n\u{1}\u{7f}"), "\"\\t\\n\\x01\\x7f\"");
        assert_eq!(quote("é\u{a0}\u{200b}"), "\"é\\u00a0\\u200b\"");
        assert_eq!(quote("\u{f0000}"), "\"\\U000f0000\"");
    }
}
