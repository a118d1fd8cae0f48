//! `fluxtag explain` at the repository level (issue 13): the exclusion list's removals with the
//! pattern that removed each tag (spec `flux-semantics.md` §3.2, the default `^.*\.sig$`
//! included), then the policy's own stages, whose selection is the report's.

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fluxtag_core::analysis::analyze_file;
use fluxtag_core::explain::{ExcludedTag, explain_policy, find_policies};
use fluxtag_core::index::Index;
use fluxtag_core::resolve::{TagLookup, TagSet, resolve};
use fluxtag_core::yaml::Parser;
use fluxtag_policy::Stage;

fn index_of(files: &[(&str, &str)]) -> Index {
    let mut parser = Parser::new();
    let analyses: Vec<_> = files
        .iter()
        .map(|(path, text)| analyze_file(&mut parser, path, text.as_bytes()))
        .collect();
    Index::build(analyses, &|_| None)
}

const OBJECTS: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: ghcr.io/org/app
  interval: 5m
  exclusionList:
    - \"^.*-rc.*$\"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: \">=1.0.0 <2.0.0\"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: plain
  namespace: flux-system
spec:
  image: ghcr.io/org/plain
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: plain
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: plain
  policy:
    numerical:
      order: asc
";

fn lookup(canonical: &str) -> TagLookup {
    let tags: &[&str] = match canonical {
        "ghcr.io/org/app" => &[
            "1.1.0",
            "1.2.0-rc.1",
            "2.0.0",
            "1.0.0",
            "sha256-abc.sig",
            "latest",
        ],
        "ghcr.io/org/plain" => &["3", "12", "7.sig", "x"],
        _ => return TagLookup::Failed(format!("no tags for {canonical}")),
    };
    TagLookup::Found(TagSet {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        digests: BTreeMap::new(),
        source: "snapshot".to_owned(),
    })
}

/// The exclusion list comes before the policy: `-rc` tags go by the repository's own pattern;
/// the policy then rejects what it cannot use, and its selection is the report's.
#[test]
fn exclusion_then_policy() {
    let index = index_of(&[("objects.yaml", OBJECTS)]);
    let tags = |c: &str, _: &_| lookup(c);
    let report = resolve(&index, &tags);
    let ids = find_policies(&index, Some("flux-system"), "app");
    assert_eq!(ids.len(), 1);
    let explained = explain_policy(&index, &report, ids[0], &tags, 5).unwrap();
    assert_eq!(explained.listed, Some(6));
    assert_eq!(
        explained.excluded,
        vec![ExcludedTag {
            tag: "1.2.0-rc.1".to_owned(),
            pattern: "^.*-rc.*$".to_owned()
        }]
    );
    let evaluation = explained.evaluation.unwrap();
    assert_eq!(evaluation.tags, 5);
    // `latest` and the `.sig` tag (the repository's list replaces the default) are not
    // versions; 2.0.0 is out of range.
    assert_eq!(evaluation.rejected.len(), 3);
    assert_eq!(evaluation.selected(), Some("1.1.0"));
    let latest = explained.report.latest.as_ref().unwrap();
    assert_eq!(evaluation.selected(), Some(latest.tag.as_str()));
    assert_eq!(evaluation.decided_by(), Stage::Ranking);
}

/// Without an exclusion list the default `^.*\.sig$` removes signature tags; a numerical
/// policy then stops at the first non-number, as the report says.
#[test]
fn default_exclusion_and_numerical_abort() {
    let index = index_of(&[("objects.yaml", OBJECTS)]);
    let tags = |c: &str, _: &_| lookup(c);
    let report = resolve(&index, &tags);
    let ids = find_policies(&index, None, "plain");
    let explained = explain_policy(&index, &report, ids[0], &tags, 5).unwrap();
    assert_eq!(explained.excluded.len(), 1);
    assert_eq!(explained.excluded[0].tag, "7.sig");
    assert_eq!(explained.excluded[0].pattern, r"^.*\.sig$");
    let evaluation = explained.evaluation.unwrap();
    assert_eq!(evaluation.decided_by(), Stage::Policy);
    assert_eq!(evaluation.rejected[0].candidate.tag, "x");
    assert!(explained.report.latest.is_none());
    assert!(explained.report.error.is_some());
}

/// A policy that names no repository of the index has nothing to explain beyond the report's
/// error; an unknown name finds nothing.
#[test]
fn nothing_to_evaluate() {
    let index = index_of(&[("objects.yaml", OBJECTS)]);
    let tags = |_: &str, _: &_| TagLookup::Failed("offline".to_owned());
    let report = resolve(&index, &tags);
    assert!(find_policies(&index, Some("default"), "app").is_empty());
    let ids = find_policies(&index, None, "app");
    let explained = explain_policy(&index, &report, ids[0], &tags, 5).unwrap();
    assert_eq!(explained.listed, None);
    assert!(explained.evaluation.is_none());
    assert!(explained.report.error.is_some());
}

/// The summary (hover lines, the `note` of `stale` and `no-matching-tag`) is the full
/// explanation in counts: the same exclusions, rejections and selection, stage by stage.
#[test]
fn the_summary_counts_what_the_explanation_lists() {
    let index = index_of(&[("objects.yaml", OBJECTS)]);
    let tags = |c: &str, _: &_| lookup(c);
    let report = resolve(&index, &tags);
    for name in ["app", "plain"] {
        let id = find_policies(&index, None, name)[0];
        let explained = explain_policy(&index, &report, id, &tags, usize::MAX).unwrap();
        let summary = explained.report.summary().unwrap();
        let evaluation = explained.evaluation.as_ref().unwrap();
        assert_eq!(Some(summary.listed), explained.listed, "{name}");
        assert_eq!(
            summary.excluded.iter().map(|e| e.count).sum::<usize>(),
            explained.excluded.len(),
            "{name}"
        );
        let rejected = summary.not_a_version
            + summary.out_of_range
            + summary.prerelease
            + usize::from(summary.not_a_number.is_some());
        assert_eq!(rejected, evaluation.rejected.len(), "{name}");
        assert_eq!(summary.ranked, evaluation.ranked, "{name}");
        assert_eq!(summary.selected.as_deref(), evaluation.selected(), "{name}");
        assert_eq!(
            summary.runner_up.as_deref(),
            evaluation.ranking.get(1).map(|r| r.tag.as_str()),
            "{name}"
        );
    }
}

/// The one-line form names each stage that removed something, with its pattern or range
/// (flux-semantics §3.2 exclusion, §4.1 semver), and the winner over the runner-up.
#[test]
fn the_summary_line_names_each_stage() {
    let index = index_of(&[("objects.yaml", OBJECTS)]);
    let tags = |c: &str, _: &_| lookup(c);
    let report = resolve(&index, &tags);
    let app = report
        .policy(find_policies(&index, None, "app")[0])
        .unwrap();
    assert_eq!(
        app.summary().unwrap().to_string(),
        "6 tags, 1 excluded by `^.*-rc.*$`, 2 not a version, 1 out of range `>=1.0.0 <2.0.0`, 2 ranked: `1.1.0` over `1.0.0`"
    );
    let plain = report
        .policy(find_policies(&index, None, "plain")[0])
        .unwrap();
    assert_eq!(
        plain.summary().unwrap().to_string(),
        r"4 tags, 1 excluded by `^.*\.sig$`, `x` is not a number, which fails the policy, none selected"
    );
    // Nothing evaluated (the tags could not be read): no summary.
    let offline = |_: &str, _: &_| TagLookup::Failed("offline".to_owned());
    let report = resolve(&index, &offline);
    assert!(report.policies.iter().all(|p| p.summary().is_none()));
}
