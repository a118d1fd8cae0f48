//! `fluxtag`: Flux image automation at the developer's desk.
//!
//! This file only parses arguments, runs one command and maps its outcome to an exit code:
//! 0 when nothing is at error level, 1 when something is (or, with `--diff`, when a fix is
//! pending), 2 for usage, configuration and internal errors. It is the only place that exits.

mod check;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Find, check and fix Flux `$imagepolicy` markers before they reach the cluster.
#[derive(Debug, Parser)]
#[command(name = "fluxtag", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check markers: invalid ones, and stale ones against the repository's image policies.
    Check(CheckArgs),
    /// Run the language server on stdin and stdout (for editors).
    Lsp(LspArgs),
}

/// Arguments of `fluxtag check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files whose markers to check (what pre-commit passes). Policies are always read from the
    /// whole root. Without paths, every YAML file under the root that git does not ignore.
    pub paths: Vec<PathBuf>,
    /// The repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where tags come from.
    #[command(flatten)]
    pub tags: TagArgs,
    /// Write the updates of stale markers (only the marked values' bytes change).
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Print the unified diff `--fix` would apply; write nothing; exit 1 when there is one.
    #[arg(long)]
    pub diff: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, env = "FLUXTAG_OUTPUT_FORMAT")]
    pub format: Format,
}

/// Arguments of `fluxtag lsp`.
#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Where tags come from (the editor's settings override these).
    #[command(flatten)]
    pub tags: TagArgs,
    /// Speak the protocol on stdin and stdout: the only transport, accepted because editor
    /// clients pass it.
    #[arg(long)]
    pub stdio: bool,
}

/// The tag-source flags shared by `check` and `lsp`.
#[derive(Debug, Clone, clap::Args)]
pub struct TagArgs {
    /// Read tags from this snapshot file instead of any registry (see README.md for the format).
    #[arg(long, value_name = "FILE")]
    pub tags_from: Option<PathBuf>,
    /// Use cached tags only, whatever their age; never contact a registry.
    #[arg(long, conflicts_with = "tags_from")]
    pub offline: bool,
    /// The tag cache directory (default: fluxtag/registry in the user's cache directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Ignore fresh cache entries and ask the registries again.
    #[arg(long, conflicts_with_all = ["offline", "tags_from"])]
    pub refresh: bool,
}

impl TagArgs {
    /// The settings these flags describe.
    pub fn settings(&self) -> fluxtag_workspace::TagSettings {
        fluxtag_workspace::TagSettings {
            tags_from: self.tags_from.clone(),
            offline: self.offline,
            cache_dir: self.cache_dir.clone(),
            refresh: self.refresh,
        }
    }
}

/// Output formats of `fluxtag check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Blocks with the source line and the span underlined.
    Human,
    /// One JSON object with `markers` and `diagnostics` (documented in README.md).
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Lsp(args) => {
            fluxtag_lsp::run_stdio(fluxtag_lsp::Settings::from_flags(args.tags.settings()))
                .map(|()| 0)
        }
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("fluxtag: error: {error}");
            ExitCode::from(2)
        }
    }
}
