//! The pure core of fluxtag.
//!
//! It owns everything that can be decided from bytes and tag lists alone, in layers that only
//! import downwards:
//! - reading: YAML with exact spans ([`yaml`]), `$imagepolicy` markers and their near misses
//!   ([`marker`]), label selectors ([`selector`]), the Flux and kustomize objects ([`flux`]),
//!   one file's analysis ([`analysis`]);
//! - the repository: kustomize builds ([`kustomize`]), `${VAR}` substitution ([`vars`]), the
//!   cross-file index ([`index`]), object validation ([`validate`]), did-you-mean ([`suggest`]);
//! - verdicts: what Flux would write for each marker ([`resolve`]), and why a policy selects
//!   what it selects ([`explain`]);
//! - the output model: diagnostics ([`diag`]), byte-exact edits ([`edit`]), positions ([`text`]);
//! - below all of them, work spread over the cores in a fixed order ([`parallel`]).
//!
//! It must not do I/O of any kind (no files, network, environment, clock or printing), must not
//! know the language server protocol or output formats, and must not panic on any input: bad
//! input becomes a diagnostic.

pub mod analysis;
pub mod diag;
pub mod edit;
pub mod explain;
pub mod flux;
pub mod index;
pub mod kustomize;
pub mod marker;
pub mod parallel;
pub mod resolve;
pub mod selector;
pub mod suggest;
pub mod text;
pub mod validate;
pub mod vars;
pub mod yaml;
