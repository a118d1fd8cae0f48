//! JSON 6902 patches (`add`, `replace`, `remove`, `copy`, `move`, `test`) on YAML nodes, with
//! JSON pointers (`~1` for `/`, `~0` for `~`) resolved against mappings and sequences.
//!
//! This module owns only applying an operation list to a document root; which patch applies is
//! [`super::patch`]'s decision. It must not do I/O and must not panic on any input: a failing
//! operation fails the whole patch, as in kustomize.

use super::patch::{mark_from_patch, patch_scalar, same_node, set_value};
use crate::yaml::{Entry, Item, Node, NodeValue};

/// Applies a JSON 6902 operation list; `None` (and a partly changed `root`, which the caller
/// discards) when an operation fails, as kustomize fails the whole patch.
pub(super) fn apply_json6902(root: &mut Node, ops: &Node) -> Option<()> {
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
