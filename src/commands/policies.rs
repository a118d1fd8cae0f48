//! `fluxtag policies`: every ImagePolicy of the repository with the tag it selects, what
//! `flux get images policy` shows, without a cluster.
//!
//! Exits 1 when a policy has an error-level problem (invalid policy, missing or invalid
//! repository), as `check` would; registry errors and policies that select nothing are warnings.

use crate::output::{self, Emitted, Listed};
use crate::{ExitStatus, ListFormat, PoliciesArgs};

/// Runs `fluxtag policies`.
pub fn run(args: &PoliciesArgs) -> Result<ExitStatus, String> {
    let root = super::find_root(args.root.as_ref())?;
    let super::Loaded { workspace, tags } = super::load(&root, &args.tags.settings(), &args.cache)?;
    let mut policies = workspace.resolve(&tags).policies;
    policies.sort_by(|a, b| {
        (&a.namespace, &a.name, &a.path, a.range.start).cmp(&(
            &b.namespace,
            &b.name,
            &b.path,
            b.range.start,
        ))
    });
    let listed = Listed {
        workspace,
        policies,
    };
    let text = match args.format {
        ListFormat::Human => output::human::policies(&listed, output::stdout_color()),
        ListFormat::Json => output::json::policies(&listed),
    };
    if output::emit(&text)? == Emitted::BrokenPipe {
        return Ok(ExitStatus::Success);
    }
    let failed = listed.policies.iter().any(|p| {
        p.error
            .as_ref()
            .is_some_and(|(code, _)| code.default_severity() == fluxtag_core::diag::Severity::Error)
    });
    Ok(ExitStatus::failure_if(failed))
}
