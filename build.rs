//! Build script of the `fluxtag` binary: a build identity for the analysis cache.
//!
//! The analysis cache (`fluxtag_workspace::cache`) may only reuse what this very build would
//! compute. Version, executable size and modification time do not prove that (Nix sets every
//! modification time to 1; a patched build can keep version and size), so the binary also
//! carries `FLUXTAG_BUILD_ID`: a hash of everything that decides what a file's analysis is (the
//! sources of the core and the policy crate, their manifests, `Cargo.lock`, the compiler).

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher as _;
use std::path::{Path, PathBuf};

/// What an analysis depends on, relative to the package root.
const INPUTS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "crates/fluxtag-core/Cargo.toml",
    "crates/fluxtag-core/src",
    "crates/fluxtag-policy/Cargo.toml",
    "crates/fluxtag-policy/src",
];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // `DefaultHasher::new()` has fixed keys: the same inputs give the same identity.
    let mut hasher = DefaultHasher::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        let mut files = Vec::new();
        collect(&root.join(input), &mut files);
        files.sort();
        for file in files {
            hasher.write(
                file.strip_prefix(&root)
                    .unwrap_or(&file)
                    .as_os_str()
                    .as_encoded_bytes(),
            );
            hasher.write(&std::fs::read(&file).unwrap_or_default());
        }
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    if let Ok(output) = std::process::Command::new(rustc).arg("-vV").output() {
        hasher.write(&output.stdout);
    }
    println!("cargo:rustc-env=FLUXTAG_BUILD_ID={:016x}", hasher.finish());
}

/// Every file under `path` (or `path` itself when it is a file).
fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(listing) => {
            for entry in listing.flatten() {
                collect(&entry.path(), files);
            }
        }
        Err(_) if path.is_file() => files.push(path.to_path_buf()),
        Err(_) => {}
    }
}
