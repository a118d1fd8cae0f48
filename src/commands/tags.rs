//! `fluxtag tags --export FILE`: a tags snapshot of every ImageRepository of the repository,
//! from the registries (the cache in front), the cache only (`--offline`), or another snapshot
//! (`--tags-from`, which trims and normalises it), for later `--tags-from` runs without network.
//!
//! Raw tags are exported (whoever reads the snapshot applies each repository's exclusion list);
//! for policies that reflect digests, the digest of the tag each one selects is exported too.
//! Images that fail are left out and reported; the others are still written, and the command
//! exits 1. The writing is `fluxtag-registry`'s (`TagService::export`, `Snapshot::write`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use fluxtag_core::resolve::{TagLookup, TagSet};
use fluxtag_policy::image_ref::ImageRef;
use fluxtag_registry::{
    Environment, ExportItem, RepositoryRef, Scheme, Snapshot, SystemEnvironment,
};
use fluxtag_workspace::tags::TagSource;
use fluxtag_workspace::{TagTable, Workspace};

use crate::output::progress::Progress;
use crate::output::{self, Emitted};
use crate::{ExitStatus, TagsArgs};

/// One image to export: its registry coordinates and how long its cache entries stay fresh.
struct Image {
    canonical: String,
    item: ExportItem,
}

/// Every image the repository's ImageRepositories name, once each, in canonical order, and the
/// names of the repositories without a usable `spec.image` (templated or invalid).
fn images(workspace: &Workspace) -> (Vec<Image>, Vec<String>) {
    let mut seen = BTreeSet::new();
    let mut images = Vec::new();
    let mut skipped = Vec::new();
    for repository in &workspace.index.repositories {
        let parsed = repository
            .image
            .as_ref()
            .and_then(|image| ImageRef::parse(image, repository.object.insecure).ok());
        let Some(parsed) = parsed else {
            skipped.push(match &repository.namespace {
                Some(namespace) => format!("{namespace}/{}", repository.name),
                None => repository.name.clone(),
            });
            continue;
        };
        let canonical = parsed.canonical();
        if !seen.insert(canonical.clone()) {
            continue;
        }
        let scheme = if parsed.insecure_default {
            Scheme::Http
        } else {
            Scheme::Https
        };
        images.push(Image {
            canonical,
            item: ExportItem {
                repo: RepositoryRef::new(parsed.registry, parsed.repository, scheme),
                interval: fluxtag_workspace::tags::interval(repository),
                digest_tags: Vec::new(),
            },
        });
    }
    images.sort_by(|a, b| a.canonical.cmp(&b.canonical));
    (images, skipped)
}

/// The tags each policy that reflects digests selects from `snapshot`, by canonical image.
fn digest_tags(workspace: &Workspace, snapshot: &Snapshot) -> BTreeMap<String, BTreeSet<String>> {
    let entries = snapshot
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
    let report = workspace.resolve(&TagTable::from_entries(entries));
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (policy, evaluated) in workspace.index.policies.iter().zip(&report.policies) {
        let reflects = policy
            .object
            .digest_reflection
            .as_ref()
            .is_some_and(|d| d.value == "Always" || d.value == "IfNotPresent");
        let (true, Some(latest), Some(image)) = (reflects, &evaluated.latest, &evaluated.image)
        else {
            continue;
        };
        let insecure = workspace
            .index
            .repository_of(policy)
            .is_some_and(|r| r.object.insecure);
        if let Ok(parsed) = ImageRef::parse(image, insecure) {
            wanted
                .entry(parsed.canonical())
                .or_default()
                .insert(latest.tag.clone());
        }
    }
    wanted
}

/// Runs `fluxtag tags --export FILE`.
pub fn run(args: &TagsArgs) -> Result<ExitStatus, String> {
    let root = super::find_root(args.root.as_ref())?;
    let settings = args.tags.settings();
    let env: Arc<dyn Environment> = Arc::new(SystemEnvironment);
    let source = TagSource::new(&settings, Arc::clone(&env)).map_err(|e| e.to_string())?;
    let service = source.service();
    let workspace = super::load_workspace(&root, &args.cache, &settings, env.as_ref())?;
    let (images, skipped) = images(&workspace);
    let runtime = super::runtime()?;
    let progress = (super::is_online(&settings) && !images.is_empty())
        .then(|| Progress::start(&super::reading_tags(images.len())));
    let items: Vec<ExportItem> = images.iter().map(|i| i.item.clone()).collect();
    let (mut snapshot, mut failures) = runtime.block_on(service.export(&items));
    let mut digest_failures = Vec::new();
    for (canonical, tags) in digest_tags(&workspace, &snapshot) {
        let Some(image) = images.iter().find(|i| i.canonical == canonical) else {
            continue;
        };
        let Some(entry) = snapshot.get(&image.item.repo).cloned() else {
            continue;
        };
        let mut digests = entry.digests.clone();
        for tag in tags {
            match runtime.block_on(service.digest(&image.item.repo, &tag, image.item.interval)) {
                Ok(info) => {
                    digests.insert(tag, info.digest);
                }
                Err(error) => digest_failures.push(format!("{canonical}:{tag}: {error}")),
            }
        }
        snapshot.insert(&image.item.repo, entry.tags, digests);
    }
    drop(progress);
    failures.sort_by_key(|(repo, _)| repo.canonical());
    let to_stdout = args.export == Path::new("-");
    if to_stdout {
        if output::emit(&snapshot.to_json())? == Emitted::BrokenPipe {
            return Ok(ExitStatus::Success);
        }
    } else {
        snapshot.write(&args.export).map_err(|e| e.to_string())?;
    }
    for name in &skipped {
        eprintln!(
            "fluxtag: ImageRepository {name}: skipped: its spec.image is not known or not valid"
        );
    }
    for (repo, error) in &failures {
        eprintln!("fluxtag: {}: not exported: {error}", repo.canonical());
    }
    for failure in &digest_failures {
        eprintln!("fluxtag: {failure}: digest not exported");
    }
    if !to_stdout {
        eprintln!(
            "fluxtag: wrote the tags of {} image{} to {}",
            snapshot.len(),
            if snapshot.len() == 1 { "" } else { "s" },
            args.export.display()
        );
    }
    Ok(ExitStatus::failure_if(
        !failures.is_empty() || !digest_failures.is_empty(),
    ))
}
