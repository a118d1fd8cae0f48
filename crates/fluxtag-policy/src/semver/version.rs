//! Semantic versions as Masterminds/semver v3 reads and orders them (spec §5.5, §5.6).

use std::cmp::Ordering;
use std::fmt;

/// Why a string is not a version. The texts are Masterminds/semver's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string does not have the shape of a version at all.
    #[error("invalid semantic version")]
    InvalidSemVer,
    /// A numeric prerelease identifier (or, for strict parsing, a number) has a leading zero.
    #[error("version segment starts with 0")]
    SegmentStartsZero,
    /// Strict parsing: a major/minor/patch part holds something other than digits.
    #[error("invalid characters in version")]
    InvalidCharacters,
    /// Strict parsing: a prerelease identifier is empty or has characters outside
    /// `[0-9A-Za-z-]`.
    #[error("invalid prerelease string")]
    InvalidPrerelease,
    /// Strict parsing: a build-metadata identifier is empty or has characters outside
    /// `[0-9A-Za-z-]`.
    #[error("invalid metadata string")]
    InvalidMetadata,
    /// Strict parsing: the string is empty.
    #[error("version string empty")]
    Empty,
    /// A major, minor or patch number does not fit in 64 bits (or is empty).
    #[error("error parsing version segment: {segment:?} is not a 64-bit unsigned number")]
    Segment {
        /// The offending digits.
        segment: String,
    },
}

/// A parsed version: major, minor, patch (unsigned 64-bit), prerelease and build metadata,
/// plus the text it was read from.
///
/// Equality and ordering follow Masterminds' `Compare`: build metadata and the original text
/// are ignored, so `1.2.3`, `v1.2.3` and `1.2.3+build` are equal.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl Version {
    /// Lenient parse (Masterminds `NewVersion` with `CoerceNewVersion`, the default): an
    /// optional lowercase `v`, then `M[.m[.p]]` (missing parts are 0, leading zeros allowed),
    /// an optional `-prerelease` and an optional `+metadata`. Numeric prerelease identifiers
    /// must not have leading zeros.
    ///
    /// # Errors
    ///
    /// [`VersionError::InvalidSemVer`] when the shape is wrong,
    /// [`VersionError::SegmentStartsZero`] for a prerelease such as `rc.01`, and
    /// [`VersionError::Segment`] when a number overflows 64 bits.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let shape = lenient_shape(text).ok_or(VersionError::InvalidSemVer)?;
        let major = parse_u64(shape.major)?;
        let minor = shape.minor.map_or(Ok(0), parse_u64)?;
        let patch = shape.patch.map_or(Ok(0), parse_u64)?;
        let pre = shape.pre.unwrap_or("");
        if !pre.is_empty() {
            validate_prerelease(pre)?;
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre: pre.to_owned(),
            metadata: shape.metadata.unwrap_or("").to_owned(),
            original: text.to_owned(),
        })
    }

    /// Strict parse (Masterminds `StrictNewVersion`): exactly `M.m.p`, no `v`, no leading
    /// zeros, optional `-prerelease` and `+metadata`. Flux used this (after removing one
    /// leading `v`) up to image-reflector-controller v0.35.
    ///
    /// # Errors
    ///
    /// The [`VersionError`] Masterminds reports for the first problem found.
    pub fn parse_strict(text: &str) -> Result<Version, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let mut parts = text.splitn(3, '.');
        let (Some(major), Some(minor), Some(mut rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(VersionError::InvalidSemVer);
        };
        let mut metadata = "";
        if let Some((before, meta)) = rest.split_once('+') {
            validate_identifiers(meta, VersionError::InvalidMetadata)?;
            metadata = meta;
            rest = before;
        }
        let mut pre = "";
        if let Some((before, prerelease)) = rest.split_once('-') {
            validate_prerelease_strict(prerelease)?;
            pre = prerelease;
            rest = before;
        }
        for part in [major, minor, rest] {
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::InvalidCharacters);
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(VersionError::SegmentStartsZero);
            }
        }
        Ok(Version {
            major: parse_u64(major)?,
            minor: parse_u64(minor)?,
            patch: parse_u64(rest)?,
            pre: pre.to_owned(),
            metadata: metadata.to_owned(),
            original: text.to_owned(),
        })
    }

    /// The major number.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor number (0 when it was not written).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch number (0 when it was not written).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The prerelease without its leading `-` (empty if none).
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The build metadata without its leading `+` (empty if none).
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The exact text the version was parsed from (what Flux reports as the selected tag).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Semver precedence (Masterminds `Compare`): major, minor, patch numerically; a version
    /// without prerelease is greater than one with; prereleases compare identifier by
    /// identifier (numeric < alphanumeric, numbers by value, the rest byte-wise, a missing
    /// identifier is smaller). Build metadata is ignored.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

impl fmt::Display for Version {
    /// `M.m.p[-pre][+meta]`, without any `v` and with leading zeros removed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare(other)
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

/// Compares two non-empty prerelease strings identifier by identifier.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some(x), Some(y)) => {
                let order = compare_identifier(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// One prerelease identifier against another.
fn compare_identifier(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    // An empty identifier (only possible when one side ran out) is the smaller one.
    match (a.is_empty(), b.is_empty()) {
        (true, _) => return Ordering::Less,
        (_, true) => return Ordering::Greater,
        _ => {}
    }
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// Go `strconv.ParseUint(s, 10, 64)`: only digits, fits in 64 bits.
fn as_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_u64(digits: &str) -> Result<u64, VersionError> {
    as_number(digits).ok_or_else(|| VersionError::Segment {
        segment: digits.to_owned(),
    })
}

/// Numeric prerelease identifiers must not have leading zeros.
fn validate_prerelease(pre: &str) -> Result<(), VersionError> {
    for ident in pre.split('.') {
        if ident.len() > 1 && ident.bytes().all(|b| b.is_ascii_digit()) && ident.starts_with('0') {
            return Err(VersionError::SegmentStartsZero);
        }
    }
    Ok(())
}

/// Strict prerelease check, identifier by identifier: empty or foreign characters are
/// invalid, numeric identifiers must not start with 0.
fn validate_prerelease_strict(pre: &str) -> Result<(), VersionError> {
    for ident in pre.split('.') {
        if ident.is_empty() {
            return Err(VersionError::InvalidPrerelease);
        }
        if ident.bytes().all(|b| b.is_ascii_digit()) {
            if ident.len() > 1 && ident.starts_with('0') {
                return Err(VersionError::SegmentStartsZero);
            }
        } else if !ident.bytes().all(is_identifier_byte) {
            return Err(VersionError::InvalidPrerelease);
        }
    }
    Ok(())
}

/// Non-empty identifiers of `[0-9A-Za-z-]` separated by dots.
fn validate_identifiers(s: &str, error: VersionError) -> Result<(), VersionError> {
    if s.split('.').all(is_identifier) {
        Ok(())
    } else {
        Err(error)
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_identifier_byte)
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The pieces of a string that has the lenient version shape
/// `v?N(.N)?(.N)?(-ids)?(+ids)?` where `ids` are dot-separated `[0-9A-Za-z-]+`.
struct Shape<'a> {
    major: &'a str,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    pre: Option<&'a str>,
    metadata: Option<&'a str>,
}

fn lenient_shape(text: &str) -> Option<Shape<'_>> {
    let s = text.strip_prefix('v').unwrap_or(text);
    let (core, metadata) = match s.split_once('+') {
        Some((core, meta)) => (core, Some(meta)),
        None => (s, None),
    };
    if let Some(meta) = metadata
        && !meta.split('.').all(is_identifier)
    {
        return None;
    }
    // The prerelease starts at the first '-' after the numbers.
    let numbers_end = core
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(core.len());
    let (numbers, pre) = match &core[numbers_end..] {
        "" => (core, None),
        rest => {
            let pre = rest.strip_prefix('-')?;
            if !pre.split('.').all(is_identifier) {
                return None;
            }
            (&core[..numbers_end], Some(pre))
        }
    };
    let mut parts = numbers.split('.');
    let major = parts.next().filter(|p| !p.is_empty())?;
    let minor = parts.next();
    let patch = parts.next();
    if parts.next().is_some() || minor == Some("") || patch == Some("") {
        return None;
    }
    Some(Shape {
        major,
        minor,
        patch,
        pre,
        metadata,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(Version::parse("1.2.3--").is_ok());
        assert!(Version::parse("1.2.3-alpha.-1").is_ok());
        assert!(Version::parse("1.2.3-").is_err());
        assert!(Version::parse("1.2.3+").is_err());
        assert!(Version::parse("1.").is_err());
        assert!(Version::parse("1..2").is_err());
        assert!(Version::parse(".1").is_err());
        assert!(Version::parse("v").is_err());
        assert!(Version::parse("vv1").is_err());
        assert!(Version::parse("1.2.3-a+b+c").is_err());
        assert!(Version::parse("18446744073709551616").is_err());
        assert_eq!(Version::parse("1.2-5").unwrap().to_string(), "1.2.0-5");
        assert_eq!(
            Version::parse("v01.02.03+x").unwrap().to_string(),
            "1.2.3+x"
        );
    }
}
