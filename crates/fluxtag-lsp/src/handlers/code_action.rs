//! `textDocument/codeAction`: the fixes of the diagnostics under the cursor ("Update to 1.4.2",
//! did-you-mean, "Add namespace"), "Update all markers in this file", and
//! `source.fixAll.fluxtag` (every safe fix of the file, what `fluxtag check --fix` writes).
//!
//! A diagnostic's fixes come from its `data` when it was published for the current document
//! version; a diagnostic from an older version is matched to the current ones by code and range.

use std::collections::HashMap;

use fluxtag_core::diag::Code;
use fluxtag_core::edit::{disjoint, safe_edits};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic, NumberOrString,
    TextEdit, WorkspaceEdit,
};

use super::diagnostics::{DiagnosticData, FixData, SOURCE, core_diagnostics, fixes};
use crate::state::State;

/// The kind of the fix-all source action.
pub const FIX_ALL: &str = "source.fixAll.fluxtag";

/// The code actions for a range of a document.
pub fn code_action(state: &State, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let Some((document, folder)) = super::document(state, uri) else {
        return Vec::new();
    };
    let wants = |kind: &str| {
        params.context.only.as_ref().is_none_or(|only| {
            only.iter()
                .any(|k| kind == k.as_str() || kind.starts_with(&format!("{}.", k.as_str())))
        })
    };
    let action = |title: String,
                  kind: &str,
                  edits: Vec<TextEdit>,
                  diagnostics: Option<Vec<Diagnostic>>,
                  preferred: bool| {
        let mut changes = HashMap::new();
        changes.insert(uri.clone(), edits);
        CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::from(kind.to_string())),
            diagnostics,
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            command: None,
            is_preferred: preferred.then_some(true),
            disabled: None,
            data: None,
        })
    };
    // The edits of every safe fix of the file (of stale markers only, or of every finding), as
    // the server sees it now, collected as `--fix` collects them; edits that overlap are not
    // offered at all (`--fix` refuses such a file too).
    let text_edits = |stale_only: bool| -> Vec<TextEdit> {
        let diagnostics = core_diagnostics(state, folder, document)
            .filter(|d| !stale_only || d.code == Code::Stale);
        let edits = safe_edits(diagnostics)
            .remove(&document.path)
            .unwrap_or_default();
        if disjoint(&edits).is_err() {
            return Vec::new();
        }
        edits
            .iter()
            .map(|e| TextEdit {
                range: document.text().range(&e.range, state.encoding),
                new_text: e.new_text.clone(),
            })
            .collect()
    };
    let safe_stale = text_edits(true);
    let mut out = Vec::new();
    if wants(CodeActionKind::QUICKFIX.as_str()) {
        let mut on_stale = false;
        for diagnostic in &params.context.diagnostics {
            if diagnostic.source.as_deref() != Some(SOURCE) {
                continue;
            }
            let code = match &diagnostic.code {
                Some(NumberOrString::String(code)) => code.as_str(),
                _ => continue,
            };
            on_stale |= code == Code::Stale.as_str();
            for fix in fixes_of(state, params, diagnostic, code) {
                out.push(action(
                    fix.title,
                    CodeActionKind::QUICKFIX.as_str(),
                    fix.edits,
                    Some(vec![diagnostic.clone()]),
                    fix.preferred,
                ));
            }
        }
        if on_stale && safe_stale.len() > 1 {
            out.push(action(
                format!("Update all markers in this file ({})", safe_stale.len()),
                CodeActionKind::QUICKFIX.as_str(),
                safe_stale.clone(),
                None,
                false,
            ));
        }
    }
    if wants(FIX_ALL) {
        let all = text_edits(false);
        if !all.is_empty() {
            out.push(action(
                "Fix all fluxtag findings in this file".to_string(),
                FIX_ALL,
                all,
                None,
                false,
            ));
        }
    }
    out
}

/// The fixes of one diagnostic the client sent back.
fn fixes_of(
    state: &State,
    params: &CodeActionParams,
    diagnostic: &Diagnostic,
    code: &str,
) -> Vec<FixData> {
    let Some((document, folder)) = super::document(state, &params.text_document.uri) else {
        return Vec::new();
    };
    if let Some(data) = diagnostic
        .data
        .as_ref()
        .and_then(|d| serde_json::from_value::<DiagnosticData>(d.clone()).ok())
        && data.version == document.version
    {
        return data.fixes;
    }
    // Published for an older version: the current diagnostic with that code and range.
    let text = document.text();
    core_diagnostics(state, folder, document)
        .find(|d| {
            d.code.as_str() == code && text.range(&d.range, state.encoding) == diagnostic.range
        })
        .map(|d| fixes(state, folder, document, d))
        .unwrap_or_default()
}
