//! Constraint ranges (`>=1.0.0 <2.0.0 || ^3`, `1.2.x`, `1 - 2`, …) as Masterminds/semver v3.4+
//! parses and checks them (spec §5.1–§5.4).
//!
//! The grammar is applied with the same regular expressions the spec gives (leftmost-first
//! matching in both Go and the `regex` crate), with `\s` spelled as Go's ASCII
//! `[\t\n\f\r ]`.

use super::version::{Version, compare_prerelease};
use crate::go_text::quote;
use regex::Regex;
use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

/// Why a range was refused. The texts are what Flux reports after `invalid policy: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// An OR-group (or a single comparator) does not match the grammar.
    #[error("improper constraint: {}", quote(.text))]
    Improper {
        /// The offending text (an OR-group after hyphen-range rewriting).
        text: String,
    },
    /// A comparator matched the grammar but its version does not parse (`1x`, `x1`,
    /// `1.2.3-01`, a number beyond 64 bits).
    #[error("constraint parser error")]
    Parser,
}

/// The operator of one comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=` or no operator: equal, or a wildcard range when the version is partial.
    TildeOrEqual,
    /// `!=`
    NotEqual,
    /// `>`
    GreaterThan,
    /// `<`
    LessThan,
    /// `>=` or `=>`
    GreaterThanEqual,
    /// `<=` or `=<`
    LessThanEqual,
    /// `~` or `~>`
    Tilde,
    /// `^`
    Caret,
}

impl Operator {
    fn from_text(op: &str) -> Option<Operator> {
        Some(match op {
            "" | "=" => Operator::TildeOrEqual,
            "!=" => Operator::NotEqual,
            ">" => Operator::GreaterThan,
            "<" => Operator::LessThan,
            ">=" | "=>" => Operator::GreaterThanEqual,
            "<=" | "=<" => Operator::LessThanEqual,
            "~" | "~>" => Operator::Tilde,
            "^" => Operator::Caret,
            _ => return None,
        })
    }
}

/// One comparator such as `>=1.2` or `~1.x`: operator, bound, and which parts were wildcards.
#[derive(Debug, Clone)]
pub struct Comparator {
    op: Operator,
    version: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
    op_text: String,
    version_text: String,
}

impl Comparator {
    /// The operator.
    pub fn operator(&self) -> Operator {
        self.op
    }

    /// The bound, with wildcard and missing parts as 0 (`1.x` → `1.0.0`).
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Whether the major, minor or patch part was a wildcard or missing.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether the minor part was a wildcard or missing (`1`, `1.x`).
    pub fn is_minor_dirty(&self) -> bool {
        self.minor_dirty
    }

    /// Whether the patch part was a wildcard or missing (`1.2`, `1.2.x`).
    pub fn is_patch_dirty(&self) -> bool {
        self.patch_dirty
    }

    /// Whether `v` satisfies this comparator; `include_pre` is the OR-group's prerelease flag.
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.prerelease().is_empty() && !include_pre {
            return false;
        }
        let c = &self.version;
        match self.op {
            Operator::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Operator::NotEqual => self.not_equal(v),
            Operator::GreaterThan => self.greater_than(v),
            Operator::LessThan => v.compare(c) == Ordering::Less,
            Operator::GreaterThanEqual => v.compare(c) != Ordering::Less,
            Operator::LessThanEqual => self.less_than_equal(v),
            Operator::Tilde => self.tilde(v),
            Operator::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if c.major() != v.major() {
                return true;
            }
            if c.minor() != v.minor() && !self.minor_dirty {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.patch() != v.patch() && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                if v.prerelease().is_empty() && c.prerelease().is_empty() {
                    return false;
                }
                return prerelease_order(v.prerelease(), c.prerelease()) != Ordering::Equal;
            }
        }
        v.compare(c) != Ordering::Equal
    }

    fn greater_than(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c) == Ordering::Greater;
        }
        match v.major().cmp(&c.major()) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal if self.minor_dirty => false,
            Ordering::Equal if self.patch_dirty => v.minor() > c.minor(),
            Ordering::Equal => v.compare(c) == Ordering::Greater,
        }
    }

    fn less_than_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c) != Ordering::Greater;
        }
        if v.major() > c.major() {
            return false;
        }
        !(v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty)
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        // `~0.0.0`, `~*`, `~x`: everything.
        if c.major() == 0
            && c.minor() == 0
            && c.patch() == 0
            && !self.minor_dirty
            && !self.patch_dirty
        {
            return true;
        }
        if v.major() != c.major() {
            return false;
        }
        v.minor() == c.minor() || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major() > 0 || self.minor_dirty {
            return v.major() == c.major();
        }
        if v.major() > 0 {
            return false;
        }
        if c.minor() > 0 || self.patch_dirty {
            return v.minor() == c.minor();
        }
        if v.minor() > 0 {
            return false;
        }
        c.patch() == v.patch()
    }
}

impl fmt::Display for Comparator {
    /// The operator and version as written, without the space between them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.op_text, self.version_text)
    }
}

/// Masterminds `comparePrerelease`, where an empty side is the smaller one.
fn prerelease_order(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => compare_prerelease(a, b),
    }
}

/// One OR-group: comparators that must all hold.
#[derive(Debug, Clone)]
struct Group {
    comparators: Vec<Comparator>,
    include_pre: bool,
}

/// Why one OR-group of a range rejects a version ([`Constraints::rejections`]).
#[derive(Debug, Clone, Copy)]
pub enum GroupRejection<'a> {
    /// This comparator of the group is not satisfied (the group's first such).
    Comparator(&'a Comparator),
    /// The version is a prerelease and no comparator of the group has one (Flux never sets
    /// `IncludePrerelease`).
    Prerelease,
}

/// A parsed range: OR-groups of AND-ed comparators.
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Group>,
    original: String,
}

impl Constraints {
    /// Parses a range as `semver.NewConstraint` does: hyphen ranges are rewritten, the text
    /// is split on `||`, every group must match the grammar, and every comparator's version
    /// must parse. The empty string is an error.
    ///
    /// # Errors
    ///
    /// [`ConstraintError::Improper`] naming the first group (or comparator) that does not
    /// match the grammar; [`ConstraintError::Parser`] when a version inside does not parse.
    pub fn parse(range: &str) -> Result<Constraints, ConstraintError> {
        let regexes = Regexes::get().ok_or(ConstraintError::Parser)?;
        let rewritten = rewrite_with(&regexes.range, range);
        let mut groups = Vec::new();
        for text in rewritten.split("||") {
            if !regexes.valid.is_match(text) {
                return Err(ConstraintError::Improper {
                    text: text.to_owned(),
                });
            }
            let mut comparators = Vec::new();
            for piece in regexes.find.find_iter(text) {
                comparators.push(parse_comparator(&regexes.single, piece.as_str())?);
            }
            if comparators.is_empty() {
                comparators.push(parse_comparator(&regexes.single, text)?);
            }
            let include_pre = comparators
                .iter()
                .any(|c| !c.version.prerelease().is_empty());
            groups.push(Group {
                comparators,
                include_pre,
            });
        }
        Ok(Constraints {
            groups,
            original: range.to_owned(),
        })
    }

    /// Whether `version` satisfies the range (Flux never sets `IncludePrerelease`, so a
    /// prerelease only matches in an OR-group that has a prerelease comparator).
    pub fn check(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| {
            group
                .comparators
                .iter()
                .all(|c| c.check(version, group.include_pre))
        })
    }

    /// Why `version` does not satisfy the range, one entry per OR-group (empty when it does):
    /// the group's first comparator that rejects it, or [`GroupRejection::Prerelease`] when the
    /// version is a prerelease and the group has no prerelease comparator. Only describes: the
    /// decision is [`Constraints::check`]'s (which is false exactly when this is non-empty).
    pub fn rejections(&self, version: &Version) -> Vec<GroupRejection<'_>> {
        if self.check(version) {
            return Vec::new();
        }
        self.groups
            .iter()
            .map(|group| {
                if !version.prerelease().is_empty() && !group.include_pre {
                    return GroupRejection::Prerelease;
                }
                group
                    .comparators
                    .iter()
                    .find(|c| !c.check(version, group.include_pre))
                    .map_or(GroupRejection::Prerelease, GroupRejection::Comparator)
            })
            .collect()
    }

    /// The range text as given to [`Constraints::parse`].
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The OR-groups, each a list of AND-ed comparators.
    pub fn groups(&self) -> impl Iterator<Item = &[Comparator]> {
        self.groups.iter().map(|g| g.comparators.as_slice())
    }
}

impl fmt::Display for Constraints {
    /// Masterminds `String()`: comparators joined by a space, groups by ` || `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.groups.iter().enumerate() {
            if i > 0 {
                f.write_str(" || ")?;
            }
            for (j, c) in group.comparators.iter().enumerate() {
                if j > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Constraints {
    type Err = ConstraintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Constraints::parse(s)
    }
}

/// Rewrites hyphen ranges `A - B` into `>= A, <= B ` exactly as Masterminds' `rewriteRange`
/// does (each match found in the original text replaces its first occurrence in the text
/// rewritten so far). Exposed for the spec's rewrite table; not needed otherwise.
#[doc(hidden)]
pub fn rewrite_hyphen_ranges(range: &str) -> String {
    match Regexes::get() {
        Some(regexes) => rewrite_with(&regexes.range, range),
        None => range.to_owned(),
    }
}

fn rewrite_with(range_re: &Regex, text: &str) -> String {
    let mut out = text.to_owned();
    for caps in range_re.captures_iter(text) {
        let (Some(whole), Some(low), Some(high)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", low.as_str(), high.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

/// Masterminds `parseConstraint` on one comparator's text.
fn parse_comparator(single: &Regex, text: &str) -> Result<Comparator, ConstraintError> {
    let improper = || ConstraintError::Improper {
        text: text.to_owned(),
    };
    let caps = single.captures(text).ok_or_else(improper)?;
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let op_text = group(1);
    let version_text = group(2);
    let major = group(3);
    let minor = group(4);
    let patch = group(5);
    let pre = group(6);
    let op = Operator::from_text(op_text).ok_or_else(improper)?;

    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let bound = if is_wildcard(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if is_wildcard(minor.trim_start_matches('.')) || minor.is_empty() {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if is_wildcard(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        version_text.to_owned()
    };
    let version = Version::parse(&bound).map_err(|_| ConstraintError::Parser)?;
    Ok(Comparator {
        op,
        version,
        dirty,
        minor_dirty,
        patch_dirty,
        op_text: op_text.to_owned(),
        version_text: version_text.to_owned(),
    })
}

/// Go's `\s`.
const WS: &str = r"[\t\n\f\r ]";
/// The operators, in the order of the source's alternation.
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// A comparator version (wildcards allowed), 10 groups.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// The four regular expressions of the grammar, compiled once.
struct Regexes {
    /// `^\s*(ops)\s*(cv)\s*$`
    single: Regex,
    /// `\s*(cv)\s+-\s+(cv)\s*`
    range: Regex,
    /// `(ops)\s*(cv)`
    find: Regex,
    /// `^(\s*(ops)\s*(cv)\s*)((?:\s+|,\s*)(ops)\s*(cv)\s*)*$`
    valid: Regex,
}

static REGEXES: LazyLock<Option<Regexes>> = LazyLock::new(|| {
    Some(Regexes {
        single: Regex::new(&format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")).ok()?,
        range: Regex::new(&format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")).ok()?,
        find: Regex::new(&format!(r"({OPS}){WS}*({CV})")).ok()?,
        valid: Regex::new(&format!(
            r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
        ))
        .ok()?,
    })
});

impl Regexes {
    /// The compiled grammar; `None` only if a constant pattern failed to compile, which the
    /// unit tests rule out.
    fn get() -> Option<&'static Regexes> {
        REGEXES.as_ref()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn grammar_compiles() {
        assert!(Regexes::get().is_some());
    }

    fn check(range: &str, version: &str) -> bool {
        Constraints::parse(range)
            .unwrap()
            .check(&Version::parse(version).unwrap())
    }

    #[test]
    fn surprises() {
        assert!(check("^*", "0.0.0"));
        assert!(!check("^*", "0.0.1"));
        assert!(check("<=*", "0.0.9"));
        assert!(!check("<=*", "0.1.0"));
        assert!(!check("<*", "0.0.0"));
        assert!(check("!=*", "1.0.0"));
        assert!(!check("!=*", "0.0.0"));
        assert!(check(">*", "0.0.1"));
        assert!(!check(">*", "0.0.0"));
        assert!(check(">1.1", "1.2.0"));
        assert!(!check(">1.1", "1.1.9"));
        assert!(check(">11", "12.0.0"));
        assert!(!check(">11", "11.9.9"));
    }
}
