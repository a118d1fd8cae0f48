//! Finding and reading the repository's YAML files.
//!
//! The walk honours `.gitignore` (the controllers only ever see what is committed,
//! `fluxtag-differences.md` §5), enters dot-directories other than `.git` (Flux scans them), and
//! keeps files named `*.yaml`, `*.yml` (any case, so that `x.YAML` can be reported as skipped by
//! Flux) and `Kustomization`/`kustomization`.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A failure to find or read files.
#[derive(Debug, Error)]
pub enum WalkError {
    /// The root does not exist or is not a directory.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// A path given on the command line is outside the root.
    #[error("{path} is outside the repository root {root}")]
    OutsideRoot {
        /// The path as given.
        path: PathBuf,
        /// The root.
        root: PathBuf,
    },
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Whether fluxtag reads a file with this name.
pub fn is_candidate(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower == "kustomization"
}

/// The git top level of `dir`, or `dir` itself outside a git checkout.
pub fn find_root(dir: &Path) -> PathBuf {
    let mut current = Some(dir);
    while let Some(candidate) = current {
        if candidate.join(".git").exists() {
            return candidate.to_path_buf();
        }
        current = candidate.parent();
    }
    dir.to_path_buf()
}

/// Every candidate file under `root` that git does not ignore, as `/`-separated paths relative
/// to the root, sorted.
pub fn yaml_files(root: &Path) -> Result<Vec<String>, WalkError> {
    if !root.is_dir() {
        return Err(WalkError::NotADirectory(root.to_path_buf()));
    }
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        if !is_candidate(name) {
            continue;
        }
        if let Some(relative) = relative_path(root, entry.path()) {
            files.push(relative);
        }
    }
    files.sort();
    Ok(files)
}

/// `path` relative to `root`, `/`-separated.
pub fn relative_path(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    Some(parts?.join("/"))
}

/// Reads a file.
pub fn read(root: &Path, relative: &str) -> Result<Vec<u8>, WalkError> {
    let path = root.join(relative);
    std::fs::read(&path).map_err(|source| WalkError::Read { path, source })
}
