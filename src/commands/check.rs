//! `fluxtag check`: load the repository, get the tags, resolve every marker, report in the
//! chosen format; with `--diff` print the pending fixes instead; with `--fix` write them (then
//! read the written files again and report what remains). Pending fixes are the safe ones, and
//! with `--unsafe-fixes` the unsafe ones too.

use fluxtag_core::diag::Severity;
use fluxtag_workspace::{walk, write};

use crate::output::{self, Checked, Emitted};
use crate::{CheckArgs, CheckFormat, ExitStatus};

/// Runs `fluxtag check`.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, String> {
    let root = super::find_root(args.root.as_ref())?;
    let scope = super::scope(&root, &args.paths)?;
    let super::Loaded { workspace, tags } = super::load(&root, &args.tags.settings(), &args.cache)?;
    let mut notes = Vec::new();
    // A directory stands for the files the walk read below it; the index stays the whole root.
    let scope = scope.map(|scope| {
        let (files, unchecked) = scope.select(workspace.index.files().keys().map(String::as_str));
        notes.extend(unchecked.iter().map(ToString::to_string));
        files
    });
    let mut checked = Checked {
        report: workspace.resolve(&tags),
        workspace,
        scope,
        unsafe_fixes: args.unsafe_fixes,
    };
    if args.fix || args.diff {
        // Safe fixes only, unless `--unsafe-fixes` (ruff's contract).
        let pending = fluxtag_core::edit::fix_edits(checked.diagnostics(), args.unsafe_fixes);
        if args.diff {
            let diff = output::diff::unified(&checked.workspace.texts, &pending);
            if output::emit(&diff)? == Emitted::BrokenPipe {
                return Ok(ExitStatus::Success);
            }
            print_notes(&notes);
            return Ok(ExitStatus::failure_if(!diff.is_empty()));
        }
        let outcome =
            write::write_fixes(&checked.workspace.root, &checked.workspace.texts, &pending);
        for (path, reason) in &outcome.refused {
            notes.push(format!("{path}: not fixed: {reason}"));
        }
        if !outcome.written.is_empty() {
            notes.push(format!(
                "fixed {} file{}",
                outcome.written.len(),
                if outcome.written.len() == 1 { "" } else { "s" }
            ));
            let changes = outcome
                .written
                .iter()
                .map(|path| (path.clone(), walk::read(&root, path).ok()))
                .collect();
            checked
                .workspace
                .update_report(changes, &mut checked.report, &tags);
        }
    }
    let text = match args.format {
        CheckFormat::Human => output::human::check(
            &checked,
            output::human::Options {
                color: output::stdout_color(),
                show_info: args.show_info,
            },
        ),
        CheckFormat::Json => output::json::check(&checked),
        CheckFormat::Sarif => output::sarif::check(&checked),
        CheckFormat::Github => output::github::check(&checked),
    };
    if output::emit(&text)? == Emitted::BrokenPipe {
        return Ok(ExitStatus::Success);
    }
    print_notes(&notes);
    let failed = checked.diagnostics().any(|d| d.severity == Severity::Error);
    // The process exits next: freeing every file's bytes and syntax tree one allocation at a
    // time would cost a few percent of the run for nothing.
    std::mem::forget(checked);
    Ok(ExitStatus::failure_if(failed))
}

/// Prints what the run could not do (files not fixed, paths naming no checked file) to
/// standard error, after the report.
fn print_notes(notes: &[String]) {
    for note in notes {
        eprintln!("fluxtag: {note}");
    }
}
