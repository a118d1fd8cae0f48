//! Finding and reading the repository's YAML files.
//!
//! The walk honours `.gitignore` and `.git/info/exclude` as git does (the controllers only ever
//! see what is committed, `fluxtag-differences.md` §5; ripgrep's `.ignore` files mean nothing to
//! git, so nothing here), enters dot-directories other than `.git` (Flux scans them), and
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
    Ok(walk(root, |_| ())?
        .into_iter()
        .map(|(path, ())| path)
        .collect())
}

/// One file found by [`read_yaml_files`]: its path relative to the root and its bytes, or why
/// they could not be read.
pub type ReadFile = (String, Result<Vec<u8>, WalkError>);

/// Every candidate file under `root` that git does not ignore, read, sorted by path.
///
/// The directory walk and the reads run on every available core: on a repository of thousands
/// of small files the walk and the reads, not the parsing, are most of a warm run.
pub fn read_yaml_files(root: &Path) -> Result<Vec<ReadFile>, WalkError> {
    walk(root, |path| {
        read_small(path).map_err(|source| WalkError::Read {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Reads a whole file into a buffer sized as it goes, without first asking the file's size:
/// most YAML files are a few kilobytes, and on a repository of thousands of them the `stat`
/// that [`std::fs::read`] makes first is a tenth of the system calls of a run.
fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = vec![0; 16 * 1024];
    let mut len = 0;
    loop {
        if len == bytes.len() {
            bytes.resize(len * 2, 0);
        }
        match file.read(&mut bytes[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(len);
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// Walks `root` in parallel, calling `visit` on every candidate file; returns the relative paths
/// and what `visit` returned, sorted by path.
fn walk<T: Send>(
    root: &Path,
    visit: impl Fn(&Path) -> T + Sync,
) -> Result<Vec<(String, T)>, WalkError> {
    if !root.is_dir() {
        return Err(WalkError::NotADirectory(root.to_path_buf()));
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let found = std::sync::Mutex::new(Vec::new());
    // Only `.gitignore` files and `.git/info/exclude`, as git itself: `.ignore` files are a
    // ripgrep convention that git (and so Flux) does not follow.
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .ignore(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .parents(false)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .run(|| {
            let mut batch = Batch {
                found: &found,
                items: Vec::new(),
            };
            let visit = &visit;
            Box::new(move |entry| {
                // Unreadable directories are left out, as git leaves them out.
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                if entry.file_type().is_some_and(|t| t.is_file())
                    && entry.file_name().to_str().is_some_and(is_candidate)
                    && let Some(relative) = relative_path(root, entry.path())
                {
                    batch.items.push((relative, visit(entry.path())));
                }
                ignore::WalkState::Continue
            })
        });
    let mut files = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    files.sort_by(|a: &(String, T), b| a.0.cmp(&b.0));
    Ok(files)
}

/// What one walker thread found; handed over when the thread's visitor is dropped, so that the
/// threads do not take a lock per file.
struct Batch<'a, T> {
    found: &'a std::sync::Mutex<Vec<(String, T)>>,
    items: Vec<(String, T)>,
}

impl<T> Drop for Batch<'_, T> {
    fn drop(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(items);
    }
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
