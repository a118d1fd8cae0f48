//! The human format: for `check`, what the user can act on first, then a summary line; for
//! `policies`, an aligned table. Colour (ANSI) only when the caller says so (standard output is
//! a terminal and `NO_COLOR` is unset).
//!
//! `check` prints errors, then warnings, then (with `--show-info`) info findings, each section in
//! the core's order. Findings of one root cause (same severity, code, message and help apart from
//! their own file, same related places, same fix title) are printed once, as a group listing its
//! places. Without `--show-info`, info findings are counted, one line per code. The lines after
//! the blocks end with the summary line, always the last. This module decides only how findings
//! look: it computes none, drops none from the counts, and never decides the exit code; the other
//! formats list every finding.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use fluxtag_core::diag::{Applicability, Code, Diagnostic, Severity};
use fluxtag_core::resolve::PolicyReport;

use super::{Checked, Listed};

/// At most this many places of a group are listed; the rest are counted.
const PLACES_SHOWN: usize = 10;

/// What stands for a finding's own file in a group's shared message.
const FILE_PLACEHOLDER: &str = "<file>";

/// How `check`'s human output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// ANSI colours.
    pub color: bool,
    /// Info findings printed as blocks (`--show-info`) instead of counted per code.
    pub show_info: bool,
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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What findings of one root cause share: two findings with the same key are printed as one
/// group. Their own file is taken out of the message and the help ("identical apart from the
/// file").
#[derive(PartialEq, Eq, Hash)]
struct GroupKey {
    code: Code,
    message: String,
    help: Option<String>,
    related: Vec<(String, usize, usize)>,
    fix: Option<(String, bool)>,
}

impl GroupKey {
    fn of(d: &Diagnostic) -> GroupKey {
        GroupKey {
            code: d.code,
            message: without_file(&d.message, &d.path),
            help: d.help.as_deref().map(|help| without_file(help, &d.path)),
            related: d
                .related
                .iter()
                .map(|r| (r.path.clone(), r.range.start, r.range.end))
                .collect(),
            fix: d
                .fix
                .as_ref()
                .map(|f| (f.title.clone(), f.applicability == Applicability::Safe)),
        }
    }
}

/// `text` with every mention of `path` replaced by [`FILE_PLACEHOLDER`].
fn without_file(text: &str, path: &str) -> String {
    if path.is_empty() {
        text.to_string()
    } else {
        text.replace(path, FILE_PLACEHOLDER)
    }
}

/// The findings of `severity`, in the core's order, with findings of one root cause gathered
/// into one group at the place of its first finding.
fn groups<'a>(
    diagnostics: &[&'a Diagnostic],
    severity: Severity,
) -> Vec<Vec<&'a Diagnostic>> {
    let mut groups: Vec<Vec<&Diagnostic>> = Vec::new();
    let mut by_key: HashMap<GroupKey, usize> = HashMap::new();
    for &d in diagnostics.iter().filter(|d| d.severity == severity) {
        let next = groups.len();
        let at = *by_key.entry(GroupKey::of(d)).or_insert(next);
        match groups.get_mut(at) {
            Some(group) => group.push(d),
            None => groups.push(vec![d]),
        }
    }
    groups
}

/// `fluxtag check`: errors, then warnings, then info findings (or a line per info code counting
/// them), findings of one root cause grouped; then the unsafe-fix note and the summary line.
pub fn check(checked: &Checked, options: Options) -> String {
    let style = Style {
        color: options.color,
    };
    let mut out = String::new();
    let diagnostics: Vec<&Diagnostic> = checked.diagnostics().collect();
    let mut counts = [0usize; 3];
    let mut hidden = 0;
    let mut info_by_code: BTreeMap<Code, usize> = BTreeMap::new();
    for diagnostic in &diagnostics {
        counts[diagnostic.severity as usize] += 1;
        hidden += usize::from(diagnostic.fix.as_ref().is_some_and(|f| !checked.applies(f)));
        if diagnostic.severity == Severity::Info {
            *info_by_code.entry(diagnostic.code).or_default() += 1;
        }
    }
    let mut sections = vec![Severity::Error, Severity::Warning];
    if options.show_info {
        sections.push(Severity::Info);
    }
    for severity in sections {
        for group in groups(&diagnostics, severity) {
            match group.as_slice() {
                [single] => block(&mut out, checked, single, &style),
                _ => group_block(&mut out, checked, &group, &style),
            }
        }
    }
    if !options.show_info {
        for (code, n) in &info_by_code {
            let _ = writeln!(
                out,
                "{}: {} hidden: {} (`--show-info` shows {})",
                style.paint("1;36", &format!("info[{code}]")),
                plural(*n, "finding"),
                code.summary(),
                if *n == 1 { "it" } else { "them" }
            );
        }
    }
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
    // The summary line stays the last line: scripts and hooks read it.
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
    out
}

/// The label and colour of a severity.
fn label(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    }
}

/// A group of findings of one root cause: the shared message, the first place with its source
/// line, every place (the first [`PLACES_SHOWN`], then a count), the related places they share,
/// the help and the fix, once.
fn group_block(out: &mut String, checked: &Checked, group: &[&Diagnostic], style: &Style) {
    let Some(first) = group.first() else {
        return;
    };
    let (label, color) = label(first.severity);
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", first.code)),
        without_file(&first.message, &first.path)
    );
    location(out, checked, first, color, style);
    let _ = writeln!(out, "  = {} places:", group.len());
    for d in group.iter().take(PLACES_SHOWN) {
        let at = checked.position(&d.path, d.range.start);
        let _ = writeln!(out, "      {}:{}:{}", d.path, at.line, at.column);
    }
    if group.len() > PLACES_SHOWN {
        let _ = writeln!(
            out,
            "      and {} more (`--format json` lists every one)",
            group.len() - PLACES_SHOWN
        );
    }
    for related in &first.related {
        let at = checked.position(&related.path, related.range.start);
        let _ = writeln!(
            out,
            "  = see: {} at {}:{}:{}",
            related.message, related.path, at.line, at.column
        );
    }
    if let Some(help) = &first.help {
        let _ = writeln!(out, "  = help: {}", without_file(help, &first.path));
    }
    fix_line(out, checked, first, " (at each place)");
    out.push('\n');
}

/// One finding: code and message, its place with the source line and the span underlined, the
/// help and the fix.
fn block(out: &mut String, checked: &Checked, d: &Diagnostic, style: &Style) {
    let (label, color) = label(d.severity);
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", d.code)),
        d.message
    );
    location(out, checked, d, color, style);
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    fix_line(out, checked, d, "");
    out.push('\n');
}

/// The `-->` line of `d` and, for a file fluxtag parsed, its source line with the span
/// underlined.
fn location(out: &mut String, checked: &Checked, d: &Diagnostic, color: &str, style: &Style) {
    let start = checked.position(&d.path, d.range.start);
    let _ = writeln!(out, "  --> {}:{}:{}", d.path, start.line, start.column);
    let (Some(text), Some(analysis)) = (
        checked.workspace.texts.get(&d.path),
        checked.workspace.index.file(&d.path),
    ) else {
        return;
    };
    let line = start.line.saturating_sub(1);
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
        " ".repeat((start.column as usize).saturating_sub(1)),
        style.paint(color, &"^".repeat(width))
    );
}

/// The `= fix` line of `d` when its fix is available in this run (`suffix` after the title).
fn fix_line(out: &mut String, checked: &Checked, d: &Diagnostic, suffix: &str) {
    match &d.fix {
        Some(fix) if fix.applicability == Applicability::Safe => {
            let _ = writeln!(out, "  = fix: {}{suffix}", fix.title);
        }
        Some(fix) if checked.applies(fix) => {
            let _ = writeln!(out, "  = fix (unsafe): {}{suffix}", fix.title);
        }
        _ => {}
    }
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
