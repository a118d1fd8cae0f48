//! Property tests: nothing in the crate panics on arbitrary input, parsers round-trip, and
//! policies always answer with one of the tags they were given (or say why they select none).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use fluxtag_policy::go_regex::GoRegex;
use fluxtag_policy::semver::{Constraints, Version};
use fluxtag_policy::{
    ImageRef, Policy, PolicySpec, TagFilter, TagFilterSpec, parse_flux_version, parse_go_float,
    parse_reference,
};
use proptest::prelude::*;
use std::cmp::Ordering;

/// Strings made of the characters constraint ranges are built from.
fn range_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ <>=!~^vxX*0-9.,|\\-+a-z]{0,24}",
        "(>=|<=|~|\\^|=|!=|>|<)?v?[0-9xX*]{1,3}(\\.[0-9xX*]{1,3}){0,3}(-[a-z0-9.]{1,6})?( - [0-9.]{1,6})?( \\|\\| [<>=]?[0-9.x]{1,6})?",
    ]
}

/// Strings that look like tags: versions, prefixes, prereleases, numbers, junk.
fn tag_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "v?[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-(rc|alpha|beta)(\\.?[0-9]{1,2})?)?(\\+[a-z0-9]{1,4})?",
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        "-?[0-9]{0,6}(\\.[0-9]{0,3})?(e-?[0-9]{1,3})?",
        "(0x[0-9a-f]{1,4}p[0-9]{1,2}|NaN|inf|-Inf|1_000)",
        "(main|dev|rel)-[0-9a-f]{1,8}",
        "[a-zA-Z0-9_.-]{1,12}",
        any::<String>(),
    ]
}

/// Patterns built from regex syntax characters.
fn pattern_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\\\()\\[\\]{}^$.*+?|a-z0-9:<>P,=!-]{0,16}",
        "\\^?(\\(\\?P?<[a-z0-9]{0,3}>)?[a-z\\\\dws.]{0,6}\\)?[*+?]?\\$?",
    ]
}

proptest! {
    #[test]
    fn constraints_never_panic(range in range_like(), version in tag_like()) {
        if let Ok(c) = Constraints::parse(&range) {
            let _ = c.to_string();
            if let Ok(v) = Version::parse(&version) {
                let _ = c.check(&v);
            }
        }
    }

    #[test]
    fn versions_round_trip(text in tag_like()) {
        let _ = Version::parse_strict(&text);
        let _ = parse_flux_version(&text);
        if let Ok(v) = Version::parse(&text) {
            prop_assert_eq!(v.original(), text.as_str());
            let again = Version::parse(&v.to_string()).unwrap();
            prop_assert_eq!(again.compare(&v), Ordering::Equal);
            prop_assert_eq!(again.to_string(), v.to_string());
        }
    }

    #[test]
    fn version_order_is_antisymmetric(a in tag_like(), b in tag_like()) {
        if let (Ok(x), Ok(y)) = (Version::parse(&a), Version::parse(&b)) {
            prop_assert_eq!(x.compare(&y), y.compare(&x).reverse());
        }
    }

    #[test]
    fn go_float_never_panics(text in tag_like()) {
        let _ = parse_go_float(&text);
    }

    #[test]
    fn go_float_agrees_with_rust_on_plain_decimals(x in any::<f64>()) {
        // Rust's own formatting is a subset of Go's syntax (except for `NaN`/`inf` spellings).
        let text = format!("{x:?}");
        let parsed = parse_go_float(&text);
        if x.is_finite() {
            prop_assert_eq!(parsed.map(f64::to_bits), Some(x.to_bits()));
        }
        let exp = format!("{x:e}");
        if x.is_finite() {
            prop_assert_eq!(parse_go_float(&exp).map(f64::to_bits), Some(x.to_bits()));
        }
    }

    #[test]
    fn go_regex_never_panics(pattern in pattern_like(), text in tag_like()) {
        if let Ok(re) = GoRegex::new(&pattern) {
            let _ = re.is_match(&text);
        }
    }

    #[test]
    fn tag_filter_never_panics(pattern in pattern_like(), extract in "[$a-z0-9{}_]{0,8}|.*", tag in tag_like()) {
        if let Ok(filter) = TagFilter::new(&TagFilterSpec { pattern, extract }) {
            let _ = filter.key(&tag);
            let _ = filter.apply(std::slice::from_ref(&tag));
        }
    }

    #[test]
    fn image_names_never_panic(image in "[a-zA-Z0-9._:/@\\[\\]-]{0,40}|.*", insecure in any::<bool>()) {
        if let Ok(r) = ImageRef::parse(&image, insecure) {
            prop_assert!(r.canonical().contains('/'));
        }
        if let Ok(r) = parse_reference(&image) {
            let _ = r.name();
        }
    }

    #[test]
    fn latest_is_one_of_the_tags(
        range in range_like(),
        order in "|asc|desc|ASC|x",
        kind in 0..3u8,
        filter in proptest::option::of((pattern_like(), "[$a-z0-9{}_]{0,6}")),
        tags in proptest::collection::vec(tag_like(), 0..12),
    ) {
        let spec = PolicySpec {
            semver_range: (kind == 0).then(|| range.clone()),
            alphabetical_order: (kind == 1).then(|| order.clone()),
            numerical_order: (kind == 2).then(|| order.clone()),
            filter_tags: filter.map(|(pattern, extract)| TagFilterSpec { pattern, extract }),
        };
        if let Ok(policy) = Policy::new(&spec) {
            let _ = policy.describe();
            let latest = policy.latest(&tags);
            if let Ok(tag) = &latest {
                prop_assert!(tags.contains(tag));
            }
            // The user's words (issue 11 item 5) exist exactly when the controller fails.
            let no_tag = policy.no_tag(&tags);
            prop_assert_eq!(no_tag.is_some(), latest.is_err());
            if let Some(no_tag) = no_tag {
                prop_assert!(!no_tag.to_string().is_empty());
            }
            if let Ok(tag) = policy.latest_in_order(&tags) {
                prop_assert!(tags.contains(&tag));
            }
            // Issue 12: the combined call (one filterTags pass) is the two calls it replaces.
            let (together, best_together) = policy.latest_and_candidates(&tags, 5);
            prop_assert_eq!(&together, &latest);
            prop_assert_eq!(&best_together, &policy.candidates(&tags, 5).unwrap_or_default());
            match policy.candidates(&tags, 5) {
                Ok(best) => {
                    prop_assert!(best.len() <= 5);
                    prop_assert!(best.iter().all(|t| tags.contains(t)));
                    prop_assert_eq!(best.first(), latest.as_ref().ok());
                }
                Err(e) => prop_assert_eq!(Some(e), latest.err()),
            }
            // Issue 13: the explained winner is the selection, every candidate accounted for.
            let problems = common::explanation_problems(&policy, &tags, 5);
            prop_assert!(problems.is_empty(), "{:?}", problems);
            let whole = policy.explain(&tags, usize::MAX);
            prop_assert_eq!(whole.ranking.len(), whole.ranked);
            if let (Some(a), Some(b)) = (tags.first(), tags.last())
                && let Some(o) = policy.compare(a, b)
            {
                prop_assert_eq!(policy.compare(b, a), Some(o.reverse()));
            }
        }
    }
}
