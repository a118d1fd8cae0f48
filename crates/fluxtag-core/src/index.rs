//! The cross-file index: every file's markers and objects, and what the repository as a whole
//! says about them.
//!
//! [`analyze_file`] reads one file (bytes in, data out; the byte prefilter decides whether it is
//! parsed at all). [`Index::new`] puts the analyses of a whole repository together: policies and
//! repositories by namespace and name, namespaces inferred from kustomizations, `${VAR}` values
//! from Flux Kustomizations, and the image automations that decide whether Flux would apply a
//! marker. It does no I/O and makes no registry calls; [`crate::resolve`] adds the tags.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::diag::{Code, Diagnostic};
use crate::flux::{
    self, FluxKustomization, FluxObject, ImagePolicy, ImageRepository, ImageUpdateAutomation,
    KustomizeFile,
};
use crate::kustomize::{self, FROM_PATCH, KustomizeView};
use crate::marker::{self, FileMarkers};
use crate::text::LineIndex;
use crate::yaml::{Depth, Node, Parser, YamlFile};

/// Everything read from one file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileAnalysis {
    /// The file, relative to the root, `/`-separated.
    pub path: String,
    /// Line starts of the file.
    pub lines: LineIndex,
    /// Markers and near misses.
    pub markers: FileMarkers,
    /// Flux and kustomize objects.
    pub objects: Vec<FluxObject>,
    /// Whether any part of the file was parsed.
    pub parsed: bool,
    /// The document roots of image objects, by document index (kustomize patches apply to them).
    pub object_roots: Vec<(usize, Node)>,
}

/// [`Index::policies`] by namespace and name (see [`Index::policy_lookup`]).
#[derive(Debug, Default)]
pub struct PolicyLookup<'a> {
    /// The first policy of each namespace and name.
    by_key: std::collections::HashMap<(&'a str, &'a str), usize>,
    /// The first policy of each name among those whose namespace is unknown.
    by_name: std::collections::HashMap<&'a str, usize>,
}

impl PolicyLookup<'_> {
    /// The index of the policy a marker names: exact namespace and name, or, for policies whose
    /// namespace is unknown, the name alone (the second value says so).
    pub fn find(&self, namespace: &str, name: &str) -> Option<(usize, bool)> {
        self.by_key
            .get(&(namespace, name))
            .map(|&i| (i, false))
            .or_else(|| self.by_name.get(name).map(|&i| (i, true)))
    }
}

/// Reads one file: a byte prefilter first, then the documents that may hold markers or objects.
pub fn analyze_file(parser: &mut Parser, path: &str, text: &[u8]) -> FileAnalysis {
    let lines = LineIndex::new(text);
    let has_markers = marker::may_contain_markers(text);
    let has_objects = flux::may_contain_objects(text) || flux::is_kustomization_file(path);
    if !has_markers && !has_objects {
        return FileAnalysis {
            path: path.to_string(),
            lines,
            markers: FileMarkers::default(),
            objects: Vec::new(),
            parsed: false,
            object_roots: Vec::new(),
        };
    }
    let kustomization = flux::is_kustomization_file(path);
    let yaml: YamlFile = if has_markers {
        // Every document, for the file-level checks; in full only where markers or objects
        // may be, the rest shallow (shape only), which keeps large streams cheap.
        parser.parse_with(text, &|bytes| {
            if kustomization
                || marker::may_contain_markers(bytes)
                || flux::may_contain_objects(bytes)
            {
                Depth::Full
            } else {
                Depth::Shallow
            }
        })
    } else if kustomization {
        parser.parse(text, &|_| true)
    } else {
        parser.parse(text, &|bytes| flux::may_contain_objects(bytes))
    };
    let markers = if has_markers {
        marker::find_markers(path, text, &yaml, &lines)
    } else {
        FileMarkers::default()
    };
    let mut objects = flux::read_objects(path, &yaml);
    objects.extend(
        kustomize::read_components(path, &yaml)
            .into_iter()
            .map(FluxObject::Kustomize),
    );
    let object_roots = objects
        .iter()
        .filter_map(|o| match o {
            FluxObject::Policy(p) => Some(p.origin.document),
            FluxObject::Repository(r) => Some(r.origin.document),
            _ => None,
        })
        .filter_map(|d| Some((d, yaml.documents.get(d)?.root.clone()?)))
        .collect();
    FileAnalysis {
        path: path.to_string(),
        lines,
        markers,
        objects,
        parsed: true,
        object_roots,
    }
}

/// An ImagePolicy with its effective namespace.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// The object as read.
    pub object: ImagePolicy,
    /// Its namespace: `metadata.namespace`, else the one kustomize or a Flux Kustomization
    /// gives it, else `None` (matched by name alone).
    pub namespace: Option<String>,
    /// Where the namespace came from, when it was inferred.
    pub namespace_source: Option<String>,
    /// The name after `${VAR}` substitution.
    pub name: String,
}

/// An ImageRepository with its effective namespace.
#[derive(Debug, Clone)]
pub struct RepositoryEntry {
    /// The object as read.
    pub object: ImageRepository,
    /// Its namespace, as for policies.
    pub namespace: Option<String>,
    /// The name after substitution.
    pub name: String,
    /// `spec.image` after substitution (`None` when absent or unresolvable).
    pub image: Option<String>,
}

/// An ImageUpdateAutomation with its effective namespace.
#[derive(Debug, Clone)]
pub struct AutomationEntry {
    /// The object as read.
    pub object: ImageUpdateAutomation,
    /// Its namespace.
    pub namespace: Option<String>,
    /// `spec.update.path` normalised (`""`: the repository root).
    pub update_dir: String,
}

/// The whole repository as fluxtag sees it.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Every analysed file by path.
    pub files: BTreeMap<String, FileAnalysis>,
    /// Every ImagePolicy.
    pub policies: Vec<PolicyEntry>,
    /// Every ImageRepository.
    pub repositories: Vec<RepositoryEntry>,
    /// Every ImageUpdateAutomation.
    pub automations: Vec<AutomationEntry>,
    /// Every Flux Kustomization.
    pub flux_kustomizations: Vec<FluxKustomization>,
    /// Every kustomize kustomization and component.
    pub kustomize_files: Vec<KustomizeFile>,
    /// What kustomize would do to the objects.
    pub kustomize: KustomizeView,
}

/// An object's effective name and namespace, and the variables of its file.
struct Identity {
    vars: BTreeMap<String, String>,
    namespace: Option<String>,
    namespace_source: Option<String>,
    name: String,
}

/// The result of `${VAR}` substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substituted {
    /// No variables in the text.
    Plain(String),
    /// Every variable had a value.
    Resolved(String),
    /// These variables have no literal value in the repository.
    Unresolved(Vec<String>),
}

impl Substituted {
    /// The text when it is known.
    pub fn known(&self) -> Option<&str> {
        match self {
            Substituted::Plain(s) | Substituted::Resolved(s) => Some(s),
            Substituted::Unresolved(_) => None,
        }
    }
}

/// Replaces `${VAR}`, `${VAR:=default}` and `${VAR:-default}` with values from `vars`.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Substituted {
    if !text.contains("${") {
        return Substituted::Plain(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let (name, default) = match inner.find([':', '=']).map(|i| (i, &inner[i..])) {
            Some((i, tail)) if tail.starts_with(":=") || tail.starts_with(":-") => {
                (&inner[..i], Some(&tail[2..]))
            }
            Some((i, tail)) if tail.starts_with('=') => (&inner[..i], Some(&tail[1..])),
            _ => (inner, None),
        };
        match vars.get(name).map(String::as_str).or(default) {
            Some(value) => out.push_str(value),
            None => missing.push(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Substituted::Resolved(out)
    } else {
        missing.dedup();
        Substituted::Unresolved(missing)
    }
}

impl Index {
    /// Puts the analyses of a repository together, without patch files.
    pub fn new(analyses: Vec<FileAnalysis>) -> Index {
        Index::build(analyses, &BTreeMap::new())
    }

    /// Puts the analyses of a repository together. `patch_roots` holds the parsed document
    /// roots of the patch files the kustomizations name ([`Index::patch_files_needed`]), by path.
    pub fn build(analyses: Vec<FileAnalysis>, patch_roots: &BTreeMap<String, Vec<Node>>) -> Index {
        let mut index = Index::default();
        let mut policies = Vec::new();
        let mut repositories = Vec::new();
        let mut automations = Vec::new();
        for analysis in &analyses {
            for object in &analysis.objects {
                match object {
                    FluxObject::FluxKustomization(k) => index.flux_kustomizations.push(k.clone()),
                    FluxObject::Kustomize(k) => index.kustomize_files.push(k.clone()),
                    _ => {}
                }
            }
        }
        index.kustomize = KustomizeView::new(&index.kustomize_files);
        for analysis in analyses {
            let patch_only = index.kustomize.is_patch_file(&analysis.path);
            for object in &analysis.objects {
                let object = match object {
                    FluxObject::Policy(_) | FluxObject::Repository(_) if patch_only => continue,
                    FluxObject::Policy(p) => index
                        .patched(&analysis, p.origin.document, patch_roots)
                        .unwrap_or_else(|| object.clone()),
                    FluxObject::Repository(r) => index
                        .patched(&analysis, r.origin.document, patch_roots)
                        .unwrap_or_else(|| object.clone()),
                    other => other.clone(),
                };
                match object {
                    FluxObject::Policy(p) => policies.push(p),
                    FluxObject::Repository(r) => repositories.push(r),
                    FluxObject::Automation(a) => automations.push(a),
                    _ => {}
                }
            }
            index.files.insert(analysis.path.clone(), analysis);
        }
        for object in policies {
            let identity = index.identity(&object.origin.path, &object.metadata);
            index.policies.push(PolicyEntry {
                object,
                namespace: identity.namespace,
                namespace_source: identity.namespace_source,
                name: identity.name,
            });
        }
        for object in repositories {
            let identity = index.identity(&object.origin.path, &object.metadata);
            let image = object.image.as_ref().and_then(|i| {
                substitute(&i.value, &identity.vars)
                    .known()
                    .map(str::to_string)
            });
            index.repositories.push(RepositoryEntry {
                object,
                namespace: identity.namespace,
                name: identity.name,
                image,
            });
        }
        for object in automations {
            let namespace = index
                .identity(&object.origin.path, &object.metadata)
                .namespace;
            let update_dir = object
                .update_path
                .as_ref()
                .map(|p| flux::normalise_dir(&p.value))
                .unwrap_or_default();
            index.automations.push(AutomationEntry {
                object,
                namespace,
                update_dir,
            });
        }
        index
    }

    /// The object of document `document` of `analysis` with the patches of the kustomizations
    /// that include it applied, when any apply.
    fn patched(
        &self,
        analysis: &FileAnalysis,
        document: usize,
        patch_roots: &BTreeMap<String, Vec<Node>>,
    ) -> Option<FluxObject> {
        let root = analysis
            .object_roots
            .iter()
            .find(|(d, _)| *d == document)
            .map(|(_, root)| root)?;
        let (patched, _) = self
            .kustomize
            .apply_patches(&analysis.path, root, patch_roots)?;
        kustomize::read_object_from_root(&analysis.path, document, &patched)
    }

    /// The patch files the kustomizations name, which the caller parses for [`Index::build`].
    pub fn patch_files_needed(analyses: &[FileAnalysis]) -> Vec<String> {
        let files: Vec<KustomizeFile> = analyses
            .iter()
            .flat_map(|a| a.objects.iter())
            .filter_map(|o| match o {
                FluxObject::Kustomize(k) => Some(k.clone()),
                _ => None,
            })
            .collect();
        KustomizeView::new(&files).patch_files()
    }

    /// The name and namespace of an object defined in `path`, after `${VAR}` substitution and
    /// namespace inference.
    fn identity(&self, path: &str, metadata: &flux::Metadata) -> Identity {
        let vars = self.variables_for(path);
        let (namespace, namespace_source) =
            self.namespace_of(path, metadata.namespace.as_ref(), &vars);
        let name = metadata
            .name
            .as_ref()
            .map(|n| {
                substitute(&n.value, &vars)
                    .known()
                    .unwrap_or(&n.value)
                    .to_string()
            })
            .unwrap_or_default();
        Identity {
            vars,
            namespace,
            namespace_source,
            name,
        }
    }

    /// The `${VAR}` values Flux Kustomizations give a file under their `spec.path`. A variable
    /// two Kustomizations set differently is left out (its value is ambiguous).
    pub fn variables_for(&self, path: &str) -> BTreeMap<String, String> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let mut ambiguous = Vec::new();
        for kustomization in &self.flux_kustomizations {
            let Some(dir) = &kustomization.path else {
                continue;
            };
            if !is_under(path, dir) {
                continue;
            }
            for (key, value) in &kustomization.substitute {
                match vars.get(key) {
                    Some(existing) if existing != value => ambiguous.push(key.clone()),
                    _ => {
                        vars.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        for key in ambiguous {
            vars.remove(&key);
        }
        vars
    }

    /// The namespace of an object defined in `path`, and where an inferred one came from.
    fn namespace_of(
        &self,
        path: &str,
        written: Option<&flux::Spanned<String>>,
        vars: &BTreeMap<String, String>,
    ) -> (Option<String>, Option<String>) {
        if let Some(ns) = written {
            return (
                Some(
                    substitute(&ns.value, vars)
                        .known()
                        .unwrap_or(&ns.value)
                        .to_string(),
                ),
                None,
            );
        }
        if let Some((namespace, source)) = self.kustomize_namespace(path) {
            return (Some(namespace), Some(source));
        }
        (None, None)
    }

    /// The namespace a kustomization that lists `path` (directly or through its directory)
    /// gives it. Overridden by the kustomize view when one is available.
    fn kustomize_namespace(&self, path: &str) -> Option<(String, String)> {
        self.kustomize
            .namespace_for(path)
            .map(|source| (source.namespace, source.kustomization))
    }

    /// A hash lookup of [`Index::policies`] by the namespace and name a marker gives (see
    /// [`PolicyLookup::find`]), built once for all markers.
    pub fn policy_lookup(&self) -> PolicyLookup<'_> {
        let mut lookup = PolicyLookup::default();
        for (i, policy) in self.policies.iter().enumerate() {
            match policy.namespace.as_deref() {
                Some(namespace) => {
                    lookup
                        .by_key
                        .entry((namespace, policy.name.as_str()))
                        .or_insert(i);
                }
                None => {
                    lookup.by_name.entry(policy.name.as_str()).or_insert(i);
                }
            }
        }
        lookup
    }

    /// Indices into [`Index::policies`] of every policy the markers of `path` can reach: the
    /// one each marker names (after `${VAR}` substitution, found as [`PolicyLookup::find`]
    /// finds it) and, for a name that matches nothing, its did-you-mean candidates. Resolving
    /// an index holding only these policies gives that file's markers the same verdicts as the
    /// whole index (the language server relies on it to resolve one file per keystroke).
    pub fn policies_reached_by(&self, path: &str) -> std::collections::BTreeSet<usize> {
        let mut reached = std::collections::BTreeSet::new();
        let Some(analysis) = self.files.get(path) else {
            return reached;
        };
        let vars = self.variables_for(path);
        let keys = self.policy_keys();
        let lookup = self.policy_lookup();
        for marker in &analysis.markers.markers {
            let reference = match substitute(&marker.reference, &vars) {
                Substituted::Plain(text) | Substituted::Resolved(text) => text,
                Substituted::Unresolved(_) => continue,
            };
            let Ok(target) = marker::parse_reference(&reference) else {
                continue;
            };
            match lookup.find(&target.namespace, &target.name) {
                Some((position, _)) => {
                    reached.insert(position);
                }
                None => {
                    let name = format!("{}:{}", target.namespace, target.name);
                    for candidate in closest(&name, &keys) {
                        reached.extend(
                            keys.iter()
                                .enumerate()
                                .filter(|(_, k)| k.as_str() == candidate)
                                .map(|(i, _)| i),
                        );
                    }
                }
            }
        }
        reached
    }

    /// The repository a policy references.
    pub fn repository_of(&self, policy: &PolicyEntry) -> Option<&RepositoryEntry> {
        let name = policy.object.repository_name.as_ref()?.value.as_str();
        let namespace = policy
            .object
            .repository_namespace
            .as_ref()
            .map(|n| n.value.clone())
            .or_else(|| policy.namespace.clone());
        self.repositories
            .iter()
            .find(|r| r.name == name && r.namespace == namespace)
            .or_else(|| {
                self.repositories
                    .iter()
                    .find(|r| r.name == name && (r.namespace.is_none() || namespace.is_none()))
            })
    }

    /// Names of every policy as `namespace:name`, for did-you-mean suggestions and completion.
    pub fn policy_keys(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|p| match &p.namespace {
                Some(ns) => format!("{ns}:{}", p.name),
                None => p.name.clone(),
            })
            .collect()
    }

    /// Whether any ImageUpdateAutomation would apply policy `policy` to a marker in `path`, and
    /// if not, why (spec §1.4: same namespace, `policySelector`, `update.path`).
    pub fn automation_verdict(&self, policy: &PolicyEntry, path: &str) -> Result<(), String> {
        if self.automations.is_empty() {
            return Ok(()); // the automation may live in another repository
        }
        let mut reasons = Vec::new();
        for automation in &self.automations {
            let name = automation
                .object
                .metadata
                .name
                .as_ref()
                .map_or("(unnamed)", |n| n.value.as_str());
            if automation.namespace.is_some()
                && policy.namespace.is_some()
                && automation.namespace != policy.namespace
            {
                reasons.push(format!(
                    "ImageUpdateAutomation {name} is in namespace {}, and Flux only applies policies of its own namespace",
                    automation.namespace.as_deref().unwrap_or("?")
                ));
                continue;
            }
            if let Some(strategy) = &automation.object.strategy
                && strategy.value != "Setters"
            {
                reasons.push(format!(
                    "ImageUpdateAutomation {name} has update strategy {:?}; Flux supports only Setters and stalls on it",
                    strategy.value
                ));
                continue;
            }
            if let Some(selector) = &automation.object.policy_selector
                && !selector.matches(&policy.object.metadata.labels)
            {
                reasons.push(format!(
                    "the policySelector of ImageUpdateAutomation {name} does not match the policy's labels"
                ));
                continue;
            }
            if !is_under(path, &automation.update_dir) {
                reasons.push(format!(
                    "the file is outside `{}`, the update.path of ImageUpdateAutomation {name}",
                    if automation.update_dir.is_empty() {
                        "."
                    } else {
                        &automation.update_dir
                    }
                ));
                continue;
            }
            return Ok(());
        }
        Err(reasons.join("; "))
    }

    /// Diagnostics about the objects themselves, independent of tags: invalid policies and
    /// repositories, and policies whose repository is missing.
    pub fn object_diagnostics(&self) -> Vec<Diagnostic> {
        let compiled: Vec<_> = self
            .policies
            .iter()
            .map(|p| crate::resolve::compile_policy(&p.object))
            .collect();
        self.object_diagnostics_with(&compiled)
    }

    /// [`Index::object_diagnostics`] with every policy compiled already (one compile per
    /// policy per resolution), `compiled[i]` belonging to `self.policies[i]`.
    pub(crate) fn object_diagnostics_with(
        &self,
        compiled: &[crate::resolve::CompiledPolicy],
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (policy, compiled) in self.policies.iter().zip(compiled) {
            let object = &policy.object;
            let first = out.len();
            let problem = compiled
                .as_ref()
                .err()
                .cloned()
                .or_else(|| crate::resolve::digest_reflection_problem(object));
            if let Some((range, message)) = problem {
                out.push(
                    Diagnostic::new(
                        Code::PolicyInvalid,
                        &object.origin.path,
                        range,
                        format!(
                            "ImagePolicy {} is invalid: {message}",
                            display_name(policy.namespace.as_deref(), &policy.name)
                        ),
                    )
                    .with_help(
                        "Flux marks this policy Stalled (InvalidPolicy) and never selects a tag",
                    ),
                );
            }
            match &object.repository_name {
                None => out.push(
                    Diagnostic::new(
                        Code::PolicyInvalid,
                        &object.origin.path,
                        name_range(object),
                        "the ImagePolicy has no spec.imageRepositoryRef.name",
                    )
                    .with_help("name the ImageRepository whose tags this policy selects from"),
                ),
                Some(reference) if self.repository_of(policy).is_none() => {
                    let namespace = object
                        .repository_namespace
                        .as_ref()
                        .map(|n| n.value.clone())
                        .or_else(|| policy.namespace.clone());
                    out.push(
                        Diagnostic::new(
                            Code::RepositoryNotFound,
                            &object.origin.path,
                            reference.range.clone(),
                            format!(
                                "no ImageRepository {} in the repository",
                                display_name(namespace.as_deref(), &reference.value)
                            ),
                        )
                        .with_help("create the ImageRepository, or fix the name in spec.imageRepositoryRef"),
                    );
                }
                Some(_) => {}
            }
            relocate_patched(&mut out[first..], name_range(object));
        }
        for repository in &self.repositories {
            if let Some((range, message)) = crate::resolve::repository_problem(repository) {
                out.push(
                    Diagnostic::new(
                        Code::RepositoryInvalid,
                        &repository.object.origin.path,
                        range,
                        format!(
                            "ImageRepository {} is invalid: {message}",
                            display_name(repository.namespace.as_deref(), &repository.name)
                        ),
                    )
                    .with_help("Flux marks this repository Stalled and scans no tags"),
                );
                let fallback = repository
                    .object
                    .metadata
                    .name
                    .as_ref()
                    .map_or(0..0, |n| n.range.clone());
                let last = out.len() - 1;
                relocate_patched(&mut out[last..], fallback);
            }
        }
        out
    }
}

/// Points findings on fields a kustomize patch set at the object's name instead, since the
/// patched bytes live in another file.
fn relocate_patched(diagnostics: &mut [Diagnostic], fallback: Range<usize>) {
    for diagnostic in diagnostics {
        if diagnostic.range == FROM_PATCH || diagnostic.range.end == usize::MAX {
            diagnostic.range = fallback.clone();
            diagnostic
                .message
                .push_str(" (the field is set by a kustomize patch)");
        }
    }
}

/// `namespace/name`, or the name alone.
pub fn display_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// The range of an object's name (or its document when it has none).
pub fn name_range(policy: &ImagePolicy) -> Range<usize> {
    policy
        .metadata
        .name
        .as_ref()
        .map(|n| n.range.clone())
        .unwrap_or_else(|| policy.origin.range.start..policy.origin.range.start)
}

/// Whether file `path` lies in directory `dir` (`""` is the root).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// The closest candidates to `wanted` by edit distance, best first (for did-you-mean).
pub fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Vec<&'a str> {
    let limit = (wanted.chars().count() / 5).clamp(1, 3);
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (levenshtein(wanted, c), c.as_str()))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, c)| c).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let mut vars = BTreeMap::new();
        vars.insert("NS".to_string(), "apps".to_string());
        assert_eq!(
            substitute("${NS}:app", &vars),
            Substituted::Resolved("apps:app".into())
        );
        assert_eq!(
            substitute("${X:=d}-${NS}", &vars),
            Substituted::Resolved("d-apps".into())
        );
        assert_eq!(
            substitute("${MISSING}", &vars),
            Substituted::Unresolved(vec!["MISSING".into()])
        );
        assert_eq!(
            substitute("plain", &vars),
            Substituted::Plain("plain".into())
        );
    }

    #[test]
    fn did_you_mean() {
        let keys = vec![
            "flux-system:podinfo".to_string(),
            "flux-system:grafana".to_string(),
        ];
        assert_eq!(
            closest("flux-system:podinf", &keys),
            ["flux-system:podinfo"]
        );
        assert!(closest("other:thing", &keys).is_empty());
    }

    #[test]
    fn directories() {
        assert!(is_under("apps/a.yaml", "apps"));
        assert!(!is_under("apps2/a.yaml", "apps"));
        assert!(is_under("x.yaml", ""));
    }
}
