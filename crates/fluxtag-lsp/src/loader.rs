//! Reading a workspace folder for the first time: `fluxtag-workspace` walks, reads and analyses
//! the files on every core and indexes them.
//!
//! Unlike `fluxtag check`, a file that vanishes or cannot be read between the walk and the read
//! is skipped instead of failing the whole folder: an editor's folder changes under it.

use std::path::Path;

use fluxtag_workspace::cache::CacheSettings;
use fluxtag_workspace::{LoadOptions, Unreadable, Workspace, WorkspaceError};

/// Reads and indexes every YAML file of `root` that git does not ignore, reusing unchanged
/// files' analyses from the analysis cache when `cache` names one (the result is the same).
///
/// # Errors
///
/// When `root` cannot be walked.
pub fn load(root: &Path, cache: Option<&CacheSettings>) -> Result<Workspace, WorkspaceError> {
    let options = LoadOptions {
        unreadable: Unreadable::Skip,
        cache: cache.cloned(),
    };
    Workspace::load_with_options(root, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_like_the_command_line() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/homelab");
        let editor = load(&root, None).map_err(|e| e.to_string());
        let command_line = Workspace::load(&root).map_err(|e| e.to_string());
        let (Ok(editor), Ok(command_line)) = (editor, command_line) else {
            panic!("the example does not load");
        };
        assert_eq!(editor.texts, command_line.texts);
        assert_eq!(
            editor.index.files().keys().collect::<Vec<_>>(),
            command_line.index.files().keys().collect::<Vec<_>>()
        );
        assert_eq!(editor.index.policy_keys(), command_line.index.policy_keys());
        assert_eq!(
            editor.index.repositories().len(),
            command_line.index.repositories().len()
        );
        // Every analysis and every finding, not only the keys and counts.
        assert_eq!(
            format!("{:?}", editor.index.files()),
            format!("{:?}", command_line.index.files())
        );
        let tags = fluxtag_workspace::TagTable::default();
        let (a, b) = (editor.resolve(&tags), command_line.resolve(&tags));
        assert_eq!(a.diagnostics, b.diagnostics);
        assert_eq!(format!("{:?}", a.markers), format!("{:?}", b.markers));
        assert!(!a.markers.is_empty());
    }
}
