//! `textDocument/references`: from a policy (its document, or a marker naming it) to every
//! marker that uses it, in every file of the folder.

use tower_lsp_server::ls_types::{Location, ReferenceParams};

use crate::state::State;

/// The references at a position.
pub fn references(state: &State, params: &ReferenceParams) -> Option<Vec<Location>> {
    let position = &params.text_document_position;
    let (document, folder) = super::document(state, &position.text_document.uri)?;
    let offset = document.text().offset(position.position, state.encoding);
    let index = match super::marker_at(folder, &document.path, offset) {
        Some(marker) => marker.policy?,
        None => super::policy_at(folder, &document.path, offset)?,
    };
    let mut out = Vec::new();
    if params.context.include_declaration
        && let Some(policy) = folder.report.policy(index)
        && let Some(location) = super::location(state, document.folder, &policy.path, &policy.range)
    {
        out.push(location);
    }
    out.extend(
        folder
            .report
            .markers
            .iter()
            .filter(|m| m.policy == Some(index))
            .filter_map(|m| {
                super::location(state, document.folder, &m.path, &m.marker.reference_range)
            }),
    );
    Some(out)
}
