//! Shared helpers for the data-driven tests: load a JSON table from `tests/data` and collect
//! every failing row before failing, so one run shows all mismatches of a table.

#![allow(dead_code)]

use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::path::PathBuf;

/// A table file: where it was transcribed from, and its rows.
#[derive(Debug, serde::Deserialize)]
pub struct Table<T> {
    /// The spec section the rows come from.
    pub source: String,
    /// One entry per row.
    pub cases: Vec<T>,
}

/// Reads `tests/data/<name>` into a [`Table`].
pub fn load<T: DeserializeOwned>(name: &str) -> Table<T> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// Collects failures of a table run.
pub struct Failures {
    table: String,
    rows: usize,
    failures: Vec<String>,
}

impl Failures {
    /// Starts collecting for `table`.
    pub fn new<T>(name: &str, table: &Table<T>) -> Self {
        Failures {
            table: format!("{name} ({})", table.source),
            rows: table.cases.len(),
            failures: Vec::new(),
        }
    }

    /// Records a failing row unless `expected == actual`.
    pub fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        row: usize,
        what: impl Display,
        expected: T,
        actual: T,
    ) {
        if expected != actual {
            self.failures.push(format!(
                "row {}: {what}\n    expected: {expected:?}\n    actual:   {actual:?}",
                row + 1
            ));
        }
    }

    /// Records a failing row with a free-form message.
    pub fn fail(&mut self, row: usize, message: impl Display) {
        self.failures.push(format!("row {}: {message}", row + 1));
    }

    /// Panics listing every failing row, if any.
    pub fn finish(self) {
        assert!(self.rows > 0, "{}: table is empty", self.table);
        if !self.failures.is_empty() {
            panic!(
                "{}: {} of {} rows failed:\n{}",
                self.table,
                self.failures.len(),
                self.rows,
                self.failures.join("\n")
            );
        }
    }
}

/// What is wrong with `policy.explain(tags, limit)` (empty when nothing is): issue 13's
/// contract that the explanation is the evaluation, shown.
///
/// * its result is [`fluxtag_policy::Policy::latest`]'s, and the first of its ranking is that
///   tag; the ranking is [`fluxtag_policy::Policy::candidates`]' order;
/// * every candidate is accounted for: `filterTags` drops each tag it does not keep exactly once
///   (unmatched or replaced), and the policy either ranks or rejects each candidate (numerical
///   stops at its first non-number);
/// * the stage it names as deciding is the one the outcome implies.
pub fn explanation_problems(
    policy: &fluxtag_policy::Policy,
    tags: &[String],
    limit: usize,
) -> Vec<String> {
    use fluxtag_policy::{EvaluationError, Rejection, Stage};
    let mut problems = Vec::new();
    let explanation = policy.explain(tags, limit);
    let latest = policy.latest(tags);
    if explanation.result != latest {
        problems.push(format!(
            "result {:?}, latest {latest:?}",
            explanation.result
        ));
    }
    let ranked: Vec<String> = explanation.ranking.iter().map(|r| r.tag.clone()).collect();
    let candidates = policy.candidates(tags, limit).unwrap_or_default();
    if ranked != candidates {
        problems.push(format!("ranking {ranked:?}, candidates {candidates:?}"));
    }
    if ranked.first().map(String::as_str) != latest.as_deref().ok() {
        problems.push(format!(
            "first ranked {:?}, latest {latest:?}",
            ranked.first()
        ));
    }
    if explanation.ranking.len() > limit || explanation.ranking.len() > explanation.ranked {
        problems.push(format!(
            "{} shown of {} ranked, limit {limit}",
            explanation.ranking.len(),
            explanation.ranked
        ));
    }
    if explanation
        .ranking
        .first()
        .is_some_and(|r| r.tied_with_previous)
    {
        problems.push("the winner is tied with nothing above it".to_owned());
    }
    if explanation.tags != tags.len() {
        problems.push(format!(
            "{} tags counted of {}",
            explanation.tags,
            tags.len()
        ));
    }
    match &explanation.filter {
        Some(filter) => {
            let dropped = filter.unmatched.len() + filter.replaced.len();
            if dropped + filter.kept != tags.len() || filter.kept != explanation.candidates {
                problems.push(format!(
                    "filter: {} unmatched + {} replaced + {} kept of {} tags ({} candidates)",
                    filter.unmatched.len(),
                    filter.replaced.len(),
                    filter.kept,
                    tags.len(),
                    explanation.candidates
                ));
            }
        }
        None if explanation.candidates != tags.len() => problems.push(format!(
            "{} candidates without filterTags, {} tags",
            explanation.candidates,
            tags.len()
        )),
        None => {}
    }
    let numerical_abort = matches!(latest, Err(EvaluationError::InvalidNumeric(_)));
    let all_rejections_semver = explanation
        .rejected
        .iter()
        .all(|r| !matches!(r.why, Rejection::NotANumber));
    if numerical_abort {
        let aborted_on = match &latest {
            Err(EvaluationError::InvalidNumeric(key)) => Some(key.as_str()),
            _ => None,
        };
        let reported = explanation.rejected.as_slice();
        let ok = matches!(reported, [only] if only.why == Rejection::NotANumber
            && Some(only.candidate.key.as_str()) == aborted_on);
        if !ok {
            problems.push(format!(
                "numerical abort on {aborted_on:?}, rejected {reported:?}"
            ));
        }
    } else if latest.is_ok() || explanation.candidates > 0 {
        // Semver rejects what it does not rank; the other policies rank every candidate.
        let accounted = explanation.ranked + explanation.rejected.len();
        if all_rejections_semver && accounted != explanation.candidates {
            problems.push(format!(
                "{} ranked + {} rejected of {} candidates",
                explanation.ranked,
                explanation.rejected.len(),
                explanation.candidates
            ));
        }
    }
    let implied = match &latest {
        Ok(_) => Stage::Ranking,
        Err(EvaluationError::EmptyList) if tags.is_empty() => Stage::Tags,
        Err(EvaluationError::EmptyList) => Stage::Filter,
        Err(_) => Stage::Policy,
    };
    if explanation.decided_by() != implied {
        problems.push(format!(
            "decided by {:?}, the outcome {latest:?} implies {implied:?}",
            explanation.decided_by()
        ));
    }
    if explanation.no_tag != policy.no_tag(tags) {
        problems.push(format!(
            "no_tag {:?}, policy says {:?}",
            explanation.no_tag,
            policy.no_tag(tags)
        ));
    }
    problems
}
