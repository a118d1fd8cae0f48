//! The `.vsix` of `scripts/dist` in a real VS Code: code-server 4.139.1 (the VS Code 1.139
//! workbench, on Node 24) from `scripts/vscode-tools`, served on 127.0.0.1, opened in Debian's
//! chromium by `vscode.cjs` (playwright-core), on a copy of the homelab example whose tags come
//! from its snapshot (`fluxtag.tagsFrom`, no network). Facts and pitfalls:
//! `shared/spec/test-infrastructure.md`, "VS Code". Issue 16 lists the checks.
//!
//! A run's directory (workspace, profile, logs, report, screenshots of failed checks) lies
//! under `<target>/vscode-e2e/` and is removed when the test passes; its path is printed.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::artifacts::{artifact, dist, root, skip, target_dir};

/// Debian's chromium binary (its `/usr/bin/chromium` wrapper misbehaves under `sh`).
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// One workbench at a time: two would share the 2 cores of CI and time out.
static WORKBENCH: Mutex<()> = Mutex::new(());

/// The tools directory of `scripts/vscode-tools` (installing them when missing), or why not.
fn tools() -> Result<PathBuf, String> {
    if !Path::new(CHROMIUM).is_file() {
        return Err(format!(
            "{CHROMIUM} missing (apt-get install chromium, as scripts/test does)"
        ));
    }
    let output = Command::new(root().join("scripts/vscode-tools"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run scripts/vscode-tools: {e}"))?;
    if !output.status.success() {
        return Err("scripts/vscode-tools failed (npm missing?)".into());
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

/// A code-server process group, ended when dropped (its file watcher outlives it otherwise).
struct Workbench(Child);

impl Drop for Workbench {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.0.wait();
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

/// What a run gave: the report of `vscode.cjs`, its exit status and the run's directory.
struct Run {
    report: Value,
    success: bool,
    dir: PathBuf,
}

impl Run {
    /// The check named `name` in the report.
    fn check(&self, name: &str) -> &Value {
        self.report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == json!(name))
            .unwrap_or_else(|| panic!("no check {name} in {:#}", self.report))
    }
}

/// Installs the `.vsix` into a fresh code-server profile, serves a copy of the homelab example
/// with `workspace_settings`, and runs `checks` through the UI.
fn run(
    tools: &Path,
    vsix: &Path,
    name: &str,
    workspace_settings: Value,
    checks: &[&str],
    timeout_ms: u64,
) -> Run {
    let dir = target_dir()
        .join("vscode-e2e")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let workspace = dir.join("homelab");
    copy_dir(&root().join("examples/homelab"), &workspace);
    std::fs::create_dir_all(workspace.join(".git")).unwrap();
    std::fs::create_dir_all(workspace.join(".vscode")).unwrap();
    std::fs::write(
        workspace.join(".vscode/settings.json"),
        serde_json::to_string_pretty(&workspace_settings).unwrap(),
    )
    .unwrap();
    let user_data = dir.join("user-data");
    std::fs::create_dir_all(user_data.join("User")).unwrap();
    std::fs::write(
        user_data.join("User/settings.json"),
        json!({
            "workbench.startupEditor": "none",
            "chat.disableAIFeatures": true,
            "workbench.secondarySideBar.defaultVisibility": "hidden",
            "update.mode": "none",
            "extensions.autoUpdate": false,
            "extensions.autoCheckUpdates": false,
            "telemetry.telemetryLevel": "off",
            "workbench.tips.enabled": false,
        })
        .to_string(),
    )
    .unwrap();
    let extensions = dir.join("extensions");
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let config = dir.join("code-server.yaml");
    std::fs::write(&config, "auth: none\ncert: false\n").unwrap();
    println!("VS Code run {name}: {}", dir.display());

    let node = tools.join("node/bin/node");
    let entry = tools.join("tools/node_modules/code-server/out/node/entry.js");
    let code_server = |args: &[&std::ffi::OsStr]| {
        let mut command = Command::new(&node);
        command
            .arg(&entry)
            .arg("--config")
            .arg(&config)
            .arg("--user-data-dir")
            .arg(&user_data)
            .arg("--extensions-dir")
            .arg(&extensions)
            .args(args)
            .env("TMPDIR", &tmp)
            .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
            .env("XDG_DATA_HOME", dir.join("xdg-data"))
            .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
            .env_remove("FLUXTAG_TAGS_FROM")
            .env_remove("FLUXTAG_CACHE_DIR")
            .env_remove("VSCODE_IPC_HOOK_CLI");
        command
    };
    let install = code_server(&["--install-extension".as_ref(), vsix.as_os_str()])
        .output()
        .unwrap();
    assert!(install.status.success(), "--install-extension: {install:?}");

    let port = free_port();
    let log = std::fs::File::create(dir.join("code-server.log")).unwrap();
    let child = code_server(&[
        "--auth".as_ref(),
        "none".as_ref(),
        "--bind-addr".as_ref(),
        format!("127.0.0.1:{port}").as_ref(),
        "--disable-telemetry".as_ref(),
        "--disable-update-check".as_ref(),
        "--disable-workspace-trust".as_ref(),
        workspace.as_os_str(),
    ])
    .stdin(Stdio::null())
    .stdout(log.try_clone().unwrap())
    .stderr(log)
    .process_group(0)
    .spawn()
    .unwrap();
    let _workbench = Workbench(child);
    let started = Instant::now();
    while !healthy(port) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "code-server not ready; log: {}",
            dir.join("code-server.log").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // An old server for the serverTooOld check: node running old-server.cjs.
    let old_server = dir.join("old-fluxtag");
    std::fs::write(
        &old_server,
        format!(
            "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
            node.display(),
            root().join("tests/dist/old-server.cjs").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &old_server,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    let report = dir.join("report.json");
    let harness = dir.join("harness.json");
    std::fs::write(
        &harness,
        json!({
            "url": format!("http://127.0.0.1:{port}/"),
            "workspace": workspace,
            "settings": workspace_settings,
            "chromium": CHROMIUM,
            "playwrightCore": tools.join("tools/node_modules/playwright-core"),
            "checks": checks,
            "timeoutMs": timeout_ms,
            "outDir": dir,
            "report": report,
            "oldServer": old_server,
        })
        .to_string(),
    )
    .unwrap();
    let output = Command::new(&node)
        .arg(root().join("tests/dist/vscode.cjs"))
        .arg(&harness)
        .env("TMPDIR", &tmp)
        .env("NO_PROXY", "127.0.0.1")
        .env("HOME", dir.join("home"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_else(|_| {
        panic!(
            "vscode.cjs wrote no report: {output:?}; run dir {}",
            dir.display()
        )
    });
    let report: Value = serde_json::from_str(&text).unwrap();
    println!("{report:#}");
    Run {
        report,
        success: output.status.success(),
        dir,
    }
}

/// The tools and the `.vsix`, or a skip.
fn setup() -> Option<(PathBuf, PathBuf)> {
    let tools = match tools() {
        Ok(tools) => tools,
        Err(message) => {
            skip(&message);
            return None;
        }
    };
    let dist = match dist() {
        Ok(dir) => dir,
        Err(message) => {
            skip(&message);
            return None;
        }
    };
    let vsix = artifact(dist, "fluxtag-", ".vsix");
    Some((tools, vsix))
}

/// Issue 16: diagnostics (squiggle and Problems), hovers (with a `(?P<date>…)` rule intact),
/// go to definition, completion, inlay hints, the "Explain" lens (issue 13), the quick fix,
/// fix-all on save and a changed `fluxtag.tagsFrom`, all in the real workbench with the
/// bundled server.
#[test]
fn the_vsix_works_in_a_real_vscode() {
    let Some((tools, vsix)) = setup() else {
        return;
    };
    let _one = WORKBENCH.lock().unwrap_or_else(|e| e.into_inner());
    let checks = [
        "diagnostic",
        "inlayHints",
        "hover",
        "hoverPattern",
        "definition",
        "completion",
        "explainLens",
        "quickFix",
        "fixAllOnSave",
        "tagsFromChange",
    ];
    let run = run(
        &tools,
        &vsix,
        "full",
        json!({"fluxtag.tagsFrom": "tags.json", "fluxtag.offline": true}),
        &checks,
        30_000,
    );
    for name in checks {
        let check = run.check(name);
        assert_eq!(
            check["ok"],
            json!(true),
            "{name} failed: {}; screenshots and logs in {}",
            check["detail"],
            run.dir.display()
        );
    }
    assert!(run.success, "{:#}", run.report);
    let _ = std::fs::remove_dir_all(&run.dir);
}

/// The negative control: with a server that exits at once (`fluxtag.server.path` set to
/// `/bin/false`), the same harness reports the diagnostic check failed.
#[test]
fn the_vscode_harness_fails_with_a_broken_server() {
    let Some((tools, vsix)) = setup() else {
        return;
    };
    let _one = WORKBENCH.lock().unwrap_or_else(|e| e.into_inner());
    let run = run(
        &tools,
        &vsix,
        "broken-server",
        json!({"fluxtag.tagsFrom": "tags.json", "fluxtag.server.path": "/bin/false"}),
        &["diagnostic"],
        15_000,
    );
    let check = run.check("diagnostic");
    assert_eq!(check["ok"], json!(false), "{:#}", run.report);
    assert!(
        check["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("squiggle"),
        "{:#}",
        run.report
    );
    assert!(!run.success, "the harness exited 0 with a broken server");
    let _ = std::fs::remove_dir_all(&run.dir);
}

/// Issue 16 §2: the extension says clearly when the server is missing (`fluxtag.server.path`
/// naming no file) and, once the setting names a server whose `serverInfo.version` is older
/// than the extension's minimum, that it is too old.
#[test]
fn the_vsix_says_when_the_server_is_missing_or_too_old() {
    let Some((tools, vsix)) = setup() else {
        return;
    };
    let _one = WORKBENCH.lock().unwrap_or_else(|e| e.into_inner());
    let checks = ["serverMissing", "serverTooOld"];
    let run = run(
        &tools,
        &vsix,
        "server-versions",
        json!({"fluxtag.tagsFrom": "tags.json", "fluxtag.server.path": "/nonexistent/fluxtag"}),
        &checks,
        20_000,
    );
    for name in checks {
        let check = run.check(name);
        assert_eq!(
            check["ok"],
            json!(true),
            "{name} failed: {}; screenshots and logs in {}",
            check["detail"],
            run.dir.display()
        );
    }
    assert!(run.success, "{:#}", run.report);
    let _ = std::fs::remove_dir_all(&run.dir);
}
