//! The Flux and kustomize objects of a repository, read from parsed YAML with the span of every
//! field fluxtag reports on.
//!
//! `ImagePolicy`, `ImageRepository` and `ImageUpdateAutomation` are read in API versions v1,
//! v1beta2 and v1beta1 from any document of any file (`fluxtag-differences.md` §5). Flux
//! `Kustomization`s are read for `spec.path` and `postBuild.substitute`; kustomize
//! `kustomization.yaml` files for `namespace`, `resources`, `components` and patches. Nothing
//! here validates: [`crate::index`] does that, with the whole repository in view.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::selector::Selector;
use crate::yaml::{Node, NodeValue, YamlFile};

/// The API group of the image automation objects.
pub const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";
/// The API versions of that group fluxtag reads.
pub const IMAGE_VERSIONS: [&str; 3] = ["v1", "v1beta2", "v1beta1"];

/// A value and the bytes it was read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Bytes of the value's node in its file.
    pub range: Range<usize>,
}

impl Spanned<String> {
    fn from_node(node: &Node) -> Option<Spanned<String>> {
        node.as_str().map(|value| Spanned {
            value: value.to_string(),
            range: node.range.clone(),
        })
    }
}

/// Where an object is defined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    /// The file, relative to the root, `/`-separated.
    pub path: String,
    /// Index of the document in the file.
    pub document: usize,
    /// Bytes of the document's root node.
    pub range: Range<usize>,
}

/// `metadata` of an object.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Metadata {
    /// `metadata.name`.
    pub name: Option<Spanned<String>>,
    /// `metadata.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// `metadata.labels` (string values only).
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations` (string values only).
    pub annotations: BTreeMap<String, String>,
}

/// A `spec.policy` choice of an ImagePolicy, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PolicyChoice {
    /// Bytes of `spec.policy`, if present.
    pub range: Option<Range<usize>>,
    /// `semver.range`.
    pub semver_range: Option<Spanned<String>>,
    /// Whether a `semver` key is present (even without `range`).
    pub semver_present: bool,
    /// `alphabetical.order` (`Some("")` when `alphabetical` is present without `order`).
    pub alphabetical_order: Option<Spanned<String>>,
    /// `numerical.order` (`Some("")` when `numerical` is present without `order`).
    pub numerical_order: Option<Spanned<String>>,
}

/// An `ImagePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImagePolicy {
    /// Where it is defined.
    pub origin: Origin,
    /// `apiVersion`, with where its value is written.
    pub api_version: Spanned<String>,
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec.imageRepositoryRef.name`.
    pub repository_name: Option<Spanned<String>>,
    /// `spec.imageRepositoryRef.namespace`.
    pub repository_namespace: Option<Spanned<String>>,
    /// `spec.policy`.
    pub policy: PolicyChoice,
    /// `spec.filterTags.pattern` (`Some` with an empty value when `filterTags` is present
    /// without `pattern`).
    pub filter_pattern: Option<Spanned<String>>,
    /// `spec.filterTags.extract`.
    pub filter_extract: Option<Spanned<String>>,
    /// `spec.digestReflectionPolicy` (`None`: absent, which means [`DigestReflection::Never`]).
    pub digest_reflection: Option<Spanned<DigestReflection>>,
    /// `spec.interval` (digest reflection period).
    pub interval: Option<Spanned<String>>,
}

impl ImagePolicy {
    /// `spec.digestReflectionPolicy`, with the API default (`Never`) when absent.
    pub fn digest_reflection(&self) -> &DigestReflection {
        self.digest_reflection
            .as_ref()
            .map_or(&DigestReflection::Never, |d| &d.value)
    }

    /// The range of the policy's name, or the start of its document when it has none.
    pub fn name_range(&self) -> Range<usize> {
        self.metadata
            .name
            .as_ref()
            .map(|n| n.range.clone())
            .unwrap_or_else(|| self.origin.range.start..self.origin.range.start)
    }
}

/// `spec.digestReflectionPolicy` of an ImagePolicy (spec §2.1): whether Flux records the
/// digest of the selected tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DigestReflection {
    /// `Always`: the digest is looked up again every `spec.interval`.
    Always,
    /// `IfNotPresent`: the digest is looked up once per selected tag.
    IfNotPresent,
    /// `Never` (the default): no digest; digest markers get an empty value.
    Never,
    /// A value the API rejects, as written.
    Invalid(String),
}

impl DigestReflection {
    /// Reads the field's text (exact spelling: the API's enum is case-sensitive).
    pub fn parse(text: &str) -> DigestReflection {
        match text {
            "Always" => DigestReflection::Always,
            "IfNotPresent" => DigestReflection::IfNotPresent,
            "Never" => DigestReflection::Never,
            other => DigestReflection::Invalid(other.to_string()),
        }
    }

    /// Whether Flux records digests under this policy (`Always` or `IfNotPresent`).
    pub fn reflects(&self) -> bool {
        matches!(
            self,
            DigestReflection::Always | DigestReflection::IfNotPresent
        )
    }

    /// The field's text.
    pub fn as_str(&self) -> &str {
        match self {
            DigestReflection::Always => "Always",
            DigestReflection::IfNotPresent => "IfNotPresent",
            DigestReflection::Never => "Never",
            DigestReflection::Invalid(text) => text,
        }
    }
}

/// Reads a Flux API duration (`spec.interval`): the CRDs' pattern
/// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`, summed (`1h30m`, `1.5h`, `500ms`). `None` for anything
/// the API rejects (the object is then invalid) or that overflows.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0f64;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut number_len = digits;
        if let Some(fraction) = rest[digits..].strip_prefix('.') {
            let fraction_digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if fraction_digits == 0 {
                return None;
            }
            number_len += 1 + fraction_digits;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let (unit_len, scale) = if rest.starts_with("ms") {
            (2, 0.001)
        } else if rest.starts_with('s') {
            (1, 1.0)
        } else if rest.starts_with('m') {
            (1, 60.0)
        } else if rest.starts_with('h') {
            (1, 3600.0)
        } else {
            return None;
        };
        rest = &rest[unit_len..];
        seconds += number * scale;
    }
    std::time::Duration::try_from_secs_f64(seconds).ok()
}

/// An `ImageRepository`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRepository {
    /// Where it is defined.
    pub origin: Origin,
    /// `apiVersion`, with where its value is written.
    pub api_version: Spanned<String>,
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec.image`.
    pub image: Option<Spanned<String>>,
    /// `spec.insecure`.
    pub insecure: bool,
    /// `spec.interval`.
    pub interval: Option<Spanned<String>>,
    /// `spec.exclusionList` (empty when absent or empty: the default applies).
    pub exclusion_list: Vec<Spanned<String>>,
    /// `spec.accessFrom` is present.
    pub access_from: bool,
}

impl ImageRepository {
    /// The `exclusionList` patterns as written (empty: the default applies).
    pub fn exclusion_patterns(&self) -> Vec<String> {
        self.exclusion_list
            .iter()
            .map(|p| p.value.clone())
            .collect()
    }
}

/// An `ImageUpdateAutomation`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageUpdateAutomation {
    /// Where it is defined.
    pub origin: Origin,
    /// `apiVersion`, with where its value is written.
    pub api_version: Spanned<String>,
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec.update.path` (`None`: the repository root).
    pub update_path: Option<Spanned<String>>,
    /// `spec.update.strategy` (`None` when `update` is absent; the CRD default is `Setters`).
    pub strategy: Option<Spanned<String>>,
    /// Whether `spec.update` is present.
    pub has_update: bool,
    /// `spec.policySelector` (`None`: every policy of the namespace).
    pub policy_selector: Option<Selector>,
    /// `spec.git.commit.messageTemplate`.
    pub message_template: Option<Spanned<String>>,
}

/// A Flux `Kustomization` (`kustomize.toolkit.fluxcd.io`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FluxKustomization {
    /// Where it is defined.
    pub origin: Origin,
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec.path`, normalised: no leading `./`, no trailing `/`, `""` for the root.
    pub path: Option<String>,
    /// `spec.postBuild.substitute`.
    pub substitute: BTreeMap<String, String>,
    /// Whether `spec.postBuild.substituteFrom` is present (values fluxtag cannot see).
    pub substitute_from: bool,
    /// `spec.targetNamespace`: the namespace of every object it applies, whatever the
    /// manifests and kustomizations say.
    pub target_namespace: Option<Spanned<String>>,
    /// `spec.namePrefix`, put before the name of every object it applies.
    pub name_prefix: Option<Spanned<String>>,
    /// `spec.nameSuffix`, put after the name of every object it applies.
    pub name_suffix: Option<Spanned<String>>,
    /// `spec.components` as written, relative to `spec.path`.
    pub components: Vec<String>,
    /// `spec.patches` (inline patches with an optional target).
    pub patches: Vec<Patch>,
    /// `spec.commonMetadata.labels`, set on every object it applies (empty or one map).
    pub common_labels: Vec<Spanned<BTreeMap<String, String>>>,
}

impl FluxKustomization {
    /// `metadata.name`, or `(unnamed)`.
    pub fn display_name(&self) -> &str {
        self.metadata
            .name
            .as_ref()
            .map_or("(unnamed)", |n| n.value.as_str())
    }
}

/// A kustomize `kustomization.yaml` (`kustomize.config.k8s.io`, or a file named like one).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct KustomizeFile {
    /// Where it is defined.
    pub origin: Origin,
    /// `namespace`.
    pub namespace: Option<String>,
    /// Where `namespace`'s value is written.
    pub namespace_range: Option<Range<usize>>,
    /// `namePrefix`.
    pub name_prefix: Option<Spanned<String>>,
    /// `nameSuffix`.
    pub name_suffix: Option<Spanned<String>>,
    /// The labels `commonLabels` and `labels[].pairs` add to every object, later entries
    /// winning, with where each list is written.
    pub labels: Vec<Spanned<BTreeMap<String, String>>>,
    /// `resources` entries as written.
    pub resources: Vec<String>,
    /// `components` entries as written.
    pub components: Vec<String>,
    /// `patches` and `patchesStrategicMerge` entries (the legacy `patchesJson6902` field is not
    /// read).
    pub patches: Vec<Patch>,
}

/// One patch of a kustomization.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Patch {
    /// The patch body: an inline mapping or JSON 6902 list, or `None` when it comes from a file.
    pub inline: Option<Node>,
    /// `path` of a patch file, relative to the kustomization's directory.
    pub file: Option<String>,
    /// `target` selector.
    pub target: Option<PatchTarget>,
}

/// A patch `target`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PatchTarget {
    /// `kind`.
    pub kind: Option<String>,
    /// `name` (a regular expression in kustomize).
    pub name: Option<String>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `labelSelector`.
    pub label_selector: Option<String>,
    /// `annotationSelector`.
    pub annotation_selector: Option<String>,
}

/// Any object fluxtag reads.
// A repository holds few objects; boxing the larger variants would buy nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum FluxObject {
    /// An `ImagePolicy`.
    Policy(ImagePolicy),
    /// An `ImageRepository`.
    Repository(ImageRepository),
    /// An `ImageUpdateAutomation`.
    Automation(ImageUpdateAutomation),
    /// A Flux `Kustomization`.
    FluxKustomization(FluxKustomization),
    /// A kustomize `kustomization.yaml`.
    Kustomize(KustomizeFile),
}

/// Whether the bytes of a document may hold an object fluxtag reads (a cheap prefilter): they
/// name the image API group or a `Kustomization`, and their document-level `apiVersion` lines
/// (at column 0), if any, do not all name another API. The second half is what keeps Flux's
/// vendored `gotk-components.yaml` (megabytes of CustomResourceDefinitions whose text names
/// `image.toolkit.fluxcd.io` throughout, under `apiVersion: apiextensions.k8s.io/v1`) from being
/// parsed (issue 12). A document written in flow style or with a quoted key has no such line
/// and is still parsed.
pub fn may_contain_objects(bytes: &[u8]) -> bool {
    (crate::text::contains_bytes(bytes, IMAGE_GROUP.as_bytes())
        || crate::text::contains_bytes(bytes, b"Kustomization"))
        && !names_only_other_apis(bytes)
}

/// [`may_contain_objects`] for a whole stream: whether any of its documents may hold one. The
/// stream is cut at lines that start with `---`, as the parser cuts it.
pub fn stream_may_contain_objects(text: &[u8]) -> bool {
    if !crate::text::contains_bytes(text, IMAGE_GROUP.as_bytes())
        && !crate::text::contains_bytes(text, b"Kustomization")
    {
        return false;
    }
    let mut start = 0;
    while start <= text.len() {
        let rest = &text[start..];
        let end = crate::text::find_bytes(rest, b"\n---").map_or(text.len(), |i| start + i + 1);
        if may_contain_objects(&text[start..end]) {
            return true;
        }
        if end >= text.len() {
            return false;
        }
        // Past the `---` that starts the next document.
        start = end + 3;
    }
    false
}

/// The API groups whose objects fluxtag reads: image objects, Flux Kustomizations and kustomize
/// kustomizations.
const READ_API_GROUPS: [&[u8]; 3] = [
    IMAGE_GROUP.as_bytes(),
    b"kustomize.toolkit.fluxcd.io",
    b"kustomize.config.k8s.io",
];

/// Whether `bytes` (one document) has at least one `apiVersion:` line at column 0 and none of
/// them names an API group fluxtag reads.
fn names_only_other_apis(bytes: &[u8]) -> bool {
    let mut seen = false;
    let starts = bytes
        .starts_with(b"apiVersion:")
        .then_some(0)
        .into_iter()
        .chain(memchr::memmem::find_iter(bytes, b"\napiVersion:").map(|i| i + 1));
    for start in starts {
        let rest = &bytes[start + b"apiVersion:".len()..];
        let value = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        if READ_API_GROUPS
            .iter()
            .any(|group| crate::text::contains_bytes(value, group))
        {
            return false;
        }
        seen = true;
    }
    seen
}

/// The string entries of a mapping node (others are left out); empty for anything else.
pub fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|e| {
                Some((
                    e.key.as_str()?.to_string(),
                    e.value.as_ref()?.as_str()?.to_string(),
                ))
            })
            .collect()
    })
    .unwrap_or_default()
}

fn metadata(root: &Node) -> Metadata {
    let Some(meta) = root.get("metadata") else {
        return Metadata::default();
    };
    Metadata {
        name: meta.get("name").and_then(Spanned::from_node),
        namespace: meta.get("namespace").and_then(Spanned::from_node),
        labels: string_map(meta.get("labels")),
        annotations: string_map(meta.get("annotations")),
    }
}

fn string_at(root: &Node, path: &[&str]) -> Option<Spanned<String>> {
    root.path(path).and_then(Spanned::from_node)
}

/// A present mapping key whose value may be empty: `Some("")` when the key has no string value.
fn optional_string(root: &Node, parent: &[&str], key: &str) -> Option<Spanned<String>> {
    let parent_node = root.path(parent)?;
    let entry = parent_node.entry(key)?;
    Some(match &entry.value {
        Some(value) => Spanned {
            value: if value.is_null() {
                String::new()
            } else {
                value.as_str().unwrap_or("").to_string()
            },
            range: value.range.clone(),
        },
        None => Spanned {
            value: String::new(),
            range: entry.key.range.clone(),
        },
    })
}

fn string_list(node: Option<&Node>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .iter()
            .filter_map(|i| i.value.as_ref()?.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

fn label_selector(node: &Node) -> Selector {
    let match_labels = string_map(node.get("matchLabels"));
    let match_expressions: Vec<(String, String, Vec<String>)> = node
        .get("matchExpressions")
        .map(|n| {
            n.items()
                .iter()
                .filter_map(|i| {
                    let e = i.value.as_ref()?;
                    Some((
                        e.get("key")?.as_str()?.to_string(),
                        e.get("operator")?.as_str()?.to_string(),
                        string_list(e.get("values")),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Selector::from_structured(&match_labels, &match_expressions)
}

/// Normalises a repository-relative directory: no `./`, no trailing `/`, `""` for the root.
pub fn normalise_dir(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The file names kustomize reads as a directory's kustomization, in the order it tries them.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether `path` (slash-separated) names a kustomization file.
pub fn is_kustomization_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    KUSTOMIZATION_FILE_NAMES.contains(&base)
}

/// Reads every object of a parsed file.
pub fn read_objects(path: &str, file: &YamlFile) -> Vec<FluxObject> {
    let mut objects = Vec::new();
    let kustomization_name = is_kustomization_file(path);
    for (number, document) in file.documents.iter().enumerate() {
        let Some(root) = &document.root else { continue };
        if !root.is_mapping() {
            continue;
        }
        let origin = Origin {
            path: path.to_string(),
            document: number,
            range: root.range.clone(),
        };
        let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        if group == IMAGE_GROUP && IMAGE_VERSIONS.contains(&version) {
            if let Some(object) = read_image_object(kind, api_version, root, origin) {
                objects.push(object);
            }
        } else if group == "kustomize.toolkit.fluxcd.io" && kind == "Kustomization" {
            objects.push(FluxObject::FluxKustomization(read_flux_kustomization(
                root, origin,
            )));
        } else if (group == "kustomize.config.k8s.io" && kind == "Kustomization")
            || (kustomization_name && api_version.is_empty() && kind.is_empty())
            || (kustomization_name && kind == "Kustomization" && group.is_empty())
        {
            objects.push(FluxObject::Kustomize(read_kustomize(root, origin)));
        }
    }
    objects
}

fn read_image_object(
    kind: &str,
    api_version: &str,
    root: &Node,
    origin: Origin,
) -> Option<FluxObject> {
    let metadata = metadata(root);
    let api_version = Spanned {
        value: api_version.to_string(),
        range: root
            .get("apiVersion")
            .map_or(origin.range.start..origin.range.start, |n| n.range.clone()),
    };
    match kind {
        "ImagePolicy" => {
            let policy_node = root.path(&["spec", "policy"]);
            let policy = PolicyChoice {
                range: policy_node.map(|n| n.range.clone()),
                semver_range: string_at(root, &["spec", "policy", "semver", "range"]),
                semver_present: policy_node.and_then(|n| n.entry("semver")).is_some(),
                alphabetical_order: optional_string(
                    root,
                    &["spec", "policy", "alphabetical"],
                    "order",
                )
                .or_else(|| present_empty(root, &["spec", "policy"], "alphabetical")),
                numerical_order: optional_string(root, &["spec", "policy", "numerical"], "order")
                    .or_else(|| present_empty(root, &["spec", "policy"], "numerical")),
            };
            let filter_present = root.path(&["spec"]).and_then(|s| s.entry("filterTags"));
            Some(FluxObject::Policy(ImagePolicy {
                repository_name: string_at(root, &["spec", "imageRepositoryRef", "name"]),
                repository_namespace: string_at(root, &["spec", "imageRepositoryRef", "namespace"]),
                policy,
                filter_pattern: optional_string(root, &["spec", "filterTags"], "pattern").or_else(
                    || {
                        filter_present.map(|e| Spanned {
                            value: String::new(),
                            range: e.key.range.clone(),
                        })
                    },
                ),
                filter_extract: string_at(root, &["spec", "filterTags", "extract"]),
                digest_reflection: string_at(root, &["spec", "digestReflectionPolicy"]).map(|d| {
                    Spanned {
                        value: DigestReflection::parse(&d.value),
                        range: d.range,
                    }
                }),
                interval: string_at(root, &["spec", "interval"]),
                origin,
                api_version,
                metadata,
            }))
        }
        "ImageRepository" => Some(FluxObject::Repository(ImageRepository {
            image: string_at(root, &["spec", "image"]),
            insecure: root
                .path(&["spec", "insecure"])
                .and_then(Node::as_str)
                .is_some_and(|v| v == "true"),
            interval: string_at(root, &["spec", "interval"]),
            exclusion_list: root
                .path(&["spec", "exclusionList"])
                .map(|n| {
                    n.items()
                        .iter()
                        .filter_map(|i| i.value.as_ref().and_then(Spanned::from_node))
                        .collect()
                })
                .unwrap_or_default(),
            access_from: root.path(&["spec", "accessFrom"]).is_some(),
            origin,
            api_version,
            metadata,
        })),
        "ImageUpdateAutomation" => {
            let update = root.path(&["spec", "update"]);
            Some(FluxObject::Automation(ImageUpdateAutomation {
                update_path: string_at(root, &["spec", "update", "path"]),
                strategy: string_at(root, &["spec", "update", "strategy"]),
                has_update: update.is_some(),
                policy_selector: root.path(&["spec", "policySelector"]).map(label_selector),
                message_template: string_at(root, &["spec", "git", "commit", "messageTemplate"]),
                origin,
                api_version,
                metadata,
            }))
        }
        _ => None,
    }
}

/// `Some("")` spanning the key when `parent.key` is present (e.g. `alphabetical: {}`).
fn present_empty(root: &Node, parent: &[&str], key: &str) -> Option<Spanned<String>> {
    let entry = root.path(parent)?.entry(key)?;
    Some(Spanned {
        value: String::new(),
        range: entry.key.range.clone(),
    })
}

fn read_flux_kustomization(root: &Node, origin: Origin) -> FluxKustomization {
    let substitute = string_map(root.path(&["spec", "postBuild", "substitute"]));
    FluxKustomization {
        metadata: metadata(root),
        path: root
            .path(&["spec", "path"])
            .and_then(Node::as_str)
            .map(normalise_dir),
        substitute,
        substitute_from: root
            .path(&["spec", "postBuild", "substituteFrom"])
            .is_some(),
        target_namespace: string_at(root, &["spec", "targetNamespace"])
            .filter(|n| !n.value.is_empty()),
        name_prefix: string_at(root, &["spec", "namePrefix"]).filter(|p| !p.value.is_empty()),
        name_suffix: string_at(root, &["spec", "nameSuffix"]).filter(|s| !s.value.is_empty()),
        components: string_list(root.path(&["spec", "components"])),
        patches: read_patches(root.path(&["spec", "patches"])),
        common_labels: root
            .path(&["spec", "commonMetadata", "labels"])
            .map(|labels| Spanned {
                value: string_map(Some(labels)),
                range: labels.range.clone(),
            })
            .into_iter()
            .collect(),
        origin,
    }
}

/// A `patches` list (kustomize's, or a Flux Kustomization's `spec.patches`).
fn read_patches(list: Option<&Node>) -> Vec<Patch> {
    let mut patches = Vec::new();
    if let Some(list) = list {
        for item in list.items() {
            let Some(node) = &item.value else { continue };
            let target = node.get("target").map(|t| PatchTarget {
                kind: t.get("kind").and_then(Node::as_str).map(str::to_string),
                name: t.get("name").and_then(Node::as_str).map(str::to_string),
                namespace: t
                    .get("namespace")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                label_selector: t
                    .get("labelSelector")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                annotation_selector: t
                    .get("annotationSelector")
                    .and_then(Node::as_str)
                    .map(str::to_string),
            });
            let inline = node.get("patch").and_then(|p| match &p.value {
                // Inline patches are YAML in a string: parse them on their own.
                NodeValue::Scalar(s) => crate::yaml::parse(s.value.as_bytes())
                    .documents
                    .into_iter()
                    .find_map(|d| d.root),
                _ => Some(p.clone()),
            });
            patches.push(Patch {
                inline,
                file: node.get("path").and_then(Node::as_str).map(str::to_string),
                target,
            });
        }
    }
    patches
}

/// The labels of a kustomization's `commonLabels` map and `labels[].pairs` maps, in order.
fn read_labels(root: &Node) -> Vec<Spanned<BTreeMap<String, String>>> {
    let mut out = Vec::new();
    if let Some(common) = root.get("commonLabels") {
        out.push(Spanned {
            value: string_map(Some(common)),
            range: common.range.clone(),
        });
    }
    for item in root.get("labels").map(Node::items).unwrap_or_default() {
        if let Some(pairs) = item.value.as_ref().and_then(|i| i.get("pairs")) {
            out.push(Spanned {
                value: string_map(Some(pairs)),
                range: pairs.range.clone(),
            });
        }
    }
    out
}

fn read_kustomize(root: &Node, origin: Origin) -> KustomizeFile {
    let mut patches = read_patches(root.get("patches"));
    if let Some(list) = root.get("patchesStrategicMerge") {
        for item in list.items() {
            let Some(node) = &item.value else { continue };
            match &node.value {
                NodeValue::Scalar(s) if !s.value.contains('\n') => patches.push(Patch {
                    inline: None,
                    file: Some(s.value.clone()),
                    target: None,
                }),
                NodeValue::Scalar(s) => patches.push(Patch {
                    inline: crate::yaml::parse(s.value.as_bytes())
                        .documents
                        .into_iter()
                        .find_map(|d| d.root),
                    file: None,
                    target: None,
                }),
                _ => patches.push(Patch {
                    inline: Some(node.clone()),
                    file: None,
                    target: None,
                }),
            }
        }
    }
    let namespace = string_at(root, &["namespace"]);
    KustomizeFile {
        namespace_range: namespace.as_ref().map(|n| n.range.clone()),
        namespace: namespace.map(|n| n.value),
        name_prefix: string_at(root, &["namePrefix"]).filter(|p| !p.value.is_empty()),
        name_suffix: string_at(root, &["nameSuffix"]).filter(|p| !p.value.is_empty()),
        labels: read_labels(root),
        resources: string_list(root.get("resources")),
        components: string_list(root.get("components")),
        patches,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_policy_fields_with_spans() {
        let text = b"apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app\n  filterTags:\n    pattern: '^main-(?P<ts>[0-9]+)'\n    extract: '$ts'\n  policy:\n    numerical: {}\n";
        let file = crate::yaml::parse(text);
        let objects = read_objects("p.yaml", &file);
        let [FluxObject::Policy(policy)] = objects.as_slice() else {
            panic!("{objects:?}")
        };
        assert_eq!(policy.metadata.name.as_ref().unwrap().value, "app");
        let pattern = policy.filter_pattern.as_ref().unwrap();
        assert_eq!(&text[pattern.range.clone()], b"'^main-(?P<ts>[0-9]+)'");
        assert_eq!(policy.policy.numerical_order.as_ref().unwrap().value, "");
        assert!(policy.policy.semver_range.is_none());
    }

    /// Issue 12: a CustomResourceDefinition of the image API (Flux's `gotk-components.yaml`)
    /// names the group everywhere but is no object fluxtag reads, so it is not parsed; an
    /// ImagePolicy or Flux Kustomization in the same stream still is, and a document without a
    /// column-0 `apiVersion` line (flow style) is never ruled out.
    #[test]
    fn document_api_version_decides_whether_a_document_is_read() {
        let crd = b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: imagepolicies.image.toolkit.fluxcd.io\nspec:\n  group: image.toolkit.fluxcd.io\n";
        let policy = b"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n";
        let flux = b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n";
        assert!(!may_contain_objects(crd));
        assert!(may_contain_objects(policy));
        assert!(may_contain_objects(flux));
        assert!(may_contain_objects(
            b"{apiVersion: image.toolkit.fluxcd.io/v1, kind: ImagePolicy}\n"
        ));
        assert!(may_contain_objects(
            b"kind: Kustomization\nresources: [a.yaml]\n"
        ));
        // Indented `apiVersion` lines (inside a schema or a list) say nothing about the document.
        assert!(!may_contain_objects(
            b"apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    apiVersion: image.toolkit.fluxcd.io/v1\n"
        ));
        let crds = [crd.as_slice(), crd.as_slice()].join(b"---\n".as_slice());
        assert!(!stream_may_contain_objects(&crds));
        let mixed = [crd.as_slice(), policy.as_slice(), crd.as_slice()].join(b"---\n".as_slice());
        assert!(stream_may_contain_objects(&mixed));
        let mixed = [crd.as_slice(), flux.as_slice()].join(b"\n---\n".as_slice());
        assert!(stream_may_contain_objects(&mixed));
        assert!(!stream_may_contain_objects(
            b"apiVersion: v1\nkind: Service\n"
        ));
    }

    #[test]
    fn normalises_dirs() {
        assert_eq!(normalise_dir("./apps/prod/"), "apps/prod");
        assert_eq!(normalise_dir("./"), "");
        assert_eq!(normalise_dir("a/../b"), "b");
    }

    /// One grammar for `spec.interval`: the API's pattern, summed (spec §2.1, §3.1).
    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        for rejected in ["", "5x", "5", "m", "1.m", ".5m", " 5m", "5m ", "-5m", "1d"] {
            assert_eq!(parse_duration(rejected), None, "{rejected:?}");
        }
    }
}
