//! `fluxtag check`: read the repository, resolve every marker, report, and with `--fix` write.
//!
//! Writes are atomic (a temporary file in the same directory, renamed over the original, with
//! the original's permissions); a file that changed on disk since it was read is not
//! overwritten but reported; files without a pending fix are never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fluxtag_core::diag::{Applicability, Diagnostic, Edit, Severity};
use fluxtag_core::edit::apply_edits;
use fluxtag_core::index::{Index, analyze_file};
use fluxtag_core::resolve::{Report, resolve};
use fluxtag_core::yaml::Parser;

use crate::render;
use crate::tags::TagSource;
use crate::walk;
use crate::{CheckArgs, Format};

/// Everything a check run read and found.
pub struct Checked {
    /// The repository root.
    pub root: PathBuf,
    /// The bytes of every parsed file, by relative path.
    pub texts: BTreeMap<String, Vec<u8>>,
    /// The index.
    pub index: Index,
    /// The resolution.
    pub report: Report,
    /// Files whose markers are reported (`None`: all).
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

/// Runs `fluxtag check` and returns the exit code.
pub fn run(args: &CheckArgs) -> Result<u8, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let root = match &args.root {
        Some(root) => cwd.join(root),
        None => walk::find_root(&cwd),
    };
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let scope = if args.paths.is_empty() {
        None
    } else {
        let mut scope = BTreeSet::new();
        for path in &args.paths {
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
        Some(scope)
    };
    let tags = TagSource::open(args.tags_from.as_deref())?;
    let mut checked = load(&root, scope, &tags)?;
    let mut stderr_notes = Vec::new();
    if args.fix || args.diff {
        let pending = pending_fixes(&checked);
        if args.diff {
            let diff = render::unified_diff(&checked, &pending);
            print!("{diff}");
            return Ok(u8::from(!diff.is_empty()));
        }
        let written = write_fixes(&checked, &pending, &mut stderr_notes);
        if written > 0 {
            stderr_notes.push(format!(
                "fixed {written} file{}",
                if written == 1 { "" } else { "s" }
            ));
            checked = load(&root, checked.scope.clone(), &tags)?;
        }
    }
    let output = match args.format {
        Format::Human => render::human(
            &checked,
            std::io::IsTerminal::is_terminal(&std::io::stdout()),
        ),
        Format::Json => render::json(&checked),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(output.as_bytes()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(0);
        }
        return Err(format!("cannot write the report: {error}"));
    }
    for note in stderr_notes {
        eprintln!("fluxtag: {note}");
    }
    let failed = checked.diagnostics().any(|d| d.severity == Severity::Error);
    Ok(u8::from(failed))
}

/// Reads, indexes and resolves the repository.
pub fn load(
    root: &Path,
    scope: Option<BTreeSet<String>>,
    tags: &TagSource,
) -> Result<Checked, String> {
    let files = walk::yaml_files(root).map_err(|e| e.to_string())?;
    let mut parser = Parser::new();
    let mut analyses = Vec::new();
    let mut texts = BTreeMap::new();
    for relative in files {
        let text = walk::read(root, &relative).map_err(|e| e.to_string())?;
        let analysis = analyze_file(&mut parser, &relative, &text);
        if analysis.parsed {
            texts.insert(relative, text);
        }
        analyses.push(analysis);
    }
    // Patch files the kustomizations name: parsed here, applied by the index.
    let mut patch_roots = BTreeMap::new();
    for relative in Index::patch_files_needed(&analyses) {
        let Ok(text) = walk::read(root, &relative) else {
            continue; // a missing patch file is kustomize's error, not ours
        };
        let roots: Vec<_> = fluxtag_core::yaml::parse(&text)
            .documents
            .into_iter()
            .filter_map(|d| d.root)
            .collect();
        patch_roots.insert(relative, roots);
    }
    let index = Index::build(analyses, &patch_roots);
    let report = resolve(&index, &|canonical, repository| {
        tags.lookup(canonical, repository)
    });
    Ok(Checked {
        root: root.to_path_buf(),
        texts,
        index,
        report,
        scope,
    })
}

/// The safe edits of every in-scope finding, by file.
pub fn pending_fixes(checked: &Checked) -> BTreeMap<String, Vec<Edit>> {
    let mut pending: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    for diagnostic in checked.diagnostics() {
        let Some(fix) = &diagnostic.fix else { continue };
        if fix.applicability != Applicability::Safe {
            continue;
        }
        pending
            .entry(diagnostic.path.clone())
            .or_default()
            .extend(fix.edits.iter().cloned());
    }
    pending
}

/// Writes the fixes; returns how many files were written. Problems become notes.
fn write_fixes(
    checked: &Checked,
    pending: &BTreeMap<String, Vec<Edit>>,
    notes: &mut Vec<String>,
) -> usize {
    let mut written = 0;
    for (path, edits) in pending {
        let Some(original) = checked.texts.get(path) else {
            continue;
        };
        let updated = match apply_edits(original, edits) {
            Ok(updated) => updated,
            Err(error) => {
                notes.push(format!("{path}: not fixed: {error}"));
                continue;
            }
        };
        if &updated == original {
            continue;
        }
        let absolute = checked.root.join(path);
        match write_atomically(&absolute, original, &updated) {
            Ok(()) => written += 1,
            Err(error) => notes.push(format!("{path}: not fixed: {error}")),
        }
    }
    written
}

/// Replaces `path` with `updated` if it still holds `expected`.
fn write_atomically(path: &Path, expected: &[u8], updated: &[u8]) -> Result<(), String> {
    let current = std::fs::read(path).map_err(|e| format!("cannot read it again: {e}"))?;
    if current != expected {
        return Err("it changed on disk while fluxtag was running; run fluxtag again".to_string());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    temporary
        .write_all(updated)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(temporary.path(), metadata.permissions());
    }
    temporary
        .persist(path)
        .map_err(|e| format!("cannot replace the file: {}", e.error))?;
    Ok(())
}
