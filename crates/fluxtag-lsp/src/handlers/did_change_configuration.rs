//! `workspace/didChangeConfiguration`: new settings; a new tag source forgets the tags in
//! memory and fetches again; new severities republish every open document.

use std::sync::Arc;

use tower_lsp_server::ls_types::{DidChangeConfigurationParams, MessageType};

use crate::server::Inner;

/// Handles `workspace/didChangeConfiguration`.
pub async fn did_change_configuration(inner: &Arc<Inner>, params: DidChangeConfigurationParams) {
    let outcome = inner.write(|s| {
        let before = s.settings.tags.clone();
        let warnings = s.settings.apply(&params.settings);
        let tags_changed = s.settings.tags != before;
        let folders: Vec<usize> = (0..s.folders.len()).collect();
        let mut documents: Vec<_> = s.documents.keys().cloned().collect();
        documents.sort();
        (warnings, tags_changed, folders, documents)
    });
    let Some((warnings, tags_changed, folders, documents)) = outcome else {
        return;
    };
    for warning in warnings {
        inner
            .client
            .log_message(MessageType::WARNING, format!("fluxtag: {warning}"))
            .await;
    }
    if tags_changed {
        inner.forget_tags();
        for folder in folders {
            inner.spawn_fetch(folder);
        }
    }
    inner.publish(documents).await;
}
