//! `fluxtag explain POLICY|FILE:LINE`: why an ImagePolicy selects the tag it selects, stage by
//! stage (tags, exclusion list, filterTags, the policy, the ranking), from the same evaluation
//! `check` and `policies` make; for a marker, first what Flux would write into it, whether an
//! automation applies it and the findings on it, then its policy's stages.
//!
//! Exits 0 when every policy named selects a tag (a marker: when it is current), 1 when one
//! selects none or cannot be evaluated (a marker: stale, invalid or unresolved), 2 when nothing
//! has that name (no policy, no marker on that line).

use std::path::{Path, PathBuf};

use fluxtag_core::explain::{explain_marker, explain_policy, find_policies};
use fluxtag_core::resolve::MarkerStatus;
use fluxtag_workspace::walk;

use crate::output::{self, Emitted, Explained};
use crate::{ExitStatus, ExplainArgs, ListFormat};

/// What the command line names.
enum Target<'a> {
    /// A policy: its namespace (when given) and name.
    Policy(Option<&'a str>, &'a str),
    /// The markers on one line of a file (relative to the root, `/`-separated; 1-based line).
    Marker(String, u32),
}

/// Runs `fluxtag explain`.
pub fn run(args: &ExplainArgs) -> Result<ExitStatus, String> {
    let root = super::find_root(args.root.as_ref())?;
    let target = target(&args.target, &root)?;
    let super::Loaded { workspace, tags } = super::load(&root, &args.tags.settings(), &args.cache)?;
    // A policy is looked up before resolving: a typo fails at once.
    let policy_ids = match &target {
        Target::Policy(namespace, name) => {
            let ids = find_policies(&workspace.index, *namespace, name);
            if ids.is_empty() {
                return Err(format!(
                    "no ImagePolicy {} in {}; `fluxtag policies` lists them",
                    args.target,
                    root.display()
                ));
            }
            Some(ids)
        }
        Target::Marker(..) => None,
    };
    let report = workspace.resolve(&tags);
    let (ids, markers) = match (&target, policy_ids) {
        (_, Some(ids)) => (ids, Vec::new()),
        (Target::Policy(..), None) => (Vec::new(), Vec::new()),
        (Target::Marker(path, line), None) => {
            let found: Vec<_> = report
                .markers
                .iter()
                .filter(|m| {
                    m.path == *path
                        && [m.marker.comment.start, m.marker.scalar.start]
                            .iter()
                            .any(|at| output::position(&workspace, path, *at).line == *line)
                })
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "no marker on line {line} of {path}; `fluxtag check --format json {path}` lists the file's markers with their lines"
                ));
            }
            let mut ids: Vec<_> = found.iter().filter_map(|m| m.policy).collect();
            ids.dedup();
            let markers = found
                .into_iter()
                .map(|m| explain_marker(&workspace.index, &report, m))
                .collect();
            (ids, markers)
        }
    };
    let lookup = |canonical: &str, _: &_| tags.lookup(canonical);
    let explanations = ids
        .into_iter()
        .filter_map(|id| explain_policy(&workspace.index, &report, id, &lookup, usize::MAX))
        .collect::<Vec<_>>();
    let explained = Explained {
        workspace: &workspace,
        markers,
        explanations,
    };
    let text = match args.format {
        ListFormat::Human => output::human::explain(&explained, args.all, output::stdout_color()),
        ListFormat::Json => output::json::explain(&explained),
    };
    if output::emit(&text)? == Emitted::BrokenPipe {
        return Ok(ExitStatus::Success);
    }
    let failed = if explained.markers.is_empty() {
        explained
            .explanations
            .iter()
            .any(|e| e.report.latest.is_none())
    } else {
        explained
            .markers
            .iter()
            .any(|m| m.report.status != MarkerStatus::Current)
    };
    Ok(ExitStatus::failure_if(failed))
}

/// What `text` names: `FILE:LINE` when the part before the last `:` is a file (relative to the
/// current directory, else to `root`) and the rest a line number; otherwise a policy.
fn target<'a>(text: &'a str, root: &Path) -> Result<Target<'a>, String> {
    if let Some((file, line)) = text.rsplit_once(':')
        && !file.is_empty()
        && !line.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && let Some(path) = existing_file(file, root)?
    {
        let line = line
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{text:?}: line numbers start at 1"))?;
        let canonical = path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let relative = walk::relative_path(root, &canonical).ok_or_else(|| {
            format!(
                "{file} is not inside the repository root {} (give --root)",
                root.display()
            )
        })?;
        return Ok(Target::Marker(relative, line));
    }
    if let Some((file, _)) = text.rsplit_once(':')
        && (file.ends_with(".yaml") || file.ends_with(".yml"))
    {
        return Err(format!(
            "{file}: no such file (relative to the current directory or to {}); give FILE:LINE of a marker",
            root.display()
        ));
    }
    let (namespace, name) = match text.split_once(':') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, text),
    };
    if name.is_empty() || namespace.is_some_and(str::is_empty) {
        return Err(format!(
            "{text:?} is not a policy name or a marker: give NAMESPACE:NAME (as in a marker), NAME, or FILE:LINE"
        ));
    }
    Ok(Target::Policy(namespace, name))
}

/// `file` as an existing file: relative to the current directory, else to `root`; `None` when
/// neither is a file.
fn existing_file(file: &str, root: &Path) -> Result<Option<PathBuf>, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    Ok([cwd.join(file), root.join(file)]
        .into_iter()
        .find(|p| p.is_file()))
}
