//! Secrets never leave: passwords, identity tokens, helper secrets and bearer tokens go through
//! successful and failing flows, and then no log line (at TRACE), error message, `Debug` output,
//! cache file or snapshot contains any of them, raw or base64-encoded.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fluxtag_registry::credentials::CredentialStore;
use fluxtag_registry::{DiskCache, ExclusionList, ExportItem, Mode, TagService};

use crate::support::mock::{MockResponse, MockServer};
use crate::support::{Sandbox, basic, client, http_repo};

const PASSWORD: &str = "pw-SECRET-7f3a";
const IDENTITY: &str = "idtok-SECRET-91c2";
const HELPER_SECRET: &str = "helper-SECRET-55e1";
const BEARER: &str = "bearer-SECRET-0d4b";

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A registry at `/v2/...` with a token server at `/token` on the same mock. The token server
/// hands out [`BEARER`] for `alice`'s password and refuses everything else; the registry lists
/// `ok` and refuses `deny` even with the token. Paths under `/basic/` want Basic auth instead.
async fn server() -> MockServer {
    MockServer::start(|req| {
        let host = req.header("host").unwrap_or_default().to_owned();
        let path = req.path_only().to_owned();
        if path == "/token" {
            let good = format!("Basic {}", basic("alice", PASSWORD));
            return if req.header("authorization") == Some(good.as_str()) {
                MockResponse::json(200, format!(r#"{{"token":"{BEARER}","expires_in":120}}"#))
            } else {
                MockResponse::json(401, r#"{"details":"incorrect username or password"}"#)
            };
        }
        if path.starts_with("/v2/basic/") {
            return MockResponse::json(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .header("www-authenticate", r#"Basic realm="basic""#);
        }
        let bearer = format!("Bearer {BEARER}");
        if req.header("authorization") != Some(bearer.as_str()) {
            return MockResponse::json(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#).header(
                "www-authenticate",
                format!(r#"Bearer realm="http://{host}/token",service="svc""#),
            );
        }
        match path.as_str() {
            "/v2/ok/tags/list" => MockResponse::tags("ok", &["1.0", "1.1"]),
            "/v2/ok/manifests/1.1" => MockResponse::status(200)
                .header("docker-content-digest", format!("sha256:{}", "e".repeat(64))),
            _ => MockResponse::json(
                403,
                r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
            ),
        }
    })
    .await
}

#[tokio::test]
async fn no_secret_reaches_logs_errors_debug_output_cache_or_snapshots() {
    let logs = Capture(Arc::new(Mutex::new(Vec::new())));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let with_password = server().await;
    let with_identity = server().await;
    let with_helper = server().await;
    let with_broken_helper = server().await;
    let sandbox = Sandbox::new();
    sandbox.helper(
        "leaky",
        &format!("#!/bin/sh\nprintf '{{\"Username\":\"alice\",\"Secret\":\"{HELPER_SECRET}\"}}'\n"),
    );
    sandbox.helper(
        "broken",
        &format!("#!/bin/sh\necho '{HELPER_SECRET}'\necho '{PASSWORD}' >&2\nexit 1\n"),
    );
    let config = sandbox.docker_config(&format!(
        r#"{{
            "auths": {{
                "{}": {{"auth": "{}"}},
                "{}": {{"auth": "{}", "identitytoken": "{IDENTITY}"}}
            }},
            "credHelpers": {{"{}": "leaky", "{}": "broken"}}
        }}"#,
        with_password.host(),
        basic("alice", PASSWORD),
        with_identity.host(),
        basic("alice", ""),
        with_helper.host(),
        with_broken_helper.host(),
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let cache = Arc::new(DiskCache::new(sandbox.path().join("cache")));
    let client = client(&env);
    let service = TagService::new(
        Mode::Online { refresh: false },
        Some(Arc::clone(&client)),
        Some(Arc::clone(&cache)),
        Arc::new(env.clone()),
    );
    let exclusion = ExclusionList::new(&[]).unwrap();
    let interval = Duration::from_secs(60);
    let mut seen = Vec::new();

    // Success: password → token → tags and a digest, cached and exported.
    let ok = http_repo(&with_password.host(), "ok");
    let tags = service.tags(&ok, interval, &exclusion).await.unwrap();
    seen.push(format!("{tags:?}"));
    let digest = service.digest(&ok, "1.1", interval).await.unwrap();
    seen.push(format!("{digest:?}"));
    let (snapshot, failures) = service
        .export(&[ExportItem {
            repo: ok.clone(),
            interval,
            digest_tags: vec!["1.1".into()],
        }])
        .await;
    assert!(failures.is_empty());
    seen.push(snapshot.to_json());
    seen.push(format!("{snapshot:?}"));

    // Failures of every kind.
    let failing = [
        // Token granted, access refused.
        http_repo(&with_password.host(), "deny"),
        // Identity token refused by the token server.
        http_repo(&with_identity.host(), "ok"),
        // Helper credentials refused by the token server.
        http_repo(&with_helper.host(), "ok"),
        // Broken helper: anonymous, refused.
        http_repo(&with_broken_helper.host(), "ok"),
        // Basic challenge answered with the password, refused.
        http_repo(&with_password.host(), "basic/app"),
    ];
    for repo in &failing {
        let err = service.tags(repo, interval, &exclusion).await.unwrap_err();
        seen.push(err.to_string());
        seen.push(format!("{err:?}"));
        let err = service.digest(repo, "1.0", interval).await.unwrap_err();
        seen.push(err.to_string());
        seen.push(format!("{err:?}"));
    }
    assert!(
        seen.iter().any(|s| s.contains("refused access")),
        "the failures happened"
    );

    // Debug output of everything that held a secret.
    seen.push(format!("{client:?}"));
    seen.push(format!("{service:?}"));
    let store = CredentialStore::new(Arc::new(env.clone()));
    for host in [
        with_password.host(),
        with_identity.host(),
        with_helper.host(),
        with_broken_helper.host(),
    ] {
        let lookup = store.lookup(&host, "ok").await;
        seen.push(format!("{lookup:?}"));
        for problem in &lookup.problems {
            seen.push(problem.to_string());
        }
    }
    seen.push(format!("{store:?}"));
    seen.push(format!("{env:?}"));

    // The cache on disk.
    for entry in std::fs::read_dir(cache.dir()).unwrap() {
        seen.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }

    drop(_guard);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("credentials not used"),
        "the log capture works: {logs}"
    );
    seen.push(logs);

    let forbidden = [
        PASSWORD.to_owned(),
        IDENTITY.to_owned(),
        HELPER_SECRET.to_owned(),
        BEARER.to_owned(),
        basic("alice", PASSWORD),
        basic("alice", HELPER_SECRET),
    ];
    for text in &seen {
        for secret in &forbidden {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} leaked into:\n{text}"
            );
        }
    }
}
