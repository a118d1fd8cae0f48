//! The server's state: open documents as ropes, workspace folders with their index, tags and
//! latest resolution, and what the client said it supports.
//!
//! Everything here is synchronous and runs under one lock, never across an `.await`: handlers
//! take the lock, read or change the state, and drop it before talking to the client. The
//! analysis itself (parsing, indexing, resolution) is `fluxtag-workspace` and `fluxtag-core`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use fluxtag_core::analysis::{FileAnalysis, analyze_file};
use fluxtag_core::diag::Code;
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{Report, images_to_fetch};
use fluxtag_core::text::LineIndex;
use fluxtag_core::yaml::Parser;
use fluxtag_workspace::{TagTable, Updated, Workspace, walk};
use ropey::Rope;
use tower_lsp_server::ls_types::Uri;

use crate::convert::{Encoding, Text, rope_bytes};
use crate::settings::Settings;

/// An open document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The client's version of the text.
    pub version: i32,
    /// The text, edited incrementally.
    pub rope: Rope,
    /// The text as bytes (what the core reads), kept in step with the rope.
    pub bytes: Vec<u8>,
    /// Line starts of `bytes`.
    pub lines: LineIndex,
    /// Index of its workspace folder in [`State::folders`].
    pub folder: usize,
    /// Its path relative to the folder's root, `/`-separated.
    pub path: String,
}

impl Document {
    /// A document opened with `text`.
    pub fn new(version: i32, text: &str, folder: usize, path: String) -> Document {
        let rope = Rope::from_str(text);
        let bytes = text.as_bytes().to_vec();
        let lines = LineIndex::new(&bytes);
        Document {
            version,
            rope,
            bytes,
            lines,
            folder,
            path,
        }
    }

    /// Refreshes `bytes` and `lines` after the rope changed.
    pub fn sync_bytes(&mut self) {
        self.bytes = rope_bytes(&self.rope);
        self.lines = LineIndex::new(&self.bytes);
    }

    /// The text for position conversions.
    pub fn text(&self) -> Text<'_> {
        Text {
            bytes: &self.bytes,
            lines: &self.lines,
        }
    }
}

/// Files whose previous parse is kept for reuse, at most.
const MAX_REUSING_PARSERS: usize = 32;

/// Changes of files with objects in one notification up to which each file is parsed with its
/// own reusing parser (an editor's edits); larger batches are parsed afresh.
const REUSING_BATCH: usize = 4;

/// Where a folder is in its life: read from disk once, then tags fetched again whenever its
/// images change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FolderState {
    /// Not read yet.
    #[default]
    New,
    /// Being read from disk.
    Indexing,
    /// Read.
    Indexed {
        /// Whether the tags came from a fetch (before that, registry errors are not shown).
        tags_ready: bool,
        /// What fetching tags is doing.
        fetch: Fetch,
    },
}

/// Whether a folder's tags are being fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fetch {
    /// No fetch runs.
    #[default]
    Idle,
    /// A fetch runs for the current images.
    Running,
    /// A fetch runs, and the images changed since it started: it runs again when done.
    RunningStale,
}

impl FolderState {
    /// Whether the folder was read from disk.
    pub fn is_indexed(self) -> bool {
        matches!(self, FolderState::Indexed { .. })
    }

    /// Whether the tags came from a fetch.
    pub fn tags_ready(self) -> bool {
        matches!(
            self,
            FolderState::Indexed {
                tags_ready: true,
                ..
            }
        )
    }

    /// Starts indexing a new folder; `false` (nothing changes) when it started already.
    pub fn begin_indexing(&mut self) -> bool {
        let new = *self == FolderState::New;
        if new {
            *self = FolderState::Indexing;
        }
        new
    }

    /// The folder was read.
    pub fn finish_indexing(&mut self) {
        *self = FolderState::Indexed {
            tags_ready: false,
            fetch: Fetch::Idle,
        };
    }

    /// Starts a fetch; `false` when the folder is not read yet, or when a fetch runs already
    /// (which is then marked to run again).
    pub fn begin_fetch(&mut self) -> bool {
        let FolderState::Indexed { fetch, .. } = self else {
            return false;
        };
        match fetch {
            Fetch::Idle => {
                *fetch = Fetch::Running;
                true
            }
            Fetch::Running | Fetch::RunningStale => {
                *fetch = Fetch::RunningStale;
                false
            }
        }
    }

    /// A fetch ended with tags (`got_tags`) or without (it failed inside fluxtag); returns
    /// whether it must run again.
    pub fn finish_fetch(&mut self, got_tags: bool) -> bool {
        let FolderState::Indexed { tags_ready, fetch } = self else {
            return false;
        };
        let again = *fetch == Fetch::RunningStale;
        *tags_ready |= got_tags;
        *fetch = Fetch::Idle;
        again
    }
}

/// A workspace folder: a repository root and what fluxtag knows of it.
#[derive(Debug)]
pub struct Folder {
    /// The root directory.
    pub root: PathBuf,
    /// The files and their index (open documents with their buffers' text).
    pub workspace: Workspace,
    /// Indexing and fetching, as one state.
    pub state: FolderState,
    /// Whether indexing reads the folder from disk (false for the directory of a file opened
    /// outside any workspace folder and any git checkout: only open documents count there, so
    /// a stray file in a home directory does not make the server read the whole home).
    pub scan: bool,
    /// The tags resolution uses.
    pub tags: TagTable,
    /// The images `tags` was fetched for.
    pub images: Vec<String>,
    /// The latest resolution.
    pub report: Report,
    /// One reusing parser per edited file: after a keystroke only the edited YAML document is
    /// parsed again (the others are reused from the previous parse of that file).
    parsers: std::sync::Mutex<HashMap<String, Parser>>,
}

impl Folder {
    /// A folder not read yet.
    pub fn new(root: PathBuf) -> Folder {
        Folder {
            workspace: Workspace {
                root: root.clone(),
                texts: BTreeMap::new(),
                index: Index::default(),
                cache_stats: Default::default(),
            },
            root,
            state: FolderState::New,
            scan: true,
            tags: TagTable::default(),
            images: Vec::new(),
            report: Report::default(),
            parsers: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Resolves every marker again with the current tags.
    pub fn resolve(&mut self) {
        self.report = self.workspace.resolve(&self.tags);
    }

    /// The images the folder's repositories name, canonical and sorted.
    pub fn wanted_images(&self) -> Vec<String> {
        images_to_fetch(&self.workspace.index)
            .into_iter()
            .map(|(canonical, _)| canonical)
            .collect()
    }

    /// A copy of the index with only what fetching tags needs, so a fetch never holds the lock
    /// or copies every file.
    pub fn tag_index(&self) -> Index {
        self.workspace.index.objects_only()
    }

    /// The analysis of a file.
    pub fn analysis(&self, path: &str) -> Option<&FileAnalysis> {
        self.workspace.index.file(path)
    }
}

/// What the client supports, as far as the server cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientFlags {
    /// `window/workDoneProgress/create` may be sent.
    pub work_done_progress: bool,
    /// `workspace/inlayHint/refresh` may be sent.
    pub inlay_hint_refresh: bool,
    /// File watchers may be registered dynamically.
    pub watched_files_dynamic: bool,
    /// Hovers may be Markdown.
    pub markdown: bool,
}

/// Which documents need fresh diagnostics after a change, and whether tags need fetching.
#[derive(Debug, Clone, Default)]
pub struct Affected {
    /// The open documents to republish.
    pub documents: Vec<Uri>,
    /// The folder's images changed: fetch tags again.
    pub fetch: bool,
}

/// Everything the server knows.
#[derive(Debug, Default)]
pub struct State {
    /// The negotiated position encoding.
    pub encoding: Encoding,
    /// The current settings.
    pub settings: Settings,
    /// What the client supports.
    pub client: ClientFlags,
    /// Workspace folders, in the order they were added (indices are stable; none is removed).
    pub folders: Vec<Folder>,
    /// Open documents.
    pub documents: HashMap<Uri, Document>,
}

impl State {
    /// The folder a file belongs to: the innermost known root holding it, else a new folder
    /// at its git top level (the second value is true when the folder is new).
    pub fn folder_for(&mut self, file: &Path) -> (usize, bool) {
        let known = self
            .folders
            .iter()
            .enumerate()
            .filter(|(_, f)| file.starts_with(&f.root))
            .max_by_key(|(_, f)| f.root.components().count())
            .map(|(i, _)| i);
        if let Some(index) = known {
            return (index, false);
        }
        let dir = file.parent().unwrap_or(file);
        let root = walk::find_root(dir);
        let mut folder = Folder::new(root);
        folder.scan = folder.root.join(".git").exists();
        self.folders.push(folder);
        (self.folders.len() - 1, true)
    }

    /// Adds a workspace folder unless it is known; returns its index and whether it is new.
    pub fn add_folder(&mut self, root: PathBuf) -> (usize, bool) {
        if let Some(index) = self.folders.iter().position(|f| f.root == root) {
            return (index, false);
        }
        self.folders.push(Folder::new(root));
        (self.folders.len() - 1, true)
    }

    /// The open document of `path` in folder `folder`, with its URI.
    pub fn open_document(&self, folder: usize, path: &str) -> Option<(&Uri, &Document)> {
        self.documents
            .iter()
            .find(|(_, d)| d.folder == folder && d.path == path)
    }

    /// The text of a file of a folder: the open buffer, else what the workspace read.
    pub fn text(&self, folder: usize, path: &str) -> Option<Text<'_>> {
        if let Some((_, document)) = self.open_document(folder, path) {
            return Some(document.text());
        }
        let folder = self.folders.get(folder)?;
        let bytes = folder.workspace.texts.get(path)?;
        let lines = &folder.workspace.index.file(path)?.lines;
        Some(Text { bytes, lines })
    }

    /// The URI of a file of a folder (the open document's when open).
    pub fn uri(&self, folder: usize, path: &str) -> Option<Uri> {
        if let Some((uri, _)) = self.open_document(folder, path) {
            return Some(uri.clone());
        }
        let root = &self.folders.get(folder)?.root;
        Uri::from_file_path(root.join(path))
    }

    /// Open documents of a folder.
    pub fn documents_in(&self, folder: usize) -> Vec<Uri> {
        let mut uris: Vec<Uri> = self
            .documents
            .iter()
            .filter(|(_, d)| d.folder == folder)
            .map(|(u, _)| u.clone())
            .collect();
        uris.sort();
        uris
    }

    /// Gives the folder new contents for some files (open buffers, files changed on disk;
    /// `None`: deleted), re-analyses them and says which open documents need fresh diagnostics.
    ///
    /// A file that holds no Flux or kustomize object before or after the change, and is no
    /// kustomize patch, cannot change anything outside itself: only it is re-analysed and its
    /// markers resolved (`Workspace::update_report`). Any other change rebuilds the folder's
    /// index, resolves everything and republishes every open document of the folder.
    pub fn reanalyse(
        &mut self,
        folder: usize,
        changes: Vec<(String, Option<Vec<u8>>)>,
    ) -> Affected {
        let Some(f) = self.folders.get_mut(folder) else {
            return Affected::default();
        };
        if !f.state.is_indexed() {
            return Affected::default();
        }
        let paths: BTreeSet<String> = changes.iter().map(|(p, _)| p.clone()).collect();
        // A keystroke: each file its own reusing parser, which re-parses only the changed
        // document. A batch (a checkout changing many files on disk) is parsed afresh and leaves
        // no parsers behind.
        let parsers = f
            .parsers
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let updated = if changes.len() <= REUSING_BATCH {
            for (path, text) in &changes {
                if text.is_none() {
                    parsers.remove(path);
                }
            }
            let new_files = changes
                .iter()
                .filter(|(path, text)| text.is_some() && !parsers.contains_key(path))
                .count();
            if parsers.len() + new_files > MAX_REUSING_PARSERS {
                parsers.clear(); // bounded memory: the files edited lately come back
            }
            f.workspace
                .update_report_with(changes, &mut f.report, &f.tags, |path, text| {
                    let parser = parsers
                        .entry(path.to_string())
                        .or_insert_with(Parser::reusing);
                    analyze_file(parser, path, text)
                })
        } else {
            for (path, _) in &changes {
                parsers.remove(path);
            }
            f.workspace.update_report(changes, &mut f.report, &f.tags)
        };
        let local = updated == Updated::Files;
        let fetch = !local && f.wanted_images() != f.images;
        let documents = if local {
            let mut uris: Vec<Uri> = self
                .documents
                .iter()
                .filter(|(_, d)| d.folder == folder && paths.contains(&d.path))
                .map(|(u, _)| u.clone())
                .collect();
            uris.sort();
            uris
        } else {
            self.documents_in(folder)
        };
        Affected { documents, fetch }
    }

    /// The folder and path of an open document whose folder is indexed.
    pub fn indexed_document(&self, uri: &Uri) -> Option<(&Document, &Folder)> {
        let document = self.documents.get(uri)?;
        let folder = self.folders.get(document.folder)?;
        folder.state.is_indexed().then_some((document, folder))
    }

    /// The names of every known policy as `namespace:name`, sorted, for completion and quick
    /// fixes (those without a namespace are left out: a marker needs one; the core's
    /// `Index::policy_keys` keeps them, in policy order, for did-you-mean).
    pub fn completion_keys(folder: &Folder) -> Vec<String> {
        let mut keys: Vec<String> = folder
            .workspace
            .index
            .policies()
            .iter()
            .filter_map(|p| Some(format!("{}:{}", p.namespace.as_ref()?, p.name)))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether registry errors of a folder should be shown yet (tags fetched).
    pub fn shows(&self, folder: &Folder, code: Code) -> bool {
        code != Code::RegistryError || folder.state.tags_ready()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use fluxtag_workspace::TagSettings;
    use fluxtag_workspace::tags::TagSource;

    use super::*;

    fn summary(folder: &Folder, path: &str) -> (Vec<String>, Vec<String>) {
        let markers = folder
            .report
            .markers
            .iter()
            .filter(|m| m.path == path)
            .map(|m| {
                let policy = m
                    .policy
                    .and_then(|id| folder.report.policy(id))
                    .map(|p| p.name.clone());
                format!(
                    "{:?} {:?} {:?} {policy:?}",
                    m.marker.scalar, m.status, m.expected
                )
            })
            .collect();
        let diagnostics = folder
            .report
            .diagnostics
            .iter()
            .filter(|d| d.path == path)
            .map(|d| format!("{d:?}"))
            .collect();
        (markers, diagnostics)
    }

    /// Resolving one file in its scoped index gives exactly what resolving the whole folder
    /// gives, before and after an edit, for every file of the example without objects.
    #[tokio::test]
    async fn resolving_one_file_matches_resolving_the_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/homelab");
        let workspace = crate::loader::load(&root, None).map_err(|e| e.to_string());
        let Ok(workspace) = workspace else {
            panic!("the example does not load");
        };
        let settings = TagSettings {
            tags_from: Some(root.join("tags.json")),
            ..TagSettings::default()
        };
        let env: Arc<dyn fluxtag_registry::Environment> =
            Arc::new(fluxtag_registry::SystemEnvironment);
        let Ok(source) = TagSource::new(&settings, Arc::clone(&env)) else {
            panic!("no tag source");
        };
        let mut folder = Folder::new(root.clone());
        folder.tags = TagTable::fetch(&workspace.index, &source, env.as_ref()).await;
        folder.workspace = workspace;
        folder.state.finish_indexing();
        folder.resolve();
        let paths: Vec<String> = folder.workspace.index.files().keys().cloned().collect();
        let mut checked = 0;
        for path in &paths {
            if folder.analysis(path).is_some_and(|a| !a.objects.is_empty()) {
                continue; // object files always take the full path
            }
            let expected = summary(&folder, path);
            let mut scoped = Folder::new(root.clone());
            scoped.workspace = folder.workspace.clone();
            scoped.tags = folder.tags.clone();
            scoped.report = folder.report.clone();
            let file =
                fluxtag_core::resolve::resolve_file(&scoped.workspace.index, &scoped.report, path);
            scoped.report.replace_file(path, file);
            assert_eq!(summary(&scoped, path), expected, "{path}");
            checked += usize::from(!expected.0.is_empty());
        }
        assert!(checked >= 5, "only {checked} files with markers");

        // An edit through the local path equals a full update.
        let path = "kubernetes/apps/media/prowlarr/app/deployment.yaml";
        let Some(text) = folder.workspace.texts.get(path).cloned() else {
            panic!("{path} not read");
        };
        let edited =
            String::from_utf8_lossy(&text).replace("flux-system:prowlar\"", "flux-system:sonar\"");
        let change = vec![(path.to_string(), Some(edited.into_bytes()))];
        let mut state = State::default();
        let mut full = Folder::new(root.clone());
        full.workspace = folder.workspace.clone();
        full.tags = folder.tags.clone();
        full.workspace.update(change.clone());
        full.resolve();
        state.folders.push(folder);
        let affected = state.reanalyse(0, change);
        assert!(!affected.fetch);
        assert_eq!(summary(&state.folders[0], path), summary(&full, path));
    }
}
