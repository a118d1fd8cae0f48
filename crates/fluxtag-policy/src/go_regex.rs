//! Go RE2 regular expressions (`regexp.Compile`) on top of the `regex` crate.
//!
//! Flux compiles `filterTags.pattern` and every `exclusionList` entry with Go's `regexp`
//! package. The `regex` crate is close but not identical, so a pattern is first read with
//! Go's syntax rules and rewritten into an equivalent `regex` pattern:
//!
//! * `\d \s \w` (and `\D \S \W`, inside and outside classes) are ASCII-only, as in Go;
//!   `\b \B` use ASCII word characters;
//! * `\Q…\E` literals, octal escapes (`\0`, `\012`), `\a \f \t \n \r \v`, `\x7F`, `\x{…}`
//!   and escaped punctuation (`\<` is a literal `<`, as in Go) are supported;
//! * a `{` that does not start a valid repetition is a literal (Go), repetition counts above
//!   1000 are refused, stacked repetitions (`a**`) are refused;
//! * inside a class, `[` is a literal unless it starts `[:name:]`, and `&&`, `--`, `~~` have
//!   no special meaning;
//! * named groups `(?P<name>…)` and `(?<name>…)` accept Go's names (`[A-Za-z0-9_]+`, digits
//!   first allowed, duplicates allowed); names are kept here, not in the `regex` pattern;
//! * only the flags `i m s U` exist.
//!
//! Syntax errors carry Go's message, e.g. ``error parsing regexp: missing closing ]: `[a` ``.
//!
//! Known differences that remain: Unicode class names (`\p{…}`) are resolved by the `regex`
//! crate, which knows a few more names than Go; Go's limit on nested repetition size (1000
//! in total) is not checked; the `regex` crate's nesting (250) and size limits apply.

use regex::{Captures, Regex, RegexBuilder};
use std::fmt;

/// A Go regular expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct GoRegexError {
    message: String,
}

impl GoRegexError {
    fn syntax(code: &str, expr: &str) -> Self {
        GoRegexError {
            message: format!("error parsing regexp: {code}: `{expr}`"),
        }
    }
}

/// A compiled pattern with Go's syntax and meaning.
#[derive(Clone)]
pub struct GoRegex {
    pattern: String,
    regex: Regex,
    /// Group names by group index (index 0 is the whole match and never named).
    names: Vec<Option<String>>,
}

impl fmt::Debug for GoRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoRegex")
            .field("pattern", &self.pattern)
            .field("translated", &self.regex.as_str())
            .finish()
    }
}

impl GoRegex {
    /// Compiles `pattern` as Go's `regexp.Compile` would.
    ///
    /// # Errors
    ///
    /// [`GoRegexError`] with Go's message for a syntax error, or the `regex` crate's message
    /// if the rewritten pattern exceeds one of its limits.
    pub fn new(pattern: &str) -> Result<GoRegex, GoRegexError> {
        let mut translator = Translator::new(pattern);
        translator.run()?;
        let regex = RegexBuilder::new(&translator.out)
            .build()
            .map_err(|e| GoRegexError {
                message: format!(
                    "error parsing regexp: {}",
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim()
                ),
            })?;
        Ok(GoRegex {
            pattern: pattern.to_owned(),
            regex,
            names: translator.names,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches anywhere in `text` (Go `MatchString`, unanchored).
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// The leftmost-first match with its groups (Go `FindStringSubmatchIndex`).
    pub fn captures<'t>(&self, text: &'t str) -> Option<GoCaptures<'_, 't>> {
        self.regex
            .captures(text)
            .map(|caps| GoCaptures { regex: self, caps })
    }

    /// The group names by index, `None` for unnamed groups (Go `SubexpNames`, with index 0
    /// the whole match).
    pub fn group_names(&self) -> &[Option<String>] {
        &self.names
    }
}

/// A match and its groups, able to expand Go templates.
pub struct GoCaptures<'r, 't> {
    regex: &'r GoRegex,
    caps: Captures<'t>,
}

impl GoCaptures<'_, '_> {
    /// The text of group `index`, if the group took part in the match.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.caps.get(index).map(|m| m.as_str())
    }

    /// The text of the first group called `name` that took part in the match.
    pub fn name(&self, name: &str) -> Option<&str> {
        self.regex
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.as_deref() == Some(name))
            .find_map(|(i, _)| self.get(i))
    }

    /// Go `Regexp.ExpandString`: `$name` or `${name}` where a name is the longest run of
    /// letters, digits and `_`; an all-digit name without leading zero is a group number;
    /// unknown or non-participating groups give the empty string; `$$` is `$`; a `$` not
    /// followed by a valid name is kept as is.
    pub fn expand(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(after) = rest.strip_prefix('$') {
                out.push('$');
                rest = after;
                continue;
            }
            match template_name(rest) {
                Some((name, after)) => {
                    rest = after;
                    let value = match group_number(name) {
                        Some(index) => self.get(index),
                        None => self.name(name),
                    };
                    out.push_str(value.unwrap_or(""));
                }
                None => out.push('$'),
            }
        }
        out.push_str(rest);
        out
    }
}

/// Reads `name` or `{name}` at the start of `s` (after a `$`); returns the name and the rest.
fn template_name(s: &str) -> Option<(&str, &str)> {
    let (body, braced) = match s.strip_prefix('{') {
        Some(body) => (body, true),
        None => (s, false),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let rest = &body[end..];
    if braced {
        let rest = rest.strip_prefix('}')?;
        return Some((name, rest));
    }
    Some((name, rest))
}

/// A template name that is a group number: ASCII digits, no leading zero, below 10^8.
fn group_number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    let mut n: usize = 0;
    for b in name.bytes() {
        if n >= 100_000_000 {
            return None;
        }
        n = n * 10 + usize::from(b - b'0');
    }
    Some(n)
}

const ERR_MISSING_BRACKET: &str = "missing closing ]";
const ERR_MISSING_PAREN: &str = "missing closing )";
const ERR_UNEXPECTED_PAREN: &str = "unexpected )";
const ERR_INVALID_ESCAPE: &str = "invalid escape sequence";
const ERR_INVALID_RANGE: &str = "invalid character class range";
const ERR_NAMED_CAPTURE: &str = "invalid named capture";
const ERR_PERL_OP: &str = "invalid or unsupported Perl syntax";
const ERR_REPEAT_OP: &str = "invalid nested repetition operator";
const ERR_REPEAT_SIZE: &str = "invalid repeat count";
const ERR_MISSING_REPEAT: &str = "missing argument to repetition operator";
const ERR_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";

const MAX_REPEAT: i64 = 1000;

/// Go's `\d`, `\s`, `\w` as class contents.
const DIGIT: &str = "0-9";
const SPACE: &str = r"\t\n\x0C\r ";
const WORD: &str = "0-9A-Za-z_";

/// The POSIX class names Go knows.
const POSIX_NAMES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// One pass over a Go pattern, writing the `regex` pattern and checking Go's syntax rules.
struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    names: Vec<Option<String>>,
    /// Open groups.
    depth: usize,
    /// Whether something that can be repeated precedes the current position.
    operand: bool,
    /// Start of the previous token if it was a repetition operator.
    last_repeat: Option<usize>,
}

/// What a class item inside `[...]` turned into.
enum ClassItem {
    Char(char),
    Raw(String),
}

impl<'a> Translator<'a> {
    fn new(src: &'a str) -> Self {
        Translator {
            src,
            pos: 0,
            out: String::with_capacity(src.len() + 16),
            names: vec![None],
            depth: 0,
            operand: false,
            last_repeat: None,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn run(&mut self) -> Result<(), GoRegexError> {
        while let Some(c) = self.peek() {
            let start = self.pos;
            let mut repeat = None;
            match c {
                '(' => self.open_group()?,
                ')' => {
                    if self.depth == 0 {
                        return Err(GoRegexError::syntax(ERR_UNEXPECTED_PAREN, self.src));
                    }
                    self.depth -= 1;
                    self.pos += 1;
                    self.out.push(')');
                    self.operand = true;
                }
                '|' => {
                    self.pos += 1;
                    self.out.push('|');
                    self.operand = false;
                }
                '^' | '$' => {
                    self.pos += 1;
                    self.out.push_str(if c == '^' { "(?:^)" } else { "(?:$)" });
                    self.operand = true;
                }
                '.' => {
                    self.pos += 1;
                    self.out.push('.');
                    self.operand = true;
                }
                '[' => {
                    self.class()?;
                    self.operand = true;
                }
                '*' | '+' | '?' => {
                    self.pos += 1;
                    self.repetition(start, &c.to_string())?;
                    repeat = Some(start);
                }
                '{' => match parse_repeat(self.rest()) {
                    Some((min, max, len)) => {
                        let text = &self.src[start..start + len];
                        if !(0..=MAX_REPEAT).contains(&min)
                            || max > MAX_REPEAT
                            || (max >= 0 && min > max)
                        {
                            return Err(GoRegexError::syntax(ERR_REPEAT_SIZE, text));
                        }
                        self.pos += len;
                        self.repetition(start, text)?;
                        repeat = Some(start);
                    }
                    None => {
                        self.pos += 1;
                        self.out.push_str(r"\{");
                        self.operand = true;
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.pos += c.len_utf8();
                    push_literal(&mut self.out, c);
                    self.operand = true;
                }
            }
            self.last_repeat = repeat;
        }
        if self.depth > 0 {
            return Err(GoRegexError::syntax(ERR_MISSING_PAREN, self.src));
        }
        Ok(())
    }

    /// `*`, `+`, `?` or `{n,m}` (already consumed, `text` is its source), with an optional
    /// `?` for non-greedy.
    fn repetition(&mut self, start: usize, text: &str) -> Result<(), GoRegexError> {
        let mut op = text.to_owned();
        if self.peek() == Some('?') {
            self.pos += 1;
            op.push('?');
        }
        if let Some(previous) = self.last_repeat {
            return Err(GoRegexError::syntax(
                ERR_REPEAT_OP,
                &self.src[previous..self.pos],
            ));
        }
        if !self.operand {
            return Err(GoRegexError::syntax(
                ERR_MISSING_REPEAT,
                &self.src[start..self.pos],
            ));
        }
        self.out.push_str(&op);
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), GoRegexError> {
        let rest = self.rest();
        if !rest.starts_with("(?") {
            self.pos += 1;
            self.depth += 1;
            self.names.push(None);
            self.out.push('(');
            self.operand = false;
            return Ok(());
        }
        let named_p = rest.len() > 4 && rest[2..].starts_with("P<");
        let named = rest.len() > 3 && rest[2..].starts_with('<');
        if named_p || named {
            let name_start = if named_p { 4 } else { 3 };
            let Some(end) = rest.find('>') else {
                return Err(GoRegexError::syntax(ERR_NAMED_CAPTURE, rest));
            };
            let name = rest.get(name_start..end).unwrap_or("");
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(GoRegexError::syntax(ERR_NAMED_CAPTURE, &rest[..=end]));
            }
            self.pos += end + 1;
            self.depth += 1;
            self.names.push(Some(name.to_owned()));
            self.out.push('(');
            self.operand = false;
            return Ok(());
        }
        // Flags, optionally opening a non-capturing group.
        let mut flags = String::new();
        let mut negated = false;
        let mut saw_flag = false;
        for (offset, c) in rest[2..].char_indices() {
            match c {
                'i' | 'm' | 's' | 'U' => {
                    flags.push(c);
                    saw_flag = true;
                }
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    flags.push('-');
                }
                ':' | ')' if !negated || saw_flag => {
                    self.pos += 2 + offset + 1;
                    if c == ':' {
                        self.depth += 1;
                        self.out.push_str(&format!("(?{flags}:"));
                        self.operand = false;
                    } else if !flags.is_empty() {
                        self.out.push_str(&format!("(?{flags})"));
                    }
                    return Ok(());
                }
                _ => {
                    let end = 2 + offset + c.len_utf8();
                    return Err(GoRegexError::syntax(ERR_PERL_OP, &rest[..end]));
                }
            }
        }
        Err(GoRegexError::syntax(ERR_PERL_OP, rest))
    }

    /// A backslash outside a class.
    fn escape(&mut self) -> Result<(), GoRegexError> {
        let rest = self.rest();
        let next = rest[1..].chars().next();
        let simple = match next {
            Some('A') => Some(r"(?:\A)"),
            Some('z') => Some(r"(?:\z)"),
            Some('b') => Some(r"(?:(?-u:\b))"),
            Some('B') => Some(r"(?:(?-u:\B))"),
            Some('d') => Some("[0-9]"),
            Some('D') => Some("[^0-9]"),
            Some('s') => Some(r"[\t\n\x0C\r ]"),
            Some('S') => Some(r"[^\t\n\x0C\r ]"),
            Some('w') => Some("[0-9A-Za-z_]"),
            Some('W') => Some("[^0-9A-Za-z_]"),
            _ => None,
        };
        if let Some(text) = simple {
            self.pos += 2;
            self.out.push_str(text);
            self.operand = true;
            return Ok(());
        }
        match next {
            Some('C') => Err(GoRegexError::syntax(ERR_INVALID_ESCAPE, &rest[..2])),
            Some('Q') => {
                let body = &rest[2..];
                let (literal, consumed) = match body.find(r"\E") {
                    Some(end) => (&body[..end], end + 2),
                    None => (body, body.len()),
                };
                for c in literal.chars() {
                    push_literal(&mut self.out, c);
                }
                if !literal.is_empty() {
                    self.operand = true;
                }
                self.pos += 2 + consumed;
                Ok(())
            }
            Some('p' | 'P') => {
                let (text, len) = unicode_class(rest)?;
                self.pos += len;
                self.out.push_str(&text);
                self.operand = true;
                Ok(())
            }
            _ => {
                let (c, len) = parse_escape(rest)?;
                self.pos += len;
                push_literal(&mut self.out, c);
                self.operand = true;
                Ok(())
            }
        }
    }

    /// A bracketed class, rewritten item by item.
    fn class(&mut self) -> Result<(), GoRegexError> {
        let whole = self.rest();
        let mut i = 1;
        let mut out = String::from("[");
        if whole[i..].starts_with('^') {
            out.push('^');
            i += 1;
        }
        let mut first = true;
        loop {
            let t = &whole[i..];
            if t.is_empty() {
                return Err(GoRegexError::syntax(ERR_MISSING_BRACKET, whole));
            }
            if t.starts_with(']') && !first {
                i += 1;
                break;
            }
            first = false;
            // POSIX class [:name:] (or [:^name:]).
            if t.len() > 2
                && t.starts_with("[:")
                && let Some(end) = t[2..].find(":]")
            {
                let full = &t[..end + 4];
                let name = &t[2..end + 2];
                let bare = name.strip_prefix('^').unwrap_or(name);
                if !POSIX_NAMES.contains(&bare) {
                    return Err(GoRegexError::syntax(ERR_INVALID_RANGE, full));
                }
                out.push_str(full);
                i += full.len();
                continue;
            }
            if t.starts_with(r"\p") || t.starts_with(r"\P") {
                let (text, len) = unicode_class(t)?;
                out.push_str(&text);
                i += len;
                continue;
            }
            let perl = match t.get(..2) {
                Some(r"\d") => Some(DIGIT.to_owned()),
                Some(r"\D") => Some(format!("[^{DIGIT}]")),
                Some(r"\s") => Some(SPACE.to_owned()),
                Some(r"\S") => Some(format!("[^{SPACE}]")),
                Some(r"\w") => Some(WORD.to_owned()),
                Some(r"\W") => Some(format!("[^{WORD}]")),
                _ => None,
            };
            if let Some(text) = perl {
                out.push_str(&text);
                i += 2;
                continue;
            }
            let (lo, len) = class_char(t, whole)?;
            let range_start = i;
            i += len;
            let mut item = ClassItem::Char(lo);
            let t = &whole[i..];
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                i += 1;
                let (hi, len) = class_char(&whole[i..], whole)?;
                i += len;
                if hi < lo {
                    return Err(GoRegexError::syntax(
                        ERR_INVALID_RANGE,
                        &whole[range_start..i],
                    ));
                }
                item = ClassItem::Raw(format!("{}-{}", hex_escape(lo), hex_escape(hi)));
            }
            match item {
                ClassItem::Char(c) => out.push_str(&hex_escape(c)),
                ClassItem::Raw(text) => out.push_str(&text),
            }
        }
        out.push(']');
        self.pos += i;
        self.out.push_str(&out);
        Ok(())
    }
}

/// One character inside a class: an escape or a plain character.
fn class_char(t: &str, whole: &str) -> Result<(char, usize), GoRegexError> {
    match t.chars().next() {
        None => Err(GoRegexError::syntax(ERR_MISSING_BRACKET, whole)),
        Some('\\') => parse_escape(t),
        Some(c) => Ok((c, c.len_utf8())),
    }
}

/// `\pL`, `\p{Name}`, `\p{^Name}`, `\PL`, … at the start of `s`; the `regex` crate resolves
/// the name.
fn unicode_class(s: &str) -> Result<(String, usize), GoRegexError> {
    let negated = s[1..].starts_with('P');
    let rest = &s[2..];
    let Some(c) = rest.chars().next() else {
        // Go reads an empty name here and reports the bare escape.
        return Err(GoRegexError::syntax(ERR_INVALID_RANGE, &s[..2]));
    };
    let (name, len) = if c == '{' {
        let Some(end) = s.find('}') else {
            return Err(GoRegexError::syntax(ERR_INVALID_RANGE, s));
        };
        (&s[3..end], end + 1)
    } else {
        (&rest[..c.len_utf8()], 2 + c.len_utf8())
    };
    let (negated, name) = match name.strip_prefix('^') {
        Some(inner) => (!negated, inner),
        None => (negated, name),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '));
    if !valid {
        return Err(GoRegexError::syntax(ERR_INVALID_RANGE, &s[..len]));
    }
    let letter = if negated { 'P' } else { 'p' };
    Ok((format!(r"\{letter}{{{name}}}"), len))
}

/// Go `parseEscape` for a single-character escape at the start of `s` (which begins with a
/// backslash): returns the character and the number of bytes consumed.
fn parse_escape(s: &str) -> Result<(char, usize), GoRegexError> {
    let t = &s[1..];
    let Some(c) = t.chars().next() else {
        return Err(GoRegexError::syntax(ERR_TRAILING_BACKSLASH, ""));
    };
    let invalid = |consumed: usize| {
        let end = (1 + consumed).min(s.len());
        GoRegexError::syntax(ERR_INVALID_ESCAPE, s.get(..end).unwrap_or(s))
    };
    let after = &t[c.len_utf8()..];
    match c {
        '1'..='7' if !after.starts_with(|d: char| ('0'..='7').contains(&d)) => {
            Err(invalid(c.len_utf8()))
        }
        '0'..='7' => {
            let mut value = u32::from(c) - u32::from('0');
            let mut len = 1;
            for d in after.chars().take(2) {
                if !('0'..='7').contains(&d) {
                    break;
                }
                value = value * 8 + (u32::from(d) - u32::from('0'));
                len += 1;
            }
            Ok((char::from_u32(value).unwrap_or('\0'), 1 + len))
        }
        'x' => {
            if let Some(body) = after.strip_prefix('{') {
                let mut value: u32 = 0;
                for (digits, (i, d)) in body.char_indices().enumerate() {
                    if d == '}' {
                        if digits == 0 {
                            return Err(invalid(2 + i + 1));
                        }
                        let ch = char::from_u32(value).ok_or_else(|| invalid(2 + i + 1))?;
                        return Ok((ch, 1 + 2 + i + 1));
                    }
                    let Some(v) = d.to_digit(16) else {
                        return Err(invalid(2 + i + d.len_utf8()));
                    };
                    value = value * 16 + v;
                    if value > 0x10_FFFF {
                        return Err(invalid(2 + i + d.len_utf8()));
                    }
                }
                return Err(invalid(t.len()));
            }
            let mut chars = after.chars();
            let x = chars.next();
            let y = chars.next();
            match (
                x.and_then(|x| x.to_digit(16)),
                y.and_then(|y| y.to_digit(16)),
            ) {
                (Some(hi), Some(lo)) => Ok((char::from_u32(hi * 16 + lo).unwrap_or('\0'), 4)),
                _ => {
                    let consumed = 1
                        + x.map_or(0, char::len_utf8)
                        + if x.is_some() {
                            y.map_or(0, char::len_utf8)
                        } else {
                            0
                        };
                    Err(invalid(consumed))
                }
            }
        }
        'a' => Ok(('\u{07}', 2)),
        'f' => Ok(('\u{0C}', 2)),
        'n' => Ok(('\n', 2)),
        'r' => Ok(('\r', 2)),
        't' => Ok(('\t', 2)),
        'v' => Ok(('\u{0B}', 2)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, 2)),
        c => Err(invalid(c.len_utf8())),
    }
}

/// Go `parseRepeat` on text starting with `{`: `{n}`, `{n,}` or `{n,m}` with decimal numbers
/// without leading zeros. Returns (min, max (-1 = unbounded), length); a number too large is
/// reported as -1 (min) so the caller refuses it.
fn parse_repeat(s: &str) -> Option<(i64, i64, usize)> {
    let body = s.strip_prefix('{')?;
    let (mut min, after_min) = parse_int(body)?;
    let mut rest = after_min;
    let max;
    if let Some(after_comma) = rest.strip_prefix(',') {
        if after_comma.starts_with('}') {
            max = -1;
            rest = after_comma;
        } else {
            let (m, after_max) = parse_int(after_comma)?;
            if m < 0 {
                min = -1;
            }
            max = m;
            rest = after_max;
        }
    } else {
        max = min;
    }
    let rest = rest.strip_prefix('}')?;
    Some((min, max, s.len() - rest.len()))
}

/// Decimal digits without a leading zero; the value is -1 if it reaches 10^8.
fn parse_int(s: &str) -> Option<(i64, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && s.starts_with('0')) {
        return None;
    }
    let mut n: i64 = 0;
    for b in s[..digits].bytes() {
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some((n, &s[digits..]))
}

/// Appends `c` as a literal outside a class.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() && !c.is_whitespace() && !c.is_control() {
        out.push(c);
    } else {
        out.push_str(&hex_escape(c));
    }
}

/// `\x{…}`, always a literal for the `regex` crate, inside or outside classes.
fn hex_escape(c: char) -> String {
    format!(r"\x{{{:X}}}", u32::from(c))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(p: &str) -> String {
        GoRegex::new(p).unwrap_err().to_string()
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(err("[="), "error parsing regexp: missing closing ]: `[=`");
        assert_eq!(
            err("^test-(.*"),
            "error parsing regexp: missing closing ): `^test-(.*`"
        );
        assert_eq!(err("a)"), "error parsing regexp: unexpected ): `a)`");
        assert_eq!(
            err("a**"),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert_eq!(
            err("*a"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
        assert_eq!(
            err(r"\q"),
            "error parsing regexp: invalid escape sequence: `\\q`"
        );
        assert_eq!(
            err(r"\1"),
            "error parsing regexp: invalid escape sequence: `\\1`"
        );
        assert_eq!(
            err("a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            err("(?=a)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
        );
        assert_eq!(
            err("(?P<a-b>x)"),
            "error parsing regexp: invalid named capture: `(?P<a-b>`"
        );
        assert_eq!(
            err("[z-a]"),
            "error parsing regexp: invalid character class range: `z-a`"
        );
        assert_eq!(
            err("[[:foo:]]"),
            "error parsing regexp: invalid character class range: `[:foo:]`"
        );
        assert_eq!(
            err("a\\"),
            "error parsing regexp: trailing backslash at end of expression: ``"
        );
    }

    #[test]
    fn go_meanings() {
        let re = GoRegex::new(r"^\d+$").unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("١٢٣"));
        assert!(GoRegex::new(r"a{b").unwrap().is_match("a{b"));
        assert!(GoRegex::new(r"a{,5}").unwrap().is_match("a{,5}"));
        assert!(GoRegex::new(r"\<").unwrap().is_match("<"));
        assert!(GoRegex::new(r"[[a]").unwrap().is_match("["));
        assert!(GoRegex::new(r"[a&&b]").unwrap().is_match("&"));
        assert!(GoRegex::new(r"\Qa.b\E+").unwrap().is_match("a.bbb"));
        assert!(!GoRegex::new(r"\Qa.b\E").unwrap().is_match("axb"));
        assert!(GoRegex::new(r"\101").unwrap().is_match("A"));
        assert!(GoRegex::new(r"(?P<1>x)").unwrap().is_match("x"));
        assert!(GoRegex::new(r"^*a").unwrap().is_match("a"));
        assert!(GoRegex::new(r"(?i)ABC").unwrap().is_match("abc"));
        assert!(GoRegex::new(r"x(?)y").unwrap().is_match("xy"));
        assert!(GoRegex::new(r"\bfoo\b").unwrap().is_match("a foo b"));
        assert!(GoRegex::new(r"\bfoo\b").unwrap().is_match("éfooé"));
    }
}
