//! Where `fluxtag check` gets tags from: a snapshot file (`--tags-from`), or, until the registry
//! client is wired in, nothing (every stale check is then a `registry-error` warning).

use std::path::Path;

use fluxtag_core::index::RepositoryEntry;
use fluxtag_core::resolve::{TagLookup, TagSet};
use fluxtag_policy::image_ref::ImageRef;
use fluxtag_registry::reference::{RepositoryRef, Scheme};
use fluxtag_registry::snapshot::Snapshot;

/// A source of tags for resolution.
pub enum TagSource {
    /// A snapshot file.
    Snapshot(Snapshot),
    /// No source configured.
    None,
}

impl TagSource {
    /// Reads the snapshot at `path`, or no source at all.
    pub fn open(path: Option<&Path>) -> Result<TagSource, String> {
        match path {
            Some(path) => Snapshot::read(path)
                .map(TagSource::Snapshot)
                .map_err(|e| e.to_string()),
            None => Ok(TagSource::None),
        }
    }

    /// The tags of one repository.
    pub fn lookup(&self, canonical: &str, repository: &RepositoryEntry) -> TagLookup {
        match self {
            TagSource::None => TagLookup::Failed(
                "no tag source: pass `--tags-from FILE` (a tags snapshot)".to_string(),
            ),
            TagSource::Snapshot(snapshot) => {
                let Some(image) = &repository.image else {
                    return TagLookup::Failed("the image is not known".to_string());
                };
                let Ok(parsed) = ImageRef::parse(image, repository.object.insecure) else {
                    return TagLookup::Failed(format!("invalid image {image:?}"));
                };
                let scheme = if parsed.insecure_default {
                    Scheme::Http
                } else {
                    Scheme::Https
                };
                let reference = RepositoryRef::new(parsed.registry, parsed.repository, scheme);
                match snapshot.get(&reference) {
                    Some(entry) => TagLookup::Found(TagSet {
                        tags: entry.tags.clone(),
                        digests: entry.digests.clone(),
                        source: format!("snapshot {}", snapshot.origin()),
                    }),
                    None => TagLookup::Failed(format!(
                        "{canonical} is not in the tags snapshot {}",
                        snapshot.origin()
                    )),
                }
            }
        }
    }
}
