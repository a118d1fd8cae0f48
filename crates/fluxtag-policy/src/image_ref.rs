//! Image names as the Flux controllers read them.
//!
//! Two entry points:
//!
//! * [`ImageRef::parse`] validates an `ImageRepository.spec.image` value the way
//!   image-reflector-controller does (no URL scheme, no tag, no digest) and gives the
//!   canonical name the controller stores in `status.canonicalImageName`
//!   (spec `flux-semantics.md` §3.1).
//! * [`parse_reference`] reads a full reference with an optional tag and/or digest, the way
//!   image-automation-controller checks every `latestRef` before it touches a file.
//!
//! Both follow the weak-validation rules of go-containerregistry v0.21.6 (`pkg/name`), the
//! version the controllers pin:
//!
//! * the first path component is the registry only if it contains `.` or `:` (so
//!   `localhost/foo` is the Docker Hub repository `localhost/foo`);
//! * `docker.io` becomes `index.docker.io`, and a one-component Docker Hub repository gets
//!   `library/` in front;
//! * repository names use only `a-z 0-9 _ . / -` and are 2 to 255 characters long;
//! * tags use `A-Z a-z 0-9 _ . -` and are 1 to 128 characters long;
//! * digests are `sha256:` followed by 64 lowercase hex digits;
//! * the registry must be a URI authority (`host[:port]`, or `[ipv6][:port]`).

use std::fmt;
use std::net::Ipv6Addr;

/// Docker Hub's canonical registry host.
pub const DOCKER_HUB_REGISTRY: &str = "index.docker.io";

/// The alias that go-containerregistry rewrites to [`DOCKER_HUB_REGISTRY`].
const DOCKER_HUB_ALIAS: &str = "docker.io";

/// The tag a reference without tag or digest stands for.
pub const DEFAULT_TAG: &str = "latest";

/// Characters allowed in a repository path (lowercase only).
const REPOSITORY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";

/// Characters allowed in a tag.
const TAG_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Why an image name or reference was refused. The texts are the controllers' own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    /// The image starts with a URL scheme such as `https://`.
    #[error("image '{image}' should not include URL scheme; remove '{scheme}://'")]
    UrlScheme {
        /// The image as given.
        image: String,
        /// Everything before the first `://`.
        scheme: String,
    },
    /// The image carries a tag or a digest, which `spec.image` must not.
    #[error("image '{image}' should not include a tag; remove ':{tag}'")]
    IncludesTag {
        /// The image as given.
        image: String,
        /// The text after the first `:` that follows the registry (up to the next `:`).
        tag: String,
    },
    /// go-containerregistry could not read the string as a reference.
    #[error("could not parse reference: {reference}")]
    Unparsable {
        /// The string as given.
        reference: String,
    },
}

/// A validated `ImageRepository.spec.image`, split into registry and repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// The registry host, e.g. `index.docker.io`, `ghcr.io`, `localhost:5000`.
    pub registry: String,
    /// The repository path inside the registry, e.g. `library/alpine`.
    pub repository: String,
    /// Whether the registry is spoken to over plain HTTP by default: the `insecure` flag was
    /// set, or the host is an RFC 1918 address, `localhost:<port>`, `*.localhost[:port]`, or
    /// contains `127.0.0.1` or `::1` (the loopback checks of v0.21.6 are substring matches).
    pub insecure_default: bool,
}

impl ImageRef {
    /// Validates `image` as image-reflector-controller validates `spec.image`
    /// (`ParseImageReference`), with `insecure` being `spec.insecure`.
    ///
    /// # Errors
    ///
    /// [`ImageRefError::UrlScheme`] if the string contains `://`,
    /// [`ImageRefError::Unparsable`] if it is not a reference at all, and
    /// [`ImageRefError::IncludesTag`] if it carries a tag or digest.
    pub fn parse(image: &str, insecure: bool) -> Result<ImageRef, ImageRefError> {
        if let Some((scheme, _)) = image.split_once("://") {
            return Err(ImageRefError::UrlScheme {
                image: image.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
        let reference = parse_go_reference(image).ok_or_else(|| ImageRefError::Unparsable {
            reference: image.to_owned(),
        })?;
        let registry = reference.repo.registry;
        // The controller strips the registry as a prefix of the *original* text, then refuses
        // anything that still has a colon in it (a tag, or the `sha256:` of a digest).
        let rest = image.strip_prefix(registry.as_str()).unwrap_or(image);
        let mut pieces = rest.split(':');
        let _before = pieces.next();
        if let Some(tag) = pieces.next() {
            return Err(ImageRefError::IncludesTag {
                image: image.to_owned(),
                tag: tag.to_owned(),
            });
        }
        let insecure_default = insecure || plain_http_by_default(&registry);
        let repository = canonical_repository(&registry, &reference.repo.repository);
        Ok(ImageRef {
            registry,
            repository,
            insecure_default,
        })
    }

    /// The canonical name: `registry + "/" + repository`, e.g.
    /// `index.docker.io/library/alpine`.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// `"http"` when [`ImageRef::insecure_default`] is set, `"https"` otherwise.
    pub fn scheme(&self) -> &'static str {
        if self.insecure_default {
            "http"
        } else {
            "https"
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)
    }
}

/// A full image reference such as `ghcr.io/org/app:1.2.3` or `nginx@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParsedReference {
    /// The registry host (`index.docker.io` when none is written).
    pub registry: String,
    /// The repository path, with `library/` added for one-component Docker Hub names.
    pub repository: String,
    /// The tag as written; `None` when the reference has no tag (which means `latest` when
    /// there is no digest either, see [`ParsedReference::identifier`]).
    pub tag: Option<String>,
    /// The digest as written (`sha256:<64 hex>`), if any.
    pub digest: Option<String>,
}

impl ParsedReference {
    /// `registry/repository`, e.g. `index.docker.io/library/nginx`.
    pub fn canonical_repository(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// What go-containerregistry's `Identifier()` returns: the digest if there is one (a tag
    /// written next to a digest is then ignored), else the tag, else `latest`.
    pub fn identifier(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest,
            (None, Some(tag)) => tag,
            (None, None) => DEFAULT_TAG,
        }
    }

    /// What go-containerregistry's `Name()` returns: `repo@digest` for a digest reference,
    /// else `repo:tag` (with `latest` filled in).
    pub fn name(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{}", self.canonical_repository(), digest),
            None => format!("{}:{}", self.canonical_repository(), self.identifier()),
        }
    }
}

/// Parses a full reference (`name.ParseReference(s, name.WeakValidation)`): a repository
/// with an optional `:tag` and/or `@sha256:<hex>`. A bare name such as `foo:5000/bar` is
/// valid and means tag `latest` (its [`ParsedReference::tag`] is `None`).
///
/// # Errors
///
/// [`ImageRefError::Unparsable`] with the text `could not parse reference: <s>`.
pub fn parse_reference(s: &str) -> Result<ParsedReference, ImageRefError> {
    let reference = parse_go_reference(s).ok_or_else(|| ImageRefError::Unparsable {
        reference: s.to_owned(),
    })?;
    let repository = canonical_repository(&reference.repo.registry, &reference.repo.repository);
    Ok(ParsedReference {
        registry: reference.repo.registry,
        repository,
        tag: reference.tag,
        digest: reference.digest,
    })
}

/// A repository as go-containerregistry stores it: registry already defaulted and
/// de-aliased, repository path as written (without the implicit `library/`).
#[derive(Debug, Clone)]
struct Repo {
    registry: String,
    repository: String,
}

/// The result of the tag-or-digest parse.
#[derive(Debug, Clone)]
struct GoReference {
    repo: Repo,
    tag: Option<String>,
    digest: Option<String>,
}

/// Tag first, then digest, as `ParseReference` does.
fn parse_go_reference(s: &str) -> Option<GoReference> {
    if let Some((repo, tag)) = new_tag(s) {
        return Some(GoReference {
            repo,
            tag,
            digest: None,
        });
    }
    new_digest(s)
}

/// `NewTag` with weak validation: a `:` suffix without `/` is the tag.
fn new_tag(name: &str) -> Option<(Repo, Option<String>)> {
    let (base, tag) = match name.rsplit_once(':') {
        Some((base, tag)) if !tag.contains('/') => {
            if tag.is_empty() {
                return None;
            }
            (base, Some(tag))
        }
        _ => (name, None),
    };
    if let Some(tag) = tag
        && !check_element(tag, TAG_CHARS, 1, 128)
    {
        return None;
    }
    let repo = new_repository(base)?;
    Some((repo, tag.map(str::to_owned)))
}

/// `NewDigest`: exactly one `@`, a sha256 digest, and a base that may itself carry a tag.
fn new_digest(name: &str) -> Option<GoReference> {
    let mut parts = name.split('@');
    let base = parts.next()?;
    let digest = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let hex = digest.strip_prefix("sha256:")?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    // A tag written before the digest is accepted and then dropped by the controller's
    // library; we keep it for the caller.
    let (repo, tag) = match new_tag(base) {
        Some((repo, tag)) => (repo, tag),
        None => (new_repository(base)?, None),
    };
    Some(GoReference {
        repo,
        tag,
        digest: Some(digest.to_owned()),
    })
}

/// `NewRepository`: split off the registry if the first component looks like a host.
fn new_repository(name: &str) -> Option<Repo> {
    if name.is_empty() {
        return None;
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
        _ => ("", name),
    };
    if !check_element(repository, REPOSITORY_CHARS, 2, 255) {
        return None;
    }
    if !valid_authority(registry) {
        return None;
    }
    let registry = if registry.is_empty() || registry == DOCKER_HUB_ALIAS {
        DOCKER_HUB_REGISTRY
    } else {
        registry
    };
    Some(Repo {
        registry: registry.to_owned(),
        repository: repository.to_owned(),
    })
}

/// Adds `library/` to one-component Docker Hub repositories.
fn canonical_repository(registry: &str, repository: &str) -> String {
    if registry == DOCKER_HUB_REGISTRY && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_owned()
    }
}

/// Length in characters within bounds and every character from `allowed`.
fn check_element(element: &str, allowed: &str, min: usize, max: usize) -> bool {
    let count = element.chars().count();
    count >= min && count <= max && element.chars().all(|c| allowed.contains(c))
}

/// Whether `//<name>` parses as a URL whose host is exactly `name` (what go-containerregistry
/// checks with Go's `net/url`). The empty string is valid (it means "default registry").
///
/// Go's `net/url` (as built into the controllers, Go ≥ 1.26) accepts `host[:port]` where the
/// host is made of letters, digits, non-ASCII characters and `-._~!$&'()*+,;=<>"`, or a
/// bracketed IPv6 literal at the very start; the port is decimal digits (possibly empty).
fn valid_authority(name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    if let Some(rest) = name.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.parse::<Ipv6Addr>().is_err() {
            return false;
        }
        return valid_optional_port(after);
    }
    let (host, port) = match name.rfind(':') {
        Some(at) => (&name[..at], &name[at..]),
        None => (name, ""),
    };
    if !valid_optional_port(port) {
        return false;
    }
    // Go 1.26 rejects colons in the host part that are not a port separator.
    host.chars().all(|c| !c.is_ascii() || host_char_ok(c))
}

/// ASCII characters Go's `net/url` leaves unescaped in a host.
fn host_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=<>\"".contains(c)
}

/// `""`, `":"` or `":<digits>"`.
fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => port.is_empty(),
    }
}

/// go-containerregistry v0.21.6 `Registry.Scheme() == "http"` without the insecure flag.
fn plain_http_by_default(registry: &str) -> bool {
    let host = registry.split(':').next().unwrap_or(registry);
    is_rfc1918(host)
        || registry.starts_with("localhost:")
        || is_dot_localhost(registry)
        || registry.contains("127.0.0.1")
        || registry.contains("::1")
}

/// `.*\.localhost(:\d{1,5})?$`
fn is_dot_localhost(registry: &str) -> bool {
    let host = match registry.rsplit_once(':') {
        Some((host, port))
            if (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => registry,
    };
    host.ends_with(".localhost")
}

/// A dotted-quad IPv4 address (Go `net.ParseIP`: no leading zeros) in 10/8, 172.16/12 or
/// 192.168/16.
fn is_rfc1918(host: &str) -> bool {
    let mut octets = [0u8; 4];
    let mut count = 0;
    for part in host.split('.') {
        if count == 4 || part.is_empty() || part.len() > 3 {
            return false;
        }
        if !part.bytes().all(|b| b.is_ascii_digit()) || (part.len() > 1 && part.starts_with('0')) {
            return false;
        }
        let Ok(value) = part.parse::<u8>() else {
            return false;
        };
        octets[count] = value;
        count += 1;
    }
    if count != 4 {
        return false;
    }
    match octets {
        [10, ..] => true,
        [172, second, ..] => (16..=31).contains(&second),
        [192, 168, ..] => true,
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn authority_rules() {
        assert!(valid_authority("ghcr.io"));
        assert!(valid_authority("localhost:5000"));
        assert!(valid_authority("[::1]:5000"));
        assert!(valid_authority(":5000"));
        assert!(!valid_authority("a:b"));
        assert!(!valid_authority("user@host.io"));
        assert!(!valid_authority("host.io:1:2"));
        assert!(!valid_authority("ho st.io"));
        assert!(!valid_authority("[nothex]:1"));
    }

    #[test]
    fn private_ranges() {
        assert!(is_rfc1918("10.1.2.3"));
        assert!(is_rfc1918("172.31.0.1"));
        assert!(!is_rfc1918("172.32.0.1"));
        assert!(is_rfc1918("192.168.1.10"));
        assert!(!is_rfc1918("192.168.01.10"));
        assert!(!is_rfc1918("8.8.8.8"));
        assert!(!is_rfc1918("10.1.2"));
    }

    #[test]
    fn tag_before_digest_is_kept() {
        let r = parse_reference(
            "nginx:1.2@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        );
        let r = r.unwrap();
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.repository, "library/nginx");
        assert!(
            r.name()
                .starts_with("index.docker.io/library/nginx@sha256:")
        );
    }
}
