//! `fluxtag check --format sarif|github` on the bundled example, and the promise that every
//! format renders the same findings at the same positions.

use serde_json::Value;

use crate::support::{example_copy, fixture_copy, fluxtag, fluxtag_command, transcript};

fn check(dir: &std::path::Path, format: &str) -> std::process::Output {
    fluxtag(
        dir,
        &[
            "check",
            "--root",
            ".",
            "--tags-from",
            "tags.json",
            "--format",
            format,
        ],
    )
}

#[test]
fn sarif_output_on_the_example() {
    let dir = example_copy();
    let output = check(dir.path(), "sarif");
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let run = &value["runs"][0];
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    // Every code is a rule, in documentation order, whatever was found.
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 23); // grows with each new code (issue 10: marker-templated; issue 11: api-removed, template-field-removed, automation-conflict, path-annotation-mismatch, latest-ref-invalid)
    assert_eq!(rules[0], "marker-malformed");
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            !location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
    }
    // Stale markers carry their fix as a replacement.
    let stale: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "stale")
        .collect();
    assert_eq!(stale.len(), 3);
    for result in stale {
        let replacement = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(
            replacement["deletedRegion"],
            result["locations"][0]["physicalLocation"]["region"]
        );
        assert!(replacement["insertedContent"]["text"].is_string());
    }
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let text = text.replace(&format!("file://{}/", root.display()), "file://[ROOT]/");
    insta::assert_snapshot!("example_sarif", text);
}

#[test]
fn github_output_on_the_example() {
    let dir = example_copy();
    let output = check(dir.path(), "github");
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::warning file=")
                || line.starts_with("::notice file="),
            "{line}"
        );
    }
    insta::assert_snapshot!("example_github", text);
}

/// The JSON diagnostics, the SARIF results and the GitHub commands are the same findings, in
/// the same order, at the same positions.
#[test]
fn every_format_renders_the_same_findings() {
    let dir = example_copy();
    let json: Value = serde_json::from_slice(&check(dir.path(), "json").stdout).unwrap();
    let sarif: Value = serde_json::from_slice(&check(dir.path(), "sarif").stdout).unwrap();
    let github = String::from_utf8(check(dir.path(), "github").stdout).unwrap();
    // With `--show-info`, human output shows every finding: as a block (`--> place`) or as a
    // place of a group (issue 11 item 6).
    let human = String::from_utf8(
        fluxtag(
            dir.path(),
            &[
                "check",
                "--root",
                ".",
                "--tags-from",
                "tags.json",
                "--show-info",
            ],
        )
        .stdout,
    )
    .unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let commands: Vec<&str> = github.lines().collect();
    assert_eq!(diagnostics.len(), results.len());
    assert_eq!(diagnostics.len(), commands.len());
    for ((d, r), c) in diagnostics.iter().zip(results).zip(&commands) {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(d["code"], r["ruleId"]);
        assert_eq!(d["line"], region["startLine"]);
        assert_eq!(d["column"], region["startColumn"]);
        assert_eq!(d["end_line"], region["endLine"]);
        assert_eq!(d["end_column"], region["endColumn"]);
        let expected = format!(
            "file={},line={},col={},endLine={},endColumn={},title=fluxtag ({})::",
            d["file"].as_str().unwrap(),
            d["line"],
            d["column"],
            d["end_line"],
            d["end_column"],
            d["code"].as_str().unwrap()
        );
        assert!(c.contains(&expected), "{c}\n{expected}");
        let location = format!(
            "{}:{}:{}",
            d["file"].as_str().unwrap(),
            d["line"],
            d["column"]
        );
        assert!(
            human.lines().any(|line| {
                line.strip_prefix("  --> ")
                    .or_else(|| line.strip_prefix("      "))
                    == Some(location.as_str())
            }),
            "{location}\n{human}"
        );
    }
}

/// Paths with characters that mean something to the runner or to URIs are escaped; columns
/// count characters, not bytes.
#[test]
fn odd_paths_and_wide_characters() {
    let dir = fixture_copy("stale");
    std::fs::create_dir_all(dir.path().join("apps/odd")).unwrap();
    std::fs::write(
        dir.path().join("apps/odd/a,b: ü.yaml"),
        "labels: {note: \"größer\"}\nimage: ghcr.io/acme/app:1.2.0 # {\"$imagepolicy\": \"flux-system:app\"}\n\
         naïve: ghcr.io/acme/app:1.2.0 # {\"$imagepolicy\": \"flux-system:app\"}\n",
    )
    .unwrap();
    let github = String::from_utf8(check(dir.path(), "github").stdout).unwrap();
    assert!(
        github
            .contains("::error file=apps/odd/a%2Cb%3A ü.yaml,line=3,col=8,endLine=3,endColumn=30,"),
        "{github}"
    );
    let sarif: Value = serde_json::from_slice(&check(dir.path(), "sarif").stdout).unwrap();
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"apps/odd/a%2Cb%3A%20%C3%BC.yaml"),
        "{uris:?}"
    );
}

#[test]
fn the_format_can_come_from_the_environment() {
    let dir = example_copy();
    let output = fluxtag_command(dir.path())
        .env("FLUXTAG_OUTPUT_FORMAT", "github")
        .args(["check", "--root", ".", "--tags-from", "tags.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("::"));
}

#[test]
fn a_clean_run_prints_nothing_in_github_format_and_exits_0() {
    let dir = fixture_copy("stale");
    let fix = check(dir.path(), "json");
    assert_eq!(fix.status.code(), Some(1));
    let fixed = fluxtag(
        dir.path(),
        &["check", "--root", ".", "--tags-from", "tags.json", "--fix"],
    );
    assert_eq!(fixed.status.code(), Some(0), "{}", transcript(&fixed));
    let output = check(dir.path(), "github");
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert!(output.stdout.is_empty());
    let sarif: Value = serde_json::from_slice(&check(dir.path(), "sarif").stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}
