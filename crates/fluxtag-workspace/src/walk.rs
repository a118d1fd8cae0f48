//! Finding and reading the repository's YAML files.
//!
//! The walk honours the `.gitignore` files under the root and the root's `.git/info/exclude`
//! (the controllers only ever see what is committed, `fluxtag-differences.md` §5). It does not
//! read `.gitignore` files above the root (when `--root` is a subdirectory of a checkout), git's
//! global excludes file, nor ripgrep's `.ignore` files (which mean nothing to git). It enters
//! dot-directories other than `.git` (Flux scans them), and keeps files named `*.yaml`, `*.yml`
//! (any case, so that `x.YAML` can be reported as skipped by Flux) and
//! `Kustomization`/`kustomization`.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A failure to find or read files.
#[derive(Debug, Error)]
pub enum WalkError {
    /// The root does not exist or is not a directory.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
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

/// One file found by [`read_yaml_files`]: its path relative to the root and its bytes, or why
/// they could not be read.
pub type ReadFile = (String, Result<Vec<u8>, WalkError>);

/// Every candidate file under `root` that git does not ignore (as `/`-separated paths relative to
/// the root), read, sorted by path.
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
    // `.gitignore` files and `.git/info/exclude` only: `.ignore` files are a ripgrep convention
    // that git (and so Flux) does not follow.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &[u8]) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// What is walked: candidates by name, `.gitignore` at any depth and `.git/info/exclude`
    /// honoured, `.ignore` files and `.git` itself not; dot-directories entered; sorted.
    #[test]
    fn the_walk_keeps_what_git_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "a.yaml",
            "b.yml",
            "C.YAML",
            "kustomization",
            "Kustomization",
            "notes.txt",
            "yaml",
            ".flux/hidden.yaml",
            "deep/er/still.yaml",
            "ignored/by-root.yaml",
            "deep/ignored-here.yaml",
            "excluded/by-info.yaml",
            "ripgrep/only.yaml",
            ".git/config.yaml",
        ] {
            write(root, path, b"a: 1\n");
        }
        write(root, ".gitignore", b"/ignored/\n");
        write(root, "deep/.gitignore", b"ignored-here.yaml\n");
        write(root, ".git/info/exclude", b"excluded/\n");
        write(root, "ripgrep/.ignore", b"only.yaml\n");

        let read = read_yaml_files(root).unwrap();
        let paths: Vec<&str> = read.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".flux/hidden.yaml",
                "C.YAML",
                "Kustomization",
                "a.yaml",
                "b.yml",
                "deep/er/still.yaml",
                "kustomization",
                "ripgrep/only.yaml",
            ]
        );
        assert!(
            read.iter()
                .all(|(_, bytes)| bytes.as_deref().ok() == Some(&b"a: 1\n"[..]))
        );
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(matches!(
            read_yaml_files(&missing),
            Err(WalkError::NotADirectory(path)) if path == missing
        ));
    }

    /// Whole files at and around the first buffer size, and an empty one.
    #[test]
    fn reads_are_whole_at_any_size() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let path = dir.path().join(format!("{len}.yaml"));
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(read_small(&path).unwrap(), bytes, "{len} bytes");
        }
        assert!(read_small(&dir.path().join("missing.yaml")).is_err());
    }

    /// Symbolic links are not followed (as before the walk was parallel): a dangling link named
    /// like a candidate is left out and does not stop the walk.
    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", b"a: 1\n");
        write(dir.path(), "c.yaml", b"c: 1\n");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("b.yaml")).unwrap();
        let read = read_yaml_files(dir.path()).unwrap();
        let paths: Vec<&str> = read.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["a.yaml", "c.yaml"]);
        assert!(read.iter().all(|(_, bytes)| bytes.is_ok()));
    }
}
