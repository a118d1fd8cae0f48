//! Policy evaluation: each ImagePolicy over its repository's tags, once, as
//! image-reflector-controller does (spec §3–§5), and the digests the selected tags need.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use fluxtag_policy::exclusion::sort_tags_descending;
use fluxtag_policy::image_ref::parse_reference;
use fluxtag_policy::policy::PolicySpec;

use super::{LatestRef, PolicyReport, TagLookup, TagSet};
use crate::diag::{Code, Diagnostic};
use crate::explain::ExclusionCount;
use crate::index::{Index, PolicyEntry, RepositoryEntry, display_name, reference_name};
use crate::marker::MarkerKind;
use crate::validate::{
    CompiledPolicy, compile_policies, digest_reflection_problem, exclusion_list, policy_spec,
    repository_problem,
};

/// Every policy of `index` compiled, in [`crate::index::PolicyId`] order.
pub(super) fn compile_all(index: &Index) -> Vec<CompiledPolicy> {
    compile_policies(index.policies().iter().map(|p| &p.object))
}

/// Evaluates every policy of `index` over the tags `tags` gives (asked once per repository with
/// a valid image that a policy names, by canonical image name, on the calling thread), in
/// [`crate::index::PolicyId`] order: what a resolution's [`super::Report::policies`] holds,
/// without resolving any marker.
pub fn evaluate_policies(
    index: &Index,
    tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup,
) -> Vec<PolicyReport> {
    evaluate_compiled(index, compile_all(index), tags)
}

/// [`evaluate_policies`] with the policies compiled already.
pub(super) fn evaluate_compiled(
    index: &Index,
    compiled: Vec<CompiledPolicy>,
    tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup,
) -> Vec<PolicyReport> {
    // Each repository's tags, asked once, here on this thread (`tags` need not be shareable).
    let mut repository_tags_by_position: HashMap<usize, RepositoryTags> = HashMap::new();
    for entry in index.policies() {
        let Some(repository) = index.repository_of(entry) else {
            continue;
        };
        let Some(Ok(image)) = &repository.image_ref else {
            continue;
        };
        let position = repository_position(index, repository);
        repository_tags_by_position
            .entry(position)
            .or_insert_with(|| repository_tags(repository, &image.canonical(), tags));
    }
    let listed = &repository_tags_by_position;
    // Then the policies, on every core in contiguous shares (a repository's policies are
    // usually written together, so they mostly share a thread and its selections).
    let work: Vec<(&PolicyEntry, CompiledPolicy)> = index.policies().iter().zip(compiled).collect();
    crate::parallel::map_shares(work, POLICIES_PER_THREAD, |share| {
        let mut selections = HashMap::new();
        share
            .into_iter()
            .map(|(p, compiled)| evaluate_policy(index, p, compiled, listed, &mut selections))
            .collect()
    })
}

/// Below this many policies per core, one thread evaluates them all (spawning costs more).
const POLICIES_PER_THREAD: usize = 64;

/// The position of `repository` (a reference into `index`) among the index's repositories:
/// the key under which its tags are kept.
fn repository_position(index: &Index, repository: &RepositoryEntry) -> usize {
    index
        .repositories()
        .iter()
        .position(|r| std::ptr::eq(r, repository))
        .unwrap_or(usize::MAX)
}

/// Each rule's selection over a repository's tags (by the repository's position): a monorepo
/// writes the same rule for many policies of one image, and they share one selection.
type Selections = HashMap<(usize, PolicySpec), Selection>;

/// One repository's tags as its policies see them.
enum RepositoryTags {
    /// The tag source failed, with its message.
    Failed(String),
    /// The exclusion list does not compile, with the reason.
    BadExclusion(String),
    /// The tags the source gave, what is left after the exclusion list (sorted descending) and
    /// how many each pattern removed.
    Listed(TagSet, Arc<[String]>, Vec<ExclusionCount>),
}

/// What a rule selects from a repository's tags.
#[derive(Clone)]
struct Selection {
    /// The best ten tags, best first.
    candidates: Vec<String>,
    /// The selected tag, or why none is (in the user's terms).
    latest: Result<String, String>,
}

/// The tags `repository` gives its policies, asked from `tags` once per run.
fn repository_tags(
    repository: &RepositoryEntry,
    canonical: &str,
    tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup,
) -> RepositoryTags {
    let set = match tags(canonical, repository) {
        TagLookup::Found(set) => set,
        TagLookup::Failed(message) => return RepositoryTags::Failed(message),
    };
    match exclusion_list(&repository.object.exclusion_patterns()) {
        Ok(exclusion) => {
            let mut excluded: Vec<ExclusionCount> = exclusion
                .patterns()
                .map(|pattern| ExclusionCount {
                    pattern: pattern.to_owned(),
                    count: 0,
                })
                .collect();
            let mut list = Vec::with_capacity(set.tags.len());
            for tag in &set.tags {
                match exclusion.excluded_by(tag) {
                    Some(pattern) => {
                        if let Some(counted) = excluded.iter_mut().find(|c| c.pattern == pattern) {
                            counted.count += 1;
                        }
                    }
                    None => list.push(tag.clone()),
                }
            }
            excluded.retain(|c| c.count > 0);
            sort_tags_descending(&mut list);
            RepositoryTags::Listed(set, list.into(), excluded)
        }
        Err(error) => RepositoryTags::BadExclusion(error.to_string()),
    }
}

/// What `policy` selects from `list`, the tags `set` left by `repository`'s exclusion list.
fn select(
    policy: &fluxtag_policy::policy::Policy,
    repository: &RepositoryEntry,
    set: &TagSet,
    list: &[String],
) -> Selection {
    let (latest, candidates) = policy.latest_and_candidates(list, 10);
    let latest = latest.map_err(|error| {
        // What happened, in the user's terms; which case it is stays the controller's.
        if list.is_empty() && !set.tags.is_empty() {
            excluded_all(&repository.object.exclusion_patterns(), &set.tags)
        } else if list.is_empty() {
            "the image has no tags".to_string()
        } else {
            policy
                .no_tag(list)
                .map_or_else(|| error.to_string(), |why| why.to_string())
        }
    });
    Selection { candidates, latest }
}

/// The `no-matching-tag` finding of each policy that selects no tag, and the
/// `latest-ref-invalid` one of each whose result Flux cannot parse, on the policy.
pub(super) fn no_matching_tag_diagnostics(
    index: &Index,
    policies: &[PolicyReport],
) -> Vec<Diagnostic> {
    index
        .policies()
        .iter()
        .zip(policies)
        .filter_map(|(entry, evaluated)| {
            let (code @ (Code::NoMatchingTag | Code::LatestRefInvalid), message) =
                evaluated.error.as_ref()?
            else {
                return None;
            };
            let help = if *code == Code::NoMatchingTag {
                format!(
                    "`fluxtag explain {}` shows each stage with its tags; check the range, filterTags and the exclusion list",
                    reference_name(entry.namespace.as_deref(), &entry.name)
                )
            } else {
                "Flux accepts a digest only as `sha256:` and 64 lowercase hex digits: correct the tags snapshot, or while the registry returns it set the policy's digestReflectionPolicy to Never or exclude the tag".to_owned()
            };
            let mut d = Diagnostic::new(
                *code,
                &entry.object.origin.path,
                evaluated.range.clone(),
                message.clone(),
            )
            .with_help(help);
            if *code == Code::NoMatchingTag
                && let Some(summary) = evaluated.summary()
            {
                d = d.with_note(summary.to_string());
            }
            Some(d)
        })
        .collect()
}

/// A digest a policy needs: the policy reflects digests (spec §2.1) and selected `tag` from the
/// tags of `repository`, whose image is valid.
#[derive(Debug, Clone)]
pub struct DigestWanted<'a> {
    /// The repository (its image is valid: [`RepositoryEntry::valid_image`] is `Some`).
    pub repository: &'a RepositoryEntry,
    /// The image's canonical name.
    pub canonical: String,
    /// The selected tag.
    pub tag: String,
}

/// The digests the evaluations `policies` (of `index`, as [`evaluate_policies`] gives them) need:
/// one per policy that reflects digests and selected a tag, in policy order (an image and tag
/// several policies select is listed once per policy; callers fetch each once).
pub fn digests_wanted<'a>(index: &'a Index, policies: &[PolicyReport]) -> Vec<DigestWanted<'a>> {
    index
        .policies()
        .iter()
        .zip(policies)
        .filter(|(entry, _)| entry.object.digest_reflection().reflects())
        .filter_map(|(entry, evaluated)| {
            let latest = evaluated.latest.as_ref()?;
            let repository = index.repository_of(entry)?;
            Some(DigestWanted {
                repository,
                canonical: repository.valid_image()?.canonical(),
                tag: latest.tag.clone(),
            })
        })
        .collect()
}

/// One policy's evaluation: each step a controller would fail at (the policy, its digest
/// reflection, the repository, the image, the tags) ends it with that step's code and message.
///
/// Kept as one function (about 100 lines) because it is a straight sequence of those steps
/// with early returns, in the controller's order; the order is the point, and helpers would
/// hide it.
fn evaluate_policy(
    index: &Index,
    entry: &PolicyEntry,
    compiled: CompiledPolicy,
    listed: &HashMap<usize, RepositoryTags>,
    selections: &mut Selections,
) -> PolicyReport {
    let object = &entry.object;
    let repository = index.repository_of(entry);
    let mut report = PolicyReport {
        namespace: entry.namespace.clone(),
        name: entry.name.clone(),
        path: object.origin.path.clone(),
        range: object.name_range(),
        image: repository.and_then(|r| r.image.clone()),
        rule: None,
        latest: None,
        error: None,
        candidates: Vec::new(),
        tag_count: None,
        listed: None,
        excluded: Vec::new(),
        tag_source: None,
        engine: None,
        tags: None,
        summary: OnceLock::new(),
    };
    let fail = |mut report: PolicyReport, code: Code, message: String| {
        report.error = Some((code, message));
        report
    };
    let policy = match compiled {
        Ok(policy) => policy,
        Err((_, message)) => return fail(report, Code::PolicyInvalid, message),
    };
    report.rule = Some(policy.describe());
    if let Some((_, message)) = digest_reflection_problem(object) {
        return fail(report, Code::PolicyInvalid, message);
    }
    let Some(repository) = repository else {
        return fail(
            report,
            Code::RepositoryNotFound,
            "its ImageRepository is not in the repository".to_string(),
        );
    };
    if let Some((_, message)) = repository_problem(repository) {
        return fail(report, Code::RepositoryInvalid, message);
    }
    let Some(image_ref) = &repository.image_ref else {
        return fail(
            report,
            Code::Templated,
            "the ImageRepository's spec.image uses ${VAR} substitutions with no known value"
                .to_string(),
        );
    };
    let image = repository.image.as_deref().unwrap_or_default();
    let Ok(parsed) = image_ref else {
        return fail(
            report,
            Code::RepositoryInvalid,
            format!("invalid image {image:?}"),
        );
    };
    let position = repository_position(index, repository);
    let (set, list) = match listed.get(&position) {
        Some(RepositoryTags::Listed(set, list, excluded)) => {
            report.listed = Some(set.tags.len());
            report.excluded = excluded.clone();
            (set, Arc::clone(list))
        }
        Some(RepositoryTags::Failed(message)) => {
            return PolicyReport {
                error: Some((Code::RegistryError, message.clone())),
                engine: Some(policy),
                ..report
            };
        }
        Some(RepositoryTags::BadExclusion(message)) => {
            return fail(report, Code::RepositoryInvalid, message.clone());
        }
        // Looked up above for every policy's repository with a valid image.
        None => {
            return PolicyReport {
                error: Some((
                    Code::RegistryError,
                    format!("no tags were looked up for {}", parsed.canonical()),
                )),
                engine: Some(policy),
                ..report
            };
        }
    };
    report.tag_count = Some(list.len());
    report.tag_source = Some(set.source.clone());
    let selection = selections
        .entry((position, policy_spec(object)))
        .or_insert_with(|| select(&policy, repository, set, &list))
        .clone();
    report.candidates = selection.candidates;
    match selection.latest {
        Ok(tag) => {
            let digest = if object.digest_reflection().reflects() {
                set.digests.get(&tag).cloned()
            } else {
                None
            };
            let latest = LatestRef { tag, digest };
            // image-automation-controller parses every policy's `latestRef.String()` before it
            // touches a file; one failure aborts the run (`flux-semantics.md` §1.5).
            let latest_ref = super::value_for(MarkerKind::Image, image, &latest);
            if let Err(error) = parse_reference(&latest_ref) {
                report.engine = Some(policy);
                return fail(
                    report,
                    Code::LatestRefInvalid,
                    format!(
                        "ImagePolicy {} selects `{latest_ref}`, which Flux cannot parse as an image reference ({error}); its automations stop before writing any file",
                        display_name(entry.namespace.as_deref(), &entry.name),
                    ),
                );
            }
            report.latest = Some(latest);
        }
        Err(reason) => {
            report.error = Some((
                Code::NoMatchingTag,
                format!(
                    "ImagePolicy {} selects no tag of {image}: {reason}",
                    display_name(entry.namespace.as_deref(), &entry.name),
                ),
            ));
        }
    }
    report.engine = Some(policy);
    report.tags = Some(list);
    report
}

/// Why no tag is left when the ImageRepository's exclusion list (`patterns`, or the default
/// when there are none, spec §3) removed every one of `tags`.
fn excluded_all(patterns: &[String], tags: &[String]) -> String {
    let list = if patterns.is_empty() {
        format!(
            "the default exclusionList (`{}`)",
            fluxtag_policy::exclusion::DEFAULT_EXCLUSION_PATTERN
        )
    } else {
        "the ImageRepository's exclusionList".to_string()
    };
    match tags {
        [only] => format!("{list} excludes the only tag, `{only}`"),
        _ => format!("{list} excludes all {} tags", tags.len()),
    }
}
