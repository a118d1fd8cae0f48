//! Pathological patterns compile (or fail) in bounded time instead of hanging; the
//! `regex` crate's size limit refuses the largest ones (Go would accept `\pL{1000}`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fluxtag_policy::go_regex::GoRegex;
use std::time::{Duration, Instant};

#[test]
fn pathological_patterns_are_bounded() {
    for pattern in [
        "(((a{1000}){1000}){1000})",
        r"\pL{1000}",
        r"[\p{L}\p{N}]{1000}",
        r"(?i)\w{1000}",
        &"(".repeat(300),
        &format!("{}a{}", "(".repeat(200), ")".repeat(200)),
        &"a|".repeat(5000),
    ] {
        let start = Instant::now();
        let _ = GoRegex::new(pattern);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{pattern:.40} took {:?}",
            start.elapsed()
        );
    }
}
