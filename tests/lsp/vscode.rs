//! The VS Code client (`editors/vscode`): its TypeScript type-checks against the pinned
//! `@types/vscode` and `vscode-languageclient` (installed by `scripts/test` with `npm ci`), and
//! the settings it passes are the ones the server reads.
//!
//! Without Node.js or the installed packages the type-check is skipped with a note, unless
//! `CI=true`, where it fails.

use std::path::Path;
use std::process::Command;

fn extension_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/editors/vscode"))
}

#[test]
fn the_vscode_extension_type_checks() {
    let dir = extension_dir();
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    let node_works = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_works || !tsc.is_file() {
        let message = "Node.js or editors/vscode/node_modules missing (run `npm ci` in editors/vscode, as scripts/test does)";
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "{message}");
        println!("skipped: {message}");
        return;
    }
    let output = Command::new("node")
        .arg(&tsc)
        .args(["-p", ".", "--noEmit"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tsc failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every `fluxtag.*` setting the extension forwards to the server is declared in its
/// `package.json`, and the forwarded keys are the server's (README "Editors").
#[test]
fn the_vscode_settings_are_the_servers() {
    let dir = extension_dir();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let declared: Vec<&str> = manifest["contributes"]["configuration"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let source = std::fs::read_to_string(dir.join("src/extension.ts")).unwrap();
    for key in ["tagsFrom", "offline", "cacheDir", "severity"] {
        assert!(
            declared.contains(&format!("fluxtag.{key}").as_str()),
            "package.json does not declare fluxtag.{key}: {declared:?}"
        );
        assert!(
            source.contains(&format!("{key}: config.get(\"{key}\")")),
            "extension.ts does not forward {key}"
        );
    }
    assert!(declared.contains(&"fluxtag.server.path"));
    assert!(declared.contains(&"fluxtag.trace.server"));
}
