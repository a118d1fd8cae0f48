//! The pure core of fluxtag.
//!
//! It owns everything that can be decided from bytes and tag lists alone: YAML with exact spans
//! ([`yaml`]), `$imagepolicy` markers and their near misses ([`marker`]), the Flux objects of a
//! repository ([`flux`]), the cross-file index ([`index`]), what Flux would write for each marker
//! ([`resolve`]), the diagnostic model ([`diag`]) and byte-exact edits ([`edit`]).
//!
//! It must not do I/O of any kind (no files, network, environment, clock or printing), must not
//! know the language server protocol or output formats, and must not panic on any input: bad
//! input becomes a diagnostic.

pub mod diag;
pub mod edit;
pub mod flux;
pub mod index;
pub mod kustomize;
pub mod marker;
pub mod resolve;
pub mod text;
pub mod yaml;
