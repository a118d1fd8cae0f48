//! Why a policy of the repository selects the tag it selects (`fluxtag explain`): the policy's
//! evaluation in the controller's order of operations, from the repository's tags through the
//! exclusion list to [`fluxtag_policy::Explanation`]'s `filterTags`, policy and ranking stages.
//!
//! [`StageSummary`] is the same evaluation in counts, one segment per stage: what hovers and the
//! `stale` and `no-matching-tag` diagnostics show.
//!
//! It owns only the repository-level stages (which tags the source gave, which the exclusion
//! list removed and by which pattern). It must not decide anything: the policy is the one
//! [`crate::resolve::resolve`] compiled and evaluated ([`PolicyReport`]), run again through
//! [`fluxtag_policy::Policy::explain`], whose result is the evaluation's.

use std::fmt;

use fluxtag_policy::{Explanation, PolicyChoice, Rejection};

use crate::diag::Diagnostic;
use crate::index::{Index, PolicyId, RepositoryEntry};
use crate::resolve::{MarkerReport, PolicyReport, Report, TagLookup};
use crate::validate::exclusion_list;

/// One policy's evaluation, stage by stage.
#[derive(Debug, Clone)]
pub struct PolicyExplanation<'r> {
    /// The policy's evaluation in the report (name, file, rule, result or error).
    pub report: &'r PolicyReport,
    /// How many tags the tag source gave, before the exclusion list (`None`: no tags were
    /// read, [`PolicyReport::error`] says why).
    pub listed: Option<usize>,
    /// The tags the exclusion list removed, in the scan's order (descending bytes), each with
    /// the first pattern that matched it (the default `^.*\.sig$` included).
    pub excluded: Vec<ExcludedTag>,
    /// The policy over what is left (`None` when the policy is invalid or has no tags).
    pub evaluation: Option<Explanation>,
}

/// A tag removed by the ImageRepository's exclusion list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedTag {
    /// The tag.
    pub tag: String,
    /// The pattern that removed it, as written.
    pub pattern: String,
}

/// What happens to one marker (`fluxtag explain FILE:LINE`): the verdict
/// [`crate::resolve::resolve`] gave it, whether an automation applies it, and the findings on it.
/// The policy's own stages are [`explain_policy`]'s, for [`MarkerReport::policy`].
#[derive(Debug, Clone)]
pub struct MarkerExplanation<'r> {
    /// The marker's resolution (what Flux would write, the verdict).
    pub report: &'r MarkerReport,
    /// Whether an ImageUpdateAutomation of the repository applies it.
    pub automation: Automation,
    /// The findings on the marker (its comment or its value), in the report's order.
    pub findings: Vec<&'r Diagnostic>,
}

/// Whether an ImageUpdateAutomation would apply a marker (flux-semantics §1.4: same namespace,
/// `policySelector`, `update.path`, the same cluster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automation {
    /// The marker names no policy of the repository, so no automation applies it.
    NoPolicy,
    /// The repository holds no ImageUpdateAutomation (it may live in another repository).
    NoneInRepository,
    /// An automation of the repository applies it.
    Applies,
    /// None does, and why.
    DoesNotApply(String),
}

impl fmt::Display for Automation {
    /// In words: `an ImageUpdateAutomation of the repository applies it`, or why none does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Automation::NoPolicy => {
                f.write_str("none applies it: the marker names no ImagePolicy of the repository")
            }
            Automation::NoneInRepository => f.write_str(
                "no ImageUpdateAutomation in the repository (one in another repository may apply it)",
            ),
            Automation::Applies => {
                f.write_str("an ImageUpdateAutomation of the repository applies it")
            }
            Automation::DoesNotApply(why) => write!(f, "none applies it: {why}"),
        }
    }
}

/// Explains `marker`, a marker of `report` (a resolution of `index`).
pub fn explain_marker<'r>(
    index: &Index,
    report: &'r Report,
    marker: &'r MarkerReport,
) -> MarkerExplanation<'r> {
    let automation = match marker.policy.and_then(|id| index.policy(id)) {
        None => Automation::NoPolicy,
        Some(_) if index.automations().is_empty() => Automation::NoneInRepository,
        Some(policy) => match index.automation_verdict(policy, &marker.path) {
            Ok(()) => Automation::Applies,
            Err(why) => Automation::DoesNotApply(why),
        },
    };
    let spans = [
        &marker.marker.comment,
        &marker.marker.scalar,
        &marker.marker.reference_range,
    ];
    let findings = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.path == marker.path
                && spans.iter().any(|span| {
                    d.range.start < span.end.max(span.start + 1)
                        && span.start < d.range.end.max(d.range.start + 1)
                })
        })
        .collect();
    MarkerExplanation {
        report: marker,
        automation,
        findings,
    }
}

/// The ImagePolicies of `index` that `namespace`/`name` names: the one policy in that namespace
/// (several when overlays build it more than once), or with `namespace` `None` every policy of
/// that name.
pub fn find_policies(index: &Index, namespace: Option<&str>, name: &str) -> Vec<PolicyId> {
    index
        .policies_with_ids()
        .filter(|(_, entry)| {
            entry.name == name && namespace.is_none_or(|ns| entry.namespace.as_deref() == Some(ns))
        })
        .map(|(id, _)| id)
        .collect()
}

/// Explains policy `id` of `report` (a resolution of `index` with the tags `tags` gives; the
/// same source must be given here), keeping at most `limit` ranked candidates. `None` when
/// `id` is not a policy of both.
pub fn explain_policy<'r>(
    index: &Index,
    report: &'r Report,
    id: PolicyId,
    tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup,
    limit: usize,
) -> Option<PolicyExplanation<'r>> {
    let entry = index.policy(id)?;
    let evaluated = report.policy(id)?;
    let mut explanation = PolicyExplanation {
        report: evaluated,
        listed: None,
        excluded: Vec::new(),
        evaluation: None,
    };
    let Some(repository) = index.repository_of(entry) else {
        return Some(explanation);
    };
    let Some(image) = repository.valid_image() else {
        return Some(explanation);
    };
    let TagLookup::Found(set) = tags(&image.canonical(), repository) else {
        return Some(explanation);
    };
    explanation.listed = Some(set.tags.len());
    let Ok(exclusion) = exclusion_list(&repository.object.exclusion_patterns()) else {
        return Some(explanation);
    };
    let mut kept = Vec::with_capacity(set.tags.len());
    for tag in set.tags {
        match exclusion.excluded_by(&tag) {
            Some(pattern) => explanation.excluded.push(ExcludedTag {
                pattern: pattern.to_owned(),
                tag,
            }),
            None => kept.push(tag),
        }
    }
    explanation
        .excluded
        .sort_unstable_by(|a, b| b.tag.as_bytes().cmp(a.tag.as_bytes()));
    explanation.evaluation = evaluated.engine.as_ref().map(|p| p.explain(&kept, limit));
    Some(explanation)
}

/// How many tags one pattern of an ImageRepository's exclusion list removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExclusionCount {
    /// The pattern as written (the default `^.*\.sig$` when the list is empty).
    pub pattern: String,
    /// How many tags it was the first pattern to match.
    pub count: usize,
}

/// A policy's evaluation in counts, stage by stage ([`PolicyReport::summary`]): the one-line
/// form of `fluxtag explain`, for hovers and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSummary {
    /// How many tags the source gave.
    pub listed: usize,
    /// The exclusion list's patterns that removed tags, in the list's order.
    pub excluded: Vec<ExclusionCount>,
    /// Tags `filterTags` did not match (`None`: the policy has no `filterTags`).
    pub unmatched: Option<usize>,
    /// Tags `filterTags` dropped for a later tag with the same key.
    pub replaced: usize,
    /// Semver: candidates that are not a version the controller reads.
    pub not_a_version: usize,
    /// Semver: versions outside the range.
    pub out_of_range: usize,
    /// Semver: prereleases no comparator of the range admits.
    pub prerelease: usize,
    /// The semver range, as written.
    pub range: Option<String>,
    /// Numerical: the first candidate that is not a number (it fails the policy).
    pub not_a_number: Option<String>,
    /// How many candidates were ranked.
    pub ranked: usize,
    /// The selected tag.
    pub selected: Option<String>,
    /// The tag ranked second.
    pub runner_up: Option<String>,
}

impl StageSummary {
    /// The counts of `report`'s evaluation: its policy run again, with a trace, over the tags
    /// it was evaluated on. `None` when no tags were evaluated (the policy is invalid, the tags
    /// could not be read).
    pub fn of(report: &PolicyReport) -> Option<StageSummary> {
        let (policy, tags) = (report.engine.as_ref()?, report.tags.as_ref()?);
        let explanation = policy.explain(tags, 2);
        let mut summary = StageSummary {
            listed: report.listed.unwrap_or(tags.len()),
            excluded: report.excluded.clone(),
            unmatched: explanation.filter.as_ref().map(|f| f.unmatched.len()),
            replaced: explanation.filter.as_ref().map_or(0, |f| f.replaced.len()),
            not_a_version: 0,
            out_of_range: 0,
            prerelease: 0,
            range: match policy.choice() {
                PolicyChoice::SemVer(range) => Some(range.original().to_owned()),
                _ => None,
            },
            not_a_number: None,
            ranked: explanation.ranked,
            selected: explanation.selected().map(str::to_owned),
            runner_up: explanation.ranking.get(1).map(|r| r.tag.clone()),
        };
        for rejected in &explanation.rejected {
            match rejected.why {
                Rejection::NotAVersion(_) => summary.not_a_version += 1,
                Rejection::OutOfRange { .. } => summary.out_of_range += 1,
                Rejection::Prerelease { .. } => summary.prerelease += 1,
                Rejection::NotANumber => {
                    summary.not_a_number = Some(rejected.candidate.tag.clone());
                }
            }
        }
        Some(summary)
    }

    /// One segment per stage that did something, in the controller's order, with each
    /// pattern, range and tag written by `code` (backticks in plain text, a code span in
    /// Markdown).
    pub fn segments(&self, code: &dyn Fn(&str) -> String) -> Vec<String> {
        let mut out = vec![count(self.listed, "tag", "tags")];
        for excluded in &self.excluded {
            out.push(format!(
                "{} excluded by {}",
                excluded.count,
                code(&excluded.pattern)
            ));
        }
        if let Some(unmatched) = self.unmatched.filter(|n| *n > 0) {
            out.push(format!("{unmatched} did not match filterTags"));
        }
        if self.replaced > 0 {
            out.push(format!(
                "{} replaced by a tag with the same key",
                self.replaced
            ));
        }
        if self.not_a_version > 0 {
            out.push(format!("{} not a version", self.not_a_version));
        }
        if self.prerelease > 0 {
            out.push(count(self.prerelease, "prerelease", "prereleases"));
        }
        if self.out_of_range > 0 {
            let range = self.range.as_deref().map(code).unwrap_or_default();
            out.push(
                format!("{} out of range {range}", self.out_of_range)
                    .trim_end()
                    .to_owned(),
            );
        }
        if let Some(tag) = &self.not_a_number {
            out.push(format!(
                "{} is not a number, which fails the policy",
                code(tag)
            ));
        }
        out.push(match (&self.selected, &self.runner_up) {
            (Some(selected), Some(runner_up)) => format!(
                "{} ranked: {} over {}",
                self.ranked,
                code(selected),
                code(runner_up)
            ),
            (Some(selected), None) => format!("{} ranked: {}", self.ranked, code(selected)),
            (None, _) => "none selected".to_owned(),
        });
        out
    }
}

/// `n` and the word, singular or plural.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for StageSummary {
    /// The segments on one line, patterns, ranges and tags in backticks: `12 tags, 2 excluded by
    /// `^.*\.sig$`, 3 ranked: `1.4.2` over `1.4.1``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments(&|text| format!("`{text}`")).join(", "))
    }
}
