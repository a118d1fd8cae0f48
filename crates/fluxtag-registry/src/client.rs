//! [`RegistryClient`]: the OCI distribution API over HTTP, for tag lists and manifest digests.
//!
//! What it does for every request: a per-host concurrency limit, connect and total timeouts,
//! bounded retries with exponential backoff on 5xx and on 429 (honouring `Retry-After`),
//! authentication on a 401 challenge (see [`crate::auth`]), a redirect limit, a cap on the size of
//! a response, and a typed [`RegistryError`] for every failure.
//!
//! Tag lists follow `Link: <…>; rel="next"` as given, relative or absolute, on the same scheme, host
//! and port only, with a guard against pages that link back and a cap on the number of pages.
//! Digests come from a `HEAD` of the manifest (`Docker-Content-Digest`), with a `GET` and a
//! sha256 of the body for registries that leave the header out.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, LINK, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use sha2::Digest as _;
use tokio::sync::Semaphore;

use crate::auth::{AuthCache, Challenge, TokenResponse, basic_header, form_encode};
use crate::credentials::{Credential, CredentialOrigin, CredentialStore, Lookup};
use crate::env::Environment;
use crate::error::RegistryError;
use crate::link::next_link;
use crate::reference::{RepositoryRef, Scheme, is_docker_hub};
use crate::secret::Secret;
use crate::time::parse_retry_after;

/// The manifest and index media types a digest lookup accepts (OCI and Docker).
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// The largest response body read (tag lists of very large repositories stay far below).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Knobs of [`RegistryClient`]. The defaults suit a command-line run against public registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for one request, from sending it to the end of the body.
    pub request_timeout: Duration,
    /// Retries after a 5xx or 429 answer (so `max_retries + 1` requests at most).
    pub max_retries: u32,
    /// The first backoff; it doubles with every retry.
    pub backoff_base: Duration,
    /// The longest backoff between two retries.
    pub max_backoff: Duration,
    /// The longest `Retry-After` this client waits for; a longer one fails at once with
    /// [`RegistryError::RateLimited`] and the reset time.
    pub max_retry_after: Duration,
    /// Requests in flight to one host at most.
    pub per_host_concurrency: usize,
    /// Pages of a tag list at most; more is an error rather than a silently short list.
    pub max_pages: usize,
    /// The `n` sent with the first tag list request (`None`: the registry's default). Registries
    /// that ignore it or cap it still work; ECR rejects more than 1000.
    pub page_size: Option<u32>,
    /// Redirects followed per request at most.
    pub max_redirects: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            per_host_concurrency: 16,
            max_pages: 1_000,
            page_size: Some(1_000),
            max_redirects: 5,
            user_agent: format!("fluxtag/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// A response read to its end.
struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A failure below the HTTP status level.
enum SendError {
    Http(reqwest::Error),
    TooLarge,
}

/// One page of `GET /v2/<name>/tags/list`.
#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The error body of the distribution API.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// A client of the OCI distribution API, with the user's credentials.
///
/// Cheap to share behind an `Arc`; all methods take `&self`. Tokens live in memory only.
pub struct RegistryClient {
    http: reqwest::Client,
    options: ClientOptions,
    env: Arc<dyn Environment>,
    credentials: CredentialStore,
    auth: AuthCache,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client that reads credentials and proxy settings from `env`.
    pub fn new(options: ClientOptions, env: Arc<dyn Environment>) -> Result<Self, RegistryError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(options.max_redirects))
            // Proxies come from the injected environment, never from the process behind its back.
            .no_proxy();
        for proxy in proxies(env.as_ref())? {
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| RegistryError::Setup {
            detail: root_cause(&e),
        })?;
        Ok(Self {
            http,
            options,
            credentials: CredentialStore::new(Arc::clone(&env)),
            env,
            auth: AuthCache::default(),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// The options in use.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The credential store this client reads.
    pub fn credentials(&self) -> &CredentialStore {
        &self.credentials
    }

    /// Every tag of a repository, from all pages, without duplicates, sorted descending by bytes.
    /// No exclusion list is applied here.
    pub async fn list_tags(&self, repo: &RepositoryRef) -> Result<Vec<String>, RegistryError> {
        let image = repo.canonical();
        let host = repo.api_host().to_owned();
        let mut url =
            Url::parse(&repo.tags_url()).map_err(|e| RegistryError::InvalidReference {
                image: image.clone(),
                detail: e.to_string(),
            })?;
        if let Some(n) = self.options.page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let origin = url.origin();
        let mut seen = HashSet::new();
        let mut tags = Vec::new();
        let mut pages = 0_usize;
        loop {
            pages += 1;
            if pages > self.options.max_pages {
                return Err(RegistryError::Protocol {
                    host,
                    detail: format!(
                        "the tag list of {image} has more than {} pages; stopped rather than \
                         return part of it",
                        self.options.max_pages
                    ),
                });
            }
            seen.insert(url.as_str().to_owned());
            let fetched = self
                .request(repo, Method::GET, url.clone(), "application/json", &image)
                .await?;
            let page: TagPage =
                serde_json::from_slice(&fetched.body).map_err(|e| RegistryError::Protocol {
                    host: host.clone(),
                    detail: format!("the tag list of {image} is not the expected JSON ({e})"),
                })?;
            tags.extend(page.tags.unwrap_or_default());
            let links = fetched
                .headers
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let Some(next) = next_link(links) else { break };
            let next = url.join(&next).map_err(|e| RegistryError::Protocol {
                host: host.clone(),
                detail: format!("invalid next-page link {next:?} ({e})"),
            })?;
            if next.origin() != origin {
                return Err(RegistryError::Protocol {
                    host,
                    detail: format!(
                        "the next page of the tag list of {image} is on another host ({}); not \
                         following it",
                        next.host_str().unwrap_or("?")
                    ),
                });
            }
            if seen.contains(next.as_str()) {
                tracing::warn!(%image, %host, "tag list pages link back to a page already read; stopping there");
                break;
            }
            url = next;
        }
        tags.sort_unstable_by(|a, b| b.cmp(a));
        tags.dedup();
        Ok(tags)
    }

    /// The digest (`sha256:…`) of the manifest or index that `tag` points at.
    pub async fn digest(&self, repo: &RepositoryRef, tag: &str) -> Result<String, RegistryError> {
        let image = format!("{}:{tag}", repo.canonical());
        if !is_valid_tag(tag) {
            return Err(RegistryError::InvalidReference {
                image,
                detail: "a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with \
                         '.' or '-'"
                    .to_owned(),
            });
        }
        let url =
            Url::parse(&repo.manifest_url(tag)).map_err(|e| RegistryError::InvalidReference {
                image: image.clone(),
                detail: e.to_string(),
            })?;
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let head = self
            .request(repo, Method::HEAD, url.clone(), &accept, &image)
            .await?;
        if let Some(digest) = header_digest(&head.headers) {
            return Ok(digest);
        }
        let get = self
            .request(repo, Method::GET, url, &accept, &image)
            .await?;
        if let Some(digest) = header_digest(&get.headers) {
            return Ok(digest);
        }
        Ok(format!("sha256:{:x}", sha2::Sha256::digest(&get.body)))
    }

    /// One registry API request with authentication, retries and status mapping; returns the
    /// successful response.
    async fn request(
        &self,
        repo: &RepositoryRef,
        method: Method,
        url: Url,
        accept: &str,
        image: &str,
    ) -> Result<Fetched, RegistryError> {
        let host = repo.api_host().to_owned();
        let scope = format!("repository:{}:pull", repo.repository);
        let mut auth_note: Option<String> = None;
        let mut authenticated = false;
        loop {
            let mut auth = self.auth.header(&host, &scope, self.env.now());
            if auth.is_none()
                && !authenticated
                && let Some((realm, service)) = self.auth.realm(&host)
            {
                // A token server we know: get the token first rather than collect a 401.
                let challenge = Challenge::Bearer {
                    realm,
                    service,
                    scope: None,
                    error: None,
                };
                auth_note = Some(
                    self.authenticate(repo, Some(challenge), &scope, image)
                        .await?,
                );
                auth = self.auth.header(&host, &scope, self.env.now());
            }
            let fetched = self
                .send_with_retries(&host, || {
                    let mut req = self
                        .http
                        .request(method.clone(), url.clone())
                        .header(ACCEPT, accept);
                    if let Some(auth) = &auth {
                        req = req.header(AUTHORIZATION, auth.expose());
                    }
                    req
                })
                .await?;
            let status = fetched.status;
            if status.is_success() {
                return Ok(fetched);
            }
            match status {
                StatusCode::UNAUTHORIZED if !authenticated => {
                    authenticated = true;
                    self.auth.forget_token(&host, &scope);
                    self.auth.forget_basic(&host);
                    let challenge = fetched
                        .headers
                        .get_all(WWW_AUTHENTICATE)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .find_map(crate::auth::parse_challenge);
                    auth_note = Some(self.authenticate(repo, challenge, &scope, image).await?);
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    let registry_message = error_message(&fetched.body);
                    let detail = [registry_message, auth_note]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(RegistryError::Unauthorized {
                        host,
                        image: image.to_owned(),
                        status: status.as_u16(),
                        login: login_name(repo),
                        detail: Some(detail).filter(|d| !d.is_empty()),
                    });
                }
                StatusCode::NOT_FOUND => {
                    return Err(RegistryError::NotFound {
                        host,
                        image: image.to_owned(),
                    });
                }
                _ => {
                    return Err(RegistryError::UnexpectedStatus {
                        host,
                        image: image.to_owned(),
                        status: status.as_u16(),
                        detail: error_message(&fetched.body),
                    });
                }
            }
        }
    }

    /// Answers a 401 challenge: gets a token or sets up Basic auth. Returns a note on which
    /// credentials were used, for the error message if the registry still refuses.
    async fn authenticate(
        &self,
        repo: &RepositoryRef,
        challenge: Option<Challenge>,
        scope: &str,
        image: &str,
    ) -> Result<String, RegistryError> {
        let host = repo.api_host();
        let lookup = self
            .credentials
            .lookup(&repo.registry, &repo.repository)
            .await;
        for problem in &lookup.problems {
            tracing::warn!(registry = %repo.registry, "credentials not used: {problem}");
        }
        let note = credential_note(repo, &lookup);
        let credential = lookup.found.as_ref().map(|f| &f.credential);
        match challenge {
            None => Err(RegistryError::Unauthorized {
                host: host.to_owned(),
                image: image.to_owned(),
                status: 401,
                login: login_name(repo),
                detail: Some(format!(
                    "the registry sent no usable WWW-Authenticate challenge; {note}"
                )),
            }),
            Some(Challenge::Basic) => {
                if let Some(header) = credential.and_then(basic_header) {
                    self.auth.store_basic(host, header);
                }
                Ok(note)
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenge_scope,
                ..
            }) => {
                self.auth.store_realm(host, &realm, service.as_deref());
                let wanted_scope = challenge_scope.as_deref().unwrap_or(scope);
                let (token, lifetime) = self
                    .fetch_token(repo, &realm, service.as_deref(), wanted_scope, credential)
                    .await?;
                self.auth
                    .store_token(host, scope, &token, lifetime, self.env.now());
                Ok(note)
            }
        }
    }

    /// Gets a token from the token server named by a Bearer challenge.
    ///
    /// Long because it is one exchange read top to bottom: the request (with or without the
    /// credential), then each way the answer can fail, each mapped to its own error for the
    /// user; the mapping reads best next to the request it is about.
    async fn fetch_token(
        &self,
        repo: &RepositoryRef,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credential: Option<&Credential>,
    ) -> Result<(Secret, Duration), RegistryError> {
        let registry_host = repo.api_host().to_owned();
        let mut url = Url::parse(realm).map_err(|e| RegistryError::Protocol {
            host: registry_host.clone(),
            detail: format!("the token realm {realm:?} is not a URL ({e})"),
        })?;
        let realm_host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        match url.scheme() {
            "https" => {}
            // Plain HTTP only for a registry that is itself reached over plain HTTP.
            "http" if repo.scheme == Scheme::Http => {}
            other => {
                return Err(RegistryError::Protocol {
                    host: registry_host,
                    detail: format!(
                        "the token realm uses {other}:// for an HTTPS registry; refusing to send \
                         credentials there"
                    ),
                });
            }
        }
        let response = match credential {
            Some(Credential::IdentityToken { token, .. }) => {
                let mut pairs = vec![
                    ("grant_type", "refresh_token"),
                    ("client_id", "fluxtag"),
                    ("scope", scope),
                ];
                if let Some(service) = service {
                    pairs.push(("service", service));
                }
                pairs.push(("refresh_token", token.expose()));
                let body = Secret::new(form_encode(&pairs));
                self.send_with_retries(&realm_host, || {
                    self.http
                        .post(url.clone())
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(body.expose().to_owned())
                })
                .await?
            }
            other => {
                {
                    let mut query = url.query_pairs_mut();
                    if let Some(service) = service {
                        query.append_pair("service", service);
                    }
                    query.append_pair("scope", scope);
                    if let Some(Credential::Basic { username, .. }) = other {
                        query.append_pair("account", username);
                    }
                }
                let header = other.and_then(basic_header);
                self.send_with_retries(&realm_host, || {
                    let mut req = self.http.get(url.clone());
                    if let Some(header) = &header {
                        req = req.header(AUTHORIZATION, header.expose());
                    }
                    req
                })
                .await?
            }
        };
        match response.status {
            s if s.is_success() => {}
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                let lookup_note = if credential.is_some() {
                    "the token server refused the stored credentials"
                } else {
                    "the token server refused an anonymous token"
                };
                return Err(RegistryError::Unauthorized {
                    host: realm_host,
                    image: repo.canonical(),
                    status: s.as_u16(),
                    login: login_name(repo),
                    detail: Some(lookup_note.to_owned()),
                });
            }
            s => {
                return Err(RegistryError::UnexpectedStatus {
                    host: realm_host,
                    image: repo.canonical(),
                    status: s.as_u16(),
                    detail: Some("from the token server".to_owned()),
                });
            }
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&response.body).map_err(|e| RegistryError::Protocol {
                host: realm_host.clone(),
                detail: format!("the token response is not the expected JSON ({e})"),
            })?;
        parsed.into_token().ok_or(RegistryError::Protocol {
            host: realm_host,
            detail: "the token response has neither `token` nor `access_token`".to_owned(),
        })
    }

    /// Sends a request built by `build` (again for every retry), holding a permit of the host's
    /// concurrency limit while it runs, and retries on 5xx and 429. Returns the last response,
    /// whatever its status, unless retries ran out.
    async fn send_with_retries(
        &self,
        host: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Fetched, RegistryError> {
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            let result = {
                let semaphore = self.semaphore(host);
                // The semaphore is never closed, so acquiring cannot fail; if it did, going on
                // without a permit is still correct.
                let _permit = semaphore.acquire().await.ok();
                send(build()).await
            };
            let fetched = match result {
                Ok(f) => f,
                Err(SendError::Http(e)) => return Err(classify(&e, host, &self.options)),
                Err(SendError::TooLarge) => {
                    return Err(RegistryError::Protocol {
                        host: host.to_owned(),
                        detail: format!("a response is larger than {} MiB", MAX_BODY >> 20),
                    });
                }
            };
            let status = fetched.status;
            let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            if !retryable {
                return Ok(fetched);
            }
            let now = self.env.now();
            let retry_after = fetched
                .headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now));
            let too_long = retry_after.is_some_and(|d| d > self.options.max_retry_after);
            if attempt > self.options.max_retries || too_long {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    return Err(RegistryError::RateLimited {
                        host: host.to_owned(),
                        retry_after,
                        reset_at: retry_after.and_then(|d| now.checked_add(d)),
                    });
                }
                return Err(RegistryError::Server {
                    host: host.to_owned(),
                    status: status.as_u16(),
                    attempts: attempt,
                });
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            tracing::debug!(%host, status = status.as_u16(), attempt, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1_u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.options
            .backoff_base
            .saturating_mul(factor)
            .min(self.options.max_backoff)
    }

    fn semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            hosts.entry(host.to_owned()).or_insert_with(|| {
                Arc::new(Semaphore::new(self.options.per_host_concurrency.max(1)))
            }),
        )
    }
}

/// Sends a request and reads the whole body.
async fn send(req: reqwest::RequestBuilder) -> Result<Fetched, SendError> {
    let mut resp = req.send().await.map_err(SendError::Http)?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(SendError::Http)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(SendError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}

/// Maps a transport error to a [`RegistryError`].
fn classify(e: &reqwest::Error, host: &str, options: &ClientOptions) -> RegistryError {
    let host = host.to_owned();
    if e.is_redirect() {
        return RegistryError::TooManyRedirects { host };
    }
    if e.is_timeout() {
        let after = if e.is_connect() {
            options.connect_timeout
        } else {
            options.request_timeout
        };
        return RegistryError::Timeout { host, after };
    }
    if let Some(tls) = find_tls_error(e) {
        return RegistryError::Tls { host, detail: tls };
    }
    RegistryError::Network {
        host,
        detail: root_cause(e),
    }
}

/// The message of a rustls error anywhere in the chain, looking inside (nested) I/O errors too.
fn find_tls_error(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let mut candidate = err;
        loop {
            if let Some(tls) = candidate.downcast_ref::<rustls::Error>() {
                return Some(tls.to_string());
            }
            match candidate
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => candidate = inner,
                None => break,
            }
        }
        current = err.source();
    }
    None
}

/// The innermost message of an error chain ("Connection refused (os error 111)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// `Docker-Content-Digest`, if present and well-formed (`algorithm:hex`).
fn header_digest(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("docker-content-digest")?.to_str().ok()?.trim();
    let (algorithm, hex) = value.split_once(':')?;
    let ok = !algorithm.is_empty()
        && algorithm
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| value.to_owned())
}

/// Whether a tag matches `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The registry's own error message from a distribution error body, shortened.
fn error_message(body: &[u8]) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let first = parsed.errors.into_iter().next()?;
    let mut text = match (first.code.is_empty(), first.message.is_empty()) {
        (false, false) => format!("{}: {}", first.code, first.message),
        (false, true) => first.code,
        (true, false) => first.message,
        (true, true) => return None,
    };
    if text.len() > 200 {
        let mut cut = 200;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    Some(text)
}

/// The name to give `docker login` for a repository's registry.
fn login_name(repo: &RepositoryRef) -> String {
    if is_docker_hub(&repo.registry) {
        "docker.io".to_owned()
    } else {
        repo.registry.clone()
    }
}

/// Which credentials were used, or why none were.
fn credential_note(repo: &RepositoryRef, lookup: &Lookup) -> String {
    let mut note = match &lookup.found {
        Some(found) => match &found.origin {
            CredentialOrigin::File(path) => format!("used the credentials in {}", path.display()),
            CredentialOrigin::Helper(helper) => format!("used the credentials from {helper}"),
        },
        None => format!("no stored credentials for {}", login_name(repo)),
    };
    for problem in &lookup.problems {
        note.push_str("; ");
        note.push_str(&problem.0);
    }
    note
}

/// Proxies from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case).
fn proxies(env: &dyn Environment) -> Result<Vec<reqwest::Proxy>, RegistryError> {
    let get = |name: &str| {
        env.var(name)
            .or_else(|| env.var(&name.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let no_proxy = get("NO_PROXY").and_then(|v| reqwest::NoProxy::from_string(&v));
    let setup = |e: reqwest::Error| RegistryError::Setup {
        detail: format!("invalid proxy setting ({})", root_cause(&e)),
    };
    let mut out = Vec::new();
    if let Some(url) = get("HTTPS_PROXY") {
        out.push(
            reqwest::Proxy::https(url.as_str())
                .map_err(setup)?
                .no_proxy(no_proxy.clone()),
        );
    }
    if let Some(url) = get("HTTP_PROXY") {
        out.push(
            reqwest::Proxy::http(url.as_str())
                .map_err(setup)?
                .no_proxy(no_proxy.clone()),
        );
    }
    if let Some(url) = get("ALL_PROXY") {
        out.push(
            reqwest::Proxy::all(url.as_str())
                .map_err(setup)?
                .no_proxy(no_proxy),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked() {
        let mut h = HeaderMap::new();
        let d = format!("sha256:{}", "a".repeat(64));
        h.insert("docker-content-digest", d.parse().unwrap());
        assert_eq!(header_digest(&h), Some(d));
        h.insert("docker-content-digest", "sha256:xyz".parse().unwrap());
        assert_eq!(header_digest(&h), None);
        h.insert("docker-content-digest", "nonsense".parse().unwrap());
        assert_eq!(header_digest(&h), None);
    }

    #[test]
    fn tags_are_checked() {
        assert!(is_valid_tag("v1.2.3-rc.1_x"));
        assert!(is_valid_tag("_x"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag("-x"));
        assert!(!is_valid_tag("a/b"));
        assert!(!is_valid_tag("a?b"));
        assert!(!is_valid_tag(&"a".repeat(129)));
    }

    #[test]
    fn registry_error_messages_are_short() {
        let body = br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":[{"x":1}]}]}"#;
        assert_eq!(
            error_message(body).as_deref(),
            Some("DENIED: requested access to the resource is denied")
        );
        assert_eq!(error_message(b"<html>"), None);
        let long = format!(r#"{{"errors":[{{"message":"{}"}}]}}"#, "é".repeat(300));
        assert!(error_message(long.as_bytes()).unwrap().len() <= 204);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let client = RegistryClient::new(
            ClientOptions::default(),
            Arc::new(crate::env::FixedEnvironment::new()),
        )
        .unwrap();
        assert_eq!(client.backoff(1), Duration::from_millis(500));
        assert_eq!(client.backoff(2), Duration::from_secs(1));
        assert_eq!(client.backoff(5), Duration::from_secs(8));
        assert_eq!(client.backoff(40), Duration::from_secs(8));
    }
}
