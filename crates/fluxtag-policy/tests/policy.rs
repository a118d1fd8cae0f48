//! Data-driven tests for spec `flux-cases.md` §5 (ImagePolicy evaluation) and our own policy
//! cases (flux-semantics.md §4 and §8, fluxtag-differences.md §3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Failures, load};
use fluxtag_policy::{Policy, PolicySpec, TagFilterSpec};
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Debug, serde::Deserialize)]
struct FilterSpec {
    pattern: String,
    extract: String,
}

#[derive(Debug, serde::Deserialize)]
struct PolicyCase {
    row: usize,
    case: String,
    /// One of `semver`, `alphabetical`, `numerical` (several allowed, to test precedence).
    policy: BTreeMap<String, String>,
    filter_tags: Option<FilterSpec>,
    tags: Vec<String>,
    /// Evaluate with `latest` (sorted descending first) instead of `latest_in_order`.
    #[serde(default)]
    sorted: bool,
    latest: Option<String>,
    error: Option<String>,
}

fn spec(case: &PolicyCase) -> PolicySpec {
    PolicySpec {
        semver_range: case.policy.get("semver").cloned(),
        alphabetical_order: case.policy.get("alphabetical").cloned(),
        numerical_order: case.policy.get("numerical").cloned(),
        filter_tags: case.filter_tags.as_ref().map(|f| TagFilterSpec {
            pattern: f.pattern.clone(),
            extract: f.extract.clone(),
        }),
    }
}

fn run_policies(file: &str) {
    let table = load::<PolicyCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("#{} {}", case.row, case.case);
        // The controller prefixes policy errors with `invalid policy: ` (or, in the
        // applyPolicy test, `invalid filter: `); our errors carry the reason only.
        let expected_invalid = case.error.as_deref().and_then(|e| {
            e.strip_prefix("invalid policy: ")
                .or_else(|| e.strip_prefix("invalid filter: "))
        });
        let policy = match Policy::new(&spec(case)) {
            Ok(policy) => policy,
            Err(e) => {
                match expected_invalid {
                    Some(expected) => failures.check(i, &what, expected.to_owned(), e.to_string()),
                    None => failures.fail(i, format!("{what}: unexpected invalid policy: {e}")),
                }
                continue;
            }
        };
        if let Some(expected) = expected_invalid {
            failures.fail(i, format!("{what}: expected invalid policy {expected:?}"));
            continue;
        }
        // Issue 11 item 5: the user's words exist exactly when the controller fails.
        let no_tag = policy.no_tag(&case.tags);
        if no_tag.is_some() != policy.latest(&case.tags).is_err() {
            failures.fail(
                i,
                format!("{what}: no_tag {no_tag:?} disagrees with latest"),
            );
        }
        // Issue 13: the explanation is this evaluation, and names the stage that decided it.
        for problem in common::explanation_problems(&policy, &case.tags, 5) {
            failures.fail(i, format!("{what}: explain: {problem}"));
        }
        let result = if case.sorted {
            policy.latest(&case.tags)
        } else {
            policy.latest_in_order(&case.tags)
        };
        match (result, &case.latest, &case.error) {
            (Ok(tag), Some(expected), _) => failures.check(i, &what, expected.clone(), tag),
            (Err(e), _, Some(expected)) => {
                failures.check(i, &what, expected.clone(), e.to_string())
            }
            (Ok(tag), None, _) => {
                failures.fail(i, format!("{what}: expected an error, got {tag:?}"))
            }
            (Err(e), _, None) => failures.fail(i, format!("{what}: unexpected error {e}")),
        }
    }
    failures.finish();
}

/// flux-cases.md §5: every row, through `latest_in_order` with the listed input order.
#[test]
fn policy_latest_section_5() {
    run_policies("policy_latest.json");
}

/// Our own policy rows: flux-semantics.md §8 checklist items 6-12 (two dots, leading zeros,
/// `v` ties, prereleases, Masterminds quirks, numerical parsing and NaN, byte order,
/// filterTags semantics, exclusion default), ParseFloat edge cases in the numerical scan,
/// policy precedence, and fluxtag's deterministic choices (fluxtag-differences.md §3).
#[test]
fn policy_latest_own_cases() {
    run_policies("policy_latest_own.json");
}

fn filtered(choice: PolicySpec, pattern: &str, extract: &str) -> Policy {
    policy(PolicySpec {
        filter_tags: Some(TagFilterSpec {
            pattern: pattern.to_owned(),
            extract: extract.to_owned(),
        }),
        ..choice
    })
}

fn semver_spec(range: &str) -> PolicySpec {
    PolicySpec {
        semver_range: Some(range.to_owned()),
        ..PolicySpec::default()
    }
}

fn numerical_spec() -> PolicySpec {
    PolicySpec {
        numerical_order: Some("asc".to_owned()),
        ..PolicySpec::default()
    }
}

/// Issue 11 item 5: when a policy selects no tag, `no_tag` says what happened instead of the
/// controller's words (spec flux-semantics.md §2.3 and §4: which failure is which is Flux's).
#[test]
fn no_tag_says_what_happened() {
    let say = |policy: &Policy, list: &[&str]| {
        policy
            .no_tag(&tags(list))
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    // §2.3 "filtered list empty".
    let main = filtered(semver_spec(">=0.0.0"), "^main-(?P<date>[0-9]{8})$", "$date");
    assert_eq!(
        say(&main, &["v1.0.0", "latest", "dev-20240101"]),
        "filterTags `^main-(?P<date>[0-9]{8})$` matched none of 3 tags (e.g. `v1.0.0`)"
    );
    assert_eq!(say(&main, &[]), "there are no tags");
    // §4.1 "nothing parses+matches": the newest version the range left out.
    let range = semver(">=5.0.0");
    assert_eq!(
        say(&range, &["4.0.9", "4.0.11", "latest", "3.9.0"]),
        "no tag is in range `>=5.0.0` (newest semver tag: `4.0.11`)"
    );
    assert_eq!(
        say(&range, &["5.0.0-rc.1", "4.0.0"]),
        "no tag is in range `>=5.0.0` (newest semver tag: `5.0.0-rc.1`; a prerelease matches \
         only a range with a prerelease, such as `-0`)"
    );
    assert_eq!(
        say(&semver(">=5.0.0-0 <5.0.0"), &["5.0.0", "4.0.0"]),
        "no tag is in range `>=5.0.0-0 <5.0.0` (newest semver tag: `5.0.0`)"
    );
    // Two-part tags are not versions to the controller (§4.1).
    assert_eq!(
        say(&range, &["latest", "1.2", "main"]),
        "no tag is a semantic version X.Y.Z (e.g. `main`)"
    );
    let extracted = filtered(semver_spec(">=2.0.0"), "^v(?P<v>.*)$", "$v");
    assert_eq!(
        say(&extracted, &["v1.2.3", "v1.10.0", "x"]),
        "no tag that filterTags `^v(?P<v>.*)$` keeps is in range `>=2.0.0` (newest semver tag: \
         `1.10.0` from `v1.10.0`)"
    );
    // §4.2: every candidate must be a number; one that is not fails the whole policy.
    let numbers = policy(numerical_spec());
    assert_eq!(
        say(&numbers, &["latest", "main"]),
        "no tag is a number (e.g. `main`)"
    );
    assert_eq!(
        say(&numbers, &["1", "2", "latest"]),
        "`latest` is not a number, and one such tag fails the numerical policy (1 of 3 tags is \
         not a number; filterTags can leave them out)"
    );
    // A selected tag: nothing to explain.
    assert_eq!(numbers.no_tag(&tags(&["1", "2"])), None);
    assert_eq!(range.no_tag(&tags(&["5.0.1"])), None);
}

fn policy(spec: PolicySpec) -> Policy {
    Policy::new(&spec).unwrap()
}

fn semver(range: &str) -> Policy {
    policy(PolicySpec {
        semver_range: Some(range.into()),
        ..PolicySpec::default()
    })
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// `candidates` lists the best tags first, its first entry is `latest`, and it honours the
/// limit.
#[test]
fn candidates_follow_policy_order() {
    let p = semver(">=1.0.0");
    let list = tags(&[
        "1.0.0",
        "v1.2.0",
        "1.2.0",
        "junk",
        "0.9.0",
        "1.10.0",
        "1.2.0-rc.1",
    ]);
    assert_eq!(
        p.candidates(&list, 10).unwrap(),
        tags(&["1.10.0", "v1.2.0", "1.2.0", "1.0.0"])
    );
    assert_eq!(p.candidates(&list, 2).unwrap(), tags(&["1.10.0", "v1.2.0"]));
    assert_eq!(p.latest(&list).unwrap(), "1.10.0");

    let n = policy(PolicySpec {
        numerical_order: Some("desc".into()),
        ..PolicySpec::default()
    });
    let list = tags(&["5", "3", "3.0", "10", "-1"]);
    assert_eq!(
        n.candidates(&list, 10).unwrap(),
        tags(&["-1", "3", "3.0", "5", "10"])
    );
    assert_eq!(n.latest(&list).unwrap(), "-1");

    let a = policy(PolicySpec {
        alphabetical_order: Some(String::new()),
        filter_tags: Some(TagFilterSpec {
            pattern: r"^main-(?P<ts>\d+)$".into(),
            extract: "$ts".into(),
        }),
        ..PolicySpec::default()
    });
    let list = tags(&["main-100", "main-300", "dev-999", "main-200"]);
    assert_eq!(
        a.candidates(&list, 2).unwrap(),
        tags(&["main-300", "main-200"])
    );
    assert_eq!(a.candidates(&list, 0).unwrap(), Vec::<String>::new());
    assert_eq!(
        a.candidates(&tags(&["dev-1"]), 5).unwrap_err().to_string(),
        "version list argument cannot be empty"
    );
    assert_eq!(
        semver("^9").candidates(&list, 5).unwrap_err().to_string(),
        "unable to determine latest version from provided list"
    );
}

/// With a NaN among numerical tags, `candidates` still starts with what `latest` picks.
#[test]
fn candidates_with_nan_start_with_latest() {
    let n = policy(PolicySpec {
        numerical_order: Some(String::new()),
        ..PolicySpec::default()
    });
    let list = tags(&["5", "NaN", "7"]);
    let latest = n.latest(&list).unwrap();
    let candidates = n.candidates(&list, 3).unwrap();
    assert_eq!(candidates[0], latest);
    assert_eq!(candidates.len(), 3);
}

/// `compare` says which of two tags is newer by the policy's own order.
#[test]
fn compare_by_policy_order() {
    let p = semver("^1");
    assert_eq!(p.compare("1.2.3", "1.10.0"), Some(Ordering::Less));
    assert_eq!(
        p.compare("v2.0.0", "1.9.9"),
        Some(Ordering::Greater),
        "range is not consulted"
    );
    assert_eq!(p.compare("v1.2.3", "1.2.3"), Some(Ordering::Equal));
    assert_eq!(
        p.compare("1.2", "1.2.3"),
        None,
        "two-part tags are not versions for Flux"
    );

    let asc = policy(PolicySpec {
        numerical_order: Some("ASC".into()),
        ..PolicySpec::default()
    });
    let desc = policy(PolicySpec {
        numerical_order: Some("desc".into()),
        ..PolicySpec::default()
    });
    assert_eq!(asc.compare("10", "9"), Some(Ordering::Greater));
    assert_eq!(desc.compare("10", "9"), Some(Ordering::Less));
    assert_eq!(asc.compare("1e3", "0x1p10"), Some(Ordering::Less));
    assert_eq!(asc.compare("NaN", "1"), None);
    assert_eq!(asc.compare("x", "1"), None);

    let alpha = policy(PolicySpec {
        alphabetical_order: Some("desc".into()),
        ..PolicySpec::default()
    });
    assert_eq!(
        alpha.compare("a", "Z"),
        Some(Ordering::Less),
        "desc: smaller bytes are newer"
    );

    let filtered = policy(PolicySpec {
        numerical_order: Some(String::new()),
        filter_tags: Some(TagFilterSpec {
            pattern: r"^build-(\d+)$".into(),
            extract: "$1".into(),
        }),
        ..PolicySpec::default()
    });
    assert_eq!(
        filtered.compare("build-10", "build-9"),
        Some(Ordering::Greater)
    );
    assert_eq!(filtered.compare("build-10", "other"), None);
}

/// `describe` gives a short human text.
#[test]
fn describe_texts() {
    assert_eq!(semver("^1.2").describe(), "semver ^1.2");
    let n = policy(PolicySpec {
        numerical_order: Some(String::new()),
        ..PolicySpec::default()
    });
    assert_eq!(n.describe(), "numerical asc");
    let a = policy(PolicySpec {
        alphabetical_order: Some("DESC".into()),
        filter_tags: Some(TagFilterSpec {
            pattern: r"^main-(?P<ts>\d+)".into(),
            extract: "$ts".into(),
        }),
        ..PolicySpec::default()
    });
    assert_eq!(
        a.describe(),
        r"alphabetical desc (filter '^main-(?P<ts>\d+)' → $ts)"
    );
    let f = policy(PolicySpec {
        semver_range: Some("1.x".into()),
        filter_tags: Some(TagFilterSpec::default()),
        ..PolicySpec::default()
    });
    assert_eq!(f.describe(), "semver 1.x (filter '')");
}

/// Invalid policies carry the controller's reasons.
#[test]
fn invalid_policy_reasons() {
    let none = Policy::new(&PolicySpec::default()).unwrap_err();
    assert_eq!(
        none.to_string(),
        "given ImagePolicyChoice object is invalid"
    );
    let order = Policy::new(&PolicySpec {
        alphabetical_order: Some("up".into()),
        ..PolicySpec::default()
    })
    .unwrap_err();
    assert_eq!(
        order.to_string(),
        "invalid order argument provided: 'UP', must be one of: ASC, DESC"
    );
    // The policy is checked before the filter.
    let both = Policy::new(&PolicySpec {
        semver_range: Some("a".into()),
        filter_tags: Some(TagFilterSpec {
            pattern: "[".into(),
            extract: String::new(),
        }),
        ..PolicySpec::default()
    })
    .unwrap_err();
    assert_eq!(both.to_string(), r#"improper constraint: "a""#);
}
