//! The user's registry credentials, read where `docker login` and `podman login` keep them.
//!
//! Sources, in order; the first that has an entry for the registry wins:
//! 1. the file named by `REGISTRY_AUTH_FILE` (Podman, Buildah, Skopeo);
//! 2. Docker's `config.json` in `$DOCKER_CONFIG`, or `~/.docker/config.json`;
//! 3. Podman's `$XDG_RUNTIME_DIR/containers/auth.json`, then `$XDG_CONFIG_HOME/containers/auth.json`
//!    (`~/.config/containers/auth.json`).
//!
//! In each file: a `credHelpers` entry for the registry, else the `credsStore`, else the `auths`
//! entry (`auth`, base64 of `user:password`, or `identitytoken`). Helpers run as
//! `docker-credential-<name> get` with the server on stdin, found on the environment's `PATH`.
//! Docker Hub is stored under `https://index.docker.io/v1/`. Podman's keys may name a namespace or
//! repository (`quay.io/acme`); the longest matching key wins.
//!
//! A credential source that is broken (unreadable JSON, a helper that fails) is reported as a
//! [`CredentialProblem`] and the registry is tried anonymously; the problem is then part of the
//! error if the registry refuses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::OnceCell;

use crate::env::Environment;
use crate::reference::is_docker_hub;
use crate::secret::Secret;

/// The key Docker uses for Docker Hub in `config.json` and with credential helpers.
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// How long a credential helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or access token), sent as Basic auth or to the token server.
    Basic {
        /// The user name.
        username: String,
        /// The password or access token.
        password: Secret,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token server.
    IdentityToken {
        /// The user name, if one was stored.
        username: Option<String>,
        /// The refresh token.
        token: Secret,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credential::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// Where a credential came from (for messages; never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// An `auths` entry of a file.
    File(PathBuf),
    /// A credential helper (`docker-credential-<name>`).
    Helper(String),
}

/// Credentials found for a registry, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCredential {
    /// The credential.
    pub credential: Credential,
    /// Its source.
    pub origin: CredentialOrigin,
}

/// A credential source that could not be used; the registry is tried without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialProblem(pub String);

/// The outcome of a lookup: credentials (or none), and the problems met on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    /// The credentials to use, if any were found.
    pub found: Option<FoundCredential>,
    /// Sources that were broken.
    pub problems: Vec<CredentialProblem>,
}

/// A parsed auth file (`config.json` or `auth.json`).
#[derive(Debug, Default, Deserialize)]
struct AuthFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

/// One auth file as loaded: the path, and the content or why it could not be read.
#[derive(Debug)]
struct LoadedFile {
    path: PathBuf,
    content: Result<AuthFile, CredentialProblem>,
}

/// The output of `docker-credential-<name> get`.
#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

type HelperResult = Result<Option<Credential>, CredentialProblem>;

/// Helper results by (helper, server), each computed at most once.
type HelperCells = HashMap<(String, String), Arc<OnceCell<HelperResult>>>;

/// Looks up the user's credentials per registry, reading the auth files once and running each
/// credential helper at most once per server.
pub struct CredentialStore {
    env: Arc<dyn Environment>,
    files: OnceCell<Vec<LoadedFile>>,
    helper_results: Mutex<HelperCells>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore").finish_non_exhaustive()
    }
}

impl CredentialStore {
    /// A store that reads the files and helpers that `env` points at.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self {
            env,
            files: OnceCell::new(),
            helper_results: Mutex::new(HashMap::new()),
        }
    }

    /// The auth files this store reads, in order, whether or not they exist.
    pub fn candidate_files(&self) -> Vec<PathBuf> {
        candidate_files(self.env.as_ref())
    }

    /// The credentials for `repository` on `registry` (a normalised registry name such as
    /// `index.docker.io` or `localhost:5000`).
    pub async fn lookup(&self, registry: &str, repository: &str) -> Lookup {
        let files = self
            .files
            .get_or_init(|| async { load_files(self.env.as_ref()).await })
            .await;
        let mut problems = Vec::new();
        let wanted = match_keys(registry, repository);
        for file in files {
            let content = match &file.content {
                Ok(content) => content,
                Err(problem) => {
                    problems.push(problem.clone());
                    continue;
                }
            };
            let helper = best_match(&content.cred_helpers, &wanted)
                .map(|(_, name)| name.clone())
                .or_else(|| content.creds_store.clone())
                .filter(|name| !name.is_empty());
            if let Some(helper) = helper {
                match self.run_helper(&helper, registry).await {
                    Ok(Some(credential)) => {
                        return Lookup {
                            found: Some(FoundCredential {
                                credential,
                                origin: CredentialOrigin::Helper(format!(
                                    "docker-credential-{helper}"
                                )),
                            }),
                            problems,
                        };
                    }
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
            }
            if let Some((key, entry)) = best_match(&content.auths, &wanted) {
                match entry_credential(entry) {
                    Ok(Some(credential)) => {
                        return Lookup {
                            found: Some(FoundCredential {
                                credential,
                                origin: CredentialOrigin::File(file.path.clone()),
                            }),
                            problems,
                        };
                    }
                    Ok(None) => {}
                    Err(reason) => problems.push(CredentialProblem(format!(
                        "the entry {key:?} in {} is unusable: {reason}",
                        file.path.display()
                    ))),
                }
            }
        }
        Lookup {
            found: None,
            problems,
        }
    }

    async fn run_helper(&self, helper: &str, registry: &str) -> HelperResult {
        let server = helper_server(registry);
        let cell = {
            let mut map = self
                .helper_results
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            map.entry((helper.to_owned(), server.clone()))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| run_helper(self.env.as_ref(), helper, &server))
            .await
            .clone()
    }
}

/// The files to read, in order.
fn candidate_files(env: &dyn Environment) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(path) = env.var("REGISTRY_AUTH_FILE").filter(|p| !p.is_empty()) {
        files.push(PathBuf::from(path));
    }
    if let Some(dir) = env.var("DOCKER_CONFIG").filter(|p| !p.is_empty()) {
        files.push(Path::new(&dir).join("config.json"));
    } else if let Some(home) = env.home_dir() {
        files.push(home.join(".docker").join("config.json"));
    }
    if let Some(dir) = env.var("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        files.push(Path::new(&dir).join("containers").join("auth.json"));
    }
    if let Some(dir) = env.var("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        files.push(Path::new(&dir).join("containers").join("auth.json"));
    } else if let Some(home) = env.home_dir() {
        files.push(home.join(".config").join("containers").join("auth.json"));
    }
    files
}

async fn load_files(env: &dyn Environment) -> Vec<LoadedFile> {
    let mut loaded = Vec::new();
    for path in candidate_files(env) {
        let content = match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice::<AuthFile>(&bytes).map_err(|e| {
                // serde_json's messages name a position and the expected type, never the input.
                CredentialProblem(format!("{} is not valid: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => Err(CredentialProblem(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        };
        loaded.push(LoadedFile { path, content });
    }
    loaded
}

/// The normalised keys that match a repository, most specific first: `host/a/b`, `host/a`, `host`.
fn match_keys(registry: &str, repository: &str) -> Vec<String> {
    let host = normalize_host(registry);
    let mut keys = Vec::new();
    let mut path = format!("{host}/{repository}");
    loop {
        keys.push(path.clone());
        match path.rfind('/') {
            Some(i) if i > host.len() => path.truncate(i),
            _ => break,
        }
    }
    keys.push(host);
    keys
}

/// A registry name as the files' keys are compared: Docker Hub's spellings become `docker.io`.
fn normalize_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    if is_docker_hub(&host) {
        "docker.io".to_owned()
    } else {
        host
    }
}

/// A key of `auths` or `credHelpers` as compared: no scheme, Docker Hub's `…/v1/` removed, the
/// host lower-cased, a trailing slash removed.
fn normalize_key(key: &str) -> String {
    let key = key.trim();
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let (host, path) = key.split_once('/').unwrap_or((key, ""));
    let host = normalize_host(host);
    let path = path.trim_end_matches('/');
    // `https://index.docker.io/v1/` and `registry.example.com/v1/` are old-style host keys.
    if path.is_empty() || path == "v1" || path == "v2" {
        host
    } else {
        format!("{host}/{path}")
    }
}

/// The entry whose normalised key is the most specific match.
fn best_match<'a, V>(map: &'a HashMap<String, V>, wanted: &[String]) -> Option<(&'a str, &'a V)> {
    let normalized: Vec<(String, &str, &V)> = map
        .iter()
        .map(|(k, v)| (normalize_key(k), k.as_str(), v))
        .collect();
    wanted.iter().find_map(|w| {
        // Several keys may normalise alike (`ghcr.io`, `https://ghcr.io`): take the
        // alphabetically first original key, so the choice does not depend on hash order.
        normalized
            .iter()
            .filter(|(n, _, _)| n == w)
            .min_by_key(|(_, original, _)| *original)
            .map(|(_, original, v)| (*original, *v))
    })
}

/// The credential of an `auths` entry; `Ok(None)` for an empty entry (what `credsStore` leaves).
fn entry_credential(entry: &AuthEntry) -> Result<Option<Credential>, String> {
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        let username = match entry.auth.as_deref().filter(|a| !a.is_empty()) {
            Some(auth) => Some(decode_auth(auth)?.0),
            None => entry.username.clone(),
        };
        return Ok(Some(Credential::IdentityToken {
            username,
            token: Secret::new(token),
        }));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let (username, password) = decode_auth(auth)?;
        return Ok(Some(Credential::Basic {
            username,
            password: Secret::new(password),
        }));
    }
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credential::Basic {
            username: username.clone(),
            password: Secret::new(password.clone()),
        }));
    }
    Ok(None)
}

/// Decodes `auth`: base64 of `user:password`.
fn decode_auth(auth: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| "`auth` is not valid base64".to_owned())?;
    let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8".to_owned())?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| "`auth` is not of the form user:password".to_owned())?;
    Ok((user.to_owned(), password.to_owned()))
}

/// What a credential helper is asked for: Docker Hub's legacy key, or the registry host.
fn helper_server(registry: &str) -> String {
    if is_docker_hub(registry) {
        DOCKER_HUB_CONFIG_KEY.to_owned()
    } else {
        registry.to_owned()
    }
}

/// Finds `name` in the directories of the environment's `PATH`.
fn find_on_path(env: &dyn Environment, name: &str) -> Option<PathBuf> {
    let path = env.var("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// Runs `docker-credential-<helper> get` for `server`.
async fn run_helper(env: &dyn Environment, helper: &str, server: &str) -> HelperResult {
    let program = format!("docker-credential-{helper}");
    let Some(path) = find_on_path(env, &program) else {
        return Err(CredentialProblem(format!(
            "the credential helper {program} (for {server}) is not on PATH"
        )));
    };
    let mut child = tokio::process::Command::new(&path)
        .arg("get")
        .env_clear()
        .envs(env.child_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CredentialProblem(format!("cannot run {}: {e}", path.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is judged by its exit status below.
        let _ = stdin.write_all(server.as_bytes()).await;
        drop(stdin);
    }
    let output = match tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => {
            return Err(CredentialProblem(format!("{program} get failed: {e}")));
        }
        Err(_) => {
            return Err(CredentialProblem(format!(
                "{program} get did not answer within {} s",
                HELPER_TIMEOUT.as_secs()
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        // The protocol's answer for "nothing stored"; anything else is a failure. The output is not
        // quoted in the message: a misbehaving helper could print a secret.
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        return Err(CredentialProblem(format!(
            "{program} get failed for {server} ({}); run `echo {server} | {program} get` to see why",
            output.status
        )));
    }
    let parsed: HelperOutput = serde_json::from_str(stdout.trim()).map_err(|_| {
        CredentialProblem(format!(
            "{program} get printed something that is not the expected JSON for {server}"
        ))
    })?;
    if parsed.secret.is_empty() {
        return Ok(None);
    }
    if parsed.username == "<token>" {
        return Ok(Some(Credential::IdentityToken {
            username: None,
            token: Secret::new(parsed.secret),
        }));
    }
    Ok(Some(Credential::Basic {
        username: parsed.username,
        password: Secret::new(parsed.secret),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_alike() {
        assert_eq!(normalize_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalize_key("docker.io"), "docker.io");
        assert_eq!(normalize_key("https://GHCR.io"), "ghcr.io");
        assert_eq!(normalize_key("localhost:5000/"), "localhost:5000");
        assert_eq!(normalize_key("quay.io/acme/app"), "quay.io/acme/app");
    }

    #[test]
    fn match_keys_run_from_specific_to_host() {
        assert_eq!(
            match_keys("quay.io", "acme/team/app"),
            vec![
                "quay.io/acme/team/app",
                "quay.io/acme/team",
                "quay.io/acme",
                "quay.io"
            ]
        );
        assert_eq!(
            match_keys("index.docker.io", "library/alpine"),
            vec!["docker.io/library/alpine", "docker.io/library", "docker.io"]
        );
    }

    #[test]
    fn auth_decodes() {
        let auth = base64::engine::general_purpose::STANDARD.encode("me:pa:ss");
        assert_eq!(
            decode_auth(&auth),
            Ok(("me".to_owned(), "pa:ss".to_owned()))
        );
        assert!(decode_auth("!!!").is_err());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("nocolon");
        assert!(decode_auth(&no_colon).is_err());
    }

    #[test]
    fn debug_of_a_credential_hides_the_secret() {
        let c = Credential::Basic {
            username: "me".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
