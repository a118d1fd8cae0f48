//! `textDocument/hover`: on a marker or its value, the policy (namespace/name, rule, filter,
//! with a link to its file), the repository image, the current value and what Flux would write,
//! the newest candidate tags in policy order, the evaluation in counts (one line per stage:
//! tags and their source, exclusions, filterTags, rejections, the ranking's winner and
//! runner-up); on an ImagePolicy document, its resolved latest tag and the same details.
//!
//! Every string from the user's files, the registry or the core goes through
//! [`crate::markdown::Format`] (code span or escaped prose), never into Markdown raw.

use std::fmt::Write as _;

use fluxtag_core::diag::Code;
use fluxtag_core::index::{PolicyId, display_name};
use fluxtag_core::resolve::{MarkerReport, MarkerStatus, PolicyReport};
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::markdown::Format;
use crate::state::{Folder, State};

/// How many candidate tags a hover lists.
const CANDIDATES: usize = 5;

/// The hover at a position.
pub fn hover(state: &State, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let (document, folder) = super::document(state, &position.text_document.uri)?;
    let text = document.text();
    let offset = text.offset(position.position, state.encoding);
    let f = if state.client.markdown {
        Format::Markdown
    } else {
        Format::Plain
    };
    let (value, range) = if let Some(marker) = super::marker_at(folder, &document.path, offset) {
        let range = if super::contains(&marker.marker.scalar, offset) {
            &marker.marker.scalar
        } else {
            &marker.marker.comment
        };
        (
            marker_hover(state, f, document.folder, folder, marker),
            range.clone(),
        )
    } else {
        let index = super::policy_at(folder, &document.path, offset)?;
        let policy = folder.report.policy(index)?;
        let range = folder
            .workspace
            .index
            .policy(index)?
            .object
            .origin
            .range
            .clone();
        let markers = folder
            .report
            .markers
            .iter()
            .filter(|m| m.policy == Some(index))
            .count();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} {}\n",
            f.strong("ImagePolicy"),
            f.code(&display_name(policy.namespace.as_deref(), &policy.name))
        );
        match (&policy.latest, &policy.error) {
            (Some(latest), _) => {
                let _ = writeln!(out, "latest: {}", f.strong(&f.code(&latest.tag)));
                if let Some(digest) = &latest.digest {
                    let _ = writeln!(out, "\ndigest: {}", f.code(digest));
                }
            }
            (None, Some((code, message)))
                if folder.state.tags_ready() || *code != Code::RegistryError =>
            {
                let _ = writeln!(out, "no latest tag ({code}): {}", f.text(message));
            }
            (None, _) => {
                let _ = writeln!(out, "latest: not known yet (tags are being fetched)");
            }
        }
        out.push('\n');
        policy_details(&mut out, f, policy, folder, index);
        let _ = writeln!(
            out,
            "\nused by {markers} marker{}",
            if markers == 1 { "" } else { "s" }
        );
        (out, range)
    };
    let text_range = text.range(&range, state.encoding);
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: if state.client.markdown {
                MarkupKind::Markdown
            } else {
                MarkupKind::PlainText
            },
            value,
        }),
        range: Some(text_range),
    })
}

fn marker_hover(
    state: &State,
    f: Format,
    folder_index: usize,
    folder: &Folder,
    marker: &MarkerReport,
) -> String {
    let mut out = String::new();
    let Some(index) = marker.policy else {
        let _ = writeln!(
            out,
            "{} {}: names no known ImagePolicy",
            f.strong(&f.text("$imagepolicy")),
            f.code(&marker.marker.reference)
        );
        return out;
    };
    let Some(policy) = folder.report.policy(index) else {
        return out;
    };
    let kind = marker.target.as_ref().map_or("image", |t| t.kind.as_str());
    let _ = write!(
        out,
        "{} {} ({kind})",
        f.strong("ImagePolicy"),
        f.code(&display_name(policy.namespace.as_deref(), &policy.name))
    );
    if let Some(link) = link(state, f, folder_index, policy) {
        let _ = write!(out, " — {link}");
    }
    out.push_str("\n\n");
    let current = if marker.marker.value.is_empty() {
        "\"\"".to_string()
    } else {
        marker.marker.value.clone()
    };
    let _ = writeln!(out, "- current: {}", f.code(&current));
    match (&marker.expected, marker.status) {
        (Some(expected), MarkerStatus::Current) => {
            let _ = writeln!(out, "- Flux would write: {} ✓ current", f.code(expected));
        }
        (Some(expected), MarkerStatus::Stale(direction)) => {
            let _ = writeln!(
                out,
                "- Flux would write: {} (stale, {})",
                f.strong(&f.code(expected)),
                direction.as_str()
            );
        }
        _ if !folder.state.tags_ready()
            && matches!(policy.error, None | Some((Code::RegistryError, _))) =>
        {
            let _ = writeln!(
                out,
                "- Flux would write: unknown yet (tags are being fetched)"
            );
        }
        _ => match &policy.error {
            Some((code, message)) => {
                let _ = writeln!(
                    out,
                    "- Flux would write: unknown ({code}: {})",
                    f.text(message)
                );
            }
            None => {
                let _ = writeln!(out, "- Flux would write: unknown");
            }
        },
    }
    if let Some(latest) = &policy.latest {
        let _ = writeln!(out, "- latest tag: {}", f.code(&latest.tag));
    }
    policy_details(&mut out, f, policy, folder, index);
    out
}

/// How the policy instance was built: the Flux Kustomization that applies it, and where its
/// namespace and name come from when they are not as written (the core's words, whose
/// backticked parts are code).
fn provenance(out: &mut String, f: Format, entry: &fluxtag_core::index::PolicyEntry) {
    if let Some(applied_by) = &entry.built.applied_by {
        let _ = writeln!(out, "- applied by {}", f.spans(applied_by));
    }
    if let (Some(namespace), Some(source)) = (&entry.namespace, &entry.built.namespace) {
        let _ = writeln!(
            out,
            "- namespace {}: {}",
            f.code(namespace),
            f.spans(source)
        );
    }
    if let (Some(how), Some(written)) = (&entry.built.name, &entry.built.written_name) {
        let _ = writeln!(
            out,
            "- name {} built from {}: {}",
            f.code(&entry.name),
            f.code(written),
            f.spans(how)
        );
    }
}

/// Rule, filter, image, candidates, and the evaluation's stages in counts (else the tag count
/// and source), as list items.
fn policy_details(
    out: &mut String,
    f: Format,
    policy: &PolicyReport,
    folder: &Folder,
    index: PolicyId,
) {
    if let Some(rule) = &policy.rule {
        let _ = writeln!(out, "- rule: {}", f.code(rule));
    }
    if let Some(entry) = folder.workspace.index.policy(index) {
        provenance(out, f, entry);
    }
    if let Some(entry) = folder.workspace.index.policy(index)
        && let Some(pattern) = &entry.object.filter_pattern
    {
        let _ = write!(out, "- filter: {}", f.code(&pattern.value));
        if let Some(extract) = &entry.object.filter_extract {
            let _ = write!(out, " extract {}", f.code(&extract.value));
        }
        out.push('\n');
    }
    if let Some(image) = &policy.image {
        let _ = writeln!(out, "- repository image: {}", f.code(image));
    }
    if !policy.candidates.is_empty() {
        let shown: Vec<String> = policy
            .candidates
            .iter()
            .take(CANDIDATES)
            .map(|t| f.code(t))
            .collect();
        let _ = writeln!(out, "- newest candidates: {}", shown.join(", "));
    }
    if let Some(summary) = policy.summary() {
        // One line per stage, the source after the first (how many tags it gave).
        for (n, segment) in summary.segments(&|text| f.code(text)).iter().enumerate() {
            match (&policy.tag_source, n) {
                (Some(source), 0) => {
                    let _ = writeln!(out, "- {segment} ({})", f.text(source));
                }
                _ => {
                    let _ = writeln!(out, "- {segment}");
                }
            }
        }
        return;
    }
    match (&policy.tag_count, &policy.tag_source) {
        (Some(count), Some(source)) => {
            let _ = writeln!(out, "- {count} tags ({})", f.text(source));
        }
        (Some(count), None) => {
            let _ = writeln!(out, "- {count} tags");
        }
        _ => {}
    }
}

/// A link to the policy's definition.
fn link(state: &State, f: Format, folder: usize, policy: &PolicyReport) -> Option<String> {
    let location = super::location(state, folder, &policy.path, &policy.range)?;
    let line = location.range.start.line + 1;
    Some(f.link(
        &format!("{}:{line}", policy.path),
        &format!("{}#L{line}", location.uri.as_str()),
    ))
}
