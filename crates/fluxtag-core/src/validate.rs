//! Validation: what the Flux APIs and controllers reject about an object, found without tags.
//!
//! It owns the rules that mark an ImagePolicy or ImageRepository invalid (spec §2.1, §3.1: the
//! policy choice, `filterTags`, `digestReflectionPolicy` with `interval`, `spec.image`,
//! `spec.interval`, `exclusionList`), the API lifecycle (versions the controllers no longer
//! serve, commit template fields they removed), and the diagnostics for them. It never looks
//! at tags or markers: [`crate::resolve`] does, after these checks.

use std::collections::HashMap;
use std::ops::Range;

use fluxtag_policy::exclusion::ExclusionList;
use fluxtag_policy::filter::TagFilterSpec;
use fluxtag_policy::policy::{InvalidPolicy, Policy, PolicySpec};

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix};
use crate::flux::{self, DigestReflection, ImagePolicy};
use crate::index::{Index, RepositoryEntry, display_name};
use crate::kustomize::FROM_PATCH;

/// A compiled policy, or the field that is wrong and why.
pub type CompiledPolicy = Result<Policy, (Range<usize>, String)>;

/// Builds the policy engine for an ImagePolicy, or says which field is wrong.
pub fn compile_policy(object: &ImagePolicy) -> Result<Policy, (Range<usize>, String)> {
    compile_policy_spec(object, &policy_spec(object), Policy::new)
}

/// [`compile_policy`] for every policy of a repository: the many policies written with the same
/// rule (a monorepo's per-environment copies) share one compiled engine, so each distinct rule's
/// regular expressions and ranges are compiled once.
pub fn compile_policies<'a>(objects: impl Iterator<Item = &'a ImagePolicy>) -> Vec<CompiledPolicy> {
    let mut compiled: HashMap<PolicySpec, Result<Policy, InvalidPolicy>> = HashMap::new();
    objects
        .map(|object| {
            let spec = policy_spec(object);
            compile_policy_spec(object, &spec, |spec| {
                compiled
                    .entry(spec.clone())
                    .or_insert_with(|| Policy::new(spec))
                    .clone()
            })
        })
        .collect()
}

/// The rule an ImagePolicy writes, as the policy engine takes it.
pub fn policy_spec(object: &ImagePolicy) -> PolicySpec {
    let choice = &object.policy;
    PolicySpec {
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
    }
}

/// The engine `compile` builds from `spec` (the rule of `object`), its error put on the field
/// that is wrong.
fn compile_policy_spec(
    object: &ImagePolicy,
    spec: &PolicySpec,
    compile: impl FnOnce(&PolicySpec) -> Result<Policy, InvalidPolicy>,
) -> CompiledPolicy {
    let choice = &object.policy;
    compile(spec).map_err(|error| {
        let message = error.to_string();
        let range = if matches!(error, InvalidPolicy::Filter(_)) {
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
        (range.unwrap_or_else(|| object.name_range()), message)
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
    if let Some(Err(error)) = &repository.image_ref {
        return Some((image.range.clone(), error.to_string()));
    }
    match &object.interval {
        None => return Some((name_range, "spec.interval is required".to_string())),
        Some(interval) if flux::parse_duration(&interval.value).is_none() => {
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

/// What the API rejects about a policy's digest reflection (spec §2.1: `interval` is allowed
/// only with `digestReflectionPolicy: Always`, and required then).
pub fn digest_reflection_problem(object: &ImagePolicy) -> Option<(Range<usize>, String)> {
    let written = object.digest_reflection.as_ref();
    let at_field = || written.map_or_else(|| object.name_range(), |d| d.range.clone());
    let reflection = object.digest_reflection();
    if let DigestReflection::Invalid(text) = reflection {
        return Some((
            at_field(),
            format!("digestReflectionPolicy {text:?} is not one of Always, IfNotPresent, Never"),
        ));
    }
    match (&object.interval, reflection) {
        (None, DigestReflection::Always) => Some((
            at_field(),
            "digestReflectionPolicy Always requires spec.interval".to_string(),
        )),
        (Some(interval), DigestReflection::Always)
            if flux::parse_duration(&interval.value).is_none() =>
        {
            Some((
                interval.range.clone(),
                format!(
                    "spec.interval {:?} is not a duration such as `10m`",
                    interval.value
                ),
            ))
        }
        (Some(interval), DigestReflection::IfNotPresent | DigestReflection::Never) => Some((
            interval.range.clone(),
            "spec.interval is only allowed with digestReflectionPolicy Always".to_string(),
        )),
        _ => None,
    }
}

/// Diagnostics about the objects themselves, independent of tags: invalid policies and
/// repositories, and policies whose repository is missing. `compiled[i]` is the compiled form of
/// the `i`-th of [`Index::policies`] (one compile per policy per resolution).
pub fn object_diagnostics(index: &Index, compiled: &[CompiledPolicy]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // With a bootstrap in the repository, an image object no Flux Kustomization applies is a
    // stray copy the cluster may never get: its findings are information, not errors.
    for (policy, compiled) in index.policies().iter().zip(compiled) {
        let object = &policy.object;
        let first = out.len();
        let problem = compiled
            .as_ref()
            .err()
            .cloned()
            .or_else(|| digest_reflection_problem(object));
        if let Some((range, message)) = problem {
            out.push(
                Diagnostic::new(
                    Code::PolicyInvalid,
                    &object.origin.path,
                    range,
                    format!(
                        "ImagePolicy {} is invalid: {message}",
                        display_name(policy.namespace.as_deref(), &policy.name)
                    ),
                )
                .with_help(
                    "Flux marks this policy Stalled (InvalidPolicy) and never selects a tag",
                ),
            );
        }
        match &object.repository_name {
            None => out.push(
                Diagnostic::new(
                    Code::PolicyInvalid,
                    &object.origin.path,
                    object.name_range(),
                    "the ImagePolicy has no spec.imageRepositoryRef.name",
                )
                .with_help("name the ImageRepository whose tags this policy selects from"),
            ),
            Some(reference) if index.repository_of(policy).is_none() => {
                let namespace = policy
                    .repository_namespace
                    .clone()
                    .or_else(|| policy.namespace.clone());
                let name = policy
                    .repository_name
                    .as_deref()
                    .unwrap_or(&reference.value);
                out.push(
                    Diagnostic::new(
                        Code::RepositoryNotFound,
                        &object.origin.path,
                        reference.range.clone(),
                        format!(
                            "no ImageRepository {} in the repository",
                            display_name(namespace.as_deref(), name)
                        ),
                    )
                    .with_help(renamed_repository_help(
                        index,
                        namespace.as_deref(),
                        name,
                    )),
                );
            }
            Some(_) => {}
        }
        relocate_patched(&mut out[first..], object.name_range());
        if index.is_stray(&policy.built) {
            mark_stray(&mut out[first..], &object.origin.path);
        }
    }
    let image_objects = index
        .policies()
        .iter()
        .map(|p| (&p.object.origin, "ImagePolicy", &p.object.api_version))
        .chain(
            index
                .repositories()
                .iter()
                .map(|r| (&r.object.origin, "ImageRepository", &r.object.api_version)),
        );
    for (origin, kind, api_version) in image_objects {
        out.extend(api_removed(&origin.path, kind, api_version, false));
    }
    for automation in index.automations() {
        let object = &automation.object;
        let removed = object
            .message_template
            .as_ref()
            .and_then(|t| removed_template_field(&t.value).map(|field| (t, field)));
        out.extend(api_removed(
            &object.origin.path,
            "ImageUpdateAutomation",
            &object.api_version,
            removed.is_some(),
        ));
        if let Some((template, field)) = removed {
            out.push(
                Diagnostic::new(
                    Code::TemplateFieldRemoved,
                    &object.origin.path,
                    template.range.clone(),
                    format!(
                        "the commit message template uses `{field}`, which image-automation-controller removed: rendering fails (RemovedTemplateFieldError) and no commit is made"
                    ),
                )
                .with_help(
                    "use `.Changed.Changes` (each change's OldValue, NewValue, Setter) or `.Changed.FileChanges` (path → object → changes) instead",
                ),
            );
        }
    }
    for repository in index.repositories() {
        if let Some((range, message)) = repository_problem(repository) {
            out.push(
                Diagnostic::new(
                    Code::RepositoryInvalid,
                    &repository.object.origin.path,
                    range,
                    format!(
                        "ImageRepository {} is invalid: {message}",
                        display_name(repository.namespace.as_deref(), &repository.name)
                    ),
                )
                .with_help("Flux marks this repository Stalled and scans no tags"),
            );
            let fallback = repository
                .object
                .metadata
                .name
                .as_ref()
                .map_or(0..0, |n| n.range.clone());
            let last = out.len() - 1;
            relocate_patched(&mut out[last..], fallback);
            if index.is_stray(&repository.built) {
                mark_stray(&mut out[last..], &repository.object.origin.path);
            }
        }
    }
    // An object built several times (several Flux Kustomizations) is one document: its
    // findings are reported once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| seen.insert((d.code, d.path.clone(), d.range.clone(), d.message.clone())));
    out
}

/// Image API versions the controllers no longer serve, with the release that removed each
/// (`fluxtag-differences.md` §5; image-reflector-controller CHANGELOG: v1beta1 in 1.0.0, Flux
/// 2.7; v1beta2 in 1.2.0, PR #896).
const REMOVED_VERSIONS: [(&str, &str); 2] = [
    ("v1beta1", "the image controllers 1.0.0 (Flux 2.7)"),
    ("v1beta2", "the image controllers 1.2.0"),
];

/// The `api-removed` finding for an object in a removed API version, with the change to `v1`:
/// a safe fix (the spec fields are the same in v1, `flux-semantics.md` §2–§3: only status
/// fields changed), unsafe when `needs_more` (something else must change with it, such as a
/// commit template using removed fields). No fix when the value is written with escapes or as
/// a block scalar (its bytes are not the plain text).
fn api_removed(
    path: &str,
    kind: &str,
    api_version: &flux::Spanned<String>,
    needs_more: bool,
) -> Option<Diagnostic> {
    let version = api_version.value.strip_prefix("image.toolkit.fluxcd.io/")?;
    let (_, removed_in) = REMOVED_VERSIONS.iter().find(|(v, _)| *v == version)?;
    let d = Diagnostic::new(
        Code::ApiRemoved,
        path,
        api_version.range.clone(),
        format!(
            "{kind} uses image.toolkit.fluxcd.io/{version}, which {removed_in} no longer serve: the cluster rejects this object"
        ),
    )
    .with_help("use image.toolkit.fluxcd.io/v1: its spec fields are the same");
    // The version's bytes: at the end of the value, before a closing quote when quoted.
    let range = &api_version.range;
    let written = range.end.saturating_sub(range.start);
    let content_end = if written == api_version.value.len() {
        range.end
    } else if written == api_version.value.len() + 2 {
        range.end - 1
    } else {
        return Some(d);
    };
    Some(d.with_fix(Fix {
        title: "Change the apiVersion to image.toolkit.fluxcd.io/v1".to_string(),
        edits: vec![Edit {
            range: content_end - version.len()..content_end,
            new_text: "v1".to_string(),
        }],
        applicability: if needs_more {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
    }))
}

/// The first field of a commit message template that image-automation-controller removed
/// (`flux-semantics.md` §1.8: `.Updated`; and `.Changed.ImageResult`), if any.
fn removed_template_field(template: &str) -> Option<&'static str> {
    let field_at = |needle: &str| {
        template.match_indices(needle).any(|(at, _)| {
            let next = template[at + needle.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    [".Changed.ImageResult", ".Updated"]
        .into_iter()
        .find(|field| field_at(field))
}

/// The help of a `repository-not-found`: when a repository of the namespace has the name with
/// something before or after it, a `namePrefix`/`nameSuffix` renamed it, and kustomize does not
/// rename `spec.imageRepositoryRef.name` (it does not know the field is a reference).
fn renamed_repository_help(index: &Index, namespace: Option<&str>, name: &str) -> String {
    let renamed = index.repositories().iter().find(|r| {
        r.name != name
            && r.built.written_name.as_deref() == Some(name)
            && r.built.name.is_some()
            && (namespace.is_none() || r.namespace.is_none() || r.namespace.as_deref() == namespace)
    });
    match renamed.and_then(|r| Some((r, r.built.name.as_deref()?))) {
        Some((repository, how)) => format!(
            "ImageRepository {name} is built as {} (its name is made by {how}), and spec.imageRepositoryRef.name is not renamed with it (kustomize does not know the field is a reference); write `{}` there",
            repository.display_name(),
            repository.name
        ),
        None => {
            "create the ImageRepository, or fix the name in spec.imageRepositoryRef".to_string()
        }
    }
}

/// Makes findings on an object no Flux Kustomization applies information, and says why.
fn mark_stray(diagnostics: &mut [Diagnostic], path: &str) {
    for diagnostic in diagnostics {
        diagnostic.severity = crate::diag::Severity::Info;
        diagnostic.message.push_str(&format!(
            " (no Flux Kustomization in the repository applies {path}, so the cluster may never get this object)"
        ));
    }
}

/// Points findings on fields a kustomize patch set at the object's name instead, since the
/// patched bytes live in another file.
fn relocate_patched(diagnostics: &mut [Diagnostic], fallback: Range<usize>) {
    for diagnostic in diagnostics {
        if diagnostic.range == FROM_PATCH || diagnostic.range.end == usize::MAX {
            diagnostic.range = fallback.clone();
            diagnostic
                .message
                .push_str(" (the field is set by a kustomize patch)");
        }
    }
}
