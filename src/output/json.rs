//! The JSON contracts (README.md): `fluxtag check --format json` (`markers` and `diagnostics`)
//! `fluxtag policies --format json` (`policies`) and `fluxtag explain --format json`
//! (`markers` and `explanations`).
//!
//! These structs are the only `Serialize` types of fluxtag's output and each field is a
//! compatibility promise: fields may be added, never renamed or removed.

use fluxtag_core::diag::Applicability;
use fluxtag_core::explain::Automation;
use fluxtag_core::marker::MarkerKind;
use fluxtag_core::resolve::{MarkerReport, MarkerStatus};
use serde::Serialize;

use fluxtag_policy::{Rejection, TieBreak};

use super::{Checked, Explained, Listed, to_json};

#[derive(Serialize)]
struct CheckReport<'a> {
    markers: Vec<Marker<'a>>,
    diagnostics: Vec<Diagnostic<'a>>,
}

#[derive(Serialize)]
struct Marker<'a> {
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
struct Diagnostic<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    note: Option<&'a str>,
    help: Option<&'a str>,
    fix: Option<Fix<'a>>,
}

#[derive(Serialize)]
struct Fix<'a> {
    title: &'a str,
    safe: bool,
}

/// A marker's resolution, in `check`'s and `explain`'s JSON.
fn marker<'a>(workspace: &fluxtag_workspace::Workspace, m: &'a MarkerReport) -> Marker<'a> {
    let at = super::position(workspace, &m.path, m.marker.scalar.start);
    Marker {
        file: &m.path,
        line: at.line,
        column: at.column,
        policy: &m.marker.reference,
        kind: m.kind().map(MarkerKind::as_str),
        current: &m.marker.value,
        expected: m.expected.as_deref(),
        status: m.status.as_str(),
        direction: match m.status {
            MarkerStatus::Stale(direction) => Some(direction.as_str()),
            _ => None,
        },
    }
}

/// `fluxtag check --format json`.
pub fn check(checked: &Checked) -> String {
    let markers = checked
        .markers()
        .map(|m| marker(&checked.workspace, m))
        .collect();
    let diagnostics = checked
        .diagnostics()
        .map(|d| {
            let span = checked.span(&d.path, &d.range);
            Diagnostic {
                file: &d.path,
                line: span.start.line,
                column: span.start.column,
                end_line: span.end.line,
                end_column: span.end.column,
                severity: d.severity.as_str(),
                code: d.code.as_str(),
                message: &d.message,
                note: d.note.as_deref(),
                help: d.help.as_deref(),
                fix: d.fix.as_ref().map(|f| Fix {
                    title: &f.title,
                    safe: f.applicability == Applicability::Safe,
                }),
            }
        })
        .collect();
    to_json(&CheckReport {
        markers,
        diagnostics,
    })
}

#[derive(Serialize)]
struct PolicyList<'a> {
    policies: Vec<Policy<'a>>,
}

#[derive(Serialize)]
struct Policy<'a> {
    namespace: Option<&'a str>,
    name: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    image: Option<&'a str>,
    latest: Option<Latest<'a>>,
    error: Option<Error<'a>>,
    rule: Option<&'a str>,
    candidates: &'a [String],
    tag_count: Option<usize>,
    tag_source: Option<&'a str>,
}

#[derive(Serialize)]
struct Latest<'a> {
    tag: &'a str,
    digest: Option<&'a str>,
}

#[derive(Serialize)]
struct Error<'a> {
    code: &'static str,
    message: &'a str,
}

/// `fluxtag policies --format json`.
pub fn policies(listed: &Listed) -> String {
    let policies = listed
        .policies
        .iter()
        .map(|p| {
            let at = super::position(&listed.workspace, &p.path, p.range.start);
            Policy {
                namespace: p.namespace.as_deref(),
                name: &p.name,
                file: &p.path,
                line: at.line,
                column: at.column,
                image: p.image.as_deref(),
                latest: p.latest.as_ref().map(|l| Latest {
                    tag: &l.tag,
                    digest: l.digest.as_deref(),
                }),
                error: p.error.as_ref().map(|(code, message)| Error {
                    code: code.as_str(),
                    message,
                }),
                rule: p.rule.as_deref(),
                candidates: &p.candidates,
                tag_count: p.tag_count,
                tag_source: p.tag_source.as_deref(),
            }
        })
        .collect();
    to_json(&PolicyList { policies })
}

#[derive(Serialize)]
struct ExplanationList<'a> {
    markers: Vec<MarkerExplanation<'a>>,
    explanations: Vec<PolicyExplanation<'a>>,
}

#[derive(Serialize)]
struct MarkerExplanation<'a> {
    #[serde(flatten)]
    marker: Marker<'a>,
    automation: AutomationVerdict,
    findings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct AutomationVerdict {
    applies: Option<bool>,
    reason: Option<String>,
}

#[derive(Serialize)]
struct Finding<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct PolicyExplanation<'a> {
    namespace: Option<&'a str>,
    name: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    image: Option<&'a str>,
    rule: Option<&'a str>,
    tag_source: Option<&'a str>,
    tags: Option<usize>,
    excluded: Vec<Excluded<'a>>,
    evaluation: Option<Evaluation<'a>>,
    latest: Option<Latest<'a>>,
    error: Option<Error<'a>>,
}

#[derive(Serialize)]
struct Excluded<'a> {
    tag: &'a str,
    pattern: &'a str,
}

#[derive(Serialize)]
struct Evaluation<'a> {
    tags: usize,
    filter: Option<FilterStage<'a>>,
    candidates: usize,
    rejected: Vec<Rejected<'a>>,
    ranking: Vec<Ranked<'a>>,
    ranked: usize,
    tie_break: &'static str,
    selected: Option<&'a str>,
    decided_by: &'static str,
    reason: Option<String>,
}

#[derive(Serialize)]
struct FilterStage<'a> {
    pattern: &'a str,
    extract: &'a str,
    unmatched: &'a [String],
    replaced: Vec<Replaced<'a>>,
    kept: usize,
}

#[derive(Serialize)]
struct Replaced<'a> {
    tag: &'a str,
    by: &'a str,
    key: &'a str,
}

#[derive(Serialize)]
struct Rejected<'a> {
    tag: &'a str,
    key: &'a str,
    reason: &'static str,
    detail: String,
    version: Option<&'a str>,
    comparators: &'a [String],
}

#[derive(Serialize)]
struct Ranked<'a> {
    tag: &'a str,
    key: &'a str,
    value: &'a str,
    tied: bool,
}

/// The JSON name of a tie break.
pub(super) fn tie_break_name(tie_break: TieBreak) -> &'static str {
    match tie_break {
        TieBreak::FirstInScanOrder => "first-in-scan-order",
        TieBreak::LastInScanOrder => "last-in-scan-order",
        TieBreak::NoTies => "no-ties",
    }
}

/// `fluxtag explain --format json`.
pub fn explain(explained: &Explained) -> String {
    let explanations = explained
        .explanations
        .iter()
        .map(|e| {
            let p = e.report;
            let at = super::position(explained.workspace, &p.path, p.range.start);
            PolicyExplanation {
                namespace: p.namespace.as_deref(),
                name: &p.name,
                file: &p.path,
                line: at.line,
                column: at.column,
                image: p.image.as_deref(),
                rule: p.rule.as_deref(),
                tag_source: p.tag_source.as_deref(),
                tags: e.listed,
                excluded: e
                    .excluded
                    .iter()
                    .map(|x| Excluded {
                        tag: &x.tag,
                        pattern: &x.pattern,
                    })
                    .collect(),
                evaluation: e.evaluation.as_ref().map(|v| Evaluation {
                    tags: v.tags,
                    filter: v.filter.as_ref().map(|f| FilterStage {
                        pattern: &f.pattern,
                        extract: &f.extract,
                        unmatched: &f.unmatched,
                        replaced: f
                            .replaced
                            .iter()
                            .map(|r| Replaced {
                                tag: &r.tag,
                                by: &r.by,
                                key: &r.key,
                            })
                            .collect(),
                        kept: f.kept,
                    }),
                    candidates: v.candidates,
                    rejected: v
                        .rejected
                        .iter()
                        .map(|r| {
                            let (reason, detail) =
                                fluxtag_workspace::explain_text::rejection_reason(&r.why);
                            let (version, comparators): (Option<&str>, &[String]) = match &r.why {
                                Rejection::OutOfRange {
                                    version,
                                    comparators,
                                } => (Some(version), comparators),
                                Rejection::Prerelease { version } => (Some(version), &[]),
                                _ => (None, &[]),
                            };
                            Rejected {
                                tag: &r.candidate.tag,
                                key: &r.candidate.key,
                                reason,
                                detail,
                                version,
                                comparators,
                            }
                        })
                        .collect(),
                    ranking: v
                        .ranking
                        .iter()
                        .map(|r| Ranked {
                            tag: &r.tag,
                            key: &r.key,
                            value: &r.value,
                            tied: r.tied_with_previous,
                        })
                        .collect(),
                    ranked: v.ranked,
                    tie_break: tie_break_name(v.tie_break),
                    selected: v.selected(),
                    decided_by: v.decided_by().as_str(),
                    reason: v.no_tag.as_ref().map(ToString::to_string),
                }),
                latest: p.latest.as_ref().map(|l| Latest {
                    tag: &l.tag,
                    digest: l.digest.as_deref(),
                }),
                error: p.error.as_ref().map(|(code, message)| Error {
                    code: code.as_str(),
                    message,
                }),
            }
        })
        .collect();
    let markers = explained
        .markers
        .iter()
        .map(|m| MarkerExplanation {
            marker: marker(explained.workspace, m.report),
            automation: AutomationVerdict {
                applies: match m.automation {
                    Automation::Applies => Some(true),
                    Automation::NoneInRepository => None,
                    Automation::NoPolicy | Automation::DoesNotApply(_) => Some(false),
                },
                reason: (m.automation != Automation::Applies).then(|| m.automation.to_string()),
            },
            findings: m
                .findings
                .iter()
                .map(|d| Finding {
                    severity: d.severity.as_str(),
                    code: d.code.as_str(),
                    message: &d.message,
                })
                .collect(),
        })
        .collect();
    to_json(&ExplanationList {
        markers,
        explanations,
    })
}
