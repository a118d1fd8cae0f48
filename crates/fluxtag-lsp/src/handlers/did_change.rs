//! `textDocument/didOpen`, `didChange` and `didClose`: documents as ropes with incremental
//! sync; every change re-analyses the buffer and republishes the affected open documents.
//!
//! The state is changed before the first `.await`, so changes apply in the order the client
//! sent them even though the transport runs handlers concurrently.

use std::sync::Arc;

use fluxtag_workspace::walk;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
};

use crate::convert::apply_change;
use crate::server::Inner;
use crate::state::{Affected, Document};

/// Handles `textDocument/didOpen`.
pub async fn did_open(inner: &Arc<Inner>, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    let Some(file) = document.uri.to_file_path().map(|p| p.into_owned()) else {
        return;
    };
    let outcome = inner.write(|s| {
        let (folder, new) = s.folder_for(&file);
        let path = walk::relative_path(&s.folders.get(folder)?.root, &file)?;
        let opened = Document::new(document.version, &document.text, folder, path.clone());
        let bytes = opened.bytes.clone();
        s.documents.insert(document.uri.clone(), opened);
        let affected = s.reanalyse(folder, vec![(path, Some(bytes))]);
        Some((folder, new, affected))
    });
    let Some((folder, new, affected)) = outcome.flatten() else {
        return;
    };
    if new {
        inner.spawn_index(folder);
    }
    finish(inner, folder, affected).await;
}

/// Handles `textDocument/didChange`.
pub async fn did_change(inner: &Arc<Inner>, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    let outcome = inner.write(|s| {
        let encoding = s.encoding;
        let document = s.documents.get_mut(&uri)?;
        for change in params.content_changes {
            apply_change(&mut document.rope, change.range, &change.text, encoding);
        }
        document.version = params.text_document.version;
        document.sync_bytes();
        let (folder, path, bytes) = (
            document.folder,
            document.path.clone(),
            document.bytes.clone(),
        );
        Some((folder, s.reanalyse(folder, vec![(path, Some(bytes))])))
    });
    if let Some((folder, affected)) = outcome.flatten() {
        finish(inner, folder, affected).await;
    }
}

/// Handles `textDocument/didClose`: the file's content is what is on disk again.
pub async fn did_close(inner: &Arc<Inner>, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    let outcome = inner.write(|s| {
        let document = s.documents.remove(&uri)?;
        let root = s.folders.get(document.folder)?.root.clone();
        let on_disk = walk::read(&root, &document.path).ok();
        Some((
            document.folder,
            s.reanalyse(document.folder, vec![(document.path, on_disk)]),
        ))
    });
    inner.clear(uri).await;
    if let Some((folder, affected)) = outcome.flatten() {
        finish(inner, folder, affected).await;
    }
}

/// Publishes what a change affected and fetches tags when the images changed.
pub async fn finish(inner: &Arc<Inner>, folder: usize, affected: Affected) {
    if affected.fetch {
        inner.spawn_fetch(folder);
    }
    inner.publish(affected.documents).await;
}
