//! fluxtag-workspace: the orchestration the command line and the language server share.
//!
//! It owns the steps between a directory on disk and a resolved report: finding the YAML files
//! git does not ignore ([`walk`]), reading and indexing them with the pure core ([`Workspace`]),
//! getting every repository's tags from a snapshot, the cache or the registries ([`tags`]),
//! which files a run reports ([`scope`]), and writing fixes atomically ([`write`](mod@write)).
//!
//! It must not render anything, print, exit the process, or know the language server protocol:
//! front ends do that with what it returns. Policy decisions stay in `fluxtag-core`.

pub mod cache;
pub mod explain_text;
pub mod scope;
pub mod tags;
pub mod walk;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use cache::{AnalysisCache, CacheSettings, CacheStats, ContentHash};
use fluxtag_core::analysis::{FileAnalysis, analyze_file};
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{Report, resolve};
use fluxtag_core::yaml::Parser;
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

/// What [`Workspace::load_with`] does with a file it cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// Fail the whole load with that file's error.
    Fail,
    /// Leave the file out.
    Skip,
}

/// How [`Workspace::load_with_options`] reads a repository.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// What an unreadable file does.
    pub unreadable: Unreadable,
    /// The analysis cache to read and update ([`cache`]), or `None` to parse every file.
    pub cache: Option<CacheSettings>,
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
    /// What the analysis cache did during the load (all zero without a cache).
    pub cache_stats: CacheStats,
}

impl Workspace {
    /// Reads every YAML file under `root` that git does not ignore, then indexes them.
    ///
    /// Files are read and analysed on every available core (parsing is most of a run); the
    /// result does not depend on how: analyses are put back in path order, and the first
    /// unreadable file in path order is the error.
    pub fn load(root: &Path) -> Result<Workspace, WorkspaceError> {
        Workspace::load_with(root, Unreadable::Fail)
    }

    /// [`Workspace::load`], deciding what an unreadable file does: fail the load (a command
    /// line run), or be left out (an editor's folder changes under it between walk and read).
    pub fn load_with(root: &Path, unreadable: Unreadable) -> Result<Workspace, WorkspaceError> {
        Workspace::load_with_options(
            root,
            &LoadOptions {
                unreadable,
                cache: None,
            },
        )
    }

    /// [`Workspace::load_with`], reusing the analyses of unchanged files from the analysis
    /// cache when `options.cache` names one, and updating it when anything changed. The result
    /// is the same with or without a cache.
    pub fn load_with_options(
        root: &Path,
        options: &LoadOptions,
    ) -> Result<Workspace, WorkspaceError> {
        let files = walk::read_yaml_files(root)?;
        let mut cache = options
            .cache
            .as_ref()
            .map(|settings| AnalysisCache::open(settings, root));
        let analysed = analyze_all(&files, cache.as_ref());
        let mut stats = CacheStats::default();
        let mut kept = Vec::with_capacity(files.len());
        let mut hashes: Vec<Option<ContentHash>> = Vec::with_capacity(files.len());
        let mut texts = BTreeMap::new();
        for ((relative, read), analysed) in files.into_iter().zip(analysed) {
            let text = match (read, options.unreadable) {
                (Ok(text), _) => text,
                (Err(_), Unreadable::Skip) => continue,
                (Err(error), Unreadable::Fail) => return Err(error.into()),
            };
            let (analysis, hash) = match analysed {
                Analysed::Cached(hash) => {
                    // `analyze_all` only says `Cached` for what the cache holds.
                    let analysis = cache
                        .as_mut()
                        .and_then(|cache| cache.take(&relative))
                        .unwrap_or_else(|| analyze_file(&mut Parser::new(), &relative, &text));
                    stats.hits += 1;
                    (analysis, Some(hash))
                }
                Analysed::Fresh(analysis, hash) => {
                    if analysis.parsed && cache.is_some() {
                        stats.misses += 1;
                    }
                    (*analysis, hash)
                }
                Analysed::Unreadable => continue,
            };
            if analysis.parsed {
                texts.insert(relative, text);
            }
            kept.push(analysis);
            hashes.push(hash);
        }
        if let Some(cache) = &cache {
            // What is left in the cache after the hits were taken changed or went away.
            if stats.misses > 0 || !cache.is_empty() {
                let parsed: Vec<(&FileAnalysis, ContentHash)> = kept
                    .iter()
                    .zip(&hashes)
                    .filter(|(analysis, _)| analysis.parsed)
                    .filter_map(|(analysis, hash)| Some((analysis, (*hash)?)))
                    .collect();
                // The cache only saves time; failing to write it changes no result.
                stats.written = cache.write(&parsed).is_ok();
            } else {
                cache.touch();
            }
        }
        let index = build_index(root, kept, &texts);
        Ok(Workspace {
            root: root.to_path_buf(),
            texts,
            index,
            cache_stats: stats,
        })
    }

    /// The 1-based line and column (columns count characters) of byte `offset` of `path`; 1:1
    /// for a file the core did not parse.
    pub fn position(&self, path: &str, offset: usize) -> Position {
        let (Some(text), Some(analysis)) = (self.texts.get(path), self.index.file(path)) else {
            return Position { line: 1, column: 1 };
        };
        let at = analysis
            .lines
            .line_col(text, offset, fluxtag_core::text::ColumnUnit::Chars);
        Position {
            line: at.line + 1,
            column: at.col + 1,
        }
    }

    /// A workspace of the files `texts` (relative path → bytes) and nothing else: no file is
    /// read from disk, whatever a kustomization names (`fluxtag explain IMAGE --semver …`
    /// evaluates objects written on the command line this way).
    pub fn from_texts(root: &Path, texts: BTreeMap<String, Vec<u8>>) -> Workspace {
        let mut parser = Parser::new();
        let analyses: Vec<FileAnalysis> = texts
            .iter()
            .map(|(path, text)| analyze_file(&mut parser, path, text))
            .collect();
        let index = Index::build(analyses, &|relative| texts.get(relative).cloned());
        Workspace {
            root: root.to_path_buf(),
            texts,
            index,
            cache_stats: CacheStats::default(),
        }
    }

    /// Replaces the contents of some files (edited in an editor, or rewritten by a fix) and
    /// rebuilds the index. `None` removes a file.
    pub fn update(&mut self, changes: Vec<(String, Option<Vec<u8>>)>) {
        let mut parser = Parser::new();
        let analysed = analyse_changes(changes, |path, text| analyze_file(&mut parser, path, text));
        self.rebuild_with(analysed);
    }

    /// Replaces the contents of some files and brings `report`, a resolution of this workspace
    /// against `tags`, up to date with as little work as the change allows: when no changed file
    /// holds (or held) a Flux or kustomize object or is a kustomize patch, nothing outside those
    /// files can change, so only they are put into the index and their markers resolved again
    /// against the policy evaluations `report` holds; otherwise the index is rebuilt and
    /// everything resolved. The result equals [`Workspace::update`] then
    /// [`Workspace::resolve`] either way.
    pub fn update_report(
        &mut self,
        changes: Vec<(String, Option<Vec<u8>>)>,
        report: &mut Report,
        tags: &TagTable,
    ) -> Updated {
        let mut parser = Parser::new();
        self.update_report_with(changes, report, tags, |path, text| {
            analyze_file(&mut parser, path, text)
        })
    }

    /// [`Workspace::update_report`], analysing each changed file with `analyze` (the language
    /// server passes each file's own reusing parser).
    pub fn update_report_with(
        &mut self,
        changes: Vec<(String, Option<Vec<u8>>)>,
        report: &mut Report,
        tags: &TagTable,
        analyze: impl FnMut(&str, &[u8]) -> FileAnalysis,
    ) -> Updated {
        let held_objects = changes
            .iter()
            .any(|(path, _)| self.index.contributes_objects(path, None));
        let analysed = analyse_changes(changes, analyze);
        let local = !held_objects
            && analysed.iter().all(|(path, new)| {
                !self
                    .index
                    .contributes_objects(path, new.as_ref().map(|(analysis, _)| analysis))
            });
        if !local {
            self.rebuild_with(analysed);
            *report = self.resolve(tags);
            return Updated::Everything;
        }
        for (path, new) in analysed {
            let analysis = self.keep_text(&path, new);
            // Cannot refuse: the file contributes no object, before or after (checked above).
            self.index.replace_marker_file(&path, analysis);
            let file = fluxtag_core::resolve::resolve_file(&self.index, report, &path);
            report.replace_file(&path, file);
        }
        Updated::Files
    }

    /// Keeps a changed file's bytes when the core parsed them (they are what fixes and
    /// positions are computed on) and returns its analysis; `None`: the file went away.
    fn keep_text(
        &mut self,
        path: &str,
        new: Option<(FileAnalysis, Vec<u8>)>,
    ) -> Option<FileAnalysis> {
        match new {
            Some((analysis, text)) => {
                if analysis.parsed {
                    self.texts.insert(path.to_string(), text);
                } else {
                    self.texts.remove(path);
                }
                Some(analysis)
            }
            None => {
                self.texts.remove(path);
                None
            }
        }
    }

    /// Puts the analysed changes in and builds the index again.
    fn rebuild_with(&mut self, analysed: Vec<AnalysedChange>) {
        let mut analyses: BTreeMap<String, FileAnalysis> =
            std::mem::take(&mut self.index).into_files();
        for (path, new) in analysed {
            match self.keep_text(&path, new) {
                Some(analysis) => {
                    analyses.insert(path, analysis);
                }
                None => {
                    analyses.remove(&path);
                }
            }
        }
        self.index = build_index(&self.root, analyses.into_values().collect(), &self.texts);
    }

    /// Resolves every marker against `tags`.
    pub fn resolve(&self, tags: &TagTable) -> Report {
        resolve(&self.index, &|canonical, _| tags.lookup(canonical))
    }
}

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// How far [`Workspace::update_report`] had to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// Only the changed files were analysed and resolved again.
    Files,
    /// The index was rebuilt and every marker resolved again.
    Everything,
}

/// A changed file's path with its new analysis and bytes (`None`: removed).
type AnalysedChange = (String, Option<(FileAnalysis, Vec<u8>)>);

/// Analyses the changed files that still exist.
fn analyse_changes(
    changes: Vec<(String, Option<Vec<u8>>)>,
    mut analyze: impl FnMut(&str, &[u8]) -> FileAnalysis,
) -> Vec<AnalysedChange> {
    changes
        .into_iter()
        .map(|(path, text)| {
            let new = text.map(|text| (analyze(&path, &text), text));
            (path, new)
        })
        .collect()
}

/// What [`analyze_all`] made of one file.
enum Analysed {
    /// The file could not be read.
    Unreadable,
    /// The cache holds the analysis of these bytes (their hash).
    Cached(ContentHash),
    /// Analysed now, with the hash of its bytes when a cache is in use.
    Fresh(Box<FileAnalysis>, Option<ContentHash>),
}

/// Below this many files, one thread does all the work (spawning costs more than it saves).
const FILES_PER_THREAD: usize = 32;

/// Analyses every file that could be read, in parallel on up to `available_parallelism` threads
/// that take the next file from a shared counter, each with its own parser (files differ a lot
/// in size, so a shared counter balances better than fixed shares). With a cache, a file whose
/// bytes the cache holds is not parsed, and a file the prefilter rejects is not hashed. Returns one result per file, in the order of `files`.
fn analyze_all(files: &[walk::ReadFile], cache: Option<&AnalysisCache>) -> Vec<Analysed> {
    let one = |parser: &mut Parser, (relative, read): &walk::ReadFile| {
        let Ok(text) = read else {
            return Analysed::Unreadable;
        };
        let Some(cache) = cache else {
            return Analysed::Fresh(Box::new(analyze_file(parser, relative, text)), None);
        };
        // What the prefilter rejects is never cached: hashing it (a vendored 8 MB CRD bundle)
        // would cost more than rejecting it again.
        if !fluxtag_core::analysis::worth_parsing(relative, text) {
            return Analysed::Fresh(
                Box::new(fluxtag_core::analysis::unparsed(relative, text)),
                None,
            );
        }
        let hash = cache::content_hash(text);
        if cache.contains(relative, &hash) {
            Analysed::Cached(hash)
        } else {
            Analysed::Fresh(Box::new(analyze_file(parser, relative, text)), Some(hash))
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len() / FILES_PER_THREAD)
        .max(1);
    if threads == 1 {
        let mut parser = Parser::new();
        return files.iter().map(|f| one(&mut parser, f)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut parser = Parser::new();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(i) else {
                return done;
            };
            done.push((i, one(&mut parser, file)));
        }
    };
    let mut slots: Vec<Analysed> = std::iter::repeat_with(|| Analysed::Unreadable)
        .take(files.len())
        .collect();
    std::thread::scope(|scope| {
        // This thread works too, beside `threads - 1` helpers.
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut batches = vec![work()];
        for helper in helpers {
            match helper.join() {
                Ok(batch) => batches.push(batch),
                // The core does not panic on input; should it, fail as one thread would.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        for (i, analysed) in batches.into_iter().flatten() {
            slots[i] = analysed;
        }
    });
    slots
}

/// Indexes analyses; the kustomize patch files they name are read from `texts` when the file
/// was parsed already, else from disk (a missing patch file is kustomize's error, not ours).
fn build_index(
    root: &Path,
    analyses: Vec<FileAnalysis>,
    texts: &BTreeMap<String, Vec<u8>>,
) -> Index {
    Index::build(analyses, &|relative| match texts.get(relative) {
        Some(text) => Some(text.clone()),
        None => walk::read(root, relative).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loading on several threads gives exactly what one thread with one parser gives: the same
    /// analyses in path order, the same markers and diagnostics.
    #[test]
    fn parallel_load_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.yaml"),
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
        )
        .unwrap();
        let mut expected = vec!["policy.yaml".to_string()];
        for i in 0..(FILES_PER_THREAD * 4) {
            let name = format!("d{:03}/app.yaml", i % 7 * 100 + i);
            std::fs::create_dir_all(dir.path().join(&name).parent().unwrap()).unwrap();
            let text = match i % 3 {
                0 => "image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"ns:app\"}\n".to_string(),
                1 => {
                    format!("image: ghcr.io/org/app:1.0.0 # {{\"$imagepolicy\": \"ns:app{i}\"}}\n")
                }
                _ => "kind: ConfigMap\n".to_string(),
            };
            std::fs::write(dir.path().join(&name), text).unwrap();
            expected.push(name);
        }
        expected.sort();
        let tags = TagTable::default();
        let first = Workspace::load(dir.path()).unwrap();
        let files: Vec<&String> = first.index.files().keys().collect();
        assert_eq!(files, expected.iter().collect::<Vec<_>>());
        // The same files, read and analysed on this one thread with one parser, in path order.
        let sequential = read_and_analyze_sequentially(dir.path(), &expected);
        assert_eq!(
            first.texts.len(),
            sequential.iter().filter(|a| a.parsed).count()
        );
        assert_eq!(
            format!("{:?}", first.index.files().values().collect::<Vec<_>>()),
            format!("{sequential:?}")
        );
        let one_thread = Index::build(sequential, &|_| None);
        let (a, b) = (
            first.resolve(&tags),
            resolve(&one_thread, &|c, _| tags.lookup(c)),
        );
        assert_eq!(a.diagnostics, b.diagnostics);
        assert_eq!(format!("{:?}", a.markers), format!("{:?}", b.markers));
        assert!(!a.diagnostics.is_empty());
    }

    /// How many of `files` one parser parses.
    fn read_and_analyze_sequentially(root: &Path, files: &[String]) -> Vec<FileAnalysis> {
        let mut parser = Parser::new();
        files
            .iter()
            .map(|f| {
                let text = walk::read(root, f).unwrap();
                analyze_file(&mut parser, f, &text)
            })
            .collect()
    }
}
