//! `textDocument/publishDiagnostics`: the core's diagnostics of one open document, in protocol
//! terms, with the fixes code actions offer in each diagnostic's `data`.
//!
//! `data` is `{"version": <document version>, "fixes": [{"title", "safe", "preferred",
//! "edits": [{"range", "newText"}]}]}`. The fixes are the core's own (`Update to 1.4.2`, the
//! did-you-mean of `policy-not-found`) plus "Add namespace" for `marker-no-namespace`, whose
//! candidates are the known policies of that name.
//!
//! The message is the core's, with its help after `help:`; a help that tells the user to run
//! `fluxtag check --fix` names the diagnostic's quick fix instead ([`editor_help`]): in the editor
//! the fix is one action away.

use fluxtag_core::diag::{Applicability, Code, Diagnostic, Fix};
use fluxtag_core::suggest::closest;
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, NumberOrString, TextEdit, Uri,
};

use crate::settings::Level;
use crate::state::{Document, Folder, State};

/// The `source` of every diagnostic.
pub const SOURCE: &str = "fluxtag";

/// The words of a core help that send the user to the command line to apply a diagnostic's fix.
pub const CLI_FIX: &str = "run `fluxtag check --fix`";

/// A core help as the editor shows it: when the diagnostic has a fix, the command-line
/// instruction ([`CLI_FIX`]) becomes "apply the quick fix “<title>”"; any other help is the
/// core's, unchanged. Only the front end's words change: what the fix does is the core's.
pub fn editor_help(help: &str, fix: Option<&Fix>) -> String {
    match fix {
        Some(fix) if help.contains(CLI_FIX) => {
            help.replace(CLI_FIX, &format!("apply the quick fix “{}”", fix.title))
        }
        _ => help.to_owned(),
    }
}

/// One fix as carried in a diagnostic's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixData {
    /// The code action's title.
    pub title: String,
    /// Whether `source.fixAll` and `fluxtag check --fix` apply it.
    pub safe: bool,
    /// Whether it is the preferred quick fix.
    pub preferred: bool,
    /// The edits, in the document the diagnostic belongs to.
    pub edits: Vec<TextEdit>,
}

/// A diagnostic's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticData {
    /// The document version the ranges belong to.
    pub version: i32,
    /// The fixes.
    pub fixes: Vec<FixData>,
}

/// The diagnostics to publish for an open document, with its version; `None` while its folder
/// is not indexed yet (nothing reliable can be said before).
pub fn for_document(state: &State, uri: &Uri) -> Option<(i32, Vec<lsp::Diagnostic>)> {
    let document = state.documents.get(uri)?;
    let folder = state.folders.get(document.folder)?;
    if !folder.state.is_indexed() {
        return None;
    }
    let diagnostics = core_diagnostics(state, folder, document)
        .filter_map(|d| to_proto(state, folder, document, d))
        .collect();
    Some((document.version, diagnostics))
}

/// The core diagnostics of a document that the editor shows.
pub fn core_diagnostics<'a>(
    state: &'a State,
    folder: &'a Folder,
    document: &'a Document,
) -> impl Iterator<Item = &'a Diagnostic> + 'a {
    folder
        .report
        .diagnostics
        .iter()
        .filter(move |d| d.path == document.path && state.shows(folder, d.code))
        .filter(move |d| state.settings.level(d.code, d.severity) != Level::Off)
}

/// Converts one core diagnostic (`None` when its code is turned off).
pub fn to_proto(
    state: &State,
    folder: &Folder,
    document: &Document,
    diagnostic: &Diagnostic,
) -> Option<lsp::Diagnostic> {
    let Level::Show(severity) = state.settings.level(diagnostic.code, diagnostic.severity) else {
        return None;
    };
    let text = document.text();
    let mut message = diagnostic.message.clone();
    if let Some(note) = &diagnostic.note {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(&editor_help(help, diagnostic.fix.as_ref()));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: super::location(state, document.folder, &r.path, &r.range)?,
                message: r.message.clone(),
            })
        })
        .collect();
    let data = DiagnosticData {
        version: document.version,
        fixes: fixes(state, folder, document, diagnostic),
    };
    Some(lsp::Diagnostic {
        range: text.range(&diagnostic.range, state.encoding),
        severity: Some(severity),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: serde_json::to_value(data).ok(),
    })
}

/// The fixes of a core diagnostic in protocol terms.
pub fn fixes(
    state: &State,
    folder: &Folder,
    document: &Document,
    diagnostic: &Diagnostic,
) -> Vec<FixData> {
    let text = document.text();
    let edit = |range: &std::ops::Range<usize>, new_text: String| TextEdit {
        range: text.range(range, state.encoding),
        new_text,
    };
    let mut out = Vec::new();
    if let Some(fix) = &diagnostic.fix {
        let safe = fix.applicability == Applicability::Safe;
        out.push(FixData {
            title: fix.title.clone(),
            safe,
            preferred: diagnostic.code == Code::Stale || diagnostic.code == Code::PolicyNotFound,
            edits: fix
                .edits
                .iter()
                .map(|e| edit(&e.range, e.new_text.clone()))
                .collect(),
        });
    }
    if diagnostic.code == Code::MarkerNoNamespace
        && let Some(reference) = document
            .bytes
            .get(diagnostic.range.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
    {
        let policies = folder.workspace.index.policies();
        let mut namespaces: Vec<&str> = policies
            .iter()
            .filter(|p| p.name == reference)
            .filter_map(|p| p.namespace.as_deref())
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let single = namespaces.len() == 1;
        for namespace in namespaces {
            out.push(FixData {
                title: format!("Add namespace `{namespace}`"),
                safe: false,
                preferred: single,
                edits: vec![edit(&diagnostic.range, format!("{namespace}:{reference}"))],
            });
        }
        if out.is_empty() {
            // No policy of that name: the closest names, with their namespaces.
            let keys = State::completion_keys(folder);
            let names: Vec<String> = keys
                .iter()
                .filter_map(|k| k.split_once(':').map(|(_, n)| n.to_string()))
                .collect();
            let mut seen = Vec::new();
            for name in closest(reference, &names).into_iter().take(3) {
                for key in keys
                    .iter()
                    .filter(|k| k.split_once(':').is_some_and(|(_, n)| n == name))
                {
                    if seen.contains(key) {
                        continue;
                    }
                    seen.push(key.clone());
                    out.push(FixData {
                        title: format!("Change to `{key}`"),
                        safe: false,
                        preferred: false,
                        edits: vec![edit(&diagnostic.range, key.clone())],
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use fluxtag_core::diag::Edit;

    use super::*;

    fn fix(title: &str) -> Fix {
        Fix {
            title: title.to_owned(),
            edits: vec![Edit {
                range: 0..1,
                new_text: "x".to_owned(),
            }],
            applicability: Applicability::Safe,
        }
    }

    /// Issue 11 item 7: the editor names the quick fix where the command line says `--fix`.
    #[test]
    fn a_help_that_says_run_fix_names_the_quick_fix() {
        assert_eq!(
            editor_help(
                "run `fluxtag check --fix` to write it",
                Some(&fix("Update to 4.0.11"))
            ),
            "apply the quick fix “Update to 4.0.11” to write it"
        );
        assert_eq!(
            editor_help(
                "set it to IfNotPresent or Always, or run `fluxtag check --fix` to write the empty value",
                Some(&fix("Update to \"\""))
            ),
            "set it to IfNotPresent or Always, or apply the quick fix “Update to \"\"” to write the empty value"
        );
    }

    #[test]
    fn other_helps_are_the_cores() {
        let help = "check the range, filterTags and the repository's tags (`fluxtag policies`)";
        assert_eq!(editor_help(help, Some(&fix("Update to 1"))), help);
        // Without a fix there is no quick fix to name.
        assert_eq!(
            editor_help("run `fluxtag check --fix` to write it", None),
            "run `fluxtag check --fix` to write it"
        );
    }
}
