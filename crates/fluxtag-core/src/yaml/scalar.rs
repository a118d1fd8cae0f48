//! Scalar text: decoding the source of a scalar into its value, and writing a new value in a
//! scalar's style.
//!
//! The writing rules are `fluxtag-differences.md` §1: a scalar keeps its style; a plain scalar
//! whose new text would not load as a string (in YAML 1.1 or 1.2 core), or could not be written
//! plain at all, becomes double-quoted, as Flux decides (`flux-semantics.md` §1.6), without the
//! stale type tags Flux emits.

/// How a scalar is written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'…'`.
    SingleQuoted,
    /// `"…"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

impl ScalarStyle {
    /// A lowercase name for messages and JSON (`plain`, `single`, `double`, `literal`, `folded`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarStyle::Plain => "plain",
            ScalarStyle::SingleQuoted => "single",
            ScalarStyle::DoubleQuoted => "double",
            ScalarStyle::Literal => "literal",
            ScalarStyle::Folded => "folded",
        }
    }
}

/// Folds the lines of a flow scalar (plain or quoted) as YAML does: a single line break between
/// two lines becomes a space, each empty line becomes a `\n`, and the white space around line
/// breaks is dropped.
fn fold_lines(text: &str, trim_outer: bool) -> String {
    if !text.contains('\n') {
        return if trim_outer {
            text.trim_matches([' ', '\t']).to_string()
        } else {
            text.to_string()
        };
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    let mut out = String::with_capacity(text.len());
    let mut pending_breaks = 0usize;
    let mut wrote_any = false;
    for (i, raw) in lines.iter().enumerate() {
        let raw: &str = raw.strip_suffix('\r').unwrap_or(raw);
        let mut line: &str = raw;
        if i > 0 || trim_outer {
            line = line.trim_start_matches([' ', '\t']);
        }
        if i < last || trim_outer {
            line = line.trim_end_matches([' ', '\t']);
        }
        if line.is_empty() && i != 0 && i != last {
            pending_breaks += 1;
            continue;
        }
        if i > 0 {
            if pending_breaks > 0 {
                out.extend(std::iter::repeat_n('\n', pending_breaks));
            } else if wrote_any || i > 0 {
                out.push(' ');
            }
        }
        pending_breaks = 0;
        out.push_str(line);
        wrote_any = true;
    }
    out
}

/// The value of a plain scalar from its source text.
pub fn decode_plain(source: &str) -> String {
    fold_lines(source, true)
}

/// The value of a single-quoted scalar from its source text (with the quotes).
pub fn decode_single(source: &str) -> String {
    let inner = source
        .strip_prefix('\'')
        .map(|s| s.strip_suffix('\'').unwrap_or(s))
        .unwrap_or(source);
    fold_lines(inner, false).replace("''", "'")
}

/// The value of a double-quoted scalar from its source text (with the quotes). Unknown escapes
/// are kept as written; the parser reports them.
pub fn decode_double(source: &str) -> String {
    let inner = source
        .strip_prefix('"')
        .map(|s| s.strip_suffix('"').unwrap_or(s))
        .unwrap_or(source);
    // Escaped line breaks join lines without a space; handle them before folding by marking.
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let mut segment = String::new();
    while let Some(c) = chars.next() {
        if c != '\\' {
            segment.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            segment.push('\\');
            break;
        };
        // Escapes produce characters that must not be folded: flush the folded segment first.
        let folded = fold_lines(&segment, false);
        out.push_str(&folded);
        segment.clear();
        match e {
            '0' => out.push('\0'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            't' | '\t' => out.push('\t'),
            'n' => out.push('\n'),
            'v' => out.push('\u{b}'),
            'f' => out.push('\u{c}'),
            'r' => out.push('\r'),
            'e' => out.push('\u{1b}'),
            ' ' => out.push(' '),
            '"' => out.push('"'),
            '/' => out.push('/'),
            '\\' => out.push('\\'),
            'N' => out.push('\u{85}'),
            '_' => out.push('\u{a0}'),
            'L' => out.push('\u{2028}'),
            'P' => out.push('\u{2029}'),
            'x' | 'u' | 'U' => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..digits).filter_map(|_| chars.next()).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == digits => out.push(ch),
                    _ => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            '\r' | '\n' => {
                // An escaped line break: skip the break and the next line's leading blanks.
                if e == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                while matches!(chars.peek(), Some(' ' | '\t')) {
                    chars.next();
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out.push_str(&fold_lines(&segment, false));
    out
}

/// The value of a block scalar (`|` or `>`) from its source text, header included.
pub fn decode_block(source: &str) -> String {
    let mut lines = source.split('\n');
    let header = lines.next().unwrap_or("");
    let header = header.split(" #").next().unwrap_or(header).trim();
    let folded = header.starts_with('>');
    let keep = header.contains('+');
    let strip = header.contains('-');
    let explicit_indent = header
        .chars()
        .find_map(|c| c.to_digit(10))
        .map(|d| d as usize);
    let body: Vec<&str> = lines.map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let indent = explicit_indent.unwrap_or_else(|| {
        body.iter()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len())
    });
    let mut content: Vec<&str> = body
        .iter()
        .map(|l| if l.len() >= indent { &l[indent..] } else { "" })
        .collect();
    while content.last().is_some_and(|l| l.is_empty()) {
        content.pop();
    }
    let trailing_breaks = body.len().saturating_sub(content.len());
    let mut text = if folded {
        let mut out = String::new();
        let mut previous_more_indented = false;
        for (i, line) in content.iter().enumerate() {
            let more_indented = line.starts_with([' ', '\t']);
            if i > 0 {
                if line.is_empty() {
                    out.push('\n');
                    continue;
                }
                if more_indented || previous_more_indented || content[i - 1].is_empty() {
                    if !content[i - 1].is_empty() {
                        out.push('\n');
                    }
                } else {
                    out.push(' ');
                }
            }
            out.push_str(line);
            previous_more_indented = more_indented;
        }
        out
    } else {
        content.join("\n")
    };
    if !strip && !content.is_empty() {
        text.push('\n');
        if keep {
            for _ in 1..trailing_breaks {
                text.push('\n');
            }
        }
    }
    text
}

/// Whether a plain scalar with this text would load as something other than a string in YAML 1.1
/// (go-yaml v2) or YAML 1.2 core (go-yaml v3): null, booleans, integers, floats, timestamps.
pub fn resolves_to_non_string(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    const SPECIAL: &[&str] = &[
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if SPECIAL.contains(&text) {
        return true;
    }
    is_yaml_number(text) || is_yaml_timestamp(text)
}

/// YAML 1.1 and 1.2 integers and floats (with `_` separators, `0x`, `0o`, `0b`, leading-zero
/// octal and base-60 forms).
fn is_yaml_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if body.is_empty() {
        return false;
    }
    let digits_us = |s: &str, ok: fn(char) -> bool| {
        !s.is_empty() && s.chars().all(|c| ok(c) || c == '_') && s.chars().any(ok)
    };
    if let Some(hex) = body.strip_prefix("0x") {
        return digits_us(hex, |c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return digits_us(oct, |c| ('0'..='7').contains(&c));
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return digits_us(bin, |c| c == '0' || c == '1');
    }
    // Base 60: 190:20:30 or 1:30.5
    if body.contains(':') {
        let mut parts = body.split(':');
        let first = parts.next().unwrap_or("");
        let first_ok = digits_us(first, |c| c.is_ascii_digit()) && !first.starts_with('0');
        let rest: Vec<&str> = parts.collect();
        let last_index = rest.len().saturating_sub(1);
        return first_ok
            && !rest.is_empty()
            && rest.iter().enumerate().all(|(i, p)| {
                let (int, frac) = match p.split_once('.') {
                    Some((int, frac)) if i == last_index => (int, Some(frac)),
                    _ => (*p, None),
                };
                int.len() <= 2
                    && !int.is_empty()
                    && int.chars().all(|c| c.is_ascii_digit())
                    && int.parse::<u32>().is_ok_and(|v| v < 60)
                    && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'))
            });
    }
    // Decimal integer or float: digits with optional `_`, optional fraction, optional exponent.
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if let Some(exponent) = exponent {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if exponent.is_empty() || !exponent.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let int_ok = int.chars().all(|c| c.is_ascii_digit() || c == '_');
    let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    let has_digit = int.chars().any(|c| c.is_ascii_digit())
        || frac.is_some_and(|f| f.chars().any(|c| c.is_ascii_digit()));
    int_ok && frac_ok && has_digit
}

/// YAML timestamps: `2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10 -5`.
fn is_yaml_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if bytes.len() < 8 || !digits(0..4) || bytes[4] != b'-' {
        return false;
    }
    // month: 1 or 2 digits, day: 1 or 2 digits
    let mut i = 5;
    let month_len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=2).contains(&month_len) {
        return false;
    }
    i += month_len;
    if bytes.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let day_len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=2).contains(&day_len) {
        return false;
    }
    i += day_len;
    if i == bytes.len() {
        return true;
    }
    // A time part must follow: [Tt ]+hh:mm:ss...
    matches!(bytes[i], b'T' | b't' | b' ' | b'\t')
        && text[i + 1..].trim_start().split(':').count() >= 3
}

/// Whether `text` can be written as a plain scalar at all (in block and flow context) and reads
/// back as the same string.
pub fn can_be_plain(text: &str, in_flow: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']) {
        return false;
    }
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        // `-`, `?` and `:` may start a plain scalar when followed by a safe character.
        let second = text[first.len_utf8()..].chars().next();
        let safe_start = matches!(first, '-' | '?' | ':')
            && second.is_some_and(|c| !(c.is_whitespace() || in_flow && ",[]{}".contains(c)));
        if !safe_start {
            return false;
        }
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if text.chars().any(|c| {
        c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}'
    }) {
        return false;
    }
    if in_flow && text.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    !resolves_to_non_string(text)
}

/// Writes `value` as a double-quoted scalar.
pub fn encode_double(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `value` as a single-quoted scalar, or `None` when single quotes cannot hold it
/// (control characters, line breaks).
pub fn encode_single(value: &str) -> Option<String> {
    if value.chars().any(|c| c.is_control()) {
        return None;
    }
    Some(format!("'{}'", value.replace('\'', "''")))
}

/// The source text for `value` replacing a scalar written in `style`: the style is kept; a plain
/// scalar that would not read back as the same string becomes double-quoted; block scalars are
/// replaced by a double-quoted scalar (they never hold image references in practice, and a
/// one-line double-quoted value is exact).
pub fn encode_in_style(value: &str, style: ScalarStyle, in_flow: bool) -> String {
    match style {
        ScalarStyle::Plain if can_be_plain(value, in_flow) => value.to_string(),
        ScalarStyle::SingleQuoted => encode_single(value).unwrap_or_else(|| encode_double(value)),
        _ => encode_double(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_flow_scalars() {
        assert_eq!(decode_plain("foo\n    bar"), "foo bar");
        assert_eq!(decode_plain("a\n\n  b"), "a\nb");
        assert_eq!(decode_single("'it''s'"), "it's");
        assert_eq!(decode_double(r#""a\tb\u0041\x41\"""#), "a\tbAA\"");
        assert_eq!(decode_double("\"a\\\n   b\""), "ab");
        assert_eq!(decode_double("\"a\n   b\""), "a b");
    }

    #[test]
    fn decodes_block_scalars() {
        assert_eq!(decode_block("|\n  a\n  b\n"), "a\nb\n");
        assert_eq!(decode_block("|-\n  a\n  b\n"), "a\nb");
        assert_eq!(decode_block(">\n  a\n  b\n"), "a b\n");
    }

    /// fluxtag-differences.md §1: values that would load as non-strings are double-quoted.
    #[test]
    fn non_string_values() {
        for text in [
            "1.10",
            "123",
            "0755",
            "1e3",
            "yes",
            "on",
            "null",
            "~",
            "2024-01-01",
            ".5",
            "0x1F",
            "1_000",
            "190:20:30",
            "-1",
            "+.inf",
            "",
        ] {
            assert!(
                resolves_to_non_string(text),
                "{text:?} should not load as a string"
            );
        }
        for text in [
            "1.2.3",
            "v1.2.3",
            "5.0.3",
            "ghcr.io/org/app:1.2.3",
            "sha256:abc",
            "latest",
            "1.2-rc",
            "2024-01-01-abc",
            "1e",
            "0x",
            "main-123",
        ] {
            assert!(
                !resolves_to_non_string(text),
                "{text:?} should load as a string"
            );
        }
    }

    #[test]
    fn encodes_in_style() {
        assert_eq!(encode_in_style("1.2.3", ScalarStyle::Plain, false), "1.2.3");
        assert_eq!(
            encode_in_style("1.10", ScalarStyle::Plain, false),
            "\"1.10\""
        );
        assert_eq!(encode_in_style("", ScalarStyle::Plain, false), "\"\"");
        assert_eq!(
            encode_in_style("1.10", ScalarStyle::SingleQuoted, false),
            "'1.10'"
        );
        assert_eq!(
            encode_in_style("a'b", ScalarStyle::SingleQuoted, false),
            "'a''b'"
        );
        assert_eq!(
            encode_in_style("a\"b", ScalarStyle::DoubleQuoted, false),
            "\"a\\\"b\""
        );
        assert_eq!(encode_in_style("a,b", ScalarStyle::Plain, true), "\"a,b\"");
        assert_eq!(encode_in_style("-x", ScalarStyle::Plain, false), "-x");
        assert_eq!(encode_in_style("- x", ScalarStyle::Plain, false), "\"- x\"");
    }
}
