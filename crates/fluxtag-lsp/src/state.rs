//! The server's state: open documents as ropes, workspace folders with their index, tags and
//! latest resolution, and what the client said it supports.
//!
//! Everything here is synchronous and runs under one lock, never across an `.await`: handlers
//! take the lock, read or change the state, and drop it before talking to the client. The
//! analysis itself (parsing, indexing, resolution) is `fluxtag-workspace` and `fluxtag-core`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use fluxtag_core::diag::Code;
use fluxtag_core::index::{FileAnalysis, Index};
use fluxtag_core::resolve::{Report, images_to_fetch};
use fluxtag_core::text::LineIndex;
use fluxtag_workspace::{TagTable, Workspace, walk};
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

/// A workspace folder: a repository root and what fluxtag knows of it.
#[derive(Debug)]
pub struct Folder {
    /// The root directory.
    pub root: PathBuf,
    /// The files and their index (open documents with their buffers' text).
    pub workspace: Workspace,
    /// Whether the folder was read from disk yet.
    pub indexed: bool,
    /// Whether indexing has started.
    pub indexing: bool,
    /// The tags resolution uses.
    pub tags: TagTable,
    /// Whether `tags` came from a fetch (before that, registry errors are not shown).
    pub tags_ready: bool,
    /// Whether a fetch is running.
    pub fetching: bool,
    /// Whether the images changed while a fetch ran.
    pub fetch_again: bool,
    /// The images `tags` was fetched for.
    pub images: Vec<String>,
    /// The latest resolution.
    pub report: Report,
}

impl Folder {
    /// A folder not read yet.
    pub fn new(root: PathBuf) -> Folder {
        Folder {
            workspace: Workspace {
                root: root.clone(),
                texts: BTreeMap::new(),
                index: Index::default(),
            },
            root,
            indexed: false,
            indexing: false,
            tags: TagTable::default(),
            tags_ready: false,
            fetching: false,
            fetch_again: false,
            images: Vec::new(),
            report: Report::default(),
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

    /// A copy of the index with only what fetching tags needs (policies, repositories,
    /// automations), so a fetch never holds the lock or copies every file.
    pub fn tag_workspace(&self) -> Workspace {
        let index = &self.workspace.index;
        Workspace {
            root: self.root.clone(),
            texts: BTreeMap::new(),
            index: Index {
                policies: index.policies.clone(),
                repositories: index.repositories.clone(),
                automations: index.automations.clone(),
                ..Index::default()
            },
        }
    }

    /// The analysis of a file.
    pub fn analysis(&self, path: &str) -> Option<&FileAnalysis> {
        self.workspace.index.files.get(path)
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
        self.folders.push(Folder::new(root));
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
        let lines = &folder.workspace.index.files.get(path)?.lines;
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

    /// Gives the folder new contents for some files (open buffers, files changed on disk),
    /// re-indexes and resolves it, and says which open documents need fresh diagnostics: all of
    /// the folder's when a changed file holds (or held) Flux or kustomize objects, else the
    /// changed ones that are open.
    pub fn reanalyse(
        &mut self,
        folder: usize,
        changes: Vec<(String, Option<Vec<u8>>)>,
    ) -> Affected {
        let Some(f) = self.folders.get_mut(folder) else {
            return Affected::default();
        };
        if !f.indexed {
            return Affected::default();
        }
        let paths: BTreeSet<String> = changes.iter().map(|(p, _)| p.clone()).collect();
        let had_objects = paths
            .iter()
            .any(|p| f.analysis(p).is_some_and(|a| !a.objects.is_empty()));
        f.workspace.update(changes);
        let has_objects = paths
            .iter()
            .any(|p| f.analysis(p).is_some_and(|a| !a.objects.is_empty()));
        f.resolve();
        let fetch = (had_objects || has_objects) && f.wanted_images() != f.images;
        let documents = if had_objects || has_objects {
            self.documents_in(folder)
        } else {
            let mut uris: Vec<Uri> = self
                .documents
                .iter()
                .filter(|(_, d)| d.folder == folder && paths.contains(&d.path))
                .map(|(u, _)| u.clone())
                .collect();
            uris.sort();
            uris
        };
        Affected { documents, fetch }
    }

    /// The folder and path of an open document whose folder is indexed.
    pub fn indexed_document(&self, uri: &Uri) -> Option<(&Document, &Folder)> {
        let document = self.documents.get(uri)?;
        let folder = self.folders.get(document.folder)?;
        folder.indexed.then_some((document, folder))
    }

    /// The names of every known policy as `namespace:name` (those without a namespace are left
    /// out: a marker needs one).
    pub fn policy_keys(folder: &Folder) -> Vec<String> {
        let mut keys: Vec<String> = folder
            .workspace
            .index
            .policies
            .iter()
            .filter_map(|p| Some(format!("{}:{}", p.namespace.as_ref()?, p.name)))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether registry errors of a folder should be shown yet (tags fetched).
    pub fn shows(&self, folder: &Folder, code: Code) -> bool {
        code != Code::RegistryError || folder.tags_ready
    }
}
