//! The real registry for tests: Debian's `docker-registry` (CNCF distribution 2.8), started on
//! `127.0.0.1:0` with a config and storage of the test's own, and a pusher that uploads blobs and
//! OCI manifests over plain HTTP.
//!
//! When the binary is missing, [`RealRegistry::start`] prints why and returns `None` so the test
//! can skip, unless `CI=true`, where a missing binary fails the test.
//! Shared with the benchmark through `#[path]`, so it depends on nothing else in `support`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use sha2::Digest as _;

/// How the registry authenticates.
#[derive(Debug, Clone)]
pub enum RegistryAuth {
    /// Anyone may pull and push.
    None,
    /// Basic auth against an htpasswd file with these lines.
    Htpasswd(String),
    /// Bearer tokens from `realm`, checked against a certificate bundle.
    Token {
        /// The token server URL.
        realm: String,
        /// `auth.token.service`.
        service: String,
        /// `auth.token.issuer`.
        issuer: String,
        /// The PEM bundle of the token signer.
        cert_pem: String,
    },
}

/// A running `docker-registry`, killed on drop.
pub struct RealRegistry {
    child: Child,
    port: u16,
    _dirs: Vec<tempfile::TempDir>,
}

/// Where `docker-registry` is: `$FLUXTAG_DOCKER_REGISTRY`, else the first on `PATH`.
pub fn find_binary() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("FLUXTAG_DOCKER_REGISTRY") {
        let p = PathBuf::from(explicit);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("docker-registry"))
        .find(|p| p.is_file())
}

/// Skips (returns `None`) with a printed reason, or fails when `CI=true`.
pub fn skip<T>(reason: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason} (CI=true: the real-registry tests must run; install docker-registry)");
    }
    eprintln!(
        "SKIPPED: {reason}; install it with `apt-get install -y --no-install-recommends docker-registry`"
    );
    None
}

impl RealRegistry {
    /// Starts a registry with fresh storage.
    pub fn start(auth: RegistryAuth) -> Option<Self> {
        let storage = tempfile::tempdir().expect("temp dir");
        let path = storage.path().join("storage");
        let mut registry = Self::start_with_storage(auth, &path)?;
        // The storage lives as long as the registry.
        registry._dirs.push(storage);
        Some(registry)
    }

    /// Starts a registry on existing (or new) storage at `storage`.
    pub fn start_with_storage(auth: RegistryAuth, storage: &Path) -> Option<Self> {
        let Some(binary) = find_binary() else {
            return skip("docker-registry is not installed");
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let auth_yaml = match &auth {
            RegistryAuth::None => String::new(),
            RegistryAuth::Htpasswd(lines) => {
                let file = dir.path().join("htpasswd");
                std::fs::write(&file, lines).expect("write htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: fluxtag-test\n    path: {}\n",
                    file.display()
                )
            }
            RegistryAuth::Token {
                realm,
                service,
                issuer,
                cert_pem,
            } => {
                let file = dir.path().join("token-signer.pem");
                std::fs::write(&file, cert_pem).expect("write cert");
                format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                    file.display()
                )
            }
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  redirect:\n    disable: true\nhttp:\n  addr: 127.0.0.1:0\n{auth_yaml}",
            storage.display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config");
        let mut child = Command::new(&binary)
            .arg("serve")
            .arg(&config_path)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        // Reads the log for the port, then keeps draining it so the registry never blocks on it.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.is_some() {
                    if let Some(port) = parse_port(&line) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(Ok(port));
                        }
                        continue;
                    }
                    log.push(line);
                }
            }
            if let Some(tx) = tx {
                let _ = tx.send(Err(log.join("\n")));
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Ok(port)) => port,
            Ok(Err(log)) => {
                let _ = child.kill();
                panic!("docker-registry exited before listening:\n{log}");
            }
            Err(_) => {
                let _ = child.kill();
                panic!("docker-registry did not report its port within 15 s");
            }
        };
        Some(Self {
            child,
            port,
            _dirs: vec![dir],
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for RealRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on 127.0.0.1:")? + "listening on 127.0.0.1:".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `sha256:<hex>` of bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

/// Pushes images to a registry the way a client without Docker does.
pub struct Pusher {
    http: reqwest::Client,
    base: String,
    authorization: Option<String>,
}

impl Pusher {
    /// A pusher for the registry at `base` (`http://127.0.0.1:PORT`), sending `authorization`
    /// (a whole `Authorization` value) with every request.
    pub fn new(base: &str, authorization: Option<String>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("http client"),
            base: base.to_owned(),
            authorization,
        }
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.authorization {
            Some(a) => req.header("authorization", a),
            None => req,
        }
    }

    /// Uploads a blob (monolithic: POST, then PUT with the digest) and returns its digest.
    pub async fn upload_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let resp = self
            .auth(
                self.http
                    .post(format!("{}/v2/{repo}/blobs/uploads/", self.base)),
            )
            .send()
            .await
            .expect("start upload");
        assert_eq!(resp.status().as_u16(), 202, "start upload of {repo}");
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload location")
            .to_owned();
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let resp = self
            .auth(
                self.http
                    .put(format!("{location}{separator}digest={digest}"))
                    .header("content-type", "application/octet-stream")
                    .body(bytes.to_vec()),
            )
            .send()
            .await
            .expect("finish upload");
        assert_eq!(resp.status().as_u16(), 201, "finish upload of {repo}");
        digest
    }

    /// Pushes one OCI manifest under `tag` and returns its digest (the sha256 of its bytes).
    pub async fn push_manifest(&self, repo: &str, tag: &str, manifest: &[u8]) -> String {
        let resp = self
            .auth(
                self.http
                    .put(format!("{}/v2/{repo}/manifests/{tag}", self.base))
                    .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                    .body(manifest.to_vec()),
            )
            .send()
            .await
            .expect("push manifest");
        assert_eq!(resp.status().as_u16(), 201, "push {repo}:{tag}");
        let digest = sha256_digest(manifest);
        let answered = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(answered, digest, "the registry's digest of {repo}:{tag}");
        digest
    }

    /// Pushes a tiny image (one config blob, one layer) under each tag; every tag gets its own
    /// manifest (an annotation names the tag). Returns `(tag, digest)` pairs in the given order.
    pub async fn push_image(&self, repo: &str, tags: &[&str]) -> Vec<(String, String)> {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;
        let layer = format!("layer of {repo}").into_bytes();
        let config_digest = self.upload_blob(repo, config).await;
        let layer_digest = self.upload_blob(repo, &layer).await;
        let mut out = Vec::new();
        for tag in tags {
            let manifest = manifest_bytes(
                &config_digest,
                config.len(),
                &layer_digest,
                layer.len(),
                tag,
            );
            let digest = self.push_manifest(repo, tag, &manifest).await;
            out.push(((*tag).to_owned(), digest));
        }
        out
    }
}

/// The bytes of an OCI image manifest.
pub fn manifest_bytes(
    config_digest: &str,
    config_size: usize,
    layer_digest: &str,
    layer_size: usize,
    tag: &str,
) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            r#""config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"#,
            r#""layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}],"#,
            r#""annotations":{{"org.opencontainers.image.version":"{}"}}}}"#
        ),
        config_digest, config_size, layer_digest, layer_size, tag
    )
    .into_bytes()
}
