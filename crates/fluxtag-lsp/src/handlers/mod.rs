//! Request and notification handlers, one file per protocol method (or family of methods).
//!
//! Request handlers are synchronous functions over the locked [`State`]: they translate the
//! request's positions to bytes, look the answer up in the folder's index and latest
//! resolution, and translate back. They decide nothing about Flux: what is stale, what a policy
//! selects and which edit fixes a marker all come from `fluxtag-core`.

pub mod code_action;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod did_change;
pub mod did_change_configuration;
pub mod did_change_watched_files;
pub mod explain;
pub mod hover;
pub mod initialize;
pub mod inlay_hint;
pub mod references;

use std::ops::Range;

use fluxtag_core::index::PolicyId;
use fluxtag_core::resolve::MarkerReport;
use tower_lsp_server::ls_types::{Location, Uri};

use crate::state::{Document, Folder, State};

/// The marker of `path` whose comment or value holds byte `offset` (ends inclusive, so a cursor
/// just after a value still finds it).
pub fn marker_at<'a>(folder: &'a Folder, path: &str, offset: usize) -> Option<&'a MarkerReport> {
    folder.report.markers.iter().find(|m| {
        m.path == path
            && (contains(&m.marker.comment, offset) || contains(&m.marker.scalar, offset))
    })
}

/// The ImagePolicy whose document in `path` holds byte `offset`.
pub fn policy_at(folder: &Folder, path: &str, offset: usize) -> Option<PolicyId> {
    folder
        .workspace
        .index
        .policies_with_ids()
        .find(|(_, p)| p.object.origin.path == path && contains(&p.object.origin.range, offset))
        .map(|(id, _)| id)
}

/// Whether `range` holds `offset`, its end included.
pub fn contains(range: &Range<usize>, offset: usize) -> bool {
    range.start <= offset && offset <= range.end
}

/// The location of a byte range in a file of a folder.
pub fn location(
    state: &State,
    folder: usize,
    path: &str,
    range: &Range<usize>,
) -> Option<Location> {
    let text = state.text(folder, path)?;
    let uri = state.uri(folder, path)?;
    Some(Location::new(uri, text.range(range, state.encoding)))
}

/// The open, indexed document of `uri` with its folder and the folder's index.
pub fn document<'a>(state: &'a State, uri: &Uri) -> Option<(&'a Document, &'a Folder)> {
    state.indexed_document(uri)
}
