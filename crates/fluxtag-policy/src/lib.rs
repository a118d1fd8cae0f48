//! fluxtag-policy: the Flux image-policy engine, written from the reference spec.
//!
//! This crate owns everything that decides *which tag* a Flux `ImagePolicy` selects, computed
//! exactly as image-reflector-controller computes it:
//!
//! * [`image_ref`]: `ImageRepository.spec.image` validation and canonical names, and full
//!   reference parsing (go-containerregistry v0.21.6 rules);
//! * [`semver`]: Masterminds/semver v3.4+ versions and constraint ranges;
//! * [`tag`]: which tags the semver policy can read at all (`fluxcd/pkg` `ParseVersion`);
//! * [`float`]: Go's `strconv.ParseFloat` for the numerical policy;
//! * [`go_regex`]: Go RE2 patterns compiled onto the `regex` crate with Go's meaning;
//! * [`filter`]: `filterTags` (pattern and `extract` template);
//! * [`exclusion`]: the `ImageRepository` exclusion list and the scan's tag order;
//! * [`policy`]: the semver, alphabetical and numerical policies put together;
//! * [`no_tag`]: why a policy selects no tag, in the user's terms;
//! * [`explain`]: the same evaluation with a trace of every stage (`fluxtag explain`).
//!
//! It must stay pure: no I/O, no environment, no clock, no network, no printing, and no
//! panics on any input. Tags come in as data; results and typed errors go out.

pub mod exclusion;
pub mod explain;
pub mod filter;
pub mod float;
pub mod go_regex;
mod go_text;
pub mod image_ref;
pub mod no_tag;
pub mod policy;
pub mod semver;
pub mod tag;

pub use exclusion::{ExclusionError, ExclusionList, sort_tags_descending};
pub use explain::{
    Explanation, FilterStage, Ranked, Rejected, Rejection, Replaced, Stage, TieBreak,
};
pub use filter::{FilterError, TagFilter, TagFilterSpec};
pub use float::parse_go_float;
pub use image_ref::{ImageRef, ImageRefError, ParsedReference, parse_reference};
pub use no_tag::NoTag;
pub use policy::{EvaluationError, InvalidPolicy, Order, Policy, PolicyChoice, PolicySpec};
pub use semver::{ConstraintError, Constraints, Version, VersionError};
pub use tag::{NotAVersion, parse_flux_version, read_flux_version};
