//! Data-driven tests for spec `flux-cases.md` §7 (ImageRepository): exclusion list (§7.1),
//! scan order and latest tags (§7.2), image names (§7.3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Failures, load};
use fluxtag_policy::exclusion::{ExclusionList, latest_tags, sort_tags_descending};
use fluxtag_policy::image_ref::{ImageRef, parse_reference};

#[derive(Debug, serde::Deserialize)]
struct NameCase {
    image: String,
    insecure: bool,
    canonical: Option<String>,
    scheme: Option<String>,
    error: Option<String>,
}

fn run_names(file: &str) {
    let table = load::<NameCase>(file);
    let mut failures = Failures::new(file, &table);
    for (row, case) in table.cases.iter().enumerate() {
        let what = format!("ImageRef::parse({:?}, {})", case.image, case.insecure);
        match (ImageRef::parse(&case.image, case.insecure), &case.error) {
            (Ok(image), None) => {
                failures.check(row, &what, case.canonical.clone(), Some(image.canonical()));
                failures.check(row, &what, case.scheme.as_deref(), Some(image.scheme()));
            }
            (Err(err), Some(expected)) => {
                failures.check(row, &what, expected.clone(), err.to_string());
            }
            (Ok(image), Some(expected)) => {
                failures.fail(
                    row,
                    format!("{what}: expected error {expected:?}, got {image:?}"),
                );
            }
            (Err(err), None) => {
                failures.fail(row, format!("{what}: unexpected error {err}"));
            }
        }
    }
    failures.finish();
}

/// flux-cases.md §7.3, the `spec.image` table: every row validates and canonicalises as
/// image-reflector-controller does with go-containerregistry v0.21.6.
#[test]
fn image_names_section_7_3() {
    run_names("image_names.json");
}

/// Our own `spec.image` rows: the upstream `Test_ParseImageReference` rows, the `insecure`
/// flag and the plain-HTTP heuristics of v0.21.6.
#[test]
fn image_names_own_cases() {
    run_names("image_names_own.json");
}

#[derive(Debug, serde::Deserialize)]
struct ReferenceCase {
    reference: String,
    name: Option<String>,
    identifier: Option<String>,
    repository: Option<String>,
    registry: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
    error: Option<String>,
}

fn run_references(file: &str) {
    let table = load::<ReferenceCase>(file);
    let mut failures = Failures::new(file, &table);
    for (row, case) in table.cases.iter().enumerate() {
        let what = format!("parse_reference({:?})", case.reference);
        match (parse_reference(&case.reference), &case.error) {
            (Ok(r), None) => {
                failures.check(
                    row,
                    format!("{what}.name()"),
                    case.name.clone(),
                    Some(r.name()),
                );
                failures.check(
                    row,
                    format!("{what}.identifier()"),
                    case.identifier.as_deref(),
                    Some(r.identifier()),
                );
                failures.check(
                    row,
                    format!("{what}.repository"),
                    case.repository.as_ref(),
                    Some(&r.repository),
                );
                failures.check(
                    row,
                    format!("{what}.registry"),
                    case.registry.as_ref(),
                    Some(&r.registry),
                );
                if case.tag.is_some() || case.digest.is_some() {
                    failures.check(row, format!("{what}.tag"), &case.tag, &r.tag);
                    failures.check(row, format!("{what}.digest"), &case.digest, &r.digest);
                }
            }
            (Err(err), Some(expected)) => {
                failures.check(row, &what, expected.clone(), err.to_string())
            }
            (Ok(r), Some(expected)) => {
                failures.fail(
                    row,
                    format!("{what}: expected error {expected:?}, got {r:?}"),
                );
            }
            (Err(err), None) => failures.fail(row, format!("{what}: unexpected error {err}")),
        }
    }
    failures.finish();
}

/// flux-cases.md §7.3, the `name.ParseReference` list (references with tag and/or digest).
#[test]
fn image_references_section_7_3() {
    run_references("image_references.json");
}

/// Our own reference rows: tag and digest fields, digest validation, odd registries.
#[test]
fn image_references_own_cases() {
    run_references("image_references_own.json");
}

#[derive(Debug, serde::Deserialize)]
struct ExclusionCase {
    tags: Vec<String>,
    patterns: Vec<String>,
    #[serde(default)]
    error: bool,
    result: Option<Vec<String>>,
}

fn run_exclusions(file: &str) {
    let table = load::<ExclusionCase>(file);
    let mut failures = Failures::new(file, &table);
    for (row, case) in table.cases.iter().enumerate() {
        let what = format!("exclude {:?} from {:?}", case.patterns, case.tags);
        match (ExclusionList::new(&case.patterns), case.error) {
            (Ok(list), false) => {
                failures.check(
                    row,
                    &what,
                    case.result.clone(),
                    Some(list.apply(case.tags.clone())),
                );
            }
            (Err(_), true) => {}
            (Ok(_), true) => failures.fail(row, format!("{what}: expected a compile error")),
            (Err(e), false) => failures.fail(row, format!("{what}: unexpected error {e}")),
        }
    }
    failures.finish();
}

/// flux-cases.md §7.1: the exclusion list (rows without patterns get the default list, which
/// excludes nothing there).
#[test]
fn exclusion_list_section_7_1() {
    run_exclusions("exclusion_list.json");
}

/// Our own exclusion rows: the default `^.*\.sig$` when the list is empty, unanchored
/// matching, Go syntax.
#[test]
fn exclusion_list_own_cases() {
    run_exclusions("exclusion_list_own.json");
}

#[derive(Debug, serde::Deserialize)]
struct LatestTagsCase {
    tags: Vec<String>,
    latest_tags: Option<Vec<String>>,
}

/// flux-cases.md §7.2: the scan sorts tags descending by bytes and shows the first ten.
#[test]
fn latest_tags_section_7_2() {
    let file = "latest_tags.json";
    let table = load::<LatestTagsCase>(file);
    let mut failures = Failures::new(file, &table);
    for (row, case) in table.cases.iter().enumerate() {
        let mut tags = case.tags.clone();
        sort_tags_descending(&mut tags);
        let shown = latest_tags(&tags);
        // The controller omits the field (nil) when there are no tags.
        let actual = (!shown.is_empty()).then(|| shown.to_vec());
        failures.check(
            row,
            format!("latest tags of {:?}", case.tags),
            case.latest_tags.clone(),
            actual,
        );
    }
    failures.finish();
}

/// The default exclusion list is `^.*\.sig$`, also for an empty list.
#[test]
fn default_exclusion_list() {
    let default = ExclusionList::default();
    assert_eq!(default.patterns().collect::<Vec<_>>(), vec![r"^.*\.sig$"]);
    let empty = ExclusionList::new(&[]).unwrap();
    assert_eq!(empty.patterns().collect::<Vec<_>>(), vec![r"^.*\.sig$"]);
    assert!(empty.is_excluded("sha256-abc.sig"));
    assert!(!empty.is_excluded("1.0.0"));
}
