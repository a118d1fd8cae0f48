//! A stand-in for `fluxtag_policy::exclusion::ExclusionList` until the policy crate has it: the
//! ImageRepository `exclusionList` (default `^.*\.sig$`, also when empty), each pattern matched
//! unanchored; a tag matching any pattern is dropped.

/// Compiled exclusion patterns.
#[derive(Debug, Clone)]
pub struct ExclusionList {
    patterns: Vec<regex::Regex>,
}

/// The pattern used when an ImageRepository has no (or an empty) `exclusionList`.
pub const DEFAULT_EXCLUSION: &str = r"^.*\.sig$";

impl ExclusionList {
    /// Compiles `patterns`; an empty list means the default `^.*\.sig$`.
    pub fn new(patterns: &[String]) -> Result<Self, regex::Error> {
        let patterns = if patterns.is_empty() {
            vec![regex::Regex::new(DEFAULT_EXCLUSION)?]
        } else {
            patterns
                .iter()
                .map(|p| regex::Regex::new(p))
                .collect::<Result<_, _>>()?
        };
        Ok(Self { patterns })
    }

    /// The tags that match no pattern, in their order.
    pub fn apply(&self, mut tags: Vec<String>) -> Vec<String> {
        tags.retain(|t| !self.patterns.iter().any(|p| p.is_match(t)));
        tags
    }
}

impl Default for ExclusionList {
    fn default() -> Self {
        Self::new(&[]).unwrap_or(Self {
            patterns: Vec::new(),
        })
    }
}
