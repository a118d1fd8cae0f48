//! Resolution: marker × policy × tags → what Flux would write, a verdict, and the edit.
//!
//! For every policy the latest tag is computed once, exactly as image-reflector-controller does
//! (exclusion list, descending byte order, filterTags, the policy; `flux-semantics.md` §3–§5):
//! `evaluate.rs`. For every marker the value Flux would write is derived from it (spec §1.5) and
//! compared with the marked value: `current`, `stale` (upgrade, downgrade or another change),
//! `invalid` (the marker names nothing Flux would apply) or `unresolved` (tags unknown):
//! `marker.rs`. A stale marker gets a safe fix that replaces only the scalar's bytes
//! (`fluxtag-differences.md` §1).
//!
//! Tags come in through a closure: this module never talks to a registry. Object validation is
//! [`crate::validate`]'s; this module only adds what needs tags or markers.

mod evaluate;
mod marker;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use fluxtag_policy::policy::Policy;

use crate::diag::{Code, Diagnostic};
use crate::explain::{ExclusionCount, StageSummary};
use crate::index::{Index, PolicyId, RepositoryEntry};
use crate::marker::{Marker, MarkerKind, PolicyTarget};

pub use evaluate::{DigestWanted, digests_wanted, evaluate_policies};

/// The policy a templated marker reference in `path` most likely means: the first literal
/// `marker-templated` offers (for go-to-definition; Flux itself never applies such a marker).
pub fn templated_target(
    index: &crate::index::Index,
    path: &str,
    reference: &str,
) -> Option<crate::index::PolicyId> {
    let vars = index.variables_for(path);
    let best = marker::template_candidates(reference, &vars, &index.policy_keys())
        .into_iter()
        .next()?;
    let key = [":tag", ":name", ":digest"]
        .iter()
        .find_map(|suffix| best.strip_suffix(suffix))
        .unwrap_or(&best);
    let (namespace, name) = key.split_once(':')?;
    index.policy_lookup().find(namespace, name).map(|m| m.id)
}

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
    /// The policy it uses ([`Report::policy`], [`Index::policy`]).
    pub policy: Option<PolicyId>,
}

impl MarkerReport {
    /// What the marker writes (image, tag, name or digest): from the policy it resolved to, else
    /// from its reference as written; `None` when the reference is invalid.
    pub fn kind(&self) -> Option<MarkerKind> {
        self.target
            .as_ref()
            .or(self.marker.target.as_ref().ok())
            .map(|t| t.kind)
    }
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
    /// How many tags the tag source gave, before the exclusion list.
    pub listed: Option<usize>,
    /// How many tags each pattern of the exclusion list removed (patterns that removed none
    /// left out), in the list's order.
    pub excluded: Vec<ExclusionCount>,
    /// Where the tags came from.
    pub tag_source: Option<String>,
    /// The compiled policy, when it compiled (markers compare tags in its order).
    pub(crate) engine: Option<Policy>,
    /// The repository's tags after exclusion, sorted as the controller sorts them, when known
    /// (one list per repository, shared by its policies).
    pub(crate) tags: Option<Arc<[String]>>,
    /// [`PolicyReport::summary`], computed on first use (many markers share one policy).
    pub(crate) summary: OnceLock<Option<StageSummary>>,
}

impl PolicyReport {
    /// The evaluation in counts, stage by stage ([`StageSummary::of`]), computed once.
    pub fn summary(&self) -> Option<&StageSummary> {
        self.summary.get_or_init(|| StageSummary::of(self)).as_ref()
    }
}

/// Everything resolution found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One per marker, in path and source order.
    pub markers: Vec<MarkerReport>,
    /// One per ImagePolicy, in [`PolicyId`] order.
    pub policies: Vec<PolicyReport>,
    /// Every finding, sorted by path, range and code.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The evaluation of one policy.
    pub fn policy(&self, id: PolicyId) -> Option<&PolicyReport> {
        self.policies.get(id.position())
    }

    /// Puts a file's new resolution ([`resolve_file`]) in place of its old one, keeping markers
    /// in path order and diagnostics sorted.
    pub fn replace_file(&mut self, path: &str, file: FileReport) {
        self.markers.retain(|m| m.path != path);
        let at = self.markers.partition_point(|m| m.path.as_str() < path);
        self.markers.splice(at..at, file.markers);
        self.diagnostics.retain(|d| d.path != path);
        self.diagnostics.extend(file.diagnostics);
        crate::diag::sort(&mut self.diagnostics);
    }
}

/// One file's part of a [`Report`] (see [`resolve_file`]).
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// Its markers, in source order.
    pub markers: Vec<MarkerReport>,
    /// Its findings (markers and file-level), sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// The images whose tags resolution needs: `(canonical name, repository)`, one per repository
/// with a valid image, in a stable order.
pub fn images_to_fetch(index: &Index) -> Vec<(String, &RepositoryEntry)> {
    let mut out: Vec<(String, &RepositoryEntry)> = index
        .repositories()
        .iter()
        .filter_map(|r| Some((r.valid_image()?.canonical(), r)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Evaluates every policy and resolves every marker. `tags` is asked once per repository, by
/// canonical image name.
pub fn resolve(index: &Index, tags: &dyn Fn(&str, &RepositoryEntry) -> TagLookup) -> Report {
    let compiled = evaluate::compile_all(index);
    let mut report = Report {
        diagnostics: crate::validate::object_diagnostics(index, &compiled),
        ..Report::default()
    };
    report.policies = evaluate::evaluate_compiled(index, compiled, tags);
    report
        .diagnostics
        .extend(evaluate::no_matching_tag_diagnostics(
            index,
            &report.policies,
        ));
    let context = marker::Context::new(index, &report.policies);
    for path in index.files().keys() {
        let file = context.resolve_file(path);
        report.markers.extend(file.markers);
        report.diagnostics.extend(file.diagnostics);
    }
    crate::diag::sort(&mut report.diagnostics);
    report.diagnostics.dedup();
    report
}

/// Resolves the markers of one file against the policy evaluations of `report` (a resolution of
/// `index`, or of an index that differs from it only in files that contribute no object, see
/// [`Index::replace_marker_file`]). The result is exactly that file's part of what [`resolve`]
/// would give: its markers and the findings on it, without evaluating any policy again (the
/// language server calls this on every keystroke in a file without objects).
pub fn resolve_file(index: &Index, report: &Report, path: &str) -> FileReport {
    let mut file = marker::Context::new(index, &report.policies).resolve_file(path);
    crate::diag::sort(&mut file.diagnostics);
    file.diagnostics.dedup();
    file
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
