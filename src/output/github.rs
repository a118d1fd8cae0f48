//! `fluxtag check --format github`: one GitHub Actions workflow command per finding, which the
//! runner turns into an annotation on the file and line:
//!
//! ```text
//! ::error file=apps/a.yaml,line=3,col=10,endLine=3,endColumn=15,title=fluxtag (stale)::message
//! ```
//!
//! Errors are `::error`, warnings `::warning`, info `::notice`. The message is followed by the
//! help line, if any. As the runner requires, `%`, `\r` and `\n` are percent-encoded in the
//! message, and additionally `:` and `,` in property values. Lines and columns are 1-based,
//! columns count characters and `endColumn` is the column just after the span.

use std::fmt::Write as _;

use fluxtag_core::diag::Severity;

use super::Checked;

/// Encodes the message of a workflow command.
fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `fluxtag check --format github`.
pub fn check(checked: &Checked) -> String {
    let mut out = String::new();
    for d in checked.diagnostics() {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let span = checked.span(&d.path, &d.range);
        let message = d.message_with_note_and_help();
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&d.path),
            span.start.line,
            span.start.column,
            span.end.line,
            span.end.column,
            escape_property(&format!("fluxtag ({})", d.code)),
            escape_data(&message),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_requires() {
        assert_eq!(escape_data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
