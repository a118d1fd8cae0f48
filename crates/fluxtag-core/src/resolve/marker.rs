//! Marker resolution, in three steps per marker: find its policy (the reference after `${VAR}`
//! substitution, the lookup, did-you-mean), check that Flux would apply it (namespace,
//! automations), then decide the verdict against the policy's evaluation (spec §1.4, §1.5).
//!
//! It evaluates no policy: the evaluations come from [`super::evaluate`], so one file's markers
//! can be resolved again without touching the others ([`super::resolve_file`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use fluxtag_policy::image_ref::parse_reference;
use fluxtag_policy::policy::Policy;

use super::{
    Direction, FileReport, LatestRef, MarkerReport, MarkerStatus, PolicyReport, value_for,
};
use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix, Related, Severity};
use crate::flux::DigestReflection;
use crate::index::{Index, PolicyEntry, PolicyLookup, display_name, is_under};
use crate::marker::{
    Marker, MarkerKind, PolicyTarget, block_header_edits, path_annotation_diagnostics,
};
use crate::suggest::closest;
use crate::vars::substitute;
use crate::yaml::scalar::encode_in_style;

/// What resolving the markers of any file shares: the index, the policy evaluations and the
/// lookups built once.
pub(super) struct Context<'a> {
    index: &'a Index,
    policies: &'a [PolicyReport],
    keys: Vec<String>,
    lookup: PolicyLookup<'a>,
}

/// One marker's report and the findings on it.
struct Resolution {
    report: MarkerReport,
    diagnostics: Vec<Diagnostic>,
}

impl Resolution {
    /// Ends the resolution with `status`.
    fn with_status(mut self, status: MarkerStatus) -> Resolution {
        self.report.status = status;
        self
    }
}

impl<'a> Context<'a> {
    /// The context of `index` with `policies` its evaluations, in policy order.
    pub(super) fn new(index: &'a Index, policies: &'a [PolicyReport]) -> Context<'a> {
        Context {
            index,
            policies,
            keys: index.policy_keys(),
            lookup: index.policy_lookup(),
        }
    }

    /// The markers of `path` and every finding on the file (markers first, then the file-level
    /// ones), unsorted.
    pub(super) fn resolve_file(&self, path: &str) -> FileReport {
        let mut out = FileReport::default();
        let Some(analysis) = self.index.file(path) else {
            return out;
        };
        if !analysis.markers.markers.is_empty() {
            let skipped = analysis.markers.skipped.is_some();
            // Markers are never substituted; the variables only feed the did-you-mean of a
            // templated reference, so they are looked up only when a marker has one.
            let vars = if analysis
                .markers
                .markers
                .iter()
                .any(|m| m.reference.contains("${"))
            {
                self.index.variables_for(path)
            } else {
                BTreeMap::new()
            };
            for marker in &analysis.markers.markers {
                let resolved = self.resolve_marker(path, marker, skipped, &vars);
                out.diagnostics.extend(resolved.diagnostics);
                out.markers.push(resolved.report);
            }
        }
        out.diagnostics
            .extend(analysis.markers.diagnostics.iter().cloned());
        if !analysis.markers.path_claims.is_empty() {
            let readers: Vec<(String, &str)> = self
                .index
                .automations()
                .iter()
                .filter(|a| !self.index.is_stray(&a.built) && is_under(path, &a.update_dir))
                .map(|a| {
                    (
                        display_name(a.namespace.as_deref(), &a.name),
                        a.update_dir.as_str(),
                    )
                })
                .collect();
            // With automations in the repository, a file none of them reads is never judged;
            // with none, the automation may live elsewhere and the claim is judged on its own.
            let judged = !readers.is_empty() || self.index.automations().is_empty();
            if judged {
                out.diagnostics.extend(path_annotation_diagnostics(
                    path,
                    &analysis.markers.path_claims,
                    &readers,
                ));
            }
        }
        out
    }

    fn resolve_marker(
        &self,
        path: &str,
        marker: &Marker,
        skipped: bool,
        vars: &BTreeMap<String, String>,
    ) -> Resolution {
        let mut out = Resolution {
            report: MarkerReport {
                path: path.to_string(),
                marker: marker.clone(),
                target: None,
                expected: None,
                status: MarkerStatus::Invalid,
                policy: None,
            },
            diagnostics: Vec::new(),
        };
        if skipped {
            return out;
        }
        let Some(target) = target(path, marker, vars, &self.keys, &mut out) else {
            return out;
        };
        out.report.target = Some(target.clone());
        // One object may be built several times (per cluster or environment): the marker is
        // resolved against the first instance an automation applies, else the first.
        let instances = self.lookup.find_all(&target.namespace, &target.name);
        let covered: Vec<_> = instances
            .iter()
            .filter(|m| {
                self.index
                    .policy(m.id)
                    .is_some_and(|p| self.index.automation_verdict(p, path).is_ok())
            })
            .collect();
        if let Some(d) = self.conflict(path, marker, &covered) {
            out.diagnostics.push(d);
        }
        let covered_instance = covered.first().copied();
        let Some(&found) = covered_instance.or(instances.first()) else {
            if let Some(d) = self.maybe_templated_policy(path, marker, &target) {
                out.diagnostics.push(d);
                return out.with_status(MarkerStatus::Unresolved);
            }
            out.diagnostics
                .push(self.policy_not_found(path, marker, &target));
            return out;
        };
        let Some(policy) = self.index.policy(found.id) else {
            return out.with_status(MarkerStatus::Unresolved);
        };
        out.report.policy = Some(found.id);
        let related = Related {
            path: policy.object.origin.path.clone(),
            range: policy.object.name_range(),
            message: "the ImagePolicy".to_string(),
        };
        let covered = self.coverage(
            path,
            marker,
            policy,
            found.by_name_alone,
            &related,
            &mut out,
        );
        let Some(evaluated) = self.policies.get(found.id.position()) else {
            return out.with_status(MarkerStatus::Unresolved);
        };
        let verdict = Verdict {
            path,
            marker,
            target: &target,
            policy,
            evaluated,
            related,
            covered,
        };
        verdict.decide(out)
    }

    /// The `policy-not-found` finding, with a did-you-mean fix when a name is close.
    fn policy_not_found(&self, path: &str, marker: &Marker, target: &PolicyTarget) -> Diagnostic {
        if let Some(d) = self.renamed_policy(path, marker, target) {
            return d;
        }
        let wanted = format!("{}:{}", target.namespace, target.name);
        // The most common real mistake is the namespace (fluxcd/flux2#2853): a policy of that
        // name in other namespaces comes first, and the help says where it is.
        let elsewhere: Vec<&PolicyEntry> = self
            .index
            .policies()
            .iter()
            .filter(|p| p.name == target.name && p.namespace.is_some())
            .collect();
        let mut same_name: Vec<String> = Vec::new();
        for policy in &elsewhere {
            if let Some(namespace) = policy.namespace.as_deref() {
                let key = format!("{namespace}:{}", target.name);
                if !same_name.contains(&key) {
                    same_name.push(key);
                }
            }
        }
        let suggestions: Vec<&str> = if same_name.is_empty() {
            closest(&wanted, &self.keys)
        } else {
            same_name.iter().map(String::as_str).collect()
        };
        let d = Diagnostic::new(
            Code::PolicyNotFound,
            path,
            marker.reference_range.clone(),
            format!(
                "no ImagePolicy {}/{} in the repository; Flux ignores this marker",
                target.namespace, target.name
            ),
        );
        match suggestions.first() {
            Some(best) => {
                let replacement = format!("{best}{}", target.kind.suffix());
                let help = match elsewhere.first() {
                    Some(policy) => {
                        format!(
                            "did you mean `{replacement}`? ImagePolicy {} is in namespace {}, not {}{}",
                            target.name,
                            policy.namespace.as_deref().unwrap_or_default(),
                            target.namespace,
                            policy
                                .built
                                .namespace
                                .as_ref()
                                .map(|source| format!(": {source}"))
                                .unwrap_or_default(),
                        ) + &match self.index.automation_verdict(policy, path) {
                            Ok(()) => String::new(),
                            Err(_) => format!(
                                "; but no ImageUpdateAutomation applies that policy to {path} either: move the policy, or add an automation in namespace {}",
                                policy.namespace.as_deref().unwrap_or_default()
                            ),
                        }
                    }
                    None => format!("did you mean `{replacement}`?"),
                };
                d.with_help(help).with_fix(Fix {
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
        }
    }

    /// The `automation-conflict` finding when automations apply the marker with instances of
    /// the policy (one per cluster) that select different tags: each automation's commit undoes
    /// the other's (fluxcd/flux2#4941).
    fn conflict(
        &self,
        path: &str,
        marker: &Marker,
        covered: &[&crate::index::PolicyMatch],
    ) -> Option<Diagnostic> {
        let mut answers: Vec<(String, String)> = Vec::new();
        for found in covered {
            let (Some(policy), Some(evaluated)) = (
                self.index.policy(found.id),
                self.policies.get(found.id.position()),
            ) else {
                continue;
            };
            let Some(latest) = &evaluated.latest else {
                continue;
            };
            let value = format!(
                "{}:{}",
                evaluated.image.as_deref().unwrap_or_default(),
                latest.tag
            );
            let place = match policy.built.clusters.iter().next() {
                Some(cluster) => format!("under {cluster}"),
                None => policy
                    .built
                    .applied_by
                    .clone()
                    .unwrap_or_else(|| policy.object.origin.path.clone()),
            };
            if !answers.iter().any(|(v, _)| *v == value) {
                answers.push((value, place));
            }
        }
        if answers.len() < 2 {
            return None;
        }
        let list = answers
            .iter()
            .map(|(value, place)| format!("`{value}` {place}"))
            .collect::<Vec<_>>()
            .join(", ");
        Some(
            Diagnostic::new(
                Code::AutomationConflict,
                path,
                marker.reference_range.clone(),
                format!(
                    "ImageUpdateAutomations of several clusters apply this marker and their policies disagree: {list}; each run overwrites the other's commit"
                ),
            )
            .with_help("give each cluster its own marked file (an overlay per cluster), or make the policies select the same tag"),
        )
    }

    /// When no policy has the marker's name but one whose built name is still templated could
    /// (its variables come from `postBuild.substituteFrom`, which lives in the cluster), a
    /// `templated` finding saying so: fluxtag cannot tell, so it does not claim Flux ignores
    /// the marker.
    fn maybe_templated_policy(
        &self,
        path: &str,
        marker: &Marker,
        target: &PolicyTarget,
    ) -> Option<Diagnostic> {
        let wanted = format!("{}:{}", target.namespace, target.name);
        let policy = self.index.policies().iter().find(|p| {
            let key = format!("{}:{}", p.namespace.as_deref().unwrap_or("${}"), p.name);
            p.built.values_in_cluster && key.contains("${") && template_matches(&key, &wanted)
        })?;
        let applied_by = policy
            .built
            .applied_by
            .as_deref()
            .map(|b| format!(" applied by {b}"))
            .unwrap_or_default();
        Some(
            Diagnostic::new(
                Code::Templated,
                path,
                marker.reference_range.clone(),
                format!(
                    "ImagePolicy {} may be the one this marker names, but its name is built with variables fluxtag cannot see (postBuild.substituteFrom values live in the cluster)",
                    display_name(policy.namespace.as_deref(), &policy.name)
                ),
            )
            .with_help(format!(
                "fluxtag cannot tell whether {wanted} exists; the policy is in {}{applied_by}",
                policy.object.origin.path
            ))
            .with_related(Related {
                path: policy.object.origin.path.clone(),
                range: policy.object.name_range(),
                message: "the templated ImagePolicy".to_string(),
            }),
        )
    }

    /// The `policy-not-found` finding when the marker names a policy as written but the build
    /// renames it (a `namePrefix`/`nameSuffix` or a substitution): the built name as the fix,
    /// and how it was built as the reason.
    fn renamed_policy(
        &self,
        path: &str,
        marker: &Marker,
        target: &PolicyTarget,
    ) -> Option<Diagnostic> {
        let policy = self.index.policies().iter().find(|p| {
            p.namespace.as_deref() == Some(target.namespace.as_str())
                && p.built.written_name.as_deref() == Some(target.name.as_str())
                && p.name != target.name
        })?;
        let how = policy.built.name.as_deref()?;
        let replacement = format!(
            "{}:{}{}",
            target.namespace,
            policy.name,
            target.kind.suffix()
        );
        Some(
            Diagnostic::new(
                Code::PolicyNotFound,
                path,
                marker.reference_range.clone(),
                format!(
                    "no ImagePolicy {}/{} in the cluster: the one written as {} is built as {}; Flux ignores this marker",
                    target.namespace, target.name, target.name, policy.name
                ),
            )
            .with_help(format!("did you mean `{replacement}`? the name is made by {how}"))
            .with_fix(Fix {
                title: format!("Change to `{replacement}`"),
                edits: vec![Edit {
                    range: marker.reference_range.clone(),
                    new_text: replacement,
                }],
                applicability: Applicability::Unsafe,
            }),
        )
    }

    /// Whether Flux would apply the marker (spec §1.4): `namespace-assumed` when the policy was
    /// found by name alone, `policy-not-in-automation` with the reasons when no automation
    /// covers it. Returns whether one does.
    fn coverage(
        &self,
        path: &str,
        marker: &Marker,
        policy: &PolicyEntry,
        by_name_alone: bool,
        related: &Related,
        out: &mut Resolution,
    ) -> bool {
        if by_name_alone {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::NamespaceAssumed,
                    path,
                    marker.reference_range.clone(),
                    format!(
                        "ImagePolicy {} has no namespace fluxtag can infer; matched by name alone",
                        policy.name
                    ),
                )
                .with_help("set metadata.namespace on the ImagePolicy, a namespace in the kustomization.yaml that includes it, or spec.targetNamespace on the Flux Kustomization that applies it")
                .with_related(related.clone()),
            );
        }
        match self.index.automation_verdict(policy, path) {
            Ok(()) => true,
            Err(reason) => {
                out.diagnostics.push(
                    Diagnostic::new(
                        Code::PolicyNotInAutomation,
                        path,
                        marker.reference_range.clone(),
                        format!("no ImageUpdateAutomation would apply this marker: {reason}"),
                    )
                    .with_related(related.clone()),
                );
                false
            }
        }
    }
}

/// The policy reference of a marker as Flux reads it: as written, never substituted
/// (`fluxtag-differences.md` §5, fluxcd/image-automation-controller#860). `None`, with the
/// finding in `out`, when it names nothing Flux could use: a reference with `${` is
/// `marker-templated` (status `invalid`), with the literal policies it could mean.
fn target(
    path: &str,
    marker: &Marker,
    vars: &BTreeMap<String, String>,
    keys: &[String],
    out: &mut Resolution,
) -> Option<PolicyTarget> {
    if !marker.reference.contains("${") {
        return marker.target.as_ref().ok().cloned();
    }
    out.diagnostics
        .push(templated_reference(path, marker, vars, keys));
    None
}

/// The literal references (`namespace:name` with the marker's suffix) a templated reference
/// could mean, best first, at most three: the one the Flux Kustomizations' values give, then
/// every policy key the pattern matches.
pub(super) fn template_candidates(
    reference: &str,
    vars: &BTreeMap<String, String>,
    keys: &[String],
) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    let literal_keys: Vec<String> = keys
        .iter()
        .flat_map(|key| {
            ["", ":tag", ":name", ":digest"]
                .into_iter()
                .map(move |suffix| format!("{key}{suffix}"))
        })
        .collect();
    if let Some(text) = substitute(reference, vars).known()
        && literal_keys.iter().any(|k| k == text)
    {
        candidates.push(text.to_string());
    }
    for key in &literal_keys {
        if candidates.len() >= 3 {
            break;
        }
        // A policy whose own name is still templated is no literal to write.
        if !key.contains("${") && template_matches(reference, key) && !candidates.contains(key) {
            candidates.push(key.clone());
        }
    }
    candidates
}

/// The `marker-templated` finding: the literal references the template could mean (the one the
/// Flux Kustomizations' values give first, then every policy the pattern matches), the first as
/// an unsafe fix.
fn templated_reference(
    path: &str,
    marker: &Marker,
    vars: &BTreeMap<String, String>,
    keys: &[String],
) -> Diagnostic {
    let candidates = template_candidates(&marker.reference, vars, keys);
    let d = Diagnostic::new(
        Code::MarkerTemplated,
        path,
        marker.reference_range.clone(),
        format!(
            "the policy reference {:?} uses ${{VAR}}; Flux reads markers as written in Git and never substitutes them, so it never applies this marker",
            marker.reference
        ),
    );
    match candidates.first() {
        Some(best) => {
            let others = candidates[1..]
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let help = if others.is_empty() {
                format!("write the policy literally: `{best}`")
            } else {
                format!("write the policy literally: `{best}` (or {others})")
            };
            d.with_help(help).with_fix(Fix {
                title: format!("Change to `{best}`"),
                edits: vec![Edit {
                    range: marker.reference_range.clone(),
                    new_text: best.clone(),
                }],
                applicability: Applicability::Unsafe,
            })
        }
        None => d.with_help("write the policy's namespace and name literally, as `namespace:name`"),
    }
}

/// Whether `key` could be what `template` gives: each `${...}` stands for any non-empty text
/// without `:`.
fn template_matches(template: &str, key: &str) -> bool {
    // Literal pieces between the variables, in order.
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        pieces.push(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => return false,
        }
    }
    pieces.push(rest);
    let Some((first, others)) = pieces.split_first() else {
        return false;
    };
    let Some(mut tail) = key.strip_prefix(first) else {
        return false;
    };
    for (i, piece) in others.iter().enumerate() {
        let last = i + 1 == others.len();
        let found = if last {
            tail.strip_suffix(piece).map(|head| (head, ""))
        } else if piece.is_empty() {
            None
        } else {
            tail.find(piece)
                .map(|at| (&tail[..at], &tail[at + piece.len()..]))
        };
        let Some((variable, after)) = found else {
            return false;
        };
        if variable.is_empty() || variable.contains(':') {
            return false;
        }
        tail = after;
    }
    true
}

/// Everything the verdict on one marker with a known policy depends on.
struct Verdict<'a> {
    path: &'a str,
    marker: &'a Marker,
    target: &'a PolicyTarget,
    policy: &'a PolicyEntry,
    evaluated: &'a PolicyReport,
    related: Related,
    /// Whether an automation applies the marker.
    covered: bool,
}

impl Verdict<'_> {
    /// The verdict: `unresolved` when the marked value is templated or the policy selected
    /// nothing (its problem repeated at the marker), else `current` or `stale` with a fix.
    fn decide(self, mut out: Resolution) -> Resolution {
        let marker = self.marker;
        if marker.value.contains("${") {
            let mut d = Diagnostic::new(
                Code::Templated,
                self.path,
                marker.scalar.clone(),
                "the marked value uses ${VAR}: when Flux updates this marker it writes a literal value in its place, and the template is lost; fluxtag does not compare it",
            )
            .with_help("keep templated values out of marked fields (mark the field the template's value comes from instead), or accept that Flux will write a literal here");
            d.severity = Severity::Warning;
            out.diagnostics.push(d);
            return out.with_status(MarkerStatus::Unresolved);
        }
        let (Some(latest), Some(image)) = (&self.evaluated.latest, &self.evaluated.image) else {
            out.diagnostics.extend(self.no_latest());
            return out.with_status(MarkerStatus::Unresolved);
        };
        let reflection = self.policy.object.digest_reflection();
        let needs_digest = matches!(self.target.kind, MarkerKind::Image | MarkerKind::Digest)
            && *reflection != DigestReflection::Never;
        if needs_digest && latest.digest.is_none() {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::RegistryError,
                    self.path,
                    marker.scalar.clone(),
                    format!(
                        "the policy reflects digests ({}), but the digest of tag {} is not known",
                        reflection.as_str(),
                        latest.tag
                    ),
                )
                .with_help("fetch digests from the registry, or add them to the tags snapshot"),
            );
            return out.with_status(MarkerStatus::Unresolved);
        }
        let expected = value_for(self.target.kind, image, latest);
        out.report.expected = Some(expected.clone());
        out.diagnostics.extend(self.tag_not_in_registry(image));
        if marker.value == expected {
            return out.with_status(MarkerStatus::Current);
        }
        let direction = direction(
            self.evaluated.engine.as_ref(),
            self.target.kind,
            &marker.value,
            latest,
        );
        out.diagnostics.push(self.stale(&expected, direction));
        out.with_status(MarkerStatus::Stale(direction))
    }

    /// Why the policy selected nothing, repeated where the user looks: at the marker.
    fn no_latest(&self) -> Option<Diagnostic> {
        let (code, message) = self.evaluated.error.as_ref()?;
        let policy = self.policy;
        if *code == Code::RegistryError {
            return Some(
                Diagnostic::new(
                    Code::RegistryError,
                    self.path,
                    self.marker.scalar.clone(),
                    format!("cannot tell whether this value is current: {message}"),
                )
                .with_related(self.related.clone()),
            );
        }
        let mut d = Diagnostic::new(
            *code,
            self.path,
            self.marker.reference_range.clone(),
            if matches!(code, Code::NoMatchingTag | Code::LatestRefInvalid) {
                message.clone()
            } else {
                format!(
                    "ImagePolicy {} cannot select a tag: {message}",
                    display_name(policy.namespace.as_deref(), &policy.name)
                )
            },
        )
        .with_related(self.related.clone());
        if *code == Code::NoMatchingTag
            && let Some(summary) = self.evaluated.summary()
        {
            d = d.with_note(summary.to_string());
        }
        if *code == Code::PolicyInvalid || *code == Code::RepositoryInvalid {
            d.severity = Severity::Warning; // the error itself is on the object
        }
        Some(d)
    }

    /// `tag-not-in-registry`: the current tag is not among the repository's tags.
    fn tag_not_in_registry(&self, image: &str) -> Option<Diagnostic> {
        let list = self.evaluated.tags.as_ref()?;
        let current_tag = current_tag(self.target.kind, &self.marker.value)?;
        if list.contains(&current_tag) {
            return None;
        }
        Some(
            Diagnostic::new(
                Code::TagNotInRegistry,
                self.path,
                self.marker.scalar.clone(),
                format!(
                    "tag {current_tag} is not among the {} tags of {image}",
                    list.len()
                ),
            )
            .with_help(
                "the tag may have been deleted, or excluded by the ImageRepository's exclusionList",
            ),
        )
    }

    /// The `stale` finding with its fix. Flux would not apply a marker no automation covers: it
    /// is still stale, but neither fails the check nor lets `--fix` write what Flux would not.
    fn stale(&self, expected: &str, direction: Direction) -> Diagnostic {
        let marker = self.marker;
        let policy = self.policy;
        let new_text = encode_in_style(expected, marker.style, marker.in_flow);
        let shown = if expected.is_empty() {
            "\"\"".to_string()
        } else {
            expected.to_string()
        };
        // A marker on a block scalar's header line: Flux rewrites the block (`|-`/`>-` and the
        // value, or the double-quoted value on the header line). `--fix` keeps line counts, so
        // a rewrite that changes them is offered, never applied by `--fix` alone.
        let header_edits = block_header_edits(marker, expected);
        let changes_line_count = marker
            .block_header
            .as_ref()
            .is_some_and(|header| !header.keeps_line_count(expected));
        let (severity, applicability, help) = if self.covered && changes_line_count {
            (
                Severity::Error,
                Applicability::Unsafe,
                "Flux rewrites this block scalar (the value on one line after `|-`/`>-`, or double-quoted on the header line), which changes the number of lines: apply the fix in the editor or with `fluxtag check --fix --unsafe-fixes` (`--fix` alone keeps line counts)",
            )
        } else if self.covered {
            let help = if self.target.kind == MarkerKind::Digest && expected.is_empty() {
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
            self.path,
            marker.scalar.clone(),
            format!(
                "{} is stale: ImagePolicy {} selects {} ({})",
                if marker.value.is_empty() {
                    "\"\""
                } else {
                    // A block scalar's final line break is no part of what the user reads.
                    marker.value.trim_end_matches('\n')
                },
                display_name(policy.namespace.as_deref(), &policy.name),
                shown,
                direction.as_str()
            ),
        )
        .with_help(help)
        .with_related(self.related.clone())
        .with_fix(Fix {
            title: format!("Update to {shown}"),
            edits: header_edits.unwrap_or_else(|| {
                vec![Edit {
                    range: marker.scalar.clone(),
                    new_text,
                }]
            }),
            applicability,
        });
        stale.severity = severity;
        stale.note = self.evaluated.summary().map(ToString::to_string);
        stale
    }
}

/// The tag in a marked value, for markers that carry one.
fn current_tag(kind: MarkerKind, value: &str) -> Option<String> {
    match kind {
        MarkerKind::Tag => Some(value.to_string()).filter(|v| !v.is_empty()),
        MarkerKind::Image => parse_reference(value).ok().and_then(|r| r.tag),
        MarkerKind::Name | MarkerKind::Digest => None,
    }
}

/// How a stale value would change, by the policy's own order.
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
