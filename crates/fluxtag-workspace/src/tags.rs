//! Tags for every ImageRepository of a workspace, from a snapshot, the cache or the registries.
//!
//! [`TagTable::fetch`] asks `fluxtag-registry`'s `TagService` for every repository at once (one
//! request per image however many policies share it), then for the digests of the tags selected
//! by policies that reflect digests, and returns a table the pure core can resolve against.
//! A failure for one image never stops the others: it becomes that image's `registry-error`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fluxtag_core::index::RepositoryEntry;
use fluxtag_core::resolve::{TagLookup, TagSet};
use fluxtag_policy::image_ref::ImageRef;
use fluxtag_registry::{
    ClientOptions, DiskCache, Environment, Mode, Origin, RegistryClient, RepositoryRef, Scheme,
    Snapshot, TagService,
};

use crate::{Workspace, WorkspaceError};

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

/// What a repository's `interval` says about cache freshness: Go duration syntax
/// (`1h30m`, `5m`, `90s`, `1.5h`); unreadable or absent means one minute.
pub fn interval(repository: &RepositoryEntry) -> Duration {
    repository
        .object
        .interval
        .as_ref()
        .and_then(|i| parse_go_duration(&i.value))
        .unwrap_or(Duration::from_secs(60))
}

/// Parses a Go duration of hours, minutes, seconds and milliseconds.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let (unit, scale) = if rest.starts_with("ms") {
            ("ms", 0.001)
        } else if rest.starts_with('h') {
            ("h", 3600.0)
        } else if rest.starts_with('m') {
            ("m", 60.0)
        } else if rest.starts_with('s') {
            ("s", 1.0)
        } else {
            return None;
        };
        rest = &rest[unit.len()..];
        total += number * scale;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The registry coordinates of a repository, or why there are none.
fn repository_ref(repository: &RepositoryEntry) -> Result<(RepositoryRef, ImageRef), String> {
    let image = repository
        .image
        .as_ref()
        .ok_or_else(|| "the image is not known".to_string())?;
    let parsed = ImageRef::parse(image, repository.object.insecure).map_err(|e| e.to_string())?;
    let scheme = if parsed.insecure_default {
        Scheme::Http
    } else {
        Scheme::Https
    };
    Ok((
        RepositoryRef::new(parsed.registry.clone(), parsed.repository.clone(), scheme),
        parsed,
    ))
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
    /// Fetches the tags of every repository of `workspace`, then the digests the policies that
    /// reflect digests need.
    pub async fn fetch(
        workspace: &Workspace,
        source: &TagSource,
        env: &dyn Environment,
    ) -> TagTable {
        let index = &workspace.index;
        let repositories = fluxtag_core::resolve::images_to_fetch(index);
        let requests = repositories
            .iter()
            .map(|(canonical, repository)| async move {
                let lookup = match repository_ref(repository) {
                    Err(message) => TagLookup::Failed(message),
                    Ok((reference, _)) => {
                        // The core applies the repository's own exclusion list; here only the
                        // service's contract is met with an exclusion list that excludes nothing
                        // the core would keep.
                        let exclusion = fluxtag_core::resolve::exclusion_list(
                            &repository.object.exclusion_patterns(),
                        )
                        .unwrap_or_default();
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
        table.fetch_digests(workspace, source).await;
        table
    }

    /// Fetches the digest of each selected tag whose policy reflects digests.
    async fn fetch_digests(&mut self, workspace: &Workspace, source: &TagSource) {
        let reflects = |policy: &fluxtag_core::index::PolicyEntry| {
            policy
                .object
                .digest_reflection
                .as_ref()
                .is_some_and(|d| d.value == "Always" || d.value == "IfNotPresent")
        };
        if !workspace.index.policies.iter().any(reflects) {
            return; // resolving only to find selected tags would be wasted work
        }
        let report = workspace.resolve(self);
        let mut wanted: Vec<(String, RepositoryRef, String, Duration)> = Vec::new();
        for (policy, evaluated) in workspace.index.policies.iter().zip(&report.policies) {
            let (true, Some(latest)) = (reflects(policy), &evaluated.latest) else {
                continue;
            };
            let Some(repository) = workspace.index.repository_of(policy) else {
                continue;
            };
            let Ok((reference, parsed)) = repository_ref(repository) else {
                continue;
            };
            wanted.push((
                parsed.canonical(),
                reference,
                latest.tag.clone(),
                interval(repository),
            ));
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

    /// The lookup of one image.
    pub fn lookup(&self, canonical: &str, _repository: &RepositoryEntry) -> TagLookup {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("5x"), None);
        assert_eq!(parse_go_duration(""), None);
    }
}
