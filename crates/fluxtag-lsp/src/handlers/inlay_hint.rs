//! `textDocument/inlayHint`: after each marker, `✓` when the value is what Flux would write and
//! `→ 1.4.2` when it is stale.

use fluxtag_core::resolve::MarkerStatus;
use tower_lsp_server::ls_types::{InlayHint, InlayHintLabel, InlayHintParams, InlayHintTooltip};

use crate::state::State;

/// The hints of a range of a document.
pub fn inlay_hints(state: &State, params: &InlayHintParams) -> Option<Vec<InlayHint>> {
    let (document, folder) = super::document(state, &params.text_document.uri)?;
    let text = document.text();
    let range = text.byte_range(params.range, state.encoding);
    let hints = folder
        .report
        .markers
        .iter()
        .filter(|m| m.path == document.path)
        .filter(|m| m.marker.comment.end >= range.start && m.marker.comment.start <= range.end)
        .filter_map(|m| {
            let (label, tooltip) = match (m.status, &m.expected) {
                (MarkerStatus::Current, Some(_)) => {
                    ("✓".to_string(), "what Flux would write".to_string())
                }
                (MarkerStatus::Stale(direction), Some(expected)) => (
                    format!("→ {expected}"),
                    format!(
                        "stale ({}): Flux would write {expected}",
                        direction.as_str()
                    ),
                ),
                _ => return None,
            };
            Some(InlayHint {
                position: text.position(m.marker.comment.end, state.encoding),
                label: InlayHintLabel::String(label),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(tooltip)),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
        })
        .collect();
    Some(hints)
}
