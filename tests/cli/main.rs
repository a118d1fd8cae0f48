//! End-to-end tests of the `fluxtag` binary on fixture trees: the bundled example in every
//! output format, `--diff`, `--fix` (surgical edits, `fluxtag-differences.md` §1), the exit
//! codes documented in README.md, the human output of a large repository, `fluxtag policies`, `fluxtag explain`, `fluxtag tags --export` and the
//! pre-commit hooks run by the real `pre-commit`.
//!
//! Snapshots are insta's (`tests/cli/snapshots/`); update with `INSTA_UPDATE=always cargo test
//! --test cli` and review the diff.

// Test code may panic on what it set up itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod explain;
mod fixes;
mod formats;
mod generate;
mod human;
mod paths;
mod policies;
mod pre_commit;
// The registry crate's real-registry harness; these tests use part of it (no authentication).
#[allow(dead_code)]
#[path = "../../crates/fluxtag-registry/tests/registry/support/registry.rs"]
mod real_registry;
mod support;
mod tags;

use support::{example_copy, fluxtag, transcript};

#[test]
fn human_output_on_the_example() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    insta::assert_snapshot!("example_human", transcript(&output));
}

#[test]
fn json_output_on_the_example() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(value["markers"].as_array().is_some_and(|m| !m.is_empty()));
    insta::assert_snapshot!("example_json", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn diff_writes_nothing_and_fix_rewrites_only_marked_values() {
    let dir = example_copy();
    let before = std::fs::read(
        dir.path()
            .join("kubernetes/apps/media/sonarr/app/helmrelease.yaml"),
    )
    .unwrap();
    let diff = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json", "--diff"],
    );
    assert_eq!(diff.status.code(), Some(1), "{}", transcript(&diff));
    insta::assert_snapshot!("example_diff", String::from_utf8_lossy(&diff.stdout));
    let unchanged = std::fs::read(
        dir.path()
            .join("kubernetes/apps/media/sonarr/app/helmrelease.yaml"),
    )
    .unwrap();
    assert_eq!(before, unchanged, "--diff must not write");

    let fix = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json", "--fix"],
    );
    insta::assert_snapshot!("example_fix", transcript(&fix));
    let after = std::fs::read_to_string(
        dir.path()
            .join("kubernetes/apps/media/sonarr/app/helmrelease.yaml"),
    )
    .unwrap();
    assert!(
        after.contains("tag: 4.0.11 # {\"$imagepolicy\": \"flux-system:sonarr:tag\"}"),
        "{after}"
    );
    // Only the marked value changed: the rest of the file is byte for byte the same.
    let before = String::from_utf8(before).unwrap();
    assert_eq!(before.replace("tag: 4.0.9 #", "tag: 4.0.11 #"), after);

    // A second run finds nothing left to fix.
    let again = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json", "--diff"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", transcript(&again));
    assert!(again.stdout.is_empty());
}

#[test]
fn paths_limit_the_report_but_not_the_policies() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
            "kubernetes/apps/media/sonarr/app/helmrelease.yaml",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let files: Vec<&str> = value["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["kubernetes/apps/media/sonarr/app/helmrelease.yaml"; 2]
    );
    assert_eq!(value["markers"][1]["status"], "stale");
}

#[test]
fn crlf_bom_and_missing_final_newline_survive_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '>=1.0.0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  image: ghcr.io/org/app\n  interval: 1h\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tags.json"),
        r#"{"ghcr.io/org/app": ["1.9.0", "1.10.0"]}"#,
    )
    .unwrap();
    let original = "\u{feff}# keep me\r\n\r\nspec:\r\n  image: 'ghcr.io/org/app:1.9.0' # {\"$imagepolicy\": \"ns:app\"}\r\n  tag: 1.9.0 # {\"$imagepolicy\": \"ns:app:tag\"}";
    std::fs::write(dir.path().join("deploy.yaml"), original).unwrap();
    let fix = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json", "--fix"],
    );
    assert_eq!(fix.status.code(), Some(0), "{}", transcript(&fix));
    let after = std::fs::read_to_string(dir.path().join("deploy.yaml")).unwrap();
    assert_eq!(
        after,
        original
            .replace("'ghcr.io/org/app:1.9.0'", "'ghcr.io/org/app:1.10.0'")
            .replace("tag: 1.9.0", "tag: 1.10.0")
    );
}

#[test]
fn no_tags_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.yaml"),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '>=1.0.0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  image: ghcr.io/org/app\n  interval: 1h\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.yaml"),
        "image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"ns:app\"}\n",
    )
    .unwrap();
    // Offline with an empty cache: no tags anywhere, and no network is ever tried.
    let cache = tempfile::tempdir().unwrap();
    let output = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--offline",
            "--cache-dir",
            cache.path().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["markers"][0]["status"], "unresolved");
    assert_eq!(value["diagnostics"][0]["code"], "registry-error");
    let message = value["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("ghcr.io/org/app"), "{message}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = fluxtag(dir.path(), &["check", "--tags-from", "missing.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.json"));
    let output = fluxtag(dir.path(), &["check", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = fluxtag(dir.path(), &["policies", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    let output = fluxtag(dir.path(), &["check", "--root", "does-not-exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does-not-exist"));
}

#[test]
fn tags_from_the_environment_unless_a_flag_says_otherwise() {
    let dir = example_copy();
    let from_env = support::fluxtag_command(dir.path())
        .env("FLUXTAG_TAGS_FROM", "tags.json")
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let from_flag = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(from_env.status.code(), Some(1), "{}", transcript(&from_env));
    assert_eq!(from_env.stdout, from_flag.stdout);
    // An explicit `--offline` wins over the environment: no tags, no stale verdict.
    let cache = tempfile::tempdir().unwrap();
    let offline = support::fluxtag_command(dir.path())
        .env("FLUXTAG_TAGS_FROM", "tags.json")
        .args(["check", "--root", ".", "--offline", "--format", "json"])
        .arg("--cache-dir")
        .arg(cache.path())
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert!(
        value["markers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] != "stale"),
        "{}",
        transcript(&offline)
    );
}

/// The analysis cache (README "Cache"): a second run reads it and prints what the first
/// printed; `--no-cache` and `FLUXTAG_NO_CACHE` neither read nor write it; `--cache-dir DIR`
/// puts it in `DIR/analysis`.
#[test]
fn the_analysis_cache_changes_nothing_but_speed() {
    let dir = example_copy();
    let analysis = dir.path().join(".test-home/cache/fluxtag/analysis");
    let args = ["check", "--root", ".", "--tags-from", "tags.json"];

    let uncached = fluxtag(dir.path(), &[&args[..], &["--no-cache"]].concat());
    assert!(!analysis.exists(), "--no-cache wrote a cache");
    let mut command = support::fluxtag_command(dir.path());
    command.args(args).env("FLUXTAG_NO_CACHE", "1");
    let from_env = command.output().unwrap();
    assert!(!analysis.exists(), "FLUXTAG_NO_CACHE=1 wrote a cache");
    assert_eq!(transcript(&from_env), transcript(&uncached));

    let cold = fluxtag(dir.path(), &args);
    let files: Vec<_> = std::fs::read_dir(&analysis).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one cache file per root");
    let written = std::fs::read(files[0].path()).unwrap();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(files[0].path()).unwrap());
    let warm = fluxtag(dir.path(), &args);
    assert_eq!(transcript(&cold), transcript(&uncached));
    assert_eq!(transcript(&warm), transcript(&uncached));
    // Nothing changed, so the warm run did not rewrite the cache (a rewrite is a rename: a new
    // inode).
    assert_eq!(std::fs::read(files[0].path()).unwrap(), written);
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(files[0].path()).unwrap()),
        inode
    );

    // A fix changes files; the next run sees the new bytes, not the cached analyses.
    fluxtag(dir.path(), &[&args[..], &["--fix"]].concat());
    let after = fluxtag(dir.path(), &args);
    let after_uncached = fluxtag(dir.path(), &[&args[..], &["--no-cache"]].concat());
    assert_ne!(std::fs::read(files[0].path()).unwrap(), written);
    assert_eq!(transcript(&after), transcript(&after_uncached));
    assert_ne!(transcript(&after), transcript(&warm));

    let elsewhere = tempfile::tempdir().unwrap();
    let cache_dir = elsewhere.path().to_str().unwrap();
    let with_dir = fluxtag(
        dir.path(),
        &[&args[..], &["--cache-dir", cache_dir]].concat(),
    );
    assert_eq!(transcript(&with_dir), transcript(&after));
    assert!(elsewhere.path().join("analysis").is_dir());
}
