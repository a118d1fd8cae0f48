//! Masterminds/semver v3.4+ (the library image-reflector-controller uses), written from the
//! spec (`flux-semantics.md` §5): lenient and strict version parsing, precedence, and the
//! constraint grammar with its "dirty" wildcard rules and the v3.4 prerelease rule.

mod constraints;
mod version;

pub use constraints::{
    Comparator, ConstraintError, Constraints, GroupRejection, Operator, rewrite_hyphen_ranges,
};
pub use version::{Version, VersionError};
