//! Data-driven tests for Go `strconv.ParseFloat(s, 64)` (spec `flux-semantics.md` §4.2), the
//! parser the numerical policy applies to every tag.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Failures, load};
use fluxtag_policy::parse_go_float;

#[derive(Debug, serde::Deserialize)]
struct FloatCase {
    input: String,
    /// Expected value in Rust float syntax (`"NaN"`, `"inf"`, `"-0"` included); `None` means
    /// Go returns an error.
    value: Option<String>,
}

/// Our own ParseFloat table: syntax (signs, dots, exponents, hex floats, underscores, the
/// special names), range errors and underflow to zero.
#[test]
fn go_parse_float_own_cases() {
    let file = "go_float.json";
    let table = load::<FloatCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("parse_go_float({:?})", case.input);
        let actual = parse_go_float(&case.input);
        match (&case.value, actual) {
            (None, None) => {}
            (None, Some(v)) => failures.fail(i, format!("{what}: expected an error, got {v:?}")),
            (Some(expected), None) => {
                failures.fail(i, format!("{what}: expected {expected}, got an error"));
            }
            (Some(expected), Some(v)) => {
                let expected: f64 = expected.parse().unwrap();
                let same = (expected.is_nan() && v.is_nan()) || expected.to_bits() == v.to_bits();
                if !same {
                    failures.fail(i, format!("{what}: expected {expected:?}, got {v:?}"));
                }
            }
        }
    }
    failures.finish();
}
