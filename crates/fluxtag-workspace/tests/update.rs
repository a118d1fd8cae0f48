//! `Workspace::update_report`: after a change, the report it keeps up to date equals a full
//! `Workspace::update` followed by `Workspace::resolve`, whether it takes the per-file path (a
//! file without objects) or rebuilds everything (a file with objects, a kustomize patch).

// Test code may panic on what it set up itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use fluxtag_core::resolve::Report;
use fluxtag_workspace::tags::TagSource;
use fluxtag_workspace::{TagSettings, TagTable, Updated, Workspace};

/// Every marker and diagnostic of a report, rendered (policy evaluations are compared through
/// the markers and diagnostics they produce).
fn summary(report: &Report) -> String {
    let markers: Vec<String> = report
        .markers
        .iter()
        .map(|m| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                m.path, m.marker.scalar, m.status, m.expected, m.policy
            )
        })
        .collect();
    format!("{markers:#?}\n{:#?}", report.diagnostics)
}

/// The bundled example with its snapshot's tags.
async fn example() -> (Workspace, TagTable) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/homelab");
    let workspace = Workspace::load(&root).unwrap();
    let settings = TagSettings {
        tags_from: Some(root.join("tags.json")),
        ..TagSettings::default()
    };
    let env: Arc<dyn fluxtag_registry::Environment> = Arc::new(fluxtag_registry::SystemEnvironment);
    let source = TagSource::new(&settings, Arc::clone(&env)).unwrap();
    let tags = TagTable::fetch(&workspace.index, &source, env.as_ref()).await;
    (workspace, tags)
}

/// Applies `changes` both ways and compares; returns how far `update_report` went.
fn both_ways(
    workspace: &Workspace,
    tags: &TagTable,
    changes: Vec<(String, Option<Vec<u8>>)>,
) -> Updated {
    let mut full = workspace.clone();
    full.update(changes.clone());
    let expected = full.resolve(tags);

    let mut incremental = workspace.clone();
    let mut report = incremental.resolve(tags);
    let updated = incremental.update_report(changes, &mut report, tags);
    assert_eq!(summary(&report), summary(&expected));
    assert_eq!(incremental.texts, full.texts);
    assert_eq!(
        format!("{:?}", incremental.index.files()),
        format!("{:?}", full.index.files())
    );
    updated
}

/// The text of `path` with `from` replaced by `to` (which must occur).
fn edited(workspace: &Workspace, path: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(workspace.texts[path].clone()).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    text.replacen(from, to, 1).into_bytes()
}

#[tokio::test]
async fn a_marker_file_is_resolved_alone_and_equals_a_full_update() {
    let (workspace, tags) = example().await;
    let path = "kubernetes/apps/media/prowlarr/app/deployment.yaml";
    let typo = edited(
        &workspace,
        path,
        "flux-system:prowlar\"",
        "flux-system:sonar\"",
    );
    let updated = both_ways(&workspace, &tags, vec![(path.to_string(), Some(typo))]);
    assert_eq!(updated, Updated::Files);
    // Removing the file takes the same path.
    let updated = both_ways(&workspace, &tags, vec![(path.to_string(), None)]);
    assert_eq!(updated, Updated::Files);
}

#[tokio::test]
async fn a_file_gaining_an_object_rebuilds_everything() {
    let (workspace, tags) = example().await;
    let path = "kubernetes/apps/media/prowlarr/app/deployment.yaml";
    let mut text = workspace.texts[path].clone();
    text.extend_from_slice(
        b"---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: extra\n  namespace: flux-system\nspec:\n  image: ghcr.io/org/extra\n  interval: 1h\n",
    );
    let updated = both_ways(&workspace, &tags, vec![(path.to_string(), Some(text))]);
    assert_eq!(updated, Updated::Everything);
}

#[tokio::test]
async fn a_policy_file_change_rebuilds_everything() {
    let (workspace, tags) = example().await;
    let policy_file = workspace
        .index
        .policies()
        .first()
        .map(|p| p.object.origin.path.clone())
        .unwrap();
    let text = workspace.texts[&policy_file].clone();
    let mut changed = text.clone();
    changed.extend_from_slice(b"\n# a comment\n");
    let updated = both_ways(&workspace, &tags, vec![(policy_file, Some(changed))]);
    assert_eq!(updated, Updated::Everything);
}
