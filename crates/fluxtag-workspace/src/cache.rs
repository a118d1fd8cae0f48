//! The analysis cache: what the core made of each parsed file, kept between runs.
//!
//! Parsing YAML is most of a cold run, and between two runs of `fluxtag check` (two commits, two
//! pre-commit invocations) nearly every file is unchanged. The cache keeps, per repository root,
//! one file holding every parsed file's [`FileAnalysis`] keyed by its path and the SHA-256 of its
//! bytes. An analysis depends only on the path, the bytes and the fluxtag build, so a hit is
//! exactly what parsing again would give: the key includes a *generation* string the front end
//! derives from its build, and any other build's cache is ignored.
//!
//! The cache is an optimisation and never an error: a cache file that is missing, unreadable,
//! truncated, damaged (its entries carry a SHA-256 checked before decoding, and decoding must use
//! every byte), of another format or generation or root is ignored (and replaced on the next
//! write); a failed write leaves the previous file in place. Writes go to a temporary file in the
//! same directory, then a rename, so a reader never sees half a file. A cache file is touched when
//! a load uses it unchanged; other roots' cache files (and temporary files of killed runs) not
//! touched for [`STALE_AFTER`] are deleted when a cache is written. Only cache files (named as
//! this module names them, and starting with its magic bytes) and temporary files (named
//! `.tmp` and six letters or digits, as the writes name them) are ever deleted.
//!
//! This module must not decide anything about the files' meaning; it stores what the core
//! returned, byte for byte.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fluxtag_core::analysis::FileAnalysis;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The layout version of a cache file; a file of any other version is ignored.
const FORMAT_VERSION: u32 = 1;
/// The first bytes of every cache file.
const MAGIC: &[u8; 16] = b"fluxtag-analysis";
/// Cache files not written or used for this long are deleted when another cache file is written.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The SHA-256 of a file's bytes.
pub type ContentHash = [u8; 32];

/// Where the analysis cache lives and which build it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    /// The directory of cache files (one file per repository root), created when first written.
    pub dir: PathBuf,
    /// Identifies the build that writes and reads the cache (a version and the executable's
    /// identity, say); entries written by another generation are never used.
    pub generation: String,
}

/// What loading with a cache did, for benchmarks, tests and `--verbose`-style reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files whose analysis came from the cache.
    pub hits: usize,
    /// Parsed files that were not in the cache (or had changed) and were analysed.
    pub misses: usize,
    /// Whether the cache file was written (it is only when something changed).
    pub written: bool,
}

/// The header of a cache file, decoded before the entries so that a file of another
/// generation or root is rejected without decoding the rest.
#[derive(Serialize, Deserialize)]
struct Header {
    magic: [u8; 16],
    version: u32,
    generation: String,
    root: String,
    /// The SHA-256 of the encoded entries that follow.
    entries_hash: ContentHash,
}

/// One cached file, generic over owning or borrowing the analysis so that writing does not
/// copy every analysis first.
#[derive(Serialize, Deserialize)]
struct Entry<A> {
    path: String,
    hash: ContentHash,
    analysis: A,
}

/// The cache of one repository root, as read at the start of a load.
#[derive(Debug, Default)]
pub struct AnalysisCache {
    file: Option<PathBuf>,
    generation: String,
    root: String,
    entries: HashMap<String, (ContentHash, FileAnalysis)>,
}

impl AnalysisCache {
    /// Reads the cache of `root` from `settings.dir`; an unusable or missing file gives an empty
    /// cache. The root is canonicalised first, so that `.` and its absolute path share a cache.
    pub fn open(settings: &CacheSettings, root: &Path) -> AnalysisCache {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let root = root.to_string_lossy().into_owned();
        let file = settings.dir.join(file_name(&root));
        let entries = std::fs::read(&file)
            .ok()
            .and_then(|bytes| decode(&bytes, &settings.generation, &root))
            .unwrap_or_default();
        AnalysisCache {
            file: Some(file),
            generation: settings.generation.clone(),
            root,
            entries,
        }
    }

    /// The cache file of this root.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Whether the cache holds no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the cache holds the analysis of `path` with bytes that hash to `hash`.
    pub fn contains(&self, path: &str, hash: &ContentHash) -> bool {
        self.entries
            .get(path)
            .is_some_and(|(cached, _)| cached == hash)
    }

    /// Takes the analysis of `path` out of the cache, whatever its hash (check with
    /// [`AnalysisCache::contains`] first). What is left after a load's hits were taken is what
    /// changed or went away since the cache was written.
    pub fn take(&mut self, path: &str) -> Option<FileAnalysis> {
        self.entries.remove(path).map(|(_, analysis)| analysis)
    }

    /// Marks the cache file as used (its modification time is what pruning looks at), when it
    /// was last marked more than a day ago; a load that changed nothing calls this instead of
    /// [`AnalysisCache::write`].
    pub fn touch(&self) {
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        let Some(file) = &self.file else {
            return;
        };
        let Ok(opened) = std::fs::File::options().append(true).open(file) else {
            return;
        };
        let now = SystemTime::now();
        let old = opened
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > DAY);
        if old {
            let _ = opened.set_modified(now);
        }
    }

    /// Replaces the cache file with `parsed` (every parsed file of this run and the hash of its
    /// bytes), atomically, then deletes other roots' cache files unused for [`STALE_AFTER`].
    pub fn write(&self, parsed: &[(&FileAnalysis, ContentHash)]) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        let bytes = encode(&self.generation, &self.root, parsed).map_err(std::io::Error::other)?;
        // Its temporary files are named as `is_temporary_name` expects, so that a killed run's
        // leftover can be pruned.
        fluxtag_registry::fs::write_atomic(file, &bytes)?;
        prune(dir, file);
        Ok(())
    }
}

/// The SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> ContentHash {
    sha2::Sha256::digest(bytes).into()
}

/// The cache file name of a root: a hash of its path, so that any path gives a valid name.
fn file_name(root: &str) -> String {
    let hash = sha2::Sha256::digest(root.as_bytes());
    let hex: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{hex}.bin")
}

fn encode(
    generation: &str,
    root: &str,
    parsed: &[(&FileAnalysis, ContentHash)],
) -> Result<Vec<u8>, postcard::Error> {
    let entries: Vec<Entry<&FileAnalysis>> = parsed
        .iter()
        .map(|(analysis, hash)| Entry {
            path: analysis.path.clone(),
            hash: *hash,
            analysis: *analysis,
        })
        .collect();
    let entries = postcard::to_stdvec(&entries)?;
    let header = Header {
        magic: *MAGIC,
        version: FORMAT_VERSION,
        generation: generation.to_string(),
        root: root.to_string(),
        entries_hash: content_hash(&entries),
    };
    let mut bytes = postcard::to_stdvec(&header)?;
    bytes.extend(entries);
    Ok(bytes)
}

fn decode(
    bytes: &[u8],
    generation: &str,
    root: &str,
) -> Option<HashMap<String, (ContentHash, FileAnalysis)>> {
    let (header, rest): (Header, &[u8]) = postcard::take_from_bytes(bytes).ok()?;
    if header.magic != *MAGIC
        || header.version != FORMAT_VERSION
        || header.generation != generation
        || header.root != root
        || header.entries_hash != content_hash(rest)
    {
        return None;
    }
    let (entries, unused): (Vec<Entry<FileAnalysis>>, &[u8]) =
        postcard::take_from_bytes(rest).ok()?;
    if !unused.is_empty() {
        return None;
    }
    Some(
        entries
            .into_iter()
            // An entry filed under another path than its analysis names is corrupt.
            .filter(|entry| entry.analysis.path == entry.path)
            .map(|entry| (entry.path, (entry.hash, entry.analysis)))
            .collect(),
    )
}

/// Whether `name` is a name [`file_name`] gives.
fn is_cache_name(name: &str) -> bool {
    name.strip_suffix(".bin").is_some_and(|stem| {
        stem.len() == 24 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Whether `name` is a name [`AnalysisCache::write`] gives its temporary files: `.tmp` and six
/// letters or digits.
fn is_temporary_name(name: &str) -> bool {
    name.strip_prefix(fluxtag_registry::fs::TEMPORARY_PREFIX)
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether the file at `path` starts with the cache's magic bytes.
fn starts_with_magic(path: &Path) -> bool {
    use std::io::Read as _;
    // postcard writes a fixed-size byte array as its bytes, with no length: the file begins
    // with the magic (a test checks it).
    let mut start = [0u8; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == *MAGIC)
}

/// Deletes cache files in `dir` other than `keep` that were not written or used for
/// [`STALE_AFTER`]: only files named as this module names them and starting with its magic
/// bytes, or its temporary files, so that a directory shared with anything else loses nothing.
fn prune(dir: &Path, keep: &Path) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in listing.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if path == keep || !(is_cache_name(name) || is_temporary_name(name)) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if old && (is_temporary_name(name) || starts_with_magic(&path)) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluxtag_core::analysis::analyze_file;
    use fluxtag_core::yaml::Parser;

    /// Every file of the repository's fixtures and the example, and inputs chosen for their
    /// edge cases, survive the cache's encoding exactly.
    #[test]
    fn every_analysis_round_trips() {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        for dir in [
            "examples",
            "tests/cli/fixtures",
            "crates/fluxtag-core/tests/fixtures",
        ] {
            for entry in ignore::WalkBuilder::new(repository.join(dir))
                .build()
                .flatten()
            {
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    let path = entry.path().to_string_lossy().into_owned();
                    inputs.push((path, std::fs::read(entry.path()).unwrap()));
                }
            }
        }
        let marker = "image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"ns:app\"}";
        let edge_cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "crlf.yaml",
                format!("\u{feff}a: 1\r\n{marker}\r\n").into_bytes(),
            ),
            (
                "invalid.yaml",
                [b"a: \xff\n".as_slice(), marker.as_bytes()].concat(),
            ),
            ("broken.yaml", format!("a: [\n{marker}\n").into_bytes()),
            ("empty.yaml", Vec::new()),
            (
                "kustomization.yaml",
                b"resources: [a.yaml]\nnamespace: x\n".to_vec(),
            ),
            (
                "unicode.yaml",
                format!("name: \"h\u{e9}llo \u{1f600}\"\n{marker}\n").into_bytes(),
            ),
        ];
        inputs.extend(edge_cases.into_iter().map(|(p, t)| (p.to_string(), t)));
        assert!(inputs.len() > 15, "fixtures not found: {inputs:?}");

        let mut parser = Parser::new();
        let analyses: Vec<FileAnalysis> = inputs
            .iter()
            .map(|(path, text)| analyze_file(&mut parser, path, text))
            .collect();
        let parsed: Vec<(&FileAnalysis, ContentHash)> = analyses
            .iter()
            .zip(&inputs)
            .map(|(analysis, (_, text))| (analysis, content_hash(text)))
            .collect();
        let bytes = encode("generation", "/root", &parsed).unwrap();
        let decoded = decode(&bytes, "generation", "/root").unwrap();
        assert_eq!(decoded.len(), analyses.len());
        for ((analysis, hash), (_, text)) in parsed.iter().zip(&inputs) {
            let (cached_hash, cached) = &decoded[&analysis.path];
            assert_eq!(cached_hash, hash);
            assert_eq!(*cached_hash, content_hash(text));
            assert_eq!(format!("{cached:?}"), format!("{analysis:?}"));
        }
        assert!(decode(&bytes, "another generation", "/root").is_none());
        assert!(decode(&bytes, "generation", "/elsewhere").is_none());
    }

    /// Other roots' cache files are deleted once unused for [`STALE_AFTER`], with leftover
    /// temporary files; recent ones stay, and so does every file fluxtag did not write, however
    /// old, even one named like a cache file.
    #[test]
    fn old_cache_files_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let cache_bytes = [MAGIC.as_slice(), b"rest"].concat();
        let old = dir.path().join("0123456789abcdef01234567.bin");
        let recent = dir.path().join("aaaaaaaaaaaaaaaaaaaaaaaa.bin");
        let temporary = dir.path().join(".tmpAbCdEf");
        let foreign_temporary = dir.path().join(".tmp-notes");
        let foreign_bin = dir.path().join("model.bin");
        let foreign_named = dir.path().join("bbbbbbbbbbbbbbbbbbbbbbbb.bin");
        let other = dir.path().join("notes.txt");
        for path in [&old, &recent] {
            std::fs::write(path, &cache_bytes).unwrap();
        }
        for path in [
            &temporary,
            &foreign_temporary,
            &foreign_bin,
            &foreign_named,
            &other,
        ] {
            std::fs::write(path, b"someone else's bytes").unwrap();
        }
        let long_ago = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        for path in [
            &old,
            &temporary,
            &foreign_temporary,
            &foreign_bin,
            &foreign_named,
            &other,
        ] {
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let settings = CacheSettings {
            dir: dir.path().to_path_buf(),
            generation: "g".to_string(),
        };
        let cache = AnalysisCache::open(&settings, Path::new("/some/root"));
        cache.write(&[]).unwrap();
        assert!(!old.exists());
        assert!(!temporary.exists());
        assert!(recent.exists());
        assert!(foreign_temporary.exists());
        assert!(foreign_bin.exists());
        assert!(foreign_named.exists());
        assert!(other.exists());
        let written = cache.file().unwrap();
        assert!(is_cache_name(
            &written.file_name().unwrap().to_string_lossy()
        ));
        assert!(starts_with_magic(written));
    }
}
