//! Atomic file replacement, the one routine every fluxtag writer uses (the registry cache, tags
//! snapshots, the analysis cache and `--fix`).
//!
//! It lives here, the lowest crate that writes files, so that `fluxtag-workspace` (which depends
//! on this crate) shares it instead of keeping its own. It knows nothing of what it writes;
//! callers keep their own checks (such as `--fix` refusing a file that changed on disk).

use std::io::Write as _;
use std::path::Path;

/// The prefix of the temporary files [`write_atomic`] creates: `.tmp` and six random
/// characters, which the analysis cache's pruning recognises as a killed run's leftover.
pub const TEMPORARY_PREFIX: &str = ".tmp";

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory (created with
/// its parents when missing) is written, synced to disk, given the permissions of the file it
/// replaces (best effort) and renamed over `path`. Readers see the old file or the new one,
/// never a part; on any failure the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .rand_bytes(6)
        .tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        // Keeping the mode is best effort: a failure leaves the temporary file's own mode.
        let _ = std::fs::set_permissions(temporary.path(), metadata.permissions());
    }
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    // Tests may panic on what they set up themselves.
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn creates_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/dir/file.json");
        write_atomic(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(&dir.path().join("new/dir")), ["file.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_permissions_of_the_replaced_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.yaml");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn a_failure_leaves_the_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory: the rename fails, and nothing else changes.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"x").unwrap();
        assert!(write_atomic(&path, b"bytes").is_err());
        assert_eq!(names(dir.path()), ["taken"]);
        assert_eq!(names(&path), ["inside"]);
    }
}
