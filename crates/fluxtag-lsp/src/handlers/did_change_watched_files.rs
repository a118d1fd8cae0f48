//! `workspace/didChangeWatchedFiles`: files changed on disk (a `git pull`, another editor) are
//! read again, unless open (the buffer wins), and the affected open documents republished.

use std::collections::BTreeMap;
use std::sync::Arc;

use fluxtag_workspace::walk;
use tower_lsp_server::ls_types::{DidChangeWatchedFilesParams, FileChangeType};

use crate::server::Inner;

/// New contents (`None`: deleted) of changed files, by path.
type Changes = Vec<(String, Option<Vec<u8>>)>;

/// Handles `workspace/didChangeWatchedFiles`.
pub async fn did_change_watched_files(inner: &Arc<Inner>, params: DidChangeWatchedFilesParams) {
    let outcome = inner.write(|s| {
        let mut changes: BTreeMap<usize, Changes> = BTreeMap::new();
        for event in params.changes {
            let Some(file) = event.uri.to_file_path().map(|p| p.into_owned()) else {
                continue;
            };
            let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !walk::is_candidate(name) || s.documents.contains_key(&event.uri) {
                continue;
            }
            let Some((folder, f)) = s
                .folders
                .iter()
                .enumerate()
                .filter(|(_, f)| file.starts_with(&f.root))
                .max_by_key(|(_, f)| f.root.components().count())
            else {
                continue;
            };
            let Some(path) = walk::relative_path(&f.root, &file) else {
                continue;
            };
            let text = if event.typ == FileChangeType::DELETED {
                None
            } else {
                std::fs::read(&file).ok()
            };
            changes.entry(folder).or_default().push((path, text));
        }
        changes
            .into_iter()
            .map(|(folder, changes)| (folder, s.reanalyse(folder, changes)))
            .collect::<Vec<_>>()
    });
    for (folder, affected) in outcome.into_iter().flatten() {
        super::did_change::finish(inner, folder, affected).await;
    }
}
