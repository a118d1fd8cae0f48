//! Markup the server sends (hovers): the one place that turns text into Markdown.
//!
//! Every string that comes from the user's files, a registry or the core's messages goes through
//! [`code`] (a code span) or [`escape`] (prose) before it is put into Markdown, so that
//! `(?P<date>[0-9]{8})` reaches the reader intact instead of losing `<date>` to an HTML tag;
//! [`Format`] writes the same content as plain text for clients without Markdown. This module
//! decides how text is written, never what is shown.

/// How a client reads markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CommonMark (what VS Code and Neovim render).
    Markdown,
    /// Plain text: everything as written, no syntax around it.
    Plain,
}

impl Format {
    /// `text` as code: a code span in Markdown, as written in plain text.
    pub fn code(self, text: &str) -> String {
        match self {
            Format::Markdown => code(text),
            Format::Plain => one_line(text),
        }
    }

    /// `text` as prose: escaped in Markdown, as written in plain text.
    pub fn text(self, text: &str) -> String {
        match self {
            Format::Markdown => escape(text),
            Format::Plain => one_line(text),
        }
    }

    /// Words with `` `code` `` parts (the core's messages): the parts between backticks as code,
    /// the rest as prose. An unpaired backtick leaves the rest as prose.
    pub fn spans(self, words: &str) -> String {
        let parts: Vec<&str> = words.split('`').collect();
        let paired = parts.len() % 2 == 1;
        let mut out = String::new();
        for (i, part) in parts.iter().enumerate() {
            if i % 2 == 1 && (paired || i + 1 < parts.len()) {
                out.push_str(&self.code(part));
            } else {
                if i % 2 == 1 {
                    out.push_str(&self.text("`"));
                }
                out.push_str(&self.text(part));
            }
        }
        out
    }

    /// Markup already written by this module, in bold (Markdown only).
    pub fn strong(self, markup: &str) -> String {
        match self {
            Format::Markdown => format!("**{markup}**"),
            Format::Plain => markup.to_owned(),
        }
    }

    /// A link with the prose `text` to `target` in Markdown, the text alone in plain text.
    pub fn link(self, text: &str, target: &str) -> String {
        match self {
            Format::Markdown => link(text, target),
            Format::Plain => one_line(text),
        }
    }
}

/// `text` as one Markdown code span, shown exactly as written: the fence is one backtick longer
/// than the longest backtick run in `text`, and a space pads each side when `text` begins or
/// ends with a backtick or with spaces on both sides (CommonMark strips one space each side).
/// Line breaks become spaces (CommonMark does the same inside a code span; a blank line would
/// end it). Markdown has no empty code span: `""` gives a span of one space.
pub fn code(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return "` `".to_owned();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let all_spaces = text.chars().all(|c| c == ' ');
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (!all_spaces && text.starts_with(' ') && text.ends_with(' '));
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{text}{space}{fence}")
}

/// `text` as Markdown prose that renders as written: every character that opens inline syntax
/// (`\`, backticks, `*`, `_`, `[`, `]`, `<`, `>`, `&`, `~`, `|`, `#`, `!`, `$`) is
/// backslash-escaped, and so is what would open a block at the start of a line (`-`, `+`, `=`,
/// or the `.`/`)` after leading digits), since the text may start one. Line breaks become
/// spaces.
pub fn escape(text: &str) -> String {
    let text = one_line(text);
    let mut out = String::with_capacity(text.len() + 8);
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in text.chars().enumerate() {
        let block_opener = match c {
            '-' | '+' | '=' => i == 0,
            '.' | ')' => digits > 0 && i == digits,
            _ => false,
        };
        if block_opener
            || matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '#' | '!' | '$'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown link: `text` escaped as prose, `target` in angle brackets (so parentheses and
/// spaces in it cannot end it), with `<`, `>` and line breaks percent-encoded.
pub fn link(text: &str, target: &str) -> String {
    let mut destination = String::with_capacity(target.len());
    for c in target.chars() {
        match c {
            '<' => destination.push_str("%3C"),
            '>' => destination.push_str("%3E"),
            '\n' => destination.push_str("%0A"),
            '\r' => destination.push_str("%0D"),
            c => destination.push(c),
        }
    }
    format!("[{}](<{destination}>)", escape(text))
}

/// `text` on one line: each line break (`\r\n`, `\n` or `\r`) a space.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The core's provenance words (issue 10) keep their code parts; the prose is escaped.
    #[test]
    fn spans_turn_backticked_parts_into_code() {
        let words =
            "`namespace: apps` in apps/kustomization.yaml:3 overrides `metadata.namespace: a_b`";
        assert_eq!(
            Format::Markdown.spans(words),
            format!(
                "{} in apps/kustomization.yaml:3 overrides {}",
                code("namespace: apps"),
                code("metadata.namespace: a_b")
            )
        );
        assert_eq!(
            Format::Plain.spans(words),
            "namespace: apps in apps/kustomization.yaml:3 overrides metadata.namespace: a_b"
        );
        // An unpaired backtick is prose, escaped.
        assert!(!Format::Markdown.spans("a `b").contains("`b`"));
    }

    #[test]
    fn code_spans_keep_angle_brackets_and_braces() {
        // Issue 11 item 4: VS Code showed `(?P[0-9]{8})` for this pattern outside a code span.
        assert_eq!(
            code("^main-(?P<date>[0-9]{8})$"),
            "`^main-(?P<date>[0-9]{8})$`"
        );
        assert_eq!(code("a*b_c[d]"), "`a*b_c[d]`");
    }

    #[test]
    fn code_fences_are_longer_than_any_backtick_run() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("a``b`c"), "```a``b`c```");
        // A backtick at either end needs a space, which CommonMark strips again.
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x`"), "`` x` ``");
        assert_eq!(code("`"), "`` ` ``");
    }

    #[test]
    fn code_spans_keep_surrounding_spaces_and_lose_line_breaks() {
        assert_eq!(code(" x "), "`  x  `");
        assert_eq!(code(" x"), "` x`");
        assert_eq!(code("   "), "`   `");
        assert_eq!(code("a\nb\r\nc\rd"), "`a b c d`");
        assert_eq!(code("a\n\nb"), "`a  b`", "a blank line would end the span");
        assert_eq!(code(""), "` `");
    }

    #[test]
    fn escape_neutralises_inline_syntax() {
        assert_eq!(escape("(?P<date>[0-9]{8})"), r"(?P\<date\>\[0-9\]{8})");
        assert_eq!(escape("*a* _b_ `c`"), r"\*a\* \_b\_ \`c\`");
        assert_eq!(
            escape(r"a\b & ~c~ | #d !e $f"),
            r"a\\b \& \~c\~ \| \#d \!e \$f"
        );
        assert_eq!(escape("<https://x>"), r"\<https://x\>");
    }

    #[test]
    fn escape_neutralises_block_openers_at_the_start_only() {
        assert_eq!(escape("- item"), r"\- item");
        assert_eq!(escape("+ item"), r"\+ item");
        assert_eq!(escape("= heading"), r"\= heading");
        assert_eq!(escape("12. item"), r"12\. item");
        assert_eq!(escape("3) item"), r"3\) item");
        assert_eq!(
            escape("image-policies.yaml 4.0.11 a-b"),
            "image-policies.yaml 4.0.11 a-b"
        );
    }

    #[test]
    fn escape_joins_lines() {
        assert_eq!(escape("a\n- b\r\nc"), "a - b c");
    }

    #[test]
    fn links_escape_their_text_and_enclose_their_target() {
        assert_eq!(
            link("apps/[x]_y.yaml:3", "file:///r/apps/(x).yaml#L3"),
            r"[apps/\[x\]\_y.yaml:3](<file:///r/apps/(x).yaml#L3>)"
        );
        assert_eq!(link("a", "x<y>\nz"), "[a](<x%3Cy%3E%0Az>)");
    }

    #[test]
    fn plain_text_is_written_as_is() {
        let plain = Format::Plain;
        assert_eq!(plain.code("a`b"), "a`b");
        assert_eq!(plain.text("<x> *y*"), "<x> *y*");
        assert_eq!(plain.strong("z"), "z");
        assert_eq!(plain.link("a.yaml:3", "file:///a.yaml#L3"), "a.yaml:3");
        assert_eq!(Format::Markdown.strong("`z`"), "**`z`**");
    }
}
