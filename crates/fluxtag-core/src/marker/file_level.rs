//! File-level verdicts of the marker finder: the reasons Flux skips a whole file (spec §1.2,
//! §1.3): its name, the missing screening token, an invalid document separator, a syntax error,
//! a directive, a document that is not a mapping, or a single `kind: List` document. At most one
//! diagnostic, on the first reason found, and only for a file with marker candidates.
//!
//! It must not look at individual markers beyond counting them.

use std::ops::Range;

use crate::diag::{Code, Diagnostic};
use crate::text::contains_bytes;
use crate::yaml::{NodeValue, YamlFile};

use super::{CommentClass, Finder, SCREENING_TOKEN, flux_reads_path};

impl Finder<'_> {
    /// File-level reasons for Flux to skip the file (spec §1.2, §1.3).
    pub(super) fn file_level(&mut self, file: &YamlFile) {
        let candidates: Vec<usize> = self
            .comments
            .iter()
            .enumerate()
            .filter(|(_, c)| !matches!(c.class, CommentClass::NotMarker))
            .map(|(i, _)| i)
            .collect();
        if self.out.markers.is_empty()
            && candidates.is_empty()
            && self.recovered.is_empty()
            && self.out.diagnostics.is_empty()
        {
            return;
        }
        let first = self
            .out
            .markers
            .first()
            .map(|m| m.comment.clone())
            .or_else(|| candidates.first().map(|&c| self.comments[c].range.clone()))
            .or_else(|| self.recovered.first().cloned())
            .or_else(|| self.out.diagnostics.first().map(|d| d.range.clone()))
            .unwrap_or(0..0);
        let count = self.out.markers.len();
        let (reason, range, help) = if !flux_reads_path(self.path) {
            (
                "its name does not end in `.yaml` or `.yml` (nor is it `Kustomization`)"
                    .to_string(),
                first,
                "rename the file with a `.yaml` or `.yml` extension (Flux's check is case-sensitive)",
            )
        } else if !contains_bytes(self.text, SCREENING_TOKEN) {
            (
                "it does not contain the exact text `\"$imagepolicy\"` (with double quotes), which Flux screens files for".to_string(),
                first,
                "write the marker key with double quotes: `{\"$imagepolicy\": \"ns:policy\"}` (a file whose markers are all of the long `$ref` form needs one short-form marker, or Flux never reads it)",
            )
        } else if let Some(range) = self.invalid_separator() {
            (
                "a line starting with `---` has other text after it, which Flux's document splitter rejects (`invalid document separator`)".to_string(),
                range,
                "make document separators exactly `---` (a comment after it is fine)",
            )
        } else if let Some(error) = file.errors.first() {
            let help = if self.helm_template() {
                "markers in Helm templates never work: Flux reads the template as written in Git, cannot parse it as YAML and skips it; put the marker in the HelmRelease's `spec.values`, on the value the chart reads the image from (`tag: 1.2.3 # {\"$imagepolicy\": \"ns:app:tag\"}`)"
            } else {
                "fix the syntax error; Flux logs parse failures only at trace level"
            };
            (
                format!("it does not parse as YAML ({})", error.message),
                error.range.clone(),
                help,
            )
        } else if let Some(range) = self.directive() {
            (
                "it starts with a `%YAML` or `%TAG` directive, which Flux's document splitter turns into a document of its own that fails to parse".to_string(),
                range,
                "remove the directive",
            )
        } else if let Some((range, what)) = non_mapping_document(file) {
            (
                what.to_string(),
                range,
                "Flux only reads files whose every document is a mapping; move markers to a file of mappings",
            )
        } else if let Some(range) = list_document(file) {
            (
                "it is a single `kind: List` document, which Flux unwraps into its items and writes back, when a marker changes, to a new file instead of this one".to_string(),
                range,
                "write the items as separate documents separated by `---`",
            )
        } else {
            return;
        };
        let message = format!(
            "Flux skips this whole file: {reason}; {} never applied",
            match count {
                0 => "its markers are".to_string(),
                1 => "its marker is".to_string(),
                n => format!("its {n} markers are"),
            }
        );
        self.out.skipped = Some(reason);
        self.out
            .diagnostics
            .push(Diagnostic::new(Code::FileSkipped, self.path, range, message).with_help(help));
    }

    /// The path annotations of the resources in a file Flux reads (issue 11 item 8c), kept as
    /// [`PathClaim`]s for [`path_annotation_diagnostics`], which knows the automations.
    pub(super) fn path_annotations(&mut self, file: &YamlFile) {
        if self.out.skipped.is_some() || !contains_bytes(self.text, SCREENING_TOKEN) {
            return;
        }
        for document in &file.documents {
            let Some(annotations) = document
                .root
                .as_ref()
                .and_then(|root| root.path(&["metadata", "annotations"]))
            else {
                continue;
            };
            let written = |key: &'static str| {
                annotations
                    .get(key)
                    .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                    .map(|v| (key, v))
            };
            // The legacy annotation decides when both are set.
            let Some((key, value)) = written("config.kubernetes.io/path")
                .or_else(|| written("internal.config.kubernetes.io/path"))
            else {
                continue;
            };
            self.out.path_claims.push(PathClaim {
                key: key.to_string(),
                value: value.as_str().unwrap_or_default().to_string(),
                range: value.range.clone(),
            });
        }
    }

    /// A line (not the first) starting with `---` followed by something other than blanks or a
    /// comment, and ended by a line break: Flux's splitter rejects the file.
    fn invalid_separator(&self) -> Option<Range<usize>> {
        let mut offset = 0usize;
        for (i, line) in self.text.split(|&b| b == b'\n').enumerate() {
            let end = offset + line.len();
            let has_break = end < self.text.len();
            if i > 0 && has_break && line.starts_with(b"---") {
                let rest = line[3..].trim_ascii();
                if !rest.is_empty() && !rest.starts_with(b"#") {
                    return Some(offset..end);
                }
            }
            offset = end + 1;
        }
        None
    }

    /// Whether the file looks like a Helm template: it sits in a chart's `templates/` directory
    /// or holds `{{ … }}` actions.
    fn helm_template(&self) -> bool {
        let in_templates = self.path.split('/').rev().skip(1).any(|d| d == "templates");
        in_templates || (contains_bytes(self.text, b"{{") && contains_bytes(self.text, b"}}"))
    }

    /// The first `%YAML` or `%TAG` directive line.
    fn directive(&self) -> Option<Range<usize>> {
        let mut offset = 0usize;
        for line in self.text.split(|&b| b == b'\n') {
            if line.starts_with(b"%YAML") || line.starts_with(b"%TAG") {
                return Some(offset..offset + line.len());
            }
            offset += line.len() + 1;
        }
        None
    }
}

/// The `kind` of a file that is exactly one `List` (or `ResourceList`) document with `items`
/// (spec §1.3.5: kyaml unwraps it, and updated items lose their path).
fn list_document(file: &YamlFile) -> Option<Range<usize>> {
    let mut roots = file.documents.iter().filter_map(|d| d.root.as_ref());
    let root = roots.next()?;
    if roots.next().is_some() {
        return None;
    }
    let kind = root.get("kind")?;
    let is_list = matches!(kind.as_str(), Some("List" | "ResourceList"));
    (is_list && (root.get("items").is_some() || root.get("functionConfig").is_some()))
        .then(|| kind.range.clone())
}

/// The first document whose root is a sequence or a non-null scalar, or whose top-level
/// `metadata` is a non-null scalar or a sequence.
fn non_mapping_document(file: &YamlFile) -> Option<(Range<usize>, &'static str)> {
    for document in &file.documents {
        let Some(root) = &document.root else { continue };
        match &root.value {
            NodeValue::Sequence(_) => {
                return Some((
                    root.range.clone(),
                    "a document is a sequence, not a mapping",
                ));
            }
            NodeValue::Scalar(_) if !root.is_null() => {
                return Some((root.range.clone(), "a document is a scalar, not a mapping"));
            }
            NodeValue::Alias(_) => {
                return Some((root.range.clone(), "a document is an alias, not a mapping"));
            }
            NodeValue::Mapping(_) => {
                if let Some(metadata) = root.get("metadata") {
                    let bad = match &metadata.value {
                        NodeValue::Sequence(_) => true,
                        NodeValue::Scalar(_) => !metadata.is_null(),
                        _ => false,
                    };
                    if bad {
                        return Some((
                            metadata.range.clone(),
                            "a document's top-level `metadata` is not a mapping",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The path annotation of one resource in a file Flux reads: what the user wrote where.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathClaim {
    /// `config.kubernetes.io/path` or `internal.config.kubernetes.io/path`.
    pub key: String,
    /// The annotated path.
    pub value: String,
    /// The value's scalar.
    pub range: Range<usize>,
}

/// Findings on the path annotations `claims` of file `path` that stop an automation's whole run
/// (issue 11 item 8c; `flux-semantics.md` §9). kyaml v0.21.1 `kio/byteio_reader.go` copies a
/// user's `config.kubernetes.io/path` to `internal.config.kubernetes.io/path` when only one is
/// set (`kioutil.CopyLegacyAnnotations`), then image-automation-controller's reader
/// (`internal/update/filereader.go`) sets the internal one to the file's path relative to
/// `spec.update.path`; before the setters run, `kio.Pipeline` calls
/// `PreprocessResourcesForInternalAnnotationMigration`, whose `checkMismatchedAnnos` fails on
/// differing values ("mismatched legacy and internal path annotations") and the whole
/// `UpdateWithSetters` run returns the error: nothing is written anywhere.
///
/// `readers` are the automations that read the file, as `(display name, update directory)`;
/// each one whose relative path differs gets a finding. With none known (the automation may live
/// in another repository), a value that is the file's path relative to no directory above it is
/// reported.
pub fn path_annotation_diagnostics(
    path: &str,
    claims: &[PathClaim],
    readers: &[(String, &str)],
) -> Vec<Diagnostic> {
    let help = "remove the annotation (Flux sets it itself), or make it the file's path relative to the ImageUpdateAutomation's `spec.update.path`";
    let mut out = Vec::new();
    for claim in claims {
        // Each way the claim is wrong, as "not this file's path <what>".
        let wrong: Vec<String> = if readers.is_empty() {
            let relative_to_some_root = path == claim.value
                || path
                    .strip_suffix(claim.value.as_str())
                    .is_some_and(|head| head.ends_with('/'));
            (!relative_to_some_root)
                .then(|| format!("({path})"))
                .into_iter()
                .collect()
        } else {
            readers
                .iter()
                .map(|(automation, dir)| (automation, relative_to(path, dir)))
                .filter(|(_, relative)| claim.value != *relative)
                .map(|(automation, relative)| {
                    format!(
                        "relative to the update path of ImageUpdateAutomation {automation} (`{relative}`)"
                    )
                })
                .collect()
        };
        out.extend(wrong.into_iter().map(|what| {
            Diagnostic::new(
                Code::PathAnnotationMismatch,
                path,
                claim.range.clone(),
                format!(
                    "`{}: {}` is not this file's path {what}; Flux's setters fail on it (\"mismatched legacy and internal path annotations\") and the whole automation run stops: no marker is written anywhere",
                    claim.key, claim.value
                ),
            )
            .with_help(help)
        }));
    }
    out
}

/// `path` relative to directory `dir` (`""` is the root), which holds it.
fn relative_to<'p>(path: &'p str, dir: &str) -> &'p str {
    if dir.is_empty() {
        return path;
    }
    path.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(path)
}
