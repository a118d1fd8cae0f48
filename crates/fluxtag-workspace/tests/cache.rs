//! The analysis cache (`fluxtag_workspace::cache`): a load with a cache gives exactly what a load
//! without one gives, reuses what did not change, and survives any damage to its file.

// Test code may panic on what it set up itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use fluxtag_core::resolve::Report;
use fluxtag_workspace::cache::{CacheSettings, CacheStats};
use fluxtag_workspace::{LoadOptions, TagTable, Unreadable, Workspace};

const POLICY: &str = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '>=1.0.0'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 1h
";

/// A small repository: a policy file, marked files (one with a typo), a kustomization, a file
/// without markers and a file Flux skips.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("flux/policy.yaml", POLICY);
    write(
        "apps/app/deployment.yaml",
        "spec:\n  image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n",
    );
    write(
        "apps/other/deployment.yaml",
        "spec:\n  image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"flux-system:ap\"}\n",
    );
    write(
        "apps/kustomization.yaml",
        "resources:\n  - app/deployment.yaml\nnamespace: apps\n",
    );
    write(
        "apps/service.yaml",
        "kind: Service\nmetadata:\n  name: app\n",
    );
    write(
        "apps/skipped.yaml",
        "%YAML 1.2\n---\nimage: x:1 # {\"$imagepolicy\": \"flux-system:app\"}\n",
    );
    dir
}

fn settings(cache: &Path, generation: &str) -> LoadOptions {
    LoadOptions {
        unreadable: Unreadable::Fail,
        cache: Some(CacheSettings {
            dir: cache.to_path_buf(),
            generation: generation.to_string(),
        }),
    }
}

fn load(root: &Path, options: &LoadOptions) -> Workspace {
    Workspace::load_with_options(root, options).unwrap()
}

fn uncached(root: &Path) -> Workspace {
    load(
        root,
        &LoadOptions {
            unreadable: Unreadable::Fail,
            cache: None,
        },
    )
}

fn stats(hits: usize, misses: usize, written: bool) -> CacheStats {
    CacheStats {
        hits,
        misses,
        written,
    }
}

/// Everything a load produced that a user can see, as text.
fn observable(workspace: &Workspace) -> String {
    let report: Report = workspace.resolve(&TagTable::default());
    format!(
        "{:#?}\n{:#?}\n{:#?}\n{:#?}",
        workspace.index.files(),
        workspace.texts,
        report.markers,
        report.diagnostics
    )
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|listing| listing.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_warm_load_reuses_every_parsed_file_and_gives_the_same_result() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    let plain = uncached(repo.path());
    assert_eq!(plain.cache_stats, CacheStats::default());

    let cold = load(repo.path(), &options);
    // Parsed: the policy file, two marked files, the kustomization and the skipped file (its
    // marker bytes make it parsed); the service has neither markers nor image objects.
    assert_eq!(cold.cache_stats, stats(0, 5, true));
    assert_eq!(cache_files(cache.path()).len(), 1);

    let warm = load(repo.path(), &options);
    assert_eq!(warm.cache_stats, stats(5, 0, false));
    assert_eq!(observable(&plain), observable(&cold));
    assert_eq!(observable(&plain), observable(&warm));
    // The typo is still reported from the cached analysis.
    assert!(observable(&warm).contains("PolicyNotFound"));
}

#[test]
fn a_changed_file_is_parsed_again_and_the_others_reused() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    load(repo.path(), &options);
    let marked = repo.path().join("apps/other/deployment.yaml");
    std::fs::write(
        &marked,
        "spec:\n  image: ghcr.io/org/app:2.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n",
    )
    .unwrap();

    let after = load(repo.path(), &options);
    assert_eq!(after.cache_stats, stats(4, 1, true));
    let fresh = uncached(repo.path());
    assert_eq!(observable(&after), observable(&fresh));
    assert!(!observable(&after).contains("PolicyNotFound"));
    assert!(observable(&after).contains("2.0.0"));
}

#[test]
fn a_removed_file_leaves_the_cache_and_a_file_that_lost_its_markers_too() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    load(repo.path(), &options);
    std::fs::remove_file(repo.path().join("apps/other/deployment.yaml")).unwrap();
    std::fs::write(repo.path().join("apps/skipped.yaml"), "kind: ConfigMap\n").unwrap();

    let after = load(repo.path(), &options);
    assert_eq!(after.cache_stats, stats(3, 0, true));
    // The rewritten cache holds exactly the three files still parsed.
    let again = load(repo.path(), &options);
    assert_eq!(again.cache_stats, stats(3, 0, false));
    assert!(
        !again
            .index
            .files()
            .contains_key("apps/other/deployment.yaml")
    );
}

#[test]
fn a_damaged_cache_file_is_ignored_and_replaced() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    let expected = observable(&load(repo.path(), &options));
    let file = cache_files(cache.path()).pop().unwrap();
    let intact = std::fs::read(&file).unwrap();

    // One byte changed inside the entries still decodes as postcard (an offset moves, a string
    // changes): the checksum must catch it, or a `--fix` could write at a wrong offset.
    let mut one_byte = intact.clone();
    let middle = intact.len() * 3 / 4;
    one_byte[middle] ^= 0x01;
    let mut last_byte = intact.clone();
    *last_byte.last_mut().unwrap() ^= 0x01;
    let damages: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not a cache".to_vec(),
        intact[..intact.len() / 2].to_vec(),
        intact[..20].to_vec(),
        intact.iter().map(|b| b ^ 0x5a).collect(),
        one_byte,
        last_byte,
        [intact.as_slice(), b"trailing"].concat(),
    ];
    for damaged in damages {
        std::fs::write(&file, &damaged).unwrap();
        let workspace = load(repo.path(), &options);
        assert_eq!(workspace.cache_stats.hits, 0, "a damaged file gave hits");
        assert!(workspace.cache_stats.written);
        assert_eq!(observable(&workspace), expected);
        assert_eq!(std::fs::read(&file).unwrap(), intact);
    }
}

#[test]
fn another_generation_or_root_does_not_use_the_cache() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    load(repo.path(), &settings(cache.path(), "build A"));
    let other_build = load(repo.path(), &settings(cache.path(), "build B"));
    assert_eq!(other_build.cache_stats.hits, 0);
    assert_eq!(other_build.cache_stats.misses, 5);

    // The same files under another root get their own cache file.
    let copy = repository();
    let other_root = load(copy.path(), &settings(cache.path(), "build B"));
    assert_eq!(other_root.cache_stats.hits, 0);
    assert_eq!(cache_files(cache.path()).len(), 2);
}

#[test]
fn an_unwritable_cache_directory_changes_nothing_but_speed() {
    let repo = repository();
    let blocker = tempfile::NamedTempFile::new().unwrap();
    // A regular file where the directory should be: creating the directory fails.
    let options = settings(&blocker.path().join("analysis"), "test 1");
    let workspace = load(repo.path(), &options);
    assert_eq!(workspace.cache_stats.misses, 5);
    assert!(!workspace.cache_stats.written);
    let plain = uncached(repo.path());
    assert_eq!(observable(&workspace), observable(&plain));
}

#[test]
fn a_renamed_file_is_found_under_its_new_path() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    load(repo.path(), &options);
    std::fs::rename(
        repo.path().join("apps/other/deployment.yaml"),
        repo.path().join("apps/other/renamed.yaml"),
    )
    .unwrap();
    let after = load(repo.path(), &options);
    // The analysis names its path, so the renamed file is analysed again.
    assert_eq!(after.cache_stats, stats(4, 1, true));
    let fresh = uncached(repo.path());
    assert_eq!(observable(&after), observable(&fresh));
    assert!(observable(&after).contains("apps/other/renamed.yaml"));
}

/// Two loads of one root at the same time (two terminals, an editor and a hook) both get the
/// right result, and the cache file left behind is whole.
#[test]
fn concurrent_loads_agree_and_leave_a_whole_cache() {
    let repo = repository();
    let cache = tempfile::tempdir().unwrap();
    let options = settings(cache.path(), "test 1");
    let expected = observable(&uncached(repo.path()));
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| observable(&load(repo.path(), &options))))
            .collect();
        for run in runs {
            assert_eq!(run.join().unwrap(), expected);
        }
    });
    let after = load(repo.path(), &options);
    assert_eq!(after.cache_stats.hits, 5);
    assert_eq!(observable(&after), expected);
}
