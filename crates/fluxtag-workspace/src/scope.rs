//! The report scope: which files' findings a run reports (and, with `--fix`, writes), from the
//! paths given on the command line.
//!
//! The rule is ripgrep's, narrowed by what git keeps: a path names a file or a directory,
//! relative to the current directory or absolute; a directory stands for every file below it
//! that the walk reads ([`walk`](crate::walk): YAML files git does not ignore); the root itself
//! (`.` at the top level, `$PWD`) is the whole repository. The scope never changes what is
//! *read*: the index is always the whole root, so verdicts that depend on other files (policies,
//! automations, kustomizations) are the same with or without paths.
//!
//! A path that does not exist, or lies outside the root, is an error ([`ScopeError`]): a typo
//! must never look like a clean run. A path that exists but that the walk does not read (a file
//! git ignores, a file that is not YAML, a directory without YAML files) is not an error but is
//! said ([`Unchecked`]), for the same reason.
//!
//! This module decides scope only; it reads no file contents and prints nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::walk;

/// A path given on the command line that cannot be a scope.
#[derive(Debug, Error)]
pub enum ScopeError {
    /// The path does not exist (or cannot be resolved).
    #[error("{path}: {source}")]
    Missing {
        /// The path as given.
        path: PathBuf,
        /// Why it cannot be resolved (usually "No such file or directory").
        source: std::io::Error,
    },
    /// The path exists but is not under the repository root.
    #[error("{path} is outside the repository root {root}")]
    OutsideRoot {
        /// The path as given.
        path: PathBuf,
        /// The root.
        root: PathBuf,
    },
    /// The path below the root is not valid UTF-8 (fluxtag names files by UTF-8 paths).
    #[error("{0}: the path is not valid UTF-8")]
    NotUtf8(PathBuf),
}

/// One path of the scope, relative to the root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A file.
    File(String),
    /// A directory (`""` is the root).
    Dir(String),
}

/// The paths given on the command line, resolved against the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Each path with what it was given as (for messages).
    targets: Vec<(PathBuf, Target)>,
}

/// A path of the scope that names no file the run checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked {
    /// The path as given.
    pub path: PathBuf,
    /// Why nothing under it is checked.
    pub reason: UncheckedReason,
}

/// Why a path of the scope names no checked file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UncheckedReason {
    /// A file whose name is not one fluxtag reads (`*.yaml`, `*.yml`, `kustomization`).
    NotYaml,
    /// A YAML file the walk leaves out: git ignores it (or it is inside `.git`).
    Ignored,
    /// A directory holding no file the walk reads.
    EmptyDirectory,
}

impl std::fmt::Display for Unchecked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match self.reason {
            UncheckedReason::NotYaml => write!(
                f,
                "{path}: not checked: not a YAML file (fluxtag reads *.yaml, *.yml and kustomization files)"
            ),
            UncheckedReason::Ignored => write!(
                f,
                "{path}: not checked: ignored by git (Flux only sees committed files)"
            ),
            UncheckedReason::EmptyDirectory => {
                write!(f, "{path}: not checked: no YAML file git keeps below it")
            }
        }
    }
}

impl Scope {
    /// Resolves `paths` (relative to `cwd`, or absolute) against the canonical `root`; `None`
    /// when no path is given or one of them is the root itself (the whole repository).
    pub fn resolve(
        root: &Path,
        cwd: &Path,
        paths: &[PathBuf],
    ) -> Result<Option<Scope>, ScopeError> {
        let mut targets = Vec::with_capacity(paths.len());
        let mut whole = paths.is_empty();
        for path in paths {
            let canonical =
                cwd.join(path)
                    .canonicalize()
                    .map_err(|source| ScopeError::Missing {
                        path: path.clone(),
                        source,
                    })?;
            if !canonical.starts_with(root) {
                return Err(ScopeError::OutsideRoot {
                    path: path.clone(),
                    root: root.to_path_buf(),
                });
            }
            let relative = walk::relative_path(root, &canonical)
                .ok_or_else(|| ScopeError::NotUtf8(path.clone()))?;
            let target = if canonical.is_dir() {
                whole |= relative.is_empty();
                Target::Dir(relative)
            } else {
                Target::File(relative)
            };
            targets.push((path.clone(), target));
        }
        Ok((!whole).then_some(Scope { targets }))
    }

    /// The files of `files` (the walk's, relative to the root) that are in the scope, and the
    /// paths of the scope that name none of them, in the order they were given.
    pub fn select<'a>(
        &self,
        files: impl IntoIterator<Item = &'a str>,
    ) -> (BTreeSet<String>, Vec<Unchecked>) {
        let mut selected = BTreeSet::new();
        let mut matched = vec![false; self.targets.len()];
        for file in files {
            for ((_, target), matched) in self.targets.iter().zip(&mut matched) {
                if target.contains(file) {
                    *matched = true;
                    selected.insert(file.to_string());
                }
            }
        }
        let unchecked = self
            .targets
            .iter()
            .zip(matched)
            .filter(|(_, matched)| !matched)
            .map(|((path, target), _)| Unchecked {
                path: path.clone(),
                reason: match target {
                    Target::Dir(_) => UncheckedReason::EmptyDirectory,
                    Target::File(file) => {
                        let name = file.rsplit('/').next().unwrap_or(file);
                        if walk::is_candidate(name) {
                            UncheckedReason::Ignored
                        } else {
                            UncheckedReason::NotYaml
                        }
                    }
                },
            })
            .collect();
        (selected, unchecked)
    }
}

impl Target {
    fn contains(&self, file: &str) -> bool {
        match self {
            Target::File(path) => file == path,
            Target::Dir(dir) => {
                dir.is_empty()
                    || file
                        .strip_prefix(dir.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "apps/a.yaml",
            "apps/sub/b.yaml",
            "apps-old/c.yaml",
            "README.md",
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"a: 1\n").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        dir
    }

    const FILES: [&str; 3] = ["apps-old/c.yaml", "apps/a.yaml", "apps/sub/b.yaml"];

    fn resolve(root: &Path, cwd: &Path, paths: &[&str]) -> Result<Option<Scope>, ScopeError> {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        Scope::resolve(root, cwd, &paths)
    }

    /// A directory is every walked file below it, and only below it (`apps` is not a prefix of
    /// `apps-old/`); relative paths are relative to the current directory.
    #[test]
    fn a_directory_is_the_files_below_it() {
        let dir = tree();
        let root = dir.path().canonicalize().unwrap();
        let scope = resolve(&root, &root, &["apps"]).unwrap().unwrap();
        let (files, unchecked) = scope.select(FILES);
        assert_eq!(
            files.iter().map(String::as_str).collect::<Vec<_>>(),
            ["apps/a.yaml", "apps/sub/b.yaml"]
        );
        assert!(unchecked.is_empty());
        let from_sub = resolve(&root, &root.join("apps"), &["sub", "../apps-old/c.yaml"])
            .unwrap()
            .unwrap();
        assert_eq!(
            from_sub.select(FILES).0.into_iter().collect::<Vec<_>>(),
            ["apps-old/c.yaml", "apps/sub/b.yaml"]
        );
    }

    /// The root itself, relative (`.`, `sub/..`) or absolute, is the whole repository.
    #[test]
    fn the_root_is_the_whole_repository() {
        let dir = tree();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(resolve(&root, &root, &["."]).unwrap(), None);
        assert_eq!(resolve(&root, &root.join("apps"), &[".."]).unwrap(), None);
        let absolute = root.to_str().unwrap();
        assert_eq!(
            resolve(&root, &root, &["apps/a.yaml", absolute]).unwrap(),
            None
        );
        assert_eq!(resolve(&root, &root, &[]).unwrap(), None);
    }

    /// A path that does not exist or lies outside the root is an error naming it.
    #[test]
    fn missing_and_outside_paths_are_errors() {
        let dir = tree();
        let root = dir.path().join("apps").canonicalize().unwrap();
        let missing = resolve(&root, &root, &["a.yaml", "nope.yaml"]).unwrap_err();
        assert!(
            matches!(&missing, ScopeError::Missing { path, .. } if path == Path::new("nope.yaml"))
        );
        assert!(missing.to_string().starts_with("nope.yaml: "), "{missing}");
        let outside = resolve(&root, &root, &["../apps-old"]).unwrap_err();
        assert!(
            matches!(&outside, ScopeError::OutsideRoot { path, .. } if path == Path::new("../apps-old"))
        );
        assert!(
            outside.to_string().contains("outside the repository root"),
            "{outside}"
        );
    }

    /// Paths that exist but name no walked file are said, with why.
    #[test]
    fn paths_without_checked_files_are_said() {
        let dir = tree();
        let root = dir.path().canonicalize().unwrap();
        let scope = resolve(&root, &root, &["README.md", "apps/a.yaml", "empty"])
            .unwrap()
            .unwrap();
        // As if git ignored `apps/a.yaml`.
        let (files, unchecked) = scope.select(["apps/sub/b.yaml"]);
        assert!(files.is_empty());
        let reasons: Vec<_> = unchecked
            .iter()
            .map(|u| (u.path.to_str().unwrap(), u.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("README.md", UncheckedReason::NotYaml),
                ("apps/a.yaml", UncheckedReason::Ignored),
                ("empty", UncheckedReason::EmptyDirectory),
            ]
        );
        assert!(unchecked[1].to_string().contains("ignored by git"));
    }
}
