//! Against the real registry (CNCF distribution 2.8 from Debian's `docker-registry`): images
//! pushed over plain HTTP by the test, then listed and their digests fetched through the client;
//! Basic auth with an htpasswd file; the Bearer flow with a token server run by the test; the
//! tag service with its disk cache, and offline mode once the registry is gone.

use std::sync::Arc;
use std::time::Duration;

use fluxtag_registry::{DiskCache, ExclusionList, Mode, Origin, RegistryError, TagService};

use crate::support::fixtures::{
    HTPASSWD_LINE, HTPASSWD_PASSWORD, TEST_USER, TOKEN_ANONYMOUS, TOKEN_CERT_PEM, TOKEN_ISSUER,
    TOKEN_REPOSITORY, TOKEN_SERVICE, TOKEN_TESTER,
};
use crate::support::mock::{MockResponse, MockServer};
use crate::support::registry::{Pusher, RealRegistry, RegistryAuth};
use crate::support::{Sandbox, basic, client, http_repo};

#[tokio::test]
async fn tags_and_digests_from_the_real_registry() {
    let Some(registry) = RealRegistry::start(RegistryAuth::None) else {
        return;
    };
    let pusher = Pusher::new(&registry.base(), None);
    let pushed = pusher
        .push_image(
            "team/app",
            &["1.0.0", "1.10.0", "1.2.0", "latest", "1.2.0.sig"],
        )
        .await;
    pusher.push_image("other", &["v1"]).await;

    let sandbox = Sandbox::new();
    let client = client(&sandbox.env());
    let repo = http_repo(&registry.host(), "team/app");
    let tags = client.list_tags(&repo).await.unwrap();
    // Every tag, sorted descending by bytes (the registry returns them unsorted).
    assert_eq!(tags, ["latest", "1.2.0.sig", "1.2.0", "1.10.0", "1.0.0"]);
    for (tag, digest) in &pushed {
        assert_eq!(&client.digest(&repo, tag).await.unwrap(), digest, "{tag}");
    }
    assert_ne!(pushed[0].1, pushed[1].1);

    let err = client
        .list_tags(&http_repo(&registry.host(), "team/missing"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
    let err = client.digest(&repo, "9.9.9").await.unwrap_err();
    assert_eq!(
        err,
        RegistryError::NotFound {
            host: registry.host(),
            image: format!("{}/team/app:9.9.9", registry.host())
        }
    );
}

#[tokio::test]
async fn basic_auth_with_an_htpasswd_file() {
    let Some(registry) = RealRegistry::start(RegistryAuth::Htpasswd(format!("{HTPASSWD_LINE}\n")))
    else {
        return;
    };
    let pusher = Pusher::new(
        &registry.base(),
        Some(format!("Basic {}", basic(TEST_USER, HTPASSWD_PASSWORD))),
    );
    let pushed = pusher.push_image("private/app", &["2.0", "2.1"]).await;
    let repo = http_repo(&registry.host(), "private/app");

    // No credentials: refused, and the message says how to log in.
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env()).list_tags(&repo).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("docker login {}", registry.host())),
        "{err}"
    );

    // Credentials from DOCKER_CONFIG.
    let config = sandbox.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        registry.host(),
        basic(TEST_USER, HTPASSWD_PASSWORD)
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let client_ok = client(&env);
    assert_eq!(client_ok.list_tags(&repo).await.unwrap(), ["2.1", "2.0"]);
    assert_eq!(client_ok.digest(&repo, "2.0").await.unwrap(), pushed[0].1);

    // Wrong credentials: refused, and the message names where they came from.
    let wrong = Sandbox::new();
    let config = wrong.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        registry.host(),
        basic(TEST_USER, "not-the-password")
    ));
    let env = wrong
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let err = client(&env).list_tags(&repo).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("used the credentials in"), "{err}");
}

/// A token server in front of the real registry: it checks Basic credentials (or an identity
/// token) and hands out the pre-signed JWTs the registry verifies.
async fn token_server() -> MockServer {
    MockServer::start(|req| {
        if req.path_only() != "/token" {
            return MockResponse::status(404);
        }
        let tester = format!("Basic {}", basic(TEST_USER, HTPASSWD_PASSWORD));
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let token = if req.method == "POST" {
            body.contains("refresh_token=tester-refresh-token")
                .then_some(TOKEN_TESTER)
        } else {
            match req.header("authorization") {
                Some(a) if a == tester => Some(TOKEN_TESTER),
                Some(_) => None,
                None => Some(TOKEN_ANONYMOUS),
            }
        };
        match token {
            Some(t) if req.method == "POST" => {
                MockResponse::json(200, format!(r#"{{"access_token":"{t}","expires_in":300}}"#))
            }
            Some(t) => MockResponse::json(200, format!(r#"{{"token":"{t}","expires_in":300}}"#)),
            None => MockResponse::status(401),
        }
    })
    .await
}

#[tokio::test]
async fn bearer_flow_with_a_token_server() {
    let tokens = token_server().await;
    let Some(registry) = RealRegistry::start(RegistryAuth::Token {
        realm: tokens.url("/token"),
        service: TOKEN_SERVICE.to_owned(),
        issuer: TOKEN_ISSUER.to_owned(),
        cert_pem: TOKEN_CERT_PEM.to_owned(),
    }) else {
        return;
    };
    let pusher = Pusher::new(&registry.base(), Some(format!("Bearer {TOKEN_TESTER}")));
    let pushed = pusher.push_image(TOKEN_REPOSITORY, &["3.0", "3.1"]).await;
    let repo = http_repo(&registry.host(), TOKEN_REPOSITORY);

    // Anonymous: the token server gives a token without access; the registry refuses it.
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env()).list_tags(&repo).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no stored credentials"), "{err}");

    // Credentials from a credential helper.
    let sandbox = Sandbox::new();
    sandbox.helper(
        "fluxtagtest",
        &format!(
            "#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{TEST_USER}\",\"Secret\":\"{HTPASSWD_PASSWORD}\"}}' \"$server\"\n"
        ),
    );
    let config = sandbox.docker_config(r#"{"credsStore":"fluxtagtest"}"#);
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let c = client(&env);
    assert_eq!(c.list_tags(&repo).await.unwrap(), ["3.1", "3.0"]);
    assert_eq!(c.digest(&repo, "3.1").await.unwrap(), pushed[1].1);
    assert!(
        tokens
            .requests()
            .iter()
            .any(|r| r.query("account") == Some(TEST_USER))
    );

    // An identity token, exchanged with a POST.
    let sandbox = Sandbox::new();
    let config = sandbox.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"identitytoken":"tester-refresh-token"}}}}}}"#,
        registry.host()
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    assert_eq!(client(&env).list_tags(&repo).await.unwrap(), ["3.1", "3.0"]);
}

#[tokio::test]
async fn the_tag_service_caches_and_then_works_offline() {
    let Some(registry) = RealRegistry::start(RegistryAuth::None) else {
        return;
    };
    let pushed = Pusher::new(&registry.base(), None)
        .push_image("cached/app", &["1.0", "1.1", "1.1.sig"])
        .await;
    let repo = http_repo(&registry.host(), "cached/app");
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let cache = Arc::new(DiskCache::new(sandbox.path().join("cache")));
    let exclusion = ExclusionList::new(&[]).unwrap();
    let interval = Duration::from_secs(300);
    let online = TagService::new(
        Mode::Online { refresh: false },
        Some(client(&env)),
        Some(Arc::clone(&cache)),
        Arc::new(env.clone()),
    );
    let first = online.tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(
        first.tags,
        ["1.1", "1.0"],
        "the .sig tag is excluded by default"
    );
    assert_eq!(first.origin, Origin::Registry);
    let digest = online.digest(&repo, "1.1", interval).await.unwrap();
    assert_eq!(digest.digest, pushed[1].1);
    assert_eq!(digest.origin, Origin::Registry);

    drop(registry);

    // Fresh: served from the cache without the (now gone) registry.
    let again = online.tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(again.origin, Origin::Cache);
    assert_eq!(again.tags, first.tags);
    assert_eq!(
        online.digest(&repo, "1.1", interval).await.unwrap().origin,
        Origin::Cache
    );

    // Stale: the registry is asked, and it is gone.
    env.advance(Duration::from_secs(301));
    let err = online.tags(&repo, interval, &exclusion).await.unwrap_err();
    assert!(matches!(err, RegistryError::Network { .. }), "{err}");

    // Offline: the cache, whatever its age.
    env.advance(Duration::from_secs(365 * 24 * 3600));
    let offline = TagService::new(Mode::Offline, None, Some(cache), Arc::new(env.clone()));
    let cached = offline.tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(cached.origin, Origin::Cache);
    assert_eq!(cached.tags, ["1.1", "1.0"]);
    assert_eq!(
        offline.digest(&repo, "1.1", interval).await.unwrap().digest,
        pushed[1].1
    );
    let err = offline
        .tags(
            &http_repo("127.0.0.1:1", "never/seen"),
            interval,
            &exclusion,
        )
        .await
        .unwrap_err();
    assert!(err.is_unavailable_offline());
}

/// Issue 11 item 3 against the real registry: a run, a tag pushed, a `--refresh` run within the
/// same second (the test's clock never moves) sees the new tag.
#[tokio::test]
async fn refresh_sees_a_tag_pushed_within_the_same_second() {
    let Some(registry) = RealRegistry::start(RegistryAuth::None) else {
        return;
    };
    let pusher = Pusher::new(&registry.base(), None);
    pusher.push_image("fast/app", &["1.0"]).await;
    let repo = http_repo(&registry.host(), "fast/app");
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let cache = Arc::new(DiskCache::new(sandbox.path().join("cache")));
    let exclusion = ExclusionList::new(&[]).unwrap();
    let interval = Duration::from_secs(300);
    let run = |refresh: bool| {
        TagService::new(
            Mode::Online { refresh },
            Some(client(&env)),
            Some(Arc::clone(&cache)),
            Arc::new(env.clone()),
        )
    };

    let check = run(false).tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(check.tags, ["1.0"]);
    pusher.push_image("fast/app", &["1.1"]).await;
    let cached = run(false).tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(
        (cached.origin, cached.tags),
        (Origin::Cache, vec!["1.0".to_owned()]),
        "without --refresh the fresh cache entry answers"
    );
    let refreshed = run(true).tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(refreshed.origin, Origin::Registry);
    assert_eq!(refreshed.tags, ["1.1", "1.0"]);
}
