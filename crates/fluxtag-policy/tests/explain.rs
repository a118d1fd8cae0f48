//! `Policy::explain` on hand-picked tag lists: what each stage reports, in the user's terms
//! (issue 13; spec flux-semantics.md §4, fluxtag-differences.md §3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fluxtag_policy::{NotAVersion, Policy, PolicySpec, Rejection, Stage, TagFilterSpec, TieBreak};

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_owned()).collect()
}

fn semver(range: &str, filter: Option<(&str, &str)>) -> Policy {
    Policy::new(&PolicySpec {
        semver_range: Some(range.to_owned()),
        alphabetical_order: None,
        numerical_order: None,
        filter_tags: filter.map(|(pattern, extract)| TagFilterSpec {
            pattern: pattern.to_owned(),
            extract: extract.to_owned(),
        }),
    })
    .unwrap()
}

/// §4.1: why each tag the semver policy skips is skipped, in scan order (descending bytes).
#[test]
fn semver_rejections_say_why() {
    let policy = semver(">=1.0.0 <2.0.0", None);
    let explanation = policy.explain(
        &tags(&["latest", "1.2", "2.0.0", "1.5.0-rc.1", "1.4.0", "01.x.y"]),
        5,
    );
    let rejected: Vec<(&str, &Rejection)> = explanation
        .rejected
        .iter()
        .map(|r| (r.candidate.tag.as_str(), &r.why))
        .collect();
    assert_eq!(rejected.len(), 5, "{rejected:?}");
    assert_eq!(
        rejected[0],
        (
            "latest",
            &Rejection::NotAVersion(NotAVersion::FewerThanTwoDots)
        )
    );
    assert_eq!(
        rejected[1],
        (
            "2.0.0",
            &Rejection::OutOfRange {
                version: "2.0.0".to_owned(),
                comparators: vec!["<2.0.0".to_owned()],
            }
        )
    );
    assert_eq!(
        rejected[2],
        (
            "1.5.0-rc.1",
            &Rejection::Prerelease {
                version: "1.5.0-rc.1".to_owned()
            }
        )
    );
    assert_eq!(
        rejected[3],
        (
            "1.2",
            &Rejection::NotAVersion(NotAVersion::FewerThanTwoDots)
        )
    );
    assert!(
        matches!(
            rejected[4],
            ("01.x.y", Rejection::NotAVersion(NotAVersion::Invalid(_)))
        ),
        "{rejected:?}"
    );
    assert_eq!(explanation.selected(), Some("1.4.0"));
    assert_eq!(explanation.decided_by(), Stage::Ranking);
    assert_eq!(explanation.ranked, 1);
}

/// An OR-range names the rejecting comparator of each group.
#[test]
fn each_or_group_names_its_comparator() {
    let policy = semver(">=1.0.0 <1.2.0 || >=3.0.0", None);
    let explanation = policy.explain(&tags(&["2.5.0"]), 5);
    assert_eq!(
        explanation.rejected[0].why,
        Rejection::OutOfRange {
            version: "2.5.0".to_owned(),
            comparators: vec!["<1.2.0".to_owned(), ">=3.0.0".to_owned()],
        }
    );
    assert_eq!(explanation.decided_by(), Stage::Policy);
    assert!(explanation.no_tag.is_some());
}

/// fluxtag-differences §3: `v1.2.3` and `1.2.3` tie; the first in scan order wins, and the
/// ranking shows the tie and the value compared.
#[test]
fn semver_ties_are_shown() {
    let policy = semver(">=1.0.0", None);
    let explanation = policy.explain(&tags(&["1.2.3", "v1.2.3", "1.0.0+build.7"]), 5);
    let ranking: Vec<(&str, &str, bool)> = explanation
        .ranking
        .iter()
        .map(|r| (r.tag.as_str(), r.value.as_str(), r.tied_with_previous))
        .collect();
    assert_eq!(
        ranking,
        vec![
            ("v1.2.3", "1.2.3", false),
            ("1.2.3", "1.2.3", true),
            ("1.0.0+build.7", "1.0.0", false)
        ]
    );
    assert_eq!(explanation.tie_break, TieBreak::FirstInScanOrder);
}

/// filterTags: unmatched tags, the extracted key compared, and a tag replaced by a later one
/// with the same key (fluxtag-differences §3: the byte-wise smallest original survives).
#[test]
fn filter_stage_reports_unmatched_and_replaced() {
    let policy = semver(">=1.0.0", Some(("^(?:v|release-)(?P<v>.*)$", "$v")));
    let explanation = policy.explain(&tags(&["v1.2.0", "release-1.2.0", "nightly", "v1.1.0"]), 5);
    let filter = explanation.filter.as_ref().unwrap();
    assert_eq!(filter.unmatched, vec!["nightly".to_owned()]);
    assert_eq!(filter.replaced.len(), 1);
    assert_eq!(filter.replaced[0].tag, "v1.2.0");
    assert_eq!(filter.replaced[0].by, "release-1.2.0");
    assert_eq!(filter.replaced[0].key, "1.2.0");
    assert_eq!(filter.kept, 2);
    assert_eq!(explanation.selected(), Some("release-1.2.0"));
    assert_eq!(explanation.ranking[0].key, "1.2.0");
}

/// §4.2: the first non-number ends the numerical policy; it is the only rejection.
#[test]
fn numerical_stops_at_the_first_non_number() {
    let policy = Policy::new(&PolicySpec {
        semver_range: None,
        alphabetical_order: None,
        numerical_order: Some("asc".to_owned()),
        filter_tags: None,
    })
    .unwrap();
    let explanation = policy.explain(&tags(&["20", "10", "latest", "abc"]), 5);
    assert_eq!(explanation.rejected.len(), 1);
    assert_eq!(explanation.rejected[0].candidate.tag, "latest");
    assert_eq!(explanation.rejected[0].why, Rejection::NotANumber);
    assert_eq!(explanation.decided_by(), Stage::Policy);
    assert!(explanation.ranking.is_empty());
}

/// No tags at all, and a filter that matches none: the stage that ended it.
#[test]
fn empty_outcomes_name_their_stage() {
    let plain = semver(">=1.0.0", None);
    assert_eq!(plain.explain(&[], 5).decided_by(), Stage::Tags);
    let filtered = semver(">=1.0.0", Some(("^main-", "")));
    let explanation = filtered.explain(&tags(&["1.0.0"]), 5);
    assert_eq!(explanation.decided_by(), Stage::Filter);
    assert_eq!(
        explanation.filter.unwrap().unmatched,
        vec!["1.0.0".to_owned()]
    );
}
