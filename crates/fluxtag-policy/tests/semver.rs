//! Data-driven tests for spec `flux-cases.md` §1 (constraint checks), §2 (constraint
//! parsing), §3 (version parsing) and §4 (version ordering).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Failures, load};
use fluxtag_policy::parse_flux_version;
use fluxtag_policy::semver::{Constraints, Operator, Version, rewrite_hyphen_ranges};
use std::cmp::Ordering;

#[derive(Debug, serde::Deserialize)]
struct CheckCase {
    row: usize,
    constraint: String,
    version: String,
    check: bool,
}

/// flux-cases.md §1.1: `NewConstraint(c).Check(NewVersion(v))` in Flux's mode
/// (`IncludePrerelease = false`), every row.
#[test]
fn constraint_check_section_1_1() {
    run_checks("constraint_check.json");
}

/// Our own constraint checks: the §5.3 "Surprises" line of flux-semantics.md, the expansions
/// listed above it, and the §5.4 prerelease rule.
#[test]
fn constraint_check_own_cases() {
    run_checks("constraint_check_own.json");
}

fn run_checks(file: &str) {
    let table = load::<CheckCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!(
            "#{} {:?} check {:?}",
            case.row, case.constraint, case.version
        );
        let constraints = match Constraints::parse(&case.constraint) {
            Ok(c) => c,
            Err(e) => {
                failures.fail(i, format!("{what}: constraint error {e}"));
                continue;
            }
        };
        let version = match Version::parse(&case.version) {
            Ok(v) => v,
            Err(e) => {
                failures.fail(i, format!("{what}: version error {e}"));
                continue;
            }
        };
        failures.check(i, &what, case.check, constraints.check(&version));
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct StructureCase {
    input: String,
    error: bool,
    or_groups: Option<usize>,
    ands_in_first_group: Option<usize>,
}

/// flux-cases.md §2.1: `NewConstraint` structure (error, OR groups, ANDs in the first group).
#[test]
fn constraint_structure_section_2_1() {
    let file = "constraint_structure.json";
    let table = load::<StructureCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("Constraints::parse({:?})", case.input);
        match Constraints::parse(&case.input) {
            Ok(c) => {
                let groups: Vec<usize> = c.groups().map(<[_]>::len).collect();
                failures.check(i, format!("{what} is_err"), case.error, false);
                failures.check(
                    i,
                    format!("{what} groups"),
                    case.or_groups,
                    Some(groups.len()),
                );
                failures.check(
                    i,
                    format!("{what} ANDs in first group"),
                    case.ands_in_first_group,
                    groups.first().copied(),
                );
            }
            Err(_) => failures.check(i, format!("{what} is_err"), case.error, true),
        }
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct SingleCase {
    input: String,
    error: bool,
    operator: Option<String>,
    version: Option<String>,
}

fn operator_function(op: Operator) -> &'static str {
    match op {
        Operator::TildeOrEqual => "constraintTildeOrEqual",
        Operator::NotEqual => "constraintNotEqual",
        Operator::GreaterThan => "constraintGreaterThan",
        Operator::LessThan => "constraintLessThan",
        Operator::GreaterThanEqual => "constraintGreaterThanEqual",
        Operator::LessThanEqual => "constraintLessThanEqual",
        Operator::Tilde => "constraintTilde",
        Operator::Caret => "constraintCaret",
    }
}

/// flux-cases.md §2.2: a single comparator's operator and normalised version.
#[test]
fn constraint_single_section_2_2() {
    let file = "constraint_single.json";
    let table = load::<SingleCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("Constraints::parse({:?})", case.input);
        match Constraints::parse(&case.input) {
            Ok(c) => {
                let comparators: Vec<_> = c.groups().flatten().collect();
                if comparators.len() != 1 || case.error {
                    failures.fail(
                        i,
                        format!(
                            "{what}: expected error={} and one comparator, got {c:?}",
                            case.error
                        ),
                    );
                    continue;
                }
                let comparator = comparators[0];
                failures.check(
                    i,
                    format!("{what} operator"),
                    case.operator.as_deref(),
                    Some(operator_function(comparator.operator())),
                );
                failures.check(
                    i,
                    format!("{what} version"),
                    case.version.clone(),
                    Some(comparator.version().to_string()),
                );
            }
            Err(_) => failures.check(i, format!("{what} is_err"), case.error, true),
        }
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct RewriteCase {
    input: String,
    rewritten: String,
}

/// flux-cases.md §2.3: hyphen-range rewriting, exact text.
#[test]
fn constraint_rewrite_section_2_3() {
    let file = "constraint_rewrite.json";
    let table = load::<RewriteCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        failures.check(
            i,
            format!("rewrite_hyphen_ranges({:?})", case.input),
            case.rewritten.clone(),
            rewrite_hyphen_ranges(&case.input),
        );
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct StringCase {
    input: String,
    string: String,
}

/// flux-cases.md §2.4: `Constraints.String()`.
#[test]
fn constraint_string_section_2_4() {
    let file = "constraint_string.json";
    let table = load::<StringCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let what = format!("Constraints::parse({:?}).to_string()", case.input);
        match Constraints::parse(&case.input) {
            Ok(c) => failures.check(i, what, case.string.clone(), c.to_string()),
            Err(e) => failures.fail(i, format!("{what}: {e}")),
        }
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct RangeCase {
    range: String,
    valid: bool,
}

/// flux-cases.md §2.5: ranges Flux accepts or rejects in `spec.policy.semver.range`.
#[test]
fn flux_ranges_section_2_5() {
    let file = "flux_ranges.json";
    let table = load::<RangeCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        failures.check(
            i,
            format!("Constraints::parse({:?}).is_ok()", case.range),
            case.valid,
            Constraints::parse(&case.range).is_ok(),
        );
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct Outcome {
    ok: Option<String>,
    error: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct ParseCase {
    row: usize,
    input: String,
    flux: Outcome,
    new_version: Outcome,
    strict: Outcome,
}

fn compare_outcome(
    failures: &mut Failures,
    i: usize,
    what: String,
    expected: &Outcome,
    actual: Result<String, Option<String>>,
) {
    match (&expected.ok, actual) {
        (Some(ok), Ok(got)) => failures.check(i, what, ok.clone(), got),
        (Some(ok), Err(e)) => failures.fail(i, format!("{what}: expected {ok:?}, got error {e:?}")),
        (None, Ok(got)) => failures.fail(i, format!("{what}: expected an error, got {got:?}")),
        (None, Err(message)) => {
            if let (Some(expected), Some(message)) = (&expected.error, message) {
                failures.check(i, format!("{what} error"), expected.clone(), message);
            }
        }
    }
}

/// flux-cases.md §3: version parsing — the Flux column through [`parse_flux_version`], the
/// NewVersion column through [`Version::parse`], the Strict column through
/// [`Version::parse_strict`] (error texts compared where the table gives them).
#[test]
fn version_parse_section_3() {
    let file = "version_parse.json";
    let table = load::<ParseCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        compare_outcome(
            &mut failures,
            i,
            format!("#{} parse_flux_version({:?})", case.row, case.input),
            &case.flux,
            parse_flux_version(&case.input)
                .map(|v| v.to_string())
                .ok_or(None),
        );
        compare_outcome(
            &mut failures,
            i,
            format!("#{} Version::parse({:?})", case.row, case.input),
            &case.new_version,
            Version::parse(&case.input)
                .map(|v| v.to_string())
                .map_err(|e| Some(e.to_string())),
        );
        compare_outcome(
            &mut failures,
            i,
            format!("#{} Version::parse_strict({:?})", case.row, case.input),
            &case.strict,
            Version::parse_strict(&case.input)
                .map(|v| v.to_string())
                .map_err(|e| Some(e.to_string())),
        );
        if let Ok(v) = Version::parse(&case.input) {
            failures.check(
                i,
                format!("#{} original()", case.row),
                case.input.as_str(),
                v.original(),
            );
        }
    }
    failures.finish();
}

#[derive(Debug, serde::Deserialize)]
struct CompareCase {
    v1: String,
    v2: String,
    compare: Option<i8>,
    greater_than: Option<bool>,
}

fn run_compare(file: &str) {
    let table = load::<CompareCase>(file);
    let mut failures = Failures::new(file, &table);
    for (i, case) in table.cases.iter().enumerate() {
        let (Ok(a), Ok(b)) = (Version::parse(&case.v1), Version::parse(&case.v2)) else {
            failures.fail(i, format!("{:?} or {:?} does not parse", case.v1, case.v2));
            continue;
        };
        let order = a.compare(&b);
        if let Some(expected) = case.compare {
            let expected = match expected {
                -1 => Ordering::Less,
                0 => Ordering::Equal,
                _ => Ordering::Greater,
            };
            failures.check(
                i,
                format!("compare({:?}, {:?})", case.v1, case.v2),
                expected,
                order,
            );
            failures.check(
                i,
                format!("compare({:?}, {:?}) antisymmetric", case.v2, case.v1),
                expected.reverse(),
                b.compare(&a),
            );
        }
        if let Some(expected) = case.greater_than {
            failures.check(
                i,
                format!("{:?} > {:?}", case.v1, case.v2),
                expected,
                order == Ordering::Greater,
            );
        }
    }
    failures.finish();
}

/// flux-cases.md §4, first table: `Version.Compare`.
#[test]
fn version_compare_section_4() {
    run_compare("version_compare.json");
}

/// flux-cases.md §4, second table: `Version.GreaterThan`.
#[test]
fn version_greater_section_4() {
    run_compare("version_greater.json");
}

/// Our own ordering rows: build metadata ignored, `v` prefix ignored, numeric identifiers
/// beyond 64 bits compare as text, `rc9` > `rc10`.
#[test]
fn version_compare_own_cases() {
    run_compare("version_compare_own.json");
}

/// Error texts of constraint parsing, as Flux reports them after `invalid policy: `.
#[test]
fn constraint_error_texts() {
    let cases = [
        ("1.0.0p", r#"improper constraint: "1.0.0p""#),
        ("1x", "constraint parser error"),
        ("x1", "constraint parser error"),
        ("-1", r#"improper constraint: "-1""#),
        ("a", r#"improper constraint: "a""#),
        ("", r#"improper constraint: """#),
        ("*-*", r#"improper constraint: "*-*""#),
        (">=1.0 || ", r#"improper constraint: " ""#),
        ("1.0 ||", r#"improper constraint: """#),
        ("a\tb\"", r#"improper constraint: "a\tb\"""#),
        ("V1.0", r#"improper constraint: "V1.0""#),
        ("1.0 && 2.0", r#"improper constraint: "1.0 && 2.0""#),
        ("1.0,,2.0", r#"improper constraint: "1.0,,2.0""#),
        ("v1.2.3-beta.01", "constraint parser error"),
        ("99999999999999999999.0.0", "constraint parser error"),
    ];
    let mut bad = Vec::new();
    for (range, expected) in cases {
        match Constraints::parse(range) {
            Ok(c) => bad.push(format!("{range:?}: expected error, got {c:?}")),
            Err(e) if e.to_string() != expected => {
                bad.push(format!(
                    "{range:?}: expected {expected:?}, got {:?}",
                    e.to_string()
                ));
            }
            Err(_) => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
