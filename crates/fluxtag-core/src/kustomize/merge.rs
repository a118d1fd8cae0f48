//! Strategic merge of a patch mapping into an object, as kustomize does it without a schema
//! (the case of every Flux custom resource).
//!
//! Mappings merge recursively; `null` and `$patch: delete` remove a key; `$patch: replace`
//! replaces; scalars replace; sequences of mappings merge by the first of [`ASSOCIATIVE_KEYS`]
//! every element has, and other sequences replace. `$…` directive keys never reach the result.
//!
//! This module owns only the merge: the caller has already selected the patch and marked its
//! nodes with [`super::FROM_PATCH`]. It must not do I/O and must not panic on any input.

use super::patch::set_value;
use crate::yaml::{Entry, Item, Node, NodeValue};

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
pub(super) fn merge_mapping(target: &mut Node, patch: &Node) {
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
