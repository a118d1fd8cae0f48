//! `fluxtag check --diff`: the unified diff of the edits `--fix` would write, file by file in
//! path order, with `a/` and `b/` prefixes as `git diff` prints them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fluxtag_core::diag::Edit;

/// The unified diff of `pending` applied to `texts` (empty when nothing would change).
pub fn unified(texts: &BTreeMap<String, Vec<u8>>, pending: &BTreeMap<String, Vec<Edit>>) -> String {
    let mut out = String::new();
    let (updated, _) = fluxtag_workspace::write::updated_texts(texts, pending);
    for (path, new) in &updated {
        let Some(original) = texts.get(path) else {
            continue;
        };
        let old = String::from_utf8_lossy(original);
        let new = String::from_utf8_lossy(new);
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
        );
    }
    out
}
