//! What kustomize would do to an object, where that is cheap to know (`fluxtag-differences.md` §5).
//!
//! [`KustomizeView`] holds every `kustomization.yaml` of a repository, indexed by directory. It
//! answers three questions about an object file: which namespace kustomize would give its objects
//! ([`KustomizeView::namespace_for`]), which patch files the caller must parse
//! ([`KustomizeView::patch_files`], [`KustomizeView::is_patch_file`]), and what a document looks
//! like once the patches of every kustomization that includes it are applied
//! ([`KustomizeView::apply_patches`]): strategic merge of mappings and JSON 6902 `add`, `replace`,
//! `remove` (plus `copy`, `move`, `test`), selected by `target` or by the patch's own identity.
//!
//! A kustomization *includes* a file when its `resources` list the file, or list a directory
//! (`../base`) or `components` entry whose kustomization includes it, to any depth. Each way up
//! from a file to a kustomization nobody includes is a *chain*: the kustomizations whose
//! transformations the object goes through, innermost first, with the components of a
//! kustomization placed just before it (a component transforms everything its includer has
//! accumulated when the component is reached).
//!
//! Nodes that come from a patch carry byte ranges of another file, so every range in them is
//! rewritten to [`FROM_PATCH`] before they are merged: the caller recognises fields a patch set
//! and never edits them in the object's file.
//!
//! The view and its include chains live here; which patch applies to an object and how patch
//! nodes are marked is `patch.rs`, the strategic merge `merge.rs`, JSON 6902 `json6902.rs`.
//!
//! This module owns only that model. It must not do I/O (the caller hands it parsed files), must
//! not validate objects or produce diagnostics (the index does), and must not panic on any
//! input: a patch that kustomize would reject is simply not applied.

mod build;
mod json6902;
mod merge;
mod patch;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::ops::Range;

use crate::flux::{self, FluxObject, KustomizeFile, Patch, Spanned, normalise_dir};
use crate::yaml::{Document, Node, NodeValue, Scalar, ScalarStyle, YamlFile};

pub use build::{Built, Place, Provenance, Step, apply_steps};
pub use patch::mark_from_patch;
use patch::same_node;

/// The byte range of every node (and tag) that comes from a patch rather than from the object's
/// own file. Entry colons and item dashes of such nodes are `None`.
pub const FROM_PATCH: Range<usize> = usize::MAX..usize::MAX;

/// The most chains followed for one file (guards against pathological include graphs).
const MAX_CHAINS: usize = 256;

/// The deepest include chain followed.
const MAX_DEPTH: usize = 64;

/// The most kustomizations in one chain (components shared in a deep diamond would otherwise
/// expand exponentially).
const MAX_CHAIN_LEN: usize = 256;

/// Where the namespace of an object comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamespaceSource {
    /// The namespace kustomize gives the object.
    pub namespace: String,
    /// Repository-relative path of the `kustomization.yaml` that sets it.
    pub kustomization: String,
}

/// A document as one build (one chain of kustomizations) produces it.
#[derive(Debug, Clone)]
pub struct PatchedBuild {
    /// Repository-relative path of the outermost kustomization of the chain.
    pub build: String,
    /// The patched document root.
    pub root: Node,
    /// Paths of the kustomizations whose patches changed the document, innermost first.
    pub kustomizations: Vec<String>,
}

/// Parsed patch files by repository-relative path, as [`KustomizeView::apply_patches`] reads
/// them. Implemented for maps to one root (`HashMap<String, Node>`) and to every document root
/// of a file (`HashMap<String, Vec<Node>>`, for multi-document patch files), hashed or ordered.
pub trait PatchRoots {
    /// The document roots of the patch file at `path` (empty when it was not parsed).
    fn roots(&self, path: &str) -> &[Node];
}

impl<S: BuildHasher> PatchRoots for HashMap<String, Node, S> {
    fn roots(&self, path: &str) -> &[Node] {
        self.get(path).map(std::slice::from_ref).unwrap_or(&[])
    }
}

impl<S: BuildHasher> PatchRoots for HashMap<String, Vec<Node>, S> {
    fn roots(&self, path: &str) -> &[Node] {
        self.get(path).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl PatchRoots for BTreeMap<String, Node> {
    fn roots(&self, path: &str) -> &[Node] {
        self.get(path).map(std::slice::from_ref).unwrap_or(&[])
    }
}

impl PatchRoots for BTreeMap<String, Vec<Node>> {
    fn roots(&self, path: &str) -> &[Node] {
        self.get(path).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// How a kustomization reaches another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Through `resources`.
    Resource,
    /// Through `components`, at this position of the includer's resolved components.
    Component(usize),
}

/// A kustomization with its references resolved to repository paths.
#[derive(Debug, Clone)]
struct Kust {
    /// Path of the kustomization file.
    path: String,
    /// `namespace`, when set and not empty, with the offset of its value.
    namespace: Option<(String, usize)>,
    /// `namePrefix`.
    name_prefix: Option<Spanned<String>>,
    /// `nameSuffix`.
    name_suffix: Option<Spanned<String>>,
    /// `commonLabels` and `labels[].pairs`.
    labels: Vec<Spanned<BTreeMap<String, String>>>,
    /// Resolved `components`, in order.
    components: Vec<usize>,
    /// The patches, with `file` resolved to a repository path.
    patches: Vec<Patch>,
}

/// All kustomizations of the repository, indexed by directory.
#[derive(Debug, Clone, Default)]
pub struct KustomizeView {
    kusts: Vec<Kust>,
    /// File path → kustomizations listing it in `resources`.
    file_parents: HashMap<String, Vec<usize>>,
    /// Kustomization → kustomizations including its directory, and how.
    parents: Vec<Vec<(usize, Via)>>,
    /// Every local patch file.
    patch_paths: BTreeSet<String>,
    /// Directory → its kustomization (an index into `kusts`).
    by_dir: HashMap<String, usize>,
}

/// Whether a `resources` / `components` / patch entry points outside the repository.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.contains("?ref=")
}

/// `entry` relative to `dir`, normalised.
pub(crate) fn join(dir: &str, entry: &str) -> String {
    if dir.is_empty() || entry.starts_with('/') {
        normalise_dir(entry)
    } else {
        normalise_dir(&format!("{dir}/{entry}"))
    }
}

/// The directory of a repository-relative file path.
pub(crate) fn parent_dir(path: &str) -> String {
    normalise_dir(path.rsplit_once('/').map_or("", |(dir, _)| dir))
}

impl KustomizeView {
    /// Indexes `kustomizations` by directory. Only files kustomize itself would load (named
    /// `kustomization.yaml`, `kustomization.yml` or `Kustomization`) are used; when a directory
    /// has several, the first by path wins (kustomize refuses such a directory).
    pub fn new(kustomizations: &[KustomizeFile]) -> KustomizeView {
        let mut chosen: BTreeMap<String, &KustomizeFile> = BTreeMap::new();
        let mut sorted: Vec<&KustomizeFile> = kustomizations
            .iter()
            .filter(|k| crate::flux::is_kustomization_file(&k.origin.path))
            .collect();
        sorted.sort_by(|a, b| {
            (&a.origin.path, a.origin.document).cmp(&(&b.origin.path, b.origin.document))
        });
        for k in sorted {
            chosen
                .entry(parent_dir(&normalise_dir(&k.origin.path)))
                .or_insert(k);
        }
        let by_dir: HashMap<String, usize> = chosen
            .keys()
            .enumerate()
            .map(|(i, dir)| (dir.clone(), i))
            .collect();
        let mut view = KustomizeView {
            parents: vec![Vec::new(); chosen.len()],
            ..KustomizeView::default()
        };
        for (index, (dir, k)) in chosen.iter().enumerate() {
            for entry in k.resources.iter().filter(|e| !is_remote(e)) {
                let target = join(dir, entry);
                match by_dir.get(&target) {
                    Some(&child) => view.parents[child].push((index, Via::Resource)),
                    None => view.file_parents.entry(target).or_default().push(index),
                }
            }
            let mut components = Vec::new();
            for entry in k.components.iter().filter(|e| !is_remote(e)) {
                if let Some(&child) = by_dir.get(&join(dir, entry)) {
                    view.parents[child].push((index, Via::Component(components.len())));
                    components.push(child);
                }
            }
            let mut patches = Vec::new();
            for patch in &k.patches {
                let file = match &patch.file {
                    Some(file) if is_remote(file) => continue,
                    Some(file) => {
                        let path = join(dir, file);
                        view.patch_paths.insert(path.clone());
                        Some(path)
                    }
                    None => None,
                };
                patches.push(Patch {
                    inline: patch.inline.clone(),
                    file,
                    target: patch.target.clone(),
                });
            }
            view.kusts.push(Kust {
                path: normalise_dir(&k.origin.path),
                namespace: k
                    .namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .map(|n| (n, k.namespace_range.as_ref().map_or(0, |r| r.start))),
                name_prefix: k.name_prefix.clone(),
                name_suffix: k.name_suffix.clone(),
                labels: k.labels.clone(),
                components,
                patches,
            });
        }
        view.by_dir = by_dir;
        view
    }

    /// The namespace kustomize would give an object defined in `path` (a repository-relative
    /// file path): the `namespace:` of a kustomization that includes the file, directly or
    /// through `resources`/`components` chains of directories. On a chain, the outermost
    /// kustomization that sets a namespace wins (kustomize overrides inner namespaces with outer
    /// ones). When several chains give different answers (overlays for several environments),
    /// the first of [`KustomizeView::namespaces_for`] is returned. `None` when no including
    /// kustomization sets one.
    pub fn namespace_for(&self, path: &str) -> Option<NamespaceSource> {
        self.namespaces_for(path).into_iter().next()
    }

    /// Every namespace the chains including `path` give its objects, one per distinct outcome,
    /// ordered by kustomization path then namespace. Chains that set no namespace contribute
    /// nothing.
    pub fn namespaces_for(&self, path: &str) -> Vec<NamespaceSource> {
        let mut found: Vec<NamespaceSource> = self
            .chains_for(path)
            .iter()
            .filter_map(|chain| {
                chain.iter().rev().find_map(|&k| {
                    let kust = self.kusts.get(k)?;
                    Some(NamespaceSource {
                        namespace: kust.namespace.clone()?.0,
                        kustomization: kust.path.clone(),
                    })
                })
            })
            .collect();
        found.sort_by(|a, b| {
            (&a.kustomization, &a.namespace).cmp(&(&b.kustomization, &b.namespace))
        });
        found.dedup();
        found
    }

    /// The directories of every kustomization that builds `path`: those listing it and every
    /// one above them on an include chain (the directory a Flux Kustomization's `spec.path` names
    /// builds the file when it is among them).
    pub fn building_dirs(&self, path: &str) -> BTreeSet<String> {
        self.chains_for(path)
            .iter()
            .flatten()
            .filter_map(|&k| self.kusts.get(k))
            .map(|kust| parent_dir(&kust.path))
            .collect()
    }

    /// Whether directory `dir` holds a kustomization file.
    pub fn has_kustomization(&self, dir: &str) -> bool {
        self.by_dir.contains_key(dir)
    }

    /// Whether some kustomization includes `path`, directly or through chains.
    pub fn is_included(&self, path: &str) -> bool {
        self.file_parents.contains_key(&normalise_dir(path))
    }

    /// Repository-relative paths of the local patch files (`patches[].path` and
    /// `patchesStrategicMerge` entries) that the caller must parse and hand back to
    /// [`KustomizeView::apply_patches`], sorted.
    pub fn patch_files(&self) -> Vec<String> {
        self.patch_paths.iter().cloned().collect()
    }

    /// Whether `path` is only a patch: some kustomization uses it as a patch file and none lists
    /// it as a resource. Its documents name the objects they patch; they are not objects of
    /// their own.
    pub fn is_patch_file(&self, path: &str) -> bool {
        let path = normalise_dir(path);
        self.patch_paths.contains(&path) && !self.file_parents.contains_key(&path)
    }

    /// The patches of every kustomization that includes `object_path` (directly or through
    /// chains), inline or from `patch_files`, applied to the document `root` of an object of
    /// that file, innermost kustomization first, with the chain's other steps (namespace, name
    /// prefix and suffix, labels; see [`apply_steps`]). Returns the built root and the paths of
    /// the kustomizations whose patches changed it, or `None` when no patch applied. When several
    /// chains patch the object, the first of [`KustomizeView::apply_patches_per_build`] is
    /// returned.
    pub fn apply_patches(
        &self,
        object_path: &str,
        root: &Node,
        patch_files: &impl PatchRoots,
    ) -> Option<(Node, Vec<String>)> {
        self.apply_patches_per_build(object_path, root, patch_files)
            .into_iter()
            .next()
            .map(|build| (build.root, build.kustomizations))
    }

    /// Like [`KustomizeView::apply_patches`], for each chain that changes the document, ordered
    /// by the path of its outermost kustomization; chains producing the same document are
    /// reported once.
    pub fn apply_patches_per_build(
        &self,
        object_path: &str,
        root: &Node,
        patch_files: &impl PatchRoots,
    ) -> Vec<PatchedBuild> {
        let mut builds: Vec<PatchedBuild> = Vec::new();
        for chain in self.chains_for(object_path) {
            let Some(build) = self.apply_chain(&chain, root, patch_files) else {
                continue;
            };
            let duplicate = builds.iter().any(|b| {
                b.kustomizations == build.kustomizations && same_node(&b.root, &build.root, true)
            });
            if !duplicate {
                builds.push(build);
            }
        }
        builds.sort_by(|a, b| a.build.cmp(&b.build));
        builds
    }

    /// Every chain of kustomizations that includes `path`, innermost first, deduplicated and
    /// sorted.
    fn chains_for(&self, path: &str) -> Vec<Vec<usize>> {
        let mut chains = Vec::new();
        if let Some(starts) = self.file_parents.get(&normalise_dir(path)) {
            for &k in starts {
                let mut on_path = Vec::new();
                self.climb(k, Via::Resource, Vec::new(), &mut on_path, &mut chains);
            }
        }
        chains.sort();
        chains.dedup();
        chains
    }

    /// Extends `chain` with kustomization `k` (reached through `via`) and everything above it.
    fn climb(
        &self,
        k: usize,
        via: Via,
        mut chain: Vec<usize>,
        on_path: &mut Vec<usize>,
        chains: &mut Vec<Vec<usize>>,
    ) {
        if chains.len() >= MAX_CHAINS {
            return;
        }
        let Some(kust) = self.kusts.get(k) else {
            return;
        };
        let skip = match via {
            Via::Resource => 0,
            Via::Component(position) => position + 1,
        };
        for &component in kust.components.iter().skip(skip) {
            let mut stack = on_path.clone();
            stack.push(k);
            self.expand_component(component, &mut chain, &mut stack);
        }
        chain.push(k);
        on_path.push(k);
        let parents: Vec<(usize, Via)> = self
            .parents
            .get(k)
            .map(|p| {
                p.iter()
                    .copied()
                    .filter(|(p, _)| !on_path.contains(p))
                    .collect()
            })
            .unwrap_or_default();
        if parents.is_empty() || on_path.len() > MAX_DEPTH {
            chains.push(chain);
        } else {
            for (parent, via) in parents {
                self.climb(parent, via, chain.clone(), on_path, chains);
            }
        }
        on_path.pop();
    }

    /// Appends a component's transformations (its own components first, then itself).
    fn expand_component(&self, component: usize, chain: &mut Vec<usize>, stack: &mut Vec<usize>) {
        if stack.contains(&component) || stack.len() > MAX_DEPTH || chain.len() >= MAX_CHAIN_LEN {
            return;
        }
        let Some(kust) = self.kusts.get(component) else {
            return;
        };
        stack.push(component);
        for &inner in &kust.components {
            self.expand_component(inner, chain, stack);
        }
        chain.push(component);
        stack.pop();
    }

    /// Applies the patches of one chain; `None` when none changed the document.
    fn apply_chain(
        &self,
        chain: &[usize],
        root: &Node,
        patch_files: &impl PatchRoots,
    ) -> Option<PatchedBuild> {
        let built = apply_steps(&self.steps_of(chain), root, patch_files);
        if built.patched_by.is_empty() {
            return None;
        }
        let build = chain
            .last()
            .and_then(|&k| self.kusts.get(k))
            .map(|k| k.path.clone())
            .unwrap_or_default();
        Some(PatchedBuild {
            build,
            root: built.root,
            kustomizations: built.patched_by,
        })
    }

    /// The steps of a chain of kustomizations.
    fn steps_of(&self, chain: &[usize]) -> Vec<Step<'_>> {
        chain
            .iter()
            .filter_map(|&k| self.kusts.get(k))
            .map(|kust| Step {
                path: &kust.path,
                flux_kustomization: None,
                patches: &kust.patches,
                namespace: kust.namespace.as_ref().map(|(n, o)| (n.as_str(), *o)),
                name_prefix: kust.name_prefix.as_ref(),
                name_suffix: kust.name_suffix.as_ref(),
                labels: &kust.labels,
            })
            .collect()
    }

    /// Every chain of kustomizations that includes `path` (see the module doc), innermost
    /// first.
    pub fn chains_of(&self, path: &str) -> Vec<Chain> {
        self.chains_for(path).into_iter().map(Chain).collect()
    }

    /// The part of `chain` up to and including the kustomization of directory `dir` (what a
    /// Flux Kustomization whose `spec.path` is `dir` builds); `None` when the chain does not
    /// pass through it.
    pub fn cut_at(&self, chain: &Chain, dir: &str) -> Option<Chain> {
        let &k = self.by_dir.get(dir)?;
        let position = chain.0.iter().position(|&c| c == k)?;
        Some(Chain(chain.0[..=position].to_vec()))
    }

    /// The chain a component directory `dir` applies (its own components first, then itself),
    /// as a Flux Kustomization's `spec.components` entry does; `None` without a kustomization.
    pub fn component_chain(&self, dir: &str) -> Option<Chain> {
        let &k = self.by_dir.get(dir)?;
        let mut chain = Vec::new();
        self.expand_component(k, &mut chain, &mut Vec::new());
        Some(Chain(chain))
    }

    /// The directory of each kustomization of a chain, innermost first.
    pub fn chain_dirs(&self, chain: &Chain) -> Vec<String> {
        chain
            .0
            .iter()
            .filter_map(|&k| self.kusts.get(k))
            .map(|kust| parent_dir(&kust.path))
            .collect()
    }

    /// The steps of a chain, to give to [`apply_steps`] with others.
    pub fn steps(&self, chain: &Chain) -> Vec<Step<'_>> {
        self.steps_of(&chain.0)
    }
}

/// A chain of kustomizations one build applies to an object, innermost first (see the module
/// doc). Made by [`KustomizeView::chains_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain(Vec<usize>);

/// Reads the object of a (patched) document root, as [`flux::read_objects`] would read it from
/// document `document` of the file at `path`. Fields that came from a patch have the
/// [`FROM_PATCH`] range.
pub fn read_object_from_root(path: &str, document: usize, root: &Node) -> Option<FluxObject> {
    let file = YamlFile {
        documents: vec![Document {
            range: root.range.clone(),
            root: Some(root.clone()),
            parsed: true,
            oversized: false,
            has_error: false,
            start_marker: None,
        }],
        ..YamlFile::default()
    };
    let mut object = flux::read_objects(path, &file).into_iter().next()?;
    let origin = match &mut object {
        FluxObject::Policy(o) => &mut o.origin,
        FluxObject::Repository(o) => &mut o.origin,
        FluxObject::Automation(o) => &mut o.origin,
        FluxObject::FluxKustomization(o) => &mut o.origin,
        FluxObject::Kustomize(o) => &mut o.origin,
    };
    origin.document = document;
    Some(object)
}

/// Reads the kustomize components (`kind: Component` of `kustomize.config.k8s.io`) of a parsed
/// file, which [`flux::read_objects`] does not return, so that they can be given to
/// [`KustomizeView::new`] with the other kustomizations.
pub fn read_components(path: &str, file: &YamlFile) -> Vec<KustomizeFile> {
    let mut components = Vec::new();
    for (number, document) in file.documents.iter().enumerate() {
        let Some(root) = &document.root else { continue };
        let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        if !(api_version.starts_with("kustomize.config.k8s.io/") && kind == "Component") {
            continue;
        }
        let mut synthetic = root.clone();
        if let NodeValue::Mapping(entries) = &mut synthetic.value {
            for entry in entries.iter_mut() {
                if entry.key.as_str() == Some("kind")
                    && let Some(value) = &mut entry.value
                {
                    value.value = NodeValue::Scalar(Scalar {
                        style: ScalarStyle::Plain,
                        value: "Kustomization".to_string(),
                    });
                }
            }
        }
        if let Some(FluxObject::Kustomize(mut kustomization)) =
            read_object_from_root(path, number, &synthetic)
        {
            kustomization.origin.range = root.range.clone();
            components.push(kustomization);
        }
    }
    components
}

/// Whether two nodes are the same, content and ranges.
pub(crate) fn same_content(a: &Node, b: &Node) -> bool {
    same_node(a, b, true)
}

/// `metadata.<key>` as a string.
fn metadata_str<'a>(root: &'a Node, key: &str) -> Option<&'a str> {
    root.path(&["metadata", key]).and_then(Node::as_str)
}

/// `metadata.<key>` (labels or annotations) as a map of strings.
fn metadata_map(root: &Node, key: &str) -> BTreeMap<String, String> {
    flux::string_map(root.path(&["metadata", key]))
}
