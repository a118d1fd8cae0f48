//! An `ImagePolicy`'s tag selection (spec §4): semver, alphabetical or numerical, with
//! optional `filterTags`, computed as image-reflector-controller computes it.
//!
//! Determinism (fluxtag-differences §3): without `filterTags` the policy sees the tags in
//! the order given; with it, the candidates are the extracted keys ordered by the position of
//! their surviving original tag (a later tag with the same key replaces an earlier one). The
//! controller iterates a Go map there, which is random; on the list the scan stores
//! (descending bytes, see [`Policy::latest`]) fluxtag's choice is what the controller does on
//! its deterministic path.

use crate::filter::{FilterError, FilterObserver, FilteredTag, TagFilter, TagFilterSpec};
use crate::float::parse_go_float;
use crate::no_tag::{Example, NoTag};
use crate::semver::{ConstraintError, Constraints, Version};
use crate::tag::{NotAVersion, parse_flux_version, read_flux_version};
use std::cmp::Ordering;

/// `spec.policy` plus `spec.filterTags` of an ImagePolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PolicySpec {
    /// `policy.semver.range`.
    pub semver_range: Option<String>,
    /// `policy.alphabetical.order`; `Some("")` for `alphabetical: {}`.
    pub alphabetical_order: Option<String>,
    /// `policy.numerical.order`; `Some("")` for `numerical: {}`.
    pub numerical_order: Option<String>,
    /// `filterTags`, if present (even `{}`).
    pub filter_tags: Option<TagFilterSpec>,
}

/// Why the controller would refuse the policy (Stalled, reason `InvalidPolicy`). Displays
/// the controller's reason text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPolicy {
    /// `semver.range` does not parse.
    #[error(transparent)]
    Range(#[from] ConstraintError),
    /// The order is neither `asc` nor `desc` (case-insensitive); holds the upper-cased value.
    #[error("invalid order argument provided: '{0}', must be one of: ASC, DESC")]
    Order(String),
    /// None of `semver`, `alphabetical`, `numerical` is set.
    #[error("given ImagePolicyChoice object is invalid")]
    NoPolicy,
    /// `filterTags.pattern` does not compile.
    #[error(transparent)]
    Filter(#[from] FilterError),
}

/// Why evaluation found no tag (Ready=False, reason `Failure`). Displays the controller's
/// message; [`Policy::no_tag`] says the same in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// No tags, or none left after `filterTags`.
    #[error("version list argument cannot be empty")]
    EmptyList,
    /// Semver: no candidate parses and satisfies the range.
    #[error("unable to determine latest version from provided list")]
    NoMatch,
    /// Numerical: this candidate is not a Go float (the whole policy fails).
    #[error("failed to parse invalid numeric value '{0}'")]
    InvalidNumeric(String),
}

/// The order of an alphabetical or numerical policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// `asc` (the default): the greatest value is the latest.
    Asc,
    /// `desc`: the smallest value is the latest.
    Desc,
}

impl Order {
    /// Reads an order as the controller does: upper-cased, `""` means `ASC`.
    ///
    /// # Errors
    ///
    /// [`InvalidPolicy::Order`] for anything but `ASC` or `DESC`.
    pub fn parse(order: &str) -> Result<Order, InvalidPolicy> {
        match order.to_uppercase().as_str() {
            "" | "ASC" => Ok(Order::Asc),
            "DESC" => Ok(Order::Desc),
            other => Err(InvalidPolicy::Order(other.to_owned())),
        }
    }

    /// `"asc"` or `"desc"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }

    /// Turns "a is greater than b" into "a is newer than b" for this order.
    fn apply(self, ordering: Ordering) -> Ordering {
        match self {
            Order::Asc => ordering,
            Order::Desc => ordering.reverse(),
        }
    }
}

/// Which of the three policies is in effect.
#[derive(Debug, Clone)]
pub enum PolicyChoice {
    /// Semantic versions within a Masterminds range.
    SemVer(Constraints),
    /// Byte-wise string order.
    Alphabetical(Order),
    /// Go float order.
    Numerical(Order),
}

/// A validated ImagePolicy, ready to select tags.
#[derive(Debug, Clone)]
pub struct Policy {
    choice: PolicyChoice,
    filter: Option<TagFilter>,
}

/// A candidate: the value the policy compares (the extracted key with `filterTags`) and the
/// original tag, with its position among the candidates.
pub(crate) struct Candidate<'a> {
    pub(crate) key: &'a str,
    pub(crate) original: &'a str,
}

/// What the selection reports about candidates it cannot use while it selects
/// ([`crate::explain`]); `()` ignores everything (the evaluation's own path). Candidates are
/// named by their position in the candidate list.
pub(crate) trait SelectionObserver {
    /// Semver: the candidate is not a version the policy reads.
    fn not_a_version(&mut self, _candidate: usize, _why: NotAVersion) {}
    /// Semver: the candidate's version does not satisfy the range.
    fn out_of_range(&mut self, _candidate: usize, _version: &Version) {}
    /// Numerical: the candidate is not a number, which fails the policy.
    fn not_a_number(&mut self, _candidate: usize) {}
}

impl SelectionObserver for () {}

impl Policy {
    /// Builds the policy as the controller does: `semver` wins over `alphabetical`, which
    /// wins over `numerical`; the policy is checked before `filterTags`.
    ///
    /// # Errors
    ///
    /// [`InvalidPolicy`] with the controller's reason.
    pub fn new(spec: &PolicySpec) -> Result<Policy, InvalidPolicy> {
        let choice = if let Some(range) = &spec.semver_range {
            PolicyChoice::SemVer(Constraints::parse(range)?)
        } else if let Some(order) = &spec.alphabetical_order {
            PolicyChoice::Alphabetical(Order::parse(order)?)
        } else if let Some(order) = &spec.numerical_order {
            PolicyChoice::Numerical(Order::parse(order)?)
        } else {
            return Err(InvalidPolicy::NoPolicy);
        };
        let filter = spec.filter_tags.as_ref().map(TagFilter::new).transpose()?;
        Ok(Policy { choice, filter })
    }

    /// The policy in effect.
    pub fn choice(&self) -> &PolicyChoice {
        &self.choice
    }

    /// The compiled `filterTags`, if any.
    pub fn filter(&self) -> Option<&TagFilter> {
        self.filter.as_ref()
    }

    /// The latest tag among `tags` as the controller selects it from its database: the tags
    /// are sorted descending by bytes first (the scan's order), then
    /// [`Policy::latest_in_order`] runs.
    ///
    /// # Errors
    ///
    /// See [`Policy::latest_in_order`].
    pub fn latest(&self, tags: &[String]) -> Result<String, EvaluationError> {
        self.select(&scan_order(tags))
    }

    /// The latest tag, with the policy seeing `tags` in exactly this order (ties depend on
    /// it: semver keeps the first of equal versions, numerical the last of equal values).
    /// Returns the original tag, also when `filterTags` extracted something else.
    ///
    /// # Errors
    ///
    /// [`EvaluationError::EmptyList`] when there is nothing to choose from (also after
    /// filtering), [`EvaluationError::NoMatch`] when no tag satisfies a semver range,
    /// [`EvaluationError::InvalidNumeric`] when a numerical candidate is not a number.
    pub fn latest_in_order(&self, tags: &[String]) -> Result<String, EvaluationError> {
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.select(&tags)
    }

    /// [`Policy::latest`] and [`Policy::candidates`] of the same tags at once, `filterTags`
    /// applied once for both (it is most of an evaluation's cost).
    pub fn latest_and_candidates(
        &self,
        tags: &[String],
        limit: usize,
    ) -> (Result<String, EvaluationError>, Vec<String>) {
        let sorted = scan_order(tags);
        let filtered = self.filtered(&sorted);
        let latest = self.select_filtered(&sorted, filtered.as_deref());
        let candidates = self
            .candidates_filtered(&sorted, filtered.as_deref(), limit)
            .unwrap_or_default();
        (latest, candidates)
    }

    /// [`Policy::latest_in_order`] on borrowed tags.
    fn select(&self, tags: &[&str]) -> Result<String, EvaluationError> {
        let filtered = self.filtered(tags);
        self.select_filtered(tags, filtered.as_deref())
    }

    /// [`Policy::select`] with `filterTags` applied to `tags` already (`filtered`).
    fn select_filtered(
        &self,
        tags: &[&str],
        filtered: Option<&[FilteredTag]>,
    ) -> Result<String, EvaluationError> {
        let candidates = self.candidate_list(tags, filtered);
        self.select_candidate(&candidates, &mut ())
            .and_then(|index| {
                candidates
                    .get(index)
                    .map(|c| c.original.to_owned())
                    .ok_or(EvaluationError::EmptyList)
            })
    }

    /// The position of the selected candidate among `candidates`, telling `observer` of the
    /// candidates the policy cannot use: the one decision every selection goes through.
    pub(crate) fn select_candidate(
        &self,
        candidates: &[Candidate<'_>],
        observer: &mut impl SelectionObserver,
    ) -> Result<usize, EvaluationError> {
        if candidates.is_empty() {
            return Err(EvaluationError::EmptyList);
        }
        Ok(match &self.choice {
            PolicyChoice::SemVer(range) => semver_latest(range, candidates, observer)?,
            PolicyChoice::Numerical(order) => numerical_latest(*order, candidates, observer)?.0,
            PolicyChoice::Alphabetical(order) => alphabetical_latest(*order, candidates),
        })
    }

    /// Why [`Policy::latest`] selects no tag from `tags`, in the user's terms (which filter,
    /// which range, which tag is not a number); `None` when it selects one. Built from the same
    /// candidates, in the same scan order, as [`Policy::latest`]: only the words differ from its
    /// [`EvaluationError`].
    pub fn no_tag(&self, tags: &[String]) -> Option<NoTag> {
        let sorted = scan_order(tags);
        let error = self.select(&sorted).err()?;
        let filtered = self.filtered(&sorted);
        let candidates = self.candidate_list(&sorted, filtered.as_deref());
        let filter = self
            .filter
            .as_ref()
            .map(|f| f.pattern().to_owned())
            .filter(|p| !p.is_empty());
        let example = |c: &Candidate<'_>| Example {
            tag: c.original.to_owned(),
            key: c.key.to_owned(),
        };
        Some(match (&error, &self.choice) {
            (EvaluationError::EmptyList, _) => match (&filter, sorted.first()) {
                (Some(pattern), Some(first)) => NoTag::FilterMatchedNone {
                    pattern: pattern.clone(),
                    tags: sorted.len(),
                    example: (*first).to_owned(),
                },
                _ => NoTag::NoTags,
            },
            (EvaluationError::NoMatch, PolicyChoice::SemVer(range)) => {
                let mut newest: Option<(&Candidate<'_>, crate::semver::Version)> = None;
                for candidate in &candidates {
                    let Some(version) = parse_flux_version(candidate.key) else {
                        continue;
                    };
                    let newer = newest
                        .as_ref()
                        .is_none_or(|(_, n)| version.compare(n) == Ordering::Greater);
                    if newer {
                        newest = Some((candidate, version));
                    }
                }
                match (newest, candidates.first()) {
                    (Some((candidate, version)), _) => NoTag::NotInRange {
                        range: range.original().to_owned(),
                        filter,
                        newest: example(candidate),
                        newest_is_prerelease: !version.prerelease().is_empty()
                            && !range
                                .groups()
                                .flatten()
                                .any(|c| !c.version().prerelease().is_empty()),
                    },
                    (None, Some(first)) => NoTag::NoVersion {
                        filter,
                        example: example(first),
                    },
                    (None, None) => NoTag::NoTags,
                }
            }
            (EvaluationError::InvalidNumeric(key), _) => {
                let first = candidates.iter().find(|c| c.key == key).map_or_else(
                    || Example {
                        tag: key.clone(),
                        key: key.clone(),
                    },
                    example,
                );
                NoTag::NotANumber {
                    filter,
                    first,
                    not_numbers: candidates
                        .iter()
                        .filter(|c| parse_go_float(c.key).is_none())
                        .count(),
                    candidates: candidates.len(),
                }
            }
            // Only a semver policy fails with NoMatch.
            (EvaluationError::NoMatch, _) => NoTag::NoTags,
        })
    }

    /// The best `limit` tags in this policy's preference order, best first (the first is
    /// what [`Policy::latest`] returns). Tags are taken in scan order (descending bytes);
    /// semver candidates that do not parse or do not satisfy the range are left out.
    ///
    /// # Errors
    ///
    /// As [`Policy::latest`].
    pub fn candidates(
        &self,
        tags: &[String],
        limit: usize,
    ) -> Result<Vec<String>, EvaluationError> {
        let sorted = scan_order(tags);
        let filtered = self.filtered(&sorted);
        self.candidates_filtered(&sorted, filtered.as_deref(), limit)
    }

    /// [`Policy::candidates`] of tags in scan order, `filterTags` applied already (`filtered`).
    fn candidates_filtered(
        &self,
        sorted: &[&str],
        filtered: Option<&[FilteredTag]>,
        limit: usize,
    ) -> Result<Vec<String>, EvaluationError> {
        let candidates = self.candidate_list(sorted, filtered);
        let order = self.ranking(&candidates)?;
        Ok(order
            .into_iter()
            .take(limit)
            .filter_map(|i| candidates.get(i).map(|c| c.original.to_owned()))
            .collect())
    }

    /// Every usable candidate's position, best first: the policy's preference order (the first
    /// is what [`Policy::select_candidate`] selects). Semver leaves out the candidates that do
    /// not parse or are out of range; numerical and alphabetical rank them all.
    pub(crate) fn ranking(
        &self,
        candidates: &[Candidate<'_>],
    ) -> Result<Vec<usize>, EvaluationError> {
        if candidates.is_empty() {
            return Err(EvaluationError::EmptyList);
        }
        Ok(match &self.choice {
            PolicyChoice::SemVer(range) => {
                let mut matching: Vec<(usize, crate::semver::Version)> = candidates
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        parse_flux_version(c.key)
                            .filter(|v| range.check(v))
                            .map(|v| (i, v))
                    })
                    .collect();
                if matching.is_empty() {
                    return Err(EvaluationError::NoMatch);
                }
                // Stable: among equal versions the earlier candidate stays first.
                matching.sort_by(|a, b| b.1.compare(&a.1));
                matching.into_iter().map(|(i, _)| i).collect()
            }
            PolicyChoice::Numerical(order) => {
                let (best, values) = numerical_latest(*order, candidates, &mut ())?;
                let mut rest: Vec<usize> = (0..candidates.len()).filter(|&i| i != best).collect();
                rest.sort_by(|&a, &b| {
                    let (x, y) = (values[a], values[b]);
                    match (x.is_nan(), y.is_nan()) {
                        (true, true) => b.cmp(&a),
                        (true, false) => Ordering::Greater,
                        (false, true) => Ordering::Less,
                        // Preferred first; among equal values the later candidate first.
                        (false, false) => order
                            .apply(y.partial_cmp(&x).unwrap_or(Ordering::Equal))
                            .then(b.cmp(&a)),
                    }
                });
                std::iter::once(best).chain(rest).collect()
            }
            PolicyChoice::Alphabetical(order) => {
                let mut all: Vec<usize> = (0..candidates.len()).collect();
                all.sort_by(|&a, &b| {
                    order.apply(
                        candidates[b]
                            .key
                            .as_bytes()
                            .cmp(candidates[a].key.as_bytes()),
                    )
                });
                all
            }
        })
    }

    /// Whether tag `a` is newer ([`Ordering::Greater`]) or older than tag `b` by this
    /// policy's own ordering: semver precedence, Go float order or byte order, the latter two
    /// honouring `order`; with `filterTags` the extracted keys are compared. `None` when a
    /// tag does not match the filter or cannot be read (not a version / not a number / NaN).
    /// The semver range is not consulted.
    pub fn compare(&self, a: &str, b: &str) -> Option<Ordering> {
        let (key_a, key_b) = match &self.filter {
            Some(filter) => (filter.key(a)?, filter.key(b)?),
            None => (a.to_owned(), b.to_owned()),
        };
        match &self.choice {
            PolicyChoice::SemVer(_) => {
                let x = parse_flux_version(&key_a)?;
                let y = parse_flux_version(&key_b)?;
                Some(x.compare(&y))
            }
            PolicyChoice::Numerical(order) => {
                let x = parse_go_float(&key_a)?;
                let y = parse_go_float(&key_b)?;
                x.partial_cmp(&y).map(|o| order.apply(o))
            }
            PolicyChoice::Alphabetical(order) => {
                Some(order.apply(key_a.as_bytes().cmp(key_b.as_bytes())))
            }
        }
    }

    /// A short human description, e.g. `semver ^1.2`, `numerical asc`,
    /// `alphabetical desc (filter '^main-(?P<ts>\d+)' → $ts)`.
    pub fn describe(&self) -> String {
        let mut text = match &self.choice {
            PolicyChoice::SemVer(range) => format!("semver {}", range.original()),
            PolicyChoice::Alphabetical(order) => format!("alphabetical {}", order.as_str()),
            PolicyChoice::Numerical(order) => format!("numerical {}", order.as_str()),
        };
        if let Some(filter) = &self.filter {
            if filter.extract().is_empty() {
                text.push_str(&format!(" (filter '{}')", filter.pattern()));
            } else {
                text.push_str(&format!(
                    " (filter '{}' → {})",
                    filter.pattern(),
                    filter.extract()
                ));
            }
        }
        text
    }

    fn filtered(&self, tags: &[&str]) -> Option<Vec<FilteredTag>> {
        self.filter.as_ref().map(|f| f.apply(tags))
    }

    /// [`Policy::filtered`], telling `observer` what `filterTags` left out.
    pub(crate) fn filtered_observed(
        &self,
        tags: &[&str],
        observer: &mut impl FilterObserver,
    ) -> Option<Vec<FilteredTag>> {
        self.filter
            .as_ref()
            .map(|f| f.apply_observed(tags, observer))
    }

    /// What the policy compares: the extracted keys with `filterTags` (`filtered`), else the
    /// tags themselves, in the order given.
    pub(crate) fn candidate_list<'a>(
        &self,
        tags: &'a [&'a str],
        filtered: Option<&'a [FilteredTag]>,
    ) -> Vec<Candidate<'a>> {
        match filtered {
            Some(filtered) => filtered
                .iter()
                .map(|f| Candidate {
                    key: &f.key,
                    original: &f.original,
                })
                .collect(),
            None => tags
                .iter()
                .map(|t| Candidate {
                    key: t,
                    original: t,
                })
                .collect(),
        }
    }
}

/// The tags borrowed in the scan's order (descending bytes).
pub(crate) fn scan_order(tags: &[String]) -> Vec<&str> {
    let mut sorted: Vec<&str> = tags.iter().map(String::as_str).collect();
    sorted.sort_unstable_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
    sorted
}

/// Semver: the first candidate with the greatest version among those that parse and satisfy
/// the range.
fn semver_latest(
    range: &Constraints,
    candidates: &[Candidate<'_>],
    observer: &mut impl SelectionObserver,
) -> Result<usize, EvaluationError> {
    let mut best: Option<(usize, Version)> = None;
    for (i, candidate) in candidates.iter().enumerate() {
        let version = match read_flux_version(candidate.key) {
            Ok(version) => version,
            Err(why) => {
                observer.not_a_version(i, why);
                continue;
            }
        };
        if !range.check(&version) {
            observer.out_of_range(i, &version);
            continue;
        }
        let newer = best
            .as_ref()
            .is_none_or(|(_, latest)| version.compare(latest) == Ordering::Greater);
        if newer {
            best = Some((i, version));
        }
    }
    best.map(|(i, _)| i).ok_or(EvaluationError::NoMatch)
}

/// Numerical: every candidate must parse; scanning in order, a candidate replaces the pick
/// unless it is smaller (ASC) or greater (DESC), so ties go to the last one and a NaN
/// replaces the pick whenever it is reached. Returns the pick and all values.
fn numerical_latest(
    order: Order,
    candidates: &[Candidate<'_>],
    observer: &mut impl SelectionObserver,
) -> Result<(usize, Vec<f64>), EvaluationError> {
    let mut values = Vec::with_capacity(candidates.len());
    let mut best = 0;
    let mut picked = f64::NAN;
    for (i, candidate) in candidates.iter().enumerate() {
        let Some(value) = parse_go_float(candidate.key) else {
            observer.not_a_number(i);
            return Err(EvaluationError::InvalidNumeric(candidate.key.to_owned()));
        };
        values.push(value);
        let skip = i > 0
            && match order {
                Order::Asc => value < picked,
                Order::Desc => value > picked,
            };
        if !skip {
            best = i;
            picked = value;
        }
    }
    Ok((best, values))
}

/// Alphabetical: the greatest (ASC) or smallest (DESC) key by bytes.
fn alphabetical_latest(order: Order, candidates: &[Candidate<'_>]) -> usize {
    let mut best = 0;
    for (i, candidate) in candidates.iter().enumerate().skip(1) {
        let current = candidates.get(best).map_or("", |c| c.key);
        if order.apply(candidate.key.as_bytes().cmp(current.as_bytes())) == Ordering::Greater {
            best = i;
        }
    }
    best
}
