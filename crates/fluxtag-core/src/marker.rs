//! `$imagepolicy` markers and their near misses.
//!
//! [`find_markers`] reads a parsed file and returns every marker Flux would read (spec §1.4), with
//! the annotated scalar's span, style and value, and a diagnostic for every comment that was
//! meant as a marker but that Flux silently ignores: malformed JSON, a missing namespace, an
//! unknown suffix, a comment above a key, on a key, on a collection, on an empty value, inside a
//! block scalar, hidden by another comment, or in a file Flux skips altogether.
//!
//! A comment that merely mentions `$imagepolicy` in prose is neither: a comment is a marker
//! candidate only when, after its leading `#`s and blanks, it starts with `{` and names an
//! `imagepolicy` key, or starts with the `$imagepolicy` key itself.

use std::collections::HashSet;
use std::ops::Range;

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix};
use crate::text::{LineIndex, contains_bytes};
use crate::yaml::{Document, Node, NodeValue, ScalarStyle, YamlFile};

/// The exact bytes Flux screens files for (with the double quotes).
pub const SCREENING_TOKEN: &[u8] = b"\"$imagepolicy\"";

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
    let lower = body.to_ascii_lowercase();
    let looks_like_object = body.starts_with('{') && lower.contains("imagepolicy");
    let looks_like_bare = ["$imagepolicy", "\"$imagepolicy\"", "'$imagepolicy'"]
        .iter()
        .any(|p| lower.starts_with(p));
    if !looks_like_object && !looks_like_bare {
        return CommentClass::NotMarker;
    }
    if looks_like_bare && !looks_like_object {
        let suggestion = bare_suggestion(body);
        return CommentClass::Malformed {
            reason: "the marker is not a JSON object; Flux expects `{\"$imagepolicy\": \"<namespace>:<name>\"}`".to_string(),
            suggestion,
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

/// A JSON string literal.
fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// `$imagepolicy: ns:app` and similar bare forms, rewritten as JSON.
fn bare_suggestion(body: &str) -> Option<String> {
    let (_, value) = body.split_once(':')?;
    let value = value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '}')
        .trim();
    (!value.is_empty()).then(|| format!("# {{\"$imagepolicy\": {}}}", json_string(value)))
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

/// Whether Flux reads files with this path at all (spec §1.2: `.yaml`, `.yml`, or the base name
/// `Kustomization`; case-sensitive).
pub fn flux_reads_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == "Kustomization" || base.ends_with(".yaml") || base.ends_with(".yml")
}

/// Quick byte test: could this file hold a marker or a near miss at all?
pub fn may_contain_markers(text: &[u8]) -> bool {
    contains_bytes(text, b"imagepolicy") || contains_bytes(text, b"ImagePolicy\"")
}

struct CommentInfo {
    range: Range<usize>,
    line: u32,
    own_line: bool,
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

#[derive(Debug)]
enum AnchorValue {
    Scalar { range: Range<usize>, line: u32 },
    Collection,
    Alias,
}

struct Finder<'a> {
    path: &'a str,
    text: &'a [u8],
    index: &'a LineIndex,
    comments: Vec<CommentInfo>,
    consumed: HashSet<usize>,
    anchors: Vec<(u32, Anchor)>,
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
    }
    finder.anchors.sort_by_key(|(line, _)| *line);
    finder.stray_comments();
    finder.out.markers.sort_by_key(|m| m.scalar.start);
    finder.file_level(file);
    finder.out
}

impl Finder<'_> {
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

    /// The contiguous block of own-line comments directly above `line`.
    fn comment_block_above(&self, line: u32) -> Vec<usize> {
        let line_start = self.index.line_start(line);
        let mut at = self
            .comments
            .partition_point(|c| c.range.start < line_start);
        let mut block = Vec::new();
        let mut expected = line;
        while at > 0 {
            let c = &self.comments[at - 1];
            if !c.own_line || c.line + 1 != expected {
                break;
            }
            block.push(at - 1);
            expected = c.line;
            at -= 1;
        }
        block.reverse();
        block
    }

    fn walk(&mut self, node: &Node, document: usize) {
        match &node.value {
            NodeValue::Mapping(entries) => {
                for entry in entries {
                    let key_line = self.line(entry.key.range.end.saturating_sub(1));
                    let value = entry.value.as_ref().map(|v| self.anchor_value(v));
                    self.anchors.push((
                        key_line,
                        Anchor::Key {
                            key: entry.key.range.clone(),
                            value,
                        },
                    ));
                    if let NodeValue::Scalar(scalar) = &entry.key.value
                        && matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded)
                    {
                        self.block_scalar(&entry.key);
                    }
                    if let Some(value) = &entry.value {
                        self.visit_value(value, None, document);
                    }
                }
                if node.in_flow {
                    self.flow_end(node);
                }
            }
            NodeValue::Sequence(items) => {
                for item in items {
                    if let Some(dash) = item.dash {
                        let value = item.value.as_ref().map(|v| self.anchor_value(v));
                        self.anchors.push((self.line(dash), Anchor::Item { value }));
                    }
                    if let Some(value) = &item.value {
                        self.visit_value(value, item.dash, document);
                    }
                }
                if node.in_flow {
                    self.flow_end(node);
                }
            }
            NodeValue::Scalar(_) | NodeValue::Alias(_) => {}
        }
    }

    fn flow_end(&mut self, node: &Node) {
        let line = self.line(node.range.end.saturating_sub(1));
        self.anchors.push((line, Anchor::FlowEnd));
    }

    fn anchor_value(&self, node: &Node) -> AnchorValue {
        match &node.value {
            NodeValue::Scalar(_) => AnchorValue::Scalar {
                range: node.range.clone(),
                line: self.line(node.range.start),
            },
            NodeValue::Alias(_) => AnchorValue::Alias,
            _ => AnchorValue::Collection,
        }
    }

    /// A node in value position: a mapping value or a sequence item.
    fn visit_value(&mut self, node: &Node, dash: Option<usize>, document: usize) {
        let NodeValue::Scalar(scalar) = &node.value else {
            self.walk(node, document);
            return;
        };
        if matches!(scalar.style, ScalarStyle::Literal | ScalarStyle::Folded) {
            self.block_scalar(node);
            // A comment on the header line of a block scalar is its line comment in go-yaml.
        }
        let line_comment = self.trailing_comment(node.range.end);
        let mut head_comment = None;
        if let Some(dash) = dash {
            // `- # comment` with the value on a later line.
            let dash_line = self.line(dash);
            if let Some(at) = self.trailing_comment(dash + 1)
                && self.line(node.range.start) > dash_line
                && Some(at) != line_comment
            {
                head_comment = Some(vec![at]);
            } else {
                let block = self.comment_block_above(dash_line);
                if !block.is_empty() {
                    head_comment = Some(block);
                }
            }
        }
        match (line_comment, head_comment) {
            (Some(at), head) => {
                let used = self.use_comment(at, node, Placement::LineComment, document);
                if let Some(head) = head {
                    for h in head {
                        if matches!(
                            self.comments[h].class,
                            CommentClass::Marker { .. } | CommentClass::Malformed { .. }
                        ) {
                            let reason = if used {
                                "this marker is hidden by the marker at the end of the value's line; Flux reads only that one"
                            } else {
                                "this marker is hidden by the comment at the end of the value's line; Flux reads a sequence item's head comment only when the line has no comment"
                            };
                            self.misplaced(h, reason, None);
                        }
                    }
                }
            }
            (None, Some(head)) if head.len() == 1 => {
                self.use_comment(head[0], node, Placement::HeadComment, document);
            }
            (None, Some(head)) => {
                for h in head {
                    if !matches!(self.comments[h].class, CommentClass::NotMarker) {
                        self.misplaced(
                            h,
                            "this marker is part of a block of several comment lines; Flux reads the block as one comment, which is not JSON",
                            None,
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }

    /// Uses comment `at` as the comment of scalar `node`. Returns whether it is a marker.
    fn use_comment(
        &mut self,
        at: usize,
        node: &Node,
        placement: Placement,
        document: usize,
    ) -> bool {
        let NodeValue::Scalar(scalar) = &node.value else {
            return false;
        };
        let comment = &self.comments[at];
        match comment.class.clone() {
            CommentClass::NotMarker => false,
            CommentClass::Malformed { reason, suggestion } => {
                self.consumed.insert(at);
                self.malformed(at, &reason, suggestion);
                false
            }
            CommentClass::Marker {
                reference,
                reference_range,
            } => {
                self.consumed.insert(at);
                let start = comment.range.start;
                let marker = Marker {
                    comment: comment.range.clone(),
                    target: parse_reference(&reference),
                    reference,
                    reference_range: (start + reference_range.start)..(start + reference_range.end),
                    scalar: node.range.clone(),
                    style: scalar.style,
                    value: scalar.value.clone(),
                    in_flow: node.in_flow,
                    placement,
                    document,
                };
                self.reference_diagnostics(&marker);
                self.out.markers.push(marker);
                true
            }
        }
    }

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

    fn malformed(&mut self, at: usize, reason: &str, suggestion: Option<String>) {
        let range = self.comments[at].range.clone();
        let mut diagnostic = Diagnostic::new(
            Code::MarkerMalformed,
            self.path,
            range.clone(),
            format!("Flux ignores this marker: {reason}"),
        )
        .with_help("write the marker as `# {\"$imagepolicy\": \"<namespace>:<policy>\"}`, optionally with `:tag`, `:name` or `:digest`");
        if let Some(suggestion) = suggestion {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Rewrite the marker as `{suggestion}`"),
                edits: vec![Edit {
                    range,
                    new_text: suggestion,
                }],
                applicability: Applicability::Unsafe,
            });
        }
        self.out.diagnostics.push(diagnostic);
    }

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

    /// A `#…$imagepolicy…` inside a block scalar is text, not a comment.
    fn block_scalar(&mut self, node: &Node) {
        let range = node.range.clone();
        let bytes = &self.text[range.clone()];
        if !contains_bytes(bytes, b"imagepolicy") {
            return;
        }
        let mut offset = range.start;
        for line in bytes.split(|&b| b == b'\n') {
            if let Some(hash) = line.iter().position(|&b| b == b'#') {
                let comment = String::from_utf8_lossy(&line[hash..]);
                let comment = comment.trim_end_matches('\r');
                if !matches!(classify_comment(comment), CommentClass::NotMarker) {
                    let start = offset + hash;
                    self.out.diagnostics.push(
                        Diagnostic::new(
                            Code::MarkerMisplaced,
                            self.path,
                            start..start + comment.len(),
                            "Flux never reads this marker: it is inside a block scalar (`|` or `>`), where `#` is text, not a comment",
                        )
                        .with_help("markers work only as comments of plain or quoted values; move the value out of the block scalar"),
                    );
                }
            }
            offset += line.len() + 1;
        }
    }

    /// Marker candidates not attached to any scalar.
    fn stray_comments(&mut self) {
        for at in 0..self.comments.len() {
            if self.consumed.contains(&at) {
                continue;
            }
            let class = self.comments[at].class.clone();
            if matches!(class, CommentClass::NotMarker) {
                continue;
            }
            let (reason, fix) = self.why_stray(at);
            self.misplaced(at, &reason, fix);
            if let CommentClass::Malformed { reason, .. } = class {
                // Say both: where it is and what is wrong with it.
                if let Some(last) = self.out.diagnostics.last_mut() {
                    last.message.push_str(&format!(" (and {reason})"));
                }
            }
        }
    }

    fn anchors_on(&self, line: u32) -> impl Iterator<Item = &Anchor> {
        let from = self.anchors.partition_point(|(l, _)| *l < line);
        self.anchors[from..]
            .iter()
            .take_while(move |(l, _)| *l == line)
            .map(|(_, a)| a)
    }

    fn next_code_line(&self, after: u32) -> Option<u32> {
        let mut line = after + 1;
        while (line as usize) < self.index.line_count() {
            let range = self.index.line_range(self.text, line);
            let content = self.text[range].trim_ascii();
            if content.is_empty() {
                return None; // a blank line: the comment belongs to nothing below
            }
            if !content.starts_with(b"#") {
                return Some(line);
            }
            line += 1;
        }
        None
    }

    fn move_fix(&self, at: usize, value: &Range<usize>) -> Option<Fix> {
        let comment = &self.comments[at];
        let text = String::from_utf8_lossy(&self.text[comment.range.clone()]).into_owned();
        let value_line = self.line(value.start);
        let value_line_range = self.index.line_range(self.text, value_line);
        // Only when the value's line has no comment of its own.
        if self.trailing_comment(value.end).is_some() || value_line_range.end < value.end {
            return None;
        }
        let remove = if comment.own_line {
            let start = self.index.line_start(comment.line);
            let end = self.index.line_start(comment.line + 1);
            start..end
        } else {
            let mut start = comment.range.start;
            while start > 0 && matches!(self.text[start - 1], b' ' | b'\t') {
                start -= 1;
            }
            start..comment.range.end
        };
        if remove.end > value_line_range.end && remove.start < value_line_range.end {
            return None;
        }
        let mut edits = vec![
            Edit {
                range: remove,
                new_text: String::new(),
            },
            Edit {
                range: value_line_range.end..value_line_range.end,
                new_text: format!(" {text}"),
            },
        ];
        edits.sort_by_key(|e| e.range.start);
        Some(Fix {
            title: "Move the marker to the end of the value's line".to_string(),
            edits,
            applicability: Applicability::Safe,
        })
    }

    fn why_stray(&self, at: usize) -> (String, Option<Fix>) {
        let comment = &self.comments[at];
        if comment.own_line {
            let Some(next) = self.next_code_line(comment.line) else {
                return (
                    "it is not attached to any value (a comment line followed by a blank line or the end of the document)".to_string(),
                    None,
                );
            };
            for anchor in self.anchors_on(next) {
                match anchor {
                    Anchor::Key { key, value } => {
                        let key_text = String::from_utf8_lossy(&self.text[key.clone()]);
                        let fix = match value {
                            Some(AnchorValue::Scalar { range, .. }) => self.move_fix(at, range),
                            _ => None,
                        };
                        return (
                            format!(
                                "it is a comment line above the key `{key_text}`, which Flux attaches to the key, not to its value"
                            ),
                            fix,
                        );
                    }
                    Anchor::Item { value } => {
                        let what = match value {
                            Some(AnchorValue::Collection) => {
                                "above a sequence item that is a mapping or a sequence; markers annotate scalar values only"
                            }
                            Some(AnchorValue::Alias) => {
                                "above a sequence item that is an alias (`*name`); Flux does not visit aliases"
                            }
                            _ => "above a sequence item Flux does not annotate",
                        };
                        return (format!("it is a comment line {what}"), None);
                    }
                    Anchor::FlowEnd => {}
                }
            }
            return (
                "it is not attached to any value Flux visits".to_string(),
                None,
            );
        }
        // A comment at the end of a line with something before it.
        for anchor in self
            .anchors_on(comment.line)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            match anchor {
                Anchor::Key { key, value } if key.end <= comment.range.start => {
                    let key_text = String::from_utf8_lossy(&self.text[key.clone()]);
                    return match value {
                        None => (
                            format!(
                                "the key `{key_text}` has an empty value; Flux attaches this comment to the key and never updates a null value"
                            ),
                            None,
                        ),
                        Some(AnchorValue::Scalar { range, line }) if *line > comment.line => (
                            format!(
                                "it is on the line of the key `{key_text}` while the value is on the next line; Flux reads it as the key's comment"
                            ),
                            self.move_fix(at, range),
                        ),
                        Some(AnchorValue::Alias) => (
                            format!(
                                "the value of `{key_text}` is an alias (`*name`); Flux does not visit aliases"
                            ),
                            None,
                        ),
                        Some(_) => (
                            format!(
                                "the value of `{key_text}` is a mapping or a sequence; markers annotate scalar values only"
                            ),
                            None,
                        ),
                    };
                }
                Anchor::FlowEnd => {
                    return (
                        "it follows a flow collection (`[…]` or `{…}`); markers annotate scalar values only".to_string(),
                        None,
                    );
                }
                Anchor::Item { value: None } => {
                    return ("the sequence item is empty".to_string(), None);
                }
                Anchor::Item {
                    value: Some(AnchorValue::Collection),
                } => {
                    return (
                        "it is on a sequence item that is a mapping or a sequence; markers annotate scalar values only".to_string(),
                        None,
                    );
                }
                _ => {}
            }
        }
        (
            "it is not at the end of a scalar value's line".to_string(),
            None,
        )
    }

    /// Markers of a document too large for tree-sitter-yaml, found line by line.
    fn line_scan(&mut self, number: usize, document: &Document) {
        let start_line = self.line(document.range.start);
        let end_line = self.line(document.range.end.saturating_sub(1));
        let mut found = 0usize;
        for line in start_line..=end_line {
            let range = self.index.line_range(self.text, line);
            let bytes = &self.text[range.clone()];
            if !contains_bytes(bytes, b"imagepolicy") {
                continue;
            }
            let Some(marker) = scan_line(bytes, range.start, number) else {
                continue;
            };
            self.reference_diagnostics(&marker);
            self.out.markers.push(marker);
            found += 1;
        }
        self.out.diagnostics.push(
            Diagnostic::new(
                Code::LineScanned,
                self.path,
                document.range.start..document.range.start,
                format!(
                    "this document has more than {} lines, more than the YAML parser handles; its {found} marker(s) were found line by line",
                    crate::yaml::TREE_SITTER_LIMIT
                ),
            )
            .with_help("split the document with `---` lines to get every near-miss check"),
        );
    }

    /// File-level reasons for Flux to skip the file (spec §1.2, §1.3).
    fn file_level(&mut self, file: &YamlFile) {
        let candidates: Vec<usize> = self
            .comments
            .iter()
            .enumerate()
            .filter(|(_, c)| !matches!(c.class, CommentClass::NotMarker))
            .map(|(i, _)| i)
            .collect();
        if self.out.markers.is_empty() && candidates.is_empty() && self.out.diagnostics.is_empty() {
            return;
        }
        let first = self
            .out
            .markers
            .first()
            .map(|m| m.comment.clone())
            .or_else(|| candidates.first().map(|&c| self.comments[c].range.clone()))
            .or_else(|| self.out.diagnostics.first().map(|d| d.range.clone()))
            .unwrap_or(0..0);
        let count = self.out.markers.len();
        let (reason, range, help) = if !flux_reads_path(self.path) {
            (
                "its name does not end in `.yaml` or `.yml` (nor is it `Kustomization`)"
                    .to_string(),
                first,
                "rename the file with a `.yaml` or `.yml` extension (Flux's check is case-sensitive)",
            )
        } else if !contains_bytes(self.text, SCREENING_TOKEN) {
            (
                "it does not contain the exact text `\"$imagepolicy\"` (with double quotes), which Flux screens files for".to_string(),
                first,
                "write the marker key with double quotes: `{\"$imagepolicy\": \"ns:policy\"}`",
            )
        } else if let Some(range) = self.invalid_separator() {
            (
                "a line starting with `---` has other text after it, which Flux's document splitter rejects (`invalid document separator`)".to_string(),
                range,
                "make document separators exactly `---` (a comment after it is fine)",
            )
        } else if let Some(error) = file.errors.first() {
            (
                format!("it does not parse as YAML ({})", error.message),
                error.range.clone(),
                "fix the syntax error; Flux logs parse failures only at trace level",
            )
        } else if let Some(range) = self.directive() {
            (
                "it starts with a `%YAML` or `%TAG` directive, which Flux's document splitter turns into a document of its own that fails to parse".to_string(),
                range,
                "remove the directive",
            )
        } else if let Some((range, what)) = non_mapping_document(file) {
            (
                what.to_string(),
                range,
                "Flux only reads files whose every document is a mapping; move markers to a file of mappings",
            )
        } else if let Some(range) = list_document(file) {
            (
                "it is a single `kind: List` document, which Flux unwraps into its items and writes back, when a marker changes, to a new file instead of this one".to_string(),
                range,
                "write the items as separate documents separated by `---`",
            )
        } else {
            return;
        };
        let message = format!(
            "Flux skips this whole file: {reason}; {} never applied",
            match count {
                0 => "its markers are".to_string(),
                1 => "its marker is".to_string(),
                n => format!("its {n} markers are"),
            }
        );
        self.out.skipped = Some(reason);
        self.out
            .diagnostics
            .push(Diagnostic::new(Code::FileSkipped, self.path, range, message).with_help(help));
    }

    /// A line (not the first) starting with `---` followed by something other than blanks or a
    /// comment, and ended by a line break: Flux's splitter rejects the file.
    fn invalid_separator(&self) -> Option<Range<usize>> {
        let mut offset = 0usize;
        for (i, line) in self.text.split(|&b| b == b'\n').enumerate() {
            let end = offset + line.len();
            let has_break = end < self.text.len();
            if i > 0 && has_break && line.starts_with(b"---") {
                let rest = line[3..].trim_ascii();
                if !rest.is_empty() && !rest.starts_with(b"#") {
                    return Some(offset..end);
                }
            }
            offset = end + 1;
        }
        None
    }

    fn directive(&self) -> Option<Range<usize>> {
        let mut offset = 0usize;
        for line in self.text.split(|&b| b == b'\n') {
            if line.starts_with(b"%YAML") || line.starts_with(b"%TAG") {
                return Some(offset..offset + line.len());
            }
            offset += line.len() + 1;
        }
        None
    }
}

/// The `kind` of a file that is exactly one `List` (or `ResourceList`) document with `items`
/// (spec §1.3.5: kyaml unwraps it, and updated items lose their path).
fn list_document(file: &YamlFile) -> Option<Range<usize>> {
    let mut roots = file.documents.iter().filter_map(|d| d.root.as_ref());
    let root = roots.next()?;
    if roots.next().is_some() {
        return None;
    }
    let kind = root.get("kind")?;
    let is_list = matches!(kind.as_str(), Some("List" | "ResourceList"));
    (is_list && (root.get("items").is_some() || root.get("functionConfig").is_some()))
        .then(|| kind.range.clone())
}

/// The first document whose root is a sequence or a non-null scalar, or whose top-level
/// `metadata` is a non-null scalar or a sequence.
fn non_mapping_document(file: &YamlFile) -> Option<(Range<usize>, &'static str)> {
    for document in &file.documents {
        let Some(root) = &document.root else { continue };
        match &root.value {
            NodeValue::Sequence(_) => {
                return Some((
                    root.range.clone(),
                    "a document is a sequence, not a mapping",
                ));
            }
            NodeValue::Scalar(_) if !root.is_null() => {
                return Some((root.range.clone(), "a document is a scalar, not a mapping"));
            }
            NodeValue::Alias(_) => {
                return Some((root.range.clone(), "a document is an alias, not a mapping"));
            }
            NodeValue::Mapping(_) => {
                if let Some(metadata) = root.get("metadata") {
                    let bad = match &metadata.value {
                        NodeValue::Sequence(_) => true,
                        NodeValue::Scalar(_) => !metadata.is_null(),
                        _ => false,
                    };
                    if bad {
                        return Some((
                            metadata.range.clone(),
                            "a document's top-level `metadata` is not a mapping",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The diagnostic for a marker whose reference names no policy.
pub fn reference_diagnostic(path: &str, marker: &Marker, problem: &ReferenceProblem) -> Diagnostic {
    match problem {
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

/// Reads one line of an oversized document: `key: value # {…}` or `- value # {…}`.
fn scan_line(line: &[u8], offset: usize, document: usize) -> Option<Marker> {
    let text = String::from_utf8_lossy(line);
    // The comment: a `#` at the start or after a blank, outside quotes.
    let mut quote = None;
    let mut hash = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') if i == 0 || text[..i].ends_with([' ', ':', '-']) => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || text[..i].ends_with([' ', '\t']) => {
                hash = Some(i);
                break;
            }
            _ => {}
        }
    }
    let hash = hash?;
    let comment = text[hash..].trim_end_matches('\r');
    let CommentClass::Marker {
        reference,
        reference_range,
    } = classify_comment(comment)
    else {
        return None;
    };
    let before = &text[..hash];
    let content = before.trim_end();
    let value_start = if let Some(colon) = find_mapping_colon(content) {
        colon + 1
    } else {
        let trimmed = content.trim_start();
        let dash = content.len() - trimmed.len();
        if !trimmed.starts_with('-') {
            return None;
        }
        dash + 1
    };
    let raw = &content[value_start..];
    let lead = raw.len() - raw.trim_start().len();
    let value_text = raw.trim();
    if value_text.is_empty() {
        return None;
    }
    let start = value_start + lead;
    let (style, value) = match value_text.as_bytes()[0] {
        b'\'' => (
            ScalarStyle::SingleQuoted,
            crate::yaml::scalar::decode_single(value_text),
        ),
        b'"' => (
            ScalarStyle::DoubleQuoted,
            crate::yaml::scalar::decode_double(value_text),
        ),
        _ => (ScalarStyle::Plain, value_text.to_string()),
    };
    Some(Marker {
        comment: offset + hash..offset + hash + comment.len(),
        target: parse_reference(&reference),
        reference,
        reference_range: offset + hash + reference_range.start..offset + hash + reference_range.end,
        scalar: offset + start..offset + start + value_text.len(),
        style,
        value,
        in_flow: false,
        placement: Placement::LineScan,
        document,
    })
}

/// The `:` of `key: value` on a line (outside quotes, followed by a blank).
fn find_mapping_colon(line: &str) -> Option<usize> {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), b) if b == q => quote = None,
            (None, b':') if bytes.get(i + 1).is_none_or(|n| *n == b' ' || *n == b'\t') => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}
