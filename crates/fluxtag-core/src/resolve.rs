//! Resolution: marker × policy × tags → what Flux would write, a verdict, and the edit.
//!
//! For every policy the latest tag is computed once, exactly as image-reflector-controller does
//! (exclusion list, descending byte order, filterTags, the policy; `flux-semantics.md` §3–§5).
//! For every marker the value Flux would write is derived from it (spec §1.5) and compared with
//! the marked value: `current`, `stale` (upgrade, downgrade or another change), `invalid` (the
//! marker names nothing Flux would apply) or `unresolved` (tags unknown). A stale marker gets a
//! safe fix that replaces only the scalar's bytes (`fluxtag-differences.md` §1).
//!
//! Tags come in through a closure: this module never talks to a registry.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Range;

use fluxtag_policy::exclusion::{ExclusionList, sort_tags_descending};
use fluxtag_policy::filter::TagFilterSpec;
use fluxtag_policy::image_ref::{ImageRef, parse_reference};
use fluxtag_policy::policy::{Policy, PolicySpec};

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix, Related, Severity};
use crate::flux::ImagePolicy;
use crate::index::{
    Index, PolicyEntry, RepositoryEntry, Substituted, closest, display_name, name_range, substitute,
};
use crate::marker::{Marker, MarkerKind, PolicyTarget, parse_reference as parse_marker_reference};
use crate::yaml::scalar::encode_in_style;

/// The tags of one image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet {
    /// The tags, in any order (resolution applies the exclusion list and sorts them).
    pub tags: Vec<String>,
    /// Known digests by tag.
    pub digests: BTreeMap<String, String>,
    /// Where they came from, for hovers (`snapshot`, `cache, 5 minutes old`, `registry`).
    pub source: String,
}

/// What the tag source says about one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagLookup {
    /// The tags.
    Found(TagSet),
    /// The registry (or the cache, or the snapshot) could not give them; the message says why
    /// and what to do.
    Failed(String),
}

/// How a stale marker would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To a newer tag by the policy's own order.
    Upgrade,
    /// To an older tag (the current one is not selectable by the policy, or newer).
    Downgrade,
    /// Another change (a name, a digest, an unparsable current value).
    Other,
}

impl Direction {
    /// `upgrade`, `downgrade` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
            Direction::Other => "other",
        }
    }
}

/// A marker's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerStatus {
    /// The marked value is what Flux would write.
    Current,
    /// Flux would write something else.
    Stale(Direction),
    /// Flux would never apply this marker.
    Invalid,
    /// What Flux would write is unknown (no tags, templated, invalid policy).
    Unresolved,
}

impl MarkerStatus {
    /// `current`, `stale`, `invalid` or `unresolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerStatus::Current => "current",
            MarkerStatus::Stale(_) => "stale",
            MarkerStatus::Invalid => "invalid",
            MarkerStatus::Unresolved => "unresolved",
        }
    }
}

/// One marker's resolution.
#[derive(Debug, Clone)]
pub struct MarkerReport {
    /// The file, relative to the root.
    pub path: String,
    /// The marker.
    pub marker: Marker,
    /// The policy it resolved to (after substitution), if any.
    pub target: Option<PolicyTarget>,
    /// What Flux would write, when known.
    pub expected: Option<String>,
    /// The verdict.
    pub status: MarkerStatus,
    /// Index into [`Report::policies`] of the policy it uses.
    pub policy: Option<usize>,
}

/// The latest reference of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestRef {
    /// The selected tag.
    pub tag: String,
    /// Its digest, when the policy reflects digests and the digest is known.
    pub digest: Option<String>,
}

/// One policy's evaluation.
#[derive(Debug, Clone)]
pub struct PolicyReport {
    /// Effective namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Defining file.
    pub path: String,
    /// Byte range of its name.
    pub range: Range<usize>,
    /// The repository's `spec.image`.
    pub image: Option<String>,
    /// Human description of the rule (`semver ^1.2`).
    pub rule: Option<String>,
    /// The latest tag, when it could be computed.
    pub latest: Option<LatestRef>,
    /// Why it could not, with the diagnostic code.
    pub error: Option<(Code, String)>,
    /// The best candidates in policy order (for hovers).
    pub candidates: Vec<String>,
    /// How many tags the repository has after exclusion.
    pub tag_count: Option<usize>,
    /// Where the tags came from.
    pub tag_source: Option<String>,
}

/// Everything resolution found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One per marker, in path and source order.
    pub markers: Vec<MarkerReport>,
    /// One per ImagePolicy.
    pub policies: Vec<PolicyReport>,
    /// Every finding, sorted by path, range and code.
    pub diagnostics: Vec<Diagnostic>,
}

/// A compiled policy, or the field that is wrong and why.
pub type CompiledPolicy = Result<Policy, (Range<usize>, String)>;

/// Builds the policy engine for an ImagePolicy, or says which field is wrong.
pub fn compile_policy(object: &ImagePolicy) -> Result<Policy, (Range<usize>, String)> {
    let choice = &object.policy;
    let spec = PolicySpec {
        semver_range: choice
            .semver_range
            .as_ref()
            .map(|s| s.value.clone())
            .or_else(|| choice.semver_present.then(String::new)),
        alphabetical_order: choice.alphabetical_order.as_ref().map(|s| s.value.clone()),
        numerical_order: choice.numerical_order.as_ref().map(|s| s.value.clone()),
        filter_tags: object.filter_pattern.as_ref().map(|p| TagFilterSpec {
            pattern: p.value.clone(),
            extract: object
                .filter_extract
                .as_ref()
                .map(|e| e.value.clone())
                .unwrap_or_default(),
        }),
    };
    Policy::new(&spec).map_err(|error| {
        let message = error.to_string();
        let range = if message.contains("regular expression") {
            object.filter_pattern.as_ref().map(|p| p.range.clone())
        } else if choice.semver_present {
            choice
                .semver_range
                .as_ref()
                .map(|s| s.range.clone())
                .or(choice.range.clone())
        } else if let Some(order) = &choice.alphabetical_order {
            Some(order.range.clone())
        } else if let Some(order) = &choice.numerical_order {
            Some(order.range.clone())
        } else {
            choice.range.clone()
        };
        (range.unwrap_or_else(|| name_range(object)), message)
    })
}

/// What is wrong with a repository, if anything: its image (spec §3.1) or its exclusion list.
pub fn repository_problem(repository: &RepositoryEntry) -> Option<(Range<usize>, String)> {
    let object = &repository.object;
    let name_range = object
        .metadata
        .name
        .as_ref()
        .map(|n| n.range.clone())
        .unwrap_or(object.origin.range.start..object.origin.range.start);
    let Some(image) = &object.image else {
        return Some((name_range, "it has no spec.image".to_string()));
    };
    if let Some(value) = &repository.image
        && let Err(error) = ImageRef::parse(value, object.insecure)
    {
        return Some((image.range.clone(), error.to_string()));
    }
    match &object.interval {
        None => return Some((name_range, "spec.interval is required".to_string())),
        Some(interval) if !is_flux_duration(&interval.value) => {
            return Some((
                interval.range.clone(),
                format!(
                    "spec.interval {:?} is not a duration such as `5m` or `1h30m`",
                    interval.value
                ),
            ));
        }
        Some(_) => {}
    }
    if object.exclusion_list.len() > 25 {
        return Some((
            object.exclusion_list[25].range.clone(),
            format!(
                "spec.exclusionList has {} patterns; the API allows 25",
                object.exclusion_list.len()
            ),
        ));
    }
    if let Err(error) = exclusion_list(&object.exclusion_patterns()) {
        let range = object
            .exclusion_list
            .first()
            .map_or(name_range, |p| p.range.clone());
        return Some((range, error.to_string()));
    }
    None
}

/// The compiled exclusion list of a repository. Almost every repository uses the default list,
/// which is compiled once per process rather than once per evaluation (a regex compile costs more
/// than evaluating a policy over a few dozen tags).
pub fn exclusion_list(
    patterns: &[String],
) -> Result<ExclusionList, fluxtag_policy::exclusion::ExclusionError> {
    static DEFAULT: std::sync::LazyLock<ExclusionList> =
        std::sync::LazyLock::new(ExclusionList::default);
    if patterns.is_empty() {
        Ok(DEFAULT.clone())
    } else {
        ExclusionList::new(patterns)
    }
}

/// Whether `text` matches the API's duration pattern `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
pub fn is_flux_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return false;
            }
            rest = &fraction[digits..];
        }
        rest = if let Some(r) = rest.strip_prefix("ms") {
            r
        } else if let Some(r) = rest.strip_prefix(['s', 'm', 'h']) {
            r
        } else {
            return false;
        };
    }
    true
}

/// What the API rejects about a policy's digest reflection (spec §2.1: `interval` is allowed
/// only with `digestReflectionPolicy: Always`, and required then).
pub fn digest_reflection_problem(object: &ImagePolicy) -> Option<(Range<usize>, String)> {
    let reflection = object.digest_reflection.as_ref();
    let policy = reflection.map_or("Never", |d| d.value.as_str());
    if !matches!(policy, "Always" | "IfNotPresent" | "Never") {
        let range = reflection.map_or_else(|| name_range(object), |d| d.range.clone());
        return Some((
            range,
            format!("digestReflectionPolicy {policy:?} is not one of Always, IfNotPresent, Never"),
        ));
    }
    match (&object.interval, policy) {
        (None, "Always") => Some((
            reflection.map_or_else(|| name_range(object), |d| d.range.clone()),
            "digestReflectionPolicy Always requires spec.interval".to_string(),
        )),
        (Some(interval), "Always") if !is_flux_duration(&interval.value) => Some((
            interval.range.clone(),
            format!(
                "spec.interval {:?} is not a duration such as `10m`",
                interval.value
            ),
        )),
        (Some(interval), "IfNotPresent" | "Never") => Some((
            interval.range.clone(),
            "spec.interval is only allowed with digestReflectionPolicy Always".to_string(),
        )),
        _ => None,
    }
}

/// The images whose tags resolution needs: `(canonical name, repository)`, one per repository
/// with a valid image, in a stable order.
pub fn images_to_fetch(index: &Index) -> Vec<(String, &RepositoryEntry)> {
    let mut out: Vec<(String, &RepositoryEntry)> = index
        .repositories
        .iter()
        .filter_map(|r| {
            let image = r.image.as_ref()?;
            let parsed = ImageRef::parse(image, r.object.insecure).ok()?;
            Some((parsed.canonical(), r))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

struct Evaluated {
    report: PolicyReport,
    policy: Option<Policy>,
    tags: Option<Vec<String>>,
    digest_policy: String,
}

/// Evaluates every policy and resolves every marker. `tags` is asked once per repository, by
/// canonical image name.
pub fn resolve(index: &Index, tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup) -> Report {
    let compiled: Vec<CompiledPolicy> = index
        .policies
        .iter()
        .map(|p| compile_policy(&p.object))
        .collect();
    let mut report = Report {
        diagnostics: index.object_diagnostics_with(&compiled),
        ..Report::default()
    };
    let evaluated: Vec<Evaluated> = index
        .policies
        .iter()
        .zip(compiled)
        .map(|(p, compiled)| evaluate_policy(index, p, compiled, tags))
        .collect();
    for (i, e) in evaluated.iter().enumerate() {
        if let Some((Code::NoMatchingTag, message)) = &e.report.error {
            report.diagnostics.push(
                Diagnostic::new(
                    Code::NoMatchingTag,
                    &index.policies[i].object.origin.path,
                    e.report.range.clone(),
                    message.clone(),
                )
                .with_help(
                    "check the range, filterTags and the repository's tags (`fluxtag policies`)",
                ),
            );
        }
    }
    let keys = index.policy_keys();
    let lookup = index.policy_lookup();
    let context = MarkerContext {
        index,
        evaluated: &evaluated,
        keys: &keys,
        lookup: &lookup,
    };
    for (path, analysis) in &index.files {
        let skipped = analysis.markers.skipped.is_some();
        if analysis.markers.markers.is_empty() {
            report
                .diagnostics
                .extend(analysis.markers.diagnostics.iter().cloned());
            continue;
        }
        let vars = index.variables_for(path);
        for marker in &analysis.markers.markers {
            let resolved = resolve_marker(&context, path, marker, skipped, &vars);
            report.diagnostics.extend(resolved.1);
            report.markers.push(resolved.0);
        }
        report
            .diagnostics
            .extend(analysis.markers.diagnostics.iter().cloned());
    }
    report.policies = evaluated.into_iter().map(|e| e.report).collect();
    crate::diag::sort(&mut report.diagnostics);
    report.diagnostics.dedup();
    report
}

fn evaluate_policy(
    index: &Index,
    entry: &PolicyEntry,
    compiled: CompiledPolicy,
    tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup,
) -> Evaluated {
    let object = &entry.object;
    let repository = index.repository_of(entry);
    let mut report = PolicyReport {
        namespace: entry.namespace.clone(),
        name: entry.name.clone(),
        path: object.origin.path.clone(),
        range: name_range(object),
        image: repository.and_then(|r| r.image.clone()),
        rule: None,
        latest: None,
        error: None,
        candidates: Vec::new(),
        tag_count: None,
        tag_source: None,
    };
    let digest_policy = object
        .digest_reflection
        .as_ref()
        .map_or("Never".to_string(), |d| d.value.clone());
    let fail = |mut report: PolicyReport, code: Code, message: String| {
        report.error = Some((code, message));
        Evaluated {
            report,
            policy: None,
            tags: None,
            digest_policy: digest_policy.clone(),
        }
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
    let Some(image) = &repository.image else {
        return fail(
            report,
            Code::Templated,
            "the ImageRepository's spec.image uses ${VAR} substitutions with no known value"
                .to_string(),
        );
    };
    let Ok(parsed) = ImageRef::parse(image, repository.object.insecure) else {
        return fail(
            report,
            Code::RepositoryInvalid,
            format!("invalid image {image:?}"),
        );
    };
    let set = match tags(&parsed.canonical(), repository) {
        TagLookup::Found(set) => set,
        TagLookup::Failed(message) => {
            report.policy_placeholder(&policy);
            return Evaluated {
                report: PolicyReport {
                    error: Some((Code::RegistryError, message)),
                    ..report
                },
                policy: Some(policy),
                tags: None,
                digest_policy,
            };
        }
    };
    let mut list = match exclusion_list(&repository.object.exclusion_patterns()) {
        Ok(exclusion) => exclusion.apply(set.tags.clone()),
        Err(error) => return fail(report, Code::RepositoryInvalid, error.to_string()),
    };
    sort_tags_descending(&mut list);
    report.tag_count = Some(list.len());
    report.tag_source = Some(set.source.clone());
    report.candidates = policy.candidates(&list, 10).unwrap_or_default();
    match policy.latest(&list) {
        Ok(tag) => {
            let digest = match digest_policy.as_str() {
                "Always" | "IfNotPresent" => set.digests.get(&tag).cloned(),
                _ => None,
            };
            report.latest = Some(LatestRef { tag, digest });
        }
        Err(error) => {
            report.error = Some((
                Code::NoMatchingTag,
                format!(
                    "ImagePolicy {} selects no tag from {} tags of {image}: {error}",
                    display_name(entry.namespace.as_deref(), &entry.name),
                    list.len()
                ),
            ));
        }
    }
    Evaluated {
        report,
        policy: Some(policy),
        tags: Some(list),
        digest_policy,
    }
}

impl PolicyReport {
    fn policy_placeholder(&mut self, policy: &Policy) {
        self.rule = Some(policy.describe());
    }
}

/// What marker kind `kind` writes for a policy whose repository image is `image` (spec §1.5).
pub fn value_for(kind: MarkerKind, image: &str, latest: &LatestRef) -> String {
    let digest = latest.digest.as_deref().unwrap_or("");
    match kind {
        MarkerKind::Image if digest.is_empty() => format!("{image}:{}", latest.tag),
        MarkerKind::Image => format!("{image}:{}@{digest}", latest.tag),
        MarkerKind::Tag => latest.tag.clone(),
        MarkerKind::Name => image.to_string(),
        MarkerKind::Digest => digest.to_string(),
    }
}

/// What resolving every marker shares.
struct MarkerContext<'a> {
    index: &'a Index,
    evaluated: &'a [Evaluated],
    keys: &'a [String],
    lookup: &'a crate::index::PolicyLookup<'a>,
}

fn resolve_marker(
    context: &MarkerContext<'_>,
    path: &str,
    marker: &Marker,
    skipped: bool,
    vars: &BTreeMap<String, String>,
) -> (MarkerReport, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut out = MarkerReport {
        path: path.to_string(),
        marker: marker.clone(),
        target: None,
        expected: None,
        status: MarkerStatus::Invalid,
        policy: None,
    };
    if skipped {
        return (out, diagnostics);
    }
    // The reference, after ${VAR} substitution.
    let target = match substitute(&marker.reference, vars) {
        Substituted::Plain(_) => match &marker.target {
            Ok(target) => target.clone(),
            Err(_) => return (out, diagnostics),
        },
        Substituted::Resolved(text) => match parse_marker_reference(&text) {
            Ok(target) => target,
            Err(problem) => {
                let mut d = crate::marker::reference_diagnostic(path, marker, &problem);
                d.message
                    .push_str(&format!(" (after substitution: {text:?})"));
                diagnostics.push(d);
                return (out, diagnostics);
            }
        },
        Substituted::Unresolved(missing) => {
            out.status = MarkerStatus::Unresolved;
            diagnostics.push(templated(path, marker.reference_range.clone(), &missing));
            return (out, diagnostics);
        }
    };
    out.target = Some(target.clone());
    let MarkerContext {
        index,
        evaluated,
        keys,
        lookup,
    } = context;
    let Some((position, by_name)) = lookup.find(&target.namespace, &target.name) else {
        let wanted = format!("{}:{}", target.namespace, target.name);
        let suggestions = closest(&wanted, keys);
        let mut d = Diagnostic::new(
            Code::PolicyNotFound,
            path,
            marker.reference_range.clone(),
            format!(
                "no ImagePolicy {}/{} in the repository; Flux ignores this marker",
                target.namespace, target.name
            ),
        );
        d = match suggestions.first() {
            Some(best) => {
                let replacement = format!("{best}{}", target.kind.suffix());
                d.with_help(format!("did you mean `{replacement}`?"))
                    .with_fix(Fix {
                        title: format!("Change to `{replacement}`"),
                        edits: vec![Edit {
                            range: marker.reference_range.clone(),
                            new_text: replacement,
                        }],
                        applicability: Applicability::Unsafe,
                    })
            }
            None => d.with_help(format!(
                "create an ImagePolicy named {} in namespace {}, or fix the marker",
                target.name, target.namespace
            )),
        };
        diagnostics.push(d);
        return (out, diagnostics);
    };
    let policy = &index.policies[position];
    out.policy = Some(position);
    let related = Related {
        path: policy.object.origin.path.clone(),
        range: name_range(&policy.object),
        message: "the ImagePolicy".to_string(),
    };
    if by_name {
        diagnostics.push(
            Diagnostic::new(
                Code::NamespaceAssumed,
                path,
                marker.reference_range.clone(),
                format!(
                    "ImagePolicy {} has no namespace fluxtag can infer; matched by name alone",
                    policy.name
                ),
            )
            .with_help("set metadata.namespace on the ImagePolicy, or a namespace in the kustomization.yaml that includes it")
            .with_related(related.clone()),
        );
    }
    let covered = index.automation_verdict(policy, path);
    if let Err(reason) = &covered {
        diagnostics.push(
            Diagnostic::new(
                Code::PolicyNotInAutomation,
                path,
                marker.reference_range.clone(),
                format!("no ImageUpdateAutomation would apply this marker: {reason}"),
            )
            .with_related(related.clone()),
        );
    }
    let Some(evaluated) = evaluated.get(position) else {
        out.status = MarkerStatus::Unresolved;
        return (out, diagnostics);
    };
    if marker.value.contains("${") {
        out.status = MarkerStatus::Unresolved;
        let missing = match substitute(&marker.value, vars) {
            Substituted::Unresolved(m) => m,
            _ => Vec::new(),
        };
        let mut d = templated(path, marker.scalar.clone(), &missing);
        d.message = "the marked value uses ${VAR} substitutions; Flux rewrites the raw text, so fluxtag does not compare it".to_string();
        diagnostics.push(d);
        return (out, diagnostics);
    }
    let (latest, image) = match (&evaluated.report.latest, &evaluated.report.image) {
        (Some(latest), Some(image)) => (latest, image),
        _ => {
            out.status = MarkerStatus::Unresolved;
            match &evaluated.report.error {
                Some((Code::RegistryError, message)) => diagnostics.push(
                    Diagnostic::new(
                        Code::RegistryError,
                        path,
                        marker.scalar.clone(),
                        format!("cannot tell whether this value is current: {message}"),
                    )
                    .with_related(related),
                ),
                // The policy's own problem, repeated where the user looks: at the marker.
                Some((code, message)) => {
                    let mut d = Diagnostic::new(
                        *code,
                        path,
                        marker.reference_range.clone(),
                        if *code == Code::NoMatchingTag {
                            message.clone()
                        } else {
                            format!(
                                "ImagePolicy {} cannot select a tag: {message}",
                                display_name(policy.namespace.as_deref(), &policy.name)
                            )
                        },
                    )
                    .with_related(related);
                    if *code == Code::PolicyInvalid || *code == Code::RepositoryInvalid {
                        d.severity = Severity::Warning; // the error itself is on the object
                    }
                    diagnostics.push(d);
                }
                None => {}
            }
            return (out, diagnostics);
        }
    };
    let needs_digest = matches!(target.kind, MarkerKind::Image | MarkerKind::Digest)
        && evaluated.digest_policy != "Never";
    if needs_digest && latest.digest.is_none() {
        out.status = MarkerStatus::Unresolved;
        diagnostics.push(
            Diagnostic::new(
                Code::RegistryError,
                path,
                marker.scalar.clone(),
                format!(
                    "the policy reflects digests ({}), but the digest of tag {} is not known",
                    evaluated.digest_policy, latest.tag
                ),
            )
            .with_help("fetch digests from the registry, or add them to the tags snapshot"),
        );
        return (out, diagnostics);
    }
    let expected = value_for(target.kind, image, latest);
    out.expected = Some(expected.clone());
    // tag-not-in-registry: the current tag is not among the repository's tags.
    if let (Some(list), Some(current_tag)) =
        (&evaluated.tags, current_tag(target.kind, &marker.value))
        && !list.contains(&current_tag)
    {
        diagnostics.push(
            Diagnostic::new(
                Code::TagNotInRegistry,
                path,
                marker.scalar.clone(),
                format!(
                    "tag {current_tag} is not among the {} tags of {image}",
                    list.len()
                ),
            )
            .with_help(
                "the tag may have been deleted, or excluded by the ImageRepository's exclusionList",
            ),
        );
    }
    if marker.value == expected {
        out.status = MarkerStatus::Current;
        return (out, diagnostics);
    }
    let direction = direction(
        evaluated.policy.as_ref(),
        target.kind,
        &marker.value,
        latest,
    );
    out.status = MarkerStatus::Stale(direction);
    let new_text = encode_in_style(&expected, marker.style, marker.in_flow);
    let shown = if expected.is_empty() {
        "\"\"".to_string()
    } else {
        expected.clone()
    };
    // Flux would not apply a marker no automation covers: say it is stale, but neither fail
    // the check on it nor let `--fix` write what Flux would not.
    let (severity, applicability, help) = if covered.is_ok() {
        let help = if target.kind == MarkerKind::Digest && expected.is_empty() {
            "Flux writes an empty digest because the policy's digestReflectionPolicy is Never; set it to IfNotPresent or Always, or run `fluxtag check --fix` to write the empty value"
        } else {
            "run `fluxtag check --fix` to write it"
        };
        (Severity::Error, Applicability::Safe, help)
    } else {
        (
            Severity::Warning,
            Applicability::Unsafe,
            "no ImageUpdateAutomation applies this marker, so `--fix` leaves it alone",
        )
    };
    let mut stale = Diagnostic::new(
        Code::Stale,
        path,
        marker.scalar.clone(),
        format!(
            "{} is stale: ImagePolicy {} selects {} ({})",
            if marker.value.is_empty() {
                "\"\""
            } else {
                &marker.value
            },
            display_name(policy.namespace.as_deref(), &policy.name),
            shown,
            direction.as_str()
        ),
    )
    .with_help(help)
    .with_related(related)
    .with_fix(Fix {
        title: format!("Update to {shown}"),
        edits: vec![Edit {
            range: marker.scalar.clone(),
            new_text,
        }],
        applicability,
    });
    stale.severity = severity;
    diagnostics.push(stale);
    (out, diagnostics)
}

fn templated(path: &str, range: Range<usize>, missing: &[String]) -> Diagnostic {
    Diagnostic::new(
        Code::Templated,
        path,
        range,
        format!(
            "uses ${{{}}}, which no Flux Kustomization in the repository sets to a literal value",
            missing.join("}, ${")
        ),
    )
    .with_help("set the variable in the Kustomization's spec.postBuild.substitute to let fluxtag check this marker")
}

/// The tag in a marked value, for markers that carry one.
fn current_tag(kind: MarkerKind, value: &str) -> Option<String> {
    match kind {
        MarkerKind::Tag => Some(value.to_string()).filter(|v| !v.is_empty()),
        MarkerKind::Image => parse_reference(value).ok().and_then(|r| r.tag),
        MarkerKind::Name | MarkerKind::Digest => None,
    }
}

fn direction(
    policy: Option<&Policy>,
    kind: MarkerKind,
    value: &str,
    latest: &LatestRef,
) -> Direction {
    let (Some(policy), Some(current)) = (policy, current_tag(kind, value)) else {
        return Direction::Other;
    };
    if current == latest.tag {
        return Direction::Other; // same tag, another name or digest
    }
    match policy.compare(&latest.tag, &current) {
        Some(Ordering::Greater) => Direction::Upgrade,
        Some(Ordering::Less) => Direction::Downgrade,
        _ => Direction::Other,
    }
}
