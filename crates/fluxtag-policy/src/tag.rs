//! Which tags the semver policy can read (spec §4.1): fluxcd/pkg `version.ParseVersion` as
//! image-reflector-controller ≥ v1.0.0 uses it.

use crate::semver::{Version, VersionError};

/// Why the semver policy cannot read a tag ([`read_flux_version`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAVersion {
    /// The tag has fewer than two dots (`1.2`, `latest`): fluxcd/pkg refuses it before parsing.
    #[error("fewer than two dots")]
    FewerThanTwoDots,
    /// It has two dots but Masterminds/semver does not read it.
    #[error("{0}")]
    Invalid(VersionError),
}

/// Reads a tag as the semver policy does: the raw tag must contain at least two dots
/// (anywhere, so `1.2-beta.5` qualifies and `1.2` does not), then it is parsed leniently
/// (optional lowercase `v`, leading zeros allowed in major/minor/patch). Tags that do not
/// qualify are silently skipped by the policy, hence the `Option`; [`read_flux_version`] says
/// why.
pub fn parse_flux_version(tag: &str) -> Option<Version> {
    read_flux_version(tag).ok()
}

/// [`parse_flux_version`] with the reason a tag is not read.
///
/// # Errors
///
/// [`NotAVersion`]: too few dots, or what Masterminds/semver says of it.
pub fn read_flux_version(tag: &str) -> Result<Version, NotAVersion> {
    if tag.bytes().filter(|&b| b == b'.').count() < 2 {
        return Err(NotAVersion::FewerThanTwoDots);
    }
    Version::parse(tag).map_err(NotAVersion::Invalid)
}

#[cfg(test)]
mod tests {
    use super::parse_flux_version;

    #[test]
    fn needs_two_dots() {
        assert!(parse_flux_version("1.2").is_none());
        assert!(parse_flux_version("1.2-beta.5").is_some());
        assert!(parse_flux_version("v2025.07.03").is_some());
        assert!(parse_flux_version("1.2.3.4").is_none());
    }
}
