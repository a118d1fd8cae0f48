//! Build script of the `fluxtag` binary: its version string and a build identity for the
//! analysis cache.
//!
//! `FLUXTAG_VERSION` (what `--version` and `lsp --version` print) is the package version,
//! followed by the git commit in parentheses when the package is built from a git checkout of
//! itself (`0.1.0 (2f6fb7e)`); without git, or built from a copy that is not its own checkout
//! (`cargo install` from a tarball unpacked anywhere), just the version. It never fails the build.
//!
//! The analysis cache (`fluxtag_workspace::cache`) may only reuse what this very build would
//! compute. Version, executable size and modification time do not prove that (Nix sets every
//! modification time to 1; a patched build can keep version and size), so the binary also
//! carries `FLUXTAG_BUILD_ID`: a hash of everything that decides what a file's analysis is and
//! how the cache stores it: the Rust sources of the core, the policy crate and the workspace
//! crate, every manifest of the workspace (features are unified across them), `Cargo.lock`
//! (registry and git dependencies), the compiler and the compiler flags. Sources of dependencies
//! patched to local paths outside the repository are not covered (the executable's size and
//! modification time, also part of the cache key, usually are).

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher as _;
use std::path::{Path, PathBuf};

/// What an analysis or its cache encoding depends on, relative to the package root: files, or
/// directories whose `.rs` files count.
const INPUTS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "crates/fluxtag-core/Cargo.toml",
    "crates/fluxtag-core/src",
    "crates/fluxtag-policy/Cargo.toml",
    "crates/fluxtag-policy/src",
    "crates/fluxtag-workspace/Cargo.toml",
    "crates/fluxtag-workspace/src",
    "crates/fluxtag-registry/Cargo.toml",
    "crates/fluxtag-lsp/Cargo.toml",
];

/// Environment variables that change the compiled code.
const ENVIRONMENT: &[&str] = &["CARGO_ENCODED_RUSTFLAGS", "TARGET", "PROFILE"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // `DefaultHasher::new()` has fixed keys: the same inputs give the same identity.
    let mut hasher = DefaultHasher::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        let path = root.join(input);
        let mut files = Vec::new();
        if path.is_dir() {
            collect_rust(&path, &mut files);
        } else if path.is_file() {
            files.push(path);
        } else {
            println!("cargo:warning=build.rs: {input} is missing; update INPUTS");
        }
        files.sort();
        for file in files {
            let name = file.strip_prefix(&root).unwrap_or(&file).as_os_str();
            let bytes = std::fs::read(&file).unwrap_or_default();
            hasher.write_usize(name.len());
            hasher.write(name.as_encoded_bytes());
            hasher.write_usize(bytes.len());
            hasher.write(&bytes);
        }
    }
    for variable in ENVIRONMENT {
        println!("cargo:rerun-if-env-changed={variable}");
        let value = std::env::var_os(variable).unwrap_or_default();
        hasher.write_usize(value.len());
        hasher.write(value.as_encoded_bytes());
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    if let Ok(output) = std::process::Command::new(rustc).arg("-vV").output() {
        hasher.write(&output.stdout);
    }
    println!("cargo:rustc-env=FLUXTAG_BUILD_ID={:016x}", hasher.finish());

    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match git_commit(&root) {
        Some(commit) => println!("cargo:rustc-env=FLUXTAG_VERSION={version} ({commit})"),
        None => println!("cargo:rustc-env=FLUXTAG_VERSION={version}"),
    }
}

/// The short commit of `root`'s git checkout, when `root` is the top level of one (not merely a
/// directory inside some other repository); then the build reruns when HEAD moves.
fn git_commit(root: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != root.canonicalize().ok()? {
        return None;
    }
    let commit = git(&["rev-parse", "--short=7", "HEAD"])?;
    // HEAD names a branch whose ref file (or packed-refs) moves on commit; in a worktree these
    // live in different git directories, so ask git for each path.
    // (A path that does not exist would rerun the script on every build: only existing ones.)
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name])
            && Path::new(&path).is_file()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(commit)
}

/// Every `.rs` file under `dir`.
fn collect_rust(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in listing.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rust(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}
