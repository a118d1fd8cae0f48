//! `textDocument/completion`: inside a marker's string, the known policies as `ns:name` and
//! their `:tag`, `:name` and `:digest` forms; after an image value, a whole marker for each
//! policy whose repository is that image.
//!
//! Completion reads the line as typed, not the parsed file: while a marker is being written it
//! is usually not valid JSON yet.

use fluxtag_core::resolve::PolicyReport;
use fluxtag_policy::image_ref::parse_reference;
use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    TextEdit,
};

use crate::state::{Folder, State};

/// The characters that open completion.
pub const TRIGGERS: [&str; 3] = ["\"", ":", "#"];

const KEY: &str = "\"$imagepolicy\"";

/// The completions at a position.
pub fn completion(state: &State, params: &CompletionParams) -> Option<CompletionResponse> {
    let position = &params.text_document_position;
    let (document, folder) = super::document(state, &position.text_document.uri)?;
    let text = document.text();
    let offset = text.offset(position.position, state.encoding);
    let line = document.lines.line_of(offset);
    let line_start = document.lines.line_start(line);
    let line_end = document
        .lines
        .line_range(&document.bytes, line)
        .end
        .max(offset);
    let before = std::str::from_utf8(document.bytes.get(line_start..offset)?).ok()?;
    let after = document.bytes.get(offset..line_end)?;
    let mut items = Vec::new();
    if let Some(typed) = marker_string_start(before) {
        // Replace what was typed and what follows up to the closing quote.
        let start = line_start + typed;
        let end = after
            .iter()
            .position(|&b| b == b'"')
            .map_or(offset, |i| offset + i);
        let range = text.range(&(start..end), state.encoding);
        for (rank, key) in State::completion_keys(folder).iter().enumerate() {
            let policy = policy_of(folder, key);
            for (i, suffix) in ["", ":tag", ":name", ":digest"].iter().enumerate() {
                let label = format!("{key}{suffix}");
                items.push(CompletionItem {
                    label: label.clone(),
                    kind: Some(CompletionItemKind::REFERENCE),
                    detail: policy.map(detail),
                    sort_text: Some(format!("{rank:05}{i}")),
                    filter_text: Some(label.clone()),
                    text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                        range,
                        new_text: label,
                    })),
                    ..CompletionItem::default()
                });
            }
        }
    } else if let Some((value, value_end)) = image_value(before) {
        let wanted = parse_reference(&value).ok()?.canonical_repository();
        let range = text.range(&(line_start + value_end..offset), state.encoding);
        let index = &folder.workspace.index;
        for (id, policy) in index.policies_with_ids() {
            let (Some(namespace), Some(repository)) =
                (policy.namespace.as_ref(), index.repository_of(policy))
            else {
                continue;
            };
            let matches = repository
                .valid_image()
                .is_some_and(|image| image.canonical() == wanted);
            if !matches {
                continue;
            }
            let marker = format!("{{\"$imagepolicy\": \"{namespace}:{}\"}}", policy.name);
            let new_text = format!(" # {marker}");
            items.push(CompletionItem {
                label: marker,
                kind: Some(CompletionItemKind::SNIPPET),
                detail: folder.report.policy(id).map(detail),
                filter_text: Some(new_text.clone()),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text })),
                ..CompletionItem::default()
            });
        }
    }
    Some(CompletionResponse::Array(items))
}

/// When `before` (a line up to the cursor) ends inside the string value of `"$imagepolicy"`,
/// the byte offset in `before` where that string's text starts.
fn marker_string_start(before: &str) -> Option<usize> {
    let hash = before.find('#')?;
    let key = hash + before[hash..].rfind(KEY)?;
    let rest = &before[key + KEY.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let typed = rest.strip_prefix('"')?;
    if typed.contains('"') {
        return None;
    }
    Some(before.len() - typed.len())
}

/// When `before` (a line up to the cursor) is `key: <image>` or `- <image>`, optionally
/// followed by blanks and a lone `#`, the image and the byte offset where its scalar ends.
fn image_value(before: &str) -> Option<(String, usize)> {
    let trimmed = before.trim_end();
    let content = match trimmed.strip_suffix('#') {
        Some(rest) => rest.trim_end(),
        None => trimmed,
    };
    if content.contains('#') {
        return None;
    }
    let start = match content.find(": ") {
        Some(colon) => colon + 2,
        None => {
            let dash = content.trim_start();
            dash.strip_prefix("- ")?;
            content.len() - dash.len() + 2
        }
    };
    let raw = content.get(start..)?.trim();
    let value = raw
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| raw.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(raw);
    if value.is_empty() || value.contains(char::is_whitespace) {
        return None;
    }
    Some((value.to_string(), content.len()))
}

fn policy_of<'a>(folder: &'a Folder, key: &str) -> Option<&'a PolicyReport> {
    let (namespace, name) = key.split_once(':')?;
    folder
        .report
        .policies
        .iter()
        .find(|p| p.name == name && p.namespace.as_deref() == Some(namespace))
}

fn detail(policy: &PolicyReport) -> String {
    let image = policy.image.as_deref().unwrap_or("?");
    match &policy.latest {
        Some(latest) => format!("{image} → {}", latest.tag),
        None => image.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_marker_string_being_typed() {
        let line = r#"  image: app:1 # {"$imagepolicy": "flux-sy"#;
        assert_eq!(
            marker_string_start(line),
            Some(line.len() - "flux-sy".len())
        );
        assert_eq!(
            marker_string_start(r#"  image: app:1 # {"$imagepolicy": ""#),
            Some(35)
        );
        assert_eq!(
            marker_string_start(r#"  image: app:1 # {"$imagepolicy": "x"}"#),
            None
        );
        assert_eq!(marker_string_start(r#"  image: "$imagepolicy": ""#), None);
    }

    #[test]
    fn finds_an_image_value_before_the_cursor() {
        assert_eq!(
            image_value("    image: ghcr.io/org/app:1.2 #"),
            Some(("ghcr.io/org/app:1.2".to_string(), 30))
        );
        assert_eq!(
            image_value("  - 'nginx:1.25' "),
            Some(("nginx:1.25".to_string(), 16))
        );
        assert_eq!(image_value("image: a # {"), None);
        assert_eq!(image_value("image:"), None);
    }
}
