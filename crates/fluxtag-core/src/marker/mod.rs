//! `$imagepolicy` markers and their near misses.
//!
//! [`find_markers`] reads a parsed file and returns every marker Flux would read (spec §1.4), with
//! the annotated scalar's span, style and value, and a diagnostic for every comment that was
//! meant as a marker but that Flux silently ignores: malformed JSON, a missing namespace, an
//! unknown suffix, a comment above a key, on a key, on a collection, on an empty value, inside a
//! block scalar, hidden by another comment, or in a file Flux skips altogether.
//!
//! Both marker forms Flux applies are read: the short `{"$imagepolicy": "ns:name"}` and the long
//! `{"$ref": "#/definitions/io.k8s.cli.setters.ns:name"}` that kyaml falls back to (issue 11
//! item 8; kyaml `fieldmeta.FieldMeta.Read`), with the same suffixes and verdicts.
//!
//! A comment that merely mentions `$imagepolicy` in prose is neither, wherever it sits (above a
//! document, mid-sentence): a comment is a marker candidate only when, after its leading `#`s and
//! blanks, it starts with `{` and names an `imagepolicy` key (a JSON object, valid or not), or
//! is wholly a bare key-value pair `$imagepolicy: <reference>` (JSON written wrongly). Prose gets
//! no diagnostic, no misplaced-marker move and no file-level skip.
//!
//! The finder is split by concern; this file owns the public types, the comment classifier and
//! the driver [`find_markers`], plus the few `Finder` helpers every part uses:
//! - `walk`: the tree walk that attaches comments to scalars and records anchors for strays;
//! - `stray`: why a marker candidate attached to no scalar is ignored, and the move fix;
//! - `line_scan`: markers of documents too large for the YAML parser, read line by line;
//! - `file_level`: the reasons Flux skips a whole file.
//!
//! Nothing here does I/O or knows about policies beyond a reference's syntax: whether a named
//! policy exists is decided by [`crate::resolve`].

mod file_level;
mod line_scan;
mod stray;
mod walk;

pub use file_level::{PathClaim, path_annotation_diagnostics};

use std::collections::HashSet;
use std::ops::Range;

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix};
use crate::text::{LineIndex, contains_bytes};
use crate::yaml::{NodeValue, ScalarStyle, YamlFile};

/// The exact bytes Flux screens files for (with the double quotes).
pub const SCREENING_TOKEN: &[u8] = b"\"$imagepolicy\"";

/// The JSON pointer prefix of a setter definition in kyaml's setters schema
/// (`fieldmeta.DefinitionsPrefix + fieldmeta.SetterDefinitionPrefix`, kyaml v0.21.1
/// `fieldmeta/fieldmeta.go`): the long marker form is `{"$ref": "#/definitions/io.k8s.cli.setters.<name>"}`.
pub const SETTER_REF_PREFIX: &str = "#/definitions/io.k8s.cli.setters.";

/// What a marker writes (spec §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MarkerKind {
    /// `ns:name`: the whole reference, `name:tag` or `name:tag@digest`.
    Image,
    /// `ns:name:tag`: the tag.
    Tag,
    /// `ns:name:name`: the image name (`ImageRepository.spec.image` verbatim).
    Name,
    /// `ns:name:digest`: the digest (empty when the policy reflects none).
    Digest,
}

impl MarkerKind {
    /// `image`, `tag`, `name` or `digest`.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerKind::Image => "image",
            MarkerKind::Tag => "tag",
            MarkerKind::Name => "name",
            MarkerKind::Digest => "digest",
        }
    }

    /// The suffix after `ns:name` (`""`, `":tag"`, `":name"`, `":digest"`).
    pub fn suffix(self) -> &'static str {
        match self {
            MarkerKind::Image => "",
            MarkerKind::Tag => ":tag",
            MarkerKind::Name => ":name",
            MarkerKind::Digest => ":digest",
        }
    }
}

/// The policy a marker names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PolicyTarget {
    /// The ImagePolicy's namespace.
    pub namespace: String,
    /// The ImagePolicy's name.
    pub name: String,
    /// What the marker writes.
    pub kind: MarkerKind,
}

/// Why a marker's reference names no policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReferenceProblem {
    /// No namespace (`"app"`).
    NoNamespace,
    /// A suffix other than `tag`, `name`, `digest`, or too many parts.
    BadSuffix(String),
    /// Empty parts, white space.
    Malformed(String),
}

/// Reads a marker's `$imagepolicy` value (spec §1.4: `ns:name`, `ns:name:tag`, `ns:name:name`,
/// `ns:name:digest`; the namespace is mandatory; matching is exact).
pub fn parse_reference(reference: &str) -> Result<PolicyTarget, ReferenceProblem> {
    if reference.is_empty() {
        return Err(ReferenceProblem::Malformed(
            "the policy reference is empty".to_string(),
        ));
    }
    if reference.chars().any(char::is_whitespace) {
        return Err(ReferenceProblem::Malformed(format!(
            "the policy reference {reference:?} contains white space, and Flux matches it exactly"
        )));
    }
    let parts: Vec<&str> = reference.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ReferenceProblem::Malformed(format!(
            "the policy reference {reference:?} has an empty part"
        )));
    }
    match parts.as_slice() {
        [_] => Err(ReferenceProblem::NoNamespace),
        [namespace, name] => Ok(PolicyTarget {
            namespace: namespace.to_string(),
            name: name.to_string(),
            kind: MarkerKind::Image,
        }),
        [namespace, name, suffix] => {
            let kind = match *suffix {
                "tag" => MarkerKind::Tag,
                "name" => MarkerKind::Name,
                "digest" => MarkerKind::Digest,
                other => return Err(ReferenceProblem::BadSuffix(other.to_string())),
            };
            Ok(PolicyTarget {
                namespace: namespace.to_string(),
                name: name.to_string(),
                kind,
            })
        }
        _ => Err(ReferenceProblem::BadSuffix(parts[2..].join(":"))),
    }
}

/// Where the marker comment sits relative to its scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Placement {
    /// At the end of the value's line.
    LineComment,
    /// Above a sequence item, or after its dash.
    HeadComment,
    /// Found by the line scan of an oversized document.
    LineScan,
}

/// A marker and the scalar it annotates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    /// The comment, from `#` to the end of the line.
    pub comment: Range<usize>,
    /// The `$imagepolicy` value as written (after JSON unescaping).
    pub reference: String,
    /// Bytes of the reference text inside the comment (between its quotes).
    pub reference_range: Range<usize>,
    /// The policy it names, or why it names none.
    pub target: Result<PolicyTarget, ReferenceProblem>,
    /// Bytes of the annotated scalar (quotes included).
    pub scalar: Range<usize>,
    /// The scalar's style.
    pub style: ScalarStyle,
    /// The scalar's decoded value.
    pub value: String,
    /// Whether the scalar sits inside a flow collection.
    pub in_flow: bool,
    /// How the comment is attached.
    pub placement: Placement,
    /// Index of the document in the file.
    pub document: usize,
    /// For a marker on a block scalar's header line (`key: | # {…}`), that header.
    pub block_header: Option<BlockHeader>,
}

/// The header of a block scalar whose header line carries the marker: what Flux rewrites
/// besides the content ([`block_header_edits`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockHeader {
    /// The indicator with its chomping and indentation hints (`|`, `>-`, `|2+`).
    pub indicator: Range<usize>,
    /// How many lines the content spans (the marker's scalar range).
    pub content_lines: usize,
}

impl BlockHeader {
    /// Whether writing `value` as Flux does ([`block_header_edits`]) keeps the file's line
    /// count: the content is one line and Flux keeps the block (it does not quote the value).
    pub fn keeps_line_count(&self, value: &str) -> bool {
        self.content_lines == 1 && !flux_quotes_block_value(value)
    }
}

/// Whether Flux writes `value`, set into a block scalar, double-quoted instead (kyaml's
/// `FormatNonStringStyle`; or a value that cannot be one block line).
fn flux_quotes_block_value(value: &str) -> bool {
    crate::yaml::scalar::resolves_to_non_string(value)
        || !crate::yaml::scalar::can_be_block_line(value)
}

/// Everything [`find_markers`] found in one file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileMarkers {
    /// Markers Flux reads (if it reads the file at all), in source order.
    pub markers: Vec<Marker>,
    /// Near misses and file-level problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Why Flux skips the whole file, if it does.
    pub skipped: Option<String>,
    /// The path annotations of its resources, judged against the automations that read it by
    /// [`path_annotation_diagnostics`].
    pub path_claims: Vec<PathClaim>,
}

/// A comment read as a marker candidate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CommentClass {
    /// Not meant as a marker (no marker shape, prose).
    NotMarker,
    /// A marker Flux can read; the reference and its byte range relative to the comment start.
    Marker {
        /// The `$imagepolicy` value.
        reference: String,
        /// Byte range of the value inside the comment text.
        reference_range: Range<usize>,
    },
    /// Meant as a marker, but Flux cannot read it.
    Malformed {
        /// Why, in words.
        reason: String,
        /// A corrected comment text, when the intent is clear.
        suggestion: Option<String>,
    },
}

/// Reads one comment's text (from `#`) the way Flux does (spec §1.4): all leading `#` removed,
/// then one complete JSON object of string values with the exact key `$imagepolicy`.
pub fn classify_comment(comment: &str) -> CommentClass {
    let after_hashes = comment.trim_start_matches('#');
    let hashes = comment.len() - after_hashes.len();
    let body = after_hashes.trim_start();
    let body_offset = hashes + (after_hashes.len() - body.len());
    let looks_like_object = body.starts_with('{')
        && (body.to_ascii_lowercase().contains("imagepolicy")
            || body.contains("io.k8s.cli.setter"));
    if !looks_like_object {
        return match bare_reference(body) {
            Some(reference) => CommentClass::Malformed {
                reason: "the marker is not a JSON object; Flux expects `{\"$imagepolicy\": \"<namespace>:<name>\"}`".to_string(),
                suggestion: Some(format!("# {{\"$imagepolicy\": {}}}", json_string(reference))),
            },
            None => CommentClass::NotMarker,
        };
    }
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
    let first = stream.next();
    let consumed = stream.byte_offset();
    let value = match first {
        Some(Ok(value)) => value,
        Some(Err(error)) => {
            let single_quoted = body.contains('\'') && !body.contains('"');
            let reason = if single_quoted {
                "the marker uses single quotes; JSON, and so Flux, needs double quotes".to_string()
            } else {
                format!("the marker is not valid JSON ({error})")
            };
            let suggestion = single_quoted.then(|| format!("# {}", body.replace('\'', "\"")));
            return CommentClass::Malformed { reason, suggestion };
        }
        None => {
            return CommentClass::Malformed {
                reason: "the marker is empty".to_string(),
                suggestion: None,
            };
        }
    };
    let rest = body[consumed..].trim();
    if !rest.is_empty() {
        return CommentClass::Malformed {
            reason: format!(
                "text after the marker's closing brace ({rest:?}); Flux reads the whole comment as JSON and ignores it"
            ),
            suggestion: Some(format!("# {}", body[..consumed].trim_end())),
        };
    }
    let serde_json::Value::Object(map) = value else {
        return CommentClass::Malformed {
            reason: "the marker is not a JSON object".to_string(),
            suggestion: None,
        };
    };
    if !map.contains_key("$imagepolicy")
        && let Some(reference) = map.get("$ref")
    {
        return long_form(body, body_offset, reference, &map);
    }
    for (key, value) in &map {
        if !matches!(
            value,
            serde_json::Value::String(_) | serde_json::Value::Null
        ) {
            return CommentClass::Malformed {
                reason: format!(
                    "the value of {key:?} is not a string; Flux ignores a marker with any non-string value"
                ),
                suggestion: None,
            };
        }
    }
    let Some(reference) = map.get("$imagepolicy") else {
        let near = map.keys().find(|k| {
            k.trim()
                .trim_start_matches('$')
                .eq_ignore_ascii_case("imagepolicy")
        });
        let reason = match near {
            Some(key) => format!("the key must be exactly \"$imagepolicy\", not {key:?}"),
            None => "the marker has no \"$imagepolicy\" key".to_string(),
        };
        let suggestion = near.and_then(|key| {
            map.get(key)
                .and_then(|v| v.as_str())
                .map(|v| format!("# {{\"$imagepolicy\": {}}}", json_string(v)))
        });
        return CommentClass::Malformed { reason, suggestion };
    };
    let reference = reference.as_str().unwrap_or("").to_string();
    let reference_range = locate_reference(body, &reference)
        .map(|r| (r.start + body_offset)..(r.end + body_offset))
        .unwrap_or(body_offset..comment.len());
    CommentClass::Marker {
        reference,
        reference_range,
    }
}

/// The long marker form `{"$ref": "#/definitions/io.k8s.cli.setters.<name>"}`, which kyaml's
/// `FieldMeta.Read` falls back to when the comment is no known shorthand: it unmarshals the
/// comment as an OpenAPI schema (kube-openapi `spec.Schema.UnmarshalJSON`: `$ref` must be a
/// string, the known schema properties must have their JSON types, other keys are ignored),
/// and image-automation-controller's `getSchema` resolves the reference in its setters schema,
/// whose definitions are `io.k8s.cli.setters.<ns>:<name>` plus `:tag`, `:name`, `:digest`
/// (IAC `internal/update/setters.go`, `filter.go`). The reference is a URL (go-openapi
/// jsonreference): its fragment is percent-decoded, then read as a JSON pointer (`~1` is `/`,
/// `~0` is `~`). fluxtag reads fragment-only references (`#/…`, what kyaml itself writes).
fn long_form(
    body: &str,
    body_offset: usize,
    reference: &serde_json::Value,
    map: &serde_json::Map<String, serde_json::Value>,
) -> CommentClass {
    let shorthand = |name: &str| format!("# {{\"$imagepolicy\": {}}}", json_string(name));
    let Some(raw) = reference.as_str() else {
        return CommentClass::Malformed {
            reason: "the value of \"$ref\" is not a string".to_string(),
            suggestion: None,
        };
    };
    if let Some((key, _)) = map
        .iter()
        .find(|(key, value)| key.as_str() != "$ref" && !schema_property_fits(key, value))
    {
        return CommentClass::Malformed {
            reason: format!(
                "the schema property {key:?} of this `$ref` marker has the wrong JSON type, so kyaml cannot read the comment as a schema"
            ),
            suggestion: None,
        };
    }
    let name = raw
        .strip_prefix('#')
        .and_then(percent_decode)
        .and_then(|fragment| {
            fragment
                .strip_prefix(&SETTER_REF_PREFIX[1..])
                .map(str::to_string)
        });
    let Some(name) = name.filter(|n| !n.contains('/')) else {
        let suggestion = raw
            .rsplit_once("io.k8s.cli.setters")
            .map(|(_, name)| shorthand(name.trim_start_matches(['.', '/'])));
        return CommentClass::Malformed {
            reason: format!(
                "the reference {raw:?} is not `{SETTER_REF_PREFIX}<namespace>:<policy>`, so it names no setter Flux defines"
            ),
            suggestion,
        };
    };
    let name = name.replace("~1", "/").replace("~0", "~");
    // The name's bytes inside the comment, when written without escapes.
    let located = body.find("\"$ref\"").and_then(|key| {
        let after = key + "\"$ref\"".len();
        let colon = after + body[after..].find(':')?;
        let open = colon + 1 + body[colon + 1..].find('"')?;
        let start = open + 1 + SETTER_REF_PREFIX.len();
        (body.get(open + 1..start) == Some(SETTER_REF_PREFIX)
            && body.get(start..start + name.len()) == Some(name.as_str())
            && body[start + name.len()..].starts_with('"'))
        .then_some(start..start + name.len())
    });
    let reference_range = located
        .map(|r| (r.start + body_offset)..(r.end + body_offset))
        .unwrap_or(body_offset..body_offset + body.len());
    CommentClass::Marker {
        reference: name,
        reference_range,
    }
}

/// Whether `value` fits the JSON type of the schema property `key` as kube-openapi's
/// `SchemaProps`/`SwaggerSchemaProps` declare it (Go's `encoding/json` matches field names
/// without regard to case); unknown keys and `x-` extensions are ignored by the unmarshal.
fn schema_property_fits(key: &str, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    if value.is_null() {
        return true;
    }
    match key.to_ascii_lowercase().as_str() {
        "id" | "description" | "format" | "title" | "pattern" | "discriminator" => {
            value.is_string()
        }
        "type" => {
            value.is_string()
                || value
                    .as_array()
                    .is_some_and(|items| items.iter().all(Value::is_string))
        }
        "nullable" | "exclusivemaximum" | "exclusiveminimum" | "uniqueitems" | "readonly" => {
            value.is_boolean()
        }
        "maximum" | "minimum" | "multipleof" => value.is_number(),
        "maxlength" | "minlength" | "maxitems" | "minitems" | "maxproperties" | "minproperties" => {
            value.is_i64() || value.is_u64()
        }
        "enum" => value.is_array(),
        "required" => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        "allof" | "oneof" | "anyof" => value
            .as_array()
            .is_some_and(|items| items.iter().all(|i| i.is_object() || i.is_boolean())),
        "not" | "properties" | "patternproperties" | "dependencies" | "definitions"
        | "externaldocs" => value.is_object(),
        "items" | "additionalproperties" | "additionalitems" => {
            value.is_object() || value.is_boolean() || value.is_array()
        }
        _ => true,
    }
}

/// Percent-decodes a URL fragment as Go's `url.Parse` does; `None` for a malformed escape or
/// bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A JSON string literal.
fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// The reference of a marker written as a bare key-value pair instead of JSON
/// (`$imagepolicy: ns:app`, `"$imagepolicy"= 'ns:app'`): the whole comment is the key (quoted or
/// not, any case), a `:` or `=`, and one reference without blanks. Anything else that starts
/// with the key is prose (`$imagepolicy marker (see apps/…)`), not a marker: `None`.
fn bare_reference(body: &str) -> Option<&str> {
    let key = ["$imagepolicy", "\"$imagepolicy\"", "'$imagepolicy'"]
        .into_iter()
        .find(|key| {
            body.get(..key.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(key))
        })?;
    let rest = body[key.len()..].trim_start();
    let value = rest.strip_prefix([':', '='])?.trim();
    let value = value.strip_suffix('}').unwrap_or(value).trim_end();
    let value = value
        .strip_prefix(['"', '\''])
        .and_then(|v| v.strip_suffix(['"', '\'']))
        .unwrap_or(value);
    (!value.is_empty() && !value.contains(char::is_whitespace)).then_some(value)
}

/// The byte range of the `$imagepolicy` value between its quotes in the comment body.
fn locate_reference(body: &str, reference: &str) -> Option<Range<usize>> {
    let key_at = body.find("\"$imagepolicy\"")?;
    let after_key = key_at + "\"$imagepolicy\"".len();
    let colon = after_key + body[after_key..].find(':')?;
    let open = colon + 1 + body[colon + 1..].find('"')?;
    let start = open + 1;
    let raw = format!("\"{}", &body[start..]);
    // The end is the closing quote of the JSON string, escapes considered.
    let mut stream = serde_json::Deserializer::from_str(&raw).into_iter::<String>();
    match stream.next() {
        Some(Ok(_)) => Some(start..start + stream.byte_offset() - 2),
        _ => Some(start..start + reference.len()),
    }
}

/// The edits that write `value` where Flux writes it for a marker on a block scalar's header
/// line (`key: | # {…}`), or `None` for any other marker. kyaml sets the node's value and
/// `FormatNonStringStyle` (kyaml v0.21.1 `yaml/compatibility.go`) double-quotes it when go-yaml
/// v2 would load it as a non-string; otherwise the block style stays and go-yaml v3's emitter
/// (v3.0.4 `emitterc.go` `yaml_emitter_write_block_scalar_hints`) writes `|-` (or `>-`: the
/// value has no final line break), the comment on the header line, and the value on the next
/// line. So: the indicator becomes `|-`/`>-` and the content becomes the value (its
/// indentation kept, fluxtag-differences §1), or, for a value Flux quotes (`1.10`, an empty
/// digest), the indicator becomes the double-quoted value and the content lines go.
pub fn block_header_edits(marker: &Marker, value: &str) -> Option<Vec<Edit>> {
    let header = marker.block_header.as_ref()?;
    let edits = if flux_quotes_block_value(value) {
        vec![
            Edit {
                range: header.indicator.clone(),
                new_text: crate::yaml::scalar::encode_double(value),
            },
            Edit {
                range: marker.comment.end..marker.scalar.end,
                new_text: String::new(),
            },
        ]
    } else {
        let indicator = if marker.style == ScalarStyle::Folded {
            ">-"
        } else {
            "|-"
        };
        vec![
            Edit {
                range: header.indicator.clone(),
                new_text: indicator.to_string(),
            },
            Edit {
                range: marker.scalar.clone(),
                new_text: value.to_string(),
            },
        ]
    };
    Some(edits)
}

/// Whether Flux reads files with this path at all (spec §1.2: `.yaml`, `.yml`, or the base name
/// `Kustomization`; case-sensitive).
pub fn flux_reads_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == "Kustomization" || base.ends_with(".yaml") || base.ends_with(".yml")
}

/// Quick byte test: could this file hold a marker or a near miss at all? Markers and near
/// misses are comments, so a keyword counts only after a `#` on its line: the names and
/// descriptions of Flux's own CRDs (`imagepolicies.image.toolkit.fluxcd.io` in a vendored
/// `gotk-components.yaml`) do not make a file worth parsing (issue 12).
pub fn may_contain_markers(text: &[u8]) -> bool {
    [
        b"imagepolicy".as_slice(),
        b"ImagePolicy\"",
        b"io.k8s.cli.setter",
    ]
    .iter()
    .any(|keyword| keyword_after_hash(text, keyword))
}

/// Whether `keyword` occurs in `text` with a `#` before it on the same line.
fn keyword_after_hash(text: &[u8], keyword: &[u8]) -> bool {
    memchr::memmem::find_iter(text, keyword).any(|at| {
        let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
        memchr::memchr(b'#', &text[line_start..at]).is_some()
    })
}

/// Whether a line or block of text may hold marker text at all (either form).
fn may_hold_marker_text(bytes: &[u8]) -> bool {
    contains_bytes(bytes, b"imagepolicy") || contains_bytes(bytes, b"io.k8s.cli.setter")
}

/// A comment of the file, located and classified once.
struct CommentInfo {
    /// From the `#` to the end of the line.
    range: Range<usize>,
    /// Its line.
    line: u32,
    /// Whether only blanks precede it on its line.
    own_line: bool,
    /// What it is as a marker candidate.
    class: CommentClass,
}

/// A place in the tree a stray marker comment may refer to.
#[derive(Debug)]
enum Anchor {
    /// A mapping entry whose key ends on `line`.
    Key {
        key: Range<usize>,
        value: Option<AnchorValue>,
    },
    /// A sequence item whose dash is on `line`.
    Item { value: Option<AnchorValue> },
    /// A flow collection ending on `line`.
    FlowEnd,
}

/// The value under an [`Anchor`], as much as a stray comment's explanation needs.
#[derive(Debug)]
enum AnchorValue {
    /// A scalar, its bytes and the line it starts on.
    Scalar { range: Range<usize>, line: u32 },
    /// A mapping or a sequence.
    Collection,
    /// An alias `*name`.
    Alias,
}

/// The state of one [`find_markers`] run. Its methods live in the child modules, by concern.
struct Finder<'a> {
    /// The file's path, for diagnostics and Flux's extension rule.
    path: &'a str,
    /// The file's bytes.
    text: &'a [u8],
    /// Line starts of `text`.
    index: &'a LineIndex,
    /// Every comment, in source order.
    comments: Vec<CommentInfo>,
    /// Comments already used as a marker or reported.
    consumed: HashSet<usize>,
    /// Places stray comments may refer to, by line (sorted before the stray pass).
    anchors: Vec<(u32, Anchor)>,
    /// Marker candidates of documents with a syntax error that are in no comment of the tree
    /// and made no marker (see `line_scan`).
    recovered: Vec<Range<usize>>,
    /// What the run found.
    out: FileMarkers,
}

/// Finds every marker and near miss of a parsed file. `path` is relative to the root and
/// `/`-separated; it names the file in diagnostics and decides Flux's extension rule.
pub fn find_markers(path: &str, text: &[u8], file: &YamlFile, index: &LineIndex) -> FileMarkers {
    let comments = file
        .comments
        .iter()
        .map(|c| {
            let line = index.line_of(c.range.start);
            let line_start = index.line_start(line);
            let own_line = text[line_start..c.range.start]
                .iter()
                .all(|b| matches!(b, b' ' | b'\t'));
            let comment_text = String::from_utf8_lossy(&text[c.range.clone()]);
            CommentInfo {
                range: c.range.clone(),
                line,
                own_line,
                class: classify_comment(&comment_text),
            }
        })
        .collect();
    let mut finder = Finder {
        path,
        text,
        index,
        comments,
        consumed: HashSet::new(),
        anchors: Vec::new(),
        recovered: Vec::new(),
        out: FileMarkers::default(),
    };
    for (number, document) in file.documents.iter().enumerate() {
        if document.oversized {
            finder.line_scan(number, document);
        } else if let Some(root) = &document.root {
            if matches!(&root.value, NodeValue::Scalar(s) if matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded))
            {
                finder.block_scalar(root);
            }
            finder.walk(root, number);
        }
        if document.has_error {
            finder.recover_lines(number, document);
        }
    }
    finder.anchors.sort_by_key(|(line, _)| *line);
    finder.stray_comments();
    finder.out.markers.sort_by_key(|m| m.scalar.start);
    finder.file_level(file);
    finder.path_annotations(file);
    finder.out
}

impl Finder<'_> {
    /// The line of byte `offset`.
    fn line(&self, offset: usize) -> u32 {
        self.index.line_of(offset)
    }

    /// The comment that starts after `end` on the same line with only blanks between.
    fn trailing_comment(&self, end: usize) -> Option<usize> {
        let line = self.line(end.saturating_sub(1));
        let at = self.comments.partition_point(|c| c.range.start < end);
        let comment = self.comments.get(at)?;
        if comment.line != line {
            return None;
        }
        self.text[end..comment.range.start]
            .iter()
            .all(|b| matches!(b, b' ' | b'\t'))
            .then_some(at)
    }

    /// Reports a marker whose reference names no policy (unless it awaits substitution).
    fn reference_diagnostics(&mut self, marker: &Marker) {
        if marker.reference.contains("${") {
            return; // decided after substitution
        }
        let Err(problem) = &marker.target else {
            return;
        };
        let diagnostic = reference_diagnostic(self.path, marker, problem);
        self.out.diagnostics.push(diagnostic);
    }

    /// Reports comment `at` as a marker in a place Flux never reads, once.
    fn misplaced(&mut self, at: usize, reason: &str, fix: Option<Fix>) {
        if !self.consumed.insert(at) {
            return;
        }
        let range = self.comments[at].range.clone();
        let mut diagnostic = Diagnostic::new(
            Code::MarkerMisplaced,
            self.path,
            range,
            format!("Flux never reads this marker: {reason}"),
        )
        .with_help("put the marker at the end of the line of the value it updates: `image: app:1.0 # {\"$imagepolicy\": \"ns:policy\"}`");
        if let Some(fix) = fix {
            diagnostic = diagnostic.with_fix(fix);
        }
        self.out.diagnostics.push(diagnostic);
    }
}

/// The diagnostic for a marker whose reference names no policy.
pub fn reference_diagnostic(path: &str, marker: &Marker, problem: &ReferenceProblem) -> Diagnostic {
    match problem {
        ReferenceProblem::NoNamespace if marker.reference.matches('/').count() == 1 => {
            let colon = marker.reference.replacen('/', ":", 1);
            Diagnostic::new(
                Code::MarkerNoNamespace,
                path,
                marker.reference_range.clone(),
                format!(
                    "the marker names {:?} with `/` between namespace and name; Flux needs `:` (`<namespace>:<policy>`) and ignores this marker",
                    marker.reference
                ),
            )
            .with_help(format!("use `:` between namespace and name: `{colon}`"))
            .with_fix(Fix {
                title: format!("Change to `{colon}`"),
                edits: vec![Edit {
                    range: marker.reference_range.clone(),
                    new_text: colon.clone(),
                }],
                applicability: Applicability::Unsafe,
            })
        }
        ReferenceProblem::NoNamespace => Diagnostic::new(
            Code::MarkerNoNamespace,
            path,
            marker.reference_range.clone(),
            format!(
                "the marker names {:?} without a namespace; Flux needs `<namespace>:<policy>` and ignores this marker",
                marker.reference
            ),
        )
        .with_help("prefix the policy name with its namespace, e.g. `flux-system:"
            .to_string() + &marker.reference + "`"),
        ReferenceProblem::BadSuffix(suffix) => Diagnostic::new(
            Code::MarkerBadSuffix,
            path,
            marker.reference_range.clone(),
            format!(
                "the marker suffix {suffix:?} is not one Flux knows; Flux ignores this marker"
            ),
        )
        .with_help("use no suffix (the whole image), `:tag`, `:name` or `:digest`"),
        ReferenceProblem::Malformed(reason) => Diagnostic::new(
            Code::MarkerMalformed,
            path,
            marker.reference_range.clone(),
            format!("Flux ignores this marker: {reason}"),
        )
        .with_help("write the reference as `<namespace>:<policy>`, optionally with `:tag`, `:name` or `:digest`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12: marker keywords count only in comments (after a `#` on their line), so a CRD
    /// bundle naming `imagepolicies.image.toolkit.fluxcd.io` is not parsed for markers, while
    /// every marker form, near misses included, still is.
    #[test]
    fn marker_keywords_count_only_after_a_hash() {
        assert!(!may_contain_markers(
            b"metadata:\n  name: imagepolicies.image.toolkit.fluxcd.io\nspec:\n  names:\n    plural: imagepolicies\n"
        ));
        assert!(may_contain_markers(
            b"image: app:1.0 # {\"$imagepolicy\": \"ns:app\"}\n"
        ));
        assert!(may_contain_markers(
            b"tag: '1.0' # {\"ImagePolicy\": \"ns:app\"}\n"
        ));
        assert!(may_contain_markers(
            b"x: 1\nimage: app # {\"$imagepolicy\": \"ns:app:tag\"}"
        ));
        assert!(may_contain_markers(
            b"# description mentions nothing\nimage: app:1 # $ImagePolicy-ish: imagepolicy\n"
        ));
        assert!(may_contain_markers(
            b"value: 1 # {\"$openapi\":\"io.k8s.cli.setters.app\"}\n"
        ));
        assert!(!may_contain_markers(b"# a comment\nname: imagepolicy\n"));
    }
}
