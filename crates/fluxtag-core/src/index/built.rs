//! Objects as the cluster gets them (`fluxtag-differences.md` §5, `flux-semantics.md` on the
//! kustomize-controller): each object document becomes one *instance* per way it is applied.
//!
//! A Flux Kustomization applies a file when the kustomize build of its `spec.path` includes it
//! (through `resources` and `components` chains), or, when `spec.path` holds no
//! kustomization, when the file lies below it and no kustomization in between leaves it out
//! (Flux generates a kustomization listing the manifests and the kustomization directories
//! below the path). The build of an instance is, in order: the steps of the kustomize chain
//! up to `spec.path` (patches, `namespace:`, `namePrefix`/`nameSuffix`, `commonLabels`/`labels`),
//! the Flux Kustomization's `spec.components`, then its own overlay (`spec.patches`,
//! `spec.targetNamespace`, `spec.namePrefix`/`nameSuffix`, `spec.commonMetadata.labels`), then
//! `postBuild.substitute` over
//! every string of the result, unless the object opts out with the
//! `kustomize.toolkit.fluxcd.io/substitute: disabled` annotation or label. `substituteFrom`
//! values live in the cluster: a variable only they could set keeps its `${VAR}` text.
//!
//! An object no Flux Kustomization applies gets one instance per kustomize chain that includes
//! it (or one as written): what its `kustomization.yaml` files give.
//!
//! This module owns the build of instances and the words of their provenance. It must not do
//! I/O, must not look up markers, and must not panic on any input.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::FileAnalysis;
use crate::flux::FluxKustomization;
use crate::kustomize::{self, Built, Chain, KustomizeView, PatchRoots, Place, Step, apply_steps};
use crate::vars::{substitute, substitute_unset_empty};
use crate::yaml::{Node, NodeValue};

use super::is_under;

/// The annotation (or label) with which an object opts out of `postBuild` substitution.
const SUBSTITUTE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// How one instance of an object was built, in words for messages and hovers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuiltFrom {
    /// The Flux Kustomization that applies this instance: `Flux Kustomization apps
    /// (clusters/c1/apps.yaml:3)`; `None` when none in the repository does.
    pub applied_by: Option<String>,
    /// Where the namespace came from when it is not `metadata.namespace` as written, as a
    /// clause: `` `namespace: apps` in apps/kustomization.yaml:3 overrides
    /// `metadata.namespace: flux-system` `` (or `... sets it`).
    pub namespace: Option<String>,
    /// How the name was made when it is not `metadata.name` as written.
    pub name: Option<String>,
    /// `metadata.name` as written.
    pub written_name: Option<String>,
    /// The clusters this instance is in: the bootstraps (Flux Kustomizations that apply their
    /// own definition, such as `flux-system`) above the one that applies it, in words. Empty
    /// when unknown (no Flux Kustomization applies it, or no bootstrap is above it): any
    /// cluster.
    pub clusters: BTreeSet<String>,
    /// Whether a `${VAR}` left in it may still get a value in the cluster (its Flux
    /// Kustomization has `postBuild.substituteFrom`, and the object does not opt out).
    pub values_in_cluster: bool,
}

/// One instance of an object document: its root as built and how it was built.
pub(super) struct Instance {
    /// The document root as the cluster gets it.
    pub root: Node,
    /// How.
    pub built_from: BuiltFrom,
    /// The position of the Flux Kustomization that applies it, in
    /// [`Builder::flux_kustomizations`].
    pub builder: Option<usize>,
}

/// One way a file is applied: by a Flux Kustomization (or none), through a kustomize chain
/// (or none).
struct Application<'a> {
    /// The Flux Kustomization that applies the file.
    builder: Option<&'a FluxKustomization>,
    /// The builder's position in [`Builder::flux_kustomizations`].
    builder_index: Option<usize>,
    /// The kustomize chain up to the builder's `spec.path` (or every chain without builder).
    chain: Option<Chain>,
}

/// What building needs: the kustomize view, the Flux Kustomizations, the analyses (for line
/// numbers) and the parsed patch files.
pub(super) struct Builder<'a, P: PatchRoots> {
    /// Every kustomization of the repository.
    pub kustomize: &'a KustomizeView,
    /// The Flux Kustomizations that may apply objects.
    pub flux_kustomizations: &'a [FluxKustomization],
    /// Every analysed file (for `path:line` in provenance).
    pub files: &'a BTreeMap<String, FileAnalysis>,
    /// The parsed patch files.
    pub patch_roots: &'a P,
    /// The clusters of each of `flux_kustomizations` (same order; may be shorter, then
    /// unknown).
    pub clusters: &'a [BTreeSet<String>],
}

impl<'a, P: PatchRoots> Builder<'a, P> {
    /// Every distinct instance of the document `root` of the file `path`.
    pub fn instances(&self, path: &str, root: &Node) -> Vec<Instance> {
        let mut out: Vec<Instance> = Vec::new();
        for application in self.applications(path) {
            let instance = self.build(root, &application);
            let duplicate = out.iter().any(|o| {
                o.built_from == instance.built_from
                    && kustomize::same_content(&o.root, &instance.root)
            });
            if !duplicate {
                out.push(instance);
            }
        }
        out
    }

    /// The `${VAR}` values of the Flux Kustomizations that apply `path`; a variable two of them
    /// set differently is left out (its value is ambiguous).
    pub fn variables_for(&self, path: &str) -> BTreeMap<String, String> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let mut ambiguous = Vec::new();
        for builder in self.applications(path).iter().filter_map(|a| a.builder) {
            for (key, value) in &builder.substitute {
                match vars.get(key) {
                    Some(existing) if existing != value => ambiguous.push(key.clone()),
                    _ => {
                        vars.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        for key in ambiguous {
            vars.remove(&key);
        }
        vars
    }

    /// Every way `path` is applied (see the module doc), without repeats.
    fn applications(&self, path: &str) -> Vec<Application<'a>> {
        let chains = self.kustomize.chains_of(path);
        let mut out: Vec<Application<'a>> = Vec::new();
        let mut push = |index: usize, builder: &'a FluxKustomization, chain: Option<Chain>| {
            let seen = out
                .iter()
                .any(|a| a.builder_index == Some(index) && a.chain == chain);
            if !seen {
                out.push(Application {
                    builder: Some(builder),
                    builder_index: Some(index),
                    chain,
                });
            }
        };
        let all: &'a [FluxKustomization] = self.flux_kustomizations;
        for (index, builder) in all.iter().enumerate() {
            let Some(dir) = &builder.path else { continue };
            if self.kustomize.has_kustomization(dir) {
                for chain in &chains {
                    if let Some(cut) = self.kustomize.cut_at(chain, dir) {
                        push(index, builder, Some(cut));
                    }
                }
            } else {
                // Flux generates a kustomization listing the manifests below `dir` and the
                // outermost directories below it that hold a kustomization (whose builds may
                // reach files anywhere).
                if is_under(path, dir) && self.topmost_kustomization_below(dir, path).is_none() {
                    push(index, builder, None);
                }
                for chain in &chains {
                    for listed in self
                        .kustomize
                        .chain_dirs(chain)
                        .iter()
                        .filter(|d| self.is_listed_by_generated(dir, d))
                    {
                        if let Some(cut) = self.kustomize.cut_at(chain, listed) {
                            push(index, builder, Some(cut));
                        }
                    }
                }
            }
            for component in &builder.components {
                let component = kustomize::join(dir, component);
                for chain in &chains {
                    if let Some(cut) = self.kustomize.cut_at(chain, &component) {
                        push(index, builder, Some(cut));
                    }
                }
            }
        }
        if out.is_empty() {
            if chains.is_empty() {
                out.push(Application {
                    builder: None,
                    builder_index: None,
                    chain: None,
                });
            }
            for chain in chains {
                out.push(Application {
                    builder: None,
                    builder_index: None,
                    chain: Some(chain),
                });
            }
        }
        out
    }

    /// The outermost directory strictly below `dir` and holding `path` that has a
    /// kustomization (the one Flux's generated kustomization lists instead of the file).
    fn topmost_kustomization_below(&self, dir: &str, path: &str) -> Option<String> {
        let file_dir = kustomize::parent_dir(path);
        self.dirs_between(dir, &file_dir)?
            .into_iter()
            .find(|d| self.kustomize.has_kustomization(d))
    }

    /// Whether the kustomization of directory `kustomization_dir` is one that Flux's
    /// generated kustomization for `dir` lists: strictly below `dir`, with no kustomization
    /// in between.
    fn is_listed_by_generated(&self, dir: &str, kustomization_dir: &str) -> bool {
        match self.dirs_between(dir, kustomization_dir) {
            Some(between) => {
                between.last().map(String::as_str) == Some(kustomization_dir)
                    && between
                        .iter()
                        .rev()
                        .skip(1)
                        .all(|d| !self.kustomize.has_kustomization(d))
            }
            None => false,
        }
    }

    /// The directories strictly below `dir` down to `inner` included, outermost first; `None`
    /// when `inner` is not below `dir`.
    fn dirs_between(&self, dir: &str, inner: &str) -> Option<Vec<String>> {
        let rest = if dir.is_empty() {
            inner
        } else {
            inner.strip_prefix(dir)?.strip_prefix('/')?
        };
        let mut out = Vec::new();
        let mut current = dir.to_string();
        for part in rest.split('/').filter(|p| !p.is_empty()) {
            current = if current.is_empty() {
                part.to_string()
            } else {
                format!("{current}/{part}")
            };
            out.push(current.clone());
        }
        Some(out)
    }

    /// Builds one instance.
    fn build(&self, root: &Node, application: &Application<'_>) -> Instance {
        let mut steps: Vec<Step<'_>> = application
            .chain
            .as_ref()
            .map(|chain| self.kustomize.steps(chain))
            .unwrap_or_default();
        let component_chains: Vec<Chain> = application
            .builder
            .map(|builder| {
                let dir = builder.path.as_deref().unwrap_or_default();
                builder
                    .components
                    .iter()
                    .filter_map(|c| self.kustomize.component_chain(&kustomize::join(dir, c)))
                    .filter(|c| application.chain.as_ref() != Some(c))
                    .collect()
            })
            .unwrap_or_default();
        for chain in &component_chains {
            steps.extend(self.kustomize.steps(chain));
        }
        if let Some(builder) = application.builder {
            steps.push(Step {
                path: &builder.origin.path,
                flux_kustomization: Some(builder.display_name()),
                patches: &builder.patches,
                namespace: builder
                    .target_namespace
                    .as_ref()
                    .map(|n| (n.value.as_str(), n.range.start)),
                name_prefix: builder.name_prefix.as_ref(),
                name_suffix: builder.name_suffix.as_ref(),
                labels: &builder.common_labels,
            });
        }
        let built = apply_steps(&steps, root, self.patch_roots);
        let written_name = name_of(root).map(str::to_string);
        let mut instance = Instance {
            built_from: BuiltFrom {
                applied_by: application.builder.map(|b| {
                    format!(
                        "Flux Kustomization {} ({})",
                        b.display_name(),
                        self.at(&b.origin.path, b.origin.range.start)
                    )
                }),
                namespace: self.namespace_words(&built),
                name: self.rename_words(&built),
                written_name,
                clusters: application
                    .builder_index
                    .and_then(|i| self.clusters.get(i))
                    .cloned()
                    .unwrap_or_default(),
                values_in_cluster: false,
            },
            root: built.root,
            builder: application.builder_index,
        };
        if let Some(builder) = application.builder
            && (!builder.substitute.is_empty() || builder.substitute_from)
            && !opts_out_of_substitution(&instance.root)
        {
            instance.built_from.values_in_cluster = builder.substitute_from;
            let before = name_of(&instance.root).map(str::to_string);
            substitute_strings(
                &mut instance.root,
                &builder.substitute,
                !builder.substitute_from,
            );
            if let Some(before) = before
                && name_of(&instance.root) != Some(before.as_str())
            {
                let values: Vec<String> = variables_in(&before)
                    .into_iter()
                    .map(|name| match builder.substitute.get(name) {
                        Some(value) => format!("{name}={value}"),
                        None => format!("{name} unset"),
                    })
                    .collect();
                let words = format!(
                    "`{before}` with {} from postBuild.substitute of Flux Kustomization {} ({})",
                    values.join(", "),
                    builder.display_name(),
                    self.at(&builder.origin.path, builder.origin.range.start)
                );
                instance.built_from.name = Some(match instance.built_from.name.take() {
                    Some(renamed) => format!("{words}, {renamed}"),
                    None => words,
                });
            }
        }
        instance
    }

    /// `path:line` of a byte offset (the path alone when the file is not in the index).
    fn at(&self, path: &str, offset: usize) -> String {
        match self.files.get(path) {
            Some(file) => format!("{path}:{}", file.lines.line_of(offset) + 1),
            None => path.to_string(),
        }
    }

    fn at_place(&self, place: &Place) -> String {
        self.at(&place.path, place.offset)
    }

    /// The words for where a built namespace came from.
    fn namespace_words(&self, built: &Built) -> Option<String> {
        let source = built.namespace.as_ref()?;
        let namespace = built
            .root
            .path(&["metadata", "namespace"])
            .and_then(Node::as_str)
            .unwrap_or_default();
        let set = if let Some(name) = &source.flux_kustomization {
            format!(
                "`spec.targetNamespace: {namespace}` of Flux Kustomization {name} ({})",
                self.at_place(&source.place)
            )
        } else {
            format!(
                "`namespace: {namespace}` in {}",
                self.at_place(&source.place)
            )
        };
        Some(match &built.overridden_namespace {
            Some(written) if written != namespace => {
                format!("{set} overrides `metadata.namespace: {written}`")
            }
            _ => format!("{set} sets it"),
        })
    }

    /// The words for the steps that renamed an object.
    fn rename_words(&self, built: &Built) -> Option<String> {
        if built.renamed_by.is_empty() {
            return None;
        }
        let steps: Vec<String> = built
            .renamed_by
            .iter()
            .map(|(p, did)| {
                if let Some(name) = &p.flux_kustomization {
                    format!(
                        "{did} of Flux Kustomization {name} ({})",
                        self.at_place(&p.place)
                    )
                } else {
                    format!("{did} in {}", self.at_place(&p.place))
                }
            })
            .collect();
        Some(steps.join(", "))
    }
}

/// The names of the `${VAR}` variables of `text`, in order.
fn variables_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let name = inner.split([':', '=']).next().unwrap_or(inner);
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

/// `metadata.name` of a root.
fn name_of(root: &Node) -> Option<&str> {
    root.path(&["metadata", "name"]).and_then(Node::as_str)
}

/// Whether an object carries `kustomize.toolkit.fluxcd.io/substitute: disabled` as an
/// annotation or a label (kustomize-controller skips its substitution).
fn opts_out_of_substitution(root: &Node) -> bool {
    ["annotations", "labels"].iter().any(|map| {
        root.path(&["metadata", map, SUBSTITUTE_KEY])
            .and_then(Node::as_str)
            == Some("disabled")
    })
}

/// Substitutes `${VAR}` in every string (keys and values) of `node`. With `all_known` (no
/// `substituteFrom`), a variable without a value becomes empty, as kustomize-controller does;
/// otherwise a string with such a variable keeps its text (its value may come from
/// `substituteFrom`, in the cluster). Ranges are kept: findings still point at what the user
/// wrote.
pub(super) fn substitute_strings(
    node: &mut Node,
    vars: &BTreeMap<String, String>,
    all_known: bool,
) {
    match &mut node.value {
        NodeValue::Scalar(scalar) => {
            if scalar.value.contains("${") {
                if all_known {
                    scalar.value = substitute_unset_empty(&scalar.value, vars);
                } else if let Some(text) = substitute(&scalar.value, vars).known() {
                    scalar.value = text.to_string();
                }
            }
        }
        NodeValue::Mapping(entries) => {
            for entry in entries {
                substitute_strings(&mut entry.key, vars, all_known);
                if let Some(value) = &mut entry.value {
                    substitute_strings(value, vars, all_known);
                }
            }
        }
        NodeValue::Sequence(items) => {
            for item in items.iter_mut().filter_map(|i| i.value.as_mut()) {
                substitute_strings(item, vars, all_known);
            }
        }
        NodeValue::Alias(_) => {}
    }
}
