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
//! This module owns only that model. It must not do I/O (the caller hands it parsed files), must
//! not validate objects or produce diagnostics (the index does), and must not panic on any
//! input: a patch that kustomize would reject is simply not applied.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::ops::Range;

use regex::Regex;

use crate::flux::{self, FluxObject, KustomizeFile, Patch, PatchTarget, normalise_dir};
use crate::yaml::{Document, Entry, Item, Node, NodeValue, Scalar, ScalarStyle, YamlFile};

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

/// Keys by which kustomize merges sequences of mappings when it has no schema for the object
/// (the case of every Flux custom resource), in the order it tries them.
const ASSOCIATIVE_KEYS: [&str; 7] = [
    "name",
    "mountPath",
    "devicePath",
    "ip",
    "type",
    "topologyKey",
    "containerPort",
];

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
    /// `namespace`, when set and not empty.
    namespace: Option<String>,
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
fn join(dir: &str, entry: &str) -> String {
    if dir.is_empty() || entry.starts_with('/') {
        normalise_dir(entry)
    } else {
        normalise_dir(&format!("{dir}/{entry}"))
    }
}

/// The directory of a repository-relative file path.
fn parent_dir(path: &str) -> String {
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
                namespace: k.namespace.clone().filter(|n| !n.is_empty()),
                components,
                patches,
            });
        }
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
                        namespace: kust.namespace.clone()?,
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
        self.kusts.iter().any(|kust| parent_dir(&kust.path) == dir)
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
    /// that file, innermost kustomization first. Returns the patched root and the paths of the
    /// kustomizations whose patches changed it, or `None` when nothing applied. When several
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
        let mut current = root.clone();
        // Namespaces the object has had (kustomize matches untargeted patches on any of them).
        let mut history = vec![metadata_str(root, "namespace").unwrap_or("").to_string()];
        let mut namespace_override: Option<String> = None;
        let mut changed_by = Vec::new();
        for &k in chain {
            let Some(kust) = self.kusts.get(k) else {
                continue;
            };
            let before = current.clone();
            for patch in &kust.patches {
                let bodies: Vec<&Node> = match (&patch.inline, &patch.file) {
                    (Some(inline), _) => vec![inline],
                    (None, Some(file)) => patch_files.roots(file).iter().collect(),
                    (None, None) => Vec::new(),
                };
                for body in bodies {
                    let namespace = namespace_override
                        .clone()
                        .or_else(|| metadata_str(&current, "namespace").map(str::to_string))
                        .unwrap_or_default();
                    apply_one(
                        &mut current,
                        body,
                        patch.target.as_ref(),
                        &namespace,
                        &history,
                    );
                }
            }
            if !same_node(&before, &current, true) && !changed_by.contains(&kust.path) {
                changed_by.push(kust.path.clone());
            }
            if let Some(namespace) = &kust.namespace {
                namespace_override = Some(namespace.clone());
                history.push(namespace.clone());
            }
        }
        if changed_by.is_empty() {
            return None;
        }
        let build = chain
            .last()
            .and_then(|&k| self.kusts.get(k))
            .map(|k| k.path.clone())
            .unwrap_or_default();
        Some(PatchedBuild {
            build,
            root: current,
            kustomizations: changed_by,
        })
    }
}

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

/// `metadata.<key>` as a string.
fn metadata_str<'a>(root: &'a Node, key: &str) -> Option<&'a str> {
    root.path(&["metadata", key]).and_then(Node::as_str)
}

/// `metadata.<key>` (labels or annotations) as a map of strings.
fn metadata_map(root: &Node, key: &str) -> BTreeMap<String, String> {
    flux::string_map(root.path(&["metadata", key]))
}

/// A copy of a patch node with every range rewritten to [`FROM_PATCH`].
pub fn mark_from_patch(node: &Node) -> Node {
    Node {
        range: FROM_PATCH,
        tag: node.tag.as_ref().map(|_| FROM_PATCH),
        in_flow: node.in_flow,
        value: match &node.value {
            NodeValue::Mapping(entries) => NodeValue::Mapping(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: mark_from_patch(&e.key),
                        value: e.value.as_ref().map(mark_from_patch),
                        colon: None,
                    })
                    .collect(),
            ),
            NodeValue::Sequence(items) => NodeValue::Sequence(
                items
                    .iter()
                    .map(|i| Item {
                        dash: None,
                        value: i.value.as_ref().map(mark_from_patch),
                    })
                    .collect(),
            ),
            other => other.clone(),
        },
    }
}

/// Whether two nodes hold the same content (and, when `ranges`, the same ranges).
fn same_node(a: &Node, b: &Node, ranges: bool) -> bool {
    if ranges && (a.range != b.range || a.tag != b.tag) {
        return false;
    }
    match (&a.value, &b.value) {
        (NodeValue::Mapping(x), NodeValue::Mapping(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| {
                    same_node(&p.key, &q.key, ranges) && same_option(&p.value, &q.value, ranges)
                })
        }
        (NodeValue::Sequence(x), NodeValue::Sequence(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| same_option(&p.value, &q.value, ranges))
        }
        (NodeValue::Scalar(x), NodeValue::Scalar(y)) => x == y,
        (NodeValue::Alias(x), NodeValue::Alias(y)) => x == y,
        _ => false,
    }
}

fn same_option(a: &Option<Node>, b: &Option<Node>, ranges: bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_node(a, b, ranges),
        (None, None) => true,
        (Some(n), None) | (None, Some(n)) => !ranges && n.is_null(),
    }
}

/// Stores `new` in `slot`, keeping the old node (and its range) when the content is the same.
fn set_value(slot: &mut Option<Node>, new: Node) {
    if let Some(old) = slot
        && same_node(old, &new, false)
    {
        return;
    }
    *slot = Some(new);
}

/// A plain scalar that comes from a patch.
fn patch_scalar(value: &str) -> Node {
    Node {
        range: FROM_PATCH,
        tag: None,
        in_flow: false,
        value: NodeValue::Scalar(Scalar {
            style: ScalarStyle::Plain,
            value: value.to_string(),
        }),
    }
}

/// Applies one patch body to `root` when its target (or identity) selects it.
fn apply_one(
    root: &mut Node,
    body: &Node,
    target: Option<&PatchTarget>,
    namespace: &str,
    history: &[String],
) {
    if !root.is_mapping() {
        return;
    }
    if is_json6902(body) {
        // kustomize requires a target for JSON 6902 patches.
        let Some(target) = target else { return };
        if !selected(target, root, namespace) {
            return;
        }
        let mut patched = root.clone();
        if apply_json6902(&mut patched, body).is_some() {
            *root = patched;
        }
        return;
    }
    if !body.is_mapping() {
        return;
    }
    match target {
        Some(target) => {
            if !selected(target, root, namespace) {
                return;
            }
        }
        None => {
            if !identity_matches(body, root, history) {
                return;
            }
        }
    }
    // Deleting the whole object is not modelled: the document is kept as it is.
    if body.get("$patch").and_then(Node::as_str) == Some("delete") {
        return;
    }
    let body = without_identity(&mark_from_patch(body));
    merge_mapping(root, &body);
}

/// Whether a patch body is a JSON 6902 operation list: a sequence of mappings with `op`.
fn is_json6902(body: &Node) -> bool {
    matches!(&body.value, NodeValue::Sequence(items)
        if items.iter().all(|i| i.value.as_ref().is_some_and(|v| v.get("op").is_some())))
}

/// Whether an untargeted strategic-merge patch names the object: same kind and name, same
/// apiVersion when the patch gives one, and a namespace the object has had when it gives one.
fn identity_matches(patch: &Node, root: &Node, history: &[String]) -> bool {
    let kind = patch.get("kind").and_then(Node::as_str);
    let name = metadata_str(patch, "name");
    if kind.is_none() || kind != root.get("kind").and_then(Node::as_str) {
        return false;
    }
    if name.is_none() || name != metadata_str(root, "name") {
        return false;
    }
    if let Some(api_version) = patch.get("apiVersion").and_then(Node::as_str)
        && Some(api_version) != root.get("apiVersion").and_then(Node::as_str)
    {
        return false;
    }
    match metadata_str(patch, "namespace") {
        None => true,
        Some(namespace) => history.iter().any(|seen| same_namespace(seen, namespace)),
    }
}

/// Namespaces compare with "" meaning `default`.
fn same_namespace(a: &str, b: &str) -> bool {
    let effective = |n: &str| if n.is_empty() { "default" } else { n }.to_string();
    effective(a) == effective(b)
}

/// A strategic-merge patch without the fields that only say which object it patches.
fn without_identity(body: &Node) -> Node {
    let mut body = body.clone();
    if let NodeValue::Mapping(entries) = &mut body.value {
        entries.retain(|e| !matches!(e.key.as_str(), Some("apiVersion" | "kind")));
        for entry in entries.iter_mut() {
            if entry.key.as_str() == Some("metadata")
                && let Some(NodeValue::Mapping(meta)) = entry.value.as_mut().map(|v| &mut v.value)
            {
                meta.retain(|e| !matches!(e.key.as_str(), Some("name" | "namespace")));
            }
        }
    }
    body
}

/// Whether `target` selects the object `root` (whose current namespace is `namespace`).
fn selected(target: &PatchTarget, root: &Node, namespace: &str) -> bool {
    if let Some(kind) = &target.kind
        && root.get("kind").and_then(Node::as_str) != Some(kind.as_str())
    {
        return false;
    }
    if let Some(name) = &target.name
        && !anchored_match(name, metadata_str(root, "name").unwrap_or(""))
    {
        return false;
    }
    if let Some(wanted) = &target.namespace
        && !(anchored_match(wanted, namespace)
            || (namespace.is_empty() && anchored_match(wanted, "default")))
    {
        return false;
    }
    if let Some(selector) = &target.label_selector
        && !Selector::parse(selector).is_some_and(|s| s.matches(&metadata_map(root, "labels")))
    {
        return false;
    }
    if let Some(selector) = &target.annotation_selector
        && !Selector::parse(selector).is_some_and(|s| s.matches(&metadata_map(root, "annotations")))
    {
        return false;
    }
    true
}

/// Whether `pattern`, anchored at both ends as kustomize anchors target names, matches `text`.
/// An invalid pattern matches nothing (kustomize fails the build).
fn anchored_match(pattern: &str, text: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(text))
}

/// One requirement of a Kubernetes label selector string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    /// `key=value`, `key==value`.
    Equals(String, String),
    /// `key!=value` (true when the key is absent).
    NotEquals(String, String),
    /// `key in (a,b)`.
    In(String, Vec<String>),
    /// `key notin (a,b)` (true when the key is absent).
    NotIn(String, Vec<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    NotExists(String),
    /// `key>n`.
    Greater(String, i64),
    /// `key<n`.
    Less(String, i64),
}

/// A parsed label (or annotation) selector string, such as `app=web,tier in (a,b),!legacy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses a selector string with the operators `=`, `==`, `!=`, `in`, `notin`, `>`, `<`,
    /// exists (`key`) and not-exists (`!key`). `None` when it is malformed; the empty string
    /// selects everything.
    pub fn parse(text: &str) -> Option<Selector> {
        let mut requirements = Vec::new();
        if text.trim().is_empty() {
            return Some(Selector { requirements });
        }
        let mut depth = 0usize;
        let mut start = 0;
        let mut parts = Vec::new();
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.checked_sub(1)?,
                ',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if depth != 0 {
            return None;
        }
        parts.push(&text[start..]);
        for part in parts {
            requirements.push(Self::requirement(part.trim())?);
        }
        Some(Selector { requirements })
    }

    fn requirement(part: &str) -> Option<Requirement> {
        let valid_key = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        };
        let valid_value = |v: &str| {
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if let Some(key) = part.strip_prefix('!')
            && !key.starts_with('=')
        {
            let key = key.trim();
            return valid_key(key).then(|| Requirement::NotExists(key.to_string()));
        }
        if let Some(open) = part.find('(') {
            let inner = part[open + 1..].strip_suffix(')')?;
            let mut head = part[..open].split_whitespace();
            let (key, op) = (head.next()?, head.next()?);
            if head.next().is_some() || !valid_key(key) {
                return None;
            }
            let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
            if !values.iter().all(|v| valid_value(v)) {
                return None;
            }
            return match op {
                "in" => Some(Requirement::In(key.to_string(), values)),
                "notin" => Some(Requirement::NotIn(key.to_string(), values)),
                _ => None,
            };
        }
        for op in ["!=", "==", "=", ">", "<"] {
            if let Some((key, value)) = part.split_once(op) {
                let (key, value) = (key.trim(), value.trim());
                if !valid_key(key) || !valid_value(value) {
                    return None;
                }
                let (key, value) = (key.to_string(), value.to_string());
                return match op {
                    "!=" => Some(Requirement::NotEquals(key, value)),
                    "==" | "=" => Some(Requirement::Equals(key, value)),
                    ">" => Some(Requirement::Greater(key, value.parse().ok()?)),
                    _ => Some(Requirement::Less(key, value.parse().ok()?)),
                };
            }
        }
        valid_key(part).then(|| Requirement::Exists(part.to_string()))
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::Greater(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Requirement::Less(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Strategic merge.

/// The `$patch` directive of a mapping.
fn directive(node: &Node) -> Option<&str> {
    node.get("$patch").and_then(Node::as_str)
}

/// A copy without `$…` directive keys, at any depth.
fn strip_directives(node: &Node) -> Node {
    let mut node = node.clone();
    match &mut node.value {
        NodeValue::Mapping(entries) => {
            entries.retain(|e| !e.key.as_str().is_some_and(|k| k.starts_with('$')));
            for entry in entries.iter_mut() {
                if let Some(value) = &entry.value {
                    entry.value = Some(strip_directives(value));
                }
            }
        }
        NodeValue::Sequence(items) => {
            items.retain(|i| {
                !i.value.as_ref().is_some_and(|v| {
                    v.is_mapping() && v.entries().len() == 1 && directive(v).is_some()
                })
            });
            for item in items.iter_mut() {
                if let Some(value) = &item.value {
                    item.value = Some(strip_directives(value));
                }
            }
        }
        _ => {}
    }
    node
}

/// Merges the mapping `patch` into the mapping `target`: mappings merge recursively, `null` and
/// `$patch: delete` remove a key, `$patch: replace` replaces, scalars replace, sequences of
/// mappings merge by an associative key and other sequences replace.
fn merge_mapping(target: &mut Node, patch: &Node) {
    let NodeValue::Mapping(entries) = &mut target.value else {
        *target = strip_directives(patch);
        return;
    };
    for patch_entry in patch.entries() {
        let Some(key) = patch_entry.key.as_str() else {
            continue;
        };
        if key.starts_with('$') {
            continue;
        }
        let existing = entries.iter().rposition(|e| e.key.as_str() == Some(key));
        let value = match &patch_entry.value {
            Some(value) if !value.is_null() => value,
            _ => {
                entries.retain(|e| e.key.as_str() != Some(key));
                continue;
            }
        };
        if value.is_mapping() && directive(value) == Some("delete") {
            entries.retain(|e| e.key.as_str() != Some(key));
            continue;
        }
        let Some(index) = existing else {
            entries.push(Entry {
                key: patch_entry.key.clone(),
                value: Some(strip_directives(value)),
                colon: None,
            });
            continue;
        };
        let slot = &mut entries[index].value;
        match (slot.as_mut(), &value.value) {
            (Some(old), NodeValue::Mapping(_))
                if old.is_mapping() && directive(value) != Some("replace") =>
            {
                merge_mapping(old, value);
            }
            (Some(old), NodeValue::Sequence(_)) if matches!(old.value, NodeValue::Sequence(_)) => {
                merge_sequence(old, value);
            }
            _ => set_value(slot, strip_directives(value)),
        }
    }
}

/// Merges sequence `patch` into sequence `target`.
fn merge_sequence(target: &mut Node, patch: &Node) {
    let patch_items: Vec<&Node> = patch
        .items()
        .iter()
        .filter_map(|i| i.value.as_ref())
        .collect();
    let replace = patch_items
        .iter()
        .any(|v| v.is_mapping() && directive(v) == Some("replace"));
    let key = ASSOCIATIVE_KEYS.iter().copied().find(|key| {
        let keyed = |v: &Node| v.get(key).and_then(Node::as_str).is_some();
        !patch_items.is_empty()
            && patch_items
                .iter()
                .filter(|v| !(v.entries().len() == 1 && directive(v).is_some()))
                .all(|v| keyed(v))
            && target
                .items()
                .iter()
                .all(|i| i.value.as_ref().is_some_and(keyed))
    });
    let (Some(key), false) = (key, replace) else {
        let mut slot = Some(target.clone());
        set_value(&mut slot, strip_directives(patch));
        if let Some(new) = slot {
            *target = new;
        }
        return;
    };
    let NodeValue::Sequence(items) = &mut target.value else {
        return;
    };
    for element in patch_items {
        let Some(id) = element.get(key).and_then(Node::as_str) else {
            continue;
        };
        let position = items.iter().position(|i| {
            i.value
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(Node::as_str)
                == Some(id)
        });
        match (position, directive(element)) {
            (Some(p), Some("delete")) => {
                items.remove(p);
            }
            (None, Some("delete")) => {}
            (Some(p), Some("replace")) => items[p].value = Some(strip_directives(element)),
            (Some(p), _) => {
                if let Some(old) = &mut items[p].value {
                    merge_mapping(old, element);
                }
            }
            (None, _) => items.push(Item {
                dash: None,
                value: Some(strip_directives(element)),
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON 6902.

/// Applies a JSON 6902 operation list; `None` (and a partly changed `root`, which the caller
/// discards) when an operation fails, as kustomize fails the whole patch.
fn apply_json6902(root: &mut Node, ops: &Node) -> Option<()> {
    for item in ops.items() {
        let op = item.value.as_ref()?;
        let path = pointer(op.get("path")?.as_str()?)?;
        let value = || -> Option<Node> {
            let entry = op.entry("value")?;
            Some(match &entry.value {
                Some(v) => mark_from_patch(v),
                None => patch_scalar("null"),
            })
        };
        match op.get("op")?.as_str()? {
            "add" => add(root, &path, value()?)?,
            "replace" => replace(root, &path, value()?)?,
            "remove" => {
                remove(root, &path)?;
            }
            "copy" => {
                let from = pointer(op.get("from")?.as_str()?)?;
                let copied = get(root, &from)?;
                add(root, &path, mark_from_patch(&copied))?;
            }
            "move" => {
                let from = pointer(op.get("from")?.as_str()?)?;
                if path.starts_with(&from) && path.len() > from.len() {
                    return None;
                }
                let moved = remove(root, &from)?;
                add(root, &path, moved)?;
            }
            "test" => {
                if !same_node(&get(root, &path)?, &value()?, false) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(())
}

/// The reference tokens of a JSON pointer (`~1` is `/`, `~0` is `~`).
fn pointer(text: &str) -> Option<Vec<String>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let rest = text.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// A sequence index token (no sign, no leading zero).
fn index_token(token: &str, len: usize) -> Option<usize> {
    if token.is_empty()
        || !token.bytes().all(|b| b.is_ascii_digit())
        || (token.len() > 1 && token.starts_with('0'))
    {
        return None;
    }
    token.parse().ok().filter(|&i| i < len)
}

/// The node at `path` (a null node for an empty value).
fn get(root: &Node, path: &[String]) -> Option<Node> {
    let mut node = root;
    for token in path {
        let next = match &node.value {
            NodeValue::Mapping(_) => node.entry(token)?.value.as_ref(),
            NodeValue::Sequence(items) => {
                items.get(index_token(token, items.len())?)?.value.as_ref()
            }
            _ => return None,
        };
        match next {
            Some(next) => node = next,
            None => return Some(patch_scalar("null")),
        }
    }
    Some(node.clone())
}

/// The node at `path`, mutably.
fn get_mut<'a>(root: &'a mut Node, path: &[String]) -> Option<&'a mut Node> {
    let mut node = root;
    for token in path {
        node = match &mut node.value {
            NodeValue::Mapping(entries) => entries
                .iter_mut()
                .rev()
                .find(|e| e.key.as_str() == Some(token.as_str()))?
                .value
                .as_mut()?,
            NodeValue::Sequence(items) => {
                let len = items.len();
                items.get_mut(index_token(token, len)?)?.value.as_mut()?
            }
            _ => return None,
        };
    }
    Some(node)
}

fn add(root: &mut Node, path: &[String], value: Node) -> Option<()> {
    let Some((last, parent_path)) = path.split_last() else {
        *root = value;
        return Some(());
    };
    let parent = get_mut(root, parent_path)?;
    match &mut parent.value {
        NodeValue::Mapping(entries) => {
            match entries
                .iter_mut()
                .rev()
                .find(|e| e.key.as_str() == Some(last.as_str()))
            {
                Some(entry) => set_value(&mut entry.value, value),
                None => entries.push(Entry {
                    key: patch_scalar(last),
                    value: Some(value),
                    colon: None,
                }),
            }
        }
        NodeValue::Sequence(items) => {
            let item = Item {
                dash: None,
                value: Some(value),
            };
            if last == "-" {
                items.push(item);
            } else {
                let index = index_token(last, items.len() + 1)?;
                items.insert(index, item);
            }
        }
        _ => return None,
    }
    Some(())
}

fn replace(root: &mut Node, path: &[String], value: Node) -> Option<()> {
    let Some((last, parent_path)) = path.split_last() else {
        *root = value;
        return Some(());
    };
    let parent = get_mut(root, parent_path)?;
    let slot = match &mut parent.value {
        NodeValue::Mapping(entries) => {
            &mut entries
                .iter_mut()
                .rev()
                .find(|e| e.key.as_str() == Some(last.as_str()))?
                .value
        }
        NodeValue::Sequence(items) => {
            let len = items.len();
            &mut items.get_mut(index_token(last, len)?)?.value
        }
        _ => return None,
    };
    set_value(slot, value);
    Some(())
}

/// Removes the node at `path` and returns it.
fn remove(root: &mut Node, path: &[String]) -> Option<Node> {
    let (last, parent_path) = path.split_last()?;
    let parent = get_mut(root, parent_path)?;
    match &mut parent.value {
        NodeValue::Mapping(entries) => {
            let index = entries
                .iter()
                .rposition(|e| e.key.as_str() == Some(last.as_str()))?;
            let entry = entries.remove(index);
            Some(entry.value.unwrap_or_else(|| patch_scalar("null")))
        }
        NodeValue::Sequence(items) => {
            let index = index_token(last, items.len())?;
            let item = items.remove(index);
            Some(item.value.unwrap_or_else(|| patch_scalar("null")))
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::flux::Origin;

    fn root(text: &str) -> Node {
        crate::yaml::parse(text.as_bytes())
            .documents
            .into_iter()
            .find_map(|d| d.root)
            .unwrap()
    }

    fn kustomization(path: &str, text: &str) -> KustomizeFile {
        let file = crate::yaml::parse(text.as_bytes());
        match flux::read_objects(path, &file).into_iter().next() {
            Some(FluxObject::Kustomize(k)) => k,
            other => {
                // Components are read by `read_components`.
                let mut components = read_components(path, &file);
                assert!(
                    other.is_none() && components.len() == 1,
                    "{path}: not a kustomization"
                );
                components.remove(0)
            }
        }
    }

    fn view(files: &[(&str, &str)]) -> KustomizeView {
        let kustomizations: Vec<_> = files.iter().map(|(p, t)| kustomization(p, t)).collect();
        KustomizeView::new(&kustomizations)
    }

    fn ns(view: &KustomizeView, path: &str) -> Option<(String, String)> {
        view.namespace_for(path)
            .map(|s| (s.namespace, s.kustomization))
    }

    fn some(namespace: &str, kustomization: &str) -> Option<(String, String)> {
        Some((namespace.to_string(), kustomization.to_string()))
    }

    const POLICY: &str = "apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
  labels:
    team: web
    tier: front
  annotations:
    fluxtag.io/track: semver
spec:
  imageRepositoryRef:
    name: app
";

    fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
        node.path(path).and_then(Node::as_str)
    }

    // --- namespaces -------------------------------------------------------------------------

    #[test]
    fn namespace_direct() {
        let v = view(&[(
            "apps/kustomization.yaml",
            "namespace: apps\nresources:\n- policy.yaml\n",
        )]);
        assert_eq!(
            ns(&v, "apps/policy.yaml"),
            some("apps", "apps/kustomization.yaml")
        );
        assert_eq!(
            ns(&v, "./apps/policy.yaml"),
            some("apps", "apps/kustomization.yaml")
        );
        assert!(v.is_included("apps/policy.yaml"));
    }

    #[test]
    fn namespace_not_included_is_none() {
        let v = view(&[(
            "apps/kustomization.yaml",
            "namespace: apps\nresources:\n- policy.yaml\n",
        )]);
        assert_eq!(ns(&v, "apps/other.yaml"), None);
        assert_eq!(ns(&v, "elsewhere/policy.yaml"), None);
        let none = view(&[("apps/kustomization.yaml", "resources:\n- policy.yaml\n")]);
        assert_eq!(ns(&none, "apps/policy.yaml"), None);
    }

    #[test]
    fn namespace_through_base_chain_and_outermost_wins() {
        let v = view(&[
            (
                "base/kustomization.yaml",
                "namespace: base\nresources:\n- policy.yaml\n",
            ),
            ("mid/kustomization.yaml", "resources:\n- ../base\n"),
            (
                "prod/kustomization.yaml",
                "namespace: prod\nresources:\n- ../mid/\n",
            ),
        ]);
        assert_eq!(
            ns(&v, "base/policy.yaml"),
            some("prod", "prod/kustomization.yaml")
        );

        let inner_only = view(&[
            (
                "base/kustomization.yaml",
                "namespace: base\nresources:\n- policy.yaml\n",
            ),
            ("prod/kustomization.yaml", "resources:\n- ../base\n"),
        ]);
        assert_eq!(
            ns(&inner_only, "base/policy.yaml"),
            some("base", "base/kustomization.yaml")
        );
    }

    #[test]
    fn namespace_of_several_overlays() {
        let v = view(&[
            ("base/kustomization.yaml", "resources:\n- policy.yaml\n"),
            (
                "staging/kustomization.yaml",
                "namespace: staging\nresources:\n- ../base\n",
            ),
            (
                "prod/kustomization.yaml",
                "namespace: prod\nresources:\n- ../base\n",
            ),
        ]);
        let all: Vec<_> = v
            .namespaces_for("base/policy.yaml")
            .into_iter()
            .map(|s| s.namespace)
            .collect();
        assert_eq!(all, ["prod", "staging"]);
        assert_eq!(
            ns(&v, "base/policy.yaml"),
            some("prod", "prod/kustomization.yaml")
        );
    }

    #[test]
    fn namespace_through_components() {
        let v = view(&[
            (
                "components/images/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- policy.yaml\n",
            ),
            (
                "app/kustomization.yaml",
                "namespace: app\ncomponents:\n- ../components/images\n",
            ),
        ]);
        assert_eq!(
            ns(&v, "components/images/policy.yaml"),
            some("app", "app/kustomization.yaml")
        );
    }

    #[test]
    fn namespace_cycles_terminate() {
        let v = view(&[
            (
                "a/kustomization.yaml",
                "namespace: a\nresources:\n- policy.yaml\n- ../b\n",
            ),
            ("b/kustomization.yaml", "resources:\n- ../a\n"),
            ("c/kustomization.yaml", "resources:\n- ../c\n- p.yaml\n"),
        ]);
        // a → b → a: the chain stops before repeating a; a is the outermost setter.
        assert_eq!(ns(&v, "a/policy.yaml"), some("a", "a/kustomization.yaml"));
        assert_eq!(ns(&v, "c/p.yaml"), None);
    }

    #[test]
    fn other_kustomization_names_and_remote_entries() {
        let v = view(&[
            (
                "x/Kustomization",
                "namespace: x\nresources:\n- p.yaml\n- https://github.com/a/b//c?ref=v1\n",
            ),
            (
                "y/other.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: y\nresources:\n- p.yaml\n",
            ),
        ]);
        assert_eq!(ns(&v, "x/p.yaml"), some("x", "x/Kustomization"));
        // kustomize never loads `other.yaml` as a kustomization.
        assert_eq!(ns(&v, "y/p.yaml"), None);
    }

    // --- patch files --------------------------------------------------------------------------

    #[test]
    fn patch_files_and_patch_only_files() {
        let v = view(&[(
            "prod/kustomization.yaml",
            "resources:\n- ../base\n- both.yaml\npatches:\n- path: policy-patch.yaml\n- path: ./sub/../both.yaml\n- path: https://example.com/p.yaml\npatchesStrategicMerge:\n- smp.yaml\n",
        )]);
        assert_eq!(
            v.patch_files(),
            ["prod/both.yaml", "prod/policy-patch.yaml", "prod/smp.yaml"]
        );
        assert!(v.is_patch_file("prod/policy-patch.yaml"));
        assert!(v.is_patch_file("prod/smp.yaml"));
        assert!(!v.is_patch_file("prod/both.yaml"));
        assert!(!v.is_patch_file("prod/other.yaml"));
    }

    // --- strategic merge ----------------------------------------------------------------------

    #[test]
    fn strategic_merge_completes_a_base_policy() {
        let v = view(&[
            ("base/kustomization.yaml", "resources:\n- policy.yaml\n"),
            (
                "prod/kustomization.yaml",
                "namespace: prod\nresources:\n- ../base\npatches:\n- path: policy-patch.yaml\n",
            ),
        ]);
        let patch = root(
            "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
        );
        let mut files = HashMap::new();
        files.insert("prod/policy-patch.yaml".to_string(), patch);
        let base = root(POLICY);
        let (patched, by) = v.apply_patches("base/policy.yaml", &base, &files).unwrap();
        assert_eq!(by, ["prod/kustomization.yaml"]);
        assert_eq!(
            str_at(&patched, &["spec", "policy", "semver", "range"]),
            Some(">=1.0.0")
        );
        // Fields of the base keep their ranges; the name was not touched.
        assert_eq!(
            patched.path(&["metadata", "name"]).unwrap().range,
            base.path(&["metadata", "name"]).unwrap().range
        );
        assert_eq!(
            patched
                .path(&["spec", "imageRepositoryRef", "name"])
                .unwrap()
                .range,
            base.path(&["spec", "imageRepositoryRef", "name"])
                .unwrap()
                .range
        );
        // Everything from the patch has the sentinel range.
        let policy = patched.path(&["spec", "policy"]).unwrap();
        assert_eq!(policy.range, FROM_PATCH);
        assert_eq!(policy.path(&["semver", "range"]).unwrap().range, FROM_PATCH);
        assert_eq!(
            patched.path(&["spec"]).unwrap().entries()[1].key.range,
            FROM_PATCH
        );
        assert!(
            patched.path(&["spec"]).unwrap().entries()[1]
                .colon
                .is_none()
        );

        // Read back as an ImagePolicy, the rule is there: it must not be reported invalid.
        let Some(FluxObject::Policy(object)) =
            read_object_from_root("base/policy.yaml", 0, &patched)
        else {
            panic!("not a policy")
        };
        let range = object.policy.semver_range.unwrap();
        assert_eq!(range.value, ">=1.0.0");
        assert_eq!(range.range, FROM_PATCH);
        assert_eq!(object.origin.path, "base/policy.yaml");

        // Not included by prod: no patch applies.
        assert!(
            v.apply_patches("elsewhere/policy.yaml", &base, &files)
                .is_none()
        );
    }

    #[test]
    fn strategic_merge_needs_the_same_identity() {
        let base = root(POLICY);
        for patch in [
            "kind: ImagePolicy\nmetadata:\n  name: other\nspec:\n  policy: {}\n",
            "kind: ImageRepository\nmetadata:\n  name: app\nspec:\n  policy: {}\n",
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  policy: {}\n",
            "kind: ImagePolicy\nmetadata:\n  name: app\n  namespace: elsewhere\nspec:\n  policy: {}\n",
        ] {
            let v = view(&[(
                "k/kustomization.yaml",
                &format!(
                    "resources:\n- p.yaml\npatchesStrategicMerge:\n- |-\n{}",
                    indent(patch)
                ),
            )]);
            assert!(
                v.apply_patches("k/p.yaml", &base, &HashMap::<String, Node>::new())
                    .is_none(),
                "{patch}"
            );
        }
        // The namespace the object had before an inner kustomization changed it still matches.
        let v = view(&[
            (
                "base/kustomization.yaml",
                "namespace: base\nresources:\n- p.yaml\n",
            ),
            (
                "prod/kustomization.yaml",
                "resources:\n- ../base\npatchesStrategicMerge:\n- |-\n    kind: ImagePolicy\n    metadata:\n      name: app\n      namespace: default\n    spec:\n      x: 1\n",
            ),
        ]);
        let (patched, _) = v
            .apply_patches("base/p.yaml", &base, &HashMap::<String, Node>::new())
            .unwrap();
        assert_eq!(str_at(&patched, &["spec", "x"]), Some("1"));
        assert_eq!(str_at(&patched, &["metadata", "namespace"]), None);
    }

    fn indent(text: &str) -> String {
        text.lines().map(|l| format!("    {l}\n")).collect()
    }

    #[test]
    fn strategic_merge_rules() {
        let mut target = root(
            "spec:\n  keep: a\n  gone: b\n  alsoGone: {x: 1}\n  list: [1, 2]\n  containers:\n  - name: a\n    image: a:1\n  - name: b\n    image: b:1\n  - name: c\n    image: c:1\n  sub:\n    x: 1\n    y: 2\n",
        );
        let patch = mark_from_patch(&root(
            "spec:\n  gone: null\n  alsoGone:\n    $patch: delete\n  list: [3]\n  containers:\n  - name: b\n    image: b:2\n  - name: c\n    $patch: delete\n  - name: d\n    image: d:1\n  sub:\n    $patch: replace\n    z: 3\n  new: {k: v}\n",
        ));
        merge_mapping(&mut target, &patch);
        let spec = target.get("spec").unwrap();
        assert_eq!(str_at(spec, &["keep"]), Some("a"));
        assert!(spec.get("gone").is_none() && spec.entry("gone").is_none());
        assert!(spec.entry("alsoGone").is_none());
        let list: Vec<_> = spec
            .get("list")
            .unwrap()
            .items()
            .iter()
            .filter_map(|i| i.value.as_ref()?.as_str())
            .collect();
        assert_eq!(list, ["3"]);
        let containers: Vec<_> = spec
            .get("containers")
            .unwrap()
            .items()
            .iter()
            .map(|i| {
                let v = i.value.as_ref().unwrap();
                format!(
                    "{}={}",
                    str_at(v, &["name"]).unwrap(),
                    str_at(v, &["image"]).unwrap()
                )
            })
            .collect();
        assert_eq!(containers, ["a=a:1", "b=b:2", "d=d:1"]);
        let sub = spec.get("sub").unwrap();
        assert!(sub.get("x").is_none() && sub.get("$patch").is_none());
        assert_eq!(str_at(sub, &["z"]), Some("3"));
        assert_eq!(str_at(spec, &["new", "k"]), Some("v"));
    }

    #[test]
    fn unchanged_values_keep_their_ranges() {
        let v = view(&[(
            "k/kustomization.yaml",
            "resources:\n- p.yaml\npatches:\n- target:\n    kind: ImagePolicy\n  patch: |-\n    kind: ImagePolicy\n    metadata:\n      name: whatever\n    spec:\n      imageRepositoryRef:\n        name: app\n",
        )]);
        let base = root(POLICY);
        assert!(
            v.apply_patches("k/p.yaml", &base, &HashMap::<String, Node>::new())
                .is_none()
        );
    }

    // --- JSON 6902 ----------------------------------------------------------------------------

    fn json_patch(ops: &str) -> Option<Node> {
        let v = view(&[(
            "k/kustomization.yaml",
            &format!(
                "resources:\n- p.yaml\npatches:\n- target:\n    kind: ImagePolicy\n    name: app\n  patch: |-\n{}",
                indent(ops)
            ),
        )]);
        v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
            .map(|(node, _)| node)
    }

    #[test]
    fn json6902_add_replace_remove() {
        let patched = json_patch(
            "- op: add\n  path: /spec/policy\n  value:\n    semver:\n      range: 1.x\n- op: replace\n  path: /spec/policy/semver/range\n  value: 2.x\n- op: remove\n  path: /metadata/labels/tier\n- op: add\n  path: /metadata/annotations/a~1b~0c\n  value: slash\n- op: add\n  path: /spec/list\n  value: [a]\n- op: add\n  path: /spec/list/-\n  value: c\n- op: add\n  path: /spec/list/1\n  value: b\n",
        )
        .unwrap();
        assert_eq!(
            str_at(&patched, &["spec", "policy", "semver", "range"]),
            Some("2.x")
        );
        assert_eq!(
            patched
                .path(&["spec", "policy", "semver", "range"])
                .unwrap()
                .range,
            FROM_PATCH
        );
        assert!(patched.path(&["metadata", "labels", "tier"]).is_none());
        assert_eq!(
            str_at(&patched, &["metadata", "labels", "team"]),
            Some("web")
        );
        assert_eq!(
            str_at(&patched, &["metadata", "annotations", "a/b~c"]),
            Some("slash")
        );
        let list: Vec<_> = patched
            .path(&["spec", "list"])
            .unwrap()
            .items()
            .iter()
            .filter_map(|i| i.value.as_ref()?.as_str())
            .collect();
        assert_eq!(list, ["a", "b", "c"]);
    }

    #[test]
    fn json6902_in_json_syntax_and_failures() {
        let patched = json_patch(
            r#"[{"op": "add", "path": "/spec/policy", "value": {"numerical": {"order": "asc"}}}]"#,
        )
        .unwrap();
        assert_eq!(
            str_at(&patched, &["spec", "policy", "numerical", "order"]),
            Some("asc")
        );
        // A failing operation fails the whole patch.
        assert!(json_patch("- op: add\n  path: /spec/policy\n  value: {}\n- op: replace\n  path: /spec/missing\n  value: 1\n").is_none());
        assert!(json_patch("- op: remove\n  path: /spec/nothing\n").is_none());
        assert!(json_patch("- op: add\n  path: /no/parent\n  value: 1\n").is_none());
        assert!(json_patch("- op: frobnicate\n  path: /spec\n").is_none());
        // copy, move and test.
        let patched = json_patch("- op: test\n  path: /spec/imageRepositoryRef/name\n  value: app\n- op: copy\n  from: /spec/imageRepositoryRef\n  path: /spec/copy\n- op: move\n  from: /metadata/labels/team\n  path: /metadata/labels/owner\n").unwrap();
        assert_eq!(str_at(&patched, &["spec", "copy", "name"]), Some("app"));
        assert_eq!(
            patched.path(&["spec", "copy", "name"]).unwrap().range,
            FROM_PATCH
        );
        assert_eq!(
            str_at(&patched, &["metadata", "labels", "owner"]),
            Some("web")
        );
        assert!(json_patch("- op: test\n  path: /spec/imageRepositoryRef/name\n  value: other\n- op: add\n  path: /spec/x\n  value: 1\n").is_none());
    }

    #[test]
    fn json6902_needs_a_target() {
        let v = view(&[(
            "k/kustomization.yaml",
            "resources:\n- p.yaml\npatches:\n- patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
        )]);
        assert!(
            v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
                .is_none()
        );
    }

    #[test]
    fn json6902_from_a_file() {
        let v = view(&[(
            "k/kustomization.yaml",
            "resources:\n- p.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: ImagePolicy\n",
        )]);
        let mut files: HashMap<String, Vec<Node>> = HashMap::new();
        files.insert(
            "k/ops.yaml".into(),
            vec![root("- op: add\n  path: /spec/x\n  value: 1\n")],
        );
        let (patched, by) = v.apply_patches("k/p.yaml", &root(POLICY), &files).unwrap();
        assert_eq!(str_at(&patched, &["spec", "x"]), Some("1"));
        assert_eq!(by, ["k/kustomization.yaml"]);
    }

    // --- targets ------------------------------------------------------------------------------

    fn targeted(target: &str) -> bool {
        let v = view(&[
            (
                "base/kustomization.yaml",
                "namespace: apps\nresources:\n- p.yaml\n",
            ),
            (
                "k/kustomization.yaml",
                &format!(
                    "resources:\n- ../base\npatches:\n- target:\n{}  patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
                    indent(target)
                ),
            ),
        ]);
        v.apply_patches(
            "base/p.yaml",
            &root(POLICY),
            &HashMap::<String, Node>::new(),
        )
        .is_some()
    }

    #[test]
    fn target_selectors() {
        assert!(targeted("kind: ImagePolicy"));
        assert!(!targeted("kind: ImageRepository"));
        assert!(targeted("name: app"));
        assert!(targeted("name: a.*"));
        assert!(!targeted("name: ap"), "names are anchored");
        assert!(!targeted("name: '[invalid'"));
        assert!(targeted("namespace: apps"));
        assert!(targeted("namespace: app.*"));
        assert!(!targeted("namespace: other"));
        assert!(targeted("labelSelector: team=web"));
        assert!(targeted("labelSelector: team==web,tier"));
        assert!(!targeted("labelSelector: team!=web"));
        assert!(targeted("labelSelector: missing!=x"));
        assert!(targeted("labelSelector: team in (api, web)"));
        assert!(!targeted("labelSelector: team notin (api, web)"));
        assert!(targeted("labelSelector: missing notin (x)"));
        assert!(targeted("labelSelector: '!missing'"));
        assert!(!targeted("labelSelector: '!team'"));
        assert!(!targeted("labelSelector: missing"));
        assert!(!targeted("labelSelector: 'team in (web'"));
        assert!(targeted("annotationSelector: fluxtag.io/track=semver"));
        assert!(!targeted(
            "annotationSelector: fluxtag.io/track in (numerical)"
        ));
        assert!(targeted(
            "kind: ImagePolicy\nname: app\nnamespace: apps\nlabelSelector: tier=front"
        ));
        assert!(!targeted(
            "kind: ImagePolicy\nname: app\nnamespace: apps\nlabelSelector: tier=back"
        ));
    }

    #[test]
    fn namespace_target_sees_only_inner_namespaces() {
        // The kustomization's own namespace applies after its patches.
        let v = view(&[(
            "k/kustomization.yaml",
            "namespace: late\nresources:\n- p.yaml\npatches:\n- target:\n    namespace: late\n  patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
        )]);
        assert!(
            v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
                .is_none()
        );
    }

    #[test]
    fn selector_parsing() {
        let labels: BTreeMap<String, String> = [
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "x".to_string()),
        ]
        .into();
        let check = |s: &str| Selector::parse(s).map(|sel| sel.matches(&labels));
        assert_eq!(check(""), Some(true));
        assert_eq!(check("a=1, b = x"), Some(true));
        assert_eq!(check("a>0,a<2"), Some(true));
        assert_eq!(check("a>1"), Some(false));
        assert_eq!(check("a in (1),b notin (y, z),!c"), Some(true));
        assert_eq!(check("a,,b"), None);
        assert_eq!(check("a=1)"), None);
        assert_eq!(check("a=b=c"), None);
        assert_eq!(check("a foo (1)"), None);
    }

    // --- components and chains ----------------------------------------------------------------

    #[test]
    fn pathological_graphs_stay_bounded() {
        // Each component includes the next two: a naive expansion visits Fibonacci(60) nodes.
        let mut files: Vec<(String, String)> = (0..60)
            .map(|i| {
                (
                    format!("c{i}/kustomization.yaml"),
                    format!(
                        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c{}\n- ../c{}\n",
                        i + 1,
                        i + 2
                    ),
                )
            })
            .collect();
        // And each overlay includes the next two overlays' directories.
        files.extend((0..60).map(|i| {
            (
                format!("o{i}/kustomization.yaml"),
                format!(
                    "namespace: o{i}\nresources:\n- ../o{}\n- ../o{}\ncomponents:\n- ../c0\n",
                    i + 1,
                    i + 2
                ),
            )
        }));
        files.push((
            "o60/kustomization.yaml".into(),
            "resources:\n- p.yaml\n".into(),
        ));
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let v = view(&borrowed);
        assert!(v.namespace_for("o60/p.yaml").is_some());
        assert!(v.namespaces_for("o60/p.yaml").len() <= MAX_CHAINS);
        let _ = v.apply_patches("o60/p.yaml", &root(POLICY), &HashMap::<String, Node>::new());
    }

    #[test]
    fn component_patches_apply_to_the_includer_resources() {
        let v = view(&[
            (
                "components/rule/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- target:\n    kind: ImagePolicy\n  patch: |-\n    - op: add\n      path: /spec/policy\n      value: {alphabetical: {order: asc}}\n",
            ),
            (
                "app/kustomization.yaml",
                "resources:\n- p.yaml\ncomponents:\n- ../components/rule\n",
            ),
        ]);
        let (patched, by) = v
            .apply_patches("app/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
            .unwrap();
        assert_eq!(
            str_at(&patched, &["spec", "policy", "alphabetical", "order"]),
            Some("asc")
        );
        assert_eq!(by, ["components/rule/kustomization.yaml"]);
    }

    #[test]
    fn chains_apply_inner_first_and_per_build() {
        let v = view(&[
            (
                "base/kustomization.yaml",
                "resources:\n- p.yaml\npatches:\n- target: {kind: ImagePolicy}\n  patch: '[{op: add, path: /spec/policy, value: {semver: {range: 1.x}}}]'\n",
            ),
            (
                "prod/kustomization.yaml",
                "resources:\n- ../base\npatches:\n- target: {kind: ImagePolicy}\n  patch: '[{op: replace, path: /spec/policy/semver/range, value: 2.x}]'\n",
            ),
            ("dev/kustomization.yaml", "resources:\n- ../base\n"),
        ]);
        let builds = v.apply_patches_per_build(
            "base/p.yaml",
            &root(POLICY),
            &HashMap::<String, Node>::new(),
        );
        let summary: Vec<_> = builds
            .iter()
            .map(|b| {
                (
                    b.build.as_str(),
                    str_at(&b.root, &["spec", "policy", "semver", "range"]).unwrap(),
                    b.kustomizations.join(","),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "dev/kustomization.yaml",
                    "1.x",
                    "base/kustomization.yaml".to_string()
                ),
                (
                    "prod/kustomization.yaml",
                    "2.x",
                    "base/kustomization.yaml,prod/kustomization.yaml".to_string()
                ),
            ]
        );
    }

    #[test]
    fn read_object_keeps_the_document_index() {
        let object = read_object_from_root("x.yaml", 3, &root(POLICY)).unwrap();
        let FluxObject::Policy(policy) = object else {
            panic!()
        };
        assert_eq!(
            policy.origin,
            Origin {
                path: "x.yaml".into(),
                document: 3,
                range: root(POLICY).range
            }
        );
    }
}
