//! What the binary generates about itself (issue 16 §2): `--version` with the git commit,
//! `lsp --version` (what editor clients run), shell completions and man pages from the clap
//! definitions.

use std::path::Path;
use std::process::Command;

use crate::support::{fluxtag, transcript};

/// The commit `build.rs` should have put in the version: `Some` when the package root is the
/// top level of a git checkout (as in CI and development), `None` without git.
fn checkout_commit() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    (Path::new(&top).canonicalize().ok()? == root.canonicalize().ok()?)
        .then(|| git(&["rev-parse", "--short=7", "HEAD"]))
        .flatten()
}

/// Issue 16 §2: `fluxtag --version` says the version and the commit; `fluxtag lsp --version`
/// says the same.
#[test]
fn version_names_the_package_version_and_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let expected = match checkout_commit() {
        Some(commit) => format!("{} ({commit})", env!("CARGO_PKG_VERSION")),
        None => env!("CARGO_PKG_VERSION").to_owned(),
    };
    let top = fluxtag(dir.path(), &["--version"]);
    assert_eq!(top.status.code(), Some(0), "{}", transcript(&top));
    assert_eq!(
        String::from_utf8_lossy(&top.stdout),
        format!("fluxtag {expected}\n")
    );
    let lsp = fluxtag(dir.path(), &["lsp", "--version"]);
    assert_eq!(lsp.status.code(), Some(0), "{}", transcript(&lsp));
    assert_eq!(
        String::from_utf8_lossy(&lsp.stdout),
        format!("fluxtag-lsp {expected}\n")
    );
}

/// Issue 16 §2: `fluxtag completions bash|zsh|fish` prints a script naming the subcommands and
/// their flags, each in its shell's syntax; bash parses its script (`bash -n`).
#[test]
fn completions_name_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, flag) in [("bash", "--fix"), ("zsh", "--fix["), ("fish", "-l fix")] {
        let output = fluxtag(dir.path(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
        let script = String::from_utf8_lossy(&output.stdout);
        for word in ["check", "policies", "tags", "lsp", flag, "tags-from"] {
            assert!(
                script.contains(word),
                "{shell} completion lacks {word}:\n{script}"
            );
        }
        // The hidden `man` subcommand is not offered.
        assert!(!script.contains("fluxtag__man"), "{shell} offers `man`");
    }
    let bash = fluxtag(dir.path(), &["completions", "bash"]);
    let path = dir.path().join("fluxtag.bash");
    std::fs::write(&path, &bash.stdout).unwrap();
    if let Ok(parsed) = Command::new("bash").arg("-n").arg(&path).output() {
        assert!(parsed.status.success(), "bash -n: {parsed:?}");
    }
    let unknown = fluxtag(dir.path(), &["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", transcript(&unknown));
}

/// Issue 16 §2 (ripgrep's way): `fluxtag man` prints fluxtag(1) in roff listing the
/// subcommands; `fluxtag man check` prints fluxtag-check(1) with its flags; groff renders them
/// when it is installed; an unknown page is a usage error naming the known ones.
#[test]
fn man_pages_are_generated_from_the_clap_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let top = fluxtag(dir.path(), &["man"]);
    assert_eq!(top.status.code(), Some(0), "{}", transcript(&top));
    let page = String::from_utf8_lossy(&top.stdout);
    assert!(page.contains(".TH fluxtag 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    assert!(page.contains(r"fluxtag\-check(1)"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    assert!(
        !page.contains(r"fluxtag\-man(1)"),
        "the hidden `man` is listed:\n{page}"
    );

    let check = fluxtag(dir.path(), &["man", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", transcript(&check));
    let page = String::from_utf8_lossy(&check.stdout);
    assert!(page.contains(".TH fluxtag-check 1"), "{page}");
    for flag in [r"\-\-fix", r"\-\-diff", r"\-\-tags\-from", r"\-\-format"] {
        assert!(
            page.contains(flag),
            "fluxtag-check(1) lacks {flag}:\n{page}"
        );
    }
    let roff = dir.path().join("fluxtag-check.1");
    std::fs::write(&roff, &check.stdout).unwrap();
    // `-k` converts UTF-8 input as `man` does; the `-P` flags ask grotty for plain text.
    if let Ok(rendered) = Command::new("groff")
        .args([
            "-k", "-man", "-Tutf8", "-ww", "-P-c", "-P-b", "-P-o", "-P-u",
        ])
        .arg(&roff)
        .output()
    {
        assert!(rendered.status.success(), "groff: {rendered:?}");
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("--unsafe-fixes"), "{text}");
        assert!(
            rendered.stderr.is_empty(),
            "groff warns: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    }

    let unknown = fluxtag(dir.path(), &["man", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", transcript(&unknown));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("one of: check, policies, explain, tags, lsp"),
        "{}",
        transcript(&unknown)
    );
}
