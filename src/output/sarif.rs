//! `fluxtag check --format sarif`: one SARIF 2.1.0 log with one run.
//!
//! - Rules: every diagnostic code, always all of them and in documentation order, so that a
//!   rule's id (the code, e.g. `stale`) and its `ruleIndex` are stable; each has the code's
//!   summary and default level.
//! - Locations: paths relative to the root with `uriBaseId: "%SRCROOT%"`, which
//!   `originalUriBaseIds` maps to the root's `file://` URI. Regions are 1-based; columns count
//!   Unicode code points (`columnKind: "unicodeCodePoints"`, the same columns as the other
//!   formats); `endColumn` is the column just after the span.
//! - Levels: `error`, `warning`, and `note` for info.
//! - `fixes`: what `--fix` writes under the same flags (the safe fixes, i.e. stale markers;
//!   with `--unsafe-fixes` the unsafe ones too), as `artifactChanges` with `replacements` of a
//!   `deletedRegion` by `insertedContent`.
//! - `relatedLocations`: the places that explain a finding (the policy a marker names).

use std::path::Path;

use fluxtag_core::diag::{Code, Diagnostic, Severity};
use serde::Serialize;

use super::{Checked, Span, to_json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const ROOT_ID: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: OriginalUriBaseIds,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct OriginalUriBaseIds {
    #[serde(rename = "%SRCROOT%")]
    root: Uri,
}

#[derive(Serialize)]
struct Uri {
    uri: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text<&'static str>,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text<String>,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation<'a> {
    id: usize,
    physical_location: PhysicalLocation<'a>,
    message: Text<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation<'a> {
    uri: String,
    uri_base_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text<&'a str>,
    artifact_changes: [ArtifactChange<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation<'a>,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<&'a str>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn region(span: Span) -> Region {
    Region {
        start_line: span.start.line,
        start_column: span.start.column,
        end_line: span.end.line,
        end_column: span.end.column,
    }
}

/// Percent-encodes a `/`-separated relative path as a URI reference: everything but RFC 3986
/// unreserved characters and `/` is encoded (so a `:` can never read as a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `file://` URI of the root directory, ending in `/`.
fn root_uri(root: &Path) -> String {
    let text = root.to_string_lossy().replace('\\', "/");
    let encoded = encode_path(&text);
    let absolute = if encoded.starts_with('/') {
        encoded
    } else {
        format!("/{encoded}")
    };
    if absolute.ends_with('/') {
        format!("file://{absolute}")
    } else {
        format!("file://{absolute}/")
    }
}

fn artifact(path: &str) -> ArtifactLocation<'static> {
    ArtifactLocation {
        uri: encode_path(path),
        uri_base_id: ROOT_ID,
    }
}

fn result<'a>(checked: &'a Checked, d: &'a Diagnostic) -> SarifResult<'a> {
    let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let related_locations = d
        .related
        .iter()
        .enumerate()
        .map(|(id, related)| RelatedLocation {
            id,
            physical_location: PhysicalLocation {
                artifact_location: artifact(&related.path),
                region: region(checked.span(&related.path, &related.range)),
            },
            message: Text {
                text: &related.message,
            },
        })
        .collect();
    let fixes = d
        .fix
        .iter()
        .filter(|fix| checked.applies(fix))
        .map(|fix| SarifFix {
            description: Text { text: &fix.title },
            artifact_changes: [ArtifactChange {
                artifact_location: artifact(&d.path),
                replacements: fix
                    .edits
                    .iter()
                    .map(|edit| Replacement {
                        deleted_region: region(checked.span(&d.path, &edit.range)),
                        inserted_content: Text {
                            text: &edit.new_text,
                        },
                    })
                    .collect(),
            }],
        })
        .collect();
    let message = d.message_with_note_and_help();
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index,
        level: level(d.severity),
        message: Text { text: message },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&d.path),
                region: region(checked.span(&d.path, &d.range)),
            },
        }],
        related_locations,
        fixes,
    }
}

/// `fluxtag check --format sarif`.
pub fn check(checked: &Checked) -> String {
    let rules = Code::ALL
        .iter()
        .map(|code| Rule {
            id: code.as_str(),
            short_description: Text {
                text: code.summary(),
            },
            default_configuration: Configuration {
                level: level(code.default_severity()),
            },
        })
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "fluxtag",
                    version,
                    semantic_version: version,
                    rules,
                },
            },
            original_uri_base_ids: OriginalUriBaseIds {
                root: Uri {
                    uri: root_uri(&checked.workspace.root),
                },
            },
            column_kind: "unicodeCodePoints",
            results: checked.diagnostics().map(|d| result(checked, d)).collect(),
        }],
    };
    to_json(&log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(
            encode_path("apps/my app/a:b.yaml"),
            "apps/my%20app/a%3Ab.yaml"
        );
        assert_eq!(encode_path("é.yaml"), "%C3%A9.yaml");
        assert_eq!(root_uri(Path::new("/srv/repo")), "file:///srv/repo/");
    }
}
