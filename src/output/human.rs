//! The human format: for `check`, one block per finding (code, message, location, the source
//! line with the span underlined, help and fix lines) and a summary line; for `policies`, an
//! aligned table. Colour (ANSI) only when the caller says so (standard output is a terminal and
//! `NO_COLOR` is unset).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fluxtag_core::diag::{Applicability, Diagnostic, Severity};
use fluxtag_core::resolve::PolicyReport;

use super::{Checked, Listed};

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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `fluxtag check`: a block per finding, then a summary line.
pub fn check(checked: &Checked, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let mut counts = [0usize; 3];
    let mut hidden = 0;
    for diagnostic in checked.diagnostics() {
        counts[diagnostic.severity as usize] += 1;
        hidden += usize::from(diagnostic.fix.as_ref().is_some_and(|f| !checked.applies(f)));
        block(&mut out, checked, diagnostic, &style);
    }
    let mut markers = 0;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for marker in checked.markers() {
        markers += 1;
        *by_status.entry(marker.status.as_str()).or_default() += 1;
    }
    let statuses: Vec<String> = ["current", "stale", "invalid", "unresolved"]
        .iter()
        .filter_map(|s| by_status.get(s).map(|n| format!("{n} {s}")))
        .collect();
    let _ = writeln!(
        out,
        "{}: {}, {}, {} info in {}{}",
        if counts[0] > 0 {
            style.paint("1;31", "failed")
        } else {
            style.paint("1;32", "ok")
        },
        plural(counts[0], "error"),
        plural(counts[1], "warning"),
        counts[2],
        plural(markers, "marker"),
        if statuses.is_empty() {
            String::new()
        } else {
            format!(" ({})", statuses.join(", "))
        }
    );
    if hidden > 0 {
        // ruff's wording of the same contract: unsafe fixes are opt-in.
        let (fixes, them) = if hidden == 1 {
            ("unsafe fix", "it")
        } else {
            ("unsafe fixes", "them")
        };
        let _ = writeln!(
            out,
            "{hidden} {fixes} hidden: `--unsafe-fixes` shows {them}, `--fix --unsafe-fixes` applies {them}"
        );
    }
    out
}

fn block(out: &mut String, checked: &Checked, d: &Diagnostic, style: &Style) {
    let (label, color) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    };
    let start = checked.position(&d.path, d.range.start);
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", d.code)),
        d.message
    );
    let _ = writeln!(out, "  --> {}:{}:{}", d.path, start.line, start.column);
    if let (Some(text), Some(analysis)) = (
        checked.workspace.texts.get(&d.path),
        checked.workspace.index.file(&d.path),
    ) {
        let line = start.line - 1;
        let range = analysis.lines.line_range(text, line);
        let source = String::from_utf8_lossy(&text[range.clone()]).replace('\t', " ");
        let number = start.line.to_string();
        let gutter = " ".repeat(number.len());
        let begin = d.range.start.clamp(range.start, range.end);
        let end_in_line = d.range.end.clamp(begin, range.end);
        let width = String::from_utf8_lossy(&text[begin..end_in_line])
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
    match &d.fix {
        Some(fix) if fix.applicability == Applicability::Safe => {
            let _ = writeln!(out, "  = fix: {}", fix.title);
        }
        Some(fix) if checked.applies(fix) => {
            let _ = writeln!(out, "  = fix (unsafe): {}", fix.title);
        }
        _ => {}
    }
    out.push('\n');
}

/// `fluxtag policies`: one row per ImagePolicy (namespace, name, the image it would write,
/// the rule, where its tags came from, and its error), then a summary line.
pub fn policies(listed: &Listed, color: bool) -> String {
    let style = Style { color };
    let header = ["NAMESPACE", "NAME", "LATEST", "RULE", "TAGS", "STATUS"];
    let rows: Vec<[String; 6]> = listed.policies.iter().map(row).collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String; 6]| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = width - cell.chars().count();
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            }
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(str::to_string)));
    let mut failed = 0;
    for (row, policy) in rows.iter().zip(&listed.policies) {
        let text = line(row);
        match &policy.error {
            Some(_) => {
                failed += 1;
                let _ = writeln!(out, "{}", style.paint("33", &text));
            }
            None => {
                let _ = writeln!(out, "{text}");
            }
        }
    }
    let _ = writeln!(
        out,
        "{} {}, {failed} without a latest tag",
        listed.policies.len(),
        if listed.policies.len() == 1 {
            "policy"
        } else {
            "policies"
        }
    );
    out
}

fn row(policy: &PolicyReport) -> [String; 6] {
    let latest = match (&policy.latest, &policy.image) {
        (Some(latest), Some(image)) => match &latest.digest {
            Some(digest) => format!("{image}:{}@{digest}", latest.tag),
            None => format!("{image}:{}", latest.tag),
        },
        (Some(latest), None) => latest.tag.clone(),
        (None, _) => "-".to_string(),
    };
    let tags = match (policy.tag_count, &policy.tag_source) {
        (Some(count), Some(source)) => format!("{count} ({source})"),
        (Some(count), None) => count.to_string(),
        _ => "-".to_string(),
    };
    let status = match &policy.error {
        Some((code, message)) => format!("{code}: {message}"),
        None => "ok".to_string(),
    };
    [
        policy.namespace.clone().unwrap_or_else(|| "-".to_string()),
        policy.name.clone(),
        latest,
        policy.rule.clone().unwrap_or_else(|| "-".to_string()),
        tags,
        status,
    ]
}
