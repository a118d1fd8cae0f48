//! `fluxtag check PATHS…` in a real git checkout (README "`fluxtag check`"): paths are files or
//! directories, relative to the current directory or absolute; a directory is every file below
//! it that the walk reads; the root (`.` at the top level, `$PWD`) is the whole repository; the
//! index is always the whole root, so verdicts that need other files stay right; a path that
//! does not exist or lies outside the root is a usage error (exit 2) naming it, never a clean
//! run; an existing path naming no checked file is said on standard error.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{example_copy, fluxtag_command, transcript};

/// A git checkout of the example (the root is found through `.git`, no `--root`), with a file
/// git ignores that holds a broken marker.
fn checkout() -> tempfile::TempDir {
    let dir = example_copy();
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .current_dir(dir.path())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            transcript(&output)
        );
    };
    git(&["init", "--quiet"]);
    std::fs::write(
        dir.path().join(".gitignore"),
        "/kubernetes/scratch/\n.test-home/\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("kubernetes/scratch")).unwrap();
    std::fs::write(
        dir.path().join("kubernetes/scratch/draft.yaml"),
        "image: app:1 # {\"$imagepolicy\": \"app\"}\n",
    )
    .unwrap();
    dir
}

/// `fluxtag check --tags-from <root>/tags.json --format json ARGS` in `cwd`.
fn check(root: &Path, cwd: &Path, args: &[&str]) -> Output {
    fluxtag_command(cwd)
        .args(["check", "--format", "json", "--tags-from"])
        .arg(root.join("tags.json"))
        .args(args)
        .output()
        .unwrap()
}

/// `(file, code)` or `(file, status)` pairs.
type Pairs = Vec<(String, String)>;

/// The `(file, code)` of every diagnostic and the `(file, status)` of every marker.
fn findings(output: &Output) -> (Pairs, Pairs) {
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", transcript(output)));
    let pairs = |key: &str, field: &str| -> Pairs {
        value[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                (
                    item["file"].as_str().unwrap().to_string(),
                    item[field].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    (pairs("diagnostics", "code"), pairs("markers", "status"))
}

/// The root, as `.` at the top level, as `..` from below, or absolute, is the same run as no
/// path at all (the bug: each of these reported 0 markers and exited 0).
#[test]
fn the_root_as_a_path_is_the_whole_repository() {
    let dir = checkout();
    let root = dir.path();
    let whole = check(root, root, &[]);
    assert_eq!(whole.status.code(), Some(1), "{}", transcript(&whole));
    let (diagnostics, markers) = findings(&whole);
    assert!(
        markers.len() >= 8 && !diagnostics.is_empty(),
        "{}",
        transcript(&whole)
    );
    let absolute = root.canonicalize().unwrap();
    for (cwd, arg) in [
        (root.to_path_buf(), "."),
        (root.join("kubernetes/apps"), "../.."),
        (root.join("kubernetes"), absolute.to_str().unwrap()),
    ] {
        let output = check(root, &cwd, &[arg]);
        assert_eq!(
            transcript(&output),
            transcript(&whole),
            "{arg} in {}",
            cwd.display()
        );
    }
}

/// A directory is the files below it (relative to the current directory); the verdicts of
/// its markers are those of the whole run, though their policies live elsewhere.
#[test]
fn a_directory_checks_the_files_below_it() {
    let dir = checkout();
    let root = dir.path();
    let (all_diagnostics, all_markers) = findings(&check(root, root, &[]));
    let under = |items: &[(String, String)], dir: &str| -> Pairs {
        items
            .iter()
            .filter(|(file, _)| file.starts_with(dir))
            .cloned()
            .collect()
    };
    let media = "kubernetes/apps/media/";
    for (cwd, arg) in [
        (root.to_path_buf(), "kubernetes/apps/media"),
        (root.to_path_buf(), "kubernetes/apps/media/"),
        (root.join("kubernetes/apps"), "media"),
        (root.join("kubernetes/apps/media"), "."),
    ] {
        let output = check(root, &cwd, &[arg]);
        let (diagnostics, markers) = findings(&output);
        assert_eq!(markers, under(&all_markers, media), "{arg}");
        assert_eq!(diagnostics, under(&all_diagnostics, media), "{arg}");
        // The sonarr marker's policy is in kubernetes/apps/flux-system/: still found and stale.
        assert!(
            markers.contains(&(
                "kubernetes/apps/media/sonarr/app/helmrelease.yaml".into(),
                "stale".into()
            )),
            "{}",
            transcript(&output)
        );
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stderr.is_empty(), "{}", transcript(&output));
    }
    // A directory and a file together.
    let output = check(
        root,
        root,
        &[
            "kubernetes/apps/media/sonarr",
            "kubernetes/apps/default/backup/app/cronjob.yaml",
        ],
    );
    let files: Vec<String> = findings(&output).1.into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        [
            "kubernetes/apps/default/backup/app/cronjob.yaml",
            "kubernetes/apps/media/sonarr/app/helmrelease.yaml",
            "kubernetes/apps/media/sonarr/app/helmrelease.yaml",
        ]
    );
}

/// A path that does not exist is a usage error naming it, with nothing on standard output.
#[test]
fn a_missing_path_is_an_error() {
    let dir = checkout();
    let root = dir.path();
    for args in [
        &["nonexist.yaml"][..],
        &["kubernetes/apps/media", "kubernetes/apps/nonexist"][..],
    ] {
        let output = check(root, root, args);
        assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
        assert!(output.stdout.is_empty(), "{}", transcript(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let missing = args.last().unwrap();
        assert!(stderr.contains(&format!("error: {missing}: ")), "{stderr}");
    }
}

/// A path outside the root is a usage error saying so.
#[test]
fn a_path_outside_the_root_is_an_error() {
    let dir = checkout();
    let root = dir.path();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("x.yaml"), "a: 1\n").unwrap();
    let outside = elsewhere.path().join("x.yaml");
    for arg in [outside.to_str().unwrap(), ".."] {
        let output = check(root, root, &[arg]);
        assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(arg) && stderr.contains("outside the repository root"),
            "{stderr}"
        );
    }
}

/// A file git ignores or that is not YAML is not checked, and the run says so (its exit code
/// is that of what was checked).
#[test]
fn existing_paths_that_name_nothing_checked_are_said() {
    let dir = checkout();
    let root = dir.path();
    let output = check(
        root,
        root,
        &[
            "kubernetes/scratch/draft.yaml",
            "tags.json",
            "kubernetes/apps/default/homepage/app/deployment.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let (diagnostics, _) = findings(&output);
    assert_eq!(
        diagnostics,
        [(
            "kubernetes/apps/default/homepage/app/deployment.yaml".to_string(),
            "marker-misplaced".to_string()
        )]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kubernetes/scratch/draft.yaml: not checked: ignored by git"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tags.json: not checked: not a YAML file"),
        "{stderr}"
    );
    // Only an ignored file: nothing to check, which is said, and nothing fails.
    let output = check(root, root, &["kubernetes/scratch"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("kubernetes/scratch: not checked: no YAML file git keeps below it"),
        "{}",
        transcript(&output)
    );
}
