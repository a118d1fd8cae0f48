//! The VS Code client (`editors/vscode`): its TypeScript type-checks against the pinned
//! `@types/vscode` and `vscode-languageclient` (installed by `scripts/test` with `npm ci`), and
//! the settings it passes are declared and accepted by the server's settings parser.
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

/// The settings the extension forwards (`key: config.get("key")` in `extension.ts`) are each
/// declared in its `package.json` as `fluxtag.<key>`, cover every key the server reads, and are
/// accepted by the server's own settings parser without a warning, with the values VS Code sends
/// when they are unset (the declared defaults) and when they are set.
#[test]
fn the_vscode_settings_are_the_servers() {
    let dir = extension_dir();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let declared = manifest["contributes"]["configuration"]["properties"]
        .as_object()
        .unwrap();
    let source = std::fs::read_to_string(dir.join("src/extension.ts")).unwrap();
    let forwarded: Vec<String> = source
        .lines()
        .filter_map(|line| {
            let (key, rest) = line.trim().split_once(": config.get(\"")?;
            let (setting, _) = rest.split_once('"')?;
            assert_eq!(key, setting, "extension.ts forwards {setting} as {key}");
            Some(key.to_string())
        })
        .collect();
    assert_eq!(forwarded, ["tagsFrom", "offline", "cacheDir", "severity"]);

    let mut unset = serde_json::Map::new();
    let mut set = serde_json::Map::new();
    for key in &forwarded {
        let property = &declared[&format!("fluxtag.{key}")];
        assert!(
            property.is_object(),
            "package.json does not declare fluxtag.{key}"
        );
        unset.insert(key.clone(), property["default"].clone());
        let example = match key.as_str() {
            "tagsFrom" => serde_json::json!("tags.json"),
            "offline" => serde_json::json!(true),
            "cacheDir" => serde_json::json!(".cache/fluxtag"),
            _ => serde_json::json!({"stale": "error", "registry-error": "off"}),
        };
        set.insert(key.clone(), example);
    }
    for object in [unset, set] {
        let mut settings = fluxtag_lsp::settings::Settings::default();
        let warnings = settings.apply(&serde_json::json!({ "fluxtag": object }));
        assert!(warnings.is_empty(), "{object:?}: {warnings:?}");
    }
    assert!(declared.contains_key("fluxtag.server.path"));
    assert!(declared.contains_key("fluxtag.trace.server"));
}
