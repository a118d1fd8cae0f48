//! Issue 11 ("Done when"): `--fix` over random real-looking trees changes no byte outside the
//! scalars of stale markers (a block scalar's header indicator included; and the version of a removed `apiVersion`, the other documented safe
//! fix), never changes a line count, and a second run has nothing left to fix. The trees mix
//! what real repositories hold: policies in several API versions, a kustomization, an
//! automation, markers in every place Flux reads them and in places it does not, malformed
//! markers, prose naming `$imagepolicy`, block scalars (with markers on their header line or in
//! their content), Helm-like templates, and a random
//! damage (a byte deleted or a line duplicated) in one file.

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fluxtag_core::analysis::analyze_file;
use fluxtag_core::diag::Code;
use fluxtag_core::edit::{apply_edits, safe_edits};
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{MarkerStatus, Report, TagLookup, TagSet, resolve};
use fluxtag_core::yaml::Parser;
use proptest::prelude::*;

const TAGS: &[&str] = &[
    "1.0.0",
    "1.9.0",
    "1.10.0",
    "2.0.0-rc.1",
    "v1.10.0",
    "main-3",
];

/// The objects: three policies on one repository, in the version given.
fn objects(api_version: &str) -> String {
    let mut text = format!(
        "apiVersion: image.toolkit.fluxcd.io/{api_version}
kind: ImageRepository
metadata:
  name: app
spec:
  image: ghcr.io/org/app
  interval: 5m
"
    );
    for (name, rule) in [
        ("semver", "semver:\n      range: '>=1.0.0'"),
        ("ones", "semver:\n      range: '1.x'"),
        ("alpha", "alphabetical:\n      order: asc"),
    ] {
        text.push_str(&format!(
            "---
apiVersion: image.toolkit.fluxcd.io/{api_version}
kind: ImagePolicy
metadata:
  name: {name}
spec:
  imageRepositoryRef:
    name: app
  policy:
    {rule}
"
        ));
    }
    text
}

const KUSTOMIZATION: &str = "namespace: flux-system\nresources:\n  - images.yaml\n";

const AUTOMATION: &str = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: bot
  namespace: flux-system
spec:
  update:
    path: ./apps
    strategy: Setters
";

/// One piece of a marker file: a marker in some place, or something near a marker.
fn piece() -> impl Strategy<Value = String> {
    let policy = prop_oneof![Just("semver"), Just("ones"), Just("alpha"), Just("missing")];
    let value = prop_oneof![
        Just("ghcr.io/org/app:1.0.0"),
        Just("ghcr.io/org/app:1.9.0"),
        Just("'ghcr.io/org/app:1.0.0'"),
        Just("\"ghcr.io/org/app:v1.10.0\""),
    ];
    let tag = prop_oneof![Just("1.0.0"), Just("'1.9.0'"), Just("1.10"), Just("main-3")];
    (policy, value, tag, 0..14usize).prop_map(|(policy, value, tag, shape)| match shape {
        0 => format!("image: {value} # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n"),
        1 => format!("tag: {tag} # {{\"$imagepolicy\": \"flux-system:{policy}:tag\"}}\n"),
        2 => format!(
            "containers:\n  - name: x\n    image: {value} # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n"
        ),
        3 => format!("# {{\"$imagepolicy\": \"flux-system:{policy}\"}}\nimage: {value}\n"),
        4 => format!("image: {value} # {{\"$imagepolicy\": flux-system:{policy}}}\n"),
        5 => format!("# $imagepolicy markers for {policy} live in apps/deploy.yaml\nkey: v\n"),
        6 => format!(
            "note: |\n  image: {value} # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n"
        ),
        7 => format!(
            "{{{{- if .Values.on }}}}\nimage: {value} # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n{{{{- end }}}}\n"
        ),
        8 => format!("list: [{value}] # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n"),
        9 => "---\n".to_string(),
        10 => format!("name: {policy} # {{\"$imagepolicy\": \"flux-system:{policy}:name\"}}\n"),
        // Markers on a block scalar's header line (Flux applies them, issue 11 item 8b).
        11 => format!("block: | # {{\"$imagepolicy\": \"flux-system:{policy}:tag\"}}\n  {tag}\n"),
        12 => format!(
            "block: >+ # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n  {value}\n  more\n\n"
        ),
        _ => "empty: # {\"$imagepolicy\": \"flux-system:semver\"}\n".to_string(),
    })
}

/// A tree: the objects, a kustomization, an automation and two marker files, one of them
/// damaged at `damage` (a byte deleted, or a line duplicated).
fn tree() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        prop_oneof![Just("v1"), Just("v1beta2"), Just("v1beta1")],
        prop::collection::vec(piece(), 1..8),
        prop::collection::vec(piece(), 1..8),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(version, first, second, damage, delete)| {
            let mut damaged: String = second.concat();
            if !damaged.is_empty() {
                let at = damage.index(damaged.len());
                let at = (0..=at)
                    .rev()
                    .find(|&i| damaged.is_char_boundary(i))
                    .unwrap_or(0);
                if delete {
                    damaged.remove(at);
                } else {
                    let start = damaged[..at].rfind('\n').map_or(0, |i| i + 1);
                    let end = damaged[at..]
                        .find('\n')
                        .map_or(damaged.len(), |i| at + i + 1);
                    let line = damaged[start..end].to_string();
                    damaged.insert_str(start, &line);
                }
            }
            vec![
                ("flux/images.yaml".to_string(), objects(version)),
                (
                    "flux/kustomization.yaml".to_string(),
                    KUSTOMIZATION.to_string(),
                ),
                ("flux/automation.yaml".to_string(), AUTOMATION.to_string()),
                ("apps/deploy.yaml".to_string(), first.concat()),
                ("apps/damaged.yaml".to_string(), damaged),
            ]
        })
}

/// The report on a tree.
fn check(files: &[(String, String)]) -> (Report, Index) {
    let mut parser = Parser::new();
    let analyses: Vec<_> = files
        .iter()
        .map(|(path, text)| analyze_file(&mut parser, path, text.as_bytes()))
        .collect();
    let index = Index::build(analyses, &|path| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_bytes().to_vec())
    });
    let report = resolve(&index, &|canonical, _| {
        TagLookup::Found(TagSet {
            tags: TAGS.iter().map(|t| t.to_string()).collect(),
            digests: BTreeMap::new(),
            source: format!("test ({canonical})"),
        })
    });
    (report, index)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn fix_changes_only_documented_bytes_and_is_idempotent(files in tree()) {
        let (report, _) = check(&files);
        // Where a safe fix may write: the scalar of a stale marker (and, for a marker on a
        // block scalar's header, the block's indicator), the version of a removed apiVersion.
        let allowed: Vec<(String, std::ops::Range<usize>)> = report
            .markers
            .iter()
            .filter(|m| matches!(m.status, MarkerStatus::Stale(_)))
            .flat_map(|m| {
                let indicator = m.marker.block_header.as_ref().map(|h| h.indicator.clone());
                std::iter::once(m.marker.scalar.clone())
                    .chain(indicator)
                    .map(|range| (m.path.clone(), range))
            })
            .chain(
                report
                    .diagnostics
                    .iter()
                    .filter(|d| d.code == Code::ApiRemoved)
                    .filter_map(|d| Some((d.path.clone(), d.fix.as_ref()?.edits.first()?.range.clone()))),
            )
            .collect();
        let edits = safe_edits(&report.diagnostics);
        let mut fixed = files.clone();
        for (path, text) in &mut fixed {
            let Some(file_edits) = edits.get(path.as_str()) else { continue };
            for edit in file_edits {
                prop_assert!(
                    allowed.iter().any(|(p, r)| p == path && r.start <= edit.range.start && edit.range.end <= r.end),
                    "{path}: edit {edit:?} outside a documented fix in {text:?}"
                );
            }
            let Ok(new) = apply_edits(text.as_bytes(), file_edits) else { continue };
            let new = String::from_utf8(new).unwrap();
            prop_assert_eq!(text.lines().count(), new.lines().count(), "{} line count", path);
            *text = new;
        }
        let (again, _) = check(&fixed);
        let left = safe_edits(&again.diagnostics);
        prop_assert!(left.is_empty(), "a second --fix would still write {left:?}");
    }
}

/// The property is not vacuous: most generated trees have safe fixes to check.
#[test]
fn most_trees_have_fixes() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = tree();
    let with_fixes = (0..50)
        .filter(|_| {
            let files = strategy.new_tree(&mut runner).unwrap().current();
            !safe_edits(&check(&files).0.diagnostics).is_empty()
        })
        .count();
    assert!(
        with_fixes >= 35,
        "only {with_fixes} of 50 trees have a safe fix"
    );
    eprintln!("{with_fixes} of 50 trees have safe fixes");
}
