//! Protocol tests of `fluxtag lsp`: the built binary is started and spoken to over stdio with
//! JSON-RPC, on a copy of the bundled homelab example with its tags snapshot (no network), and
//! an end-to-end test drives a real headless Neovim with `editors/nvim/lsp/fluxtag.lua`; the VS
//! Code client is type-checked with its pinned packages.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod fixture;
mod nvim;
mod protocol;
mod rpc;
mod vscode;
