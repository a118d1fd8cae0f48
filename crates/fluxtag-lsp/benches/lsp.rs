//! The language server on a generated workspace of 3,000 files holding 1,000 markers (issue 5):
//! indexing time, hover and code action latency (p50/p99), diagnostics of a 5,000-line file
//! after an edit, and resident memory. The server runs in-process on a Unix socket pair and is
//! spoken to over JSON-RPC exactly as an editor would; tags come from a generated snapshot.
//!
//! Run with `cargo bench -p fluxtag-lsp --bench lsp` (prints a table; see BENCHMARKS.md);
//! `FLUXTAG_BENCH_WARM=1` first writes an analysis cache, so that indexing reads it.
//!
//! `FLUXTAG_BENCH_TREE=DIR` measures an existing tree instead (issue 12: `bench/generate-tree.py
//! overlays DIR`, or a checkout with a `tags.json`), cold (no analysis cache): the time from
//! `initialized` to the first diagnostics of an open marked file (`FLUXTAG_BENCH_OPEN`, a path
//! relative to DIR), and the diagnostics after edits of an ImagePolicy's file
//! (`FLUXTAG_BENCH_EDIT`), p50 and p99. Edits are sent as `didChange`, never written.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    dead_code
)]

#[path = "../../../tests/lsp/rpc.rs"]
mod rpc;

use std::fmt::Write as _;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use fluxtag_workspace::TagSettings;
use serde_json::{Value, json};

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Size {
    files: usize,
    markers: usize,
    big_file_lines: usize,
    big_file_markers: usize,
    requests: usize,
    edits: usize,
}

/// Issue 5's workspace (`cargo bench`).
const FULL: Size = Size {
    files: 3_000,
    markers: 1_000,
    big_file_lines: 5_000,
    big_file_markers: 100,
    requests: 1_000,
    edits: 50,
};

/// A small run that only checks the benchmark works (`cargo test --benches`, as scripts/test).
const SMOKE: Size = Size {
    files: 300,
    markers: 100,
    big_file_lines: 500,
    big_file_markers: 10,
    requests: 20,
    edits: 3,
};

fn main() {
    // `FLUXTAG_BENCH_TREE=DIR`: issue 12's rows on a tree of a real repository's shape instead.
    if let Some(tree) = std::env::var_os("FLUXTAG_BENCH_TREE") {
        tree_mode(Path::new(&tree));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test` runs this binary without it.
    let size = if std::env::args().any(|a| a == "--bench") {
        FULL
    } else {
        SMOKE
    };
    let Size {
        files,
        markers,
        big_file_lines,
        big_file_markers,
        requests,
        edits,
    } = size;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let big = generate(&root, size);
    let (client_side, server_side) = UnixStream::pair().expect("socket pair");
    let mut settings = fluxtag_lsp::Settings::new(TagSettings {
        tags_from: Some(root.join("tags.json")),
        ..TagSettings::default()
    });
    // `FLUXTAG_BENCH_WARM=1`: indexing reads an analysis cache written beforehand (what a
    // second start of the editor on the same folder gets).
    if std::env::var_os("FLUXTAG_BENCH_WARM").is_some() {
        let cache = fluxtag_workspace::cache::CacheSettings {
            dir: dir.path().join("analysis-cache"),
            generation: "bench".to_string(),
        };
        let options = fluxtag_workspace::LoadOptions {
            unreadable: fluxtag_workspace::Unreadable::Skip,
            cache: Some(cache.clone()),
        };
        let warmed = fluxtag_workspace::Workspace::load_with_options(&root, &options)
            .expect("warm the analysis cache");
        assert!(
            warmed.cache_stats.written,
            "the analysis cache was not written"
        );
        settings.analysis_cache = Some(cache);
        println!("indexing reads a warm analysis cache");
    }
    let uri = |path: &str| format!("file://{}", root.join(path).display());
    let mut rpc = start_server(server_side, client_side, settings, &uri(""));
    let start = Instant::now();
    rpc.notify("initialized", json!({}));
    let marked = "apps/app0/deployment.yaml";
    let marked_text = std::fs::read_to_string(root.join(marked)).expect("read");
    open(&mut rpc, &uri(marked), &marked_text);
    rpc.wait_for("$/progress", |p| p["value"]["kind"] == json!("end"));
    let indexed = start.elapsed();
    let diagnostics = rpc.diagnostics(&uri(marked), |d| {
        d.iter().any(|d| d["code"] == json!("stale"))
    });
    let with_tags = start.elapsed();
    let stale = diagnostics
        .iter()
        .find(|d| d["code"] == json!("stale"))
        .cloned()
        .expect("a stale diagnostic");
    let rss_indexed = rss_kib();

    let position = stale["range"]["start"].clone();
    let hover = measure(requests, || {
        let result = rpc.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(marked)}, "position": position}),
        );
        assert!(result.is_object(), "hover answered {result}");
    });
    let code_action = measure(requests, || {
        let result = rpc.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(marked)}, "range": stale["range"], "context": {"diagnostics": [stale]}}),
        );
        assert!(result.as_array().is_some_and(|a| !a.is_empty()), "{result}");
    });

    // The 5,000-line file: open it, then edit one value at a time and wait for its diagnostics.
    let big_uri = uri(big.0);
    open(&mut rpc, &big_uri, &big.1);
    rpc.diagnostics(&big_uri, |d| d.iter().any(|d| d["code"] == json!("stale")));
    let target_line = big
        .1
        .lines()
        .position(|l| l.contains("$imagepolicy"))
        .expect("a marker line") as u32;
    let column = big
        .1
        .lines()
        .nth(target_line as usize)
        .and_then(|l| l.find(":1.0.").map(|c| c + 5))
        .expect("a tag") as u32;
    let mut version = 1;
    let edit = measure(edits, || {
        version += 1;
        let digit = (version % 10).to_string();
        rpc.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": big_uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": target_line, "character": column}, "end": {"line": target_line, "character": column + 1}}, "text": digit}]
            }),
        );
        rpc.wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == json!(big_uri) && p["version"] == json!(version)
        });
        // The client keeps every notification for the tests; the bench measures the server.
        rpc.seen.clear();
    });
    // Before the slow path below, whose publications the client keeps queued.
    let rss_end = rss_kib();

    // An edit in the file of policies and repositories: the index is rebuilt and the whole
    // folder resolved (the slow path).
    let policies_uri = uri("flux/policies.yaml");
    let policies_text = std::fs::read_to_string(root.join("flux/policies.yaml")).expect("read");
    open(&mut rpc, &policies_uri, &policies_text);
    rpc.diagnostics(&policies_uri, |_| true);
    let range_line = policies_text
        .lines()
        .position(|l| l.contains("range: '>=1.0.0'"))
        .expect("a range") as u32;
    let mut policies_version = 1;
    let objects_edit = measure(edits.min(10), || {
        policies_version += 1;
        rpc.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": policies_uri, "version": policies_version},
                "contentChanges": [{"range": {"start": {"line": range_line, "character": 16}, "end": {"line": range_line, "character": 17}}, "text": (policies_version % 2).to_string()}]
            }),
        );
        rpc.wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == json!(policies_uri) && p["version"] == json!(policies_version)
        });
        rpc.seen.clear();
    });

    let mut report = String::new();
    let _ = writeln!(
        report,
        "workspace: {files} files, {markers} markers, a {big_file_lines}-line file with {big_file_markers} of them"
    );
    let _ = writeln!(report, "| measure | result |");
    let _ = writeln!(report, "|---|---|");
    let _ = writeln!(
        report,
        "| indexing (initialized → $/progress end) | {} |",
        ms(indexed)
    );
    let _ = writeln!(
        report,
        "| first stale diagnostics (index + tags + resolve) | {} |",
        ms(with_tags)
    );
    let _ = writeln!(
        report,
        "| hover ({requests} requests) | p50 {} / p99 {} |",
        ms(hover.0),
        ms(hover.1)
    );
    let _ = writeln!(
        report,
        "| code action ({requests} requests) | p50 {} / p99 {} |",
        ms(code_action.0),
        ms(code_action.1)
    );
    let _ = writeln!(
        report,
        "| diagnostics of the {big_file_lines}-line file after an edit ({edits} edits) | p50 {} / p99 {} |",
        ms(edit.0),
        ms(edit.1)
    );
    let _ = writeln!(
        report,
        "| diagnostics after an edit of the policies file (index rebuilt, folder resolved; {} edits) | p50 {} / p99 {} |",
        edits.min(10),
        ms(objects_edit.0),
        ms(objects_edit.1)
    );
    let _ = writeln!(
        report,
        "| resident memory after indexing / after the requests and edits (VmRSS) | {} MiB / {} MiB |",
        rss_indexed / 1024,
        rss_end / 1024
    );
    println!("{report}");
    rpc.request("shutdown", Value::Null);
    rpc.notify("exit", Value::Null);
}

fn open(rpc: &mut rpc::Connection, uri: &str, text: &str) {
    rpc.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
}

/// Runs `f` `n` times; the median and the 99th percentile.
fn measure(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// This process's resident set size in KiB (server and bench client together).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Writes the workspace: deployments (some marked), one file of policies and repositories, a
/// 5,000-line file of ConfigMaps with markers, an automation, a tags snapshot and `.git`.
/// Returns the big file's path and text.
fn generate(root: &Path, size: Size) -> (&'static str, String) {
    let Size {
        files,
        markers,
        big_file_lines,
        big_file_markers,
        ..
    } = size;
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let deployments = files - 3; // + policies, automation, big file
    let spread = markers - big_file_markers;
    for i in 0..deployments {
        let marked = i * spread / deployments != (i + 1) * spread / deployments || i == 0;
        let app = i % markers;
        let comment = if marked {
            format!(" # {{\"$imagepolicy\": \"flux-system:app{app}\"}}")
        } else {
            String::new()
        };
        write(
            &format!("apps/app{i}/deployment.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  namespace: apps\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app{i}\n  template:\n    metadata:\n      labels:\n        app: app{i}\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/org/app{app}:1.0.{}{comment}\n          ports:\n            - containerPort: 8080\n",
                i % 20
            ),
        );
    }
    let mut objects = String::new();
    let mut tags = serde_json::Map::new();
    for i in 0..markers {
        let _ = write!(
            objects,
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app{i}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app{i}\n  policy:\n    semver:\n      range: '>=1.0.0'\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app{i}\n  namespace: flux-system\nspec:\n  image: ghcr.io/org/app{i}\n  interval: 1h\n"
        );
        let list: Vec<String> = (0..30).map(|t| format!("1.0.{t}")).collect();
        tags.insert(format!("ghcr.io/org/app{i}"), json!(list));
    }
    write("flux/policies.yaml", &objects);
    write(
        "flux/automation.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageUpdateAutomation\nmetadata:\n  name: all\n  namespace: flux-system\nspec:\n  update:\n    path: ./\n    strategy: Setters\n",
    );
    write("tags.json", &serde_json::to_string(&tags).expect("json"));
    let mut big = String::new();
    let per_document = big_file_lines / big_file_markers;
    for i in 0..big_file_markers {
        let _ = write!(
            big,
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: images{i}\ndata:\n  image: ghcr.io/org/app{i}:1.0.3 # {{\"$imagepolicy\": \"flux-system:app{i}\"}}\n"
        );
        for line in 7..per_document {
            let _ = writeln!(big, "  key{line}: value {line} of document {i}");
        }
    }
    assert_eq!(big.lines().count(), big_file_lines);
    write("big/images.yaml", &big);
    ("big/images.yaml", big)
}

/// Issue 12's language-server rows on the tree at `root` (see the crate doc).
fn tree_mode(root: &Path) {
    let root = root.canonicalize().expect("the tree exists");
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let (opened, edited) = (env("FLUXTAG_BENCH_OPEN"), env("FLUXTAG_BENCH_EDIT"));
    let (client_side, server_side) = UnixStream::pair().expect("socket pair");
    let settings = fluxtag_lsp::Settings::new(TagSettings {
        tags_from: Some(root.join("tags.json")),
        ..TagSettings::default()
    });
    let uri = |path: &str| format!("file://{}", root.join(path).display());
    let mut rpc = start_server(server_side, client_side, settings, &uri(""));
    let start = Instant::now();
    rpc.notify("initialized", json!({}));
    let opened_text = std::fs::read_to_string(root.join(&opened)).expect("read the opened file");
    open(&mut rpc, &uri(&opened), &opened_text);
    rpc.diagnostics(&uri(&opened), |_| true);
    let first = start.elapsed();
    rpc.seen.clear();
    let edited_uri = uri(&edited);
    let edited_text = std::fs::read_to_string(root.join(&edited)).expect("read the edited file");
    open(&mut rpc, &edited_uri, &edited_text);
    rpc.diagnostics(&edited_uri, |_| true);
    let mut version = 1;
    let edit = measure(20, || {
        version += 1;
        rpc.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": edited_uri, "version": version},
                "contentChanges": [{"text": format!("{edited_text}# bench edit {version}\n")}]
            }),
        );
        rpc.wait_for("textDocument/publishDiagnostics", |p| {
            p["uri"] == json!(edited_uri) && p["version"] == json!(version)
        });
        rpc.seen.clear();
    });
    println!("tree: {}", root.display());
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| first diagnostics of {opened}, cold (initialized → publishDiagnostics) | {} |",
        ms(first)
    );
    println!(
        "| diagnostics after an edit of {edited} (index rebuilt, folder resolved; 20 edits) | p50 {} / p99 {} |",
        ms(edit.0),
        ms(edit.1)
    );
    println!("| resident memory (VmRSS) | {} MiB |", rss_kib() / 1024);
}

/// Serves `settings` on `server_side` (a runtime of two workers on its own thread) and
/// initializes it from `client_side` with the workspace folder `folder` (a `file://` URI).
fn start_server(
    server_side: UnixStream,
    client_side: UnixStream,
    settings: fluxtag_lsp::Settings,
    folder: &str,
) -> rpc::Connection {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            server_side.set_nonblocking(true).expect("nonblocking");
            let stream = tokio::net::UnixStream::from_std(server_side).expect("tokio stream");
            let (read, write) = stream.into_split();
            fluxtag_lsp::serve(read, write, settings).await;
        });
    });
    let mut rpc = rpc::Connection::new(client_side.try_clone().expect("clone socket"), client_side);
    rpc.request(
        "initialize",
        json!({
            "processId": null,
            "workspaceFolders": [{"uri": folder, "name": "bench"}],
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}, "window": {"workDoneProgress": true}}
        }),
    );
    rpc
}
