//! The JSON contracts (README.md): `fluxtag check --format json` (`markers` and `diagnostics`)
//! and `fluxtag policies --format json` (`policies`).
//!
//! These structs are the only `Serialize` types of fluxtag's output and each field is a
//! compatibility promise: fields may be added, never renamed or removed.

use fluxtag_core::diag::Applicability;
use fluxtag_core::resolve::MarkerStatus;
use serde::Serialize;

use super::{Checked, Listed, to_json};

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
    help: Option<&'a str>,
    fix: Option<Fix<'a>>,
}

#[derive(Serialize)]
struct Fix<'a> {
    title: &'a str,
    safe: bool,
}

/// `fluxtag check --format json`.
pub fn check(checked: &Checked) -> String {
    let markers = checked
        .markers()
        .map(|m| {
            let at = checked.position(&m.path, m.marker.scalar.start);
            Marker {
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
