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

const SONARR: &str = "kubernetes/apps/media/sonarr/app/helmrelease.yaml";

/// `explain FILE:LINE` on a stale marker: what it holds, what Flux would write, the verdict,
/// the automation that applies it (flux-semantics §1.4) and the finding, then its policy's
/// stages; exit 1 as `check` would fail.
#[test]
fn a_stale_marker_shows_what_flux_writes_and_its_policy() {
    let dir = example_copy();
    let output = explain(dir.path(), &[&format!("{SONARR}:24")]);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    insta::assert_snapshot!("explain_marker_stale_human", transcript(&output));
}

/// A current marker exits 0; its JSON joins `check`'s marker fields, the automation verdict and
/// the findings, and the policy's selection is what the marker expects.
#[test]
fn a_current_marker_in_json() {
    let dir = example_copy();
    let output = explain(dir.path(), &[&format!("{SONARR}:23"), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let marker = &value["markers"][0];
    assert_eq!(value["markers"].as_array().unwrap().len(), 1);
    assert_eq!(marker["line"], 23);
    assert_eq!(marker["kind"], "name");
    assert_eq!(marker["status"], "current");
    assert_eq!(marker["expected"], marker["current"]);
    assert_eq!(
        marker["automation"],
        serde_json::json!({"applies": true, "reason": null})
    );
    assert_eq!(marker["findings"], serde_json::json!([]));
    insta::assert_snapshot!(
        "explain_marker_json",
        serde_json::to_string_pretty(&value["markers"]).unwrap()
    );
    let explanations = value["explanations"].as_array().unwrap();
    assert_eq!(explanations.len(), 1);
    assert_eq!(explanations[0]["name"], "sonarr");
    // The same marker in `check`'s JSON has the same fields and values.
    let check = fluxtag(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--tags-from",
            "tags.json",
            SONARR,
        ],
    );
    let checked: Value = serde_json::from_slice(&check.stdout).unwrap();
    let same = checked["markers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["line"] == 23)
        .unwrap();
    for field in [
        "file", "line", "column", "policy", "kind", "current", "expected", "status",
    ] {
        assert_eq!(marker[field], same[field], "{field}");
    }
}

/// Where no automation applies the marker, the verdict says why; with no automation in the
/// repository at all, `applies` is null (one in another repository may apply it).
#[test]
fn the_automation_verdict_says_why() {
    let dir = example_copy();
    let automation = dir
        .path()
        .join("kubernetes/flux-system/image-update-automation.yaml");
    let text = std::fs::read_to_string(&automation).unwrap();
    std::fs::write(
        &automation,
        text.replace(
            "path: ./kubernetes/apps",
            "path: ./kubernetes/infrastructure",
        ),
    )
    .unwrap();
    let verdict = |dir: &std::path::Path| {
        let output = explain(dir, &[&format!("{SONARR}:24"), "--format", "json"]);
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        value["markers"][0]["automation"].clone()
    };
    let narrowed = verdict(dir.path());
    assert_eq!(narrowed["applies"], false);
    let reason = narrowed["reason"].as_str().unwrap();
    assert!(
        reason.contains("updates only `kubernetes/infrastructure` (spec.update.path)"),
        "{reason}"
    );
    std::fs::remove_file(&automation).unwrap();
    let none = verdict(dir.path());
    assert_eq!(none["applies"], Value::Null);
    assert!(
        none["reason"]
            .as_str()
            .unwrap()
            .starts_with("no ImageUpdateAutomation in the repository"),
        "{none}"
    );
}

/// A line without a marker, a file that does not exist and line 0 are usage errors (exit 2)
/// naming what was given.
#[test]
fn a_line_without_a_marker_exits_2() {
    let dir = example_copy();
    for (target, says) in [
        (
            format!("{SONARR}:3"),
            format!("no marker on line 3 of {SONARR}"),
        ),
        (
            "nowhere.yaml:3".to_owned(),
            "nowhere.yaml: no such file".to_owned(),
        ),
        (format!("{SONARR}:0"), "line numbers start at 1".to_owned()),
    ] {
        let output = explain(dir.path(), &[&target]);
        assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&says), "{target}: {stderr}");
    }
}

/// `explain IMAGE --semver …` on the example's snapshot: the rule is written as the objects a
/// repository would hold and evaluated by the same code, so trying the example's own sonarr
/// rule on the command line explains exactly what `explain flux-system:sonarr` does.
#[test]
fn a_rule_on_the_command_line_is_evaluated_as_a_policy() {
    let dir = example_copy();
    let json = |args: &[&str]| -> Value {
        let output = fluxtag(
            dir.path(),
            &[
                &["explain", "--tags-from", "tags.json", "--format", "json"][..],
                args,
            ]
            .concat(),
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let tried = json(&["ghcr.io/onedr0p/sonarr", "--semver", "^4.0.0"]);
    let written = json(&["flux-system:sonarr", "--root", "."]);
    let (tried, written) = (&tried["explanations"][0], &written["explanations"][0]);
    for field in ["evaluation", "excluded", "tags", "rule", "image", "latest"] {
        assert_eq!(tried[field], written[field], "{field}");
    }
    assert_eq!(tried["file"], "command-line.yaml");
    // A rule that admits prereleases selects one: the explanation says why.
    let output = fluxtag(
        dir.path(),
        &[
            "explain",
            "ghcr.io/onedr0p/sonarr",
            "--semver",
            ">=4.0.0-0",
            "--tags-from",
            "tags.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    insta::assert_snapshot!("explain_rule_prerelease_human", transcript(&output));
}

/// `--objects` prints the ImageRepository and ImagePolicy the rule is (filterTags, exclusion
/// list and all), and what they select on standard error; written into a repository they are
/// explained as they were tried.
#[test]
fn the_objects_of_a_rule_are_a_policy_to_write() {
    let dir = example_copy();
    let args = [
        "explain",
        "ghcr.io/onedr0p/prowlarr-develop",
        "--numerical",
        "asc",
        "--filter-pattern",
        r"^1\.\d+\.\d+\.(?P<build>\d+)$",
        "--filter-extract",
        "$build",
        "--exclude",
        "^1\\.26\\.",
        "--tags-from",
        "tags.json",
    ];
    let output = fluxtag(dir.path(), &[&args[..], &["--objects"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    insta::assert_snapshot!("explain_rule_objects", transcript(&output));
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("objects.yaml"), &output.stdout).unwrap();
    std::fs::copy(dir.path().join("tags.json"), repo.path().join("tags.json")).unwrap();
    let selected = |output: std::process::Output| -> Value {
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        value["explanations"][0]["evaluation"]["selected"].clone()
    };
    let written = selected(explain(
        repo.path(),
        &["flux-system:prowlarr-develop", "--format", "json"],
    ));
    let tried = selected(fluxtag(
        dir.path(),
        &[&args[..], &["--format", "json"]].concat(),
    ));
    assert_eq!(written, "1.25.0.4759");
    assert_eq!(tried, written);
}

/// What Flux would refuse is a usage error naming Flux's reason (exit 2), before any registry
/// is asked; the rule's options need a rule.
#[test]
fn an_invalid_rule_exits_2_with_flux_reason() {
    let dir = example_copy();
    for (args, says) in [
        (
            &["ghcr.io/onedr0p/sonarr", "--semver", "x>"][..],
            "the rule cannot be evaluated: improper constraint: \"x>\"",
        ),
        (
            &["ghcr.io/onedr0p/sonarr", "--numerical", "up"][..],
            "invalid order argument provided: 'UP', must be one of: ASC, DESC",
        ),
        (
            &["ghcr.io/onedr0p/sonarr:4.0.9", "--semver", "^4"][..],
            "should not include a tag",
        ),
        (
            &["ghcr.io/onedr0p/sonarr", "--semver", "^4", "--exclude", "("][..],
            "(",
        ),
        (
            &["ghcr.io/onedr0p/sonarr", "--filter-pattern", "x"][..],
            "--semver",
        ),
    ] {
        let output = fluxtag(dir.path(), &[&["explain", "--offline"][..], args].concat());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            transcript(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// Trying a rule reads the image's real tags from a real registry (CNCF distribution on
/// loopback), through the tag cache: a second run `--offline` explains the same.
#[test]
fn a_rule_is_tried_on_a_real_registrys_tags() {
    use crate::real_registry::{Pusher, RealRegistry, RegistryAuth};
    let Some(registry) = RealRegistry::start(RegistryAuth::None) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(Pusher::new(&registry.base(), None).push_image(
        "org/app",
        &["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0", "latest"],
    ));
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/org/app", registry.host());
    let run = |extra: &[&str]| {
        let output = fluxtag(
            dir.path(),
            &[
                &[
                    "explain",
                    image.as_str(),
                    "--semver",
                    "^1.0.0",
                    "--format",
                    "json",
                ][..],
                &["--cache-dir", "cache"][..],
                extra,
            ]
            .concat(),
        );
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        value["explanations"][0].clone()
    };
    let online = run(&[]);
    assert_eq!(online["evaluation"]["selected"], "1.1.0");
    assert_eq!(online["tags"], 5);
    let rejected: Vec<&str> = online["evaluation"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(rejected, ["not-a-version", "out-of-range", "prerelease"]);
    assert!(
        online["tag_source"].as_str().unwrap().contains("registry"),
        "{online}"
    );
    drop(registry);
    let offline = run(&["--offline"]);
    assert_eq!(offline["evaluation"], online["evaluation"]);
}

/// README "`fluxtag explain`" shows real JSON: its example is this command's output, byte for
/// byte, so the documented contract cannot drift from the renderer.
#[test]
fn the_readme_json_example_is_real_output() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let example = readme
        .split("`fluxtag explain flux-system:prowlarr --root examples/homelab --tags-from\nexamples/homelab/tags.json --format json`):\n\n```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("the JSON example in README \"fluxtag explain\"");
    let dir = example_copy();
    let output = explain(dir.path(), &["flux-system:prowlarr", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), example);
}
