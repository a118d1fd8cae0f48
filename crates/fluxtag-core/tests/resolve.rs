//! Resolution across files: policies, repositories, automations, kustomizations and tags in,
//! marker verdicts and diagnostics out. Each case is one fixture string with `# -- path` headers
//! (one file per header) and a tags table; the rendered result is an insta snapshot.
//!
//! Rules pinned here: spec `flux-semantics.md` §1.4 (namespace, policySelector, update.path),
//! §1.5 (values written), §2.1/§2.3 (policy validation), §3.1 (image validation), §3.2
//! (exclusion), §4 (evaluation), and `fluxtag-differences.md` §1 (style of the written value),
//! §2 (silent skips become diagnostics), §5 (namespaces from kustomize, `${VAR}`, patches).

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fluxtag_core::analysis::analyze_file;
use fluxtag_core::diag::{Applicability, Code};
use fluxtag_core::edit::apply_edits;
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{TagLookup, TagSet, resolve};
use fluxtag_core::text::ColumnUnit;
use fluxtag_core::yaml::Parser;

fn files(fixture: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("# -- ") {
            out.push((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// The index of a fixture's files (patch files are read from them too).
fn index_of(files: &[(String, String)]) -> Index {
    let mut parser = Parser::new();
    let analyses: Vec<_> = files
        .iter()
        .map(|(path, text)| analyze_file(&mut parser, path, text.as_bytes()))
        .collect();
    Index::build(analyses, &|path| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, text)| text.as_bytes().to_vec())
    })
}

/// A cluster's bootstrap: the `flux-system` Flux Kustomization applying `clusters/<cluster>`.
fn bootstrap(cluster: &str) -> String {
    format!(
        "# -- clusters/{cluster}/flux-system/sync.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/{cluster}
"
    )
}

/// An ImageUpdateAutomation `flux-system/bot` in `file`, updating `update_path` with Setters.
fn automation(file: &str, update_path: &str) -> String {
    format!(
        "# -- {file}
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: flux-system
spec:
  update:
    path: {update_path}
    strategy: Setters
"
    )
}

/// Resolves `fixture` against `tags` and renders markers, diagnostics (with their help and
/// fix) and the fixed files.
fn check(fixture: &str, tags: &[(&str, &[&str])]) -> String {
    let files = files(fixture);
    let index = index_of(&files);
    let table: BTreeMap<String, Vec<String>> = tags
        .iter()
        .map(|(image, tags)| {
            (
                image.to_string(),
                tags.iter().map(|t| t.to_string()).collect(),
            )
        })
        .collect();
    let report = resolve(&index, &|canonical, _| match table.get(canonical) {
        Some(tags) => TagLookup::Found(TagSet {
            tags: tags.clone(),
            digests: BTreeMap::new(),
            source: "test".into(),
        }),
        None => TagLookup::Failed(format!("{canonical} is not in the test's tags")),
    });
    let text_of = |path: &str| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_bytes())
            .unwrap_or(b"")
    };
    let position = |path: &str, offset: usize| {
        let text = text_of(path);
        let lc = index
            .file(path)
            .unwrap()
            .lines
            .line_col(text, offset, ColumnUnit::Chars);
        format!("{}:{}", lc.line + 1, lc.col + 1)
    };
    let mut out = String::new();
    for m in &report.markers {
        out.push_str(&format!(
            "marker {}:{} {} {:?} -> {:?} {}\n",
            m.path,
            position(&m.path, m.marker.scalar.start),
            m.marker.reference,
            m.marker.value,
            m.expected,
            match m.status {
                fluxtag_core::resolve::MarkerStatus::Stale(d) => format!("stale ({})", d.as_str()),
                other => other.as_str().to_string(),
            }
        ));
    }
    let mut edits: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for d in &report.diagnostics {
        let text = text_of(&d.path);
        let end = d.range.end.min(text.len());
        let start = d.range.start.min(end);
        out.push_str(&format!(
            "{} {} {}:{} {:?}: {}\n",
            d.severity.as_str(),
            d.code,
            d.path,
            position(&d.path, d.range.start),
            String::from_utf8_lossy(&text[start..end]),
            d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        if let Some(fix) = &d.fix {
            out.push_str(&format!(
                "  fix ({}): {}\n",
                if fix.applicability == Applicability::Safe {
                    "safe"
                } else {
                    "unsafe"
                },
                fix.title
            ));
            if fix.applicability == Applicability::Safe {
                edits
                    .entry(d.path.clone())
                    .or_default()
                    .extend(fix.edits.clone());
            }
        }
    }
    for (path, edits) in edits {
        let fixed = apply_edits(text_of(&path), &edits).unwrap();
        out.push_str(&format!(
            "--- fixed {path}\n{}",
            String::from_utf8_lossy(&fixed)
        ));
    }
    out
}

const REPO: &str = "# -- flux/app.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 5m
";

fn policy(spec: &str) -> String {
    format!(
        "{REPO}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
{spec}"
    )
}

const TAGS: &[(&str, &[&str])] = &[(
    "ghcr.io/org/app",
    &[
        "1.9.0",
        "1.10.0",
        "1.10.0.sig",
        "2.0.0-rc.1",
        "v1.10.0",
        "main-3",
        "main-12",
    ],
)];

/// §1.5 and differences §1: every marker kind, written in the scalar's own style; `1.10`-like
/// values stay strings; the default exclusion list drops `.sig` tags; `v1.10.0` wins the tie
/// with `1.10.0` (descending byte order, §4.1).
#[test]
fn values_and_styles() {
    let fixture = policy("  policy:\n    semver:\n      range: '>=1.0.0'\n")
        + "# -- deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
single: 'ghcr.io/org/app:1.9.0' # {\"$imagepolicy\": \"flux-system:app\"}
double: \"1.9.0\" # {\"$imagepolicy\": \"flux-system:app:tag\"}
name: ghcr.io/org/old # {\"$imagepolicy\": \"flux-system:app:name\"}
digest: sha256:abc # {\"$imagepolicy\": \"flux-system:app:digest\"}
current: ghcr.io/org/app:v1.10.0 # {\"$imagepolicy\": \"flux-system:app\"}
flow: [ghcr.io/org/app:1.9.0] # not a marker place
";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// A plain value that would load as a number is double-quoted (differences §1).
#[test]
fn number_like_values_are_quoted() {
    let fixture = format!(
        "{}# -- values.yaml\ntag: 1.8 # {{\"$imagepolicy\": \"flux-system:app:tag\"}}\nquoted: '1.8' # {{\"$imagepolicy\": \"flux-system:app:tag\"}}\n",
        policy("  policy:\n    alphabetical:\n      order: asc\n")
    );
    let out = check(&fixture, &[("ghcr.io/org/app", &["1.8", "1.9"])]);
    assert!(out.contains("tag: \"1.9\" #"), "{out}");
    assert!(out.contains("quoted: '1.9' #"), "{out}");
    assert!(out.contains("stale (upgrade)"), "{out}");
}

/// Downgrades are reported as such (the marked tag is newer than the policy allows).
#[test]
fn downgrade_direction() {
    let fixture = policy("  policy:\n    semver:\n      range: '~1.9.0'\n")
        + "# -- d.yaml\ntag: 1.10.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n";
    let out = check(&fixture, TAGS);
    assert!(out.contains("stale (downgrade)"), "{out}");
}

/// §2.1, §2.3: invalid policies are errors at the field, markers using them are unresolved.
#[test]
fn invalid_policies() {
    for (spec, field) in [
        (
            "  policy:\n    semver:\n      range: '1.0.0p'\n",
            "'1.0.0p'",
        ),
        (
            "  policy:\n    numerical:\n      order: sideways\n",
            "sideways",
        ),
        (
            "  filterTags:\n    pattern: '[='\n  policy:\n    semver:\n      range: '*'\n",
            "'[='",
        ),
        ("  policy: {}\n", "{}"),
        (
            "  digestReflectionPolicy: Always\n  policy:\n    semver:\n      range: '*'\n",
            "Always",
        ),
        (
            "  interval: 5m\n  policy:\n    semver:\n      range: '*'\n",
            "5m",
        ),
    ] {
        let fixture =
            policy(spec) + "# -- d.yaml\nimage: a:1 # {\"$imagepolicy\": \"flux-system:app\"}\n";
        let out = check(&fixture, TAGS);
        assert!(
            out.contains("error policy-invalid flux/app.yaml")
                && out.contains(&format!("{field:?}")),
            "{spec}\n{out}"
        );
        assert!(out.contains("unresolved"), "{out}");
    }
}

/// §3.1: images with a tag, a scheme or uppercase letters; a missing repository.
#[test]
fn invalid_repositories() {
    for image in [
        "ghcr.io/org/app:1.0",
        "https://ghcr.io/org/app",
        "ghcr.io/Org/App",
    ] {
        let fixture = policy("  policy:\n    semver:\n      range: '*'\n")
            .replace("ghcr.io/org/app\n", &format!("{image}\n"));
        let out = check(&fixture, TAGS);
        assert!(
            out.contains("error repository-invalid flux/app.yaml"),
            "{image}\n{out}"
        );
    }
    let fixture = policy("  policy:\n    semver:\n      range: '*'\n")
        .replace("name: app\n  policy", "name: missing\n  policy");
    let out = check(&fixture, TAGS);
    assert!(
        out.contains("error repository-not-found flux/app.yaml"),
        "{out}"
    );
}

/// §1.4: markers name policies exactly; a typo gets a did-you-mean; no namespace gets its own code.
#[test]
fn policy_lookup() {
    let fixture = policy("  policy:\n    semver:\n      range: '*'\n")
        + "# -- d.yaml
a: x:1 # {\"$imagepolicy\": \"flux-system:ap\"}
b: x:1 # {\"$imagepolicy\": \"app\"}
c: x:1 # {\"$imagepolicy\": \"other:app\"}
slash: x:1 # {\"$imagepolicy\": \"flux-system/app\"}
";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// §1.4: the automation's namespace, policySelector and update.path decide whether Flux applies
/// a marker; a stale marker no automation covers is a warning and `--fix` leaves it.
#[test]
fn automation_coverage() {
    let automation = |namespace: &str, extra: &str| {
        format!(
            "# -- flux/auto.yaml
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: {namespace}
spec:
  update:
    path: ./apps
{extra}"
        )
    };
    let marker = "# -- apps/d.yaml\ntag: 1.9.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n# -- other/d.yaml\ntag: 1.9.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n";
    let base = policy("  policy:\n    semver:\n      range: '*'\n");
    insta::assert_snapshot!(
        "automation_path",
        check(
            &format!("{base}{}{marker}", automation("flux-system", "")),
            TAGS
        )
    );
    let out = check(&format!("{base}{}{marker}", automation("apps", "")), TAGS);
    assert!(out.contains("namespace apps"), "{out}");
    let out = check(
        &format!(
            "{base}{}{marker}",
            automation(
                "flux-system",
                "  policySelector:\n    matchLabels:\n      auto: \"yes\"\n"
            )
        ),
        TAGS,
    );
    assert!(out.contains("policySelector"), "{out}");
    let out = check(
        &format!(
            "{base}{}{marker}",
            automation("flux-system", "")
                .replace("path: ./apps", "path: ./apps\n    strategy: Patches")
        ),
        TAGS,
    );
    assert!(out.contains("supports only Setters"), "{out}");
}

/// Issue 11 ("things that stop the whole automation"), `flux-semantics.md` §1.5: the controller
/// parses every policy's `latestRef.String()` (`name:tag@digest`) with `name.ParseReference`
/// before touching a file, and a digest that is not `sha256:` and 64 hex digits fails it: the
/// policy and its markers report it, and no fix writes the digest.
#[test]
fn an_invalid_digest_in_a_policy_result_is_reported() {
    let files = files(&format!(
        "{}# -- apps/d.yaml\nimage: ghcr.io/org/app:1.9.0 # {{\"$imagepolicy\": \"flux-system:app\"}}\n",
        policy(
            "  digestReflectionPolicy: Always\n  interval: 5m\n  policy:\n    semver:\n      range: '*'\n"
        )
    ));
    let index = index_of(&files);
    let verdict = |digest: String| {
        let report = resolve(&index, &|_, _| {
            TagLookup::Found(TagSet {
                tags: vec!["1.9.0".into(), "1.10.0".into()],
                digests: BTreeMap::from([("1.10.0".to_string(), digest.clone())]),
                source: "test".into(),
            })
        });
        let codes: Vec<(String, String)> = report
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.path.clone()))
            .collect();
        let fixes = report
            .diagnostics
            .iter()
            .filter(|d| d.fix.is_some())
            .count();
        (codes, fixes, report.markers[0].expected.clone())
    };
    let good = format!("sha256:{}", "a".repeat(64));
    let (codes, fixes, expected) = verdict(good.clone());
    assert_eq!(codes, [("stale".to_string(), "apps/d.yaml".to_string())]);
    assert_eq!(fixes, 1);
    assert_eq!(expected, Some(format!("ghcr.io/org/app:1.10.0@{good}")));
    for bad in [
        format!("sha256:{}", "a".repeat(40)),
        format!("sha512:{}", "b".repeat(128)),
    ] {
        let (codes, fixes, expected) = verdict(bad.clone());
        assert_eq!(
            codes,
            [
                ("latest-ref-invalid".to_string(), "apps/d.yaml".to_string()),
                (
                    "latest-ref-invalid".to_string(),
                    "flux/app.yaml".to_string()
                ),
            ],
            "{bad}"
        );
        assert_eq!((fixes, expected), (0, None), "{bad}");
    }
}

/// Issue 11 item 8c (`flux-semantics.md` §9): a path annotation must equal the file's path
/// relative to the update path of each automation that reads the file (IAC
/// `internal/update/filereader.go` sets the internal annotation from it, kyaml's
/// `checkMismatchedAnnos` fails the run on a difference); a path right for another root is wrong
/// here, and a file no automation reads is not judged.
#[test]
fn path_annotations_are_judged_against_the_update_path() {
    let base = policy("  policy:\n    semver:\n      range: '*'\n");
    let annotated = |file: &str, value: &str| {
        format!(
            "# -- {file}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    config.kubernetes.io/path: {value}\nspec:\n  tag: 1.10.0 # {{\"$imagepolicy\": \"flux-system:app:tag\"}}\n"
        )
    };
    let verdicts = |value: &str| {
        let out = check(
            &format!(
                "{base}{}{}",
                automation("flux/auto.yaml", "./apps"),
                annotated("apps/web/deploy.yaml", value)
            ),
            TAGS,
        );
        out.lines()
            .filter(|l| l.contains("path-annotation-mismatch"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(verdicts("web/deploy.yaml").is_empty());
    // Relative to the repository root, or to a directory that is not the update path: wrong.
    for wrong in ["apps/web/deploy.yaml", "deploy.yaml", "./web/deploy.yaml"] {
        let found = verdicts(wrong);
        assert_eq!(found.len(), 1, "{wrong}: {found:?}");
        assert!(
            found[0].contains("ImageUpdateAutomation flux-system/bot (`web/deploy.yaml`)"),
            "{found:?}"
        );
    }
    // Outside the update path no automation reads the file.
    let out = check(
        &format!(
            "{base}{}{}",
            automation("flux/auto.yaml", "./apps"),
            annotated("other/deploy.yaml", "nonsense.yaml")
        ),
        TAGS,
    );
    assert!(!out.contains("path-annotation-mismatch"), "{out}");
}

/// Differences §5: namespaces from kustomize, `${VAR}` from Flux Kustomizations, patches that
/// complete a base policy (which must not be reported invalid).
#[test]
fn kustomize_and_substitutions() {
    let fixture = "# -- base/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - policy.yaml
# -- base/policy.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
spec:
  imageRepositoryRef:
    name: app
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: ghcr.io/org/${APP}
  interval: 5m
# -- prod/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: prod
resources:
  - ../base
patches:
  - path: semver.yaml
# -- prod/semver.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
spec:
  policy:
    semver:
      range: '>=1.0.0'
# -- clusters/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  path: ./prod
  postBuild:
    substitute:
      APP: app
      NS: prod
# -- deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"${NS}:app\"}
tag: 1.9.0 # {\"$imagepolicy\": \"${MISSING}:app:tag\"}
";
    insta::assert_snapshot!(check(fixture, TAGS));
}

/// §4 errors surface as `no-matching-tag`; unknown tags as `registry-error`; a tag absent from
/// the registry as `tag-not-in-registry`.
#[test]
fn tag_problems() {
    let fixture = policy("  policy:\n    semver:\n      range: '>=3.0.0'\n")
        + "# -- d.yaml\ntag: 1.9.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n";
    let out = check(&fixture, TAGS);
    assert!(out.contains("no-matching-tag"), "{out}");
    let out = check(&fixture, &[]);
    assert!(out.contains("warning registry-error d.yaml"), "{out}");
    let fixture = policy("  policy:\n    semver:\n      range: '>=1.0.0'\n")
        + "# -- d.yaml\ntag: 1.3.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n";
    let out = check(&fixture, TAGS);
    assert!(out.contains("warning tag-not-in-registry d.yaml"), "{out}");
    assert!(!out.contains(&Code::RegistryError.to_string()), "{out}");
}

/// Issue 11 item 5: `no-matching-tag` says what happened (the filter that matched nothing, the
/// range and the newest version it left out, the tag that is not a number, the exclusion list
/// that removed everything), not the controller's "version list argument cannot be empty".
/// Which policies fail is §2.3/§4's, unchanged.
#[test]
fn no_matching_tag_says_what_happened() {
    let marker = "# -- d.yaml\ntag: 1.9.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}\n";
    let message = |spec: &str, tags: &[(&str, &[&str])]| {
        let out = check(&(policy(spec) + marker), tags);
        let line = out
            .lines()
            .find(|l| l.contains("no-matching-tag"))
            .unwrap_or_else(|| panic!("no no-matching-tag in {out}"))
            .to_string();
        assert!(!line.contains("version list argument"), "{line}");
        assert!(!line.contains("unable to determine"), "{line}");
        line
    };
    let semver = "  policy:\n    semver:\n      range: '>=3.0.0'\n";
    let line = message(semver, TAGS);
    assert!(
        line.contains(
            "ImagePolicy flux-system/app selects no tag of ghcr.io/org/app: no tag is in range \
             `>=3.0.0` (newest semver tag: `2.0.0-rc.1`; a prerelease matches only a range with a \
             prerelease, such as `-0`)"
        ),
        "{line}"
    );
    let filtered = "  filterTags:\n    pattern: '^release-(?P<v>.*)$'\n    extract: '$v'\n  policy:\n    semver:\n      range: '*'\n";
    let line = message(filtered, TAGS);
    assert!(
        line.contains("filterTags `^release-(?P<v>.*)$` matched none of 6 tags (e.g. `v1.10.0`)"),
        "{line}"
    );
    let numerical = "  policy:\n    numerical:\n      order: asc\n";
    let line = message(numerical, TAGS);
    assert!(
        line.contains("no tag is a number (e.g. `v1.10.0`)"),
        "{line}"
    );
    let line = message(semver, &[("ghcr.io/org/app", &["1.0.0.sig", "2.0.0.sig"])]);
    assert!(
        line.contains("the default exclusionList (`^.*\\.sig$`) excludes all 2 tags"),
        "{line}"
    );
    let line = message(semver, &[("ghcr.io/org/app", &[])]);
    assert!(
        line.contains("selects no tag of ghcr.io/org/app: the image has no tags"),
        "{line}"
    );
}

/// A Flux Kustomization that builds the fixture's `apps/` with `extra` in its spec, and
/// substitutes `cluster_name: c1`.
fn flux_kustomization(extra: &str) -> String {
    format!(
        "# -- clusters/c1/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps
  postBuild:
    substitute:
      cluster_name: c1
{extra}"
    )
}

/// An ImageRepository and an ImagePolicy in `apps/image.yaml`, both named `name`, in
/// `metadata.namespace` `namespace`.
fn objects(name: &str, namespace: &str) -> String {
    format!(
        "# -- apps/image.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: {name}
  namespace: {namespace}
spec:
  image: ghcr.io/org/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: {name}
  namespace: {namespace}
spec:
  imageRepositoryRef:
    name: {name}
  policy:
    semver:
      range: '>=1.0.0'
"
    )
}

/// Issue 10 bug A, differences §5: `${VAR}` applies to every string field of the objects the
/// cluster gets, `spec.imageRepositoryRef.name` included (no false `repository-not-found`).
#[test]
fn substitution_reaches_the_repository_reference() {
    let fixture = flux_kustomization("")
        + &objects("${cluster_name}-hw", "flux-system")
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:c1-hw\"}
";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// `apps/` built with kustomize's `namespace: apps`, and a marker naming the namespace the
/// objects are written with.
const APPS_IN_NAMESPACE_APPS: &str = "# -- apps/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - image.yaml
# -- deploy.yaml
written: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";

/// Issue 10 bug C, differences §5: kustomize's `namespace:` overrides `metadata.namespace`
/// (kustomize's reference, kustomization/namespace: "will override the existing namespace"); a
/// marker naming the namespace as written is never applied, the built one is.
#[test]
fn kustomize_namespace_overrides_the_written_one() {
    let fixture = objects("app", "flux-system")
        + APPS_IN_NAMESPACE_APPS
        + "built: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"apps:app\"}\n";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// Issue 10 bug D, differences §5: a Flux Kustomization's `spec.targetNamespace` overrides the
/// manifests' and the kustomizations' namespaces.
#[test]
fn target_namespace_overrides_both() {
    let fixture = flux_kustomization("  targetNamespace: team\n")
        + &objects("app", "flux-system")
        + APPS_IN_NAMESPACE_APPS
        + "built: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"team:app\"}\n";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// Issue 10 bug E: `${VAR}` in an ImageUpdateAutomation's `spec.update.path` is resolved, so
/// the markers under the built path are covered.
#[test]
fn substitution_reaches_the_update_path() {
    let fixture = flux_kustomization("")
        + &objects("app", "flux-system")
        + "# -- apps/automation.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: flux-system
spec:
  update:
    path: ./clusters/${cluster_name}
    strategy: Setters
# -- clusters/c1/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
# -- clusters/c2/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// Issue 10, differences §5: a Flux Kustomization's `namePrefix`/`nameSuffix` rename every
/// object it applies, but not `spec.imageRepositoryRef.name` (kustomize does not know that
/// field is a reference), so the cluster's policy names a repository that does not exist.
#[test]
fn name_prefix_renames_objects_but_not_references() {
    let fixture = flux_kustomization("  namePrefix: dev-\n")
        + &objects("app", "flux-system")
        + "# -- deploy.yaml
old: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
built: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:dev-app\"}
";
    insta::assert_snapshot!(check(&fixture, TAGS));
}

/// Issue 10 bug B: objects from kustomize `components:` are built, and substituted, like any
/// other (a component defining `ImagePolicy ${APP}` in `${NAMESPACE}`).
#[test]
fn components_are_built_and_substituted() {
    let fixture = "# -- clusters/prod.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  path: ./apps/web
  postBuild:
    substitute:
      APP: web
      NAMESPACE: prod
# -- apps/web/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
components:
  - ../../components/image
# -- components/image/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - image.yaml
# -- components/image/image.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${APP}
  namespace: ${NAMESPACE}
spec:
  image: ghcr.io/org/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ${APP}
  namespace: ${NAMESPACE}
spec:
  imageRepositoryRef:
    name: ${APP}
  policy:
    semver:
      range: '>=1.0.0'
# -- apps/web/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"prod:web\"}
";
    insta::assert_snapshot!(check(fixture, TAGS));
}

/// Issue 10 bug F, differences §5: markers are never substituted (image-automation-controller
/// #860); a templated marked value is a warning, not a verdict.
#[test]
fn markers_are_never_substituted() {
    let fixture = flux_kustomization("")
        + &objects("app", "flux-system")
        + "# -- apps/deploy.yaml
reference: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"${ns}:app\"}
unknown: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"${ns}:other\"}
value: ghcr.io/org/app:${version} # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(!out.contains("stale"), "{out}");
    insta::assert_snapshot!(out);
}

/// An ImagePolicy named `name` (no namespace written) selecting from ImageRepository `app`,
/// in `path`, with `extra` under `metadata`.
fn policy_at(path: &str, name: &str, extra: &str) -> String {
    format!(
        "# -- {path}
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: {name}
{extra}spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '>=1.0.0'
"
    )
}

/// Issue 10, differences §5 (one object, several instances): two clusters build the same
/// `apps/` with different substitutions; each instance exists in the cluster that builds it,
/// so both literal names are found, and a third is not.
#[test]
fn two_clusters_build_the_same_app() {
    let cluster = |name: &str| {
        format!(
            "# -- clusters/{name}/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps
  postBuild:
    substitute:
      cluster_name: {name}
"
        )
    };
    let fixture = cluster("c1")
        + &cluster("c2")
        + &objects("${cluster_name}-app", "flux-system")
        + "# -- apps/deploy.yaml
c1: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:c1-app\"}
c2: ghcr.io/org/app:2.0.0 # {\"$imagepolicy\": \"flux-system:c2-app\"}
c3: ghcr.io/org/app:2.0.0 # {\"$imagepolicy\": \"flux-system:c3-app\"}
";
    let out = check(&fixture, TAGS);
    assert!(!out.contains("repository-not-found"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5 (kustomize overlays): a base policy without a rule, completed by a
/// patch in the overlay that moves it to namespace `staging`, renamed by a `namePrefix` one
/// level further out; the Flux Kustomization builds the outermost overlay.
#[test]
fn overlays_three_levels_deep() {
    let fixture = "# -- clusters/eu.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: eu
  namespace: flux-system
spec:
  path: ./apps/staging/eu
# -- apps/base/kustomization.yaml
resources:
  - image.yaml
# -- apps/base/image.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: ghcr.io/org/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
spec:
  imageRepositoryRef:
    name: app
# -- apps/staging/kustomization.yaml
namespace: staging
resources:
  - ../base
patches:
  - path: range.yaml
# -- apps/staging/range.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
spec:
  policy:
    semver:
      range: '>=1.0.0'
# -- apps/staging/eu/kustomization.yaml
namePrefix: eu-
resources:
  - ..
# -- deploy.yaml
built: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"staging:eu-app\"}
unprefixed: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"staging:app\"}
";
    let out = check(fixture, TAGS);
    assert!(out.contains("staging:eu-app"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5: kustomize's `commonLabels` and `labels[].pairs`, and a Flux
/// Kustomization's `spec.commonMetadata.labels`, label every object they build, and a
/// `policySelector` matches the built labels (flux-semantics §1.4).
#[test]
fn common_labels_decide_the_policy_selector() {
    let applies = |name: &str| {
        format!(
            "# -- clusters/{name}.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  path: ./{name}
"
        )
    };
    let fixture = applies("team-a")
        + &applies("team-b")
        + &applies("infra")
        + "# -- clusters/team-c.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: team-c
  namespace: flux-system
spec:
  path: ./team-c
  commonMetadata:
    labels:
      team: a
# -- team-a/kustomization.yaml
namespace: flux-system
commonLabels:
  team: a
resources:
  - policy.yaml
# -- team-b/kustomization.yaml
namespace: flux-system
labels:
  - pairs:
      team: b
resources:
  - policy.yaml
# -- infra/repository.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 5m
# -- infra/automation.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: team-a
  namespace: flux-system
spec:
  policySelector:
    matchLabels:
      team: a
  update:
    path: ./
    strategy: Setters
" + &policy_at("team-a/policy.yaml", "a", "")
        + &policy_at("team-b/policy.yaml", "b", "")
        + &policy_at("team-c/policy.yaml", "c", "  namespace: flux-system\n")
        + "# -- deploy.yaml
a: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:a\"}
b: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:b\"}
c: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:c\"}
";
    let out = check(&fixture, TAGS);
    assert!(
        out.contains("policy-not-in-automation deploy.yaml:2"),
        "{out}"
    );
    assert!(
        !out.contains("policy-not-in-automation deploy.yaml:1"),
        "{out}"
    );
    assert!(
        !out.contains("policy-not-in-automation deploy.yaml:3"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5: kustomize's own `namePrefix`/`nameSuffix` rename the objects it
/// builds (as the Flux Kustomization's do), not `spec.imageRepositoryRef.name`.
#[test]
fn kustomize_name_prefix_and_suffix() {
    let fixture = "# -- apps/kustomization.yaml
namespace: flux-system
namePrefix: dev-
nameSuffix: -v2
resources:
  - image.yaml
"
    .to_string()
        + &objects("app", "flux-system")
        + "# -- deploy.yaml
built: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:dev-app-v2\"}
written: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(out.contains("repository-not-found"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5: a Flux Kustomization's `spec.components` (relative to
/// `spec.path`) bring their objects and transformations, and its `spec.patches` apply last.
#[test]
fn flux_components_and_patches() {
    let fixture = "# -- clusters/prod.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  path: ./apps/web
  targetNamespace: prod
  components:
    - ../../components/image
  patches:
    - target:
        kind: ImagePolicy
      patch: |
        - op: replace
          path: /spec/policy/semver/range
          value: '<1.10.0'
# -- apps/web/kustomization.yaml
resources:
  - config.yaml
# -- apps/web/config.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
# -- components/image/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - image.yaml
"
    .to_string()
        + &objects("web", "flux-system").replace("apps/image.yaml", "components/image/image.yaml")
        + "# -- apps/web/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"prod:web\"}
";
    let out = check(&fixture, TAGS);
    // The patched range `<1.10.0` keeps 1.9.0 current (the written `>=1.0.0` would not).
    assert!(out.contains("1.9.0\") current"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5: an object annotated `kustomize.toolkit.fluxcd.io/substitute:
/// disabled` keeps its `${VAR}` text (kustomize-controller skips its substitution).
#[test]
fn substitution_can_be_disabled() {
    let fixture = flux_kustomization("")
        + &objects("${cluster_name}-app", "flux-system").replacen(
            "  namespace: flux-system\nspec:\n  imageRepositoryRef",
            "  namespace: flux-system\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nspec:\n  imageRepositoryRef",
            1,
        )
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:c1-app\"}
";
    let out = check(&fixture, TAGS);
    assert!(out.contains("policy-not-found"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10, differences §5: a parent Flux Kustomization's `postBuild.substitute` reaches the
/// child Kustomization it applies (its `spec.path` and its own substitutions).
#[test]
fn parents_substitute_child_kustomizations() {
    let fixture = "# -- clusters/c1/flux-system/sync.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/c1
  postBuild:
    substitute:
      cluster: c1
# -- clusters/c1/apps.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps/${cluster}
  postBuild:
    substitute:
      apps_namespace: ${cluster}-apps
"
    .to_string()
        + &objects("app", "${apps_namespace}").replace("apps/image.yaml", "apps/c1/image.yaml")
        + "# -- apps/c1/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"c1-apps:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(out.contains("is stale: ImagePolicy c1-apps/app"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10 (provenance): how an instance was built is kept, in words with `path:line`: the
/// Flux Kustomization that applies it, the namespace's source, and the values that made the name.
#[test]
fn provenance_of_an_instance() {
    let fixture = flux_kustomization("  targetNamespace: team\n")
        + &objects("${cluster_name}-app", "flux-system");
    let index = index_of(&files(&fixture));
    let [policy] = index.policies() else {
        panic!("one instance expected: {:?}", index.policies());
    };
    assert_eq!(policy.name, "c1-app");
    assert_eq!(policy.namespace.as_deref(), Some("team"));
    assert_eq!(
        policy.built.applied_by.as_deref(),
        Some("Flux Kustomization apps (clusters/c1/apps.yaml:1)")
    );
    assert_eq!(
        policy.built.namespace.as_deref(),
        Some(
            "`spec.targetNamespace: team` of Flux Kustomization apps (clusters/c1/apps.yaml:11) overrides `metadata.namespace: flux-system`"
        )
    );
    assert_eq!(
        policy.built.name.as_deref(),
        Some(
            "`${cluster_name}-app` with cluster_name=c1 from postBuild.substitute of Flux Kustomization apps (clusters/c1/apps.yaml:1)"
        )
    );
}

/// Issue 10 (instances per cluster): an automation sees only the policies of its own cluster.
/// Each cluster's bootstrap `flux-system` Kustomization applies its directory; the policy is
/// only in cluster a, the only automation only in cluster b.
#[test]
fn automations_see_only_their_cluster() {
    let fixture = bootstrap("a")
        + &bootstrap("b")
        + &objects("app", "flux-system").replace("apps/image.yaml", "clusters/a/image.yaml")
        + &automation("clusters/b/automation.yaml", "./apps")
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(out.contains("is in another cluster"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10 (messages): the did-you-mean for a wrong namespace says when the policy it names
/// would not be applied either (the automation is in another namespace), instead of offering a
/// fix that does not fix.
#[test]
fn wrong_namespace_suggestion_says_when_it_would_not_apply() {
    let fixture = flux_kustomization("  targetNamespace: apps\n")
        + &objects("app", "flux-system")
        + "# -- automation.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: flux-system
spec:
  update:
    path: ./
    strategy: Setters
# -- deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(
        out.contains("but no ImageUpdateAutomation applies that policy"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// Issue 10 (found on a public repository): a Flux Kustomization whose `spec.path` has no
/// kustomization builds the kustomizations below it, and those may include bases outside the
/// path (Flux's generated kustomization lists `cluster/`, whose build reaches `bases/`).
#[test]
fn generated_kustomization_reaches_bases_outside_the_path() {
    let fixture = "# -- clusters/dev.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: images
  namespace: flux-system
spec:
  path: ./envs/dev
  postBuild:
    substitute:
      APP: web
# -- envs/dev/cluster/kustomization.yaml
resources:
  - ../../../bases/images
# -- bases/images/kustomization.yaml
resources:
  - image.yaml
"
    .to_string()
        + &objects("${APP}", "flux-system").replace("apps/image.yaml", "bases/images/image.yaml")
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:web\"}
";
    let out = check(&fixture, TAGS);
    assert!(
        out.contains("is stale: ImagePolicy flux-system/web"),
        "{out}"
    );
}

/// Issue 10 ("not substituteFrom: say so where it matters"): a policy whose name needs a
/// `substituteFrom` value may be the one a marker names; fluxtag says it cannot tell (info)
/// instead of a false `policy-not-found`.
#[test]
fn substitute_from_values_are_unknown() {
    let fixture = flux_kustomization(
        "    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n",
    ) + &objects("${APP}-policy", "flux-system")
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:web-policy\"}
";
    let out = check(&fixture, TAGS);
    assert!(!out.contains("policy-not-found"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 11 (API lifecycle), differences §5: image objects in v1beta1 (removed in the image
/// controllers 1.0.0) or v1beta2 (removed in 1.2.0) are rejected by the cluster: `api-removed`
/// with a safe change to v1 (same spec fields), unsafe when the commit template must change
/// too; a template using `.Updated` or `.Changed.ImageResult` fails every commit
/// (`flux-semantics.md` §1.8, RemovedTemplateFieldError).
#[test]
fn removed_api_versions_and_template_fields() {
    let fixture = "# -- images.yaml
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '>=1.0.0'
---
apiVersion: \"image.toolkit.fluxcd.io/v1beta1\"
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: flux-system
spec:
  git:
    commit:
      messageTemplate: |
        Update images
        {{ range .Updated.Images }}- {{ . }}
        {{ end }}
  update:
    path: ./
    strategy: Setters
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: fine
  namespace: flux-system
spec:
  git:
    commit:
      messageTemplate: '{{ range .Changed.Changes }}{{ .NewValue }} {{ end }}{{ .UpdatedAt }}'
  update:
    path: ./
    strategy: Setters
# -- deploy.yaml
image: ghcr.io/org/app:v1.10.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(fixture, TAGS);
    assert_eq!(out.matches("error api-removed").count(), 3, "{out}");
    assert_eq!(out.matches("template-field-removed").count(), 1, "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 11 (things that stop the automation), fluxcd/flux2#4941: one marked file applied by
/// the automations of two clusters whose instances of the policy select different tags (the
/// range is substituted per cluster): each run undoes the other's commit.
#[test]
fn automations_of_two_clusters_disagree() {
    let cluster = |name: &str, range: &str| {
        bootstrap(name)
            + &format!(
                "# -- clusters/{name}/images.yaml
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: images
  namespace: flux-system
spec:
  path: ./images
  postBuild:
    substitute:
      range: '{range}'
"
            )
    };
    let fixture = cluster("a", "<1.10.0")
        + &cluster("b", ">=1.0.0")
        + &objects("app", "flux-system")
            .replace("apps/image.yaml", "images/image.yaml")
            .replace("'>=1.0.0'", "'${range}'")
        + &automation("images/automation.yaml", "./apps")
        + "# -- apps/deploy.yaml
image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(out.contains("error automation-conflict"), "{out}");
    insta::assert_snapshot!(out);
}

/// Issue 10 (found on a public repository): when the repository holds its bootstrap, an invalid
/// copy that no Flux Kustomization applies (no kustomization lists it) is no error: the cluster
/// may never get it. (Without a bootstrap nothing is judged stray: the bundled example.)
#[test]
fn objects_no_flux_kustomization_applies_are_information() {
    let fixture = bootstrap("c1")
        + &flux_kustomization("")
        + &objects("app", "flux-system")
        + "# -- apps/kustomization.yaml
resources:
  - image.yaml
# -- apps/old/image.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: old
  namespace: flux-system
spec:
  image: ghcr.io/org/app:1.0
";
    let out = check(&fixture, TAGS);
    assert!(
        out.contains("info repository-invalid apps/old/image.yaml"),
        "{out}"
    );
    assert!(!out.contains("error repository-invalid"), "{out}");
}

/// Issue 10 (found on public repositories): when the repository holds its bootstrap, a policy or
/// automation in a file no Flux Kustomization applies is not in the cluster: a marker using only
/// such a policy, or covered only by such an automation, is not applied.
#[test]
fn stray_policies_and_automations_do_not_apply() {
    let fixture = bootstrap("c1")
        + &flux_kustomization("")
        + &objects("app", "flux-system")
        + "# -- apps/kustomization.yaml
resources:
  - image.yaml
  - automation.yaml
# -- apps/unlisted.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: stray
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '>=1.0.0'
" + &automation("apps/automation.yaml", "./apps")
        + &automation("unused/automation.yaml", "./other").replace("name: bot", "name: unused")
        + "# -- apps/deploy.yaml
applied: ghcr.io/org/app:v1.10.0 # {\"$imagepolicy\": \"flux-system:app\"}
stray: ghcr.io/org/app:v1.10.0 # {\"$imagepolicy\": \"flux-system:stray\"}
# -- other/deploy.yaml
image: ghcr.io/org/app:v1.10.0 # {\"$imagepolicy\": \"flux-system:app\"}
";
    let out = check(&fixture, TAGS);
    assert!(
        out.contains(
            "ImagePolicy flux-system/stray is in apps/unlisted.yaml, which no Flux Kustomization"
        ),
        "{out}"
    );
    assert!(out.contains("ImageUpdateAutomation flux-system/unused (unused/automation.yaml) is in a file no Flux Kustomization"), "{out}");
    assert!(
        !out.contains("policy-not-in-automation apps/deploy.yaml:1"),
        "{out}"
    );
}

/// Issue 11 item 8b (`flux-semantics.md` §9): a marker on a block scalar's header is applied by
/// Flux, which writes the value after `|-`/`>-` (a `|` indicator becomes `|-`). The fix writes
/// exactly that; it is safe when the block's content is one line, and unsafe when Flux's rewrite
/// changes the number of lines (a multi-line block), because `--fix` keeps line counts
/// (issue 11 item 2).
#[test]
fn block_scalar_header_markers() {
    let fixture = objects("app", "flux-system")
        + "# -- apps/config.yaml
keep: | # {\"$imagepolicy\": \"flux-system:app\"}
  ghcr.io/org/app:1.9.0
strip: |- # {\"$imagepolicy\": \"flux-system:app\"}
  ghcr.io/org/app:1.9.0
lines: > # {\"$imagepolicy\": \"flux-system:app\"}
  ghcr.io/org/app:1.9.0
  more
";
    let out = check(&fixture, TAGS);
    assert_eq!(
        out.matches("fix (safe): Update to ghcr.io/org/app:v1.10.0")
            .count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("fix (unsafe): Update to ghcr.io/org/app:v1.10.0")
            .count(),
        1,
        "{out}"
    );
    assert!(
        out.contains(
            "keep: |- # {\"$imagepolicy\": \"flux-system:app\"}\n  ghcr.io/org/app:v1.10.0\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "lines: > # {\"$imagepolicy\": \"flux-system:app\"}\n  ghcr.io/org/app:1.9.0\n  more\n"
        ),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// Issue 12: policies that share a rule and a repository share one evaluation, and the result
/// is exactly what each policy evaluated alone gives (the same selections, candidates, tag
/// counts and findings); a policy with another rule over the same tags still gets its own.
#[test]
fn policies_sharing_a_rule_evaluate_as_each_alone() {
    let rule = |name: &str, range: &str| {
        format!(
            "---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: {name}
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: '{range}'
"
        )
    };
    let together = format!(
        "# -- image.yaml\n{REPO}{}{}{}{}",
        rule("dev", ">=1.0.0"),
        rule("stg", ">=1.0.0"),
        rule("prod", "<1.10.0"),
        rule("none", ">=3.0.0"),
    );
    let lookup = |canonical: &str, _: &_| match TAGS.iter().find(|(image, _)| *image == canonical) {
        Some((_, tags)) => TagLookup::Found(TagSet {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            digests: BTreeMap::new(),
            source: "test".into(),
        }),
        None => TagLookup::Failed("not in the test's tags".into()),
    };
    let report = resolve(&index_of(&files(&together)), &lookup);
    let by_name = |name: &str| {
        report
            .policies
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no policy {name}"))
    };
    for (name, range) in [
        ("dev", ">=1.0.0"),
        ("stg", ">=1.0.0"),
        ("prod", "<1.10.0"),
        ("none", ">=3.0.0"),
    ] {
        let alone = format!("# -- image.yaml\n{REPO}{}", rule(name, range));
        let alone = resolve(&index_of(&files(&alone)), &lookup);
        let (shared, alone) = (by_name(name), &alone.policies[0]);
        assert_eq!(shared.latest, alone.latest, "{name}");
        assert_eq!(shared.candidates, alone.candidates, "{name}");
        assert_eq!(shared.tag_count, alone.tag_count, "{name}");
        assert_eq!(shared.error, alone.error, "{name}");
    }
    let latest = |name: &str| by_name(name).latest.as_ref().map(|l| l.tag.clone());
    assert_eq!(latest("dev").as_deref(), Some("v1.10.0"));
    assert_eq!(latest("stg"), latest("dev"));
    assert_eq!(latest("prod").as_deref(), Some("1.9.0"));
    assert_eq!(
        by_name("none").error.as_ref().map(|e| e.0),
        Some(Code::NoMatchingTag)
    );
}

/// Issue 12: the index parses a patch file only when one of its patches is applied to an object
/// it builds, and then once: an overlay that patches a HelmRelease (a monorepo's per-environment
/// patch files, which carry the markers) builds no image object, so its patch file is never
/// read; the automation's patch of the ImagePolicy is, and still completes the policy.
#[test]
fn only_patch_files_applied_to_image_objects_are_read() {
    let fixture = "# -- apps/overlay/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../release.yaml
patches:
  - path: ../release-patch.yaml
# -- apps/automation/kustomization.yaml
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../image.yaml
patches:
  - path: ../policy-patch.yaml
# -- apps/release.yaml
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: flux-system
spec:
  values:
    image: ghcr.io/org/app:1.9.0
# -- apps/release-patch.yaml
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  namespace: flux-system
spec:
  values:
    image: ghcr.io/org/app:1.9.0 # {\"$imagepolicy\": \"flux-system:app\"}
# -- apps/policy-patch.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  policy:
    semver:
      range: '>=1.0.0'
# -- apps/image.yaml
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
";
    let files = files(fixture);
    let mut parser = Parser::new();
    let analyses: Vec<_> = files
        .iter()
        .map(|(path, text)| analyze_file(&mut parser, path, text.as_bytes()))
        .collect();
    let read = std::sync::Mutex::new(Vec::<String>::new());
    let index = Index::build(analyses, &|path| {
        read.lock().unwrap().push(path.to_string());
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, text)| text.as_bytes().to_vec())
    });
    assert_eq!(*read.lock().unwrap(), ["apps/policy-patch.yaml"]);
    let report = resolve(&index, &|_, _| {
        TagLookup::Found(TagSet {
            tags: vec!["1.9.0".into(), "1.10.0".into()],
            digests: BTreeMap::new(),
            source: "test".into(),
        })
    });
    assert_eq!(report.policies.len(), 1);
    assert_eq!(
        report.policies[0].latest.as_ref().map(|l| l.tag.as_str()),
        Some("1.10.0")
    );
}
