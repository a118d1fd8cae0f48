//! `textDocument/definition`: from a marker to its ImagePolicy (a templated marker to the policy
//! its literal would name), and from a policy's `imageRepositoryRef` to the ImageRepository.

use fluxtag_core::resolve::templated_target;
use tower_lsp_server::ls_types::{GotoDefinitionParams, GotoDefinitionResponse};

use crate::state::State;

/// The definition at a position.
pub fn definition(state: &State, params: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let position = &params.text_document_position_params;
    let (document, folder) = super::document(state, &position.text_document.uri)?;
    let offset = document.text().offset(position.position, state.encoding);
    if let Some(marker) = super::marker_at(folder, &document.path, offset) {
        // A templated reference names no policy Flux would use; it lands on the one the
        // `marker-templated` fix offers.
        let id = marker.policy.or_else(|| {
            templated_target(
                &folder.workspace.index,
                &document.path,
                &marker.marker.reference,
            )
        })?;
        let policy = folder.report.policy(id)?;
        let location = super::location(state, document.folder, &policy.path, &policy.range)?;
        return Some(GotoDefinitionResponse::Scalar(location));
    }
    let id = super::policy_at(folder, &document.path, offset)?;
    let policy = folder.workspace.index.policy(id)?;
    let reference = policy.object.repository_name.as_ref()?;
    if !super::contains(&reference.range, offset) {
        return None;
    }
    let repository = folder.workspace.index.repository_of(policy)?;
    let object = &repository.object;
    let range = object
        .metadata
        .name
        .as_ref()
        .map_or(object.origin.range.clone(), |n| n.range.clone());
    let location = super::location(state, document.folder, &object.origin.path, &range)?;
    Some(GotoDefinitionResponse::Scalar(location))
}
