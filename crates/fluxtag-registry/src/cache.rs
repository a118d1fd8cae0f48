//! [`DiskCache`]: what registries answered, on disk, one JSON file per canonical image.
//!
//! An entry holds the image's raw tag list (before any exclusion list), when it was fetched, and
//! the digests looked up for some of its tags, each with its own fetch time. Whether an entry is
//! fresh enough is the caller's decision ([`crate::TagService`]). Entries are written to a
//! temporary file and renamed into place, so a reader never sees half a file; a file that does not
//! parse, has another format version, or names another image is ignored (and later overwritten),
//! never an error. No credential or token is ever part of an entry.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::env::Environment;
use crate::time::{from_unix, to_unix};

/// The `format` field of every cache file.
const FORMAT: &str = "fluxtag-registry-cache";
/// The version of the cache file layout; other versions are ignored.
const VERSION: u32 = 1;

/// A digest looked up for one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedDigest {
    /// `sha256:…`.
    pub digest: String,
    /// When it was looked up.
    pub fetched_at: SystemTime,
}

/// What is known about one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The canonical image name (`ghcr.io/acme/app`).
    pub image: String,
    /// The raw tags, sorted descending by bytes, and when they were fetched; `None` when only
    /// digests were looked up so far.
    pub tags: Option<(Vec<String>, SystemTime)>,
    /// Digests by tag.
    pub digests: BTreeMap<String, CachedDigest>,
}

impl CacheEntry {
    /// An entry with no tags and no digests.
    pub fn empty(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            tags: None,
            digests: BTreeMap::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    version: u32,
    image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags_fetched_at: Option<u64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    digests: BTreeMap<String, DigestRecord>,
}

#[derive(Serialize, Deserialize)]
struct DigestRecord {
    digest: String,
    fetched_at: u64,
}

/// The registry cache in one directory.
///
/// Safe to share between tasks; updates of one image within this process are serialised so that
/// a digest and a tag list written at the same time do not lose each other.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl DiskCache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The default location: `fluxtag/registry` in the user's cache directory
    /// (`$XDG_CACHE_HOME` or `~/.cache` on Linux).
    pub fn default_dir(env: &dyn Environment) -> Option<PathBuf> {
        env.cache_dir().map(|d| d.join("fluxtag").join("registry"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of an image: a readable prefix of the name plus a hash of the whole name.
    pub fn path_for(&self, image: &str) -> PathBuf {
        let readable: String = image
            .chars()
            .take(80)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let hash = sha2::Sha256::digest(image.as_bytes());
        let short: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{readable}-{short}.json"))
    }

    /// The entry of an image, or `None` if there is none or it cannot be used.
    pub async fn load(&self, image: &str) -> Option<CacheEntry> {
        let path = self.path_for(image);
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot read a cache entry: {e}");
                return None;
            }
        };
        let file: CacheFile = match serde_json::from_slice(&bytes) {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring a corrupt cache entry: {e}");
                return None;
            }
        };
        if file.format != FORMAT || file.version != VERSION || file.image != image {
            tracing::debug!(path = %path.display(), "ignoring a cache entry of another format or image");
            return None;
        }
        // Times the platform cannot represent make the whole entry unusable.
        let tags = match file.tags_fetched_at {
            Some(t) => Some((file.tags, from_unix(t)?)),
            None => None,
        };
        let mut digests = BTreeMap::new();
        for (tag, record) in file.digests {
            let fetched_at = from_unix(record.fetched_at)?;
            digests.insert(
                tag,
                CachedDigest {
                    digest: record.digest,
                    fetched_at,
                },
            );
        }
        Some(CacheEntry {
            image: file.image,
            tags,
            digests,
        })
    }

    /// Writes an entry atomically (temporary file, then rename).
    pub async fn store(&self, entry: &CacheEntry) -> std::io::Result<()> {
        let file = CacheFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            image: entry.image.clone(),
            tags_fetched_at: entry.tags.as_ref().map(|(_, t)| to_unix(*t)),
            tags: entry
                .tags
                .as_ref()
                .map(|(t, _)| t.clone())
                .unwrap_or_default(),
            digests: entry
                .digests
                .iter()
                .map(|(tag, d)| {
                    (
                        tag.clone(),
                        DigestRecord {
                            digest: d.digest.clone(),
                            fetched_at: to_unix(d.fetched_at),
                        },
                    )
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        let path = self.path_for(&entry.image);
        write_atomic(&path, bytes).await
    }

    /// Reads the entry of `image` (or an empty one), lets `change` modify it, and writes it back,
    /// with other updates of the same image in this process waiting meanwhile.
    pub async fn update(
        &self,
        image: &str,
        change: impl FnOnce(&mut CacheEntry),
    ) -> std::io::Result<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(image.to_owned()).or_default())
        };
        let _guard = lock.lock().await;
        let mut entry = self
            .load(image)
            .await
            .unwrap_or_else(|| CacheEntry::empty(image));
        change(&mut entry);
        self.store(&entry).await
    }
}

/// Writes `bytes` to `path` atomically ([`crate::fs::write_atomic`]), off the async threads.
pub(crate) async fn write_atomic(path: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || crate::fs::write_atomic(&path, &bytes))
        .await
        .map_err(std::io::Error::other)?
}
