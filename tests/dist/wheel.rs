//! The Python wheel (maturin, `bindings = "bin"`): installed without network into a fresh
//! virtual environment, its `fluxtag` checks the bundled example as the README says.

use std::process::Command;

use crate::artifacts::{artifact, dist, root, skip};

/// README "Quick start": the example has stale and invalid markers planted, so `check` exits 1
/// and names the stale sonarr tag.
#[test]
fn the_wheel_installs_into_a_fresh_venv_and_checks_the_example() {
    let dir = match dist() {
        Ok(dir) => dir,
        Err(message) => {
            skip(&message);
            return;
        }
    };
    let wheel = artifact(dir, "fluxtag-", ".whl");
    let venv = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv.path())
        .status()
        .unwrap();
    assert!(status.success(), "python3 -m venv failed");
    let pip = Command::new(venv.path().join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(pip.status.success(), "pip install {wheel:?}: {pip:?}");
    let fluxtag = venv.path().join("bin/fluxtag");
    assert!(fluxtag.is_file(), "the wheel installs no bin/fluxtag");

    let example = root().join("examples/homelab");
    let output = Command::new(&fluxtag)
        .arg("check")
        .arg("--root")
        .arg(&example)
        .arg("--tags-from")
        .arg(example.join("tags.json"))
        .env_remove("FLUXTAG_TAGS_FROM")
        .env("FLUXTAG_CACHE_DIR", venv.path().join("cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stdout.contains("4.0.9 is stale: ImagePolicy flux-system/sonarr selects 4.0.11"),
        "{stdout}"
    );
}
