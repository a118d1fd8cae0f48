//! The text of `fluxtag explain`, shared by the command line and the language server's
//! "Explain" command: a block per marker (what it holds, what Flux would write, the verdict, the
//! automation, its findings), then a block per policy, a line per stage of its evaluation in
//! Flux's order with each stage's tags indented under it.
//!
//! It renders what [`fluxtag_core::explain`] computed and must not compute anything itself: no
//! tag is ranked, excluded or judged here.

use std::fmt::Write as _;

use fluxtag_core::diag::Severity;
use fluxtag_core::explain::{MarkerExplanation, PolicyExplanation};
use fluxtag_core::index::reference_name;
use fluxtag_core::resolve::MarkerStatus;
use fluxtag_policy::{Rejection, TieBreak};

use crate::Workspace;

/// What an explanation shows: the markers on the line named (none for a policy), and the
/// explanation of each policy named (or the markers' policies).
pub struct Explained<'w> {
    /// The repository as read (for positions).
    pub workspace: &'w Workspace,
    /// One per marker on the line named, in source order.
    pub markers: Vec<MarkerExplanation<'w>>,
    /// One per policy, in policy order.
    pub explanations: Vec<PolicyExplanation<'w>>,
}

/// `text` in the ANSI colour `code` when `color`, else as it is.
pub fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

/// A severity's word and ANSI colour (`error`, bold red).
pub fn severity_label(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    }
}

/// A rejection's name in the JSON contract and its reason in words.
pub fn rejection_reason(why: &Rejection) -> (&'static str, String) {
    match why {
        Rejection::NotAVersion(why) => ("not-a-version", format!("not a version: {why}")),
        Rejection::OutOfRange { comparators, .. } => (
            "out-of-range",
            format!("does not satisfy {}", comparators.join(", nor ")),
        ),
        Rejection::Prerelease { .. } => (
            "prerelease",
            "a prerelease: no comparator of the range has one, so it allows none".to_owned(),
        ),
        Rejection::NotANumber => (
            "not-a-number",
            "not a number: the numerical policy fails on it".to_owned(),
        ),
    }
}

/// Colours, when asked for.
struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        paint(self.color, code, text)
    }
}

/// `n` and `word`, plural unless `n` is 1.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// How many entries a stage's list shows without `--all`.
const SHOWN: usize = 5;

/// The explanation as text: one block per marker, then one per policy, a line per stage in Flux's order, each stage's
/// tags indented under it (the first [`SHOWN`] and a count of the rest, unless `all`).
pub fn render(explained: &Explained, all: bool, color: bool) -> String {
    let style = Style { color };
    let shown = if all { usize::MAX } else { SHOWN };
    let mut out = String::new();
    for m in &explained.markers {
        explain_marker(&mut out, explained, m, &style);
    }
    for (n, e) in explained.explanations.iter().enumerate() {
        if n > 0 || !explained.markers.is_empty() {
            out.push('\n');
        }
        let p = e.report;
        let at = explained.workspace.position(&p.path, p.range.start);
        let name = reference_name(p.namespace.as_deref(), &p.name);
        let _ = writeln!(out, "{}  {}:{}", style.paint("1", &name), p.path, at.line);
        let field = |out: &mut String, label: &str, text: &str| {
            let _ = writeln!(out, "  {label:<11} {text}");
        };
        field(&mut out, "image", p.image.as_deref().unwrap_or("-"));
        field(&mut out, "rule", p.rule.as_deref().unwrap_or("-"));
        if let Some(listed) = e.listed {
            let source = p.tag_source.as_deref().unwrap_or("unknown source");
            field(
                &mut out,
                "tags",
                &format!("{} from {source}", plural(listed, "tag")),
            );
            let excluded = if e.excluded.is_empty() {
                "none by the exclusion list".to_owned()
            } else {
                format!("{} by the exclusion list", e.excluded.len())
            };
            field(&mut out, "excluded", &excluded);
            let rows: Vec<[String; 2]> = e
                .excluded
                .iter()
                .map(|x| [x.tag.clone(), format!("by `{}`", x.pattern)])
                .collect();
            list(&mut out, &rows, shown);
        }
        if let Some(v) = &e.evaluation {
            if let Some(f) = &v.filter {
                let extract = if f.extract.is_empty() {
                    String::new()
                } else {
                    format!(" extract `{}`", f.extract)
                };
                field(
                    &mut out,
                    "filterTags",
                    &format!(
                        "`{}`{extract}: {} kept, {} did not match, {} replaced by a tag with the same key",
                        f.pattern,
                        f.kept,
                        f.unmatched.len(),
                        f.replaced.len()
                    ),
                );
                let mut rows: Vec<[String; 2]> = f
                    .unmatched
                    .iter()
                    .map(|t| [t.clone(), "did not match".to_owned()])
                    .collect();
                rows.extend(
                    f.replaced
                        .iter()
                        .map(|r| [r.tag.clone(), format!("key {} also from {}", r.key, r.by)]),
                );
                list(&mut out, &rows, shown);
            }
            let rejected = if v.rejected.is_empty() {
                format!("all {} candidates usable", v.candidates)
            } else {
                format!(
                    "{} of {} candidates not usable",
                    v.rejected.len(),
                    v.candidates
                )
            };
            field(&mut out, "policy", &rejected);
            let rows: Vec<[String; 2]> = v
                .rejected
                .iter()
                .map(|r| {
                    let (_, detail) = rejection_reason(&r.why);
                    [r.candidate.tag.clone(), detail]
                })
                .collect();
            list(&mut out, &rows, shown);
            if v.ranked > 0 {
                let ties = match v.tie_break {
                    TieBreak::FirstInScanOrder => {
                        "; of equal versions the first in descending byte order wins"
                    }
                    TieBreak::LastInScanOrder => {
                        "; of equal numbers the last in descending byte order wins"
                    }
                    TieBreak::NoTies => "",
                };
                field(
                    &mut out,
                    "ranking",
                    &format!("{} ranked, best first{ties}", v.ranked),
                );
                let rows: Vec<[String; 2]> = v
                    .ranking
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let tie = if r.tied_with_previous { "  (tie)" } else { "" };
                        [format!("{}. {}", i + 1, r.tag), format!("{}{tie}", r.value)]
                    })
                    .collect();
                list(&mut out, &rows, shown);
            }
            let decided = v.decided_by().as_str();
            match (&v.selected(), &v.no_tag) {
                (Some(tag), _) => field(
                    &mut out,
                    "selected",
                    &format!("{}  (decided by: {decided})", style.paint("32", tag)),
                ),
                (None, Some(why)) => field(
                    &mut out,
                    "selected",
                    &format!(
                        "{}: {why}  (decided by: {decided})",
                        style.paint("33", "none")
                    ),
                ),
                (None, None) => field(
                    &mut out,
                    "selected",
                    &format!("{}  (decided by: {decided})", style.paint("33", "none")),
                ),
            }
        }
        if let Some((code, message)) = &p.error
            && e.evaluation.as_ref().is_none_or(|v| v.selected().is_some())
        {
            field(
                &mut out,
                "error",
                &format!("{}: {message}", style.paint("33", code.as_str())),
            );
        }
    }
    out
}

/// `fluxtag explain FILE:LINE`: the marker's block (what it holds, what Flux would write, the
/// verdict, the automation, the findings on it), before its policy's.
fn explain_marker(
    out: &mut String,
    explained: &Explained,
    m: &fluxtag_core::explain::MarkerExplanation,
    style: &Style,
) {
    let r = m.report;
    let at = explained.workspace.position(&r.path, r.marker.scalar.start);
    let kind = r.kind().map(|k| k.as_str());
    let kind = kind.map(|k| format!(" ({k})")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{}  {}:{}:{}",
        style.paint("1", &format!("marker {}{kind}", r.marker.reference)),
        r.path,
        at.line,
        at.column
    );
    let field = |out: &mut String, label: &str, text: &str| {
        let _ = writeln!(out, "  {label:<11} {text}");
    };
    let shown = |value: &str| {
        if value.is_empty() {
            "\"\"".to_owned()
        } else {
            value.trim_end_matches('\n').to_owned()
        }
    };
    field(out, "current", &shown(&r.marker.value));
    field(
        out,
        "Flux writes",
        &r.expected
            .as_deref()
            .map_or_else(|| "unknown".to_owned(), shown),
    );
    let verdict = match r.status {
        MarkerStatus::Current => style.paint("32", "current"),
        MarkerStatus::Stale(direction) => {
            style.paint("31", &format!("stale ({})", direction.as_str()))
        }
        MarkerStatus::Invalid => style.paint("31", "invalid: Flux never applies this marker"),
        MarkerStatus::Unresolved => {
            style.paint("33", "unresolved: what Flux would write is unknown")
        }
    };
    field(out, "verdict", &verdict);
    field(out, "automation", &m.automation.to_string());
    for (n, d) in m.findings.iter().enumerate() {
        let (label, color) = severity_label(d.severity);
        field(
            out,
            if n == 0 { "findings" } else { "" },
            &format!(
                "{}: {}",
                style.paint(color, &format!("{label}[{}]", d.code)),
                d.message
            ),
        );
    }
}

/// A stage's tags, two aligned columns indented under the stage, at most `shown` rows and a
/// count of the rest.
fn list(out: &mut String, rows: &[[String; 2]], shown: usize) {
    let width = rows
        .iter()
        .take(shown)
        .map(|r| r[0].chars().count())
        .max()
        .unwrap_or(0);
    for row in rows.iter().take(shown) {
        let pad = width - row[0].chars().count();
        let _ = writeln!(
            out,
            "              {}{}  {}",
            row[0],
            " ".repeat(pad),
            row[1]
        );
    }
    if rows.len() > shown {
        let _ = writeln!(
            out,
            "              … and {} more (--all lists them)",
            rows.len() - shown
        );
    }
}
