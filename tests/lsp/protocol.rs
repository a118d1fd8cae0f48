//! JSON-RPC tests against the built `fluxtag lsp`: initialize in both encodings, diagnostics,
//! hover, code actions and applying their edits, completion, definition, references, inlay
//! hints, and incremental changes on lines with non-ASCII text.

use serde_json::{Value, json};

use crate::fixture::{Repo, Server, UNICODE_FILE};

const HELMRELEASE: &str = "kubernetes/apps/media/sonarr/app/helmrelease.yaml";
const PROWLARR: &str = "kubernetes/apps/media/prowlarr/app/deployment.yaml";
const POLICIES: &str = "kubernetes/apps/flux-system/image-automation/app/image-policies.yaml";

fn code(diagnostic: &Value) -> &str {
    diagnostic["code"].as_str().unwrap_or_default()
}

fn has(diagnostics: &[Value], wanted: &str) -> bool {
    diagnostics.iter().any(|d| code(d) == wanted)
}

fn find<'a>(diagnostics: &'a [Value], wanted: &str) -> &'a Value {
    diagnostics
        .iter()
        .find(|d| code(d) == wanted)
        .unwrap_or_else(|| panic!("no {wanted} diagnostic in {diagnostics:#?}"))
}

fn position(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position(line, character)})
}

/// The 0-based line of the first line of `text` containing `needle`, and the byte column.
fn locate(text: &str, needle: &str) -> (u32, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, line)| line.find(needle).map(|c| (i as u32, c)))
        .unwrap_or_else(|| panic!("{needle:?} not in the fixture"))
}

fn labels(hints: &Value) -> Vec<String> {
    hints
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn initialize_negotiates_the_encoding_and_indexes_with_progress() {
    let repo = Repo::homelab();
    for (utf8, expected) in [(true, "utf-8"), (false, "utf-16")] {
        let mut server = Server::start(&repo, utf8);
        let capabilities = &server.capabilities["capabilities"];
        assert_eq!(capabilities["positionEncoding"], json!(expected));
        assert_eq!(
            capabilities["textDocumentSync"]["change"],
            json!(2),
            "incremental sync"
        );
        assert!(capabilities.get("documentFormattingProvider").is_none());
        for provider in [
            "hoverProvider",
            "completionProvider",
            "definitionProvider",
            "referencesProvider",
            "codeActionProvider",
            "inlayHintProvider",
            "codeLensProvider",
        ] {
            assert!(capabilities.get(provider).is_some(), "{provider} missing");
        }
        assert_eq!(server.capabilities["serverInfo"]["name"], json!("fluxtag"));
        let uri = server.open(&repo, HELMRELEASE);
        server.rpc.diagnostics(&uri, |d| has(d, "stale"));
        // Indexing reports its end through $/progress.
        let end = server
            .rpc
            .wait_for("$/progress", |p| p["value"]["kind"] == json!("end"));
        assert!(
            end["value"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("markers")
        );
        for request in [
            "window/workDoneProgress/create",
            "client/registerCapability",
        ] {
            assert!(
                server.rpc.server_requests.iter().any(|r| r == request),
                "{request} not sent: {:?}",
                server.rpc.server_requests
            );
        }
        server.stop();
    }
}

#[test]
fn stale_marker_hover_quick_fix_and_inlay_hints() {
    let repo = Repo::homelab();
    let mut server = Server::start(&repo, false);
    let uri = server.open(&repo, HELMRELEASE);
    let diagnostics = server.rpc.diagnostics(&uri, |d| has(d, "stale"));
    let stale = find(&diagnostics, "stale").clone();
    assert_eq!(stale["source"], json!("fluxtag"));
    assert_eq!(
        stale["severity"],
        json!(2),
        "stale markers are warnings in the editor"
    );
    let (line, column) = locate(&repo.read(HELMRELEASE), "4.0.9");
    assert_eq!(stale["range"]["start"], position(line, column as u32));
    assert_eq!(
        stale["data"]["fixes"][0]["title"],
        json!("Update to 4.0.11")
    );
    // Issue 11 item 7: in the editor the help names the quick fix, not the command line.
    let message = stale["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with("\nhelp: apply the quick fix “Update to 4.0.11” to write it"),
        "{message}"
    );
    assert!(!message.contains("fluxtag check --fix"), "{message}");
    // Issue 13: the message carries the evaluation in one line, before the help.
    assert!(
        message.contains("\nnote: 6 tags, 1 not a version, 1 prerelease, 1 out of range `^4.0.0`, 3 ranked: `4.0.11` over `4.0.10`\nhelp: "),
        "{message}"
    );
    server.rpc.wait_request("workspace/inlayHint/refresh");

    let hover = server
        .rpc
        .request("textDocument/hover", at(&uri, line, column as u32 + 1));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    for needed in [
        "flux-system/sonarr",
        "4.0.11",
        "semver",
        "ghcr.io/onedr0p/sonarr",
        "image-policies.yaml",
        // Issue 13: one line per stage of the evaluation, the winner over the runner-up.
        "- 6 tags (snapshot)",
        "- 1 not a version",
        "- 1 prerelease",
        "- 1 out of range `^4.0.0`",
        "- 3 ranked: `4.0.11` over `4.0.10`",
        // Provenance (issue 10): the Flux Kustomization that applies the policy, with its line.
        "applied by Flux Kustomization apps (kubernetes/flux-system/apps.yaml:2)",
    ] {
        assert!(text.contains(needed), "hover lacks {needed:?}:\n{text}");
    }

    let whole = json!({"start": position(0, 0), "end": position(40, 0)});
    let hints = server.rpc.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": whole}),
    );
    assert_eq!(labels(&hints), ["✓", "→ 4.0.11"]);

    let actions = server.rpc.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": stale["range"], "context": {"diagnostics": [stale]}}),
    );
    let fix = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["title"] == json!("Update to 4.0.11"))
        .unwrap_or_else(|| panic!("no quick fix in {actions:#}"))
        .clone();
    assert_eq!(fix["kind"], json!("quickfix"));
    assert_eq!(fix["isPreferred"], json!(true));
    let edits = fix["edit"]["changes"][uri.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), 1);
    // Apply the edit as the editor would: an incremental change.
    server.rpc.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": edits[0]["range"], "text": edits[0]["newText"]}]
        }),
    );
    let after = server.rpc.diagnostics(&uri, |d| !has(d, "stale"));
    assert!(after.is_empty(), "nothing left: {after:#?}");
    let hints = server.rpc.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": whole}),
    );
    assert_eq!(labels(&hints), ["✓", "✓"]);
    server.stop();
}

#[test]
fn non_ascii_lines_in_both_encodings() {
    let repo = Repo::homelab();
    let text = repo.read(UNICODE_FILE);
    let (line, byte_column) = locate(&text, "ghcr.io/onedr0p/sonarr:4.0.9");
    let line_text = text.lines().nth(line as usize).unwrap_or_default();
    for utf8 in [false, true] {
        let column = |byte: usize| -> u32 {
            let prefix = &line_text[..byte];
            if utf8 {
                prefix.len() as u32
            } else {
                prefix.encode_utf16().count() as u32
            }
        };
        let mut server = Server::start(&repo, utf8);
        let uri = server.open(&repo, UNICODE_FILE);
        let diagnostics = server
            .rpc
            .diagnostics(&uri, |d| has(d, "stale") && has(d, "marker-no-namespace"));
        let stale = find(&diagnostics, "stale");
        assert_eq!(
            stale["range"]["start"],
            position(line, column(byte_column)),
            "utf8: {utf8}"
        );
        let value_end = byte_column + "ghcr.io/onedr0p/sonarr:4.0.9".len();
        assert_eq!(stale["range"]["end"], position(line, column(value_end)));

        // "Add namespace" for the marker without one.
        let bare = find(&diagnostics, "marker-no-namespace").clone();
        let actions = server.rpc.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": bare["range"], "context": {"diagnostics": [bare], "only": ["quickfix"]}}),
        );
        let add = actions
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["title"] == json!("Add namespace `flux-system`"))
            .unwrap_or_else(|| panic!("no Add namespace in {actions:#}"));
        let edit = &add["edit"]["changes"][uri.as_str()][0];
        assert_eq!(edit["newText"], json!("flux-system:sonarr"));

        // Hover in the middle of the value, after the non-ASCII key.
        let hover = server.rpc.request(
            "textDocument/hover",
            at(&uri, line, column(byte_column + 5)),
        );
        let value = hover["contents"]["value"].as_str().unwrap_or_default();
        assert!(value.contains("stale"), "{value}");

        // Type the new tag over the old one, in the negotiated columns.
        let tag_start = byte_column + "ghcr.io/onedr0p/sonarr:".len();
        server.rpc.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{
                    "range": {"start": position(line, column(tag_start)), "end": position(line, column(tag_start + 5))},
                    "text": "4.0.11"
                }]
            }),
        );
        let after = server.rpc.diagnostics(&uri, |d| !has(d, "stale"));
        assert!(has(&after, "marker-no-namespace"), "{after:#?}");
        let hints = server.rpc.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": position(0, 0), "end": position(20, 0)}}),
        );
        let hint = hints
            .as_array()
            .and_then(|h| h.first())
            .cloned()
            .unwrap_or_default();
        assert_eq!(hint["label"], json!("✓"));
        let edited = line_text.replacen("4.0.9", "4.0.11", 1);
        let end = if utf8 {
            edited.len()
        } else {
            edited.encode_utf16().count()
        };
        assert_eq!(hint["position"], position(line, end as u32), "utf8: {utf8}");
        server.stop();
    }
}

#[test]
fn completion_definition_references_and_did_you_mean() {
    let repo = Repo::homelab();
    let mut server = Server::start(&repo, false);
    let prowlarr = server.open(&repo, PROWLARR);
    let diagnostics = server
        .rpc
        .diagnostics(&prowlarr, |d| has(d, "policy-not-found"));
    let missing = find(&diagnostics, "policy-not-found").clone();
    let actions = server.rpc.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": prowlarr}, "range": missing["range"], "context": {"diagnostics": [missing]}}),
    );
    assert!(
        actions
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["title"] == json!("Change to `flux-system:prowlarr`")),
        "{actions:#}"
    );

    // Inside the marker's string.
    let text = repo.read(PROWLARR);
    let (line, column) = locate(&text, "flux-system:prowlar\"");
    let completion = server.rpc.request(
        "textDocument/completion",
        at(&prowlarr, line, (column + "flux-system:prow".len()) as u32),
    );
    let items = completion.as_array().cloned().unwrap_or_default();
    let item_labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    for wanted in [
        "flux-system:prowlarr",
        "flux-system:prowlarr:tag",
        "flux-system:sonarr:digest",
    ] {
        assert!(
            item_labels.contains(&wanted),
            "{wanted} not in {item_labels:?}"
        );
    }
    let edit = &items[0]["textEdit"];
    assert_eq!(edit["range"]["start"], position(line, column as u32));
    assert_eq!(
        edit["range"]["end"],
        position(line, (column + "flux-system:prowlar".len()) as u32)
    );

    // After an image value: a whole marker for the policy of that image.
    let scratch = repo.uri("kubernetes/apps/default/scratch.yaml");
    let line_text = "image: ghcr.io/onedr0p/sonarr:4.0.11 #";
    server.rpc.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": scratch, "languageId": "yaml", "version": 1, "text": format!("{line_text}\n")}}),
    );
    server.rpc.diagnostics(&scratch, |_| true);
    let completion = server.rpc.request(
        "textDocument/completion",
        at(&scratch, 0, line_text.len() as u32),
    );
    let item = completion
        .as_array()
        .and_then(|i| i.first())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        item["label"],
        json!("{\"$imagepolicy\": \"flux-system:sonarr\"}"),
        "{completion:#}"
    );
    assert_eq!(
        item["textEdit"]["newText"],
        json!(" # {\"$imagepolicy\": \"flux-system:sonarr\"}")
    );

    // Marker → ImagePolicy.
    let helmrelease = server.open(&repo, HELMRELEASE);
    // Stale diagnostics: the tags have arrived (the policy hover below needs them).
    server.rpc.diagnostics(&helmrelease, |d| has(d, "stale"));
    let (line, column) = locate(&repo.read(HELMRELEASE), "flux-system:sonarr:tag");
    let definition = server.rpc.request(
        "textDocument/definition",
        at(&helmrelease, line, column as u32),
    );
    assert_eq!(definition["uri"], json!(repo.uri(POLICIES)));
    let policies = repo.read(POLICIES);
    let (name_line, name_column) = locate(&policies, "name: sonarr");
    assert_eq!(
        definition["range"]["start"],
        position(name_line, name_column as u32 + 6)
    );

    // A templated marker (never applied by Flux, issue 10) → the policy its literal names.
    let templated = repo.uri("kubernetes/apps/default/templated.yaml");
    let templated_text =
        "image: ghcr.io/onedr0p/sonarr:4.0.11 # {\"$imagepolicy\": \"${NS}:sonarr\"}\n";
    server.rpc.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": templated, "languageId": "yaml", "version": 1, "text": templated_text}}),
    );
    server
        .rpc
        .diagnostics(&templated, |d| has(d, "marker-templated"));
    let (line, column) = locate(templated_text, "${NS}:sonarr");
    let definition = server.rpc.request(
        "textDocument/definition",
        at(&templated, line, column as u32 + 2),
    );
    assert_eq!(
        definition["uri"],
        json!(repo.uri(POLICIES)),
        "{definition:#}"
    );
    assert_eq!(
        definition["range"]["start"],
        position(name_line, name_column as u32 + 6)
    );

    // imageRepositoryRef → ImageRepository (the second `name: sonarr` is the reference).
    let reference_line = policies
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("name: sonarr"))
        .nth(1)
        .map(|(i, _)| i as u32)
        .unwrap_or_default();
    let definition = server.rpc.request(
        "textDocument/definition",
        at(&helmrelease.replace(HELMRELEASE, POLICIES), 0, 0),
    );
    assert!(
        definition.is_null(),
        "no definition in a file that is not open"
    );
    let policies_uri = server.open(&repo, POLICIES);
    server.rpc.diagnostics(&policies_uri, |_| true);
    let definition = server.rpc.request(
        "textDocument/definition",
        at(&policies_uri, reference_line, 11),
    );
    assert!(
        definition["uri"]
            .as_str()
            .unwrap_or_default()
            .ends_with("image-repositories.yaml"),
        "{definition:#}"
    );

    // ImagePolicy → every marker using it.
    let references = server.rpc.request(
        "textDocument/references",
        json!({"textDocument": {"uri": policies_uri}, "position": position(name_line, name_column as u32 + 7), "context": {"includeDeclaration": false}}),
    );
    let files: Vec<&str> = references
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["uri"].as_str())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|u| u.ends_with("helmrelease.yaml"))
            .count(),
        2,
        "{files:?}"
    );
    assert!(
        files.iter().any(|u| u.ends_with("unicode.yaml")),
        "{files:?}"
    );

    // Hover on the ImagePolicy itself: its latest tag.
    let hover = server.rpc.request(
        "textDocument/hover",
        at(&policies_uri, name_line, name_column as u32),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("latest: **`4.0.11`**"), "{text}");

    // Requests on unknown documents or absurd positions answer null, never an error.
    let unknown = server
        .rpc
        .request_raw("textDocument/hover", at("file:///nowhere.yaml", 9999, 9999));
    assert!(unknown.get("error").is_none(), "{unknown}");
    let far = server
        .rpc
        .request("textDocument/hover", at(&helmrelease, 9999, 9999));
    assert!(far.is_null());
    server.stop();
}

#[test]
fn fix_all_and_configuration_changes() {
    let repo = Repo::homelab();
    let mut server = Server::start_with(
        &repo,
        true,
        json!({"tagsFrom": "tags.json", "severity": {"stale": "error"}}),
    );
    let cronjob = server.open(&repo, "kubernetes/apps/default/backup/app/cronjob.yaml");
    let diagnostics = server.rpc.diagnostics(&cronjob, |d| has(d, "stale"));
    assert_eq!(
        find(&diagnostics, "stale")["severity"],
        json!(1),
        "severity from initializationOptions"
    );
    let actions = server.rpc.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": cronjob}, "range": {"start": position(0, 0), "end": position(0, 0)}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let fix_all = actions
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        fix_all["kind"],
        json!("source.fixAll.fluxtag"),
        "{actions:#}"
    );
    let new_text = fix_all["edit"]["changes"][cronjob.as_str()][0]["newText"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        new_text,
        "'ghcr.io/example/restic-backup:main-20241120-c0ffee1'"
    );

    // Severities change with the configuration; `off` hides a code.
    server.rpc.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"fluxtag": {"severity": {"stale": "off"}}}}),
    );
    server.rpc.diagnostics(&cronjob, |d| !has(d, "stale"));

    // A file changed on disk is read again.
    let policies = repo.root.join(POLICIES);
    let text = std::fs::read_to_string(&policies).unwrap_or_default();
    std::fs::write(
        &policies,
        text.replace("name: backup\n", "name: backup-renamed\n"),
    )
    .unwrap_or_default();
    server.rpc.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": repo.uri(POLICIES), "type": 2}]}),
    );
    server
        .rpc
        .diagnostics(&cronjob, |d| has(d, "policy-not-found"));
    server.stop();
}

#[test]
fn closing_clears_and_files_outside_git_are_not_walked() {
    let repo = Repo::homelab();
    let mut server = Server::start(&repo, false);
    let cronjob = server.open(&repo, "kubernetes/apps/default/backup/app/cronjob.yaml");
    server.rpc.diagnostics(&cronjob, |d| has(d, "stale"));
    server.rpc.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": cronjob}}),
    );
    server.rpc.diagnostics(&cronjob, <[Value]>::is_empty);

    // A file outside the workspace folder and any git checkout: its directory becomes a folder
    // of its own, but only open documents count there (a sibling policy file is not read).
    let stray = tempfile::tempdir().expect("temp dir");
    let dir = stray.path().canonicalize().expect("canonical");
    std::fs::write(
        dir.join("policy.yaml"),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: apps\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '*'\n",
    )
    .expect("write");
    let uri = format!("file://{}", dir.join("deploy.yaml").display());
    server.rpc.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
            "text": "image: app:1.0.0 # {\"$imagepolicy\": \"apps:app\"}\n"}}),
    );
    let diagnostics = server.rpc.diagnostics(&uri, |d| !d.is_empty());
    assert!(has(&diagnostics, "policy-not-found"), "{diagnostics:#?}");

    // References with the declaration: the policy's name first, then its markers.
    let helmrelease = server.open(&repo, HELMRELEASE);
    server.rpc.diagnostics(&helmrelease, |d| has(d, "stale"));
    let (line, column) = locate(&repo.read(HELMRELEASE), "flux-system:sonarr:tag");
    let references = server.rpc.request(
        "textDocument/references",
        json!({"textDocument": {"uri": helmrelease}, "position": position(line, column as u32), "context": {"includeDeclaration": true}}),
    );
    let first = references
        .as_array()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    assert_eq!(first["uri"], json!(repo.uri(POLICIES)), "{references:#}");
    assert_eq!(
        references.as_array().map_or(0, Vec::len),
        4,
        "{references:#}"
    );
    server.stop();
}

/// Editing a policy in an open policies file re-checks the markers that use it, edit after edit
/// (the second and later edits re-parse only the changed document of that file).
#[test]
fn editing_a_policy_rechecks_its_markers() {
    let repo = Repo::homelab();
    let mut server = Server::start(&repo, false);
    let marked = server.open(&repo, HELMRELEASE);
    server.rpc.diagnostics(&marked, |d| has(d, "stale"));
    let policies = server.open(&repo, POLICIES);
    server.rpc.diagnostics(&policies, |_| true);
    let (line, column) = locate(&repo.read(POLICIES), "^4.0.0");
    let range = |len: u32| json!({"start": position(line, column as u32), "end": position(line, column as u32 + len)});
    let edit = |server: &mut Server, version: u32, old_len: u32, text: &str| {
        server.rpc.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": policies, "version": version},
                "contentChanges": [{"range": range(old_len), "text": text}]
            }),
        );
    };

    // `<=4.0.9` selects the marked 4.0.9: the marker is current.
    edit(&mut server, 2, "^4.0.0".len() as u32, "<=4.0.9");
    let current = server.rpc.diagnostics(&marked, |d| !has(d, "stale"));
    assert!(!has(&current, "stale"), "{current:#?}");
    // And back: stale again, with the same fix as before the edits.
    edit(&mut server, 3, "<=4.0.9".len() as u32, "^4.0.0");
    let stale = server.rpc.diagnostics(&marked, |d| has(d, "stale"));
    assert_eq!(
        find(&stale, "stale")["data"]["fixes"][0]["title"],
        json!("Update to 4.0.11")
    );
    // A range no tag satisfies is reported on the policy's name, at the right line after three
    // edits of the reused parse (the example already has one such policy further down).
    let (name_line, _) = locate(&repo.read(POLICIES), "name: sonarr");
    let on_sonarr = |d: &[Value]| {
        d.iter().any(|d| {
            code(d) == "no-matching-tag" && d["range"]["start"]["line"] == json!(name_line)
        })
    };
    edit(&mut server, 4, "^4.0.0".len() as u32, "^9.0.0");
    let on_policy = server.rpc.diagnostics(&policies, on_sonarr);
    assert!(on_sonarr(&on_policy), "{on_policy:#?}");

    // A line inserted in the first document moves what the later, reused documents report.
    let (radarr_line, _) = locate(&repo.read(POLICIES), "name: radarr");
    let on_radarr_at = |wanted: u32| {
        move |d: &[Value]| {
            d.iter().any(|d| {
                code(d) == "no-matching-tag" && d["range"]["start"]["line"] == json!(wanted)
            })
        }
    };
    assert!(on_radarr_at(radarr_line)(&on_policy), "{on_policy:#?}");
    server.rpc.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": policies, "version": 5},
            "contentChanges": [{
                "range": {"start": position(line, 0), "end": position(line, 0)},
                "text": "      # a comment line\n"
            }]
        }),
    );
    let moved = server
        .rpc
        .diagnostics(&policies, on_radarr_at(radarr_line + 1));
    assert!(!on_radarr_at(radarr_line)(&moved), "{moved:#?}");
    server.stop();
}

/// `fluxtag lsp` indexes through the analysis cache (in `--cache-dir`'s `analysis`): a second
/// server on the same folder reads it and publishes the same diagnostics.
#[test]
fn a_second_server_reads_the_analysis_cache() {
    let repo = Repo::homelab();
    let analysis = repo.root.join(".git/fluxtag-cache/analysis");
    let mut published = Vec::new();
    for _ in 0..2 {
        let mut server = Server::start(&repo, false);
        let uri = server.open(&repo, HELMRELEASE);
        published.push(server.rpc.diagnostics(&uri, |d| has(d, "stale")));
        server.stop();
        let files = std::fs::read_dir(&analysis).map_or(0, |listing| listing.count());
        assert_eq!(files, 1, "one cache file in {}", analysis.display());
    }
    assert_eq!(published[0], published[1]);
}

/// The text of `markdown` outside its code spans (CommonMark: a run of n backticks opens a span
/// that the next run of exactly n closes; a backslash-escaped character is literal).
fn outside_code_spans(markdown: &str) -> String {
    let chars: Vec<char> = markdown.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i]);
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let n = run_at(i);
                let mut j = i + n;
                let close = loop {
                    if j >= chars.len() {
                        break None;
                    }
                    if chars[j] == '`' {
                        let m = run_at(j);
                        if m == n {
                            break Some(j);
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                };
                match close {
                    Some(j) => i = j + n,
                    None => {
                        out.extend(&chars[i..i + n]);
                        i += n;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Issue 11 item 4: the hover of a policy whose filterTags pattern holds `<date>` shows the
/// pattern in a code span, intact (VS Code showed `(?P[0-9]{8})`: raw text read as HTML), and no
/// user text outside a code span is left unescaped.
#[test]
fn hover_markdown_keeps_user_text_intact() {
    const DATED: &str = "kubernetes/apps/flux-system/image-automation/app/dated.yaml";
    const PATTERN: &str = "^main-(?P<date>[0-9]{8})$";
    let repo = Repo::homelab();
    std::fs::write(
        repo.root.join(DATED),
        format!(
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: dated\n  namespace: flux-system\nspec:\n  image: ghcr.io/acme/dated\n  interval: 1h\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: dated\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: dated\n  filterTags:\n    pattern: '{PATTERN}'\n    extract: '$date'\n  policy:\n    numerical:\n      order: asc\n"
        ),
    )
    .expect("write the dated policy");
    let mut server = Server::start(&repo, false);
    let uri = server.open(&repo, DATED);
    server.rpc.diagnostics(&uri, |_| true);
    // Anywhere in the ImagePolicy document: its hover.
    let (line, column) = locate(&repo.read(DATED), "pattern:");
    let hover = server
        .rpc
        .request("textDocument/hover", at(&uri, line, column as u32));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert_eq!(hover["contents"]["kind"], json!("markdown"), "{hover:#}");
    assert!(
        text.contains(&format!("- filter: `{PATTERN}` extract `$date`")),
        "{text}"
    );
    assert!(
        text.contains("- rule: `numerical asc (filter '^main-(?P<date>[0-9]{8})$'"),
        "{text}"
    );
    let outside = outside_code_spans(text);
    assert!(
        !outside.contains("<date>"),
        "raw user text outside code spans:\n{text}"
    );
    assert!(
        !outside.replace("\\<", "").contains('<'),
        "an unescaped < outside code spans:\n{text}"
    );
    server.stop();
}

/// Issue 13 "In the editor": an "Explain" lens on each ImagePolicy, whose argument the
/// `fluxtag/explain` request takes; the text is `fluxtag explain --all`'s, byte for byte, for a
/// policy and for a marker; elsewhere the request answers null.
#[test]
fn explain_lens_and_request_give_the_command_lines_text() {
    let repo = Repo::homelab();
    let mut server = Server::start(&repo, false);
    let helmrelease = server.open(&repo, HELMRELEASE);
    // Stale diagnostics: the tags have arrived.
    server.rpc.diagnostics(&helmrelease, |d| has(d, "stale"));
    let policies = server.open(&repo, POLICIES);
    let lenses = server.rpc.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": policies}}),
    );
    let lenses = lenses.as_array().cloned().unwrap_or_default();
    let names = repo.read(POLICIES).matches("kind: ImagePolicy").count();
    assert_eq!(lenses.len(), names, "{lenses:#?}");
    let sonarr = lenses
        .iter()
        .find(|l| l["command"]["title"] == json!("Explain flux-system/sonarr"))
        .unwrap_or_else(|| panic!("no lens for sonarr: {lenses:#?}"));
    assert_eq!(sonarr["command"]["command"], json!("fluxtag.explain"));
    let cli = |target: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_fluxtag"))
            .args([
                "explain",
                target,
                "--all",
                "--root",
                ".",
                "--tags-from",
                "tags.json",
            ])
            .current_dir(&repo.root)
            .env_remove("FLUXTAG_TAGS_FROM")
            .env("NO_COLOR", "1")
            .output()
            .expect("run fluxtag explain");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let explained = server
        .rpc
        .request("fluxtag/explain", sonarr["command"]["arguments"][0].clone());
    assert_eq!(
        explained["title"],
        json!("fluxtag explain flux-system:sonarr")
    );
    assert_eq!(
        explained["text"].as_str().unwrap_or_default(),
        cli("flux-system:sonarr")
    );
    // On a marker: the marker's block, then its policy's.
    let (line, column) = locate(&repo.read(HELMRELEASE), "4.0.9");
    let marker = server
        .rpc
        .request("fluxtag/explain", at(&helmrelease, line, column as u32));
    let text = marker["text"].as_str().unwrap_or_default();
    assert!(text.contains("  Flux writes 4.0.11\n"), "{text}");
    assert_eq!(text, cli(&format!("{HELMRELEASE}:{}", line + 1)));
    // Nothing to explain at the top of a file.
    let nothing = server
        .rpc
        .request("fluxtag/explain", at(&helmrelease, 0, 0));
    assert!(nothing.is_null(), "{nothing}");
    server.stop();
}
