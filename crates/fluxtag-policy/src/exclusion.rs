//! The `ImageRepository` side of the tag list (spec §3.2): the exclusion list applied at
//! scan time, and the descending byte order the scan stores tags in.

use crate::go_regex::{GoRegex, GoRegexError};

/// The exclusion pattern used when `spec.exclusionList` is absent **or empty**: signature
/// tags such as `sha256-….sig`.
pub const DEFAULT_EXCLUSION_PATTERN: &str = r"^.*\.sig$";

/// How many tags `status.lastScanResult.latestTags` shows.
pub const LATEST_TAGS_COUNT: usize = 10;

/// An exclusion pattern does not compile (the scan fails with Go's regexp error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid exclusion pattern '{pattern}': {source}")]
pub struct ExclusionError {
    /// The pattern as written.
    pub pattern: String,
    /// Why it does not compile.
    pub source: GoRegexError,
}

/// Compiled `spec.exclusionList`.
#[derive(Debug, Clone)]
pub struct ExclusionList {
    patterns: Vec<GoRegex>,
}

impl ExclusionList {
    /// Compiles the list; an empty list means the default `^.*\.sig$` (you cannot disable
    /// exclusion with `[]`, as with the controller).
    ///
    /// # Errors
    ///
    /// [`ExclusionError`] for the first pattern that is not a valid Go regular expression.
    pub fn new(patterns: &[String]) -> Result<Self, ExclusionError> {
        if patterns.is_empty() {
            return Ok(Self::default());
        }
        let patterns = patterns
            .iter()
            .map(|pattern| {
                GoRegex::new(pattern).map_err(|source| ExclusionError {
                    pattern: pattern.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExclusionList { patterns })
    }

    /// A list that excludes nothing. No ImageRepository has it (an empty `exclusionList` is the
    /// default); it is for a tag source whose caller applies each repository's own list to the
    /// raw tags, since one image's tags serve every ImageRepository of that image, whatever
    /// their lists.
    pub fn nothing() -> Self {
        ExclusionList {
            patterns: Vec::new(),
        }
    }

    /// The patterns in effect.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(GoRegex::as_str)
    }

    /// Whether any pattern matches `tag` (unanchored).
    pub fn is_excluded(&self, tag: &str) -> bool {
        self.excluded_by(tag).is_some()
    }

    /// The first pattern that excludes `tag`, as written, or `None` when none does.
    pub fn excluded_by(&self, tag: &str) -> Option<&str> {
        self.patterns
            .iter()
            .find(|p| p.is_match(tag))
            .map(GoRegex::as_str)
    }

    /// `tags` without the excluded ones, order kept.
    pub fn apply(&self, mut tags: Vec<String>) -> Vec<String> {
        tags.retain(|tag| !self.is_excluded(tag));
        tags
    }
}

impl Default for ExclusionList {
    /// The list with only [`DEFAULT_EXCLUSION_PATTERN`].
    fn default() -> Self {
        ExclusionList {
            patterns: GoRegex::new(DEFAULT_EXCLUSION_PATTERN)
                .map(|re| vec![re])
                .unwrap_or_default(),
        }
    }
}

/// Sorts tags the way the scan stores them: descending byte order.
pub fn sort_tags_descending(tags: &mut [String]) {
    tags.sort_unstable_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
}

/// `status.lastScanResult.latestTags` for a list already in scan order: its first ten.
pub fn latest_tags(sorted: &[String]) -> &[String] {
    &sorted[..sorted.len().min(LATEST_TAGS_COUNT)]
}
