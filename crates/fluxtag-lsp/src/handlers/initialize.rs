//! `initialize` and `initialized`: negotiate the position encoding, read what the client
//! supports and its `initializationOptions`, register file watchers, and start indexing every
//! workspace folder in the background.

use std::sync::Arc;

use tower_lsp_server::ls_types::{
    InitializeParams, InitializeResult, MessageType, Registration, ServerInfo,
};

use crate::convert::Encoding;
use crate::server::Inner;

/// Handles `initialize`; returns the result and the settings warnings to show once initialized.
pub fn initialize(inner: &Inner, params: InitializeParams) -> (InitializeResult, Vec<String>) {
    let mut state = inner.lock();
    let capabilities = &params.capabilities;
    state.encoding = Encoding::negotiate(
        capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    state.client.work_done_progress = capabilities
        .window
        .as_ref()
        .and_then(|w| w.work_done_progress)
        .unwrap_or(false);
    let workspace = capabilities.workspace.as_ref();
    state.client.inlay_hint_refresh = workspace
        .and_then(|w| w.inlay_hint.as_ref())
        .and_then(|i| i.refresh_support)
        .unwrap_or(false);
    state.client.watched_files_dynamic = workspace
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    state.client.markdown = capabilities
        .text_document
        .as_ref()
        .and_then(|t| t.hover.as_ref())
        .and_then(|h| h.content_format.as_ref())
        .is_none_or(|formats| formats.contains(&tower_lsp_server::ls_types::MarkupKind::Markdown));
    let warnings = match &params.initialization_options {
        Some(options) => state.settings.apply(options),
        None => Vec::new(),
    };
    let mut roots: Vec<std::path::PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
        .collect();
    #[allow(deprecated)] // rootUri is what clients without workspace folders send
    if roots.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path())
    {
        roots.push(root.into_owned());
    }
    for root in roots {
        state.add_folder(root);
    }
    let result = InitializeResult {
        capabilities: crate::capabilities(state.encoding),
        server_info: Some(ServerInfo {
            name: "fluxtag".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        offset_encoding: None,
    };
    (result, warnings)
}

/// Handles `initialized`: watchers, settings warnings, and indexing.
pub async fn initialized(inner: &Arc<Inner>, warnings: Vec<String>) {
    for warning in warnings {
        inner
            .client
            .log_message(MessageType::WARNING, format!("fluxtag: {warning}"))
            .await;
    }
    let (dynamic, folders) = {
        let state = inner.lock();
        (state.client.watched_files_dynamic, state.folders.len())
    };
    // Indexing first: it must not wait for the client to answer the registration.
    for folder in 0..folders {
        inner.spawn_index(folder);
    }
    if dynamic {
        let watchers = serde_json::json!({
            "watchers": [
                {"globPattern": "**/*.{yaml,yml,YAML,YML}"},
                {"globPattern": "**/{kustomization,Kustomization}"}
            ]
        });
        let registration = Registration {
            id: "fluxtag/watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: Some(watchers),
        };
        if let Err(error) = inner.client.register_capability(vec![registration]).await {
            inner
                .client
                .log_message(
                    MessageType::WARNING,
                    format!("fluxtag: no file watchers: {error}"),
                )
                .await;
        }
    }
}
