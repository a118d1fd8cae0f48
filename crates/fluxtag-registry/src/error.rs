//! The errors of this crate: [`RegistryError`] for one image's tags or digest, [`SnapshotError`] for
//! a tags snapshot file.
//!
//! Messages say what happened and what the user can do, name the host, and never carry a secret:
//! no header value, no credential, no response body beyond a registry's own error message.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::time::format_rfc3339;

/// Why the tags or a digest of one image could not be had.
///
/// Cloneable, so that concurrent requests for the same image can share one failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry does not know the repository (or the tag).
    #[error(
        "{image} was not found on {host}: check the image name; registries also answer \
         'not found' for private images you have no access to"
    )]
    NotFound {
        /// The API host that answered.
        host: String,
        /// The image (and tag, for a digest) that was asked for.
        image: String,
    },
    /// The registry refused the request (HTTP 401 or 403) with the credentials we had, or without.
    #[error(
        "{host} refused access to {image} (HTTP {status}){}: log in with `docker login {login}` \
         or `podman login {login}`, or check that your account may pull it",
        detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    Unauthorized {
        /// The host that refused (the registry or its token server).
        host: String,
        /// The image that was asked for.
        image: String,
        /// The HTTP status, 401 or 403.
        status: u16,
        /// The server name to log in to (`docker.io` for Docker Hub).
        login: String,
        /// What else is known: the registry's message, or why the stored credentials were not used.
        detail: Option<String>,
    },
    /// The registry answered HTTP 429 and the allowed retries are used up or the wait is too long.
    #[error("{host} is rate limiting requests{}", rate_limit_hint(*retry_after, *reset_at))]
    RateLimited {
        /// The host that limits.
        host: String,
        /// How long the registry asked us to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// When the limit resets (now + `retry_after`).
        reset_at: Option<SystemTime>,
    },
    /// TLS failed: an untrusted or invalid certificate, or a handshake failure.
    #[error(
        "TLS with {host} failed: {detail}; if this registry uses a private CA, add it to the \
         system trust store or point SSL_CERT_FILE at it; if it serves plain HTTP, set \
         `insecure: true` on the ImageRepository"
    )]
    Tls {
        /// The host.
        host: String,
        /// What failed.
        detail: String,
    },
    /// The host could not be reached: name resolution, a refused connection, a reset.
    #[error("cannot reach {host}: {detail}")]
    Network {
        /// The host.
        host: String,
        /// What failed.
        detail: String,
    },
    /// No complete answer within the time allowed.
    #[error("{host} did not answer within {}", format_duration(*after))]
    Timeout {
        /// The host.
        host: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The registry kept failing with a server error (5xx) after every retry.
    #[error("{host} failed with HTTP {status} after {attempts} attempts; try again later")]
    Server {
        /// The host.
        host: String,
        /// The last status.
        status: u16,
        /// How many requests were made.
        attempts: u32,
    },
    /// The registry answered with a status this client does not expect.
    #[error(
        "{host} answered HTTP {status} for {image}{}",
        detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    UnexpectedStatus {
        /// The host.
        host: String,
        /// The image.
        image: String,
        /// The status.
        status: u16,
        /// The registry's own error message, if it sent one.
        detail: Option<String>,
    },
    /// The registry (or its token server) sent something that is not a valid answer.
    #[error("{host} sent an invalid response: {detail}")]
    Protocol {
        /// The host.
        host: String,
        /// What was wrong.
        detail: String,
    },
    /// Redirects went on too long, or in a circle.
    #[error("{host} redirected too many times (a redirect loop?)")]
    TooManyRedirects {
        /// The host.
        host: String,
    },
    /// Offline mode and no cached tags for this image.
    #[error("no cached tags for {image}, and offline mode allows no registry access")]
    NotCached {
        /// The canonical image name.
        image: String,
    },
    /// A tags snapshot is in use and does not name this image.
    #[error("the tags snapshot {snapshot} has no entry for {image}")]
    NotInSnapshot {
        /// The canonical image name.
        image: String,
        /// Where the snapshot came from (its path, or a description).
        snapshot: String,
    },
    /// A tags snapshot is in use and has no digest for this tag.
    #[error("the tags snapshot {snapshot} has no digest for {image}:{tag}")]
    DigestNotInSnapshot {
        /// The canonical image name.
        image: String,
        /// The tag.
        tag: String,
        /// Where the snapshot came from.
        snapshot: String,
    },
    /// The image reference or tag cannot be put in a registry URL.
    #[error("{image} is not a valid image reference: {detail}")]
    InvalidReference {
        /// The image (and tag) as given.
        image: String,
        /// What is wrong.
        detail: String,
    },
    /// The HTTP client could not be built (a broken proxy setting or TLS set-up).
    #[error("cannot set up the HTTP client: {detail}")]
    Setup {
        /// What failed.
        detail: String,
    },
}

impl RegistryError {
    /// Whether the error only means "no tags available without network": offline mode without a
    /// cache entry, or a snapshot without the image. Markers affected by it are unresolved rather
    /// than failed.
    pub fn is_unavailable_offline(&self) -> bool {
        matches!(
            self,
            RegistryError::NotCached { .. }
                | RegistryError::NotInSnapshot { .. }
                | RegistryError::DigestNotInSnapshot { .. }
        )
    }
}

fn rate_limit_hint(retry_after: Option<Duration>, reset_at: Option<SystemTime>) -> String {
    match (retry_after, reset_at) {
        (Some(wait), Some(at)) => format!(
            "; the limit resets in {} (at {})",
            format_duration(wait),
            format_rfc3339(at)
        ),
        (Some(wait), None) => format!("; the limit resets in {}", format_duration(wait)),
        (None, Some(at)) => format!("; the limit resets at {}", format_rfc3339(at)),
        (None, None) => "; try again later, or log in: anonymous limits are lower".to_owned(),
    }
}

fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        format!("{} ms", d.as_millis())
    } else if secs < 120 {
        format!("{secs} s")
    } else if secs < 7_200 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h {} min", secs / 3_600, secs % 3_600 / 60)
    }
}

/// Why a tags snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file could not be read or written.
    #[error("tags snapshot {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON, or not a JSON object.
    #[error("tags snapshot {origin} is not valid: {detail}")]
    Syntax {
        /// The file, or a description of where the text came from.
        origin: String,
        /// What is wrong, with line and column.
        detail: String,
    },
    /// A key is not a valid image reference.
    #[error("tags snapshot {origin}: key {key:?} is not a valid image reference: {reason}")]
    InvalidKey {
        /// The file.
        origin: String,
        /// The key as written.
        key: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A value is neither an array of tags nor an object with `tags` (and optional `digests`).
    #[error("tags snapshot {origin}: the value for {key:?} is invalid: {reason}")]
    InvalidValue {
        /// The file.
        origin: String,
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Two keys name the same image after normalisation.
    #[error(
        "tags snapshot {origin}: keys {first:?} and {second:?} both name {canonical}; keep one"
    )]
    DuplicateImage {
        /// The file.
        origin: String,
        /// The first key.
        first: String,
        /// The second key.
        second: String,
        /// The image they both name.
        canonical: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_names_the_reset_time() {
        let e = RegistryError::RateLimited {
            host: "registry-1.docker.io".into(),
            retry_after: Some(Duration::from_secs(3_600)),
            reset_at: Some(std::time::UNIX_EPOCH + Duration::from_secs(3_600)),
        };
        assert_eq!(
            e.to_string(),
            "registry-1.docker.io is rate limiting requests; the limit resets in 60 min \
             (at 1970-01-01T01:00:00Z)"
        );
    }

    #[test]
    fn unauthorized_names_the_host_and_the_login() {
        let e = RegistryError::Unauthorized {
            host: "ghcr.io".into(),
            image: "ghcr.io/acme/app".into(),
            status: 401,
            login: "ghcr.io".into(),
            detail: None,
        };
        let msg = e.to_string();
        assert!(msg.starts_with("ghcr.io refused access to ghcr.io/acme/app (HTTP 401)"));
        assert!(msg.contains("docker login ghcr.io"));
    }
}
