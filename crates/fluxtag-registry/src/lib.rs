//! fluxtag-registry: where fluxtag's tags come from.
//!
//! This crate owns everything between an image repository and its list of tags:
//!
//! * **OCI tags and digests** ([`RegistryClient`]): `GET /v2/<name>/tags/list` across `Link`
//!   pages, manifest digests by `HEAD`, Docker Hub's API host, plain HTTP for insecure and local
//!   registries, timeouts, retries, per-host limits;
//! * **auth** ([`CredentialStore`], [`auth`]): the Bearer token flow and Basic, with the user's own
//!   credentials from Docker's `config.json` (helpers and stores included) and Podman's
//!   `auth.json`;
//! * **cache** ([`DiskCache`]): one JSON file per canonical image, fresh for the repository's
//!   interval, written atomically;
//! * **snapshots** ([`Snapshot`]): the `--tags-from` file format, reader and writer;
//! * **atomic writes** ([`fs::write_atomic`]): the one routine every fluxtag writer uses, here
//!   because this is the lowest crate that writes files;
//! * the **front door** ([`TagService`]): online, offline or snapshot [`Mode`], the exclusion list
//!   applied to tags from every source, tags sorted descending by bytes, one fetch per image however
//!   many callers ask at once.
//!
//! It takes repositories (`registry`, `repository`, scheme) and returns tags, digests or typed
//! [`RegistryError`]s whose messages a user can act on.
//!
//! What it must not do: know YAML, markers or Flux objects beyond a repository name, an interval
//! and an exclusion list; print to stdout or stderr (it logs through `tracing`); or let a secret
//! (password, identity token, bearer token) reach a log line, an error, `Debug` output, the cache
//! or a snapshot. All global state (environment variables, home and cache directories, the clock)
//! is read through [`Environment`], so tests never see the developer's real credentials.

pub mod auth;
pub mod cache;
pub mod client;
pub mod credentials;
pub mod env;
pub mod error;
pub mod fs;
mod link;
pub mod reference;
pub mod secret;
pub mod service;
pub mod snapshot;
pub mod time;

pub use cache::{CacheEntry, CachedDigest, DiskCache};
pub use client::{ClientOptions, MANIFEST_MEDIA_TYPES, RegistryClient};
pub use credentials::{Credential, CredentialStore};
pub use env::{Environment, FixedEnvironment, SystemEnvironment};
pub use error::{RegistryError, SnapshotError};
/// The ImageRepository exclusion list, compiled (from `fluxtag-policy`, Go regex semantics).
pub use fluxtag_policy::exclusion::ExclusionList;
pub use reference::{RepositoryRef, Scheme};
pub use secret::Secret;
pub use service::{DigestInfo, ExportItem, Mode, Origin, TagList, TagService};
pub use snapshot::{Snapshot, SnapshotEntry};
