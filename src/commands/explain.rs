//! `fluxtag explain POLICY|FILE:LINE`: why an ImagePolicy selects the tag it selects, stage by
//! stage (tags, exclusion list, filterTags, the policy, the ranking), from the same evaluation
//! `check` and `policies` make; for a marker, first what Flux would write into it, whether an
//! automation applies it and the findings on it, then its policy's stages.
//!
//! Exits 0 when every policy named selects a tag (a marker: when it is current), 1 when one
//! selects none or cannot be evaluated (a marker: stale, invalid or unresolved), 2 when nothing
//! has that name (no policy, no marker on that line).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluxtag_core::diag::Code;
use fluxtag_core::explain::{explain_marker, explain_policy, find_policies};
use fluxtag_core::resolve::{MarkerStatus, TagLookup, evaluate_policies};
use fluxtag_registry::{Environment, SystemEnvironment};
use fluxtag_workspace::tags::TagSource;
use fluxtag_workspace::{Workspace, walk};

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
    if let Some(rule) = Rule::of(args) {
        return try_rule(args, &rule);
    }
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

/// A rule given on the command line (`--semver`, `--numerical`, `--alphabetical`): the
/// `spec.policy` choice and its value.
struct Rule<'a> {
    /// `semver`, `numerical` or `alphabetical`: the key under `spec.policy`.
    choice: &'static str,
    /// `range` or `order`: the key under the choice.
    key: &'static str,
    /// The value as given.
    value: &'a str,
}

impl<'a> Rule<'a> {
    /// The rule `args` give, if any (clap lets at most one of the three through).
    fn of(args: &'a ExplainArgs) -> Option<Rule<'a>> {
        if let Some(range) = &args.semver {
            Some(Rule {
                choice: "semver",
                key: "range",
                value: range,
            })
        } else if let Some(order) = &args.numerical {
            Some(Rule {
                choice: "numerical",
                key: "order",
                value: order,
            })
        } else {
            args.alphabetical.as_deref().map(|order| Rule {
                choice: "alphabetical",
                key: "order",
                value: order,
            })
        }
    }
}

/// The namespace of the objects a rule given on the command line is written as.
const RULE_NAMESPACE: &str = "flux-system";
/// The file name they are evaluated under (shown in the explanation's header).
const RULE_FILE: &str = "command-line.yaml";

/// `fluxtag explain IMAGE --semver RANGE …`: the rule written as an ImageRepository and an
/// ImagePolicy, evaluated like any repository's, over the image's tags from the chosen source.
fn try_rule(args: &ExplainArgs, rule: &Rule) -> Result<ExitStatus, String> {
    let name = object_name(&args.target);
    let objects = rule_objects(args, rule, &name);
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let workspace = Workspace::from_texts(
        &cwd,
        BTreeMap::from([(RULE_FILE.to_owned(), objects.clone().into_bytes())]),
    );
    let settings = args.tags.settings();
    let env: Arc<dyn Environment> = Arc::new(SystemEnvironment);
    let source = TagSource::new(&settings, Arc::clone(&env)).map_err(|e| e.to_string())?;
    let ids = find_policies(&workspace.index, Some(RULE_NAMESPACE), &name);
    // What Flux would refuse is the command line's mistake (exit 2), before any registry: the
    // policies evaluated without tags stop at the first step the controller would refuse.
    let without_tags = evaluate_policies(&workspace.index, &|_, _| {
        TagLookup::Failed("no tags read yet".to_owned())
    });
    for id in &ids {
        if let Some((Code::PolicyInvalid | Code::RepositoryInvalid | Code::Templated, message)) =
            without_tags
                .get(id.position())
                .and_then(|p| p.error.as_ref())
        {
            return Err(format!("the rule cannot be evaluated: {message}"));
        }
    }
    let tags = super::fetch_tags(&workspace, &settings, &source, env.as_ref())?;
    let report = workspace.resolve(&tags);
    let lookup = |canonical: &str, _: &_| tags.lookup(canonical);
    let explanations: Vec<_> = ids
        .iter()
        .filter_map(|id| explain_policy(&workspace.index, &report, *id, &lookup, usize::MAX))
        .collect();
    let failed = explanations.iter().any(|e| e.report.latest.is_none());
    let text = if args.objects {
        // What the rule selects goes to standard error: standard output is the objects alone.
        for e in &explanations {
            match (&e.report.latest, &e.report.error) {
                (Some(latest), _) => eprintln!("fluxtag: the rule selects {}", latest.tag),
                (None, Some((_, message))) => eprintln!("fluxtag: {message}"),
                (None, None) => eprintln!("fluxtag: the rule selects no tag"),
            }
        }
        objects
    } else {
        let explained = Explained {
            workspace: &workspace,
            markers: Vec::new(),
            explanations,
        };
        match args.format {
            ListFormat::Human => {
                output::human::explain(&explained, args.all, output::stdout_color())
            }
            ListFormat::Json => output::json::explain(&explained),
        }
    };
    if output::emit(&text)? == Emitted::BrokenPipe {
        return Ok(ExitStatus::Success);
    }
    Ok(ExitStatus::failure_if(failed))
}

/// The objects' name: the image's last path segment, lowercase, with anything a Kubernetes
/// name cannot hold replaced by `-` (`ghcr.io/linuxserver/sonarr` → `sonarr`).
fn object_name(image: &str) -> String {
    let last = image
        .split(['@', ':'])
        .next()
        .unwrap_or(image)
        .rsplit('/')
        .next()
        .unwrap_or(image);
    let name: String = last
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() {
        "image".to_owned()
    } else {
        name.to_owned()
    }
}

/// The rule as YAML: an ImageRepository of `args.target` and an ImagePolicy with the rule,
/// both named `name` in [`RULE_NAMESPACE`]. Every value from the command line is written as a
/// JSON string, which YAML reads as the same double-quoted scalar.
fn rule_objects(args: &ExplainArgs, rule: &Rule, name: &str) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let mut yaml = format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: {name}\n  namespace: {RULE_NAMESPACE}\nspec:\n  image: {}\n  interval: 1h\n",
        quoted(&args.target)
    );
    if !args.exclude.is_empty() {
        yaml.push_str("  exclusionList:\n");
        for pattern in &args.exclude {
            yaml.push_str(&format!("    - {}\n", quoted(pattern)));
        }
    }
    yaml.push_str(&format!(
        "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\n  namespace: {RULE_NAMESPACE}\nspec:\n  imageRepositoryRef:\n    name: {name}\n"
    ));
    if let Some(pattern) = &args.filter_pattern {
        yaml.push_str(&format!(
            "  filterTags:\n    pattern: {}\n",
            quoted(pattern)
        ));
        if let Some(extract) = &args.filter_extract {
            yaml.push_str(&format!("    extract: {}\n", quoted(extract)));
        }
    }
    yaml.push_str(&format!(
        "  policy:\n    {}:\n      {}: {}\n",
        rule.choice,
        rule.key,
        quoted(rule.value)
    ));
    yaml
}
