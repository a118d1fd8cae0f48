//! `fluxtag tags --export FILE`: a tags snapshot of every ImageRepository of the repository,
//! from the registries (the cache in front), the cache only (`--offline`), or another snapshot
//! (`--tags-from`, which trims and normalises it), for later `--tags-from` runs without network.
//!
//! Raw tags are exported (whoever reads the snapshot applies each repository's exclusion list);
//! for policies that reflect digests, the digest of the tag each one selects is exported too.
//! Images that fail are left out and reported; the others are still written, and the command
//! exits 1. The writing is `fluxtag-registry`'s (`TagService::export`, `Snapshot::write`).

use std::path::Path;
use std::sync::Arc;

use fluxtag_registry::{Environment, ExportItem, SystemEnvironment};
use fluxtag_workspace::tags::{self, TagSource};

use crate::output::progress::Progress;
use crate::output::{self, Emitted};
use crate::{ExitStatus, TagsArgs};

/// Runs `fluxtag tags --export FILE`.
pub fn run(args: &TagsArgs) -> Result<ExitStatus, String> {
    let root = super::find_root(args.root.as_ref())?;
    let settings = args.tags.settings();
    let env: Arc<dyn Environment> = Arc::new(SystemEnvironment);
    let source = TagSource::new(&settings, Arc::clone(&env)).map_err(|e| e.to_string())?;
    let service = source.service();
    let workspace = super::load_workspace(&root, &args.cache, &settings, env.as_ref())?;
    let tags::ExportPlan { images, skipped } = tags::export_plan(&workspace.index);
    let runtime = super::runtime()?;
    let progress = (super::is_online(&settings) && !images.is_empty())
        .then(|| Progress::start(&super::reading_tags(images.len())));
    let items: Vec<ExportItem> = images.iter().map(|(_, item)| item.clone()).collect();
    let (mut snapshot, mut failures) = runtime.block_on(service.export(&items));
    let mut digest_failures = Vec::new();
    for (canonical, wanted) in tags::digests_to_export(&workspace.index, &snapshot) {
        let Some((_, item)) = images.iter().find(|(c, _)| *c == canonical) else {
            continue;
        };
        let Some(entry) = snapshot.get(&item.repo).cloned() else {
            continue;
        };
        let mut digests = entry.digests.clone();
        for tag in wanted {
            match runtime.block_on(service.digest(&item.repo, &tag, item.interval)) {
                Ok(info) => {
                    digests.insert(tag, info.digest);
                }
                Err(error) => digest_failures.push(format!("{canonical}:{tag}: {error}")),
            }
        }
        snapshot.insert(&item.repo, entry.tags, digests);
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
