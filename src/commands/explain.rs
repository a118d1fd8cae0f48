//! `fluxtag explain POLICY`: why an ImagePolicy selects the tag it selects, stage by stage
//! (tags, exclusion list, filterTags, the policy, the ranking), from the same evaluation
//! `check` and `policies` make.
//!
//! Exits 0 when every policy named selects a tag, 1 when one selects none or cannot be
//! evaluated, 2 when no policy has that name.

use fluxtag_core::explain::{explain_policy, find_policies};

use crate::output::{self, Emitted, Explained};
use crate::{ExitStatus, ExplainArgs, ListFormat};

/// Runs `fluxtag explain`.
pub fn run(args: &ExplainArgs) -> Result<ExitStatus, String> {
    let (namespace, name) = match args.policy.split_once(':') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, args.policy.as_str()),
    };
    if name.is_empty() || namespace.is_some_and(str::is_empty) {
        return Err(format!(
            "{:?} is not a policy name: give NAMESPACE:NAME (as in a marker) or NAME",
            args.policy
        ));
    }
    let root = super::find_root(args.root.as_ref())?;
    let super::Loaded { workspace, tags } = super::load(&root, &args.tags.settings(), &args.cache)?;
    let ids = find_policies(&workspace.index, namespace, name);
    if ids.is_empty() {
        return Err(format!(
            "no ImagePolicy {} in {}; `fluxtag policies` lists them",
            args.policy,
            root.display()
        ));
    }
    let report = workspace.resolve(&tags);
    let lookup = |canonical: &str, _: &_| tags.lookup(canonical);
    let explanations = ids
        .into_iter()
        .filter_map(|id| explain_policy(&workspace.index, &report, id, &lookup, usize::MAX))
        .collect::<Vec<_>>();
    let explained = Explained {
        workspace: &workspace,
        explanations,
    };
    let text = match args.format {
        ListFormat::Human => output::human::explain(&explained, args.all, output::stdout_color()),
        ListFormat::Json => output::json::explain(&explained),
    };
    if output::emit(&text)? == Emitted::BrokenPipe {
        return Ok(ExitStatus::Success);
    }
    let failed = explained
        .explanations
        .iter()
        .any(|e| e.report.latest.is_none());
    Ok(ExitStatus::failure_if(failed))
}
