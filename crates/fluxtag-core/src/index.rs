//! The cross-file index: every file's analysis and what the repository as a whole says about
//! its objects.
//!
//! [`Index::build`] puts the analyses of a whole repository together: policies and repositories
//! by namespace and name, namespaces inferred from kustomizations, kustomize patches applied,
//! `${VAR}` values from Flux Kustomizations, and the image automations that decide whether Flux
//! would apply a marker. The fields are private: an index is only built whole (or changed through
//! the few methods that keep it consistent), so every lookup sees the same repository. It does no
//! I/O (patch files come in through a closure) and never sees tags: [`crate::resolve`] adds them.

use std::collections::BTreeMap;

use fluxtag_policy::image_ref::{ImageRef, ImageRefError};

use crate::analysis::FileAnalysis;
use crate::flux::{
    self, FluxKustomization, FluxObject, ImagePolicy, ImageRepository, ImageUpdateAutomation,
    KustomizeFile,
};
use crate::kustomize::{self, KustomizeView};
use crate::vars::substitute;
use crate::yaml::{self, Node};

/// A policy of an [`Index`]: its position in [`Index::policies`] and in
/// [`crate::resolve::Report::policies`], which are built in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyId(usize);

impl PolicyId {
    /// The position in [`Index::policies`] (and in the report's policies).
    pub fn position(self) -> usize {
        self.0
    }
}

/// The policy a marker's reference finds (see [`PolicyLookup::find`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyMatch {
    /// The policy.
    pub id: PolicyId,
    /// Whether it was found by name alone (the policy's namespace is unknown).
    pub by_name_alone: bool,
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
    /// The policy a marker names: exact namespace and name, or, for policies whose namespace is
    /// unknown, the name alone (the match says so).
    pub fn find(&self, namespace: &str, name: &str) -> Option<PolicyMatch> {
        self.by_key
            .get(&(namespace, name))
            .map(|&i| PolicyMatch {
                id: PolicyId(i),
                by_name_alone: false,
            })
            .or_else(|| {
                self.by_name.get(name).map(|&i| PolicyMatch {
                    id: PolicyId(i),
                    by_name_alone: true,
                })
            })
    }
}

/// An ImagePolicy with its effective namespace.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// The object as read (with kustomize patches applied).
    pub object: ImagePolicy,
    /// Its namespace: `metadata.namespace`, else the one kustomize or a Flux Kustomization
    /// gives it, else `None` (matched by name alone).
    pub namespace: Option<String>,
    /// Where the namespace came from, when it was inferred.
    pub namespace_source: Option<String>,
    /// The name as built (substituted, with the Flux Kustomization's prefix and suffix).
    pub name: String,
    /// `spec.imageRepositoryRef.name` after substitution (kustomize and Flux prefixes never
    /// touch it: they do not know the field is a reference).
    pub repository_name: Option<String>,
    /// `spec.imageRepositoryRef.namespace` after substitution.
    pub repository_namespace: Option<String>,
    /// `metadata.labels` after substitution (what a `policySelector` matches).
    pub labels: BTreeMap<String, String>,
}

/// An ImageRepository with its effective namespace and its image, parsed once.
#[derive(Debug, Clone)]
pub struct RepositoryEntry {
    /// The object as read (with kustomize patches applied).
    pub object: ImageRepository,
    /// Its namespace, as for policies.
    pub namespace: Option<String>,
    /// The name after substitution.
    pub name: String,
    /// `spec.image` after substitution (`None` when absent or unresolvable).
    pub image: Option<String>,
    /// `image` normalised as Flux does (spec §3.1), with `spec.insecure`; `None` when `image` is.
    pub image_ref: Option<Result<ImageRef, ImageRefError>>,
}

impl RepositoryEntry {
    /// The normalised image, when `spec.image` is known and valid.
    pub fn valid_image(&self) -> Option<&ImageRef> {
        self.image_ref.as_ref()?.as_ref().ok()
    }

    /// `namespace/name`, or the name alone.
    pub fn display_name(&self) -> String {
        display_name(self.namespace.as_deref(), &self.name)
    }
}

/// An ImageUpdateAutomation with its effective namespace.
#[derive(Debug, Clone)]
pub struct AutomationEntry {
    /// The object as read.
    pub object: ImageUpdateAutomation,
    /// Its namespace.
    pub namespace: Option<String>,
    /// Its name as built.
    pub name: String,
    /// `spec.update.path` after substitution, normalised (`""`: the repository root).
    pub update_dir: String,
}

/// The whole repository as fluxtag sees it.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Every analysed file by path.
    files: BTreeMap<String, FileAnalysis>,
    /// Every ImagePolicy, in file and document order.
    policies: Vec<PolicyEntry>,
    /// Every ImageRepository.
    repositories: Vec<RepositoryEntry>,
    /// Every ImageUpdateAutomation.
    automations: Vec<AutomationEntry>,
    /// Every Flux Kustomization.
    flux_kustomizations: Vec<FluxKustomization>,
    /// What kustomize would do to the objects.
    kustomize: KustomizeView,
}

/// An object's effective name and namespace, and the variables of its file.
struct Identity {
    vars: BTreeMap<String, String>,
    namespace: Option<String>,
    namespace_source: Option<String>,
    name: String,
}

impl Index {
    /// Puts the analyses of a repository together. `read` gives the bytes of a file by its
    /// `/`-separated path (`None`: it cannot be read); it is asked only for the kustomize patch
    /// files the kustomizations name, which the index parses itself (a missing patch file is
    /// kustomize's error, not ours: its patches are left out).
    ///
    /// About 115 lines: the build runs in a fixed order (kustomizations first, then patches,
    /// then each kind's identity, which needs every Flux Kustomization), written as one pass per
    /// step so the order stays visible. Splitting out the per-kind entries is the next step
    /// when this grows.
    pub fn build(analyses: Vec<FileAnalysis>, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Index {
        let mut index = Index::default();
        let mut kustomize_files: Vec<KustomizeFile> = Vec::new();
        for analysis in &analyses {
            for object in &analysis.objects {
                match object {
                    FluxObject::FluxKustomization(k) => index.flux_kustomizations.push(k.clone()),
                    FluxObject::Kustomize(k) => kustomize_files.push(k.clone()),
                    _ => {}
                }
            }
        }
        index.kustomize = KustomizeView::new(&kustomize_files);
        let patch_roots: BTreeMap<String, Vec<Node>> = index
            .kustomize
            .patch_files()
            .into_iter()
            .filter_map(|path| {
                let text = read(&path)?;
                let roots = yaml::parse(&text)
                    .documents
                    .into_iter()
                    .filter_map(|d| d.root)
                    .collect();
                Some((path, roots))
            })
            .collect();
        let mut policies = Vec::new();
        let mut repositories = Vec::new();
        let mut automations = Vec::new();
        for analysis in analyses {
            let patch_only = index.kustomize.is_patch_file(&analysis.path);
            for object in &analysis.objects {
                let object = match object {
                    FluxObject::Policy(_) | FluxObject::Repository(_) if patch_only => continue,
                    FluxObject::Policy(p) => index
                        .patched(&analysis, p.origin.document, &patch_roots)
                        .unwrap_or_else(|| object.clone()),
                    FluxObject::Repository(r) => index
                        .patched(&analysis, r.origin.document, &patch_roots)
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
            let vars = &identity.vars;
            let repository_name = object
                .repository_name
                .as_ref()
                .map(|n| substituted_or_raw(&n.value, vars));
            let repository_namespace = object
                .repository_namespace
                .as_ref()
                .map(|n| substituted_or_raw(&n.value, vars));
            let labels = object
                .metadata
                .labels
                .iter()
                .map(|(k, v)| (substituted_or_raw(k, vars), substituted_or_raw(v, vars)))
                .collect();
            index.policies.push(PolicyEntry {
                object,
                namespace: identity.namespace,
                namespace_source: identity.namespace_source,
                name: identity.name,
                repository_name,
                repository_namespace,
                labels,
            });
        }
        for object in repositories {
            let identity = index.identity(&object.origin.path, &object.metadata);
            let image = object.image.as_ref().and_then(|i| {
                substitute(&i.value, &identity.vars)
                    .known()
                    .map(str::to_string)
            });
            let image_ref = image
                .as_ref()
                .map(|image| ImageRef::parse(image, object.insecure));
            index.repositories.push(RepositoryEntry {
                object,
                namespace: identity.namespace,
                name: identity.name,
                image,
                image_ref,
            });
        }
        for object in automations {
            let identity = index.identity(&object.origin.path, &object.metadata);
            let namespace = identity.namespace;
            let name = identity.name;
            let update_dir = object
                .update_path
                .as_ref()
                .map(|p| flux::normalise_dir(&substituted_or_raw(&p.value, &identity.vars)))
                .unwrap_or_default();
            index.automations.push(AutomationEntry {
                object,
                namespace,
                name,
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

    /// A copy without the files' analyses: everything tag fetching and policy evaluation need
    /// (policies, repositories, automations, Flux Kustomizations, the kustomize view), cheap
    /// to clone for a background task. Resolving markers against it finds none.
    pub fn objects_only(&self) -> Index {
        Index {
            files: BTreeMap::new(),
            policies: self.policies.clone(),
            repositories: self.repositories.clone(),
            automations: self.automations.clone(),
            flux_kustomizations: self.flux_kustomizations.clone(),
            kustomize: self.kustomize.clone(),
        }
    }

    /// Every analysed file, by path.
    pub fn files(&self) -> &BTreeMap<String, FileAnalysis> {
        &self.files
    }

    /// The analysis of one file.
    pub fn file(&self, path: &str) -> Option<&FileAnalysis> {
        self.files.get(path)
    }

    /// Takes the analyses back out (to build the index again after some files changed).
    pub fn into_files(self) -> BTreeMap<String, FileAnalysis> {
        self.files
    }

    /// Whether a file contributes to what the index knows beyond its own markers: it holds (or,
    /// as `new`, would hold) a Flux or kustomize object, or it is a kustomize patch file. A file
    /// that does not can be replaced with [`Index::replace_marker_file`] instead of a rebuild.
    pub fn contributes_objects(&self, path: &str, new: Option<&FileAnalysis>) -> bool {
        self.files.get(path).is_some_and(|a| !a.objects.is_empty())
            || new.is_some_and(|a| !a.objects.is_empty())
            || self.kustomize.is_patch_file(path)
    }

    /// Replaces (`Some`) or removes (`None`) the analysis of a file that contributes no object
    /// ([`Index::contributes_objects`] is false before and after): nothing else in the index
    /// depends on it, so nothing else changes. Returns `false`, changing nothing, for a file
    /// that does contribute (the index must be built again).
    pub fn replace_marker_file(&mut self, path: &str, analysis: Option<FileAnalysis>) -> bool {
        if self.contributes_objects(path, analysis.as_ref()) {
            return false;
        }
        match analysis {
            Some(analysis) => {
                self.files.insert(path.to_string(), analysis);
            }
            None => {
                self.files.remove(path);
            }
        }
        true
    }

    /// Every ImagePolicy, in file and document order (a [`PolicyId`] is a position here).
    pub fn policies(&self) -> &[PolicyEntry] {
        &self.policies
    }

    /// Every ImagePolicy with its id.
    pub fn policies_with_ids(&self) -> impl Iterator<Item = (PolicyId, &PolicyEntry)> {
        self.policies
            .iter()
            .enumerate()
            .map(|(i, p)| (PolicyId(i), p))
    }

    /// One policy.
    pub fn policy(&self, id: PolicyId) -> Option<&PolicyEntry> {
        self.policies.get(id.0)
    }

    /// Every ImageRepository.
    pub fn repositories(&self) -> &[RepositoryEntry] {
        &self.repositories
    }

    /// Every ImageUpdateAutomation.
    pub fn automations(&self) -> &[AutomationEntry] {
        &self.automations
    }

    /// Every Flux Kustomization.
    pub fn flux_kustomizations(&self) -> &[FluxKustomization] {
        &self.flux_kustomizations
    }

    /// What kustomize would do to the objects.
    pub fn kustomize(&self) -> &KustomizeView {
        &self.kustomize
    }

    /// The name and namespace of an object defined in `path` as the cluster gets it
    /// (`fluxtag-differences.md` §5, objects as built): the namespace of the Flux
    /// Kustomization's `spec.targetNamespace`, else of the kustomizations that build the file
    /// (kustomize's `namespace:` overrides `metadata.namespace`), else `metadata.namespace`; the
    /// name with the Flux Kustomization's `namePrefix`/`nameSuffix`; both after `${VAR}`
    /// substitution with the values the Flux Kustomizations that apply the file give.
    fn identity(&self, path: &str, metadata: &flux::Metadata) -> Identity {
        let builders = self.builders_of(path);
        let vars = variables_of(&builders);
        let (namespace, namespace_source) =
            self.namespace_of(path, metadata.namespace.as_ref(), &vars, &builders);
        let name = metadata
            .name
            .as_ref()
            .map(|n| substituted_or_raw(&n.value, &vars))
            .unwrap_or_default();
        let name = match builders.first() {
            Some(builder) => format!(
                "{}{name}{}",
                builder.name_prefix.as_deref().unwrap_or(""),
                builder.name_suffix.as_deref().unwrap_or("")
            ),
            None => name,
        };
        Identity {
            vars,
            namespace,
            namespace_source,
            name,
        }
    }

    /// The Flux Kustomizations that apply the file `path`, in index order: when `spec.path`
    /// holds a kustomization, those whose kustomization builds the file (directly or through
    /// `resources` and `components` chains, so an overlay's base counts); otherwise those whose
    /// `spec.path` holds the file (Flux generates a kustomization listing every manifest
    /// below it).
    fn builders_of(&self, path: &str) -> Vec<&FluxKustomization> {
        let building = self.kustomize.building_dirs(path);
        self.flux_kustomizations
            .iter()
            .filter(|kustomization| {
                let Some(dir) = &kustomization.path else {
                    return false;
                };
                if self.kustomize.has_kustomization(dir) {
                    building.contains(dir)
                } else {
                    is_under(path, dir)
                }
            })
            .collect()
    }

    /// The `${VAR}` values the Flux Kustomizations that apply the file `path` give it (see
    /// `variables_of`).
    pub fn variables_for(&self, path: &str) -> BTreeMap<String, String> {
        variables_of(&self.builders_of(path))
    }

    /// The namespace of an object defined in `path`, and where an inferred one came from.
    fn namespace_of(
        &self,
        path: &str,
        written: Option<&flux::Spanned<String>>,
        vars: &BTreeMap<String, String>,
        builders: &[&FluxKustomization],
    ) -> (Option<String>, Option<String>) {
        if let Some((builder, target)) = builders
            .iter()
            .find_map(|b| Some((b, b.target_namespace.as_ref()?)))
        {
            let name = builder
                .metadata
                .name
                .as_ref()
                .map_or("(unnamed)", |n| n.value.as_str());
            return (
                Some(substituted_or_raw(&target.value, vars)),
                Some(format!(
                    "spec.targetNamespace of Flux Kustomization {name} in {}",
                    builder.origin.path
                )),
            );
        }
        if let Some((namespace, source)) = self.kustomize_namespace(path) {
            return (Some(substituted_or_raw(&namespace, vars)), Some(source));
        }
        if let Some(ns) = written {
            return (Some(substituted_or_raw(&ns.value, vars)), None);
        }
        (None, None)
    }

    /// The namespace a kustomization that builds `path` (directly or through its directory)
    /// gives it, with the kustomization that sets it.
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

    /// The repository a policy references.
    pub fn repository_of(&self, policy: &PolicyEntry) -> Option<&RepositoryEntry> {
        let name = policy.repository_name.as_deref()?;
        let namespace = policy
            .repository_namespace
            .clone()
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

    /// Names of every policy as `namespace:name` (the name alone when its namespace is
    /// unknown), in [`PolicyId`] order: the candidates of did-you-mean suggestions.
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
        let mut reasons: Vec<String> = Vec::new();
        for automation in &self.automations {
            let reason = if automation.namespace.is_some()
                && policy.namespace.is_some()
                && automation.namespace != policy.namespace
            {
                format!(
                    "is in namespace {} (Flux applies only policies of its own namespace)",
                    automation.namespace.as_deref().unwrap_or("?")
                )
            } else if let Some(strategy) = automation
                .object
                .strategy
                .as_ref()
                .filter(|s| s.value != "Setters")
            {
                format!(
                    "has update strategy {:?} (Flux supports only Setters and stalls on it)",
                    strategy.value
                )
            } else if automation
                .object
                .policy_selector
                .as_ref()
                .is_some_and(|selector| !selector.matches(&policy.labels))
            {
                "has a policySelector that does not match the policy's labels".to_string()
            } else if !is_under(path, &automation.update_dir) {
                format!(
                    "updates only `{}` (spec.update.path)",
                    if automation.update_dir.is_empty() {
                        "."
                    } else {
                        &automation.update_dir
                    }
                )
            } else {
                return Ok(());
            };
            let line = format!(
                "ImageUpdateAutomation {} ({}) {reason}",
                display_name(automation.namespace.as_deref(), &automation.name),
                automation.object.origin.path
            );
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
        Err(reasons.join("; "))
    }
}

/// The `${VAR}` values of `builders` (the Flux Kustomizations that apply a file). A variable
/// two of them set differently is left out (its value is ambiguous).
fn variables_of(builders: &[&FluxKustomization]) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut ambiguous = Vec::new();
    for kustomization in builders {
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

/// `text` after substitution, or as written when a variable has no value here.
fn substituted_or_raw(text: &str, vars: &BTreeMap<String, String>) -> String {
    substitute(text, vars).known().unwrap_or(text).to_string()
}

/// `namespace/name`, or the name alone.
pub fn display_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Whether file `path` lies in directory `dir` (`""` is the root).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories() {
        assert!(is_under("apps/a.yaml", "apps"));
        assert!(!is_under("apps2/a.yaml", "apps"));
        assert!(is_under("x.yaml", ""));
    }
}
