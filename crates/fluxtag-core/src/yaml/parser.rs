//! The YAML driver: [`Parser`] splits a file into documents at `---` lines, decides per document
//! whether to skip it, mark it oversized ([`TREE_SITTER_LIMIT`]) or parse it, and how deeply
//! ([`Depth`]); parses large streams on several threads; reuses unchanged documents of the
//! previous parse (shifted to their new offsets); and replaces invalid UTF-8 in a private copy
//! so offsets stay true.
//!
//! It must not convert tree-sitter nodes itself (that is `build`), and must never fail or panic:
//! what cannot be read becomes a [`SyntaxError`].

use std::collections::HashMap;
use std::ops::Range;

use super::build::{Builder, MAX_DEPTH};
use super::{Comment, Document, Node, NodeValue, SyntaxError, YamlFile};

/// The most lines (and bytes in a line) tree-sitter-yaml 0.7.2 handles in one parse.
pub const TREE_SITTER_LIMIT: usize = 32_767;

/// A document split point found in the raw bytes.
#[derive(Debug, Clone)]
struct Chunk {
    range: Range<usize>,
    start_marker: Option<usize>,
}

/// Splits the file into documents at lines that start with `---` followed by white space or the
/// end of the line. Chunks holding only directives and comments are joined to the next one.
fn split_documents(text: &[u8], start: usize) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    let mut marker = None;
    let mut line_start = start;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |p| line_start + p);
        let line = &text[line_start..line_end];
        let is_marker = line.starts_with(b"---")
            && line
                .get(3)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'));
        if is_marker {
            let previous = &text[chunk_start..line_start];
            let only_directives =
                previous.split(|&b| b == b'\n').all(|l| {
                    let l = l.trim_ascii();
                    l.is_empty() || l.starts_with(b"#") || l.starts_with(b"%")
                }) && previous.split(|&b| b == b'\n').any(|l| l.starts_with(b"%"));
            if line_start > chunk_start && !only_directives {
                chunks.push(Chunk {
                    range: chunk_start..line_start,
                    start_marker: marker,
                });
                chunk_start = line_start;
            }
            marker = Some(line_start);
        }
        line_start = line_end + 1;
    }
    if chunk_start < text.len() || chunks.is_empty() {
        chunks.push(Chunk {
            range: chunk_start..text.len(),
            start_marker: marker,
        });
    }
    chunks
}

/// Whether a chunk is too large for tree-sitter-yaml 0.7.2.
fn oversized(bytes: &[u8]) -> bool {
    let mut lines = 0usize;
    let mut longest = 0usize;
    let mut current = 0usize;
    for &b in bytes {
        if b == b'\n' {
            lines += 1;
            longest = longest.max(current);
            current = 0;
        } else {
            current += 1;
        }
    }
    longest = longest.max(current);
    lines >= TREE_SITTER_LIMIT || longest >= TREE_SITTER_LIMIT
}

/// A reusable YAML parser.
pub struct Parser {
    inner: tree_sitter::Parser,
    ready: bool,
    /// Documents of the previous parse by their bytes, when reuse is on (see
    /// [`Parser::reusing`]).
    reuse: Option<HashMap<Vec<u8>, ParsedChunk>>,
}

/// One parsed document, kept for reuse: its offset then, and what parsing it gave.
#[derive(Debug, Clone)]
struct ParsedChunk {
    start: usize,
    limit: usize,
    roots: Vec<Option<Node>>,
    comments: Vec<Comment>,
    errors: Vec<SyntaxError>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("ready", &self.ready)
            .finish()
    }
}

impl Parser {
    /// A parser for YAML.
    pub fn new() -> Parser {
        let mut inner = tree_sitter::Parser::new();
        let ready = inner
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .is_ok();
        Parser {
            inner,
            ready,
            reuse: None,
        }
    }

    /// A parser that remembers the documents of its last parse and reuses those whose bytes
    /// did not change (shifted to their new offsets), for an editor that re-reads the same file
    /// after every keystroke: only the edited document is parsed again.
    pub fn reusing() -> Parser {
        Parser {
            reuse: Some(HashMap::new()),
            ..Parser::new()
        }
    }

    /// Parses `text`, reading every document in full.
    pub fn parse(&mut self, text: &[u8], want: &dyn Fn(&[u8]) -> bool) -> YamlFile {
        self.parse_with(text, &|bytes| {
            if want(bytes) {
                Depth::Full
            } else {
                Depth::Skip
            }
        })
    }

    /// Parses `text`, asking `depth` how deeply to read each document.
    pub fn parse_with(&mut self, text: &[u8], depth: &dyn Fn(&[u8]) -> Depth) -> YamlFile {
        // Bytes that are not UTF-8 are replaced by `?` of the same length in a private copy, so
        // that every offset still points into the original bytes. go-yaml rejects such files,
        // which is recorded as a syntax error.
        let sanitized;
        let mut invalid_at = None;
        let text = match std::str::from_utf8(text) {
            Ok(_) => text,
            Err(error) => {
                invalid_at = Some(error.valid_up_to());
                sanitized = sanitize_utf8(text);
                &sanitized[..]
            }
        };
        let mut file = self.parse_valid(text, depth);
        if let Some(at) = invalid_at {
            file.errors.insert(
                0,
                SyntaxError {
                    range: at..at + 1,
                    message: format!("byte {at} is not valid UTF-8"),
                },
            );
        }
        file
    }

    fn parse_valid(&mut self, text: &[u8], depth: &dyn Fn(&[u8]) -> Depth) -> YamlFile {
        let bom = if text.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        let mut file = YamlFile {
            bom,
            ..YamlFile::default()
        };
        let chunks = split_documents(text, bom);
        let plans: Vec<Plan> = chunks
            .iter()
            .map(|chunk| {
                let bytes = &text[chunk.range.clone()];
                match depth(bytes) {
                    Depth::Skip => Plan::Skip,
                    _ if oversized(bytes) => Plan::Oversized,
                    d => Plan::Parse(d),
                }
            })
            .collect();
        // Large streams are split between threads, each with its own parser: tree-sitter-yaml
        // reads about 2–5 MB/s, so a 50 MB file is worth the cores.
        let threads = if self.reuse.is_none()
            && text.len() >= PARALLEL_BYTES
            && chunks.len() >= PARALLEL_DOCUMENTS
        {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8)
                .min(chunks.len())
        } else {
            1
        };
        if threads > 1 {
            let per_thread = chunks.len().div_ceil(threads);
            let parts: Vec<YamlFile> = std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .chunks(per_thread)
                    .zip(plans.chunks(per_thread))
                    .map(|(chunks, plans)| {
                        scope.spawn(move || {
                            let mut parser = Parser::new();
                            let mut part = YamlFile::default();
                            parser.parse_chunks(text, chunks, plans, &mut part);
                            part
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            for part in parts {
                file.documents.extend(part.documents);
                file.comments.extend(part.comments);
                file.errors.extend(part.errors);
            }
        } else {
            self.parse_chunks(text, &chunks, &plans, &mut file);
        }
        // Comments arrive in source order per chunk, but nested nodes report theirs before
        // their parents' later siblings: sort once, at the end (sorting per chunk is quadratic).
        file.comments.sort_by_key(|c| c.range.start);
        file.comments.dedup();
        file
    }

    /// Parses each chunk on its own (one parse per document is faster with tree-sitter-yaml
    /// than one parse of many documents, and keeps an error from swallowing its neighbours).
    fn parse_chunks(&mut self, text: &[u8], chunks: &[Chunk], plans: &[Plan], file: &mut YamlFile) {
        let mut kept = HashMap::new();
        for (chunk, plan) in chunks.iter().zip(plans) {
            let limit = match plan {
                Plan::Parse(depth) => depth.limit(),
                Plan::Skip | Plan::Oversized => {
                    file.documents.push(Document {
                        range: chunk.range.clone(),
                        root: None,
                        parsed: *plan == Plan::Oversized,
                        oversized: *plan == Plan::Oversized,
                        has_error: false,
                        start_marker: chunk.start_marker,
                    });
                    continue;
                }
            };
            let errors_before = file.errors.len();
            let roots = self.parse_or_reuse(text, chunk.range.clone(), limit, file, &mut kept);
            let has_error = file.errors.len() > errors_before;
            let mut roots = roots.into_iter();
            file.documents.push(Document {
                range: chunk.range.clone(),
                root: roots.next().flatten(),
                parsed: true,
                oversized: false,
                has_error,
                start_marker: chunk.start_marker,
            });
            // Content after a `...` end marker parses as further documents of the same chunk.
            for extra in roots {
                file.documents.push(Document {
                    range: chunk.range.clone(),
                    root: extra,
                    parsed: true,
                    oversized: false,
                    has_error: false,
                    start_marker: None,
                });
            }
        }
        if self.reuse.is_some() {
            self.reuse = Some(kept);
        }
    }

    /// [`Parser::parse_chunk`], or the shifted result of the same bytes from the last parse.
    fn parse_or_reuse(
        &mut self,
        text: &[u8],
        range: Range<usize>,
        limit: usize,
        file: &mut YamlFile,
        kept: &mut HashMap<Vec<u8>, ParsedChunk>,
    ) -> Vec<Option<Node>> {
        let Some(previous) = self.reuse.as_mut() else {
            return self.parse_chunk(text, range, limit, file);
        };
        let bytes = text[range.clone()].to_vec();
        let parsed = match previous.remove(&bytes).filter(|p| p.limit == limit) {
            Some(parsed) => parsed,
            None => {
                let comments_before = file.comments.len();
                let errors_before = file.errors.len();
                let roots = self.parse_chunk(text, range.clone(), limit, file);
                let parsed = ParsedChunk {
                    start: range.start,
                    limit,
                    roots,
                    comments: file.comments[comments_before..].to_vec(),
                    errors: file.errors[errors_before..].to_vec(),
                };
                file.comments.truncate(comments_before);
                file.errors.truncate(errors_before);
                parsed
            }
        };
        let delta = range.start as isize - parsed.start as isize;
        let shift = |r: &Range<usize>| shift_range(r, delta);
        file.comments
            .extend(parsed.comments.iter().map(|c| Comment {
                range: shift(&c.range),
            }));
        file.errors
            .extend(parsed.errors.iter().map(|e| SyntaxError {
                range: shift(&e.range),
                message: e.message.clone(),
            }));
        let roots = parsed
            .roots
            .iter()
            .map(|root| {
                root.clone().map(|mut node| {
                    shift_node(&mut node, delta);
                    node
                })
            })
            .collect();
        kept.insert(bytes, parsed);
        roots
    }

    fn parse_tree(&mut self, bytes: &[u8]) -> Option<tree_sitter::Tree> {
        if self.ready {
            self.inner.parse(bytes, None)
        } else {
            None
        }
    }

    /// Parses one chunk and returns the root of each document found in it.
    fn parse_chunk(
        &mut self,
        text: &[u8],
        range: Range<usize>,
        limit: usize,
        file: &mut YamlFile,
    ) -> Vec<Option<Node>> {
        let Some(tree) = self.parse_tree(&text[range.clone()]) else {
            file.errors.push(SyntaxError {
                range: range.clone(),
                message: "the YAML parser could not read this document".to_string(),
            });
            return vec![None];
        };
        let mut builder = Builder {
            text,
            offset: range.start,
            comments: &mut file.comments,
            errors: &mut file.errors,
            limit,
        };
        let root = tree.root_node();
        let mut roots = Vec::new();
        let mut cursor = root.walk();
        if root.kind() == "stream" {
            for child in root.children(&mut cursor) {
                match child.kind() {
                    "document" => roots.push(builder.document(child)),
                    "comment" => builder.comment(child),
                    _ => {
                        builder.check_error(child);
                        if let Some(node) = builder.node(child, 0, false) {
                            roots.push(Some(node));
                        }
                    }
                }
            }
        } else {
            // The whole chunk failed to parse: recover what can be read.
            builder.check_error(root);
            roots.push(builder.node(root, 0, false));
        }
        if roots.is_empty() {
            roots.push(None);
        }
        roots
    }
}

/// How deeply to read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Not at all: the document is listed, unparsed.
    Skip,
    /// Parsed for syntax errors, comments ignored, and only the top of the tree kept: the root
    /// and its entries' values, whose own children are left out. Enough to know a document's
    /// shape (is it a mapping, is its `metadata` one) at a fraction of the memory.
    Shallow,
    /// Every node.
    Full,
}

impl Depth {
    fn limit(self) -> usize {
        match self {
            Depth::Shallow => SHALLOW_DEPTH,
            _ => MAX_DEPTH,
        }
    }
}

/// What the driver does with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Skip,
    Oversized,
    Parse(Depth),
}

/// Files at least this large, with at least [`PARALLEL_DOCUMENTS`] documents, are parsed on
/// several threads (a thread costs tens of microseconds; this much YAML, milliseconds).
const PARALLEL_BYTES: usize = 64 * 1024;

/// See [`PARALLEL_BYTES`].
const PARALLEL_DOCUMENTS: usize = 8;

/// Builder depth of a shallow document: root node (0), mapping (1), entry value node (2), its
/// content (3).
const SHALLOW_DEPTH: usize = 3;

/// `range` moved by `delta` bytes.
fn shift_range(range: &Range<usize>, delta: isize) -> Range<usize> {
    let move_by = |at: usize| at.checked_add_signed(delta).unwrap_or(0);
    move_by(range.start)..move_by(range.end)
}

/// Moves every range of `node` by `delta` bytes.
fn shift_node(node: &mut Node, delta: isize) {
    if delta == 0 {
        return;
    }
    node.range = shift_range(&node.range, delta);
    if let Some(tag) = &node.tag {
        node.tag = Some(shift_range(tag, delta));
    }
    let shift_at = |at: &mut Option<usize>| {
        if let Some(offset) = at {
            *offset = offset.checked_add_signed(delta).unwrap_or(0);
        }
    };
    match &mut node.value {
        NodeValue::Mapping(entries) => {
            for entry in entries {
                shift_node(&mut entry.key, delta);
                if let Some(value) = &mut entry.value {
                    shift_node(value, delta);
                }
                shift_at(&mut entry.colon);
            }
        }
        NodeValue::Sequence(items) => {
            for item in items {
                if let Some(value) = &mut item.value {
                    shift_node(value, delta);
                }
                shift_at(&mut item.dash);
            }
        }
        NodeValue::Scalar(_) | NodeValue::Alias(_) => {}
    }
}

/// A copy of `text` where every byte of an invalid UTF-8 sequence is `?`.
fn sanitize_utf8(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for chunk in text.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        out.extend(std::iter::repeat_n(b'?', chunk.invalid().len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    #[test]
    fn documents_are_split_and_parsed_separately() {
        let text = b"---\na: 1\n---\nb: 2\n--- # c\nc: 3\n";
        let file = parse(text);
        assert_eq!(file.documents.len(), 3);
        assert_eq!(file.documents[2].start_marker, Some(18));
        let c = file.documents[2].root.as_ref().unwrap().get("c").unwrap();
        assert_eq!(&text[c.range.clone()], b"3");
    }

    #[test]
    fn syntax_errors_are_reported_and_reading_goes_on() {
        let text = b"a: [1\nb: 2\n---\nc: 3\n";
        let file = parse(text);
        assert!(!file.errors.is_empty());
        assert!(file.documents[0].has_error);
        assert!(!file.documents[1].has_error);
        assert!(file.documents[1].root.as_ref().unwrap().get("c").is_some());
    }

    #[test]
    fn large_streams_are_parsed_on_threads_in_order() {
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 4 * 1024 * 1024 {
            text.push_str(&format!("---\nname: doc{i} # c{i}\nlist:\n  - a\n  - b\n"));
            i += 1;
        }
        text.push_str("---\nbroken: [1\n");
        let file = parse(text.as_bytes());
        assert_eq!(file.documents.len(), i + 1);
        assert_eq!(file.comments.len(), i);
        for (n, document) in file.documents.iter().take(i).enumerate() {
            let name = document.root.as_ref().unwrap().get("name").unwrap();
            assert_eq!(name.as_str(), Some(format!("doc{n}").as_str()));
        }
        assert!(file.documents[i].has_error);
        assert_eq!(file.errors.len(), 1);
    }

    /// A reusing parser gives exactly what a fresh parse gives, after edits that grow, shrink,
    /// break and mend documents before, inside and after others.
    #[test]
    fn reuse_gives_what_a_fresh_parse_gives() {
        let versions = [
            "a: 1 # x\n---\nb: [1, 2] # y\n---\nc:\n  - d # z\n",
            "a: 1234 # x\n---\nb: [1, 2] # y\n---\nc:\n  - d # z\n",
            "a: 1234 # x\n---\nb: [1, 2 # y\n---\nc:\n  - d # z\n",
            "a: 1 # x\n---\nb: [1, 2] # y\n---\nc:\n  - d # z\n",
            "---\nnew: doc\na: 1 # x\n---\nb: [1, 2] # y\n---\nc:\n  - dd # z\n",
        ];
        let mut reusing = Parser::reusing();
        for text in versions {
            let fresh = Parser::new().parse(text.as_bytes(), &|_| true);
            let reused = reusing.parse(text.as_bytes(), &|_| true);
            assert_eq!(format!("{reused:?}"), format!("{fresh:?}"), "{text}");
        }
    }

    #[test]
    fn shallow_documents_keep_only_their_shape() {
        let text = b"metadata:\n  name: x\n  labels:\n    a: b\nspec: [1, 2]\n";
        let file = Parser::new().parse_with(text, &|_| Depth::Shallow);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(root.get("metadata").unwrap().is_mapping());
        assert!(root.path(&["metadata", "labels"]).is_none());
    }

    #[test]
    fn prefilter_skips_documents() {
        let text = b"a: 1\n---\nb: 2\n";
        let file = Parser::new().parse(text, &|bytes| bytes.starts_with(b"---"));
        assert!(!file.documents[0].parsed);
        assert!(file.documents[1].parsed);
    }

    #[test]
    fn oversized_documents_are_not_given_to_tree_sitter() {
        let mut text = String::from("items:\n");
        for i in 0..(TREE_SITTER_LIMIT + 10) {
            text.push_str(&format!("- v{i}\n"));
        }
        let file = parse(text.as_bytes());
        assert!(file.documents[0].oversized);
        assert!(file.documents[0].root.is_none());
    }
}
