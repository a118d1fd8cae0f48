//! `fluxtag explain POLICY` (issue 13): each stage of a policy's evaluation on the bundled
//! example, human and JSON (both contracts pinned), and its exit codes.

use serde_json::Value;

use crate::support::{example_copy, fluxtag, transcript};

fn explain(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let args = [
        &["explain", "--root", ".", "--tags-from", "tags.json"][..],
        extra,
    ]
    .concat();
    fluxtag(dir, &args)
}

/// A semver policy that selects a tag: the ranking decides (exit 0).
#[test]
fn a_selecting_policy_shows_its_ranking() {
    let dir = example_copy();
    let output = explain(dir.path(), &["flux-system:sonarr"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    insta::assert_snapshot!("explain_sonarr_human", transcript(&output));
}

/// A policy that selects nothing: the stage that left nothing, with the user's reason (exit 1).
#[test]
fn a_policy_that_selects_nothing_names_the_stage() {
    let dir = example_copy();
    let output = explain(dir.path(), &["radarr"]);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    insta::assert_snapshot!("explain_radarr_human", transcript(&output));
}

/// filterTags with an extract template and the numerical policy.
#[test]
fn filter_tags_and_numerical() {
    let dir = example_copy();
    let output = explain(dir.path(), &["flux-system:prowlarr", "--all"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    insta::assert_snapshot!("explain_prowlarr_human", transcript(&output));
}

/// The JSON contract (README "fluxtag explain"): every policy of the example, and the
/// explanation agrees with `fluxtag policies` on what is selected.
#[test]
fn json_agrees_with_policies() {
    let dir = example_copy();
    let listed = fluxtag(
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
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    for policy in listed["policies"].as_array().unwrap() {
        let name = format!(
            "{}:{}",
            policy["namespace"].as_str().unwrap(),
            policy["name"].as_str().unwrap()
        );
        let output = explain(dir.path(), &[&name, "--format", "json"]);
        let value: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", transcript(&output)));
        let explanation = &value["explanations"][0];
        let evaluation = &explanation["evaluation"];
        assert_eq!(
            evaluation["selected"], policy["latest"]["tag"],
            "{name}: {evaluation}"
        );
        assert_eq!(explanation["latest"], policy["latest"], "{name}");
        let expected_exit = if policy["latest"].is_null() { 1 } else { 0 };
        assert_eq!(output.status.code(), Some(expected_exit), "{name}");
        if name == "flux-system:sonarr" {
            insta::assert_snapshot!(
                "explain_sonarr_json",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
}

/// An unknown policy and a malformed name are usage errors (exit 2) that say what to do.
#[test]
fn unknown_and_malformed_names_exit_2() {
    let dir = example_copy();
    let unknown = explain(dir.path(), &["flux-system:nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", transcript(&unknown));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("flux-system:nope") && stderr.contains("fluxtag policies"),
        "{stderr}"
    );
    let malformed = explain(dir.path(), &["flux-system:"]);
    assert_eq!(
        malformed.status.code(),
        Some(2),
        "{}",
        transcript(&malformed)
    );
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("NAMESPACE:NAME"));
}

/// Long stages show their first five entries and a count; `--all` lists every tag. The
/// exclusion stage names the default pattern that removed signature tags.
#[test]
fn long_lists_are_elided_unless_all() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '>=2.0.0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: ns\nspec:\n  image: ghcr.io/org/app\n  interval: 1h\n",
    )
    .unwrap();
    let tags: Vec<String> = (0..8)
        .map(|i| format!("1.{i}.0"))
        .chain(["2.0.0".to_owned(), "2.0.0.sig".to_owned()])
        .collect();
    std::fs::write(
        dir.path().join("tags.json"),
        serde_json::json!({ "ghcr.io/org/app": tags }).to_string(),
    )
    .unwrap();
    let short = explain(dir.path(), &["ns:app"]);
    assert_eq!(short.status.code(), Some(0), "{}", transcript(&short));
    let text = String::from_utf8_lossy(&short.stdout);
    assert!(text.contains("8 of 9 candidates not usable"), "{text}");
    assert!(text.contains("… and 3 more (--all lists them)"), "{text}");
    assert!(text.contains("2.0.0.sig  by `^.*\\.sig$`"), "{text}");
    assert!(!text.contains("1.0.0 "), "{text}");
    let all = explain(dir.path(), &["ns:app", "--all"]);
    let text = String::from_utf8_lossy(&all.stdout);
    assert!(!text.contains("more (--all"), "{text}");
    assert_eq!(
        text.matches("does not satisfy >=2.0.0").count(),
        8,
        "{text}"
    );
}

/// Two ImageRepositories of one image with different exclusion lists (spec
/// `flux-semantics.md` §3.2: each scan applies its own list): each policy sees its own
/// repository's exclusions, and `explain` shows the pattern that removed each tag.
#[test]
fn each_repository_of_one_image_excludes_by_its_own_list() {
    let dir = tempfile::tempdir().unwrap();
    let objects = |name: &str, exclusion: &str| {
        format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\n  namespace: ns\nspec:\n  imageRepositoryRef:\n    name: {name}\n  policy:\n    semver:\n      range: '>=1.0.0-0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: {name}\n  namespace: ns\nspec:\n  image: ghcr.io/org/app\n  interval: 1h\n{exclusion}"
        )
    };
    std::fs::write(
        dir.path().join("a.yaml"),
        objects("stable", "  exclusionList:\n    - '-rc'\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("b.yaml"), objects("preview", "")).unwrap();
    std::fs::write(
        dir.path().join("tags.json"),
        r#"{"ghcr.io/org/app": ["1.0.0", "1.1.0-rc.1", "1.0.0.sig"]}"#,
    )
    .unwrap();
    let selected = |name: &str| {
        let output = explain(dir.path(), &[name, "--format", "json"]);
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        let explanation = value["explanations"][0].clone();
        (
            explanation["evaluation"]["selected"].clone(),
            explanation["excluded"].clone(),
        )
    };
    let (stable, stable_excluded) = selected("ns:stable");
    assert_eq!(stable, "1.0.0");
    assert_eq!(
        stable_excluded,
        serde_json::json!([{"tag": "1.1.0-rc.1", "pattern": "-rc"}])
    );
    let (preview, preview_excluded) = selected("ns:preview");
    assert_eq!(preview, "1.1.0-rc.1");
    assert_eq!(
        preview_excluded,
        serde_json::json!([{"tag": "1.0.0.sig", "pattern": "^.*\\.sig$"}])
    );
}
