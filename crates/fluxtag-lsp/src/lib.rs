//! fluxtag-lsp: the `fluxtag lsp` language server.
//!
//! It owns everything between the editor and the shared analysis: the protocol (on
//! `tower-lsp-server`, whose `ls_types` this is the only crate to use), open documents as ropes
//! with incremental sync, the negotiated position encoding ([`convert`], the one place that
//! converts), Markdown for hovers ([`markdown`], the one place that writes it), settings from
//! flags and the client ([`settings`]), background indexing with
//! `$/progress`, background tag fetches with an in-memory layer over the disk cache, and one
//! handler per method ([`handlers`]). It runs beside yaml-language-server on the same buffers,
//! so it offers no formatting and names itself `fluxtag` in every diagnostic.
//!
//! What it must not do: decide anything about Flux. Which markers are stale, what a policy
//! selects, which edit fixes a marker and every diagnostic come from `fluxtag-core` through
//! `fluxtag-workspace`; this crate only finds them by position and translates them. It never
//! prints (stdout carries the protocol), and no request waits on the network.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod convert;
pub mod handlers;
pub mod loader;
pub mod markdown;
pub mod server;
pub mod settings;
pub mod state;

use std::sync::Arc;

use fluxtag_registry::{Environment, SystemEnvironment};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    CodeActionResponse, CodeLens, CodeLensOptions, CodeLensParams, CompletionOptions,
    CompletionParams, CompletionResponse, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidChangeWorkspaceFoldersParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverParams, HoverProviderCapability,
    InitializeParams, InitializeResult, InitializedParams, InlayHint, InlayHintParams, Location,
    OneOf, ReferenceParams, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, WorkDoneProgressOptions,
    WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::convert::Encoding;
use crate::handlers::code_action::FIX_ALL;
use crate::server::Inner;
pub use crate::settings::Settings;
use crate::state::State;

/// What the server offers, in one table.
pub fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(false)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                handlers::completion::TRIGGERS
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
            ),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(FIX_ALL.to_string()),
            ]),
            work_done_progress_options: WorkDoneProgressOptions::default(),
            resolve_provider: Some(false),
        })),
        inlay_hint_provider: Some(OneOf::Left(true)),
        // "Explain" on each ImagePolicy; its command is the client's (see handlers::explain).
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        // No formatting: yaml-language-server formats the same buffers.
        ..ServerCapabilities::default()
    }
}

/// The language server: the protocol methods, each delegating to its handler.
#[derive(Debug)]
pub struct Backend {
    inner: Arc<Inner>,
    warnings: std::sync::Mutex<Vec<String>>,
}

impl Backend {
    /// A server for `client` with the settings of `fluxtag lsp`'s flags.
    pub fn new(client: Client, settings: Settings, env: Arc<dyn Environment>) -> Backend {
        let state = State {
            settings,
            ..State::default()
        };
        Backend {
            inner: Arc::new(Inner::new(client, state, env)),
            warnings: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl Backend {
    /// `fluxtag/explain`: the explanation of the marker or ImagePolicy at a position.
    async fn explain(
        &self,
        params: handlers::explain::ExplainParams,
    ) -> Result<Option<handlers::explain::Explanation>> {
        self.inner.read(handlers::explain::EXPLAIN_REQUEST, |s| {
            handlers::explain::explain(s, &params)
        })
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let inner = &self.inner;
        let (result, warnings) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handlers::initialize::initialize(inner, params)
        }))
        .map_err(|_| server::internal("initialize"))?;
        *self.warnings.lock().unwrap_or_else(|p| p.into_inner()) = warnings;
        Ok(result)
    }

    async fn initialized(&self, _: InitializedParams) {
        let warnings =
            std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()));
        handlers::initialize::initialized(&self.inner, warnings).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        handlers::did_change::did_open(&self.inner, params).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        handlers::did_change::did_change(&self.inner, params).await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // The buffer was analysed on every change already.
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        handlers::did_change::did_close(&self.inner, params).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        handlers::did_change_configuration::did_change_configuration(&self.inner, params).await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        // Folders are only ever added (indices stay stable); a removed one stays known.
        let added: Vec<usize> = self
            .inner
            .write(|s| {
                params
                    .event
                    .added
                    .iter()
                    .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
                    .filter_map(|root| match s.add_folder(root) {
                        (index, true) => Some(index),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for folder in added {
            self.inner.spawn_index(folder);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        handlers::did_change_watched_files::did_change_watched_files(&self.inner, params).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.inner
            .read("textDocument/hover", |s| handlers::hover::hover(s, &params))
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.inner.read("textDocument/completion", |s| {
            handlers::completion::completion(s, &params)
        })
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.inner.read("textDocument/definition", |s| {
            handlers::definition::definition(s, &params)
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.inner.read("textDocument/references", |s| {
            handlers::references::references(s, &params)
        })
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.inner.read("textDocument/codeAction", |s| {
            Some(handlers::code_action::code_action(s, &params))
        })
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.inner.read("textDocument/codeLens", |s| {
            handlers::explain::code_lens(s, &params)
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.inner.read("textDocument/inlayHint", |s| {
            handlers::inlay_hint::inlay_hints(s, &params)
        })
    }
}

/// Builds the service for a connection.
pub fn service(settings: Settings) -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    let env: Arc<dyn Environment> = Arc::new(SystemEnvironment);
    LspService::build(move |client| Backend::new(client, settings, env))
        .custom_method(handlers::explain::EXPLAIN_REQUEST, Backend::explain)
        .finish()
}

/// Serves one client over a pair of streams until it exits.
pub async fn serve<I, O>(input: I, output: O, settings: Settings)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = service(settings);
    Server::new(input, output, socket).serve(service).await;
}

/// Serves one client over stdin and stdout (what `fluxtag lsp` runs).
///
/// # Errors
///
/// When the async runtime cannot start.
pub fn run_stdio(settings: Settings) -> std::result::Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), settings));
    // The client is gone: do not wait for a background read of a large folder to finish.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(())
}
