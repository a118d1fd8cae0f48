//! The hooks of `.pre-commit-hooks.yaml` run by the real `pre-commit` (from PyPI) with
//! `pre-commit try-repo` against a temporary git repository holding a stale marker and a
//! committed tags snapshot: the check hook fails, the fix hook rewrites the marker, then the
//! check hook passes.
//!
//! Facts this test depends on (pre-commit 4.x):
//! - `try-repo` runs hooks with their manifest arguments only (it has no `--hook-args`), so the
//!   tag source comes from the environment: `FLUXTAG_TAGS_FROM=tags.json`, which pre-commit
//!   passes through to the hook.
//! - `language: rust` runs `cargo install --bins --root <env> --path .` in a fresh clone, in a
//!   fresh store per `try-repo` (so `PRE_COMMIT_HOME` only holds its log here). `cargo install`
//!   honours `CARGO_TARGET_DIR`: pointing it at one directory under `target/` means the
//!   dependencies are compiled once, on the first run (minutes), and later installs only
//!   rebuild fluxtag's own crates.
//! - `cargo install` ignores `Cargo.lock` and resolves again; `CARGO_NET_OFFLINE=true` makes it
//!   resolve from the crates already downloaded (the `cargo test` that runs this test downloaded
//!   them), so nothing reaches the network.
//!
//! Without `pre-commit` on `PATH` the test is skipped with a message, unless `CI=true`, where a
//! missing `pre-commit` is a failure (`scripts/test` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{copy_tree, fixture};

/// How to run pre-commit: `pre-commit` on `PATH`, else `python3 -m pre_commit` (a `pip
/// install --user` whose script directory is not on `PATH`), else `None`.
fn pre_commit() -> Option<Vec<&'static str>> {
    [vec!["pre-commit"], vec!["python3", "-m", "pre_commit"]]
        .into_iter()
        .find(|program| {
            Command::new(program[0])
                .args(&program[1..])
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Cargo's target directory (the parent of the profile directory holding the binary).
fn target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_fluxtag"));
    binary
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args([
            "-c",
            "user.name=fluxtag tests",
            "-c",
            "user.email=tests@fluxtag.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", log(&output));
}

fn log(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn try_repo(program: &[&str], repo: &Path, hook: Option<&str>) -> Output {
    let target = target_dir().join("pre-commit");
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .current_dir(repo)
        .arg("try-repo")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(hook)
        .args(["--all-files", "--color", "never", "--verbose"])
        .env("PRE_COMMIT_HOME", target.join("home"))
        .env("CARGO_TARGET_DIR", target.join("cargo"))
        .env("CARGO_NET_OFFLINE", "true")
        .env("FLUXTAG_TAGS_FROM", "tags.json")
        .env_remove("FLUXTAG_OUTPUT_FORMAT")
        .env_remove("FLUXTAG_CACHE_DIR")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command.output().unwrap()
}

#[test]
fn pre_commit_hooks_block_then_fix_a_stale_marker() {
    let Some(program) = pre_commit() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "pre-commit is not on PATH and CI=true: install it with `pip install pre-commit` \
             (scripts/test does)"
        );
        eprintln!(
            "skipping the pre-commit end-to-end test: `pre-commit` is not on PATH (install it \
             with `pip install pre-commit`; with CI=true this is a failure)"
        );
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&fixture("stale"), repo.path());
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "a stale marker"]);
    let deployment = repo.path().join("apps/app/deployment.yaml");
    let before = std::fs::read_to_string(&deployment).unwrap();

    // Every hook of the manifest, in id order: the check fails on the stale marker, the fix
    // rewrites it (pre-commit marks a hook that modified files as failed).
    let first = try_repo(&program, repo.path(), None);
    let text = log(&first);
    assert_eq!(first.status.code(), Some(1), "{text}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let check_at = stdout.find("fluxtag check").expect(&text);
    let fix_at = stdout.find("fluxtag fix").expect(&text);
    assert!(check_at < fix_at, "{text}");
    let (check_part, fix_part) = stdout.split_at(fix_at);
    assert!(check_part.contains("Failed"), "{text}");
    assert!(
        check_part.contains("error[stale]: ghcr.io/acme/app:1.2.0 is stale"),
        "{text}"
    );
    assert!(fix_part.contains("Failed"), "{text}");
    assert!(
        fix_part.contains("files were modified by this hook"),
        "{text}"
    );
    let after = std::fs::read_to_string(&deployment).unwrap();
    assert_eq!(
        after,
        before.replace("ghcr.io/acme/app:1.2.0", "ghcr.io/acme/app:1.3.0"),
        "{text}"
    );

    // After the fix, the check hook passes.
    let second = try_repo(&program, repo.path(), Some("fluxtag-check"));
    let text = log(&second);
    assert_eq!(second.status.code(), Some(0), "{text}");
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("Passed"),
        "{text}"
    );
}
