//! Helpers of the CLI tests: fixture trees copied to temporary directories, the built binary
//! run with a hermetic environment, transcripts for snapshots, and a tiny OCI registry on
//! 127.0.0.1 for the online paths (no test reaches the internet).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// The bundled example.
pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/homelab")
}

/// A fixture tree under `tests/cli/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/fixtures")
        .join(name)
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A private copy of the example, so that `--fix` can write.
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&example(), dir.path());
    dir
}

/// A private copy of a fixture tree.
pub fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// The binary in `dir` with a hermetic environment: only `PATH`, and `HOME` and the XDG
/// directories pointing at an empty directory, so neither a developer's credentials, cache, proxy
/// settings nor `FLUXTAG_*` variables leak in.
pub fn fluxtag_command(dir: &Path) -> Command {
    let home = dir.join(".test-home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_fluxtag"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DOCKER_CONFIG", home.join("docker"));
    command
}

/// Runs the binary in `dir`.
pub fn fluxtag(dir: &Path, args: &[&str]) -> Output {
    fluxtag_command(dir).args(args).output().unwrap()
}

/// Runs `fluxtag check --root . --tags-from tags.json` with `extra` arguments in `dir` (a tree
/// with its tags snapshot).
pub fn check_with_snapshot(dir: &Path, extra: &[&str]) -> Output {
    let args = [
        &["check", "--root", ".", "--tags-from", "tags.json"][..],
        extra,
    ]
    .concat();
    fluxtag(dir, &args)
}

/// Exit code, stdout and stderr as one text for snapshots.
pub fn transcript(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A minimal OCI distribution registry on 127.0.0.1: `GET /v2/<name>/tags/list` and
/// `HEAD`/`GET /v2/<name>/manifests/<tag>` (digest `sha256:` + the tag's bytes in hex, padded),
/// no authentication, one connection at a time, `Connection: close`. It records every request
/// line.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Request lines received (`GET /v2/org/app/tags/list`).
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// The digest the test registry reports for `tag`.
pub fn fake_digest(tag: &str) -> String {
    let hex: String = tag.bytes().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex:0<64}")
}

impl Registry {
    /// Serves `images` (repository path → tags) until the test process ends.
    pub fn start(images: BTreeMap<String, Vec<String>>) -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &images, &log);
            }
        });
        Registry { host, requests }
    }
}

fn serve(
    stream: TcpStream,
    images: &BTreeMap<String, Vec<String>>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    log.lock().unwrap().push(format!("{method} {target}"));
    let path = target.split('?').next().unwrap_or("");
    let not_found = (
        "404 Not Found",
        Vec::new(),
        r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#
            .to_string(),
    );
    let (status, headers, body) = if path == "/v2/" {
        ("200 OK", Vec::new(), "{}".to_string())
    } else if let Some(name) = path
        .strip_prefix("/v2/")
        .and_then(|p| p.strip_suffix("/tags/list"))
    {
        match images.get(name) {
            Some(tags) => (
                "200 OK",
                Vec::new(),
                serde_json::json!({ "name": name, "tags": tags }).to_string(),
            ),
            None => not_found,
        }
    } else if let Some((name, tag)) = path
        .strip_prefix("/v2/")
        .and_then(|p| p.split_once("/manifests/"))
    {
        match images.get(name) {
            Some(tags) if tags.iter().any(|t| t == tag) => (
                "200 OK",
                vec![
                    ("Docker-Content-Digest".to_string(), fake_digest(tag)),
                    (
                        "Content-Type".to_string(),
                        "application/vnd.oci.image.manifest.v1+json".to_string(),
                    ),
                ],
                "{}".to_string(),
            ),
            _ => not_found,
        }
    } else {
        not_found
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers.iter().any(|(name, _)| name == "Content-Type") {
        response.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(response.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}
