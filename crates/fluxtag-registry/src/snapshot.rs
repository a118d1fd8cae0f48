//! Tags snapshots: a JSON file that stands in for every registry (`--tags-from FILE`), and the
//! writer behind `fluxtag tags --export FILE`.
//!
//! The format is one JSON object. Each key is an image reference as an ImageRepository's
//! `spec.image` would name it (`nginx`, `docker.io/library/nginx` and
//! `index.docker.io/library/nginx` are the same image: keys and `spec.image` are both normalised,
//! spec §3.1). Each value is either an array of tags, or an object with `tags` and, optionally,
//! `digests` mapping a tag to its digest:
//!
//! ```json
//! {
//!   "ghcr.io/acme/app": ["1.2.0", "1.1.0"],
//!   "nginx": {
//!     "tags": ["1.27.0", "1.26.1"],
//!     "digests": { "1.27.0": "sha256:0123…" }
//!   }
//! }
//! ```
//!
//! Other fields of a value object are ignored. The writer emits canonical keys in sorted order,
//! tags sorted descending by bytes, and the object form only where there are digests, so exports
//! are deterministic and diff well. Snapshots never contain credentials.

use std::collections::BTreeMap;
use std::path::Path;

use fluxtag_policy::image_ref::ImageRef;
use serde::Serialize;
use serde_json::Value;

use crate::error::SnapshotError;
use crate::reference::RepositoryRef;

/// One image of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotEntry {
    /// The key as written in the file (the canonical name for entries added in memory).
    pub key: String,
    /// The tags, sorted descending by bytes, without duplicates.
    pub tags: Vec<String>,
    /// Digests by tag.
    pub digests: BTreeMap<String, String>,
}

/// A tags snapshot: tags (and some digests) per canonical image name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    origin: String,
    entries: BTreeMap<String, SnapshotEntry>,
}

impl Snapshot {
    /// An empty snapshot, to fill with [`Snapshot::insert`] and write.
    pub fn new() -> Self {
        Self {
            origin: "(in memory)".to_owned(),
            entries: BTreeMap::new(),
        }
    }

    /// Reads a snapshot file.
    pub fn read(path: &Path) -> Result<Self, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses snapshot text; `origin` names it in errors (a path, or `<stdin>`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, SnapshotError> {
        let value: Value = serde_json::from_str(text).map_err(|e| SnapshotError::Syntax {
            origin: origin.to_owned(),
            detail: e.to_string(),
        })?;
        let Value::Object(map) = value else {
            return Err(SnapshotError::Syntax {
                origin: origin.to_owned(),
                detail: "the top level must be an object of image references".to_owned(),
            });
        };
        let mut entries: BTreeMap<String, SnapshotEntry> = BTreeMap::new();
        for (key, value) in map {
            let canonical = canonical_key(&key).map_err(|reason| SnapshotError::InvalidKey {
                origin: origin.to_owned(),
                key: key.clone(),
                reason,
            })?;
            let invalid = |reason: String| SnapshotError::InvalidValue {
                origin: origin.to_owned(),
                key: key.clone(),
                reason,
            };
            let (tags, digests) = match value {
                Value::Array(items) => (string_list(items).map_err(invalid)?, BTreeMap::new()),
                Value::Object(mut object) => {
                    let tags = match object.remove("tags") {
                        Some(Value::Array(items)) => string_list(items).map_err(invalid)?,
                        Some(_) => {
                            return Err(invalid("`tags` must be an array of strings".into()));
                        }
                        None => return Err(invalid("the object has no `tags`".into())),
                    };
                    let digests = match object.remove("digests") {
                        None | Some(Value::Null) => BTreeMap::new(),
                        Some(Value::Object(d)) => digest_map(d).map_err(invalid)?,
                        Some(_) => {
                            return Err(invalid(
                                "`digests` must be an object of tag to digest".into(),
                            ));
                        }
                    };
                    (tags, digests)
                }
                _ => {
                    return Err(invalid(
                        "expected an array of tags or an object with `tags`".into(),
                    ));
                }
            };
            if let Some(existing) = entries.get(&canonical) {
                return Err(SnapshotError::DuplicateImage {
                    origin: origin.to_owned(),
                    first: existing.key.clone(),
                    second: key,
                    canonical,
                });
            }
            entries.insert(
                canonical,
                SnapshotEntry {
                    key,
                    tags: sorted(tags),
                    digests,
                },
            );
        }
        Ok(Self {
            origin: origin.to_owned(),
            entries,
        })
    }

    /// Where the snapshot came from, for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The entry for a repository.
    pub fn get(&self, repo: &RepositoryRef) -> Option<&SnapshotEntry> {
        self.entries.get(&repo.canonical())
    }

    /// Adds or replaces the entry of a repository.
    pub fn insert(
        &mut self,
        repo: &RepositoryRef,
        tags: Vec<String>,
        digests: BTreeMap<String, String>,
    ) {
        let canonical = repo.canonical();
        self.entries.insert(
            canonical.clone(),
            SnapshotEntry {
                key: canonical,
                tags: sorted(tags),
                digests,
            },
        );
    }

    /// The entries by canonical name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &SnapshotEntry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The snapshot as pretty JSON with canonical keys, ending in a newline.
    pub fn to_json(&self) -> String {
        let out: BTreeMap<&str, OutValue<'_>> = self
            .entries
            .iter()
            .map(|(canonical, entry)| {
                let value = if entry.digests.is_empty() {
                    OutValue::Tags(&entry.tags)
                } else {
                    OutValue::Full {
                        tags: &entry.tags,
                        digests: &entry.digests,
                    }
                };
                (canonical.as_str(), value)
            })
            .collect();
        // Serialising strings, arrays and maps cannot fail; fall back to an empty object all the same.
        let mut text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }

    /// Writes the snapshot to `path` atomically (a temporary file beside it, then a rename).
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io {
            path: path.to_owned(),
            source,
        };
        crate::fs::write_atomic(path, self.to_json().as_bytes()).map_err(io)
    }
}

/// A value as written: the array form, or the object form when there are digests.
#[derive(Serialize)]
#[serde(untagged)]
enum OutValue<'a> {
    Tags(&'a [String]),
    Full {
        tags: &'a [String],
        digests: &'a BTreeMap<String, String>,
    },
}

/// The canonical name of a snapshot key, normalised like `spec.image`.
fn canonical_key(key: &str) -> Result<String, String> {
    ImageRef::parse(key.trim(), false)
        .map(|r| RepositoryRef::new(r.registry, r.repository, crate::Scheme::Https).canonical())
        .map_err(|e| e.to_string())
}

fn string_list(items: Vec<Value>) -> Result<Vec<String>, String> {
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) if !s.is_empty() => Ok(s),
            Value::String(_) => Err("a tag is empty".to_owned()),
            other => Err(format!("tags must be strings, found {other}")),
        })
        .collect()
}

fn digest_map(map: serde_json::Map<String, Value>) -> Result<BTreeMap<String, String>, String> {
    map.into_iter()
        .map(|(tag, v)| match v {
            Value::String(d) if is_digest(&d) => Ok((tag, d)),
            Value::String(d) => Err(format!(
                "the digest of {tag:?} is {d:?}, not of the form sha256:<64 hex digits>"
            )),
            other => Err(format!(
                "the digest of {tag:?} must be a string, found {other}"
            )),
        })
        .collect()
}

fn is_digest(d: &str) -> bool {
    d.split_once(':').is_some_and(|(algorithm, hex)| {
        !algorithm.is_empty()
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && hex.len() >= 32
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn sorted(mut tags: Vec<String>) -> Vec<String> {
    tags.sort_unstable_by(|a, b| b.cmp(a));
    tags.dedup();
    tags
}
