//! The fixture repository (a copy of `examples/homelab` plus files with non-ASCII text and a
//! marker without a namespace) and a started server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::rpc::Connection;

/// A file with non-ASCII text before a stale marker, and a marker without a namespace.
pub const UNICODE_FILE: &str = "kubernetes/apps/media/sonarr/app/unicode.yaml";
/// Its text.
pub const UNICODE_TEXT: &str = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sonarr-images\ndata:\n  bïld𝄞: ghcr.io/onedr0p/sonarr:4.0.9 # {\"$imagepolicy\": \"flux-system:sonarr\"}\n  other: ghcr.io/onedr0p/sonarr:4.0.11 # {\"$imagepolicy\": \"sonarr\"}\n";

/// A temporary copy of the homelab example.
pub struct Repo {
    /// Keeps the directory alive.
    _dir: tempfile::TempDir,
    /// The repository root.
    pub root: PathBuf,
}

impl Repo {
    /// Copies `examples/homelab`, adds the extra files and an empty `.git` (the root marker).
    pub fn homelab() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir
            .path()
            .canonicalize()
            .expect("canonical temp dir")
            .join("homelab");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/homelab");
        copy_dir(&source, &root);
        std::fs::create_dir_all(root.join(".git")).expect("mkdir .git");
        std::fs::write(root.join(UNICODE_FILE), UNICODE_TEXT).expect("write unicode file");
        Repo { _dir: dir, root }
    }

    /// The `file://` URI of a file of the repository.
    pub fn uri(&self, path: &str) -> String {
        format!("file://{}", self.root.join(path).display())
    }

    /// The text of a file of the repository.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).expect("read fixture file")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A running `fluxtag lsp` with its connection.
pub struct Server {
    child: Child,
    /// The JSON-RPC connection.
    pub rpc: Connection,
    /// The `initialize` result.
    pub capabilities: Value,
}

impl Server {
    /// Starts the server in `repo` and initializes it, offering UTF-8 or not; the tags come from
    /// the repository's snapshot through `initializationOptions`.
    pub fn start(repo: &Repo, utf8: bool) -> Server {
        Server::start_with(repo, utf8, json!({"tagsFrom": "tags.json"}))
    }

    /// Starts the server with these `initializationOptions`.
    pub fn start_with(repo: &Repo, utf8: bool, options: Value) -> Server {
        let cache = repo.root.join(".git/fluxtag-cache");
        let mut child = Command::new(env!("CARGO_BIN_EXE_fluxtag"))
            .args(["lsp", "--offline", "--cache-dir"])
            .arg(&cache)
            .current_dir(&repo.root)
            .env_remove("FLUXTAG_TAGS_FROM")
            .env_remove("FLUXTAG_CACHE_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fluxtag lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut rpc = Connection::new(stdout, stdin);
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let result = rpc.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "workspaceFolders": [{"uri": repo.uri(""), "name": "homelab"}],
                "initializationOptions": options,
                "capabilities": {
                    "general": {"positionEncodings": encodings},
                    "window": {"workDoneProgress": true},
                    "workspace": {
                        "inlayHint": {"refreshSupport": true},
                        "didChangeWatchedFiles": {"dynamicRegistration": true}
                    },
                    "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}}
                }
            }),
        );
        rpc.notify("initialized", json!({}));
        Server {
            child,
            rpc,
            capabilities: result,
        }
    }

    /// Opens a file of the repository with its text on disk.
    pub fn open(&mut self, repo: &Repo, path: &str) -> String {
        let uri = repo.uri(path);
        self.rpc.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": repo.read(path)}}),
        );
        uri
    }

    /// Shuts the server down and checks it exits 0.
    pub fn stop(mut self) {
        self.rpc.request("shutdown", Value::Null);
        self.rpc.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait for server");
        assert!(status.success(), "fluxtag lsp exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
