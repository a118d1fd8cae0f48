//! The hooks of `.pre-commit-hooks.yaml` run by the real `pre-commit` (from PyPI) against a
//! temporary git repository holding a stale marker and a committed tags snapshot:
//!
//! 1. `pre-commit try-repo <this repository> --ref <HEAD> --all-files` runs every hook of the
//!    manifest: `fluxtag-check` fails on the stale marker, `fluxtag-fix` rewrites it;
//! 2. `pre-commit run --all-files` with a `.pre-commit-config.yaml` naming this repository at
//!    the same commit, `fluxtag-check` with `args: [--tags-from, tags.json]`, then passes.
//!
//! Facts this test depends on (pre-commit 4.x):
//! - `try-repo` has no `--hook-args`: hooks run with their manifest arguments only, so in step 1
//!   the tag source comes from the environment (`FLUXTAG_TAGS_FROM=tags.json`, passed through to
//!   the hook). Step 2 covers `args`, the way users configure it.
//! - `language: rust` runs `cargo install --bins --root <env> --path .` in a fresh clone of the
//!   hook repository. `try-repo` uses a new temporary store each time; `pre-commit run` uses
//!   `PRE_COMMIT_HOME` (here under `target/`), so step 2 installs once per commit and later runs
//!   reuse it. `cargo install` honours `CARGO_TARGET_DIR`: one directory under `target/` keeps
//!   the dependencies compiled after the first run (minutes); later installs rebuild only
//!   fluxtag's own crates (a fresh clone is always newer), unoptimised and incrementally (the
//!   `CARGO_PROFILE_RELEASE_*` variables below), which takes well under a minute.
//! - `cargo install` ignores `Cargo.lock` and resolves again; `CARGO_NET_OFFLINE=true` makes it
//!   resolve from the crates already downloaded (by the `cargo test` running this), and a proxy
//!   on a closed local port makes any registry request fail at once: nothing reaches the network.
//! - The hook repository is this checkout at its committed `HEAD` (`--ref`, `rev`), not the
//!   working tree: commit before running this test, as CI does. (Without `--ref`, `try-repo`
//!   would build the uncommitted working tree, including unfinished files of other work.)
//!
//! Without `pre-commit` the test is skipped with a message, unless `CI=true`, where a missing
//! `pre-commit` is a failure (`scripts/test` installs it).

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

fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
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
        ]);
    command
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", log(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn log(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// pre-commit in `repo`, with the caches under `target/pre-commit/` and no way to the network.
fn pre_commit_command(program: &[&str], repo: &Path) -> Command {
    let target = target_dir().join("pre-commit");
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", target.join("home"))
        .env("CARGO_TARGET_DIR", target.join("cargo"))
        .env("CARGO_NET_OFFLINE", "true")
        // What is tested is the hooks' behaviour, not fluxtag's speed: an unoptimised,
        // incremental build of a fresh clone reuses the compiler's work of the previous one.
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("FLUXTAG_TAGS_FROM")
        .env_remove("FLUXTAG_OUTPUT_FORMAT")
        .env_remove("FLUXTAG_CACHE_DIR")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

#[test]
fn pre_commit_hooks_block_then_fix_a_stale_marker() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let Some(program) = pre_commit() else {
        assert!(
            !ci,
            "pre-commit is not on PATH and CI=true: install it with `pip install pre-commit` \
             (scripts/test does)"
        );
        eprintln!(
            "skipping the pre-commit end-to-end test: `pre-commit` is not on PATH (install it \
             with `pip install pre-commit`; with CI=true this is a failure)"
        );
        return;
    };
    let this = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rev = git(this, &["rev-parse", "HEAD"]);
    eprintln!("pre-commit hooks of {} at {rev}", this.display());

    let repo = tempfile::tempdir().unwrap();
    copy_tree(&fixture("stale"), repo.path());
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "a stale marker"]);
    let deployment = repo.path().join("apps/app/deployment.yaml");
    let before = std::fs::read_to_string(&deployment).unwrap();

    // 1. try-repo, every hook of the manifest in id order: the check fails on the stale
    // marker, the fix rewrites it (pre-commit marks a hook that modified files as failed).
    let first = pre_commit_command(&program, repo.path())
        .arg("try-repo")
        .arg(this)
        .args([
            "--ref",
            &rev,
            "--all-files",
            "--color",
            "never",
            "--verbose",
        ])
        .env("FLUXTAG_TAGS_FROM", "tags.json")
        .output()
        .unwrap();
    let text = log(&first);
    assert_eq!(first.status.code(), Some(1), "{text}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let check_at = stdout.find("fluxtag check...").expect(&text);
    let fix_at = stdout.find("fluxtag fix...").expect(&text);
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

    // 2. A configuration as users write it, with the snapshot in `args`: the check passes now.
    let home = target_dir().join("pre-commit");
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("pre-commit-config.yaml");
    std::fs::write(
        &config,
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: fluxtag-check\n        args: [--tags-from, tags.json]\n",
            this.display()
        ),
    )
    .unwrap();
    // Forget the installs of earlier revisions (the configuration no longer names them).
    let gc = pre_commit_command(&program, repo.path())
        .arg("gc")
        .output()
        .unwrap();
    assert!(gc.status.success(), "{}", log(&gc));
    let second = pre_commit_command(&program, repo.path())
        .arg("run")
        .arg("--config")
        .arg(&config)
        .args(["--all-files", "--color", "never", "--verbose"])
        .output()
        .unwrap();
    let text = log(&second);
    assert_eq!(second.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("Passed"), "{text}");
    // The snapshot came from `args`: the marker is known to be current.
    assert!(
        stdout.contains("ok: 0 errors, 0 warnings, 0 info in 1 marker (1 current)"),
        "{text}"
    );
}

/// Issue 11 item 2: the `fluxtag-fix` hook applies only safe fixes, so its entry is `--fix`
/// without `--unsafe-fixes` (what `--fix` alone writes is pinned in `fixes.rs`).
#[test]
fn the_fix_hook_applies_only_safe_fixes() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let entries: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("entry:"))
        .map(str::trim)
        .collect();
    assert_eq!(entries, ["fluxtag check", "fluxtag check --fix"]);
    assert!(!manifest.contains("--unsafe-fixes"));
}
