//! Integration tests of fluxtag-registry, one binary: the real registry (Debian's
//! `docker-registry`), a loopback mock for faults, credentials, the cache and offline mode,
//! snapshots, and the no-secrets-anywhere check. Nothing leaves 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

mod cache_offline;
mod credentials;
mod mock_faults;
mod real_registry;
mod secrets;
mod snapshot;
mod support;
