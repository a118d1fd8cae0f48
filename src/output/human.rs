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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use fluxtag_core::diag::{Applicability, Code, Diagnostic, Severity};
use fluxtag_core::resolve::PolicyReport;

use super::{Checked, Explained, Listed};

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
        fluxtag_workspace::explain_text::paint(self.color, code, text)
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
    note: Option<String>,
    help: Option<String>,
    related: Vec<(String, usize, usize)>,
    fix: Option<(String, bool)>,
}

impl GroupKey {
    fn of(d: &Diagnostic) -> GroupKey {
        GroupKey {
            code: d.code,
            message: without_file(&d.message, &d.path),
            note: d.note.clone(),
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

/// Why findings are one group.
#[derive(PartialEq, Eq, Hash)]
enum Cause {
    /// They share a [`GroupKey`].
    Same(GroupKey),
    /// They repeat the finding at this position (of the section's findings) where their
    /// related place points: the `no-matching-tag` of an ImagePolicy, repeated at each marker
    /// that names it.
    Under(usize),
}

/// Findings of one root cause, printed once.
struct Group<'a> {
    /// The finding whose message, source line, help and fix the group shows: the root finding
    /// the others repeat, else the first.
    lead: &'a Diagnostic,
    /// Every finding of the group, the lead included, in the core's order.
    places: Vec<&'a Diagnostic>,
    /// Whether every place has the lead's fix.
    shared_fix: bool,
}

/// The finding among `found` that `d` repeats: one with the same code and message at a place
/// `d` names as related, whose help `d` does not contradict, `d` itself having no fix of its
/// own to show.
fn repeated(
    d: &Diagnostic,
    at: &HashMap<(&str, usize, Code, &str), usize>,
    found: &[&Diagnostic],
) -> Option<usize> {
    if d.fix.is_some() {
        return None;
    }
    d.related.iter().find_map(|r| {
        let p = *at.get(&(r.path.as_str(), r.range.start, d.code, d.message.as_str()))?;
        let root = found.get(p)?;
        (d.help.is_none() || d.help == root.help).then_some(p)
    })
}

/// The findings of `severity`, in the core's order, with findings of one root cause gathered
/// into one group at the place of its first finding.
fn groups<'a>(diagnostics: &[&'a Diagnostic], severity: Severity) -> Vec<Group<'a>> {
    let found: Vec<&Diagnostic> = diagnostics
        .iter()
        .copied()
        .filter(|d| d.severity == severity)
        .collect();
    let mut at: HashMap<(&str, usize, Code, &str), usize> = HashMap::new();
    for (i, d) in found.iter().enumerate() {
        at.entry((d.path.as_str(), d.range.start, d.code, d.message.as_str()))
            .or_insert(i);
    }
    // One level only: a finding that repeats another is never itself a root.
    let candidates: Vec<Option<usize>> = found.iter().map(|d| repeated(d, &at, &found)).collect();
    let parents: Vec<Option<usize>> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| c.filter(|&p| p != i && candidates.get(p).is_some_and(Option::is_none)))
        .collect();
    let roots: HashSet<usize> = parents.iter().flatten().copied().collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_cause: HashMap<Cause, usize> = HashMap::new();
    for (i, &d) in found.iter().enumerate() {
        let (cause, lead) = match parents.get(i).copied().flatten() {
            Some(p) => (Cause::Under(p), found.get(p).copied().unwrap_or(d)),
            None if roots.contains(&i) => (Cause::Under(i), d),
            None => (Cause::Same(GroupKey::of(d)), d),
        };
        let shared_fix = matches!(cause, Cause::Same(_));
        let next = groups.len();
        let index = *by_cause.entry(cause).or_insert(next);
        match groups.get_mut(index) {
            Some(group) => group.places.push(d),
            None => groups.push(Group {
                lead,
                places: vec![d],
                shared_fix,
            }),
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
            if group.places.len() == 1 {
                block(&mut out, checked, group.lead, &style);
            } else {
                group_block(&mut out, checked, &group, &style);
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
    fluxtag_workspace::explain_text::severity_label(severity)
}

/// A group of findings of one root cause: the lead's message, place with its source line,
/// every place (the first [`PLACES_SHOWN`], then a count), the related places of the lead, its
/// help and its fix, once.
fn group_block(out: &mut String, checked: &Checked, group: &Group, style: &Style) {
    let lead = group.lead;
    let (label, color) = label(lead.severity);
    let _ = writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", lead.code)),
        without_file(&lead.message, &lead.path)
    );
    location(out, checked, lead, color, style);
    let _ = writeln!(out, "  = {} places:", group.places.len());
    for d in group.places.iter().take(PLACES_SHOWN) {
        let at = checked.position(&d.path, d.range.start);
        let _ = writeln!(out, "      {}:{}:{}", d.path, at.line, at.column);
    }
    if group.places.len() > PLACES_SHOWN {
        let _ = writeln!(
            out,
            "      and {} more (`--format json` lists every one)",
            group.places.len() - PLACES_SHOWN
        );
    }
    for related in &lead.related {
        let at = checked.position(&related.path, related.range.start);
        let _ = writeln!(
            out,
            "  = see: {} at {}:{}:{}",
            related.message, related.path, at.line, at.column
        );
    }
    if let Some(note) = &lead.note {
        let _ = writeln!(out, "  = note: {note}");
    }
    if let Some(help) = &lead.help {
        let _ = writeln!(out, "  = help: {}", without_file(help, &lead.path));
    }
    let suffix = if group.shared_fix {
        " (at each place)"
    } else {
        ""
    };
    fix_line(out, checked, lead, suffix);
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
    if let Some(note) = &d.note {
        let _ = writeln!(out, "  = note: {note}");
    }
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

/// `fluxtag explain`: [`fluxtag_workspace::explain_text::render`].
pub fn explain(explained: &Explained, all: bool, color: bool) -> String {
    fluxtag_workspace::explain_text::render(explained, all, color)
}

#[cfg(test)]
mod tests {
    use fluxtag_core::diag::{Fix, Related};

    use super::*;

    /// A finding at byte `start` of `path`.
    fn at(code: Code, path: &str, start: usize, message: &str) -> Diagnostic {
        Diagnostic::new(code, path, start..start + 3, message)
    }

    /// The places of each group as `path@start`, and each group's lead the same way.
    fn shape(groups: &[Group]) -> Vec<(String, Vec<String>)> {
        let name = |d: &Diagnostic| format!("{}@{}", d.path, d.range.start);
        groups
            .iter()
            .map(|g| (name(g.lead), g.places.iter().map(|d| name(d)).collect()))
            .collect()
    }

    /// Issue 11 item 6: findings with one message and help, apart from their own file, are one
    /// group placed where its first finding is; another message or another related place is
    /// another group.
    #[test]
    fn one_message_apart_from_the_file_is_one_group() {
        let missing = "no ImagePolicy flux-system/log-shipper in the repository";
        let policy = Related {
            path: "flux/policies.yaml".to_string(),
            range: 40..52,
            message: "the ImagePolicy".to_string(),
        };
        let diagnostics = [
            at(Code::PolicyNotFound, "a.yaml", 10, missing)
                .with_help("nothing applies it to a.yaml either"),
            at(Code::Stale, "b.yaml", 5, "1.0 is stale").with_related(policy.clone()),
            at(Code::PolicyNotFound, "b.yaml", 10, missing)
                .with_help("nothing applies it to b.yaml either"),
            at(Code::Stale, "c.yaml", 5, "1.0 is stale"),
            at(Code::Stale, "d.yaml", 5, "1.0 is stale").with_related(policy),
            at(
                Code::PolicyNotFound,
                "d.yaml",
                10,
                "no ImagePolicy flux-system/other",
            ),
        ];
        let refs: Vec<&Diagnostic> = diagnostics.iter().collect();
        let groups = groups(&refs, Severity::Error);
        assert_eq!(
            shape(&groups),
            [
                (
                    "a.yaml@10".into(),
                    vec!["a.yaml@10".into(), "b.yaml@10".into()]
                ),
                (
                    "b.yaml@5".into(),
                    vec!["b.yaml@5".into(), "d.yaml@5".into()]
                ),
                ("c.yaml@5".into(), vec!["c.yaml@5".into()]),
                ("d.yaml@10".into(), vec!["d.yaml@10".into()]),
            ]
        );
        assert!(groups.iter().all(|g| g.shared_fix));
        assert_eq!(
            without_file("nothing applies it to b.yaml either", "b.yaml"),
            "nothing applies it to <file> either"
        );
    }

    /// Issue 11 item 6: a finding repeated at each marker that names the object it is about
    /// (same code and message, the object as related place, no fix of its own) is grouped under
    /// the object's finding, which leads the group with its help; a repetition with its own fix
    /// or another help stays on its own.
    #[test]
    fn repetitions_of_an_object_finding_are_grouped_under_it() {
        let message = "ImagePolicy flux-system/radarr selects no tag from 4 tags";
        let policy = Related {
            path: "flux/policies.yaml".to_string(),
            range: 40..46,
            message: "the ImagePolicy".to_string(),
        };
        let root = Diagnostic::new(Code::NoMatchingTag, "flux/policies.yaml", 40..46, message)
            .with_help("check the range");
        let repeated =
            |path: &str| at(Code::NoMatchingTag, path, 7, message).with_related(policy.clone());
        let fixed = repeated("c.yaml").with_fix(Fix {
            title: "Update".to_string(),
            edits: Vec::new(),
            applicability: Applicability::Safe,
        });
        let other_help = repeated("d.yaml").with_help("something else");
        let diagnostics = [
            repeated("apps/a.yaml"),
            repeated("apps/b.yaml"),
            fixed,
            other_help,
            root,
        ];
        let refs: Vec<&Diagnostic> = diagnostics.iter().collect();
        let groups = groups(&refs, Severity::Warning);
        assert_eq!(
            shape(&groups),
            [
                (
                    "flux/policies.yaml@40".into(),
                    vec![
                        "apps/a.yaml@7".into(),
                        "apps/b.yaml@7".into(),
                        "flux/policies.yaml@40".into()
                    ]
                ),
                ("c.yaml@7".into(), vec!["c.yaml@7".into()]),
                ("d.yaml@7".into(), vec!["d.yaml@7".into()]),
            ]
        );
        assert_eq!(
            groups.first().map(|g| g.lead.help.as_deref()),
            Some(Some("check the range"))
        );
        assert!(groups.first().is_some_and(|g| !g.shared_fix));
        // Another severity is another section.
        assert!(super::groups(&refs, Severity::Error).is_empty());
    }
}
