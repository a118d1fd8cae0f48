//! fluxtag-policy: the Flux image-policy engine, written from the reference spec.
//!
//! This crate owns everything that decides *which tag* a Flux `ImagePolicy` selects, computed
//! exactly as image-reflector-controller computes it:
//!
//! * [`image_ref`]: `ImageRepository.spec.image` validation and canonical names, and full
//!   reference parsing (go-containerregistry v0.21.6 rules);
//! * [`semver`]: Masterminds/semver v3.4+ versions and constraint ranges;
//! * [`tag`]: which tags the semver policy can read at all (`fluxcd/pkg` `ParseVersion`).
//!
//! It must stay pure: no I/O, no environment, no clock, no network, no printing, and no
//! panics on any input. Tags come in as data; results and typed errors go out.

mod go_text;
pub mod image_ref;
pub mod semver;
pub mod tag;

pub use image_ref::{ImageRef, ImageRefError, ParsedReference, parse_reference};
pub use semver::{ConstraintError, Constraints, Version, VersionError};
pub use tag::parse_flux_version;
