//! `fluxtag/explain` (a request of fluxtag's own) and `textDocument/codeLens`: the explanation
//! `fluxtag explain` prints, for the marker or ImagePolicy at a position, and an "Explain" lens on
//! each ImagePolicy whose command the clients in `editors/` turn into that request.
//!
//! The text is [`fluxtag_workspace::explain_text::render`]'s over the folder's resolution and
//! tags: the command line's explanation, word for word. Nothing is computed here.

use fluxtag_core::explain::{explain_marker, explain_policy};
use fluxtag_core::index::{display_name, reference_name};
use fluxtag_workspace::explain_text::{Explained, render};
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    CodeLens, CodeLensParams, Command, Position, TextDocumentIdentifier,
};

use crate::state::State;

/// The command of the "Explain" lens; its one argument is an [`ExplainParams`]. Clients handle
/// it by sending [`EXPLAIN_REQUEST`] and showing the text.
pub const EXPLAIN_COMMAND: &str = "fluxtag.explain";

/// The request that returns an explanation.
pub const EXPLAIN_REQUEST: &str = "fluxtag/explain";

/// Where to explain: a position on a marker or in an ImagePolicy document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainParams {
    /// The document.
    pub text_document: TextDocumentIdentifier,
    /// The position.
    pub position: Position,
}

/// An explanation, as plain text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Explanation {
    /// A title for the view that shows it (`fluxtag explain flux-system:app`).
    pub title: String,
    /// The explanation, as `fluxtag explain --all` prints it (no colours).
    pub text: String,
}

/// The explanation at a position: of the marker there (and its policy), else of the ImagePolicy
/// document there; `None` elsewhere, or before the folder is indexed.
pub fn explain(state: &State, params: &ExplainParams) -> Option<Explanation> {
    let (document, folder) = super::document(state, &params.text_document.uri)?;
    let offset = document.text().offset(params.position, state.encoding);
    let index = &folder.workspace.index;
    let report = &folder.report;
    let (markers, ids, title) =
        if let Some(marker) = super::marker_at(folder, &document.path, offset) {
            let line = folder
                .workspace
                .position(&marker.path, marker.marker.scalar.start)
                .line;
            (
                vec![explain_marker(index, report, marker)],
                marker.policy.into_iter().collect(),
                format!("fluxtag explain {}:{line}", marker.path),
            )
        } else {
            let id = super::policy_at(folder, &document.path, offset)?;
            let policy = index.policy(id)?;
            let name = reference_name(policy.namespace.as_deref(), &policy.name);
            (Vec::new(), vec![id], format!("fluxtag explain {name}"))
        };
    let lookup = |canonical: &str, _: &_| folder.tags.lookup(canonical);
    let explanations = ids
        .into_iter()
        .filter_map(|id| explain_policy(index, report, id, &lookup, usize::MAX))
        .collect();
    let explained = Explained {
        workspace: &folder.workspace,
        markers,
        explanations,
    };
    Some(Explanation {
        title,
        text: render(&explained, true, false),
    })
}

/// An "Explain" lens on the name of each ImagePolicy of the document.
pub fn code_lens(state: &State, params: &CodeLensParams) -> Option<Vec<CodeLens>> {
    let (document, folder) = super::document(state, &params.text_document.uri)?;
    let text = document.text();
    let lenses = folder
        .workspace
        .index
        .policies()
        .iter()
        .filter(|p| p.object.origin.path == document.path)
        .filter_map(|p| {
            let range = text.range(&p.object.name_range(), state.encoding);
            let argument = serde_json::to_value(ExplainParams {
                text_document: params.text_document.clone(),
                position: range.start,
            })
            .ok()?;
            Some(CodeLens {
                range,
                command: Some(Command {
                    title: format!("Explain {}", display_name(p.namespace.as_deref(), &p.name)),
                    command: EXPLAIN_COMMAND.to_owned(),
                    arguments: Some(vec![argument]),
                }),
                data: None,
            })
        })
        .collect();
    Some(lenses)
}
