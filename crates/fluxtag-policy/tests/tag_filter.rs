//! Data-driven tests for spec `flux-cases.md` §6 (tag filter and Go `ExpandString`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Failures, load};
use fluxtag_policy::go_regex::GoRegex;
use fluxtag_policy::{TagFilter, TagFilterSpec};

#[derive(Debug, serde::Deserialize)]
struct FilterCase {
    pattern: String,
    extract: String,
    tags: Vec<String>,
    items: Vec<String>,
}

/// flux-cases.md §6, first table: the filtered items (keys), sorted.
#[test]
fn tag_filter_section_6() {
    let file = "tag_filter.json";
    let table = load::<FilterCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("filter {:?} / {:?}", case.pattern, case.extract);
        let filter = match TagFilter::new(&TagFilterSpec {
            pattern: case.pattern.clone(),
            extract: case.extract.clone(),
        }) {
            Ok(f) => f,
            Err(e) => {
                failures.fail(i, format!("{what}: {e}"));
                continue;
            }
        };
        let mut keys: Vec<String> = filter
            .apply(&case.tags)
            .into_iter()
            .map(|f| f.key)
            .collect();
        keys.sort();
        failures.check(i, what, case.items.clone(), keys);
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct ExpandCase {
    pattern: String,
    subject: String,
    template: String,
    result: String,
}

fn run_expand(file: &str) {
    let table = load::<ExpandCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!(
            "{:?} on {:?} expand {:?}",
            case.pattern, case.subject, case.template
        );
        let re = match GoRegex::new(&case.pattern) {
            Ok(re) => re,
            Err(e) => {
                failures.fail(i, format!("{what}: {e}"));
                continue;
            }
        };
        match re.captures(&case.subject) {
            Some(caps) => failures.check(i, what, case.result.clone(), caps.expand(&case.template)),
            None => failures.fail(i, format!("{what}: no match")),
        }
    }
    failures.finish();
}

/// flux-cases.md §6, the `ExpandString` table and the note on non-participating groups.
#[test]
fn expand_template_section_6() {
    run_expand("expand_template.json");
}

/// Our own template and regex rows: `${name}` forms, leading zeros, unclosed braces,
/// duplicate and digit-first group names, ASCII-only `\d \w \s \b`, Go-only syntax.
#[test]
fn expand_template_own_cases() {
    run_expand("expand_template_own.json");
}

#[derive(Debug, serde::Deserialize)]
struct RegexCase {
    pattern: String,
    /// Subjects that must match.
    #[serde(default)]
    matches: Vec<String>,
    /// Subjects that must not match.
    #[serde(default)]
    rejects: Vec<String>,
    /// Go's compile error, if the pattern is invalid.
    error: Option<String>,
}

/// Our own Go RE2 rows: syntax Go accepts and the `regex` crate reads differently, Go's
/// ASCII classes, and Go's error messages.
#[test]
fn go_regex_own_cases() {
    let file = "go_regex_own.json";
    let table = load::<RegexCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("GoRegex::new({:?})", case.pattern);
        match (GoRegex::new(&case.pattern), &case.error) {
            (Ok(re), None) => {
                for s in &case.matches {
                    failures.check(i, format!("{what} matches {s:?}"), true, re.is_match(s));
                }
                for s in &case.rejects {
                    failures.check(i, format!("{what} matches {s:?}"), false, re.is_match(s));
                }
            }
            (Err(e), Some(expected)) => failures.check(i, what, expected.clone(), e.to_string()),
            (Ok(re), Some(expected)) => {
                failures.fail(
                    i,
                    format!("{what}: expected error {expected:?}, got {re:?}"),
                );
            }
            (Err(e), None) => failures.fail(i, format!("{what}: unexpected error {e}")),
        }
    }
    failures.finish();
}

/// A filter keeps a later tag over an earlier one with the same key, and orders keys by
/// the position of the surviving tag (fluxtag-differences.md §3).
#[test]
fn collisions_keep_the_later_tag() {
    let filter = TagFilter::new(&TagFilterSpec {
        pattern: r"^(\d+)-".into(),
        extract: "$1".into(),
    })
    .unwrap();
    let tags: Vec<String> = ["1-b", "2-a", "1-a", "3-x", "2-c"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let got: Vec<(String, String)> = filter
        .apply(&tags)
        .into_iter()
        .map(|f| (f.key, f.original))
        .collect();
    assert_eq!(
        got,
        vec![
            ("1".into(), "1-a".into()),
            ("3".into(), "3-x".into()),
            ("2".into(), "2-c".into()),
        ]
    );
}
