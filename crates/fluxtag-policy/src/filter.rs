//! `ImagePolicy.spec.filterTags`: keep the tags a Go regular expression matches (unanchored)
//! and optionally replace each by an `extract` template expansion (spec §4, step 3 and §4.4).

use crate::go_regex::{GoRegex, GoRegexError};
use std::collections::HashMap;

/// `filterTags` as written in the ImagePolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TagFilterSpec {
    /// The Go (RE2) pattern; `""` matches every tag.
    pub pattern: String,
    /// The Go `Expand` template (`$name`, `${1}`, …); `""` keeps the tag itself.
    pub extract: String,
}

/// The pattern does not compile. Displays as the controller reports it:
/// `invalid regular expression pattern '<p>': <Go regexp error>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression pattern '{pattern}': {source}")]
pub struct FilterError {
    /// The pattern as written.
    pub pattern: String,
    /// Why it does not compile.
    pub source: GoRegexError,
}

/// A tag that passed the filter: the key the policy compares, and the tag it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilteredTag {
    /// The extracted value (or the tag itself when there is no template).
    pub key: String,
    /// The original tag.
    pub original: String,
}

/// A compiled `filterTags`.
#[derive(Debug, Clone)]
pub struct TagFilter {
    regex: GoRegex,
    extract: String,
}

impl TagFilter {
    /// Compiles the pattern.
    ///
    /// # Errors
    ///
    /// [`FilterError`] when the pattern is not a valid Go regular expression.
    pub fn new(spec: &TagFilterSpec) -> Result<TagFilter, FilterError> {
        let regex = GoRegex::new(&spec.pattern).map_err(|source| FilterError {
            pattern: spec.pattern.clone(),
            source,
        })?;
        Ok(TagFilter {
            regex,
            extract: spec.extract.clone(),
        })
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        self.regex.as_str()
    }

    /// The extract template as written.
    pub fn extract(&self) -> &str {
        &self.extract
    }

    /// The key of one tag: `None` if the pattern does not match, else the expanded template
    /// (or the tag itself when the template is empty).
    pub fn key(&self, tag: &str) -> Option<String> {
        let captures = self.regex.captures(tag)?;
        if self.extract.is_empty() {
            Some(tag.to_owned())
        } else {
            Some(captures.expand(&self.extract))
        }
    }

    /// Filters `tags` as the controller does: every matching tag is stored under its key, a
    /// later tag with the same key replacing the earlier one. The controller then iterates
    /// the keys in Go map order (random); fluxtag instead returns them ordered by the
    /// position of their surviving tag in `tags`, so results are deterministic
    /// (fluxtag-differences §3).
    pub fn apply<S: AsRef<str>>(&self, tags: &[S]) -> Vec<FilteredTag> {
        self.apply_observed(tags, &mut ())
    }

    /// [`TagFilter::apply`], telling `observer` of every tag the pattern does not match and of
    /// every tag replaced by a later one with the same key ([`crate::explain`]).
    pub(crate) fn apply_observed<S: AsRef<str>>(
        &self,
        tags: &[S],
        observer: &mut impl FilterObserver,
    ) -> Vec<FilteredTag> {
        let mut slots: HashMap<String, usize> = HashMap::new();
        // (position of the surviving tag, key, tag)
        let mut entries: Vec<(usize, String, String)> = Vec::new();
        for (position, tag) in tags.iter().enumerate() {
            let tag = tag.as_ref();
            let Some(key) = self.key(tag) else {
                observer.unmatched(tag);
                continue;
            };
            match slots.get(&key) {
                Some(&slot) => {
                    if let Some(entry) = entries.get_mut(slot) {
                        observer.replaced(&entry.2, tag, &key);
                        entry.0 = position;
                        entry.2 = tag.to_owned();
                    }
                }
                None => {
                    slots.insert(key.clone(), entries.len());
                    entries.push((position, key, tag.to_owned()));
                }
            }
        }
        entries.sort_by_key(|entry| entry.0);
        entries
            .into_iter()
            .map(|(_, key, original)| FilteredTag { key, original })
            .collect()
    }
}

/// What [`TagFilter::apply_observed`] reports while filtering; `()` ignores everything (the
/// evaluation's own path).
pub(crate) trait FilterObserver {
    /// `tag` does not match the pattern.
    fn unmatched(&mut self, _tag: &str) {}
    /// `earlier` had the same key `key` as the later `tag`, which replaces it.
    fn replaced(&mut self, _earlier: &str, _tag: &str, _key: &str) {}
}

impl FilterObserver for () {}
