//! Scalar text: decoding the source of a scalar into its value, and writing a new value in a
//! scalar's style.
//!
//! The writing rules are `fluxtag-differences.md` §1: a scalar keeps its style; a plain scalar
//! becomes double-quoted exactly when Flux quotes it ([`resolves_to_non_string`]: kyaml's
//! `FormatNonStringStyle` over go-yaml v2's resolver, `flux-semantics.md` §1.6), or when it
//! could not be written plain at all; without the stale type tags Flux emits.

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

/// Whether Flux writes `text` quoted when it replaces a plain scalar: kyaml's
/// `FormatNonStringStyle` (kyaml v0.21.1 `yaml/compatibility.go`) double-quotes a new value
/// when `IsValueNonString` says go-yaml v2 (YAML 1.1) loads it as something other than a
/// string, and go-yaml v3's encoder (v3.0.4 `encode.go`, `forceQuoting`) quotes a `!!str`
/// node whose value it would resolve otherwise, the empty string included. v3's resolver
/// accepts a subset of v2's, so the answer is v2's `resolve` (go-yaml v2.4.4 `resolve.go`) on a
/// plain scalar, plus the empty string:
/// * the first byte picks a hint: a sign, a digit, one of `yYnNtTfFoO~`, or `.`; any other
///   first byte (`_1`, `v1.2`, `inf`) is a string;
/// * the YAML 1.1 words (`y`, `yes`, `on`, `off`, `NO`, `~`, `null`, `.inf`, `.NaN` …);
/// * after a sign or digit: a timestamp (`2024-01-01`, a real date), then Go
///   `strconv.ParseInt(s, 0, 64)` / `ParseUint` with every `_` removed (`1_000`, `0x1F`,
///   `0o17`, `0755`, `-1`, `+1`; out of range is a string: `0xFFFFFFFFFFFFFFFFFF`), then the
///   YAML float pattern with a finite Go `ParseFloat` (`1e3`, `1.10`, `08`; `1e400` is a
///   string);
/// * after `.`: a finite Go `ParseFloat` (`.5`).
///
/// Base 60 (`1:2`, `190:20:30`) is purposely not resolved by go-yaml, so Flux writes it plain;
/// `<<` too.
pub fn resolves_to_non_string(text: &str) -> bool {
    let Some(&first) = text.as_bytes().first() else {
        return true;
    };
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    match first {
        b'+' | b'-' | b'0'..=b'9' => {
            if WORDS.contains(&text) || is_yaml_timestamp(text) {
                return true;
            }
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            go_parses_as_integer(&plain)
                || (is_yaml_float_syntax(&plain)
                    && fluxtag_policy::parse_go_float(&plain).is_some())
        }
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            WORDS.contains(&text)
        }
        b'.' => WORDS.contains(&text) || fluxtag_policy::parse_go_float(text).is_some(),
        _ => false,
    }
}

/// Whether Go's `strconv.ParseInt(s, 0, 64)` or, failing that, `ParseUint(s, 0, 64)` accepts
/// `s` (no underscores left): an optional sign (only for `ParseInt`), a base prefix `0b`, `0o`,
/// `0x` (any case, with at least one digit after it) or a leading `0` for octal, digits of that
/// base, and a value in range (`ParseInt`: `i64`; `ParseUint`: `u64`).
fn go_parses_as_integer(s: &str) -> bool {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => (0, s),
    };
    if body.is_empty() {
        return false;
    }
    let lower = body.to_ascii_lowercase();
    let (base, digits) = if lower.len() >= 3 && lower.starts_with("0b") {
        (2, &body[2..])
    } else if lower.len() >= 3 && lower.starts_with("0o") {
        (8, &body[2..])
    } else if lower.len() >= 3 && lower.starts_with("0x") {
        (16, &body[2..])
    } else if let Some(octal) = body.strip_prefix('0') {
        (8, octal)
    } else {
        (10, body)
    };
    let mut value: u128 = 0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(base) else {
            return false;
        };
        value = value * u128::from(base) + u128::from(d);
        if value > u128::from(u64::MAX) {
            return false;
        }
    }
    match sign {
        0 => true, // ParseInt, else ParseUint: anything up to u64::MAX
        1 => value <= i64::MAX as u128,
        _ => value <= (i64::MAX as u128) + 1,
    }
}

/// go-yaml's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float_syntax(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// go-yaml's `parseTimestamp` (v2.4.4 and v3.0.4 `resolve.go`): four digits and `-`, then one of
/// Go's layouts `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00` (also with `t`) or
/// `2006-1-2 15:4:5.999999999`, with Go's range checks (month 1–12, a day of that month,
/// hours, minutes, seconds).
fn is_yaml_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    // Go's `getnum(value, false)`: one digit, or two when the second is a digit.
    let num = |i: &mut usize| -> Option<u32> {
        let first = *b.get(*i).filter(|c| c.is_ascii_digit())?;
        let mut v = u32::from(first - b'0');
        *i += 1;
        if let Some(&second) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            v = v * 10 + u32::from(second - b'0');
            *i += 1;
        }
        Some(v)
    };
    let year: u32 = text[..4].parse().unwrap_or(0);
    let Some(month) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day < 1 || day > days {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let mut clock = [0u32; 3];
    for (n, slot) in clock.iter_mut().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
        }
        let Some(v) = num(&mut i) else {
            return false;
        };
        *slot = v;
    }
    if clock[0] > 23 || clock[1] > 59 || clock[2] > 59 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &b[i + 1..];
            zone.len() == 5
                && zone[2] == b':'
                && [0, 1, 3, 4].iter().all(|&k| zone[k].is_ascii_digit())
        }
        _ => false,
    }
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

/// Whether `value` can be the one content line of a block scalar and read back as itself (with
/// a `-` chomping indicator): one line, no leading blank, no control character.
pub fn can_be_block_line(value: &str) -> bool {
    !value.starts_with([' ', '\t'])
        && !value
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}'))
}

/// The source text for `value` replacing a scalar written in `style`: the style is kept; a plain
/// scalar that Flux would quote, or that would not read back as the same string, becomes
/// double-quoted. For a block scalar (`|`, `>`) it is the text of its content lines (a block
/// holds any string, so no quoting is needed), or a double-quoted scalar when the value cannot
/// be one block line; the block's header is the marker finder's business
/// (`marker::block_header_edits`).
pub fn encode_in_style(value: &str, style: ScalarStyle, in_flow: bool) -> String {
    match style {
        ScalarStyle::Plain if can_be_plain(value, in_flow) => value.to_string(),
        ScalarStyle::SingleQuoted => encode_single(value).unwrap_or_else(|| encode_double(value)),
        ScalarStyle::Literal | ScalarStyle::Folded if can_be_block_line(value) => value.to_string(),
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
            "_1",
            "190:20:30",
            "1:2",
            "<<",
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
