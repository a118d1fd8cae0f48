//! [`RepositoryRef`]: which repository on which registry, over which scheme.
//!
//! Normalising what a user wrote (`nginx`, `docker.io/library/nginx`, `localhost:5000/app`) into a
//! registry and a repository is spec §3.1 and lives in `fluxtag-policy`; this module takes the
//! result and knows the network facts: Docker Hub's API host and the URLs of the registry API.

use std::fmt;

use fluxtag_policy::image_ref::{ImageRef, ImageRefError};

/// The registry that `index.docker.io` names in references; its API is served elsewhere.
pub const DOCKER_HUB_REGISTRY: &str = "index.docker.io";
/// The host that serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// How to reach a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain HTTP: `insecure: true`, loopback, `localhost`, `*.localhost` and private addresses.
    Http,
    /// HTTPS with verified TLS: everything else.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A repository on a registry, already normalised (spec §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryRef {
    /// The registry as normalised: `index.docker.io`, `ghcr.io`, `localhost:5000`.
    pub registry: String,
    /// The repository path: `library/alpine`, `fluxcd/source-controller`.
    pub repository: String,
    /// Plain HTTP or HTTPS.
    pub scheme: Scheme,
}

impl RepositoryRef {
    /// A repository reference from parts that are already normalised. `docker.io` and
    /// `registry-1.docker.io` are taken as `index.docker.io`, so every spelling of Docker Hub shares
    /// one cache entry.
    pub fn new(registry: impl Into<String>, repository: impl Into<String>, scheme: Scheme) -> Self {
        let mut registry = registry.into();
        if is_docker_hub(&registry) {
            registry = DOCKER_HUB_REGISTRY.to_owned();
        }
        Self {
            registry,
            repository: repository.into(),
            scheme,
        }
    }

    /// Normalises an ImageRepository's `spec.image` (with its `spec.insecure`) as spec §3.1 does.
    pub fn parse(image: &str, insecure: bool) -> Result<Self, ImageRefError> {
        ImageRef::parse(image, insecure).map(|r| Self::from(&r))
    }

    /// The canonical image name, `registry/repository` (`index.docker.io/library/alpine`): the key of
    /// the disk cache and of snapshots.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host (with port) that serves the registry API: `registry-1.docker.io` for Docker Hub,
    /// the registry itself otherwise.
    pub fn api_host(&self) -> &str {
        if is_docker_hub(&self.registry) {
            DOCKER_HUB_API_HOST
        } else {
            &self.registry
        }
    }

    /// The base URL of the registry API, without a trailing slash: `https://ghcr.io/v2`.
    pub fn api_base(&self) -> String {
        format!("{}://{}/v2", self.scheme.as_str(), self.api_host())
    }

    /// The URL of the first page of the tag list.
    pub fn tags_url(&self) -> String {
        format!("{}/{}/tags/list", self.api_base(), self.repository)
    }

    /// The URL of a manifest by tag or digest.
    pub fn manifest_url(&self, reference: &str) -> String {
        format!(
            "{}/{}/manifests/{}",
            self.api_base(),
            self.repository,
            reference
        )
    }
}

impl From<&ImageRef> for RepositoryRef {
    fn from(r: &ImageRef) -> Self {
        let scheme = if r.insecure_default {
            Scheme::Http
        } else {
            Scheme::Https
        };
        Self::new(r.registry.clone(), r.repository.clone(), scheme)
    }
}

impl fmt::Display for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

/// Whether a registry name is one of Docker Hub's spellings.
pub fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "index.docker.io" | "docker.io" | "registry-1.docker.io"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_uses_its_api_host() {
        let r = RepositoryRef::new("docker.io", "library/alpine", Scheme::Https);
        assert_eq!(r.registry, "index.docker.io");
        assert_eq!(r.canonical(), "index.docker.io/library/alpine");
        assert_eq!(
            r.tags_url(),
            "https://registry-1.docker.io/v2/library/alpine/tags/list"
        );
    }

    #[test]
    fn parse_follows_the_policy_crate() {
        let r = RepositoryRef::parse("nginx", false).unwrap();
        assert_eq!(r.canonical(), "index.docker.io/library/nginx");
        assert_eq!(r.scheme, Scheme::Https);
        let r = RepositoryRef::parse("localhost:5000/app", false).unwrap();
        assert_eq!(r.scheme, Scheme::Http);
        let r = RepositoryRef::parse("registry.example.com/app", true).unwrap();
        assert_eq!(r.scheme, Scheme::Http);
        assert!(RepositoryRef::parse("https://ghcr.io/a/b", false).is_err());
    }

    #[test]
    fn other_registries_are_used_as_given() {
        let r = RepositoryRef::new("localhost:5000", "team/app", Scheme::Http);
        assert_eq!(r.api_host(), "localhost:5000");
        assert_eq!(
            r.manifest_url("v1"),
            "http://localhost:5000/v2/team/app/manifests/v1"
        );
    }
}
