//! Runs `scripts/dist` once into the target directory and hands out its artifacts; the skip
//! rule shared by the tests of this target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The cargo target directory of this test run (the parent of the binary's profile directory).
pub fn target_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_fluxtag"));
    binary
        .parent()
        .and_then(Path::parent)
        .expect("the binary lies in <target>/<profile>/")
        .to_path_buf()
}

/// Skips the calling test with a note (returns `true`), or fails it under `CI=true`, where
/// every tool is installed by `scripts/test`.
pub fn skip(message: &str) -> bool {
    assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "{message}");
    println!("skipped: {message}");
    true
}

/// Whether `program --version` runs.
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The directory `scripts/dist` wrote, or why it could not run.
pub fn dist() -> Result<&'static Path, String> {
    static DIST: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIST.get_or_init(|| {
        for tool in ["npm", "python3", "cargo"] {
            if !runs(tool) {
                return Err(format!("{tool} missing for scripts/dist"));
            }
        }
        let target = target_dir();
        // For work on the tests: reuse a `scripts/dist` output instead of building one.
        if let Some(dir) = std::env::var_os("FLUXTAG_TEST_DIST_DIR") {
            return Ok(PathBuf::from(dir));
        }
        let out = target.join("dist-artifacts");
        let _ = std::fs::remove_dir_all(&out);
        let started = std::time::Instant::now();
        let output = Command::new(root().join("scripts/dist"))
            .args(["--allow-dirty", "--out"])
            .arg(&out)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .map_err(|e| format!("cannot run scripts/dist: {e}"))?;
        // A tool that is there but fails is a failure, not a skip.
        assert!(
            output.status.success(),
            "scripts/dist failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("scripts/dist took {:.0?}", started.elapsed());
        Ok(out)
    })
    .as_deref()
    .map_err(Clone::clone)
}

/// The one file in `dir` whose name starts with `prefix` and ends with `suffix`.
pub fn artifact(dir: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dist/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{prefix}*{suffix} in {}: {found:?}",
        dir.display()
    );
    found.into_iter().next().unwrap()
}

/// The binary tarball: its `.sha256` file verifies it, and it holds the stripped binary, which
/// runs and says its version.
#[test]
fn the_tarball_has_a_checksum_and_a_running_binary() {
    let dir = match dist() {
        Ok(dir) => dir,
        Err(message) => {
            skip(&message);
            return;
        }
    };
    let version = env!("CARGO_PKG_VERSION");
    let tarball = artifact(dir, &format!("fluxtag-{version}-"), ".tar.gz");
    let name = tarball.file_name().unwrap().to_string_lossy().into_owned();
    let sums = std::fs::read_to_string(dir.join(format!("{name}.sha256"))).unwrap();
    assert_eq!(
        sums.split_whitespace().nth(1),
        Some(name.as_str()),
        "{sums}"
    );
    let check = Command::new("sha256sum")
        .args(["--check", "--strict"])
        .arg(format!("{name}.sha256"))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");

    let unpacked = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(unpacked.path())
        .status()
        .unwrap();
    assert!(status.success());
    let stem = name.trim_end_matches(".tar.gz");
    let binary = unpacked.path().join(stem).join("fluxtag");
    assert!(unpacked.path().join(stem).join("README.md").is_file());
    // The completions and man pages the binary generates, shipped beside it.
    for (file, needle) in [
        ("completions/fluxtag.bash", "--fix"),
        ("completions/_fluxtag", "--fix["),
        ("completions/fluxtag.fish", "-l fix"),
        ("man/fluxtag.1", ".TH fluxtag 1"),
        ("man/fluxtag-check.1", ".TH fluxtag-check 1"),
    ] {
        let text = std::fs::read_to_string(unpacked.path().join(stem).join(file))
            .unwrap_or_else(|e| panic!("{file} in the tarball: {e}"));
        assert!(text.contains(needle), "{file} lacks {needle}");
    }
    let output = Command::new(&binary).arg("--version").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    // `fluxtag 0.1.0 (abc1234)` when scripts/dist built from a git checkout: this one's HEAD,
    // unless FLUXTAG_TEST_DIST_DIR hands in an earlier build (then any commit).
    let stdout = String::from_utf8_lossy(&output.stdout);
    let commit = Command::new("git")
        .arg("-C")
        .arg(root())
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success() && root().join(".git").exists())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match commit {
        Some(_) if std::env::var_os("FLUXTAG_TEST_DIST_DIR").is_some() => {
            let built = stdout
                .strip_prefix(&format!("fluxtag {version} ("))
                .and_then(|rest| rest.strip_suffix(")\n"))
                .unwrap_or_default();
            assert!(
                built.len() >= 7 && built.bytes().all(|b| b.is_ascii_hexdigit()),
                "{stdout}"
            );
        }
        Some(commit) => assert_eq!(stdout, format!("fluxtag {version} ({commit})\n")),
        None => assert_eq!(stdout, format!("fluxtag {version}\n")),
    }
    // Stripped (profile `dist`): no symbol table left.
    let nm = Command::new("nm").arg(&binary).output();
    if let Ok(nm) = nm {
        assert!(
            String::from_utf8_lossy(&nm.stderr).contains("no symbols"),
            "not stripped: {}",
            String::from_utf8_lossy(&nm.stderr)
        );
    }
}
