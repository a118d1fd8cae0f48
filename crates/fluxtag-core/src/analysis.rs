//! Per-file analysis: one file's bytes in, its markers, objects and object roots out.
//!
//! [`analyze_file`] runs a byte prefilter first (files with neither markers nor objects are not
//! parsed), then parses only the documents that may hold either. It knows nothing of other files:
//! putting files together is [`crate::index`]'s job. No I/O; the result is what the analysis
//! cache stores, so it must depend on nothing but the path and the bytes.

use crate::flux::{self, FluxObject};
use crate::kustomize;
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
    /// The document roots of image objects and Flux Kustomizations, by document index (they
    /// are built as the cluster gets them: patches, namespaces, names, substitutions).
    pub object_roots: Vec<(usize, Node)>,
}

/// The byte prefilter: whether the file may hold a marker (or a near miss) or an object, so that
/// [`analyze_file`] parses it. A file it rejects is analysed as [`unparsed`] gives.
pub fn worth_parsing(path: &str, text: &[u8]) -> bool {
    marker::may_contain_markers(text)
        || flux::is_kustomization_file(path)
        || flux::stream_may_contain_objects(text)
}

/// The analysis of a file the prefilter rejects ([`worth_parsing`] is false): no markers, no
/// objects, nothing parsed.
pub fn unparsed(path: &str, text: &[u8]) -> FileAnalysis {
    FileAnalysis {
        path: path.to_string(),
        lines: LineIndex::new(text),
        markers: FileMarkers::default(),
        objects: Vec::new(),
        parsed: false,
        object_roots: Vec::new(),
    }
}

/// Reads one file: a byte prefilter first, then the documents that may hold markers or objects.
pub fn analyze_file(parser: &mut Parser, path: &str, text: &[u8]) -> FileAnalysis {
    if !worth_parsing(path, text) {
        return unparsed(path, text);
    }
    let lines = LineIndex::new(text);
    let has_markers = marker::may_contain_markers(text);
    let kustomization = flux::is_kustomization_file(path);
    let yaml: YamlFile = if has_markers {
        // Every document, for the file-level checks; in full only where markers, objects or a
        // path annotation (which can stop Flux's whole run) may be, the rest shallow (shape
        // only), which keeps large streams cheap.
        parser.parse_with(text, &|bytes| {
            if kustomization
                || marker::may_contain_markers(bytes)
                || flux::may_contain_objects(bytes)
                || crate::text::contains_bytes(bytes, b"config.kubernetes.io/path")
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
            FluxObject::Automation(a) => Some(a.origin.document),
            FluxObject::FluxKustomization(k) => Some(k.origin.document),
            FluxObject::Kustomize(_) => None,
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
