//! Rendering a check: the human format, the JSON contract and unified diffs.
//!
//! Every format renders the same core diagnostics; nothing here computes a finding. Positions
//! are 1-based lines and columns counted in characters.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fluxtag_core::diag::{Diagnostic, Edit, Severity};
use fluxtag_core::resolve::MarkerStatus;
use fluxtag_core::text::ColumnUnit;
use serde::Serialize;

use crate::check::Checked;

/// A 1-based position.
struct Position {
    line: u32,
    column: u32,
}

fn position(checked: &Checked, path: &str, offset: usize) -> Position {
    let workspace = &checked.workspace;
    let (Some(text), Some(analysis)) = (workspace.texts.get(path), workspace.index.files.get(path))
    else {
        return Position { line: 1, column: 1 };
    };
    let lc = analysis.lines.line_col(text, offset, ColumnUnit::Chars);
    Position {
        line: lc.line + 1,
        column: lc.col + 1,
    }
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }
}

/// The human format: a block per finding, then a summary line.
pub fn human(checked: &Checked, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let mut counts = [0usize; 3];
    for diagnostic in checked.diagnostics() {
        counts[diagnostic.severity as usize] += 1;
        block(&mut out, checked, diagnostic, &style);
    }
    let markers: Vec<_> = checked
        .report
        .markers
        .iter()
        .filter(|m| checked.in_scope(&m.path))
        .collect();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for marker in &markers {
        *by_status.entry(marker.status.as_str()).or_default() += 1;
    }
    let statuses: Vec<String> = ["current", "stale", "invalid", "unresolved"]
        .iter()
        .filter_map(|s| by_status.get(s).map(|n| format!("{n} {s}")))
        .collect();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{}: {}, {}, {} in {}{}",
        if counts[0] > 0 {
            style.paint("1;31", "failed")
        } else {
            style.paint("1;32", "ok")
        },
        plural(counts[0], "error"),
        plural(counts[1], "warning"),
        format!("{} info", counts[2]),
        plural(markers.len(), "marker"),
        if statuses.is_empty() {
            String::new()
        } else {
            format!(" ({})", statuses.join(", "))
        }
    );
    out
}

fn block(out: &mut String, checked: &Checked, d: &Diagnostic, style: &Style) {
    let (label, color) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    };
    let start = position(checked, &d.path, d.range.start);
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", d.code)),
        d.message
    );
    let _ = writeln!(out, "  --> {}:{}:{}", d.path, start.line, start.column);
    if let (Some(text), Some(analysis)) =
        (checked.workspace.texts.get(&d.path), checked.workspace.index.files.get(&d.path))
    {
        let line = start.line - 1;
        let range = analysis.lines.line_range(text, line);
        let source = String::from_utf8_lossy(&text[range.clone()]).replace('\t', " ");
        let number = start.line.to_string();
        let gutter = " ".repeat(number.len());
        let end_in_line = d.range.end.min(range.end).max(d.range.start);
        let width = String::from_utf8_lossy(&text[d.range.start.min(range.end)..end_in_line])
            .chars()
            .count()
            .max(1);
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {source}");
        let _ = writeln!(
            out,
            "{gutter} | {}{}",
            " ".repeat(start.column as usize - 1),
            style.paint(color, &"^".repeat(width))
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    if let Some(fix) = &d.fix {
        let _ = writeln!(out, "  = fix: {}", fix.title);
    }
    out.push('\n');
}

#[derive(Serialize)]
struct JsonReport<'a> {
    markers: Vec<JsonMarker<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonMarker<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    policy: &'a str,
    kind: Option<&'static str>,
    current: &'a str,
    expected: Option<&'a str>,
    status: &'static str,
    direction: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    safe: bool,
}

/// The JSON contract of `fluxtag check --format json` (README.md).
pub fn json(checked: &Checked) -> String {
    let markers = checked
        .report
        .markers
        .iter()
        .filter(|m| checked.in_scope(&m.path))
        .map(|m| {
            let at = position(checked, &m.path, m.marker.scalar.start);
            JsonMarker {
                file: &m.path,
                line: at.line,
                column: at.column,
                policy: &m.marker.reference,
                kind: m
                    .target
                    .as_ref()
                    .map(|t| t.kind.as_str())
                    .or_else(|| m.marker.target.as_ref().ok().map(|t| t.kind.as_str())),
                current: &m.marker.value,
                expected: m.expected.as_deref(),
                status: m.status.as_str(),
                direction: match m.status {
                    MarkerStatus::Stale(direction) => Some(direction.as_str()),
                    _ => None,
                },
            }
        })
        .collect();
    let diagnostics = checked
        .diagnostics()
        .map(|d| {
            let start = position(checked, &d.path, d.range.start);
            let end = position(checked, &d.path, d.range.end);
            JsonDiagnostic {
                file: &d.path,
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                severity: d.severity.as_str(),
                code: d.code.as_str(),
                message: &d.message,
                help: d.help.as_deref(),
                fix: d.fix.as_ref().map(|f| JsonFix {
                    title: &f.title,
                    safe: f.applicability == fluxtag_core::diag::Applicability::Safe,
                }),
            }
        })
        .collect();
    let report = JsonReport {
        markers,
        diagnostics,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|e| {
        format!(
            "{{\"error\": {}}}",
            serde_json::Value::String(e.to_string())
        )
    });
    text.push('\n');
    text
}

/// The unified diff of the pending fixes, file by file.
pub fn unified_diff(
    texts: &BTreeMap<String, Vec<u8>>,
    pending: &BTreeMap<String, Vec<Edit>>,
) -> String {
    let mut out = String::new();
    let (updated, _) = fluxtag_workspace::write::updated_texts(texts, pending);
    for (path, new) in &updated {
        let Some(original) = texts.get(path) else {
            continue;
        };
        let old = String::from_utf8_lossy(original);
        let new = String::from_utf8_lossy(new);
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxtag_core::text::LineIndex;

    #[test]
    fn line_index_is_used_for_columns() {
        let text = "a: é\n";
        let index = LineIndex::new(text.as_bytes());
        assert_eq!(index.line_col(text.as_bytes(), 5, ColumnUnit::Chars).col, 4);
    }
}
