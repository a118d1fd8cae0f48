//! [`NoTag`]: why a policy selects no tag, in the user's terms ("filterTags `^main-` matched
//! none of 40 tags"), where [`crate::EvaluationError`] holds the controller's own words
//! ("version list argument cannot be empty").
//!
//! It only describes: which tags are candidates and whether the policy fails is decided by
//! [`crate::Policy`] exactly as the controller decides it ([`crate::Policy::no_tag`] builds a
//! `NoTag` only when [`crate::Policy::latest`] fails, from the same candidates).

use std::fmt;

/// A tag shown as an example: the tag and, with a `filterTags.extract`, the value the policy
/// read from it (shown as "`key` from `tag`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The tag.
    pub tag: String,
    /// What the policy compared (equal to `tag` without an extract template).
    pub key: String,
}

impl fmt::Display for Example {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key == self.tag {
            write!(f, "`{}`", self.tag)
        } else {
            write!(f, "`{}` from `{}`", self.key, self.tag)
        }
    }
}

/// Why a policy selects no tag (the controller's `Failure`), as the user can act on it. Its
/// `Display` is one sentence without the policy's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoTag {
    /// There is no tag at all.
    NoTags,
    /// `filterTags.pattern` matched none of the tags.
    FilterMatchedNone {
        /// The pattern as written.
        pattern: String,
        /// How many tags there were.
        tags: usize,
        /// The first tag in scan order.
        example: String,
    },
    /// Semver: some candidates are versions, none satisfies the range.
    NotInRange {
        /// The range as written.
        range: String,
        /// `filterTags.pattern`, when the candidates are what it kept.
        filter: Option<String>,
        /// The greatest version among the candidates (the first of equal ones in scan order).
        newest: Example,
        /// Whether that version is a prerelease (ranges without a prerelease never match one).
        newest_is_prerelease: bool,
    },
    /// Semver: no candidate is a version the controller can read (`X.Y.Z`, spec §4.1).
    NoVersion {
        /// `filterTags.pattern`, when the candidates are what it kept.
        filter: Option<String>,
        /// The first candidate in scan order.
        example: Example,
    },
    /// Numerical: a candidate is not a number, which fails the whole policy (spec §4.2).
    NotANumber {
        /// `filterTags.pattern`, when the candidates are what it kept.
        filter: Option<String>,
        /// The candidate the controller stops at.
        first: Example,
        /// How many candidates are not numbers.
        not_numbers: usize,
        /// How many candidates there are.
        candidates: usize,
    },
}

/// `n tag(s)`.
fn tags(n: usize) -> String {
    if n == 1 {
        "1 tag".to_owned()
    } else {
        format!("{n} tags")
    }
}

/// Whether `key` looks like a four-part version (`5.14.0.9383`), which the controller cannot
/// read as a semantic version (spec §4.1).
fn four_parts(key: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = key
        .strip_prefix('v')
        .unwrap_or(key)
        .splitn(4, '.')
        .collect();
    match parts.as_slice() {
        [a, b, c, d] => {
            digits(a)
                && digits(b)
                && digits(c)
                && d.bytes().next().is_some_and(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// "no tag" or "no tag that filterTags `p` keeps".
fn no_tag(filter: Option<&String>) -> String {
    match filter {
        Some(pattern) => format!("no tag that filterTags `{pattern}` keeps"),
        None => "no tag".to_owned(),
    }
}

impl fmt::Display for NoTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoTag::NoTags => f.write_str("there are no tags"),
            NoTag::FilterMatchedNone {
                pattern,
                tags: n,
                example,
            } => write!(
                f,
                "filterTags `{pattern}` matched none of {} (e.g. `{example}`)",
                tags(*n)
            ),
            NoTag::NotInRange {
                range,
                filter,
                newest,
                newest_is_prerelease,
            } => {
                write!(
                    f,
                    "{} is in range `{range}` (newest semver tag: {newest}",
                    no_tag(filter.as_ref())
                )?;
                if *newest_is_prerelease {
                    f.write_str(
                        "; a prerelease matches only a range with a prerelease, such as `-0`",
                    )?;
                }
                f.write_str(")")
            }
            NoTag::NoVersion { filter, example } => {
                write!(
                    f,
                    "{} is a semantic version X.Y.Z (e.g. {example}",
                    no_tag(filter.as_ref())
                )?;
                if four_parts(&example.key) {
                    f.write_str(
                        ", four parts: filterTags can extract three, e.g. pattern \
                         `^(?P<v>[0-9]+\\.[0-9]+\\.[0-9]+)\\.` with extract `$v`",
                    )?;
                }
                f.write_str(")")
            }
            NoTag::NotANumber {
                filter,
                first,
                not_numbers,
                candidates,
            } if not_numbers == candidates => {
                write!(f, "{} is a number (e.g. {first})", no_tag(filter.as_ref()))
            }
            NoTag::NotANumber {
                filter,
                first,
                not_numbers,
                candidates,
            } => {
                write!(
                    f,
                    "{first} is not a number, and one such tag fails the numerical policy \
                     ({not_numbers} of {}",
                    tags(*candidates)
                )?;
                if let Some(pattern) = filter {
                    write!(f, " that filterTags `{pattern}` keeps")?;
                }
                let what = if *not_numbers == 1 {
                    "is not a number"
                } else {
                    "are not numbers"
                };
                write!(f, " {what}; filterTags can leave them out)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(tag: &str, key: &str) -> Example {
        Example {
            tag: tag.to_owned(),
            key: key.to_owned(),
        }
    }

    #[test]
    fn sentences() {
        assert_eq!(NoTag::NoTags.to_string(), "there are no tags");
        assert_eq!(
            NoTag::FilterMatchedNone {
                pattern: "^main-".into(),
                tags: 40,
                example: "v1".into()
            }
            .to_string(),
            "filterTags `^main-` matched none of 40 tags (e.g. `v1`)"
        );
        assert_eq!(
            NoTag::NotInRange {
                range: ">=5.0.0".into(),
                filter: None,
                newest: example("4.0.11", "4.0.11"),
                newest_is_prerelease: false,
            }
            .to_string(),
            "no tag is in range `>=5.0.0` (newest semver tag: `4.0.11`)"
        );
        assert_eq!(
            NoTag::NotInRange {
                range: ">=5.0.0".into(),
                filter: Some("^v(?P<v>.*)$".into()),
                newest: example("v5.0.0-rc.1", "5.0.0-rc.1"),
                newest_is_prerelease: true,
            }
            .to_string(),
            "no tag that filterTags `^v(?P<v>.*)$` keeps is in range `>=5.0.0` (newest semver tag: \
             `5.0.0-rc.1` from `v5.0.0-rc.1`; a prerelease matches only a range with a \
             prerelease, such as `-0`)"
        );
        assert_eq!(
            NoTag::NoVersion {
                filter: None,
                example: example("latest", "latest")
            }
            .to_string(),
            "no tag is a semantic version X.Y.Z (e.g. `latest`)"
        );
        assert_eq!(
            NoTag::NoVersion {
                filter: None,
                example: example("5.14.0.9383", "5.14.0.9383")
            }
            .to_string(),
            "no tag is a semantic version X.Y.Z (e.g. `5.14.0.9383`, four parts: filterTags can \
             extract three, e.g. pattern `^(?P<v>[0-9]+\\.[0-9]+\\.[0-9]+)\\.` with extract `$v`)"
        );
        assert!(!four_parts("1.2.3"));
        assert!(!four_parts("1.2.x.4"));
        assert!(four_parts("v1.2.3.4-beta"));
        assert_eq!(
            NoTag::NotANumber {
                filter: None,
                first: example("latest", "latest"),
                not_numbers: 2,
                candidates: 2
            }
            .to_string(),
            "no tag is a number (e.g. `latest`)"
        );
        assert_eq!(
            NoTag::NotANumber {
                filter: None,
                first: example("latest", "latest"),
                not_numbers: 1,
                candidates: 40
            }
            .to_string(),
            "`latest` is not a number, and one such tag fails the numerical policy (1 of 40 tags \
             is not a number; filterTags can leave them out)"
        );
        assert_eq!(
            NoTag::NotANumber {
                filter: Some("^b-(?P<n>.*)$".into()),
                first: example("b-x", "x"),
                not_numbers: 3,
                candidates: 7
            }
            .to_string(),
            "`x` from `b-x` is not a number, and one such tag fails the numerical policy (3 of \
             7 tags that filterTags `^b-(?P<n>.*)$` keeps are not numbers; filterTags can leave \
             them out)"
        );
    }
}
