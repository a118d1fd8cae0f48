//! `fluxtag policies`: every ImagePolicy with its latest tag, as a table and as JSON.

use serde_json::Value;

use crate::support::{example_copy, fixture_copy, fluxtag, transcript};

#[test]
fn human_table_on_the_example() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &["policies", "--root", ".", "--tags-from", "tags.json"],
    );
    // radarr selects nothing: a warning, so the listing still exits 0.
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    insta::assert_snapshot!("policies_human", transcript(&output));
}

#[test]
fn json_on_the_example() {
    let dir = example_copy();
    let output = fluxtag(
        dir.path(),
        &[
            "policies",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let policies = value["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 6);
    for policy in policies {
        for key in [
            "namespace",
            "name",
            "file",
            "line",
            "image",
            "latest",
            "error",
        ] {
            assert!(policy.get(key).is_some(), "{key} missing in {policy}");
        }
    }
    let sonarr = policies.iter().find(|p| p["name"] == "sonarr").unwrap();
    assert_eq!(
        sonarr["latest"],
        serde_json::json!({"tag": "4.0.11", "digest": null})
    );
    assert_eq!(sonarr["image"], "ghcr.io/onedr0p/sonarr");
    assert_eq!(sonarr["error"], Value::Null);
    let radarr = policies.iter().find(|p| p["name"] == "radarr").unwrap();
    assert_eq!(radarr["latest"], Value::Null);
    assert_eq!(radarr["error"]["code"], "no-matching-tag");
    insta::assert_snapshot!("policies_json", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn without_tags_every_policy_reports_the_registry_error() {
    let dir = fixture_copy("stale");
    let cache = tempfile::tempdir().unwrap();
    let output = fluxtag(
        dir.path(),
        &[
            "policies",
            "--root",
            ".",
            "--offline",
            "--cache-dir",
            cache.path().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let policy = &value["policies"][0];
    assert_eq!(policy["latest"], Value::Null);
    assert_eq!(policy["error"]["code"], "registry-error");
    assert_eq!(policy["rule"], "semver >=1.0.0");
}

#[test]
fn an_invalid_policy_fails_the_listing() {
    let dir = fixture_copy("stale");
    let path = dir.path().join("flux/image-automation.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\">=1.0.0\"", "\">=1.0.0 <<\"")).unwrap();
    let output = fluxtag(
        dir.path(),
        &[
            "policies",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["policies"][0]["error"]["code"], "policy-invalid");
}
