//! One object document as a build makes it: the steps of a chain (or of a Flux Kustomization's
//! generated overlay) applied in order, each step's patches first, then its `namespace`,
//! `namePrefix`/`nameSuffix` and labels (kustomize runs its built-in transformers in that
//! order: patches, namespace, prefix and suffix, labels; kubectl.docs.kubernetes.io,
//! "kustomization" reference).
//!
//! A [`Step`] is what one kustomization does to every object it builds; [`apply_steps`] applies
//! a list of them and records where each fact of the result came from ([`Built`]), so that
//! messages can say "namespace `apps` from `apps/kustomization.yaml:3`". Values a step changes
//! keep the range of the node they replace (findings still point at what the user wrote);
//! values a step adds carry [`super::FROM_PATCH`].
//!
//! This module owns only the transformations. It must not do I/O, must not substitute
//! `${VAR}` (that is the Flux Kustomization's post-build step, in [`crate::index`]), and must
//! not panic on any input.

use std::collections::BTreeMap;

use super::patch::{apply_one, patch_scalar, same_node};
use super::{PatchRoots, metadata_str};
use crate::flux::{Patch, Spanned};
use crate::yaml::{Entry, Node, NodeValue, Scalar};

/// A place in a file: a repository-relative path and a byte offset (rendered `path:line` by
/// the caller, who has the line tables).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    /// Repository-relative path.
    pub path: String,
    /// Byte offset in it.
    pub offset: usize,
}

/// What one kustomization (or a Flux Kustomization's overlay) does to each object it builds.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The file that asks for it.
    pub path: &'a str,
    /// The name of the Flux Kustomization whose overlay this is; `None` for a kustomization
    /// file.
    pub flux_kustomization: Option<&'a str>,
    /// Its patches (files are repository paths, read through [`PatchRoots`]).
    pub patches: &'a [Patch],
    /// The namespace it sets, with where it is written.
    pub namespace: Option<(&'a str, usize)>,
    /// `namePrefix`.
    pub name_prefix: Option<&'a Spanned<String>>,
    /// `nameSuffix`.
    pub name_suffix: Option<&'a Spanned<String>>,
    /// Labels it adds (`commonLabels`, `labels[].pairs`), in order.
    pub labels: &'a [Spanned<BTreeMap<String, String>>],
}

/// Where a built fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Provenance {
    /// The name of the Flux Kustomization that set it; `None` for a kustomization file.
    pub flux_kustomization: Option<String>,
    /// Where that is written.
    pub place: Place,
}

/// A document after a list of steps.
#[derive(Debug, Clone)]
pub struct Built {
    /// The document root as built.
    pub root: Node,
    /// The step that set the namespace last, when one did.
    pub namespace: Option<Provenance>,
    /// `metadata.namespace` as written in the object's file, when a step overrode it.
    pub overridden_namespace: Option<String>,
    /// The steps that renamed the object, innermost first, each with what it did
    /// (`` namePrefix `dev-` ``).
    pub renamed_by: Vec<(Provenance, String)>,
    /// Paths of the files whose patches changed the document, innermost first.
    pub patched_by: Vec<String>,
}

/// Applies `steps` to `root` in order. Patches select objects by the namespace the object has
/// at that point and by every namespace it has had (kustomize matches untargeted patches on
/// any of them).
pub fn apply_steps(steps: &[Step<'_>], root: &Node, patch_files: &impl PatchRoots) -> Built {
    let written_namespace = metadata_str(root, "namespace").map(str::to_string);
    let mut built = Built {
        root: root.clone(),
        namespace: None,
        overridden_namespace: None,
        renamed_by: Vec::new(),
        patched_by: Vec::new(),
    };
    let mut history = vec![written_namespace.clone().unwrap_or_default()];
    for step in steps {
        let before = built.root.clone();
        for patch in step.patches {
            let bodies: Vec<&Node> = match (&patch.inline, &patch.file) {
                (Some(inline), _) => vec![inline],
                (None, Some(file)) => patch_files.roots(file).iter().collect(),
                (None, None) => Vec::new(),
            };
            for body in bodies {
                let namespace = metadata_str(&built.root, "namespace")
                    .unwrap_or_default()
                    .to_string();
                apply_one(
                    &mut built.root,
                    body,
                    patch.target.as_ref(),
                    &namespace,
                    &history,
                );
            }
        }
        if !same_node(&before, &built.root, true)
            && !built.patched_by.iter().any(|p| p == step.path)
        {
            built.patched_by.push(step.path.to_string());
        }
        let provenance = |offset: usize| Provenance {
            flux_kustomization: step.flux_kustomization.map(str::to_string),
            place: Place {
                path: step.path.to_string(),
                offset,
            },
        };
        if let Some((namespace, offset)) = step.namespace {
            let current = metadata_str(&built.root, "namespace").map(str::to_string);
            if current.as_deref() != Some(namespace) {
                if built.namespace.is_none() && current.is_some() {
                    built.overridden_namespace = written_namespace.clone();
                }
                set_metadata_str(&mut built.root, "namespace", namespace);
            }
            built.namespace = Some(provenance(offset));
            history.push(namespace.to_string());
        }
        let prefix = step.name_prefix.map_or("", |p| p.value.as_str());
        let suffix = step.name_suffix.map_or("", |s| s.value.as_str());
        if !(prefix.is_empty() && suffix.is_empty()) {
            let name = metadata_str(&built.root, "name").unwrap_or_default();
            let renamed = format!("{prefix}{name}{suffix}");
            set_metadata_str(&mut built.root, "name", &renamed);
            let offset = step
                .name_prefix
                .or(step.name_suffix)
                .map_or(0, |p| p.range.start);
            let did = match (prefix.is_empty(), suffix.is_empty()) {
                (false, false) => format!("namePrefix `{prefix}` and nameSuffix `{suffix}`"),
                (false, true) => format!("namePrefix `{prefix}`"),
                _ => format!("nameSuffix `{suffix}`"),
            };
            built.renamed_by.push((provenance(offset), did));
        }
        for (key, value) in step.labels.iter().flat_map(|labels| &labels.value) {
            set_label(&mut built.root, key, value);
        }
    }
    built
}

/// The mapping under `key` of a mapping's `entries`, created (from a patch) when missing or
/// not a mapping.
fn mapping_in<'a>(entries: &'a mut Vec<Entry>, key: &str) -> Option<&'a mut Vec<Entry>> {
    let position = match entries.iter().rposition(|e| e.key.as_str() == Some(key)) {
        Some(position) => position,
        None => {
            entries.push(Entry {
                key: patch_scalar(key),
                value: None,
                colon: None,
            });
            entries.len() - 1
        }
    };
    let slot = &mut entries.get_mut(position)?.value;
    if !slot.as_ref().is_some_and(Node::is_mapping) {
        let mut empty = patch_scalar("");
        empty.value = NodeValue::Mapping(Vec::new());
        *slot = Some(empty);
    }
    match &mut slot.as_mut()?.value {
        NodeValue::Mapping(entries) => Some(entries),
        _ => None,
    }
}

/// Sets the string `key` of `entries`, keeping the range of a value it replaces.
fn set_str(entries: &mut Vec<Entry>, key: &str, value: &str) {
    match entries
        .iter_mut()
        .rev()
        .find(|e| e.key.as_str() == Some(key))
    {
        Some(entry) => match &mut entry.value {
            Some(Node {
                value: NodeValue::Scalar(Scalar { value: old, .. }),
                ..
            }) => *old = value.to_string(),
            slot => *slot = Some(patch_scalar(value)),
        },
        None => entries.push(Entry {
            key: patch_scalar(key),
            value: Some(patch_scalar(value)),
            colon: None,
        }),
    }
}

/// The entries of `metadata`, created when missing.
fn metadata_entries(root: &mut Node) -> Option<&mut Vec<Entry>> {
    match &mut root.value {
        NodeValue::Mapping(entries) => mapping_in(entries, "metadata"),
        _ => None,
    }
}

/// Sets `metadata.<key>` to a string.
fn set_metadata_str(root: &mut Node, key: &str, value: &str) {
    if let Some(metadata) = metadata_entries(root) {
        set_str(metadata, key, value);
    }
}

/// Sets `metadata.labels.<key>`.
fn set_label(root: &mut Node, key: &str, value: &str) {
    if let Some(labels) = metadata_entries(root).and_then(|m| mapping_in(m, "labels")) {
        set_str(labels, key, value);
    }
}
