//! Registry authentication: the `WWW-Authenticate` challenge, the Bearer token flow, Basic auth,
//! and the tokens in memory.
//!
//! A request first goes out with whatever this client already holds for the host and scope (a
//! token that has not expired, or Basic credentials the host asked for before). On a 401 the
//! challenge says what the registry wants: `Bearer realm=…,service=…,scope=…` sends us to the
//! token server (with the user's credentials when there are any, anonymously otherwise), `Basic`
//! asks for the credentials themselves.
//!
//! Tokens are kept per host and scope until `expires_in` (60 s when the server does not say) has
//! passed on the environment's clock. Tokens and credentials are [`Secret`]s: never logged, never
//! in an error, never written to disk.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde::Deserialize;

use crate::credentials::Credential;
use crate::secret::Secret;

/// Lifetime of a token whose response has no `expires_in`.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// The longest a token is kept, whatever `expires_in` says.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Bearer realm="…",service="…",scope="…"`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
        /// The `error` parameter (`invalid_token`, `insufficient_scope`), if any.
        error: Option<String>,
    },
    /// `Basic realm="…"`.
    Basic,
}

/// Parses the first challenge of a `WWW-Authenticate` value that this client can answer.
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let params = parse_params(rest);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
            scope: get("scope"),
            error: get("error"),
        })
    } else if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else {
        None
    }
}

/// Parses `k1="v1", k2=v2` into pairs; quoted values may contain commas and `\"`.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => break,
                        _ => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        let key = key.trim();
        if !key.is_empty() {
            out.push((key.to_owned(), value.trim().to_owned()));
        }
        if chars.peek().is_none() {
            break;
        }
    }
    out
}

/// A token server's answer: `token` or `access_token`, and optionally `expires_in`.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenResponse {
    /// The token and its lifetime, or `None` if the answer has no token.
    pub(crate) fn into_token(self) -> Option<(Secret, Duration)> {
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let lifetime = self
            .expires_in
            .filter(|s| *s > 0)
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Some((Secret::new(token), lifetime))
    }
}

/// `Authorization: Basic …` for a credential; `None` for an identity token, which only a token
/// server accepts.
pub(crate) fn basic_header(credential: &Credential) -> Option<Secret> {
    match credential {
        Credential::Basic { username, password } => {
            let raw = format!("{username}:{}", password.expose());
            Some(Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )))
        }
        Credential::IdentityToken { .. } => None,
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(k, &mut out);
        out.push('=');
        encode_component(v, &mut out);
    }
    out
}

fn encode_component(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// A token with its expiry time on the environment's clock.
struct CachedToken {
    header: Secret,
    expires_at: SystemTime,
}

/// What this client holds in memory to authenticate: tokens per (host, scope), and the Basic
/// header per host for hosts that asked for Basic.
#[derive(Default)]
pub(crate) struct AuthCache {
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
    basic: Mutex<HashMap<String, Secret>>,
    /// The token server (realm, service) each host sent us to, so that a token for another
    /// repository, or a renewed one, is fetched before the request instead of after a 401.
    realms: Mutex<HashMap<String, (String, Option<String>)>>,
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthCache(<redacted>)")
    }
}

impl AuthCache {
    /// The `Authorization` value to send to `host` for `scope` right now, if any.
    pub(crate) fn header(&self, host: &str, scope: &str, now: SystemTime) -> Option<Secret> {
        {
            let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            let key = (host.to_owned(), scope.to_owned());
            if let Some(token) = tokens.get(&key) {
                if now < token.expires_at {
                    return Some(token.header.clone());
                }
                tokens.remove(&key);
            }
        }
        self.basic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(host)
            .cloned()
    }

    /// Keeps a bearer token for `lifetime` from `now`, less a small margin so that a token is
    /// renewed before the registry starts refusing it.
    pub(crate) fn store_token(
        &self,
        host: &str,
        scope: &str,
        token: &Secret,
        lifetime: Duration,
        now: SystemTime,
    ) {
        let margin = if lifetime > Duration::from_secs(20) {
            Duration::from_secs(5)
        } else {
            Duration::ZERO
        };
        let cached = CachedToken {
            header: Secret::new(format!("Bearer {}", token.expose())),
            expires_at: now
                .checked_add(lifetime.min(MAX_TOKEN_LIFETIME).saturating_sub(margin))
                .unwrap_or(now),
        };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((host.to_owned(), scope.to_owned()), cached);
    }

    /// Remembers the token server of `host`.
    pub(crate) fn store_realm(&self, host: &str, realm: &str, service: Option<&str>) {
        self.realms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                host.to_owned(),
                (realm.to_owned(), service.map(str::to_owned)),
            );
    }

    /// The token server of `host`, if it sent a Bearer challenge before.
    pub(crate) fn realm(&self, host: &str) -> Option<(String, Option<String>)> {
        self.realms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(host)
            .cloned()
    }

    /// Forgets the token for `host` and `scope` (the registry refused it).
    pub(crate) fn forget_token(&self, host: &str, scope: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(host.to_owned(), scope.to_owned()));
    }

    /// Sends Basic auth to `host` from now on.
    pub(crate) fn store_basic(&self, host: &str, header: Secret) {
        self.basic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(host.to_owned(), header);
    }

    /// Forgets the Basic header of `host` (the registry refused it).
    pub(crate) fn forget_basic(&self, host: &str) {
        self.basic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
                error: None,
            })
        );
    }

    #[test]
    fn bearer_challenge_with_spaces_commas_and_error() {
        let c = parse_challenge(
            r#"bearer realm="http://127.0.0.1:1/t", scope="repository:a/b:pull,push", error="invalid_token""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:1/t".into(),
                service: None,
                scope: Some("repository:a/b:pull,push".into()),
                error: Some("invalid_token".into()),
            })
        );
    }

    #[test]
    fn basic_and_unknown_challenges() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn token_response_variants() {
        let t: TokenResponse = serde_json::from_str(r#"{"token":"a","expires_in":300}"#).unwrap();
        let (s, d) = t.into_token().unwrap();
        assert_eq!(s.expose(), "a");
        assert_eq!(d, Duration::from_secs(300));
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"b"}"#).unwrap();
        let (s, d) = t.into_token().unwrap();
        assert_eq!(s.expose(), "b");
        assert_eq!(d, DEFAULT_TOKEN_LIFETIME);
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert!(t.into_token().is_none());
    }

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode(&[("scope", "repository:a/b:pull"), ("x", "a b&c")]),
            "scope=repository%3Aa%2Fb%3Apull&x=a+b%26c"
        );
    }

    #[test]
    fn tokens_expire_on_the_given_clock() {
        let cache = AuthCache::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        cache.store_token("h", "s", &Secret::new("tok"), Duration::from_secs(60), t0);
        assert!(cache.header("h", "s", t0).is_some());
        assert!(cache.header("h", "other", t0).is_none());
        assert!(
            cache
                .header("h", "s", t0 + Duration::from_secs(54))
                .is_some()
        );
        assert!(
            cache
                .header("h", "s", t0 + Duration::from_secs(56))
                .is_none()
        );
    }
}
