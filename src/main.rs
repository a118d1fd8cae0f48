//! `fluxtag`: Flux image automation at the developer's desk.
//!
//! This file only declares the arguments, runs one command and maps its outcome to an exit code
//! ([`ExitStatus`]): 0 when nothing is at error level, 1 when something is (or, with `--diff`,
//! when a fix is pending), 2 for usage, configuration and internal errors. It is the only place
//! that exits. Each verb lives in its own file under `commands/`; each output format in its own
//! file under `output/`.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};

/// Find, check and fix Flux `$imagepolicy` markers before they reach the cluster.
#[derive(Debug, Parser)]
// `version` is the package version and, when built from a git checkout, its commit (build.rs);
// every subcommand takes `--version` too (`fluxtag lsp --version`, what editor clients run).
#[command(name = "fluxtag", version = env!("FLUXTAG_VERSION"), propagate_version = true, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check markers: invalid ones, and stale ones against the repository's image policies.
    Check(CheckArgs),
    /// List every ImagePolicy with the tag it selects (`flux get images policy`, no cluster).
    Policies(PoliciesArgs),
    /// Why an ImagePolicy selects the tag it selects (each stage of its evaluation, in Flux's
    /// order), what Flux would write into a marker and why, or what a rule would select from an
    /// image's tags.
    Explain(ExplainArgs),
    /// Tags of the repository's images: `--export FILE` writes a snapshot for `--tags-from`.
    Tags(TagsArgs),
    // `lsp` is the language server's entry point (crates/fluxtag-lsp); its arguments are its own.
    /// Run the language server on stdin and stdout (for editors).
    Lsp(LspArgs),
    /// Print a shell completion script (e.g. `fluxtag completions bash > ~/.local/share/bash-completion/completions/fluxtag`).
    Completions(CompletionsArgs),
    /// Print a man page in roff (`fluxtag man | man -l -`; `fluxtag man check` for a verb's).
    #[command(hide = true)]
    Man(ManArgs),
}

/// Arguments of `fluxtag completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `fluxtag man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`fluxtag-check(1)`); without it, `fluxtag(1)`.
    pub command: Option<String>,
}

/// Arguments of `fluxtag check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories whose markers to check (what pre-commit passes); a directory is the
    /// YAML files below it. Policies are always read from the whole root. Without paths, every
    /// YAML file under the root that git does not ignore.
    pub paths: Vec<PathBuf>,
    /// The repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where tags come from.
    #[command(flatten)]
    pub tags: TagArgs,
    /// The analysis cache.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Apply the safe fixes: the updates of stale markers (only the marked values' bytes
    /// change).
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Also the unsafe fixes (a did-you-mean, moving a misplaced marker so that Flux applies
    /// it): shown as available; applied with `--fix`, included with `--diff`.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the unified diff `--fix` would apply; write nothing; exit 1 when there is one.
    #[arg(long)]
    pub diff: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human, env = "FLUXTAG_OUTPUT_FORMAT")]
    pub format: CheckFormat,
    /// Human output: print info-level findings too (by default one line per code counts them).
    /// The other formats always list every finding.
    #[arg(long)]
    pub show_info: bool,
}

/// Arguments of `fluxtag policies`.
#[derive(Debug, clap::Args)]
pub struct PoliciesArgs {
    /// The repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where tags come from.
    #[command(flatten)]
    pub tags: TagArgs,
    /// The analysis cache.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Output format (FLUXTAG_OUTPUT_FORMAT is `check`'s only).
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Arguments of `fluxtag explain`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("rule").args(["semver", "numerical", "alphabetical"])))]
pub struct ExplainArgs {
    /// What to explain: an ImagePolicy as a marker names it (`NAMESPACE:NAME`, or `NAME` for
    /// every policy of that name); a marker (`FILE:LINE`, the file relative to the current
    /// directory or the root): what Flux would write into it, whether an automation applies it,
    /// and its policy's evaluation; or, with a rule (--semver, --numerical, --alphabetical), an
    /// image (`ghcr.io/org/app`) whose real tags the rule is tried on, no manifest needed.
    #[arg(value_name = "POLICY|FILE:LINE|IMAGE")]
    pub target: String,
    /// Try a semver rule on IMAGE's tags: a range as `spec.policy.semver.range` takes it.
    #[arg(long, value_name = "RANGE", help_heading = "Trying a rule on an image")]
    pub semver: Option<String>,
    /// Try a numerical rule on IMAGE's tags: `asc` or `desc`, as `spec.policy.numerical.order`.
    #[arg(long, value_name = "ORDER", help_heading = "Trying a rule on an image")]
    pub numerical: Option<String>,
    /// Try an alphabetical rule on IMAGE's tags: `asc` or `desc`, as
    /// `spec.policy.alphabetical.order`.
    #[arg(long, value_name = "ORDER", help_heading = "Trying a rule on an image")]
    pub alphabetical: Option<String>,
    /// The rule's `spec.filterTags.pattern` (a Go regular expression).
    #[arg(
        long,
        value_name = "REGEX",
        requires = "rule",
        help_heading = "Trying a rule on an image"
    )]
    pub filter_pattern: Option<String>,
    /// The rule's `spec.filterTags.extract` (`$name` of a group of the pattern).
    #[arg(
        long,
        value_name = "TEMPLATE",
        requires = "filter_pattern",
        help_heading = "Trying a rule on an image"
    )]
    pub filter_extract: Option<String>,
    /// A pattern of the ImageRepository's `spec.exclusionList` (repeatable; none: Flux's default
    /// `^.*\.sig$`).
    #[arg(
        long,
        value_name = "REGEX",
        requires = "rule",
        help_heading = "Trying a rule on an image"
    )]
    pub exclude: Vec<String>,
    /// Print the ImageRepository and ImagePolicy the rule is (the objects evaluated), instead
    /// of the explanation: the start of a new policy.
    #[arg(long, requires = "rule", help_heading = "Trying a rule on an image")]
    pub objects: bool,
    /// The repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where tags come from.
    #[command(flatten)]
    pub tags: TagArgs,
    /// The analysis cache.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Human output: list every tag of each stage (by default long lists show their first
    /// entries and a count). JSON always lists everything.
    #[arg(long)]
    pub all: bool,
    /// Output format (FLUXTAG_OUTPUT_FORMAT is `check`'s only).
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Arguments of `fluxtag tags`.
#[derive(Debug, clap::Args)]
pub struct TagsArgs {
    /// The repository root (default: the git top level of the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where tags come from.
    #[command(flatten)]
    pub tags: TagArgs,
    /// The analysis cache.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Write a tags snapshot of every ImageRepository to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE", required = true)]
    pub export: PathBuf,
}

/// Arguments of `fluxtag lsp`.
#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Where tags come from (the editor's settings override these).
    #[command(flatten)]
    pub tags: TagArgs,
    /// The analysis cache (read when a folder is first indexed).
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Speak the protocol on stdin and stdout: the only transport, accepted because editor
    /// clients pass it.
    #[arg(long)]
    pub stdio: bool,
}

/// The tag-source flags shared by every command that reads tags (`check`, `policies`,
/// `explain`, `tags`, `lsp`).
#[derive(Debug, Clone, clap::Args)]
pub struct TagArgs {
    /// Read tags from this snapshot file instead of any registry (see README.md for the format).
    /// Default: the FLUXTAG_TAGS_FROM environment variable, unless --offline or --refresh is
    /// given.
    #[arg(long, value_name = "FILE")]
    pub tags_from: Option<PathBuf>,
    /// Use cached tags only, whatever their age; never contact a registry.
    #[arg(long, conflicts_with = "tags_from")]
    pub offline: bool,
    /// The tag cache directory (default: fluxtag/registry in the user's cache directory).
    #[arg(long, value_name = "DIR", env = "FLUXTAG_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Ignore fresh cache entries and ask the registries again.
    #[arg(long, conflicts_with_all = ["offline", "tags_from"])]
    pub refresh: bool,
}

impl TagArgs {
    /// The settings these flags describe.
    pub fn settings(&self) -> fluxtag_workspace::TagSettings {
        // Flags win over the environment: `FLUXTAG_TAGS_FROM` (a CI or pre-commit setting) only
        // applies when no other tag source was asked for.
        let tags_from = self.tags_from.clone().or_else(|| {
            (!self.offline && !self.refresh)
                .then(|| std::env::var_os("FLUXTAG_TAGS_FROM"))
                .flatten()
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        });
        fluxtag_workspace::TagSettings {
            tags_from,
            offline: self.offline,
            cache_dir: self.cache_dir.clone(),
            refresh: self.refresh,
        }
    }
}

/// Flags of the analysis cache (what each parsed file held, kept between runs).
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// Parse every file: neither read nor write the analysis cache (which lives in
    /// fluxtag/analysis in the user's cache directory, or in DIR/analysis with --cache-dir DIR).
    #[arg(long, env = "FLUXTAG_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

/// Output formats of `fluxtag check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Blocks with the source line and the span underlined, then a summary line.
    Human,
    /// One JSON object with `markers` and `diagnostics` (documented in README.md).
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::…`), for annotations.
    Github,
}

/// Output formats of listing commands (`fluxtag policies`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// An aligned table.
    Human,
    /// One JSON object (documented in README.md).
    Json,
}

/// How a command ended; the process exit code is its discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: nothing at error level.
    Success = 0,
    /// 1: at least one error-level finding, or (with `--diff`) a pending fix.
    Failure = 1,
    /// 2: usage, configuration or internal error.
    Error = 2,
}

impl ExitStatus {
    /// `Failure` when `failed`, else `Success`.
    pub fn failure_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }
}

/// The allocator of the whole process (the language server included): the core allocates many
/// small YAML nodes, strings and vectors, which glibc's allocator made about a quarter of a run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help and --version.
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Policies(args) => commands::policies::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Tags(args) => commands::tags::run(&args),
        Command::Completions(args) => commands::generate::completions(args.shell, Cli::command()),
        Command::Man(args) => commands::generate::man(args.command.as_deref(), Cli::command()),
        Command::Lsp(args) => {
            let mut settings = fluxtag_lsp::Settings::from_flags(args.tags.settings());
            // With the flags' paths made absolute, as for the tag cache.
            settings.analysis_cache = commands::cache_settings(
                &args.cache,
                &settings.tags,
                &fluxtag_registry::SystemEnvironment,
            );
            fluxtag_lsp::run_stdio(settings).map(|()| ExitStatus::Success)
        }
    };
    let status = match outcome {
        Ok(status) => status,
        Err(error) => {
            eprintln!("fluxtag: error: {error}");
            ExitStatus::Error
        }
    };
    ExitCode::from(status as u8)
}
