//! Writing fixes: the safe edits of a report (`fluxtag_core::edit::safe_edits`), applied per
//! file and written atomically.
//!
//! A file is replaced through a temporary file in its own directory, renamed over it, with the
//! original's permissions; a file that changed on disk since it was read is left alone and
//! reported; files without a pending edit are never touched.

use std::collections::BTreeMap;
use std::path::Path;

use fluxtag_core::diag::Edit;
use fluxtag_core::edit::apply_edits;

/// What writing the fixes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Files rewritten, relative to the root.
    pub written: Vec<String>,
    /// Files not rewritten, with the reason.
    pub refused: Vec<(String, String)>,
}

/// New file contents by path, and the files whose edits could not apply with the reason.
pub type UpdatedTexts = (BTreeMap<String, Vec<u8>>, Vec<(String, String)>);

/// The new contents of each file with pending edits (files whose edits change nothing, or
/// cannot apply, are left out; the reason of the latter is returned).
pub fn updated_texts(
    texts: &BTreeMap<String, Vec<u8>>,
    pending: &BTreeMap<String, Vec<Edit>>,
) -> UpdatedTexts {
    let mut updated = BTreeMap::new();
    let mut refused = Vec::new();
    for (path, edits) in pending {
        let Some(original) = texts.get(path) else {
            continue;
        };
        match apply_edits(original, edits) {
            Ok(new) if &new != original => {
                updated.insert(path.clone(), new);
            }
            Ok(_) => {}
            Err(error) => refused.push((path.clone(), error.to_string())),
        }
    }
    (updated, refused)
}

/// Applies the pending edits to the files under `root` whose bytes were `texts`.
pub fn write_fixes(
    root: &Path,
    texts: &BTreeMap<String, Vec<u8>>,
    pending: &BTreeMap<String, Vec<Edit>>,
) -> WriteOutcome {
    let (updated, refused) = updated_texts(texts, pending);
    let mut outcome = WriteOutcome {
        refused,
        ..WriteOutcome::default()
    };
    for (path, new) in updated {
        let Some(original) = texts.get(&path) else {
            continue;
        };
        match write_atomically(&root.join(&path), original, &new) {
            Ok(()) => outcome.written.push(path),
            Err(reason) => outcome.refused.push((path, reason)),
        }
    }
    outcome
}

/// Replaces `path` with `updated` if it still holds `expected`.
pub fn write_atomically(path: &Path, expected: &[u8], updated: &[u8]) -> Result<(), String> {
    let current = std::fs::read(path).map_err(|e| format!("cannot read it again: {e}"))?;
    if current != expected {
        return Err("it changed on disk while fluxtag was running; run fluxtag again".to_string());
    }
    fluxtag_registry::fs::write_atomic(path, updated)
        .map_err(|e| format!("cannot replace the file: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_changed_on_disk_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "a: 1\n").unwrap();
        assert!(write_atomically(&path, b"a: 0\n", b"a: 2\n").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"a: 1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            write_atomically(&path, b"a: 1\n", b"a: 2\n").unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"a: 2\n");
    }
}
