//! fluxtag-workspace: the orchestration the command line and the language server share.
//!
//! It owns the steps between a directory on disk and a resolved report: finding the YAML files
//! git does not ignore ([`walk`]), reading and indexing them with the pure core ([`Workspace`]),
//! getting every repository's tags from a snapshot, the cache or the registries ([`tags`]), and
//! writing fixes atomically ([`write`]).
//!
//! It must not render anything, print, exit the process, or know the language server protocol:
//! front ends do that with what it returns. Policy decisions stay in `fluxtag-core`.

pub mod tags;
pub mod walk;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fluxtag_core::index::{FileAnalysis, Index, analyze_file};
use fluxtag_core::resolve::{Report, resolve};
use fluxtag_core::yaml::{self, Node, Parser};
use thiserror::Error;

pub use tags::{TagSettings, TagTable};

/// A failure that stops a run (bad input gets diagnostics instead).
#[derive(Debug, Error)]
pub enum WorkspaceError {
    /// Walking or reading files failed.
    #[error(transparent)]
    Walk(#[from] walk::WalkError),
    /// The tag source could not be set up.
    #[error("{0}")]
    Tags(String),
}

/// A repository read from disk: every parsed file's bytes and the index built from them.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The root directory.
    pub root: PathBuf,
    /// The bytes of every file the core parsed, by `/`-separated relative path.
    pub texts: BTreeMap<String, Vec<u8>>,
    /// The index of the whole repository.
    pub index: Index,
}

impl Workspace {
    /// Reads every YAML file under `root` that git does not ignore, then indexes them.
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        let files = walk::yaml_files(root)?;
        let mut parser = Parser::new();
        let mut analyses = Vec::with_capacity(files.len());
        let mut texts = BTreeMap::new();
        for relative in files {
            let text = walk::read(root, &relative)?;
            let analysis = analyze_file(&mut parser, &relative, &text);
            if analysis.parsed {
                texts.insert(relative, text);
            }
            analyses.push(analysis);
        }
        let index = build_index(root, analyses, &texts);
        Ok(Workspace {
            root: root.to_path_buf(),
            texts,
            index,
        })
    }

    /// A workspace from analyses made elsewhere (the language server analyses files in
    /// parallel): `texts` holds the bytes of the parsed ones. Indexes them as [`Workspace::load`]
    /// does, patch files included.
    pub fn from_analyses(
        root: &Path,
        analyses: Vec<FileAnalysis>,
        texts: BTreeMap<String, Vec<u8>>,
    ) -> Workspace {
        let index = build_index(root, analyses, &texts);
        Workspace {
            root: root.to_path_buf(),
            texts,
            index,
        }
    }

    /// Replaces the contents of some files (edited in an editor, or rewritten by a fix) and
    /// rebuilds the index. `None` removes a file.
    pub fn update(&mut self, changes: Vec<(String, Option<Vec<u8>>)>) {
        let mut parser = Parser::new();
        let mut analyses: BTreeMap<String, FileAnalysis> = std::mem::take(&mut self.index.files);
        for (path, text) in changes {
            match text {
                Some(text) => {
                    let analysis = analyze_file(&mut parser, &path, &text);
                    if analysis.parsed {
                        self.texts.insert(path.clone(), text);
                    } else {
                        self.texts.remove(&path);
                    }
                    analyses.insert(path, analysis);
                }
                None => {
                    self.texts.remove(&path);
                    analyses.remove(&path);
                }
            }
        }
        self.index = build_index(&self.root, analyses.into_values().collect(), &self.texts);
    }

    /// Resolves every marker against `tags`.
    pub fn resolve(&self, tags: &TagTable) -> Report {
        resolve(&self.index, &|canonical, repository| {
            tags.lookup(canonical, repository)
        })
    }
}

/// Indexes analyses, reading the kustomize patch files they name (from `texts` when the file
/// was parsed already, else from disk; a missing patch file is kustomize's error, not ours).
fn build_index(
    root: &Path,
    analyses: Vec<FileAnalysis>,
    texts: &BTreeMap<String, Vec<u8>>,
) -> Index {
    let mut patch_roots: BTreeMap<String, Vec<Node>> = BTreeMap::new();
    for relative in Index::patch_files_needed(&analyses) {
        let text = match texts.get(&relative) {
            Some(text) => text.clone(),
            None => match walk::read(root, &relative) {
                Ok(text) => text,
                Err(_) => continue,
            },
        };
        let roots = yaml::parse(&text)
            .documents
            .into_iter()
            .filter_map(|d| d.root)
            .collect();
        patch_roots.insert(relative, roots);
    }
    Index::build(analyses, &patch_roots)
}
