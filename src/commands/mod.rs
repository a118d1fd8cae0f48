//! The verbs of `fluxtag`, one per file, and the steps they share: finding the root and the
//! report scope, and loading the repository with its tags.
//!
//! Commands orchestrate through `fluxtag-workspace` and hand what they found to a renderer in
//! `crate::output`; they never format output themselves and never exit.

pub mod check;
pub mod explain;
pub mod generate;
pub mod policies;
pub mod tags;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluxtag_registry::{Environment, SystemEnvironment};
use fluxtag_workspace::cache::CacheSettings;
use fluxtag_workspace::scope::Scope;
use fluxtag_workspace::tags::TagSource;
use fluxtag_workspace::{LoadOptions, TagSettings, TagTable, Unreadable, Workspace, walk};

use crate::CacheArgs;
use crate::output::progress::Progress;

/// The repository root: `--root` (relative to the current directory) or the git top level of
/// the current directory, canonicalised.
pub fn find_root(root: Option<&PathBuf>) -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let root = match root {
        Some(root) => cwd.join(root),
        None => walk::find_root(&cwd),
    };
    root.canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))
}

/// The paths given on the command line, resolved against `root` (relative to the current
/// directory, or absolute); `None` (the whole repository) without paths or when one is the
/// root. A path that does not exist or lies outside the root is an error naming it.
pub fn scope(root: &Path, paths: &[PathBuf]) -> Result<Option<Scope>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Scope::resolve(root, &cwd, paths).map_err(|e| e.to_string())
}

/// A repository read from disk with the tags of its images.
pub struct Loaded {
    /// The repository.
    pub workspace: Workspace,
    /// The tags of every image it names.
    pub tags: TagTable,
}

/// Whether `settings` may contact registries (the only slow source, so the only one that gets a
/// progress indication).
pub fn is_online(settings: &TagSettings) -> bool {
    settings.tags_from.is_none() && !settings.offline
}

/// The progress message while the tags of `images` images are read.
pub fn reading_tags(images: usize) -> String {
    let plural = if images == 1 { "" } else { "s" };
    format!("reading the tags of {images} image{plural}")
}

/// A single-threaded async runtime for the registry client.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Where the analysis cache of this build lives, or `None` when `--no-cache` was given or this
/// build cannot be identified (then every file is parsed, which gives the same result).
///
/// The cache goes beside the tag cache: `DIR/analysis` with `--cache-dir DIR`, else
/// `fluxtag/analysis` in the user's cache directory. Its generation is this version, the build
/// identity `build.rs` computes from the sources, manifests and compiler, and the size and
/// modification time of the running executable, so that any rebuild starts afresh.
pub fn cache_settings(
    args: &CacheArgs,
    tags: &TagSettings,
    env: &dyn Environment,
) -> Option<CacheSettings> {
    if args.no_cache {
        return None;
    }
    let dir = match &tags.cache_dir {
        Some(dir) => dir.join("analysis"),
        None => env.cache_dir()?.join("fluxtag").join("analysis"),
    };
    let executable = std::env::current_exe().ok()?.metadata().ok()?;
    let modified = executable
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(CacheSettings {
        dir,
        generation: format!(
            "{} {} {} {}",
            env!("CARGO_PKG_VERSION"),
            env!("FLUXTAG_BUILD_ID"),
            executable.len(),
            modified.as_nanos()
        ),
    })
}

/// Reads the repository under `root`, with the analysis cache unless `--no-cache`.
pub fn load_workspace(
    root: &Path,
    cache: &CacheArgs,
    tags: &TagSettings,
    env: &dyn Environment,
) -> Result<Workspace, String> {
    let options = LoadOptions {
        unreadable: Unreadable::Fail,
        cache: cache_settings(cache, tags, env),
    };
    Workspace::load_with_options(root, &options).map_err(|e| e.to_string())
}

/// Reads the repository under `root`, then the tags of its images from the source `settings`
/// describe. A progress indication goes to standard error while registries are read, when it is
/// a terminal.
pub fn load(root: &Path, settings: &TagSettings, cache: &CacheArgs) -> Result<Loaded, String> {
    let env: Arc<dyn Environment> = Arc::new(SystemEnvironment);
    // The tag source is checked before the walk: a bad `--tags-from` fails at once.
    let source = TagSource::new(settings, Arc::clone(&env)).map_err(|e| e.to_string())?;
    let workspace = load_workspace(root, cache, settings, env.as_ref())?;
    let tags = fetch_tags(&workspace, settings, &source, env.as_ref())?;
    Ok(Loaded { workspace, tags })
}

/// The tags of every image `workspace` names, from `source` (`settings` tell whether registries
/// are read, which shows a progress indication on a terminal).
pub fn fetch_tags(
    workspace: &Workspace,
    settings: &TagSettings,
    source: &TagSource,
    env: &dyn Environment,
) -> Result<TagTable, String> {
    let runtime = runtime()?;
    let images = fluxtag_core::resolve::images_to_fetch(&workspace.index).len();
    let progress =
        (is_online(settings) && images > 0).then(|| Progress::start(&reading_tags(images)));
    let tags = runtime.block_on(TagTable::fetch(&workspace.index, source, env));
    drop(progress);
    Ok(tags)
}
