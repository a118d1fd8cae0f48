//! `fluxtag check`: load the repository, get the tags, resolve every marker, report, and with
//! `--fix` write the updates (then report what remains).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use fluxtag_core::diag::{Diagnostic, Severity};
use fluxtag_core::resolve::Report;
use fluxtag_registry::SystemEnvironment;
use fluxtag_workspace::tags::TagSource;
use fluxtag_workspace::{TagTable, Workspace, walk, write};

use crate::render;
use crate::{CheckArgs, Format};

/// Everything a check run read and found.
pub struct Checked {
    /// The repository as read.
    pub workspace: Workspace,
    /// The resolution.
    pub report: Report,
    /// Files whose findings are reported (`None`: all).
    pub scope: Option<BTreeSet<String>>,
}

impl Checked {
    /// Whether `path` is in the report scope.
    pub fn in_scope(&self, path: &str) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(path))
    }

    /// The diagnostics in scope.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.report
            .diagnostics
            .iter()
            .filter(|d| self.in_scope(&d.path))
    }
}

/// The root and report scope `args` describe.
pub fn root_and_scope(
    root: Option<&PathBuf>,
    paths: &[PathBuf],
) -> Result<(PathBuf, Option<BTreeSet<String>>), String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let root = match root {
        Some(root) => cwd.join(root),
        None => walk::find_root(&cwd),
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    if paths.is_empty() {
        return Ok((root, None));
    }
    let mut scope = BTreeSet::new();
    for path in paths {
        let absolute = cwd.join(path);
        let absolute = absolute.canonicalize().unwrap_or(absolute);
        let relative = walk::relative_path(&root, &absolute).ok_or_else(|| {
            walk::WalkError::OutsideRoot {
                path: path.clone(),
                root: root.clone(),
            }
            .to_string()
        })?;
        scope.insert(relative);
    }
    Ok((root, Some(scope)))
}

/// Runs `fluxtag check` and returns the exit code.
pub fn run(args: &CheckArgs) -> Result<u8, String> {
    let (root, scope) = root_and_scope(args.root.as_ref(), &args.paths)?;
    let env: Arc<dyn fluxtag_registry::Environment> = Arc::new(SystemEnvironment);
    let source = TagSource::new(&args.tags.settings(), Arc::clone(&env)).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut workspace = Workspace::load(&root).map_err(|e| e.to_string())?;
    let tags = runtime.block_on(TagTable::fetch(&workspace, &source, env.as_ref()));
    let mut checked = Checked {
        report: workspace.resolve(&tags),
        workspace,
        scope,
    };
    let mut notes = Vec::new();
    if args.fix || args.diff {
        let pending = write::pending_fixes(checked.diagnostics());
        if args.diff {
            let diff = render::unified_diff(&checked.workspace.texts, &pending);
            print!("{diff}");
            return Ok(u8::from(!diff.is_empty()));
        }
        let outcome = write::write_fixes(&checked.workspace.root, &checked.workspace.texts, &pending);
        for (path, reason) in &outcome.refused {
            notes.push(format!("{path}: not fixed: {reason}"));
        }
        if !outcome.written.is_empty() {
            notes.push(format!(
                "fixed {} file{}",
                outcome.written.len(),
                if outcome.written.len() == 1 { "" } else { "s" }
            ));
            workspace = checked.workspace;
            let changes = outcome
                .written
                .iter()
                .map(|path| (path.clone(), walk::read(&root, path).ok()))
                .collect();
            workspace.update(changes);
            checked = Checked {
                report: workspace.resolve(&tags),
                workspace,
                scope: checked.scope,
            };
        }
    }
    let output = match args.format {
        Format::Human => render::human(&checked, std::io::IsTerminal::is_terminal(&std::io::stdout())),
        Format::Json => render::json(&checked),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(output.as_bytes()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(0);
        }
        return Err(format!("cannot write the report: {error}"));
    }
    for note in notes {
        eprintln!("fluxtag: {note}");
    }
    let failed = checked.diagnostics().any(|d| d.severity == Severity::Error);
    Ok(u8::from(failed))
}
