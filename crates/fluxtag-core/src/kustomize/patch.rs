//! Which patch applies to an object, and how nodes that come from a patch are marked.
//!
//! A patch is selected by its `target` (kind, anchored name and namespace patterns, label and
//! annotation selectors) or, for an untargeted strategic-merge patch, by the identity it names
//! (kind, name, apiVersion, a namespace the object has had). Every node of a patch is copied with
//! its ranges rewritten to [`FROM_PATCH`] before it reaches the object, and the node comparisons
//! here decide whether a patch changed anything.
//!
//! This module owns only selection and marking; the merge itself is [`super::merge`] or
//! [`super::json6902`]. It must not do I/O and must not panic on any input.

use regex::Regex;

use super::json6902::apply_json6902;
use super::merge::merge_mapping;
use super::{FROM_PATCH, metadata_map, metadata_str};
use crate::flux::PatchTarget;
use crate::yaml::{Entry, Item, Node, NodeValue, Scalar, ScalarStyle};

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
pub(super) fn same_node(a: &Node, b: &Node, ranges: bool) -> bool {
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
pub(super) fn set_value(slot: &mut Option<Node>, new: Node) {
    if let Some(old) = slot
        && same_node(old, &new, false)
    {
        return;
    }
    *slot = Some(new);
}

/// A plain scalar that comes from a patch.
pub(super) fn patch_scalar(value: &str) -> Node {
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
pub(super) fn apply_one(
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
        && !crate::selector::Selector::parse(selector)
            .is_some_and(|s| s.matches(&metadata_map(root, "labels")))
    {
        return false;
    }
    if let Some(selector) = &target.annotation_selector
        && !crate::selector::Selector::parse(selector)
            .is_some_and(|s| s.matches(&metadata_map(root, "annotations")))
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
