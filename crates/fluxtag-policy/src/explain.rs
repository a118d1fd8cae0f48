//! [`Explanation`]: how a policy reaches its selection, stage by stage, in the controller's
//! order of operations: `filterTags` (which tags it did not match, which it replaced by a later
//! one with the same key), the policy (which candidates it could not use and why), then the
//! ranking (best first, with the value each was compared on, and ties).
//!
//! Nothing here decides. [`Policy::explain`] runs the one evaluation path [`Policy::latest`]
//! runs ([`crate::TagFilter::apply`], then the policy's selection) with observers that record
//! what it skips; the ranking is the one [`Policy::candidates`] returns. Reading why a range
//! rejects a version ([`crate::Constraints::rejections`]) only describes a rejection the
//! evaluation already made.

use crate::filter::FilterObserver;
use crate::float::parse_go_float;
use crate::no_tag::{Example, NoTag};
use crate::policy::{
    Candidate, EvaluationError, Policy, PolicyChoice, SelectionObserver, scan_order,
};
use crate::semver::{Constraints, GroupRejection, Version};
use crate::tag::{NotAVersion, parse_flux_version};

/// How a policy selected (or failed to select) a tag from a list of tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// How many tags the policy was given.
    pub tags: usize,
    /// The `filterTags` stage, when the policy has `filterTags`.
    pub filter: Option<FilterStage>,
    /// How many candidates the policy compared (the tags, or what `filterTags` kept).
    pub candidates: usize,
    /// The candidates the policy could not use, in scan order (numerical: only the first
    /// non-number, which ends the evaluation).
    pub rejected: Vec<Rejected>,
    /// The best candidates, best first (at most the limit given to [`Policy::explain`]); the
    /// first is the selection. Empty when the policy selects nothing.
    pub ranking: Vec<Ranked>,
    /// How many candidates the full ranking holds (before the limit).
    pub ranked: usize,
    /// How the policy breaks ties between candidates of equal value.
    pub tie_break: TieBreak,
    /// What [`Policy::latest`] returns for the same tags.
    pub result: Result<String, EvaluationError>,
    /// Why nothing is selected, in the user's terms (`None` when a tag is selected).
    pub no_tag: Option<NoTag>,
}

/// What `filterTags` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStage {
    /// The pattern as written.
    pub pattern: String,
    /// The extract template (empty: the whole tag is compared).
    pub extract: String,
    /// The tags the pattern did not match, in scan order.
    pub unmatched: Vec<String>,
    /// The tags a later tag with the same key replaced (fluxtag-differences §3: the byte-wise
    /// smallest original of a key survives).
    pub replaced: Vec<Replaced>,
    /// How many candidates it kept.
    pub kept: usize,
}

/// A tag that `filterTags` dropped because a later one extracted to the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The dropped tag.
    pub tag: String,
    /// The tag kept in its place.
    pub by: String,
    /// The key both extract to.
    pub key: String,
}

/// A candidate the policy could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The candidate (its tag, and the key the policy read).
    pub candidate: Example,
    /// Why.
    pub why: Rejection,
}

/// Why the policy could not use a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Semver: not a version the controller reads (spec §4.1).
    NotAVersion(NotAVersion),
    /// Semver: a version outside the range.
    OutOfRange {
        /// The version read (`M.m.p[-pre][+meta]`).
        version: String,
        /// The comparator that rejected it, in each OR-group that rejected it by a comparator.
        comparators: Vec<String>,
    },
    /// Semver: a prerelease, and no OR-group of the range has a prerelease comparator.
    Prerelease {
        /// The version read.
        version: String,
    },
    /// Numerical: not a Go float; the first such candidate fails the whole policy (spec §4.2).
    NotANumber,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// The original tag.
    pub tag: String,
    /// The key the policy compared (the tag itself without an extract template).
    pub key: String,
    /// The value it was compared on: the version read (semver), the number (numerical) or the
    /// key (alphabetical).
    pub value: String,
    /// Whether its value equals the one ranked just above it (a tie, broken by
    /// [`Explanation::tie_break`]).
    pub tied_with_previous: bool,
}

/// How ties between candidates of equal value are broken (fluxtag-differences §3, spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// Semver: the first in descending byte order of the original tag wins (`v1.2.3` over
    /// `1.2.3`).
    FirstInScanOrder,
    /// Numerical: the last in descending byte order wins (`1.0` over `1`).
    LastInScanOrder,
    /// Alphabetical: keys are unique after filtering, so there are no ties.
    NoTies,
}

/// The stage of the evaluation that decided its outcome ([`Explanation::decided_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// There were no tags to choose from.
    Tags,
    /// `filterTags` matched none of the tags.
    Filter,
    /// The policy could use none of the candidates (semver: none is a version in the range;
    /// numerical: a candidate is not a number).
    Policy,
    /// The ranking picked the selection among the usable candidates.
    Ranking,
}

impl Stage {
    /// The stage's name in the JSON contract and the human output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tags => "tags",
            Self::Filter => "filter",
            Self::Policy => "policy",
            Self::Ranking => "ranking",
        }
    }
}

impl Explanation {
    /// The stage that decided the outcome: the ranking when a tag is selected, otherwise the
    /// first stage after which nothing usable was left.
    pub fn decided_by(&self) -> Stage {
        if self.result.is_ok() {
            Stage::Ranking
        } else if self.tags == 0 {
            Stage::Tags
        } else if self.candidates == 0 {
            Stage::Filter
        } else {
            Stage::Policy
        }
    }

    /// The selected tag, when there is one.
    pub fn selected(&self) -> Option<&str> {
        self.result.as_deref().ok()
    }
}

impl Policy {
    /// Evaluates the policy over `tags` (any order; sorted into the scan's order as
    /// [`Policy::latest`] does) and records every stage; the ranking holds at most `limit`
    /// candidates. `result` is what [`Policy::latest`] returns.
    pub fn explain(&self, tags: &[String], limit: usize) -> Explanation {
        let sorted = scan_order(tags);
        let mut filter_record = FilterRecord::default();
        let filtered = self.filtered_observed(&sorted, &mut filter_record);
        let candidates = self.candidate_list(&sorted, filtered.as_deref());
        let range = match self.choice() {
            PolicyChoice::SemVer(range) => Some(range),
            _ => None,
        };
        let mut selection_record = SelectionRecord {
            range,
            rejected: Vec::new(),
        };
        let result = self
            .select_candidate(&candidates, &mut selection_record)
            .and_then(|i| {
                candidates
                    .get(i)
                    .map(|c| c.original.to_owned())
                    .ok_or(EvaluationError::EmptyList)
            });
        let ranking = if result.is_ok() {
            self.ranking(&candidates).unwrap_or_default()
        } else {
            Vec::new()
        };
        let ranked = ranking.len();
        let mut previous: Option<String> = None;
        let ranking = ranking
            .into_iter()
            .take(limit)
            .filter_map(|i| candidates.get(i))
            .map(|candidate| {
                let value = self.value_of(candidate);
                let tied_with_previous = previous.as_deref() == Some(value.as_str());
                previous = Some(value.clone());
                Ranked {
                    tag: candidate.original.to_owned(),
                    key: candidate.key.to_owned(),
                    value,
                    tied_with_previous,
                }
            })
            .collect();
        let rejected = selection_record
            .rejected
            .into_iter()
            .filter_map(|(i, why)| {
                candidates.get(i).map(|c| Rejected {
                    candidate: Example {
                        tag: c.original.to_owned(),
                        key: c.key.to_owned(),
                    },
                    why,
                })
            })
            .collect();
        let filter = self.filter().map(|f| FilterStage {
            pattern: f.pattern().to_owned(),
            extract: f.extract().to_owned(),
            unmatched: filter_record.unmatched,
            replaced: filter_record.replaced,
            kept: candidates.len(),
        });
        let tie_break = match self.choice() {
            PolicyChoice::SemVer(_) => TieBreak::FirstInScanOrder,
            PolicyChoice::Numerical(_) => TieBreak::LastInScanOrder,
            PolicyChoice::Alphabetical(_) => TieBreak::NoTies,
        };
        let no_tag = if result.is_err() {
            self.no_tag(tags)
        } else {
            None
        };
        Explanation {
            tags: tags.len(),
            filter,
            candidates: candidates.len(),
            rejected,
            ranking,
            ranked,
            tie_break,
            result,
            no_tag,
        }
    }

    /// The value a ranked candidate was compared on, as text (two candidates tie exactly when
    /// their texts are equal: a version without its build metadata, which precedence ignores;
    /// a number in Rust's shortest round-trip form).
    fn value_of(&self, candidate: &Candidate<'_>) -> String {
        match self.choice() {
            PolicyChoice::SemVer(_) => parse_flux_version(candidate.key)
                .map_or_else(|| candidate.key.to_owned(), |v| precedence_text(&v)),
            PolicyChoice::Numerical(_) => parse_go_float(candidate.key)
                .map_or_else(|| candidate.key.to_owned(), |n| n.to_string()),
            PolicyChoice::Alphabetical(_) => candidate.key.to_owned(),
        }
    }
}

/// `M.m.p[-pre]`: what semver precedence compares.
fn precedence_text(version: &Version) -> String {
    if version.prerelease().is_empty() {
        format!(
            "{}.{}.{}",
            version.major(),
            version.minor(),
            version.patch()
        )
    } else {
        format!(
            "{}.{}.{}-{}",
            version.major(),
            version.minor(),
            version.patch(),
            version.prerelease()
        )
    }
}

/// What `filterTags` reported.
#[derive(Default)]
struct FilterRecord {
    unmatched: Vec<String>,
    replaced: Vec<Replaced>,
}

impl FilterObserver for FilterRecord {
    fn unmatched(&mut self, tag: &str) {
        self.unmatched.push(tag.to_owned());
    }

    fn replaced(&mut self, earlier: &str, tag: &str, key: &str) {
        self.replaced.push(Replaced {
            tag: earlier.to_owned(),
            by: tag.to_owned(),
            key: key.to_owned(),
        });
    }
}

/// What the selection reported, by candidate position.
struct SelectionRecord<'r> {
    range: Option<&'r Constraints>,
    rejected: Vec<(usize, Rejection)>,
}

impl SelectionObserver for SelectionRecord<'_> {
    fn not_a_version(&mut self, candidate: usize, why: NotAVersion) {
        self.rejected.push((candidate, Rejection::NotAVersion(why)));
    }

    fn out_of_range(&mut self, candidate: usize, version: &Version) {
        let rejections = self
            .range
            .map(|range| range.rejections(version))
            .unwrap_or_default();
        let comparators: Vec<String> = rejections
            .iter()
            .filter_map(|r| match r {
                GroupRejection::Comparator(c) => Some(c.to_string()),
                GroupRejection::Prerelease => None,
            })
            .collect();
        let version = version.to_string();
        let why = if comparators.is_empty() {
            Rejection::Prerelease { version }
        } else {
            Rejection::OutOfRange {
                version,
                comparators,
            }
        };
        self.rejected.push((candidate, why));
    }

    fn not_a_number(&mut self, candidate: usize) {
        self.rejected.push((candidate, Rejection::NotANumber));
    }
}
