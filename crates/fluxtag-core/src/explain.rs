//! Why a policy of the repository selects the tag it selects (`fluxtag explain`): the policy's
//! evaluation in the controller's order of operations, from the repository's tags through the
//! exclusion list to [`fluxtag_policy::Explanation`]'s `filterTags`, policy and ranking stages.
//!
//! It owns only the repository-level stages (which tags the source gave, which the exclusion
//! list removed and by which pattern). It must not decide anything: the policy is the one
//! [`crate::resolve::resolve`] compiled and evaluated ([`PolicyReport`]), run again through
//! [`fluxtag_policy::Policy::explain`], whose result is the evaluation's.

use fluxtag_policy::Explanation;

use crate::index::{Index, PolicyId, RepositoryEntry};
use crate::resolve::{PolicyReport, Report, TagLookup};
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
