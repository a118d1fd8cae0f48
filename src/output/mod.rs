//! Renderers: one file per output format, all over the same core diagnostics and resolution.
//!
//! A renderer turns what a command found into text. It may convert byte offsets to lines and
//! columns (1-based; columns count characters, as `fluxtag_core::text::ColumnUnit::Chars`) and
//! pick words and colours, but it computes no finding, filters nothing beyond the report scope
//! and never decides an exit code. Output order is the core's: diagnostics sorted by path,
//! range and code; markers in path and source order; policies sorted by namespace and name.
//! The human format alone arranges what it shows (errors, then warnings; info findings counted
//! unless `--show-info`; findings of one root cause printed once with their places), and counts
//! every finding in its summary; the JSON, SARIF and GitHub formats list every finding.

pub mod diff;
pub mod github;
pub mod human;
pub mod json;
pub mod progress;
pub mod sarif;

use std::collections::BTreeSet;
use std::io::Write as _;

use fluxtag_core::diag::{Applicability, Diagnostic, Fix};
use fluxtag_core::resolve::{MarkerReport, PolicyReport, Report};
use fluxtag_workspace::Workspace;

/// What a `check` run has to show: the repository as read, its resolution and the files whose
/// findings are reported.
pub struct Checked {
    /// The repository as read (after `--fix`: as written).
    pub workspace: Workspace,
    /// The resolution.
    pub report: Report,
    /// Files whose findings are reported (`None`: all).
    pub scope: Option<BTreeSet<String>>,
    /// Whether unsafe fixes are shown as available and applied with `--fix`
    /// (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

/// What `fluxtag policies` has to show: every ImagePolicy's evaluation, in output order.
pub struct Listed {
    /// The repository as read (for positions).
    pub workspace: Workspace,
    /// The evaluations, sorted by namespace, name, file and position.
    pub policies: Vec<PolicyReport>,
}

pub use fluxtag_workspace::Position;
pub use fluxtag_workspace::explain_text::Explained;

/// A span as lines and columns: `end` is the position just after the last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first character.
    pub start: Position,
    /// Just after the last character.
    pub end: Position,
}

impl Checked {
    /// Whether `path` is in the report scope.
    pub fn in_scope(&self, path: &str) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(path))
    }

    /// Whether `fix` is available in this run: safe, or unsafe with `--unsafe-fixes` (what
    /// `--fix` applies and `--diff` shows).
    pub fn applies(&self, fix: &Fix) -> bool {
        fix.applicability == Applicability::Safe || self.unsafe_fixes
    }

    /// The diagnostics in scope, in the core's order (path, range, code).
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.report
            .diagnostics
            .iter()
            .filter(|d| self.in_scope(&d.path))
    }

    /// The markers in scope, in path and source order.
    pub fn markers(&self) -> impl Iterator<Item = &MarkerReport> {
        self.report
            .markers
            .iter()
            .filter(|m| self.in_scope(&m.path))
    }

    /// The position of byte `offset` of `path` (1:1 for a file fluxtag did not parse).
    pub fn position(&self, path: &str, offset: usize) -> Position {
        position(&self.workspace, path, offset)
    }

    /// The span of byte range `range` of `path`.
    pub fn span(&self, path: &str, range: &std::ops::Range<usize>) -> Span {
        Span {
            start: self.position(path, range.start),
            end: self.position(path, range.end),
        }
    }
}

/// The position of byte `offset` of `path` in `workspace` (1:1 for a file not parsed).
pub fn position(workspace: &Workspace, path: &str, offset: usize) -> Position {
    workspace.position(path, offset)
}

/// Serialises `value` as pretty JSON ending in a newline. Serialising the output structs cannot
/// fail (strings, numbers, options, vectors); should it, the error becomes a JSON object.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        format!(
            "{{\"error\": {}}}",
            serde_json::Value::String(e.to_string())
        )
    });
    text.push('\n');
    text
}

/// What writing to standard output did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emitted {
    /// Everything was written.
    Written,
    /// The reader went away (`fluxtag check | head`): the command should stop and exit 0.
    BrokenPipe,
}

/// Writes `text` to standard output in one piece.
pub fn emit(text: &str) -> Result<Emitted, String> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Emitted::Written),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(Emitted::BrokenPipe),
        Err(error) => Err(format!("cannot write the report: {error}")),
    }
}

/// Whether output to standard output may be coloured: it is a terminal and `NO_COLOR` is not set
/// (<https://no-color.org>).
pub fn stdout_color() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
