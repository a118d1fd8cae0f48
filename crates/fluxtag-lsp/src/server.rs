//! The server's shared core: the locked state, publishing diagnostics in order, and the
//! background work (indexing a folder, fetching tags) that no request ever waits for.
//!
//! Ordering: every change to the state takes a sequence number under the lock, and
//! publication skips a document whose newer diagnostics were already sent, so concurrent
//! handlers can never leave the editor with outdated diagnostics.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use fluxtag_core::index::Index;
use fluxtag_core::resolve::TagLookup;
use fluxtag_registry::Environment;
use fluxtag_workspace::TagTable;
use fluxtag_workspace::tags::TagSource;
use futures_util::FutureExt as _;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{MessageType, NumberOrString, Uri};

use crate::handlers::diagnostics;
use crate::state::State;

/// How long fetched tags stay in the in-memory layer before the disk cache (or the registry)
/// is asked again.
const TAG_MEMORY_TTL: Duration = Duration::from_secs(300);

/// How long the server waits for the client to answer its requests (a progress token, an
/// inlay hint refresh) before going on without.
const CLIENT_ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler and background task shares.
pub struct Inner {
    /// The connection to the client.
    pub client: Client,
    state: Mutex<State>,
    /// Highest sequence number published per document.
    published: tokio::sync::Mutex<HashMap<Uri, u64>>,
    sequence: AtomicU64,
    /// Tags by canonical image: the in-memory layer over the disk cache.
    tag_memory: moka::future::Cache<String, TagLookup>,
    env: Arc<dyn Environment>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

impl Inner {
    /// A server core with `state` and the process environment.
    pub fn new(client: Client, state: State, env: Arc<dyn Environment>) -> Inner {
        Inner {
            client,
            state: Mutex::new(state),
            published: tokio::sync::Mutex::new(HashMap::new()),
            sequence: AtomicU64::new(0),
            tag_memory: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TAG_MEMORY_TTL)
                .build(),
            env,
        }
    }

    /// The state, recovering from a handler that panicked while holding it (its change is
    /// either complete or harmless: every step leaves the state consistent).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the state, turning a panic into an internal error for the client.
    pub fn read<T>(&self, method: &str, f: impl FnOnce(&State) -> T) -> jsonrpc::Result<T> {
        let state = self.lock();
        std::panic::catch_unwind(AssertUnwindSafe(|| f(&state))).map_err(|_| internal(method))
    }

    /// Runs `f` on the state mutably; a panic becomes `None` (for notifications).
    pub fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> Option<T> {
        let mut state = self.lock();
        std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut state))).ok()
    }

    /// Publishes fresh diagnostics for `uris` (documents whose folder is not indexed yet are
    /// skipped; they are published when indexing ends).
    pub async fn publish(&self, uris: Vec<Uri>) {
        if uris.is_empty() {
            return;
        }
        let computed = {
            let state = self.lock();
            let sequence = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
            let computed: Vec<_> = uris
                .into_iter()
                .filter_map(|uri| {
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        diagnostics::for_document(&state, &uri)
                    }))
                    .ok()
                    .flatten()?;
                    Some((uri, result))
                })
                .collect();
            (sequence, computed)
        };
        let (sequence, computed) = computed;
        let mut published = self.published.lock().await;
        for (uri, (version, diagnostics)) in computed {
            let last = published.entry(uri.clone()).or_insert(0);
            if *last > sequence {
                continue;
            }
            *last = sequence;
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }

    /// Clears the diagnostics of a closed document.
    pub async fn clear(&self, uri: Uri) {
        let sequence = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        let mut published = self.published.lock().await;
        published.insert(uri.clone(), sequence);
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    /// Reads a folder from disk in the background, with `$/progress`, then publishes its open
    /// documents and fetches its tags.
    pub fn spawn_index(self: &Arc<Self>, folder: usize) {
        let inner = Arc::clone(self);
        tokio::spawn(async move { inner.index(folder).await });
    }

    async fn index(self: Arc<Self>, folder: usize) {
        let Some((root, scan, progress_supported, cache)) = self
            .write(|s| {
                let f = s.folders.get_mut(folder)?;
                if !f.state.begin_indexing() {
                    return None;
                }
                Some((
                    f.root.clone(),
                    f.scan,
                    s.client.work_done_progress,
                    s.settings.analysis_cache.clone(),
                ))
            })
            .flatten()
        else {
            return;
        };
        let token = NumberOrString::String(format!("fluxtag/index/{folder}"));
        // A client that never answers must not hold indexing up.
        let created = tokio::time::timeout(
            CLIENT_ANSWER_TIMEOUT,
            self.client.create_work_done_progress(token.clone()),
        );
        let progress = if progress_supported && matches!(created.await, Ok(Ok(()))) {
            Some(
                self.client
                    .progress(token, "fluxtag")
                    .with_message(format!("indexing {}", root.display()))
                    .begin()
                    .await,
            )
        } else {
            None
        };
        let load_root = root.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            if scan {
                crate::loader::load(&load_root, cache.as_ref())
            } else {
                Ok(crate::state::Folder::new(load_root).workspace)
            }
        })
        .await;
        let workspace = match loaded {
            Ok(Ok(workspace)) => workspace,
            Ok(Err(error)) => {
                self.client
                    .log_message(
                        MessageType::ERROR,
                        format!("fluxtag: cannot index {}: {error}", root.display()),
                    )
                    .await;
                crate::state::Folder::new(root.clone()).workspace
            }
            Err(_) => {
                self.client
                    .log_message(
                        MessageType::ERROR,
                        format!("fluxtag: indexing {} failed", root.display()),
                    )
                    .await;
                crate::state::Folder::new(root.clone()).workspace
            }
        };
        let summary = self
            .write(|s| {
                let buffers: Vec<(String, Option<Vec<u8>>)> = s
                    .documents
                    .values()
                    .filter(|d| d.folder == folder)
                    .map(|d| (d.path.clone(), Some(d.bytes.clone())))
                    .collect();
                let documents = s.documents_in(folder);
                let f = s.folders.get_mut(folder)?;
                f.workspace = workspace;
                if !buffers.is_empty() {
                    f.workspace.update(buffers);
                }
                f.state.finish_indexing();
                f.resolve();
                let files = f.workspace.index.files().len();
                let markers = f.report.markers.len();
                Some((documents, format!("{files} files, {markers} markers")))
            })
            .flatten();
        let Some((documents, message)) = summary else {
            return;
        };
        if let Some(progress) = progress {
            progress.finish_with_message(message).await;
        }
        self.publish(documents).await;
        self.spawn_fetch(folder);
    }

    /// Fetches the tags of a folder in the background, then republishes its documents and asks
    /// the client to refresh inlay hints. A request while a fetch runs makes it run again.
    pub fn spawn_fetch(self: &Arc<Self>, folder: usize) {
        let inner = Arc::clone(self);
        tokio::spawn(async move { inner.fetch(folder).await });
    }

    async fn fetch(self: Arc<Self>, folder: usize) {
        loop {
            let job = self
                .write(|s| {
                    let settings = s.settings.clone();
                    let f = s.folders.get_mut(folder)?;
                    if !f.state.begin_fetch() {
                        return None;
                    }
                    Some((f.tag_index(), f.wanted_images(), settings.tags_for(&f.root)))
                })
                .flatten();
            let Some((index, images, settings)) = job else {
                return;
            };
            let fetched = AssertUnwindSafe(self.tag_table(&index, &images, &settings))
                .catch_unwind()
                .await;
            let table = fetched.unwrap_or_else(|_| {
                TagTable::from_entries(
                    images
                        .iter()
                        .map(|i| {
                            let message = "fetching tags failed inside fluxtag".to_string();
                            (i.clone(), TagLookup::Failed(message))
                        })
                        .collect(),
                )
            });
            let outcome = self.write(|s| {
                let refresh = s.client.inlay_hint_refresh;
                let f = s.folders.get_mut(folder)?;
                f.tags = table;
                f.images = images;
                let again = f.state.finish_fetch(true);
                f.resolve();
                Some((s.documents_in(folder), refresh, again))
            });
            let Some((documents, refresh, again)) = outcome.flatten() else {
                // A panic while resolving: let a later change try again.
                self.write(|s| {
                    if let Some(f) = s.folders.get_mut(folder) {
                        f.state.finish_fetch(false);
                    }
                });
                return;
            };
            self.publish(documents).await;
            if refresh {
                let _ =
                    tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, self.client.inlay_hint_refresh())
                        .await;
            }
            if !again {
                return;
            }
        }
    }

    /// The tags of `images`: from memory when every image is there, else fetched (snapshot,
    /// disk cache or registries, as the settings say) and remembered.
    async fn tag_table(
        &self,
        index: &Index,
        images: &[String],
        settings: &fluxtag_workspace::TagSettings,
    ) -> TagTable {
        let mut entries = std::collections::BTreeMap::new();
        for image in images {
            match self.tag_memory.get(image).await {
                Some(lookup) => {
                    entries.insert(image.clone(), lookup);
                }
                None => break,
            }
        }
        if entries.len() == images.len() {
            return TagTable::from_entries(entries);
        }
        let table = match TagSource::new(settings, Arc::clone(&self.env)) {
            Ok(source) => TagTable::fetch(index, &source, self.env.as_ref()).await,
            Err(error) => {
                let message = format!("fluxtag: cannot read tags: {error}");
                self.client
                    .log_message(MessageType::WARNING, &message)
                    .await;
                TagTable::from_entries(
                    images
                        .iter()
                        .map(|i| (i.clone(), TagLookup::Failed(error.to_string())))
                        .collect(),
                )
            }
        };
        for (image, lookup) in table.entries() {
            self.tag_memory.insert(image.clone(), lookup.clone()).await;
        }
        table
    }

    /// Forgets every remembered tag (the tag settings changed).
    pub fn forget_tags(&self) {
        self.tag_memory.invalidate_all();
    }
}

/// The error a request returns when its handler panicked.
pub fn internal(method: &str) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InternalError,
        message: format!("fluxtag: internal error in {method}").into(),
        data: None,
    }
}
