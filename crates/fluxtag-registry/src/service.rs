//! [`TagService`]: tags and digests for an image from the registry, the disk cache or a snapshot,
//! whichever the [`Mode`] allows, with the exclusion list applied and tags sorted descending by
//! bytes.
//!
//! - [`Mode::Online`]: a cache entry younger than the repository's interval (at least a minute)
//!   is used; otherwise the registry is asked and the cache updated. With `refresh`, the disk
//!   cache is never read: the service keeps what it fetched itself (its run record, in memory), so
//!   every image (and every digest) is fetched exactly once per service, whatever the clock says.
//!   The cache is still written for later runs.
//! - [`Mode::Offline`]: the cache only, whatever its age; no entry is
//!   [`RegistryError::NotCached`].
//! - [`Mode::Snapshot`]: the snapshot only; no entry is [`RegistryError::NotInSnapshot`].
//!
//! Concurrent requests for the same image (or the same digest) share one registry fetch, and one
//! failing image never affects the others.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use fluxtag_policy::exclusion::sort_tags_descending;
use tokio::sync::OnceCell;

use crate::ExclusionList;
use crate::cache::{CachedDigest, DiskCache};
use crate::client::RegistryClient;
use crate::env::Environment;
use crate::error::RegistryError;
use crate::reference::RepositoryRef;
use crate::snapshot::Snapshot;

/// The shortest freshness of a cache entry, whatever the repository's interval says.
pub const MIN_FRESHNESS: Duration = Duration::from_secs(60);

/// Where tags may come from.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The registry, with the cache in front.
    Online {
        /// Ignore the disk cache: fetch every image once for this service and keep the answer.
        refresh: bool,
    },
    /// The cache only, whatever its age (`--offline`).
    Offline,
    /// A snapshot only (`--tags-from FILE`).
    Snapshot(Arc<Snapshot>),
}

/// Where a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Fetched from the registry just now.
    Registry,
    /// Read from the disk cache.
    Cache,
    /// Read from the snapshot.
    Snapshot,
}

/// The tags of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList {
    /// The canonical image name.
    pub image: String,
    /// The tags after the exclusion list, sorted descending by bytes.
    pub tags: Vec<String>,
    /// Where they came from.
    pub origin: Origin,
    /// When the registry was asked (`None` for a snapshot).
    pub fetched_at: Option<SystemTime>,
}

/// A digest of one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestInfo {
    /// `sha256:…`.
    pub digest: String,
    /// Where it came from.
    pub origin: Origin,
}

/// One image for [`TagService::export`].
#[derive(Debug, Clone)]
pub struct ExportItem {
    /// The repository.
    pub repo: RepositoryRef,
    /// The ImageRepository interval (cache freshness).
    pub interval: Duration,
    /// Tags whose digests go into the snapshot too.
    pub digest_tags: Vec<String>,
}

type Shared<T> = Result<T, RegistryError>;

/// What a refreshing service fetched from the registry itself: its one answer per image and per
/// digest for the rest of its life. An explicit record, not a comparison of clock readings with
/// the cache files' times (those keep whole seconds, so a tag pushed within the second of an
/// earlier run would be missed).
#[derive(Default)]
struct RunRecord {
    /// Raw tags by canonical image, and when they were fetched.
    tags: HashMap<String, (Arc<Vec<String>>, SystemTime)>,
    /// Digests by canonical image and tag.
    digests: HashMap<(String, String), String>,
}

/// Runs one future per key at a time; callers that arrive meanwhile wait for its result.
struct SingleFlight<T: Clone> {
    cells: Mutex<HashMap<String, Arc<OnceCell<Shared<T>>>>>,
}

impl<T: Clone> SingleFlight<T> {
    fn new() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }

    async fn run<F, Fut>(&self, key: &str, f: F) -> Shared<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Shared<T>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cells.entry(key.to_owned()).or_default())
        };
        let result = cell.get_or_init(f).await.clone();
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        if cells.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            cells.remove(key);
        }
        result
    }
}

/// Tags and digests per image from the registry, the disk cache or a snapshot.
pub struct TagService {
    mode: Mode,
    client: Option<Arc<RegistryClient>>,
    cache: Option<Arc<DiskCache>>,
    env: Arc<dyn Environment>,
    /// `Some` in [`Mode::Online`] with `refresh`: the only source of fresh answers there.
    refreshed: Option<Mutex<RunRecord>>,
    tag_flights: SingleFlight<Arc<Vec<String>>>,
    digest_flights: SingleFlight<String>,
}

impl std::fmt::Debug for TagService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagService")
            .field("mode", &self.mode)
            .field("cache", &self.cache.as_ref().map(|c| c.dir().to_owned()))
            .finish_non_exhaustive()
    }
}

impl TagService {
    /// A service in `mode`. `client` is needed for [`Mode::Online`] (without one, online requests
    /// fail as offline ones do); `cache` is optional everywhere.
    pub fn new(
        mode: Mode,
        client: Option<Arc<RegistryClient>>,
        cache: Option<Arc<DiskCache>>,
        env: Arc<dyn Environment>,
    ) -> Self {
        let refreshed = matches!(mode, Mode::Online { refresh: true })
            .then(|| Mutex::new(RunRecord::default()));
        Self {
            mode,
            client,
            cache,
            env,
            refreshed,
            tag_flights: SingleFlight::new(),
            digest_flights: SingleFlight::new(),
        }
    }

    /// The mode.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The tags of `repo` after `exclusion`, sorted descending by bytes. `interval` is the
    /// ImageRepository's scan interval: how long a cache entry stays fresh (at least a minute).
    pub async fn tags(
        &self,
        repo: &RepositoryRef,
        interval: Duration,
        exclusion: &ExclusionList,
    ) -> Result<TagList, RegistryError> {
        let (raw, origin, fetched_at) = self.raw_tags(repo, interval).await?;
        let mut tags = exclusion.apply(raw.as_ref().clone());
        sort_tags_descending(&mut tags);
        Ok(TagList {
            image: repo.canonical(),
            tags,
            origin,
            fetched_at,
        })
    }

    /// The raw tags of `repo` (no exclusion), their origin and fetch time.
    async fn raw_tags(
        &self,
        repo: &RepositoryRef,
        interval: Duration,
    ) -> Result<(Arc<Vec<String>>, Origin, Option<SystemTime>), RegistryError> {
        let image = repo.canonical();
        match &self.mode {
            Mode::Snapshot(snapshot) => match snapshot.get(repo) {
                Some(entry) => Ok((Arc::new(entry.tags.clone()), Origin::Snapshot, None)),
                None => Err(RegistryError::NotInSnapshot {
                    image,
                    snapshot: snapshot.origin().to_owned(),
                }),
            },
            Mode::Offline => match self.cached_tags(&image, None).await {
                Some((tags, at)) => Ok((Arc::new(tags), Origin::Cache, Some(at))),
                None => Err(RegistryError::NotCached { image }),
            },
            Mode::Online { .. } => {
                if let Some((tags, origin, at)) = self.fresh_tags(&image, interval).await {
                    return Ok((tags, origin, Some(at)));
                }
                let Some(client) = &self.client else {
                    return Err(RegistryError::NotCached { image });
                };
                let fetched = self
                    .tag_flights
                    .run(&image, || async {
                        // Another caller may have finished a fetch since we looked.
                        if let Some((tags, _, _)) = self.fresh_tags(&image, interval).await {
                            return Ok(tags);
                        }
                        let tags = Arc::new(client.list_tags(repo).await?);
                        let now = self.env.now();
                        self.record(|run| {
                            run.tags.insert(image.clone(), (Arc::clone(&tags), now));
                        });
                        self.write_cache(&image, |entry| {
                            entry
                                .digests
                                .retain(|tag, _| tags.binary_search_by(|t| tag.cmp(t)).is_ok());
                            entry.tags = Some((tags.as_ref().clone(), now));
                        })
                        .await;
                        Ok(tags)
                    })
                    .await?;
                Ok((fetched, Origin::Registry, Some(self.env.now())))
            }
        }
    }

    /// The digest of `repo:tag`, from the snapshot, the cache, or a `HEAD` of the manifest.
    pub async fn digest(
        &self,
        repo: &RepositoryRef,
        tag: &str,
        interval: Duration,
    ) -> Result<DigestInfo, RegistryError> {
        let image = repo.canonical();
        match &self.mode {
            Mode::Snapshot(snapshot) => snapshot
                .get(repo)
                .and_then(|e| e.digests.get(tag))
                .map(|d| DigestInfo {
                    digest: d.clone(),
                    origin: Origin::Snapshot,
                })
                .ok_or_else(|| RegistryError::DigestNotInSnapshot {
                    image,
                    tag: tag.to_owned(),
                    snapshot: snapshot.origin().to_owned(),
                }),
            Mode::Offline => self
                .cached_digest(&image, tag, None)
                .await
                .map(|digest| DigestInfo {
                    digest,
                    origin: Origin::Cache,
                })
                .ok_or(RegistryError::NotCached { image }),
            Mode::Online { .. } => {
                if let Some((digest, origin)) = self.fresh_digest(&image, tag, interval).await {
                    return Ok(DigestInfo { digest, origin });
                }
                let Some(client) = &self.client else {
                    return Err(RegistryError::NotCached { image });
                };
                let key = format!("{image}:{tag}");
                let digest = self
                    .digest_flights
                    .run(&key, || async {
                        // Another caller may have finished a fetch since we looked.
                        if let Some((digest, _)) = self.fresh_digest(&image, tag, interval).await {
                            return Ok(digest);
                        }
                        let digest = client.digest(repo, tag).await?;
                        let now = self.env.now();
                        self.record(|run| {
                            run.digests
                                .insert((image.clone(), tag.to_owned()), digest.clone());
                        });
                        self.write_cache(&image, |entry| {
                            entry.digests.insert(
                                tag.to_owned(),
                                CachedDigest {
                                    digest: digest.clone(),
                                    fetched_at: now,
                                },
                            );
                        })
                        .await;
                        Ok(digest)
                    })
                    .await?;
                Ok(DigestInfo {
                    digest,
                    origin: Origin::Registry,
                })
            }
        }
    }

    /// Builds a snapshot of `items` (from the cache where fresh, else the registry; or from the
    /// cache only offline), all images concurrently. Raw tags are exported: whoever reads the
    /// snapshot applies the exclusion list. Images that fail are left out and returned with
    /// their errors.
    pub async fn export(
        &self,
        items: &[ExportItem],
    ) -> (Snapshot, Vec<(RepositoryRef, RegistryError)>) {
        let results = futures_util::future::join_all(items.iter().map(|item| async move {
            let (tags, _, _) = self.raw_tags(&item.repo, item.interval).await?;
            let mut digests = BTreeMap::new();
            for tag in &item.digest_tags {
                let info = self.digest(&item.repo, tag, item.interval).await?;
                digests.insert(tag.clone(), info.digest);
            }
            Ok::<_, RegistryError>((tags.as_ref().clone(), digests))
        }))
        .await;
        let mut snapshot = Snapshot::new();
        let mut failures = Vec::new();
        for (item, result) in items.iter().zip(results) {
            match result {
                Ok((tags, digests)) => snapshot.insert(&item.repo, tags, digests),
                Err(e) => failures.push((item.repo.clone(), e)),
            }
        }
        (snapshot, failures)
    }

    /// Online, the raw tags that need no fetch, with where they came from and when they were
    /// fetched: refreshing, what this service fetched itself (the disk cache is not read);
    /// otherwise a disk cache entry younger than `interval`.
    async fn fresh_tags(
        &self,
        image: &str,
        interval: Duration,
    ) -> Option<(Arc<Vec<String>>, Origin, SystemTime)> {
        match &self.refreshed {
            Some(run) => {
                let run = run.lock().unwrap_or_else(PoisonError::into_inner);
                let (tags, at) = run.tags.get(image)?;
                Some((Arc::clone(tags), Origin::Registry, *at))
            }
            None => {
                let (tags, at) = self.cached_tags(image, Some(interval)).await?;
                Some((Arc::new(tags), Origin::Cache, at))
            }
        }
    }

    /// Online, the digest of `image:tag` that needs no fetch, as [`Self::fresh_tags`] decides.
    async fn fresh_digest(
        &self,
        image: &str,
        tag: &str,
        interval: Duration,
    ) -> Option<(String, Origin)> {
        match &self.refreshed {
            Some(run) => {
                let run = run.lock().unwrap_or_else(PoisonError::into_inner);
                let digest = run.digests.get(&(image.to_owned(), tag.to_owned()))?;
                Some((digest.clone(), Origin::Registry))
            }
            None => {
                let digest = self.cached_digest(image, tag, Some(interval)).await?;
                Some((digest, Origin::Cache))
            }
        }
    }

    /// Notes a registry answer in the run record (refreshing services only).
    fn record(&self, change: impl FnOnce(&mut RunRecord)) {
        if let Some(run) = &self.refreshed {
            change(&mut run.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// Cached raw tags, if there is an entry and (with `max_age`) it is fresh.
    async fn cached_tags(
        &self,
        image: &str,
        max_age: Option<Duration>,
    ) -> Option<(Vec<String>, SystemTime)> {
        let entry = self.cache.as_ref()?.load(image).await?;
        let (tags, at) = entry.tags?;
        match max_age {
            Some(interval) if !self.is_fresh(at, interval) => None,
            _ => Some((tags, at)),
        }
    }

    /// A cached digest, if there is one and (with `max_age`) it is fresh.
    async fn cached_digest(
        &self,
        image: &str,
        tag: &str,
        max_age: Option<Duration>,
    ) -> Option<String> {
        let entry = self.cache.as_ref()?.load(image).await?;
        let cached = entry.digests.get(tag)?;
        match max_age {
            Some(interval) if !self.is_fresh(cached.fetched_at, interval) => None,
            _ => Some(cached.digest.clone()),
        }
    }

    fn is_fresh(&self, fetched_at: SystemTime, interval: Duration) -> bool {
        let now = self.env.now();
        match now.duration_since(fetched_at) {
            Ok(age) => age < interval.max(MIN_FRESHNESS),
            // Written "in the future": a clock went back. Trust it no longer than a minute ahead.
            Err(e) => e.duration() <= MIN_FRESHNESS,
        }
    }

    async fn write_cache(&self, image: &str, change: impl FnOnce(&mut crate::cache::CacheEntry)) {
        if let Some(cache) = &self.cache
            && let Err(e) = cache.update(image, change).await
        {
            tracing::warn!(%image, dir = %cache.dir().display(), "cannot write the registry cache: {e}");
        }
    }
}
