//! The human output of `fluxtag check` on a large repository (issue 11 item 6; README "Human
//! output"): errors first, then warnings; info findings counted per code unless `--show-info`;
//! findings of one root cause printed once with their places (the first ten, then a count);
//! the summary line last; the exit code and the JSON output untouched by any of it.
//!
//! The repository is written by [`monorepo`]: 30 services, each with its own current marker
//! and a marker naming a deleted `log-shipper` policy (30 identical `policy-not-found`), 40
//! batch jobs naming policies whose ImageRepository image is templated with a
//! `substituteFrom`-style variable (40 `templated` infos), one stale marker, one marker without
//! a namespace, and a policy that selects no tag, repeated at its marker.

use std::path::Path;

use crate::support::{check_with_snapshot as check, transcript};

/// The services of the generated repository, in path order.
const SERVICES: [&str; 30] = [
    "accounts",
    "api-gateway",
    "audit",
    "billing",
    "cart",
    "catalog",
    "checkout",
    "coupons",
    "customers",
    "delivery",
    "emails",
    "feature-flags",
    "feeds",
    "fraud",
    "inventory",
    "invoices",
    "loyalty",
    "media",
    "notifications",
    "orders",
    "payments",
    "pricing",
    "ratings",
    "recommendations",
    "returns",
    "reviews",
    "search",
    "shipping",
    "storefront",
    "wishlist",
];

/// An ImageRepository and an ImagePolicy (semver `range`) as one YAML stream.
fn policy(name: &str, image: &str, range: &str) -> String {
    format!(
        "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  image: {image}\n  interval: 1h\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: {name}\n  policy:\n    semver:\n      range: \"{range}\"\n"
    )
}

/// Writes `text` to `root/path`, creating directories.
fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The generated repository (see the module comment) with its tags snapshot, `tags.json`.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "clusters/production/image-automation.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: production\n  namespace: flux-system\nspec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n        name: fluxcdbot\n        email: fluxcdbot@users.noreply.github.com\n  update:\n    path: ./\n    strategy: Setters\n",
    );
    let mut policies = String::new();
    let mut tags = serde_json::Map::new();
    for service in SERVICES {
        policies.push_str(&policy(
            service,
            &format!("ghcr.io/acme/{service}"),
            ">=1.0.0",
        ));
        tags.insert(
            format!("ghcr.io/acme/{service}"),
            serde_json::json!(["1.3.0", "1.4.0"]),
        );
        // One stale value and one marker without its namespace among the services.
        let value = if service == "checkout" {
            "1.3.0"
        } else {
            "1.4.0"
        };
        let reference = if service == "search" {
            service.to_string()
        } else {
            format!("flux-system:{service}")
        };
        write(
            root,
            &format!("apps/{service}/deployment.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {service}\n          image: ghcr.io/acme/{service}:{value} # {{\"$imagepolicy\": \"{reference}\"}}\n        - name: log-shipper\n          image: ghcr.io/acme/log-shipper:2.3.1 # {{\"$imagepolicy\": \"flux-system:log-shipper\"}}\n"
            ),
        );
    }
    // Images whose registry is a cluster-side variable: nothing to compare in the repository.
    for (name, jobs) in [("batch-runner", 30), ("report-worker", 10)] {
        policies.push_str(&policy(
            name,
            &format!("${{PRIVATE_REGISTRY}}/acme/{name}"),
            ">=1.0.0",
        ));
        for n in 1..=jobs {
            write(
                root,
                &format!("jobs/{name}-{n:02}/cronjob.yaml"),
                &format!(
                    "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}-{n:02}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: run\n              image: registry.acme.internal/acme/{name}:3.1.0 # {{\"$imagepolicy\": \"flux-system:{name}\"}}\n"
                ),
            );
        }
    }
    // A policy whose range no tag satisfies, and the one marker naming it.
    policies.push_str(&policy("indexer", "ghcr.io/acme/indexer", ">=3.0.0"));
    tags.insert(
        "ghcr.io/acme/indexer".to_string(),
        serde_json::json!(["2.8.0", "2.9.1"]),
    );
    write(
        root,
        "jobs/indexer/cronjob.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: indexer\nspec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: index\n              image: ghcr.io/acme/indexer:2.9.1 # {\"$imagepolicy\": \"flux-system:indexer\"}\n",
    );
    write(root, "clusters/production/image-policies.yaml", &policies);
    write(
        root,
        "tags.json",
        &serde_json::to_string_pretty(&serde_json::Value::Object(tags)).unwrap(),
    );
    dir
}

/// Issue 11 item 6, the default: the three errors lead (30 identical `policy-not-found` as one
/// group listing ten places and counting the rest), then the warning grouped under its
/// ImagePolicy, then one line per info code, then the summary, last.
#[test]
fn a_large_repository_leads_with_what_to_act_on() {
    let dir = monorepo();
    let output = check(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.matches("error[policy-not-found]").count(), 1);
    assert!(stdout.contains("  = 30 places:\n"), "{stdout}");
    assert!(
        stdout.contains("      and 20 more (`--format json` lists every one)\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("info[templated]: ImagePolicy"), "{stdout}");
    assert!(
        stdout.contains("info[templated]: 40 findings hidden: "),
        "{stdout}"
    );
    // Every error before the first warning.
    let last_error = stdout.rfind("\nerror[").unwrap();
    let first_warning = stdout.find("\nwarning[").unwrap();
    assert!(last_error < first_warning, "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some(
            "failed: 32 errors, 2 warnings, 40 info in 101 markers (28 current, 1 stale, 31 invalid, 41 unresolved)"
        ),
        "{stdout}"
    );
    insta::assert_snapshot!("human_grouped", transcript(&output));
}

/// Issue 11 item 6, `--show-info`: the info findings are printed too, after the warnings, each
/// policy's 30 or 10 repetitions as one group naming the ImagePolicy; the counts, the summary
/// and the exit code are those of the default run.
#[test]
fn show_info_prints_the_info_findings_grouped() {
    let dir = monorepo();
    let default = check(dir.path(), &[]);
    let output = check(dir.path(), &["--show-info"]);
    assert_eq!(output.status.code(), default.status.code());
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().last(),
        String::from_utf8_lossy(&default.stdout).lines().last()
    );
    assert!(!stdout.contains("hidden: "), "{stdout}");
    assert_eq!(stdout.matches("info[templated]: ImagePolicy").count(), 2);
    assert!(stdout.contains("  = 30 places:\n") && stdout.contains("  = 10 places:\n"));
    assert!(
        stdout.find("\nwarning[").unwrap() < stdout.find("\ninfo[").unwrap(),
        "{stdout}"
    );
    insta::assert_snapshot!("human_grouped_show_info", transcript(&output));
}

/// Issue 11 item 6: "JSON and SARIF stay complete": grouping and hiding are the human format's;
/// the machine formats list every finding, and `--show-info` changes none of them.
#[test]
fn machine_formats_stay_complete() {
    let dir = monorepo();
    for format in ["json", "sarif", "github"] {
        let plain = check(dir.path(), &["--format", format]);
        let shown = check(dir.path(), &["--format", format, "--show-info"]);
        assert_eq!(plain.stdout, shown.stdout, "{format}");
        assert_eq!(plain.status.code(), Some(1), "{format}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&check(dir.path(), &["--format", "json"]).stdout).unwrap();
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    let count = |code: &str| codes.iter().filter(|c| **c == code).count();
    assert_eq!(count("policy-not-found"), 30);
    assert_eq!(count("templated"), 40);
    assert_eq!(count("stale"), 1);
    assert_eq!(count("marker-no-namespace"), 1);
    assert_eq!(count("no-matching-tag"), 2);
    let github = check(dir.path(), &["--format", "github"]);
    assert_eq!(
        String::from_utf8_lossy(&github.stdout).lines().count(),
        codes.len()
    );
}

/// A run with info findings only exits 0, and its last line is still the summary.
#[test]
fn info_findings_alone_pass() {
    let dir = monorepo();
    let output = check(
        dir.path(),
        &[
            "jobs/batch-runner-01/cronjob.yaml",
            "jobs/report-worker-01/cronjob.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        "info[templated]: 2 findings hidden: ${VAR} substitutions fluxtag cannot resolve (`--show-info` shows them)\nok: 0 errors, 0 warnings, 2 info in 2 markers (2 unresolved)\n"
    );
}

/// README "Human output" shows this repository's real output: the example is the default run's
/// standard output, byte for byte, so the documentation cannot drift from the renderer.
#[test]
fn the_readme_example_is_real_output() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("### Human output\n").nth(1).unwrap();
    let example = section
        .split("```\n")
        .nth(1)
        .expect("a fenced example in README \"Human output\"");
    let dir = monorepo();
    let output = check(dir.path(), &[]);
    assert_eq!(String::from_utf8_lossy(&output.stdout), example);
}
