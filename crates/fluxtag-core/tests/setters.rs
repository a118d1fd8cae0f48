//! Setter behaviour end to end through the core: markers, policies, tags, resolution and the
//! surgical fix. The shapes are those of image-automation-controller's setter fixtures
//! (`flux-cases.md` §8.1: a CronJob with a changed and an unchanged marker, a kustomize `images:`
//! list with `:name`, `:tag` and `:digest` markers next to a literal block scalar, a file named
//! `Kustomization`, a marker naming another namespace, an unmarked file) and of the applier cases
//! (§8.2: `update.path`), written here with our own names and values. Values written follow
//! spec §1.5; bytes outside the values follow `fluxtag-differences.md` §1.

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fluxtag_core::analysis::analyze_file;
use fluxtag_core::diag::{Applicability, Code, Edit};
use fluxtag_core::edit::apply_edits;
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{MarkerStatus, TagLookup, TagSet, resolve};
use fluxtag_core::yaml::Parser;

const DIGEST: &str = "sha256:0f3c1f2e9a7b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";

fn objects(update_path: &str) -> String {
    format!(
        "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: auto
spec:
  update:
    path: {update_path}
    strategy: Setters
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: web
  namespace: auto
spec:
  imageRepositoryRef:
    name: web
  policy:
    semver:
      range: '>=1.0.0'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: web
  namespace: auto
spec:
  image: registry.example.org/team/web
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: steady
  namespace: auto
spec:
  imageRepositoryRef:
    name: steady
  policy:
    semver:
      range: '>=1.0.0'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: steady
  namespace: auto
spec:
  image: worker
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: pinned
  namespace: auto
spec:
  imageRepositoryRef:
    name: pinned
  digestReflectionPolicy: Always
  interval: 5m
  policy:
    semver:
      range: '>=1.0.0'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: pinned
  namespace: auto
spec:
  image: worker
  interval: 5m
"
    )
}

fn tags(canonical: &str) -> TagLookup {
    let set = |tags: &[&str], digests: &[(&str, &str)]| {
        TagLookup::Found(TagSet {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            digests: digests
                .iter()
                .map(|(t, d)| (t.to_string(), d.to_string()))
                .collect(),
            source: "test".to_string(),
        })
    };
    match canonical {
        "registry.example.org/team/web" => set(&["v2.3.1", "v2.3.0", "v1.9.0"], &[]),
        "index.docker.io/library/worker" => set(&["v3.0.0", "v2.0.0"], &[("v3.0.0", DIGEST)]),
        other => TagLookup::Failed(format!("unexpected image {other}")),
    }
}

/// Runs the core on `files` and returns each file after applying every safe fix.
fn fix(files: &[(&str, String)]) -> (BTreeMap<String, String>, fluxtag_core::resolve::Report) {
    let mut parser = Parser::new();
    let analyses = files
        .iter()
        .map(|(path, text)| analyze_file(&mut parser, path, text.as_bytes()))
        .collect();
    let index = Index::build(analyses, &|_| None);
    let report = resolve(&index, &|canonical, _| tags(canonical));
    let mut edits: BTreeMap<&str, Vec<Edit>> = BTreeMap::new();
    for d in &report.diagnostics {
        if let Some(fix) = &d.fix
            && fix.applicability == Applicability::Safe
        {
            edits
                .entry(d.path.as_str())
                .or_default()
                .extend(fix.edits.clone());
        }
    }
    let fixed = files
        .iter()
        .map(|(path, text)| {
            let new = apply_edits(
                text.as_bytes(),
                edits.get(path).map_or(&[][..], Vec::as_slice),
            )
            .unwrap();
            (path.to_string(), String::from_utf8(new).unwrap())
        })
        .collect();
    (fixed, report)
}

const CRONJOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: jobs
spec:
  schedule: \"0 1 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: one
            image: web:v1.0.0 # {\"$imagepolicy\": \"auto:web\"}
          - name: two
            image: worker:v3.0.0 # {\"$imagepolicy\": \"auto:steady\"}
";

const KUSTOMIZATION: &str = "# a kustomization with markers next to a literal block
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - app.yaml
images:
  - name: web
    newName: old-name # {\"$imagepolicy\": \"auto:web:name\"}
    newTag: v0 # {\"$imagepolicy\": \"auto:web:tag\"}
    newDigest: sha256:1111 # {\"$imagepolicy\": \"auto:pinned:digest\"}
patches:
  - patch: |
      - op: replace
        path: /spec/template/spec/containers/0/args
        value:
          - --trailing-space-below   
          - --keep
    target:
      kind: Deployment
      image: worker # {\"$imagepolicy\": \"auto:pinned\"}
";

/// §8.1: changed values are replaced, the unchanged one and every other byte stay.
#[test]
fn upstream_shapes_are_fixed_surgically() {
    let files = [
        ("flux/objects.yaml", objects("./")),
        ("marked.yaml", CRONJOB.to_string()),
        ("kustomization.yml", KUSTOMIZATION.to_string()),
        ("Kustomization", "images:\n  - name: web\n    newName: x # {\"$imagepolicy\": \"auto:web:name\"}\n    newTag: v1 # {\"$imagepolicy\": \"auto:web:tag\"}\n".to_string()),
        ("otherns.yaml", "image: web:v1.0.0 # {\"$imagepolicy\": \"elsewhere:web\"}\n".to_string()),
        ("unmarked.yaml", "image: web:v1.0.0\n".to_string()),
    ];
    let (fixed, report) = fix(&files);
    assert_eq!(
        fixed["marked.yaml"],
        CRONJOB.replace("web:v1.0.0 #", "registry.example.org/team/web:v2.3.1 #")
    );
    let expected_kustomization = KUSTOMIZATION
        .replace("old-name #", "registry.example.org/team/web #")
        .replace("v0 #", "v2.3.1 #")
        .replace("sha256:1111 #", &format!("{DIGEST} #"))
        .replace(
            "image: worker #",
            &format!("image: worker:v3.0.0@{DIGEST} #"),
        );
    assert_eq!(fixed["kustomization.yml"], expected_kustomization);
    assert_eq!(
        fixed["Kustomization"],
        "images:\n  - name: web\n    newName: registry.example.org/team/web # {\"$imagepolicy\": \"auto:web:name\"}\n    newTag: v2.3.1 # {\"$imagepolicy\": \"auto:web:tag\"}\n"
    );
    assert_eq!(
        fixed["otherns.yaml"], files[4].1,
        "a marker naming no policy is not touched"
    );
    assert_eq!(fixed["unmarked.yaml"], files[5].1);
    let unchanged = report
        .markers
        .iter()
        .find(|m| m.marker.reference == "auto:steady")
        .unwrap();
    assert_eq!(unchanged.status, MarkerStatus::Current);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::PolicyNotFound && d.path == "otherns.yaml")
    );
}

/// §8.2 `update.path`: a marker outside the automation's path is not applied by Flux; fluxtag
/// warns, and `--fix` leaves it alone.
#[test]
fn markers_outside_the_update_path_are_warned_about_and_left_alone() {
    let marker = "image: web:v1.0.0 # {\"$imagepolicy\": \"auto:web\"}\n".to_string();
    let files = [
        ("flux/objects.yaml", objects("./yes")),
        ("yes/deploy.yaml", marker.clone()),
        ("no/deploy.yaml", marker.clone()),
    ];
    let (fixed, report) = fix(&files);
    assert_eq!(
        fixed["yes/deploy.yaml"],
        marker.replace("web:v1.0.0", "registry.example.org/team/web:v2.3.1")
    );
    assert_eq!(fixed["no/deploy.yaml"], marker);
    let outside: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.path == "no/deploy.yaml")
        .collect();
    assert!(
        outside
            .iter()
            .any(|d| d.code == Code::PolicyNotInAutomation)
    );
    assert!(
        outside
            .iter()
            .all(|d| d.severity != fluxtag_core::diag::Severity::Error)
    );
}

/// Issue 11 item 8a: a long-form marker (`{"$ref": "#/definitions/io.k8s.cli.setters.<name>"}`,
/// kyaml `fieldmeta/fieldmeta.go` `FieldMeta.Read`, IAC `internal/update/filter.go`
/// `getSchema`) is resolved and fixed like the short form, suffixes included; the file is
/// screened through its short-form marker.
#[test]
fn long_form_markers_are_resolved_and_fixed() {
    let text = "images:\n  - name: web\n    newName: x # {\"$ref\": \"#/definitions/io.k8s.cli.setters.auto:web:name\"}\n    newTag: v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.auto:web:tag\"}\nimage: web:v1 # {\"$imagepolicy\": \"auto:web\"}\nfull: web:v1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.auto:web\"}\n";
    let files = [
        ("flux/objects.yaml", objects("./")),
        ("apps/kustomization.yaml", text.to_string()),
    ];
    let (fixed, report) = fix(&files);
    assert_eq!(
        fixed["apps/kustomization.yaml"],
        text.replace("newName: x #", "newName: registry.example.org/team/web #")
            .replace("newTag: v1 #", "newTag: v2.3.1 #")
            .replace("web:v1 #", "registry.example.org/team/web:v2.3.1 #")
    );
    let stale = report
        .markers
        .iter()
        .filter(|m| matches!(m.status, MarkerStatus::Stale(_)))
        .count();
    assert_eq!(stale, 4);
}

/// Issue 11 item 8d, `fluxtag-differences.md` §1: a replaced plain scalar is quoted exactly
/// when Flux quotes it. kyaml v0.21.1 `yaml/compatibility.go` `FormatNonStringStyle` double-
/// quotes the new value when `IsValueNonString` (go-yaml v2 `Unmarshal`) loads it as a
/// non-string; go-yaml v2.4.4 `resolve.go` `resolve` decides which: the first byte's hint
/// (`resolveTable`), the YAML 1.1 words (`resolveMap`), then for a sign or digit
/// `parseTimestamp`, `strconv.ParseInt(s, 0, 64)`/`ParseUint` after removing every `_`, and the
/// `yamlStyleFloat` pattern with `ParseFloat`; for `.` `ParseFloat`. go-yaml v3.0.4
/// `encode.go` quotes (`forceQuoting`) a `!!str` node that v3's narrower resolver would read
/// otherwise: only the empty string adds to v2's set. The rows marked §9 were also seen by
/// running `UpdateWithSetters` (`flux-semantics.md` §9).
#[test]
fn quoting_is_the_decision_flux_makes() {
    use fluxtag_core::yaml::ScalarStyle;
    use fluxtag_core::yaml::scalar::encode_in_style;
    let table: &[(&str, bool, &str)] = &[
        (
            "_1",
            false,
            "`_` has no hint in resolveTable: a string (§9)",
        ),
        ("1_000", true, "`_` removed, ParseInt(\"1000\") (§9)"),
        ("0x1F", true, "ParseInt base 0 reads the 0x prefix"),
        (
            "1e3",
            true,
            "not an int; yamlStyleFloat matches, ParseFloat ok",
        ),
        (".5", true, "hint `.`: ParseFloat ok"),
        ("yes", true, "resolveMap: YAML 1.1 bool"),
        ("on", true, "resolveMap: YAML 1.1 bool"),
        ("y", true, "resolveMap: YAML 1.1 bool"),
        ("~", true, "resolveMap: null"),
        ("1.10", true, "yamlStyleFloat, ParseFloat (§9)"),
        ("v1.2", false, "`v` has no hint: a string"),
        ("-1", true, "hint sign: ParseInt"),
        ("+1", true, "hint sign: ParseInt accepts `+`"),
        ("0o17", true, "ParseInt base 0 reads the 0o prefix (§9)"),
        ("0755", true, "ParseInt base 0: leading 0 is octal"),
        (
            "08",
            true,
            "not octal, but yamlStyleFloat and ParseFloat(\"08\")",
        ),
        (
            "1:2",
            false,
            "base 60 is purposely unsupported by go-yaml: a string",
        ),
        ("190:20:30", false, "base 60: a string"),
        ("124", true, "ParseInt (§9)"),
        ("2024-01-01", true, "parseTimestamp, layout 2006-1-2"),
        (
            "2024-02-30",
            false,
            "time.Parse rejects the day: then neither int nor float",
        ),
        (
            "0xFFFFFFFFFFFFFFFFFF",
            false,
            "ParseInt/ParseUint out of range, no float pattern (§9)",
        ),
        ("1e400", false, "ParseFloat out of range (§9)"),
        (
            "99999999999999999999",
            true,
            "beyond u64, but a finite float",
        ),
        ("inf", false, "`i` has no hint: a string"),
        ("nan", false, "hint `n`, not in resolveMap"),
        (".inf", true, "resolveMap"),
        ("<<", false, "`<` has no hint: a string"),
        ("1.2.3", false, "neither int nor float pattern"),
        ("5.0.3", false, "neither int nor float pattern"),
        ("", true, "v3 resolves \"\" as null: forceQuoting"),
    ];
    for (value, quoted, source) in table {
        let written = encode_in_style(value, ScalarStyle::Plain, false);
        let expected = if *quoted {
            format!("\"{value}\"")
        } else {
            value.to_string()
        };
        assert_eq!(written, expected, "{value:?}: {source}");
    }
    // Styles are kept: single stays single, double stays double (FormatNonStringStyle only
    // touches a scalar that is neither).
    assert_eq!(
        encode_in_style("1.10", ScalarStyle::SingleQuoted, false),
        "'1.10'"
    );
    assert_eq!(
        encode_in_style("_1", ScalarStyle::DoubleQuoted, false),
        "\"_1\""
    );
}

/// Issue 11 item 8b, `flux-semantics.md` §9 (seen running `UpdateWithSetters`): a marker on a
/// block scalar's header line is the scalar's line comment in go-yaml v3, so Flux applies it.
/// It writes the value with kyaml's `FormatNonStringStyle` (kyaml v0.21.1
/// `yaml/compatibility.go`: a block scalar is neither single- nor double-quoted, so a value
/// go-yaml v2 loads as a non-string becomes double-quoted) and go-yaml v3.0.4's emitter
/// (`emitterc.go` `yaml_emitter_write_literal_scalar`: `|`, then `-` from
/// `yaml_emitter_write_block_scalar_hints` since the value has no final line break, then the
/// line comment, then the value on the next line). The decoded value keeps its chomping, so a
/// `|` block is stale until it is `|-`.
#[test]
fn block_scalar_header_markers_are_applied() {
    use fluxtag_core::marker::block_header_edits;
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "data:\n  block: |- # {\"$imagepolicy\": \"auto:web\"}\n    web:v1.0.0\n  other: x\n",
            "data:\n  block: |- # {\"$imagepolicy\": \"auto:web\"}\n    registry.example.org/team/web:v2.3.1\n  other: x\n",
            // The content-only edit already writes it.
            Some(
                "data:\n  block: |- # {\"$imagepolicy\": \"auto:web\"}\n    registry.example.org/team/web:v2.3.1\n  other: x\n",
            ),
        ),
        (
            "data:\n  block: | # {\"$imagepolicy\": \"auto:web\"}\n    web:v1.0.0\n  other: x\n",
            "data:\n  block: |- # {\"$imagepolicy\": \"auto:web\"}\n    registry.example.org/team/web:v2.3.1\n  other: x\n",
            None,
        ),
        (
            "list:\n  - >+ # {\"$imagepolicy\": \"auto:web:tag\"}\n    v1\n    more\n\n  - next\n",
            "list:\n  - >- # {\"$imagepolicy\": \"auto:web:tag\"}\n    v2.3.1\n\n  - next\n",
            None,
        ),
        (
            // A value Flux quotes is written on the header line, double-quoted.
            // (the edits are written for the value `1.10` here, whatever the policy selects)
            "tag: |2 # {\"$imagepolicy\": \"auto:web:tag\"}\n    1.9\nafter: x\n",
            "tag: \"1.10\" # {\"$imagepolicy\": \"auto:web:tag\"}\nafter: x\n",
            None,
        ),
    ];
    let objects = objects("./");
    for (text, flux_writes, content_only) in cases {
        let files = [
            ("flux/objects.yaml", objects.clone()),
            ("apps/config.yaml", text.to_string()),
        ];
        let (fixed, report) = fix(&files);
        let marker = report
            .markers
            .iter()
            .find(|m| m.path == "apps/config.yaml")
            .unwrap_or_else(|| panic!("{text}: no marker"));
        assert!(
            matches!(marker.status, MarkerStatus::Stale(_)),
            "{text}: {:?}",
            marker.status
        );
        let expected = if text.starts_with("tag:") {
            "1.10".to_string()
        } else {
            marker.expected.clone().unwrap_or_default()
        };
        let edits = block_header_edits(&marker.marker, &expected)
            .unwrap_or_else(|| panic!("{text}: not a block header marker"));
        let written = String::from_utf8(apply_edits(text.as_bytes(), &edits).unwrap()).unwrap();
        assert_eq!(written, *flux_writes, "{text}");
        if let Some(content_only) = content_only {
            assert_eq!(fixed["apps/config.yaml"], *content_only, "{text}");
        }
    }
    // No more "inside a block scalar" for the header line; content lines still are.
    let text = "a: | # {\"$imagepolicy\": \"auto:web\"}\n  x # {\"$imagepolicy\": \"auto:web\"}\n";
    let mut parser = Parser::new();
    let analysis = analyze_file(&mut parser, "a.yaml", text.as_bytes());
    assert_eq!(analysis.markers.markers.len(), 1);
    let misplaced: Vec<_> = analysis
        .markers
        .diagnostics
        .iter()
        .map(|d| (d.code, d.range.start))
        .collect();
    assert_eq!(
        misplaced,
        [(Code::MarkerMisplaced, text.find("x #").unwrap() + 2)]
    );
}
