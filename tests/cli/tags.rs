//! `fluxtag tags --export FILE`: snapshots from another snapshot, from a registry on 127.0.0.1
//! (with the digests of policies that reflect them) and from the cache alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{Registry, example_copy, fake_digest, fluxtag, transcript};

#[test]
fn export_from_a_snapshot_normalises_it() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &[
            "tags",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--export",
            "exported.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "fluxtag: wrote the tags of 6 images to exported.json\n"
    );
    let exported = std::fs::read_to_string(dir.path().join("exported.json")).unwrap();
    insta::assert_snapshot!("tags_export_example", exported);

    // `-` writes to standard output, the same text.
    let stdout = fluxtag(
        dir.path(),
        &[
            "tags",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--export",
            "-",
        ],
    );
    assert_eq!(stdout.status.code(), Some(0), "{}", transcript(&stdout));
    assert_eq!(String::from_utf8_lossy(&stdout.stdout), exported);

    // The export is a valid tag source giving the same findings.
    let original = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
        ],
    );
    let again = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "exported.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(original.stdout, again.stdout);
}

/// A repository naming images on `registry`: `acme/app` (served, digests reflected) and
/// `acme/gone` (not served).
fn registry_repository(dir: &Path, registry: &str) {
    std::fs::write(
        dir.join("images.yaml"),
        format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  image: {registry}/acme/app\n  interval: 1h\n---\n\
             apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: gone\n  namespace: ns\nspec:\n  image: {registry}/acme/gone\n  interval: 1h\n---\n\
             apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: app\n  digestReflectionPolicy: Always\n  interval: 5m\n  policy:\n    semver:\n      range: '>=1.0.0'\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("deploy.yaml"),
        format!("image: {registry}/acme/app:1.0.0 # {{\"$imagepolicy\": \"ns:app\"}}\n"),
    )
    .unwrap();
}

#[test]
fn export_from_a_registry_then_from_the_cache() {
    let registry = Registry::start(BTreeMap::from([(
        "acme/app".to_string(),
        vec![
            "1.0.0".to_string(),
            "1.1.0".to_string(),
            "1.1.0.sig".to_string(),
        ],
    )]));
    let dir = tempfile::tempdir().unwrap();
    registry_repository(dir.path(), &registry.host);
    let cache = dir.path().join(".cache");
    let cache = cache.to_str().unwrap();

    let online = fluxtag(
        dir.path(),
        &[
            "tags",
            "--root",
            ".",
            "--cache-dir",
            cache,
            "--export",
            "online.json",
        ],
    );
    // acme/gone fails: it is reported, the rest is written, and the command exits 1.
    assert_eq!(online.status.code(), Some(1), "{}", transcript(&online));
    let stderr = String::from_utf8_lossy(&online.stderr);
    assert!(
        stderr.contains(&format!(
            "fluxtag: {}/acme/gone: not exported:",
            registry.host
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("wrote the tags of 1 image to online.json"),
        "{stderr}"
    );
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("online.json")).unwrap())
            .unwrap();
    let key = format!("{}/acme/app", registry.host);
    // Raw tags (the reader applies the exclusion list), and the digest of the selected tag.
    assert_eq!(
        snapshot,
        serde_json::json!({
            key.clone(): {
                "tags": ["1.1.0.sig", "1.1.0", "1.0.0"],
                "digests": {"1.1.0": fake_digest("1.1.0")}
            }
        })
    );
    assert!(
        registry
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.starts_with("HEAD /v2/acme/app/manifests/1.1.0")),
        "{:?}",
        registry.requests.lock().unwrap()
    );

    // Offline, the cache alone gives the same snapshot without a single request.
    let requests = registry.requests.lock().unwrap().len();
    let offline = fluxtag(
        dir.path(),
        &[
            "tags",
            "--root",
            ".",
            "--offline",
            "--cache-dir",
            cache,
            "--export",
            "offline.json",
        ],
    );
    assert_eq!(offline.status.code(), Some(1), "{}", transcript(&offline));
    assert_eq!(registry.requests.lock().unwrap().len(), requests);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("offline.json")).unwrap(),
        std::fs::read_to_string(dir.path().join("online.json")).unwrap()
    );

    // And the snapshot decides the marker: stale, with the digest Flux would write.
    let check = fluxtag(
        dir.path(),
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "online.json",
            "--format",
            "json",
        ],
    );
    let value: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(value["markers"][0]["status"], "stale", "{value}");
    assert_eq!(
        value["markers"][0]["expected"],
        format!("{key}:1.1.0@{}", fake_digest("1.1.0"))
    );
}

#[test]
fn offline_with_an_empty_cache_exports_nothing_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    registry_repository(dir.path(), "127.0.0.1:9");
    let cache = tempfile::tempdir().unwrap();
    let output = fluxtag(
        dir.path(),
        &[
            "tags",
            "--root",
            ".",
            "--offline",
            "--cache-dir",
            cache.path().to_str().unwrap(),
            "--export",
            "out.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.json")).unwrap(),
        "{}\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("127.0.0.1:9/acme/app: not exported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("127.0.0.1:9/acme/gone: not exported"),
        "{stderr}"
    );
}

#[test]
fn export_needs_a_file() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &["tags", "--root", ".", "--tags-from", "tags.json"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
}
