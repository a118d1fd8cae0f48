//! Tests of what users install (`scripts/dist`): the binary tarball and its SHA-256 file, the
//! Python wheel installed into a fresh virtual environment, and the `.vsix` installed into a
//! real VS Code workbench (code-server) driven through its UI by a headless chromium.
//!
//! `scripts/dist` runs once per test run (a `dist` profile build; minutes on 2 cores). Without
//! the tools (npm, python3, code-server, chromium) the tests skip with a note, unless `CI=true`,
//! where they fail; `scripts/test` installs them all.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod artifacts;
mod vscode;
mod wheel;
