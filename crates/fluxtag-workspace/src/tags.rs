//! Tags for every ImageRepository of a workspace, from a snapshot, the cache or the registries.
//!
//! [`TagTable::fetch`] asks `fluxtag-registry`'s `TagService` for every repository at once (one
//! request per image however many policies share it), then for the digests of the tags selected
//! by policies that reflect digests, and returns a table the pure core can resolve against.
//! A failure for one image never stops the others: it becomes that image's `registry-error`.
//! [`export_plan`] and [`digests_to_export`] plan `fluxtag tags --export` the same way. The
//! image → registry mapping is [`registry_ref`]'s alone.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeSet;

use fluxtag_core::index::{Index, RepositoryEntry};
use fluxtag_core::resolve::{TagLookup, TagSet, digests_wanted, evaluate_policies};
use fluxtag_policy::exclusion::ExclusionList;
use fluxtag_registry::{
    ClientOptions, DiskCache, Environment, ExportItem, Mode, Origin, RegistryClient, RepositoryRef,
    Snapshot, TagService,
};

use crate::WorkspaceError;

/// Where tags come from (the `check` and `lsp` flags `--tags-from`, `--offline`, `--cache-dir`,
/// `--refresh`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSettings {
    /// A snapshot file instead of any registry.
    pub tags_from: Option<PathBuf>,
    /// The cache only, whatever its age.
    pub offline: bool,
    /// The cache directory (default: the user's cache directory).
    pub cache_dir: Option<PathBuf>,
    /// Ignore fresh cache entries.
    pub refresh: bool,
}

/// A ready tag source.
pub struct TagSource {
    service: TagService,
}

impl std::fmt::Debug for TagSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagSource")
            .field("service", &self.service)
            .finish()
    }
}

impl TagSource {
    /// The registry crate's service behind this source (for `fluxtag tags --export`).
    pub fn service(&self) -> &TagService {
        &self.service
    }

    /// Sets up the source `settings` describe.
    pub fn new(
        settings: &TagSettings,
        env: Arc<dyn Environment>,
    ) -> Result<TagSource, WorkspaceError> {
        let mode = if let Some(path) = &settings.tags_from {
            let snapshot = Snapshot::read(path).map_err(|e| WorkspaceError::Tags(e.to_string()))?;
            Mode::Snapshot(Arc::new(snapshot))
        } else if settings.offline {
            Mode::Offline
        } else {
            Mode::Online {
                refresh: settings.refresh,
            }
        };
        let cache_dir = settings
            .cache_dir
            .clone()
            .or_else(|| DiskCache::default_dir(env.as_ref()));
        let cache = cache_dir.map(|dir| Arc::new(DiskCache::new(dir)));
        let client = match mode {
            Mode::Online { .. } => Some(Arc::new(
                RegistryClient::new(ClientOptions::default(), Arc::clone(&env))
                    .map_err(|e| WorkspaceError::Tags(e.to_string()))?,
            )),
            _ => None,
        };
        Ok(TagSource {
            service: TagService::new(mode, client, cache, env),
        })
    }
}

/// The tags of every repository, by canonical image name.
#[derive(Debug, Clone, Default)]
pub struct TagTable {
    entries: BTreeMap<String, TagLookup>,
}

/// What a repository's `interval` says about cache freshness (the API's duration grammar,
/// `flux::parse_duration`); unreadable or absent means one minute.
pub fn interval(repository: &RepositoryEntry) -> Duration {
    repository
        .object
        .interval
        .as_ref()
        .and_then(|i| fluxtag_core::flux::parse_duration(&i.value))
        .unwrap_or(Duration::from_secs(60))
}

/// The registry coordinates of a repository's image (plain HTTP for `spec.insecure` and local
/// registries, spec §3.1), or why there are none.
pub fn registry_ref(repository: &RepositoryEntry) -> Result<RepositoryRef, String> {
    match &repository.image_ref {
        None => Err("the image is not known".to_string()),
        Some(Err(error)) => Err(error.to_string()),
        Some(Ok(image)) => Ok(RepositoryRef::from(image)),
    }
}

/// What `fluxtag tags --export` fetches: every image the repositories name, once each, in
/// canonical order, and the repositories without a usable `spec.image` (templated or invalid).
#[derive(Debug, Clone, Default)]
pub struct ExportPlan {
    /// One export item per image, with its canonical name.
    pub images: Vec<(String, ExportItem)>,
    /// `namespace/name` of each repository left out.
    pub skipped: Vec<String>,
}

/// The [`ExportPlan`] of an index.
pub fn export_plan(index: &Index) -> ExportPlan {
    let mut plan = ExportPlan::default();
    let mut seen = BTreeSet::new();
    for repository in index.repositories() {
        let (Some(image), Ok(reference)) = (repository.valid_image(), registry_ref(repository))
        else {
            plan.skipped.push(repository.display_name());
            continue;
        };
        let canonical = image.canonical();
        if !seen.insert(canonical.clone()) {
            continue;
        }
        plan.images.push((
            canonical,
            ExportItem {
                repo: reference,
                interval: interval(repository),
                digest_tags: Vec::new(),
            },
        ));
    }
    plan.images.sort_by(|a, b| a.0.cmp(&b.0));
    plan
}

/// The tags whose digests an export needs: those the policies that reflect digests select from
/// the tags in `snapshot`, by canonical image.
pub fn digests_to_export(index: &Index, snapshot: &Snapshot) -> BTreeMap<String, BTreeSet<String>> {
    let entries: BTreeMap<String, TagLookup> = snapshot
        .entries()
        .map(|(canonical, entry)| {
            let set = TagSet {
                tags: entry.tags.clone(),
                digests: BTreeMap::new(),
                source: "export".to_string(),
            };
            (canonical.to_string(), TagLookup::Found(set))
        })
        .collect();
    let table = TagTable::from_entries(entries);
    let policies = evaluate_policies(index, &|canonical, _| table.lookup(canonical));
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for digest in digests_wanted(index, &policies) {
        wanted
            .entry(digest.canonical)
            .or_default()
            .insert(digest.tag);
    }
    wanted
}

fn source_label(origin: Origin, age: Option<Duration>) -> String {
    match (origin, age) {
        (Origin::Snapshot, _) => "snapshot".to_string(),
        (Origin::Registry, _) => "registry".to_string(),
        (Origin::Cache, Some(age)) => format!("cache, {} old", human_age(age)),
        (Origin::Cache, None) => "cache".to_string(),
    }
}

/// `45 s`, `12 min`, `3 h`, `2 d`.
pub fn human_age(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

impl TagTable {
    /// Fetches the tags of every repository of `index`, then the digests the policies that
    /// reflect digests need.
    pub async fn fetch(index: &Index, source: &TagSource, env: &dyn Environment) -> TagTable {
        let repositories = fluxtag_core::resolve::images_to_fetch(index);
        let requests = repositories
            .iter()
            .map(|(canonical, repository)| async move {
                let lookup = match registry_ref(repository) {
                    Err(message) => TagLookup::Failed(message),
                    Ok(reference) => {
                        // Raw tags: the core applies each repository's own exclusion list (and
                        // `fluxtag explain` shows what it removed). The entry is by image, and
                        // two ImageRepositories of one image may exclude differently.
                        let exclusion = ExclusionList::nothing();
                        match source
                            .service
                            .tags(&reference, interval(repository), &exclusion)
                            .await
                        {
                            Ok(list) => TagLookup::Found(TagSet {
                                tags: list.tags,
                                digests: BTreeMap::new(),
                                source: source_label(
                                    list.origin,
                                    list.fetched_at
                                        .and_then(|at| env.now().duration_since(at).ok()),
                                ),
                            }),
                            Err(error) => TagLookup::Failed(error.to_string()),
                        }
                    }
                };
                (canonical.clone(), lookup)
            });
        let entries = futures_util::future::join_all(requests).await;
        let mut table = TagTable {
            entries: entries.into_iter().collect(),
        };
        table.fetch_digests(index, source).await;
        table
    }

    /// Fetches the digest of each selected tag whose policy reflects digests (the policies are
    /// evaluated over the tags fetched; no marker is resolved).
    async fn fetch_digests(&mut self, index: &Index, source: &TagSource) {
        if !index
            .policies()
            .iter()
            .any(|p| p.object.digest_reflection().reflects())
        {
            return; // evaluating only to find selected tags would be wasted work
        }
        let policies = evaluate_policies(index, &|canonical, _| self.lookup(canonical));
        let mut seen = BTreeSet::new();
        let mut wanted: Vec<(String, RepositoryRef, String, Duration)> = Vec::new();
        for digest in digests_wanted(index, &policies) {
            let Ok(reference) = registry_ref(digest.repository) else {
                continue;
            };
            if seen.insert((digest.canonical.clone(), digest.tag.clone())) {
                wanted.push((
                    digest.canonical,
                    reference,
                    digest.tag,
                    interval(digest.repository),
                ));
            }
        }
        let requests = wanted
            .into_iter()
            .map(|(canonical, reference, tag, interval)| async move {
                let digest = source.service.digest(&reference, &tag, interval).await;
                (canonical, tag, digest)
            });
        for (canonical, tag, digest) in futures_util::future::join_all(requests).await {
            if let (Some(TagLookup::Found(set)), Ok(info)) =
                (self.entries.get_mut(&canonical), digest)
            {
                set.digests.insert(tag, info.digest);
            }
        }
    }

    /// A table from fixed lookups (tests, and the language server's in-memory layer).
    pub fn from_entries(entries: BTreeMap<String, TagLookup>) -> TagTable {
        TagTable { entries }
    }

    /// The lookup of one image, by canonical name.
    pub fn lookup(&self, canonical: &str) -> TagLookup {
        self.entries
            .get(canonical)
            .cloned()
            .unwrap_or_else(|| TagLookup::Failed(format!("no tags were fetched for {canonical}")))
    }

    /// Every entry.
    pub fn entries(&self) -> &BTreeMap<String, TagLookup> {
        &self.entries
    }
}
