//! The cross-file index: every file's analysis and what the repository as a whole says about
//! its objects.
//!
//! [`Index::build`] puts the analyses of a whole repository together: policies and repositories
//! by namespace and name, namespaces inferred from kustomizations, kustomize patches applied,
//! `${VAR}` values from Flux Kustomizations, and the image automations that decide whether Flux
//! would apply a marker. The fields are private: an index is only built whole (or changed through
//! the few methods that keep it consistent), so every lookup sees the same repository. It does no
//! I/O (patch files come in through a closure) and never sees tags: [`crate::resolve`] adds them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use fluxtag_policy::image_ref::{ImageRef, ImageRefError};

use crate::analysis::FileAnalysis;
use crate::flux::{
    self, FluxKustomization, FluxObject, ImagePolicy, ImageRepository, ImageUpdateAutomation,
    KustomizeFile,
};
use crate::kustomize::{self, KustomizeView, PatchRoots};
use crate::yaml::{self, Node};

mod built;

use built::Builder;
pub use built::BuiltFrom;

/// A policy of an [`Index`]: its position in [`Index::policies`] and in
/// [`crate::resolve::Report::policies`], which are built in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyId(usize);

impl PolicyId {
    /// The position in [`Index::policies`] (and in the report's policies).
    pub fn position(self) -> usize {
        self.0
    }
}

/// The policy a marker's reference finds (see [`PolicyLookup::find`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyMatch {
    /// The policy.
    pub id: PolicyId,
    /// Whether it was found by name alone (the policy's namespace is unknown).
    pub by_name_alone: bool,
}

/// [`Index::policies`] by namespace and name (see [`Index::policy_lookup`]).
#[derive(Debug, Default)]
pub struct PolicyLookup<'a> {
    /// Every instance of each namespace and name, in index order.
    by_key: std::collections::HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Every instance of each name among those whose namespace is unknown.
    by_name: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl PolicyLookup<'_> {
    /// The first instance of the policy a marker names (see [`PolicyLookup::find_all`]).
    pub fn find(&self, namespace: &str, name: &str) -> Option<PolicyMatch> {
        self.find_all(namespace, name).into_iter().next()
    }

    /// Every instance of the policy a marker names: exact namespace and name, or, when no
    /// instance has them, instances whose namespace is unknown by name alone (the match says
    /// so). Several instances: one object built by several Flux Kustomizations, or several
    /// objects the cluster would merge into one.
    pub fn find_all(&self, namespace: &str, name: &str) -> Vec<PolicyMatch> {
        let exact = self.by_key.get(&(namespace, name));
        let (ids, by_name_alone) = match exact {
            Some(ids) => (ids, false),
            None => match self.by_name.get(name) {
                Some(ids) => (ids, true),
                None => return Vec::new(),
            },
        };
        ids.iter()
            .map(|&i| PolicyMatch {
                id: PolicyId(i),
                by_name_alone,
            })
            .collect()
    }
}

/// One instance of an ImagePolicy as the cluster gets it (see [`built`]).
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// The object as built: patched, renamed, moved and substituted.
    pub object: ImagePolicy,
    /// Its namespace as built, `None` when nothing gives it one (matched by name alone).
    pub namespace: Option<String>,
    /// Its name as built.
    pub name: String,
    /// `spec.imageRepositoryRef.name` as built (kustomize and Flux prefixes never touch it:
    /// they do not know the field is a reference).
    pub repository_name: Option<String>,
    /// `spec.imageRepositoryRef.namespace` as built.
    pub repository_namespace: Option<String>,
    /// `metadata.labels` as built (what a `policySelector` matches).
    pub labels: BTreeMap<String, String>,
    /// How this instance was built.
    pub built: BuiltFrom,
}

/// One instance of an ImageRepository as built, with its image parsed once.
#[derive(Debug, Clone)]
pub struct RepositoryEntry {
    /// The object as built.
    pub object: ImageRepository,
    /// Its namespace, as for policies.
    pub namespace: Option<String>,
    /// Its name as built.
    pub name: String,
    /// `spec.image` as built (`None` when absent or still templated).
    pub image: Option<String>,
    /// `image` normalised as Flux does (spec §3.1), with `spec.insecure`; `None` when `image` is.
    pub image_ref: Option<Result<ImageRef, ImageRefError>>,
    /// How this instance was built.
    pub built: BuiltFrom,
}

impl RepositoryEntry {
    /// The normalised image, when `spec.image` is known and valid.
    pub fn valid_image(&self) -> Option<&ImageRef> {
        self.image_ref.as_ref()?.as_ref().ok()
    }

    /// `namespace/name`, or the name alone.
    pub fn display_name(&self) -> String {
        display_name(self.namespace.as_deref(), &self.name)
    }
}

/// One instance of an ImageUpdateAutomation as built.
#[derive(Debug, Clone)]
pub struct AutomationEntry {
    /// The object as built.
    pub object: ImageUpdateAutomation,
    /// Its namespace.
    pub namespace: Option<String>,
    /// Its name as built.
    pub name: String,
    /// `spec.update.path` as built, normalised (`""`: the repository root).
    pub update_dir: String,
    /// How this instance was built.
    pub built: BuiltFrom,
}

/// The document roots of the patch files the kustomizations name, each file read and parsed
/// the first time a patch of it is applied (building asks for a patch file's roots only when it
/// applies one of its patches to an object), at most once per build.
struct LazyPatchRoots<'r> {
    /// Gives a file's bytes by path.
    read: &'r ReadFile<'r>,
    /// Every patch file the kustomizations name, with its roots once parsed (empty when it
    /// cannot be read).
    parsed: BTreeMap<String, OnceLock<Vec<Node>>>,
}

/// How [`Index::build`] reads a patch file: its bytes by `/`-separated path, `None` when it
/// cannot be read. Called from any of the threads building objects.
pub type ReadFile<'r> = dyn Fn(&str) -> Option<Vec<u8>> + Sync + 'r;

/// Below this many objects per core, one thread builds them all.
const BUILDS_PER_THREAD: usize = 32;

impl<'r> LazyPatchRoots<'r> {
    /// Nothing parsed yet; `paths` are the patch files that may be asked for.
    fn new(paths: Vec<String>, read: &'r ReadFile<'r>) -> Self {
        LazyPatchRoots {
            read,
            parsed: paths.into_iter().map(|p| (p, OnceLock::new())).collect(),
        }
    }
}

impl PatchRoots for LazyPatchRoots<'_> {
    fn roots(&self, path: &str) -> &[Node] {
        let Some(cell) = self.parsed.get(path) else {
            return &[];
        };
        cell.get_or_init(|| {
            (self.read)(path).map_or_else(Vec::new, |text| {
                yaml::parse(&text)
                    .documents
                    .into_iter()
                    .filter_map(|d| d.root)
                    .collect()
            })
        })
    }
}

/// The whole repository as fluxtag sees it.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Every analysed file by path.
    files: BTreeMap<String, FileAnalysis>,
    /// Every ImagePolicy, in file and document order.
    policies: Vec<PolicyEntry>,
    /// Every ImageRepository.
    repositories: Vec<RepositoryEntry>,
    /// Every ImageUpdateAutomation.
    automations: Vec<AutomationEntry>,
    /// Every Flux Kustomization.
    flux_kustomizations: Vec<FluxKustomization>,
    /// What kustomize would do to the objects.
    kustomize: KustomizeView,
    /// Whether a Flux Kustomization applies its own definition ([`Index::has_bootstrap`]).
    has_bootstrap: bool,
}

impl Index {
    /// Puts the analyses of a repository together. `read` gives the bytes of a file by its
    /// `/`-separated path (`None`: it cannot be read); it is asked only for the kustomize patch
    /// files the kustomizations name, which the index parses itself, each once and only when a
    /// patch of it is applied to an object the index builds (the patch files of kustomizations
    /// that build no image object or Flux Kustomization, such as a monorepo's per-environment
    /// patches of HelmReleases, are never parsed; a missing patch file is kustomize's error, not
    /// ours: its patches are left out).
    ///
    /// The build runs in a fixed order: the kustomize view first, then the Flux Kustomizations
    /// as their parents build them (a parent's `postBuild.substitute` reaches a child's spec),
    /// then every image object, one entry per instance (see [`built`]).
    pub fn build(analyses: Vec<FileAnalysis>, read: &ReadFile<'_>) -> Index {
        let mut index = Index::default();
        let mut kustomize_files: Vec<KustomizeFile> = Vec::new();
        let mut written_kustomizations: Vec<FluxKustomization> = Vec::new();
        for analysis in analyses {
            for object in &analysis.objects {
                match object {
                    FluxObject::FluxKustomization(k) => written_kustomizations.push(k.clone()),
                    FluxObject::Kustomize(k) => kustomize_files.push(k.clone()),
                    _ => {}
                }
            }
            index.files.insert(analysis.path.clone(), analysis);
        }
        index.kustomize = KustomizeView::new(&kustomize_files);
        let patch_roots = LazyPatchRoots::new(index.kustomize.patch_files(), read);
        let parents = Builder {
            kustomize: &index.kustomize,
            flux_kustomizations: &written_kustomizations,
            files: &index.files,
            patch_roots: &patch_roots,
            clusters: &[],
        };
        // Each written Flux Kustomization as its parents build it, with the parent's position.
        let mut children: Vec<(FluxKustomization, usize, Option<usize>)> = Vec::new();
        // Bootstraps: Flux Kustomizations that apply their own definition (`flux-system`). Only
        // they mark a cluster; a root the repository does not show applied (its bootstrap lives
        // elsewhere) is in an unknown cluster, which matches any.
        let mut bootstraps: BTreeSet<usize> = BTreeSet::new();
        let written_positions: Vec<usize> = (0..written_kustomizations.len()).collect();
        let built_written =
            crate::parallel::map_shares(written_positions, BUILDS_PER_THREAD, |share| {
                share
                    .into_iter()
                    .map(|position| {
                        let origin = &written_kustomizations[position].origin;
                        (position, built_objects(&parents, origin, &index.files))
                    })
                    .collect()
            });
        for (position, built) in built_written {
            for (object, _, parent) in built {
                if parent == Some(position) {
                    bootstraps.insert(position);
                }
                if let FluxObject::FluxKustomization(k) = object {
                    children.push((k, position, parent.filter(|&p| p != position)));
                }
            }
        }
        index.has_bootstrap = !bootstraps.is_empty();
        let roots = cluster_roots(written_kustomizations.len(), &children);
        let root_words: Vec<String> = written_kustomizations
            .iter()
            .map(|k| {
                let line = index
                    .files
                    .get(&k.origin.path)
                    .map_or(1, |f| f.lines.line_of(k.origin.range.start) + 1);
                format!(
                    "Flux Kustomization {} ({}:{line})",
                    k.display_name(),
                    k.origin.path
                )
            })
            .collect();
        let mut flux_kustomizations: Vec<FluxKustomization> = Vec::new();
        let mut clusters: Vec<BTreeSet<String>> = Vec::new();
        for (k, position, parent) in children {
            let of: BTreeSet<String> = roots
                .get(parent.unwrap_or(position))
                .into_iter()
                .flatten()
                .filter(|r| bootstraps.contains(r))
                .filter_map(|&r| root_words.get(r).cloned())
                .collect();
            match flux_kustomizations.iter().position(|o| same_build(o, &k)) {
                Some(existing) => {
                    if let Some(set) = clusters.get_mut(existing) {
                        set.extend(of);
                    }
                }
                None => {
                    flux_kustomizations.push(k);
                    clusters.push(of);
                }
            }
        }
        let builder = Builder {
            kustomize: &index.kustomize,
            flux_kustomizations: &flux_kustomizations,
            files: &index.files,
            patch_roots: &patch_roots,
            clusters: &clusters,
        };
        let mut policies = Vec::new();
        let mut repositories = Vec::new();
        let mut automations = Vec::new();
        let mut written_objects: Vec<&flux::Origin> = Vec::new();
        for analysis in index.files.values() {
            let patch_only = index.kustomize.is_patch_file(&analysis.path);
            for object in &analysis.objects {
                written_objects.push(match object {
                    FluxObject::Policy(_) | FluxObject::Repository(_) if patch_only => continue,
                    FluxObject::Policy(p) => &p.origin,
                    FluxObject::Repository(r) => &r.origin,
                    FluxObject::Automation(a) => &a.origin,
                    _ => continue,
                });
            }
        }
        // Each object's instances, on every core, in file and document order.
        let built = crate::parallel::map_shares(written_objects, BUILDS_PER_THREAD, |share| {
            share
                .into_iter()
                .map(|origin| built_objects(&builder, origin, &index.files))
                .collect()
        });
        for (built, built_from, _) in built.into_iter().flatten() {
            match built {
                FluxObject::Policy(p) => policies.push(policy_entry(p, built_from)),
                FluxObject::Repository(r) => {
                    repositories.push(repository_entry(r, built_from));
                }
                FluxObject::Automation(a) => {
                    automations.push(automation_entry(a, built_from));
                }
                _ => {}
            }
        }
        index.policies = policies;
        index.repositories = repositories;
        index.automations = automations;
        index.flux_kustomizations = flux_kustomizations;
        index
    }

    /// A copy without the files' analyses: everything tag fetching and policy evaluation need
    /// (policies, repositories, automations, Flux Kustomizations, the kustomize view), cheap
    /// to clone for a background task. Resolving markers against it finds none.
    pub fn objects_only(&self) -> Index {
        Index {
            files: BTreeMap::new(),
            policies: self.policies.clone(),
            repositories: self.repositories.clone(),
            automations: self.automations.clone(),
            flux_kustomizations: self.flux_kustomizations.clone(),
            kustomize: self.kustomize.clone(),
            has_bootstrap: self.has_bootstrap,
        }
    }

    /// Every analysed file, by path.
    pub fn files(&self) -> &BTreeMap<String, FileAnalysis> {
        &self.files
    }

    /// The analysis of one file.
    pub fn file(&self, path: &str) -> Option<&FileAnalysis> {
        self.files.get(path)
    }

    /// Takes the analyses back out (to build the index again after some files changed).
    pub fn into_files(self) -> BTreeMap<String, FileAnalysis> {
        self.files
    }

    /// Whether a file contributes to what the index knows beyond its own markers: it holds (or,
    /// as `new`, would hold) a Flux or kustomize object, or it is a kustomize patch file. A file
    /// that does not can be replaced with [`Index::replace_marker_file`] instead of a rebuild.
    pub fn contributes_objects(&self, path: &str, new: Option<&FileAnalysis>) -> bool {
        self.files.get(path).is_some_and(|a| !a.objects.is_empty())
            || new.is_some_and(|a| !a.objects.is_empty())
            || self.kustomize.is_patch_file(path)
    }

    /// Replaces (`Some`) or removes (`None`) the analysis of a file that contributes no object
    /// ([`Index::contributes_objects`] is false before and after): nothing else in the index
    /// depends on it, so nothing else changes. Returns `false`, changing nothing, for a file
    /// that does contribute (the index must be built again).
    pub fn replace_marker_file(&mut self, path: &str, analysis: Option<FileAnalysis>) -> bool {
        if self.contributes_objects(path, analysis.as_ref()) {
            return false;
        }
        match analysis {
            Some(analysis) => {
                self.files.insert(path.to_string(), analysis);
            }
            None => {
                self.files.remove(path);
            }
        }
        true
    }

    /// Every ImagePolicy, in file and document order (a [`PolicyId`] is a position here).
    pub fn policies(&self) -> &[PolicyEntry] {
        &self.policies
    }

    /// Every ImagePolicy with its id.
    pub fn policies_with_ids(&self) -> impl Iterator<Item = (PolicyId, &PolicyEntry)> {
        self.policies
            .iter()
            .enumerate()
            .map(|(i, p)| (PolicyId(i), p))
    }

    /// One policy.
    pub fn policy(&self, id: PolicyId) -> Option<&PolicyEntry> {
        self.policies.get(id.0)
    }

    /// Every ImageRepository.
    pub fn repositories(&self) -> &[RepositoryEntry] {
        &self.repositories
    }

    /// Every ImageUpdateAutomation.
    pub fn automations(&self) -> &[AutomationEntry] {
        &self.automations
    }

    /// Every Flux Kustomization.
    pub fn flux_kustomizations(&self) -> &[FluxKustomization] {
        &self.flux_kustomizations
    }

    /// What kustomize would do to the objects.
    pub fn kustomize(&self) -> &KustomizeView {
        &self.kustomize
    }

    /// The `${VAR}` values the Flux Kustomizations that apply the file `path` give it; a
    /// variable two of them set differently is left out.
    pub fn variables_for(&self, path: &str) -> BTreeMap<String, String> {
        let no_patches: BTreeMap<String, Vec<Node>> = BTreeMap::new();
        Builder {
            kustomize: &self.kustomize,
            flux_kustomizations: &self.flux_kustomizations,
            files: &self.files,
            patch_roots: &no_patches,
            clusters: &[],
        }
        .variables_for(path)
    }

    /// Whether a Flux Kustomization of the repository applies its own definition (a bootstrap's
    /// `flux-system`): then the repository shows how its cluster is built, and an image object
    /// no Flux Kustomization applies is a stray copy the cluster does not get. Without one, the
    /// bootstrap lives elsewhere and nothing is judged stray.
    pub fn has_bootstrap(&self) -> bool {
        self.has_bootstrap
    }

    /// Whether an object built as `built` is a stray copy: the repository has a bootstrap and
    /// no Flux Kustomization applies the object, so the cluster may never get it.
    pub fn is_stray(&self, built: &BuiltFrom) -> bool {
        self.has_bootstrap && built.applied_by.is_none()
    }

    /// A hash lookup of [`Index::policies`] by the namespace and name a marker gives (see
    /// [`PolicyLookup::find`]), built once for all markers.
    pub fn policy_lookup(&self) -> PolicyLookup<'_> {
        let mut lookup = PolicyLookup::default();
        for (i, policy) in self.policies.iter().enumerate() {
            match policy.namespace.as_deref() {
                Some(namespace) => {
                    lookup
                        .by_key
                        .entry((namespace, policy.name.as_str()))
                        .or_default()
                        .push(i);
                }
                None => {
                    lookup
                        .by_name
                        .entry(policy.name.as_str())
                        .or_default()
                        .push(i);
                }
            }
        }
        lookup
    }

    /// The repository a policy references.
    pub fn repository_of(&self, policy: &PolicyEntry) -> Option<&RepositoryEntry> {
        let name = policy.repository_name.as_deref()?;
        let namespace = policy
            .repository_namespace
            .clone()
            .or_else(|| policy.namespace.clone());
        self.repositories
            .iter()
            .find(|r| r.name == name && r.namespace == namespace)
            .or_else(|| {
                self.repositories
                    .iter()
                    .find(|r| r.name == name && (r.namespace.is_none() || namespace.is_none()))
            })
    }

    /// Names of every policy as `namespace:name` (the name alone when its namespace is
    /// unknown), once each, in [`PolicyId`] order of their first instance: the candidates of
    /// did-you-mean suggestions.
    pub fn policy_keys(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.policies
            .iter()
            .map(|p| reference_name(p.namespace.as_deref(), &p.name))
            .filter(|key| seen.insert(key.clone()))
            .collect()
    }

    /// Whether any ImageUpdateAutomation would apply policy `policy` to a marker in `path`, and
    /// if not, why (spec §1.4: same namespace, `policySelector`, `update.path`; and the same
    /// cluster: an automation sees only the policies of the cluster it runs in).
    pub fn automation_verdict(&self, policy: &PolicyEntry, path: &str) -> Result<(), String> {
        if self.automations.is_empty() {
            return Ok(()); // the automation may live in another repository
        }
        // With a bootstrap in the repository, an object no Flux Kustomization applies is a stray
        // copy the cluster does not get.
        if self.is_stray(&policy.built) {
            return Err(format!(
                "ImagePolicy {} is in {}, which no Flux Kustomization in the repository applies",
                display_name(policy.namespace.as_deref(), &policy.name),
                policy.object.origin.path
            ));
        }
        let mut reasons: Vec<String> = Vec::new();
        for automation in &self.automations {
            let reason = if self.is_stray(&automation.built) {
                "is in a file no Flux Kustomization in the repository applies".to_string()
            } else if !automation.built.clusters.is_empty()
                && !policy.built.clusters.is_empty()
                && automation
                    .built
                    .clusters
                    .is_disjoint(&policy.built.clusters)
            {
                format!(
                    "is in another cluster (under {}; the policy is under {})",
                    words_of(&automation.built.clusters),
                    words_of(&policy.built.clusters)
                )
            } else if automation.namespace.is_some()
                && policy.namespace.is_some()
                && automation.namespace != policy.namespace
            {
                format!(
                    "is in namespace {} (Flux applies only policies of its own namespace)",
                    automation.namespace.as_deref().unwrap_or("?")
                )
            } else if let Some(strategy) = automation
                .object
                .strategy
                .as_ref()
                .filter(|s| s.value != "Setters")
            {
                format!(
                    "has update strategy {:?} (Flux supports only Setters and stalls on it)",
                    strategy.value
                )
            } else if automation
                .object
                .policy_selector
                .as_ref()
                .is_some_and(|selector| !selector.matches(&policy.labels))
            {
                "has a policySelector that does not match the policy's labels".to_string()
            } else if !is_under(path, &automation.update_dir) {
                format!(
                    "updates only `{}` (spec.update.path)",
                    if automation.update_dir.is_empty() {
                        "."
                    } else {
                        &automation.update_dir
                    }
                )
            } else {
                return Ok(());
            };
            let line = format!(
                "ImageUpdateAutomation {} ({}) {reason}",
                display_name(automation.namespace.as_deref(), &automation.name),
                automation.object.origin.path
            );
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
        Err(reasons.join("; "))
    }
}

/// Every instance of the object document at `origin`, read back as an object, with the
/// position of the Flux Kustomization that applies it (nothing when its root is not in the
/// analysis).
fn built_objects<P: PatchRoots>(
    builder: &Builder<'_, P>,
    origin: &flux::Origin,
    files: &BTreeMap<String, FileAnalysis>,
) -> Vec<(FluxObject, BuiltFrom, Option<usize>)> {
    let Some(root) = files.get(&origin.path).and_then(|analysis| {
        analysis
            .object_roots
            .iter()
            .find(|(d, _)| *d == origin.document)
            .map(|(_, root)| root)
    }) else {
        return Vec::new();
    };
    builder
        .instances(&origin.path, root)
        .into_iter()
        .filter_map(|instance| {
            let object =
                kustomize::read_object_from_root(&origin.path, origin.document, &instance.root)?;
            Some((object, instance.built_from, instance.builder))
        })
        .collect()
}

/// The root Flux Kustomizations above each of `count` written ones (by position): a root is one
/// no other applies (a bootstrap's `flux-system`, which applies itself); `children` holds, for
/// each built instance, its own position and its parent's. Cycles stop the walk.
fn cluster_roots(
    count: usize,
    children: &[(FluxKustomization, usize, Option<usize>)],
) -> Vec<BTreeSet<usize>> {
    let mut parents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); count];
    for (_, position, parent) in children {
        if let (Some(set), Some(parent)) = (parents.get_mut(*position), parent) {
            set.insert(*parent);
        }
    }
    fn walk(
        at: usize,
        parents: &[BTreeSet<usize>],
        on_path: &mut Vec<usize>,
        out: &mut BTreeSet<usize>,
    ) {
        let above: Vec<usize> = parents
            .get(at)
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| !on_path.contains(p))
            .collect();
        if above.is_empty() {
            out.insert(at);
            return;
        }
        on_path.push(at);
        for parent in above {
            walk(parent, parents, on_path, out);
        }
        on_path.pop();
    }
    (0..count)
        .map(|at| {
            let mut out = BTreeSet::new();
            walk(at, &parents, &mut Vec::new(), &mut out);
            out
        })
        .collect()
}

/// Whether two built Flux Kustomizations build the same way (two parents may apply one
/// definition alike).
fn same_build(a: &FluxKustomization, b: &FluxKustomization) -> bool {
    let spanned = |s: &Option<flux::Spanned<String>>| s.as_ref().map(|s| s.value.clone());
    a.origin == b.origin
        && a.path == b.path
        && a.substitute == b.substitute
        && a.substitute_from == b.substitute_from
        && spanned(&a.target_namespace) == spanned(&b.target_namespace)
        && spanned(&a.name_prefix) == spanned(&b.name_prefix)
        && spanned(&a.name_suffix) == spanned(&b.name_suffix)
        && a.metadata.name.as_ref().map(|n| &n.value) == b.metadata.name.as_ref().map(|n| &n.value)
}

/// A namespace as built: `None` when empty or missing.
fn namespace_of(metadata: &flux::Metadata) -> Option<String> {
    metadata
        .namespace
        .as_ref()
        .map(|n| n.value.clone())
        .filter(|n| !n.is_empty())
}

/// A name as built (`""` when missing).
fn name_of(metadata: &flux::Metadata) -> String {
    metadata
        .name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_default()
}

fn policy_entry(object: ImagePolicy, built: BuiltFrom) -> PolicyEntry {
    PolicyEntry {
        namespace: namespace_of(&object.metadata),
        name: name_of(&object.metadata),
        repository_name: object.repository_name.as_ref().map(|n| n.value.clone()),
        repository_namespace: object
            .repository_namespace
            .as_ref()
            .map(|n| n.value.clone()),
        labels: object.metadata.labels.clone(),
        object,
        built,
    }
}

fn repository_entry(object: ImageRepository, built: BuiltFrom) -> RepositoryEntry {
    let image = object
        .image
        .as_ref()
        .map(|i| i.value.clone())
        .filter(|i| !i.contains("${"));
    let image_ref = image
        .as_ref()
        .map(|image| ImageRef::parse(image, object.insecure));
    RepositoryEntry {
        namespace: namespace_of(&object.metadata),
        name: name_of(&object.metadata),
        image,
        image_ref,
        object,
        built,
    }
}

fn automation_entry(object: ImageUpdateAutomation, built: BuiltFrom) -> AutomationEntry {
    AutomationEntry {
        namespace: namespace_of(&object.metadata),
        name: name_of(&object.metadata),
        update_dir: object
            .update_path
            .as_ref()
            .map(|p| flux::normalise_dir(&p.value))
            .unwrap_or_default(),
        object,
        built,
    }
}

/// A set of words, comma-separated.
fn words_of(set: &BTreeSet<String>) -> String {
    set.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `namespace/name`, or the name alone.
pub fn display_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// `namespace:name` as a marker (and `fluxtag explain`) names a policy, or the name alone when
/// the namespace is unknown.
pub fn reference_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}:{name}"),
        None => name.to_string(),
    }
}

/// Whether file `path` lies in directory `dir` (`""` is the root).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories() {
        assert!(is_under("apps/a.yaml", "apps"));
        assert!(!is_under("apps2/a.yaml", "apps"));
        assert!(is_under("x.yaml", ""));
    }
}
