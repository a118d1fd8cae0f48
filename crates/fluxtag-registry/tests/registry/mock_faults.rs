//! What only a mock can show: `Link` paging (relative, absolute, loops, other hosts, the page
//! cap), 429 and 5xx retries, the token flow and token expiry, Basic challenges, malformed JSON,
//! timeouts, redirect loops, TLS failures, status mapping and the per-host limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fluxtag_registry::{ClientOptions, RegistryError, RepositoryRef, Scheme};

use crate::support::mock::{MockResponse, MockServer};
use crate::support::{Sandbox, basic, client, client_with, fast_options, http_repo};

#[tokio::test]
async fn link_paging_relative_and_absolute_merges_and_sorts() {
    let server = MockServer::start(|req| {
        let port = req.header("host").unwrap_or_default().to_owned();
        match req.query("last") {
            None => MockResponse::tags("app", &["a", "c", "b"])
                .header("link", r#"</v2/app/tags/list?last=c&n=3>; rel="next""#),
            Some("c") => MockResponse::tags("app", &["d", "b", "e"]).header(
                "link",
                format!(r#"<http://{port}/v2/app/tags/list?last=e>; rel="next""#),
            ),
            Some(_) => MockResponse::tags("app", &["f"]),
        }
    })
    .await;
    let sandbox = Sandbox::new();
    let tags = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(tags, ["f", "e", "d", "c", "b", "a"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].path, "/v2/app/tags/list?n=1000");
    assert_eq!(requests[1].path, "/v2/app/tags/list?last=c&n=3");
    assert_eq!(requests[2].path, "/v2/app/tags/list?last=e");
}

#[tokio::test]
async fn a_page_that_links_back_ends_the_listing() {
    let server = MockServer::start(|req| match req.query("page") {
        None => MockResponse::tags("app", &["1"])
            .header("link", r#"</v2/app/tags/list?page=2>; rel="next""#),
        Some(_) => MockResponse::tags("app", &["2"])
            .header("link", r#"</v2/app/tags/list?n=1000>; rel="next""#),
    })
    .await;
    let sandbox = Sandbox::new();
    let tags = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(tags, ["2", "1"]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_next_page_on_another_host_is_refused() {
    let server = MockServer::start(|_| {
        MockResponse::tags("app", &["1"]).header(
            "link",
            r#"<http://localhost:1/v2/app/tags/list?x=1>; rel="next""#,
        )
    })
    .await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Protocol { detail, .. } if detail.contains("another host")),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn endless_pages_stop_at_the_cap_with_an_error() {
    let server = MockServer::start(|req| {
        let page: u32 = req.query("p").and_then(|p| p.parse().ok()).unwrap_or(0);
        MockResponse::tags("app", &["x"]).header(
            "link",
            format!(r#"</v2/app/tags/list?p={}>; rel="next""#, page + 1),
        )
    })
    .await;
    let sandbox = Sandbox::new();
    let options = ClientOptions {
        max_pages: 5,
        ..fast_options()
    };
    let err = client_with(&sandbox.env(), options)
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("more than 5 pages"), "{err}");
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn page_size_can_be_left_to_the_registry() {
    let server = MockServer::start(|_| MockResponse::tags("app", &["1"])).await;
    let sandbox = Sandbox::new();
    let options = ClientOptions {
        page_size: None,
        ..fast_options()
    };
    client_with(&sandbox.env(), options)
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(server.requests()[0].path, "/v2/app/tags/list");
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let calls = Arc::clone(&calls);
        MockServer::start(move |_| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                MockResponse::status(429).header("retry-after", "1")
            } else {
                MockResponse::tags("app", &["1.0"])
            }
        })
        .await
    };
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let tags = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(tags, ["1.0"]);
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_long_retry_after_fails_at_once_with_the_reset_time() {
    let server =
        MockServer::start(|_| MockResponse::status(429).header("retry-after", "3600")).await;
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let now = env_now(&env);
    let err = client(&env)
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    match &err {
        RegistryError::RateLimited {
            host,
            retry_after,
            reset_at,
        } => {
            assert_eq!(host, &server.host());
            assert_eq!(*retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(*reset_at, Some(now + Duration::from_secs(3600)));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("rate limiting"), "{message}");
    assert!(message.contains("resets in 60 min (at "), "{message}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limits_that_persist_use_up_the_retries() {
    let server = MockServer::start(|_| MockResponse::status(429).header("retry-after", "0")).await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::RateLimited { .. }), "{err}");
    // fast_options: 2 retries.
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let calls = Arc::clone(&calls);
        MockServer::start(move |_| match calls.fetch_add(1, Ordering::SeqCst) {
            0 => MockResponse::status(503),
            1 => MockResponse::status(502),
            _ => MockResponse::tags("app", &["ok"]),
        })
        .await
    };
    let sandbox = Sandbox::new();
    let tags = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(tags, ["ok"]);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn server_errors_that_persist_fail_with_the_attempt_count() {
    let server = MockServer::start(|_| MockResponse::status(500)).await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::Server {
            host: server.host(),
            status: 500,
            attempts: 3
        }
    );
    assert!(err.to_string().contains("HTTP 500 after 3 attempts"));
}

/// A registry that wants Bearer tokens from `/token` on the same mock, handing out `t1`, `t2`, …
/// and accepting only the newest one.
async fn token_registry(expires_in: Option<u64>) -> (MockServer, Arc<AtomicUsize>) {
    let issued = Arc::new(AtomicUsize::new(0));
    let server = {
        let issued = Arc::clone(&issued);
        MockServer::start(move |req| {
            let host = req.header("host").unwrap_or_default().to_owned();
            if req.path_only() == "/token" {
                let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                let body = match expires_in {
                    Some(s) => format!(r#"{{"token":"t{n}","expires_in":{s}}}"#),
                    None => format!(r#"{{"access_token":"t{n}"}}"#),
                };
                return MockResponse::json(200, body);
            }
            let current = format!("Bearer t{}", issued.load(Ordering::SeqCst));
            if req.header("authorization") == Some(current.as_str()) {
                MockResponse::tags("app", &["1"])
            } else {
                MockResponse::json(401, r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
                    .header(
                        "www-authenticate",
                        format!(
                            r#"Bearer realm="http://{host}/token",service="mock-registry",scope="repository:app:pull""#
                        ),
                    )
            }
        })
        .await
    };
    (server, issued)
}

#[tokio::test]
async fn anonymous_bearer_token_flow() {
    let (server, _) = token_registry(None).await;
    let sandbox = Sandbox::new();
    let client = client(&sandbox.env());
    let repo = http_repo(&server.host(), "app");
    assert_eq!(client.list_tags(&repo).await.unwrap(), ["1"]);
    let token_request = server
        .requests()
        .into_iter()
        .find(|r| r.path_only() == "/token")
        .unwrap();
    assert_eq!(token_request.query("service"), Some("mock-registry"));
    assert_eq!(
        token_request.query("scope"),
        Some("repository%3Aapp%3Apull")
    );
    assert_eq!(token_request.header("authorization"), None);
    // The token is reused: no second token request, no second 401.
    assert_eq!(client.list_tags(&repo).await.unwrap(), ["1"]);
    assert_eq!(server.count("/token"), 1);
    assert_eq!(server.count("/v2/app/tags/list"), 3);
    // Another repository on the same host: its token is fetched before the first request.
    client
        .list_tags(&http_repo(&server.host(), "other"))
        .await
        .ok();
    let last: Vec<_> = server.requests()[4..]
        .iter()
        .map(|r| r.path_only().to_owned())
        .collect();
    assert_eq!(last, ["/token", "/v2/other/tags/list"]);
}

#[tokio::test]
async fn bearer_token_flow_with_stored_credentials() {
    let (server, _) = token_registry(Some(300)).await;
    let sandbox = Sandbox::new();
    let config = sandbox.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        server.host(),
        basic("alice", "s3cret")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let repo = http_repo(&server.host(), "app");
    assert_eq!(client(&env).list_tags(&repo).await.unwrap(), ["1"]);
    let token_request = server
        .requests()
        .into_iter()
        .find(|r| r.path_only() == "/token")
        .unwrap();
    assert_eq!(
        token_request.header("authorization"),
        Some(format!("Basic {}", basic("alice", "s3cret")).as_str())
    );
    assert_eq!(token_request.query("account"), Some("alice"));
}

#[tokio::test]
async fn an_expired_token_is_renewed_before_it_is_refused() {
    let (server, issued) = token_registry(Some(30)).await;
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let client = client(&env);
    let repo = http_repo(&server.host(), "app");
    client.list_tags(&repo).await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    env.advance(Duration::from_secs(20));
    client.list_tags(&repo).await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 1, "still valid after 20 s");
    env.advance(Duration::from_secs(11));
    let before = server.requests().len();
    client.list_tags(&repo).await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 2, "renewed after 31 s");
    // Renewed up front: the registry saw no request with the old token.
    let after: Vec<_> = server.requests()[before..]
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.path_only(),
                r.header("authorization").unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(after, ["/token -", "/v2/app/tags/list Bearer t2"]);
}

#[tokio::test]
async fn a_token_refused_early_is_replaced_once() {
    let (server, issued) = token_registry(Some(300)).await;
    let sandbox = Sandbox::new();
    let client = client(&sandbox.env());
    let repo = http_repo(&server.host(), "app");
    client.list_tags(&repo).await.unwrap();
    // The registry now wants a newer token than the one the client holds.
    issued.fetch_add(1, Ordering::SeqCst);
    client.list_tags(&repo).await.unwrap();
    assert_eq!(server.count("/token"), 2);
}

#[tokio::test]
async fn tokens_default_to_sixty_seconds() {
    let (server, issued) = token_registry(None).await;
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let client = client(&env);
    let repo = http_repo(&server.host(), "app");
    client.list_tags(&repo).await.unwrap();
    // Renewed a few seconds early, so a token never expires between check and use.
    env.advance(Duration::from_secs(50));
    client.list_tags(&repo).await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 1);
    env.advance(Duration::from_secs(11));
    client.list_tags(&repo).await.unwrap();
    assert_eq!(issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn identity_tokens_are_exchanged_with_a_post() {
    let server = MockServer::start(|req| {
        let host = req.header("host").unwrap_or_default().to_owned();
        if req.path_only() == "/token" {
            let body = String::from_utf8_lossy(&req.body).into_owned();
            return if req.method == "POST"
                && body.contains("grant_type=refresh_token")
                && body.contains("refresh_token=refresh-me")
                && body.contains("scope=repository%3Aapp%3Apull")
            {
                MockResponse::json(200, r#"{"access_token":"granted"}"#)
            } else {
                MockResponse::status(401)
            };
        }
        if req.header("authorization") == Some("Bearer granted") {
            MockResponse::tags("app", &["1"])
        } else {
            MockResponse::status(401).header(
                "www-authenticate",
                format!(r#"Bearer realm="http://{host}/token",service="svc""#),
            )
        }
    })
    .await;
    let sandbox = Sandbox::new();
    let config = sandbox.docker_config(&format!(
        r#"{{"auths":{{"{}":{{"auth":"{}","identitytoken":"refresh-me"}}}}}}"#,
        server.host(),
        basic("alice", "")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let tags = client(&env)
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert_eq!(tags, ["1"]);
}

#[tokio::test]
async fn basic_challenge_is_answered_and_remembered() {
    let expected = format!("Basic {}", basic("bob", "pw"));
    let server = {
        let expected = expected.clone();
        MockServer::start(move |req| {
            if req.header("authorization") == Some(expected.as_str()) {
                MockResponse::tags("app", &["1"])
            } else {
                MockResponse::status(401).header("www-authenticate", r#"Basic realm="mock""#)
            }
        })
        .await
    };
    let sandbox = Sandbox::new();
    let config = sandbox.docker_config(&format!(
        r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
        server.host(),
        basic("bob", "pw")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", config.display().to_string());
    let client = client(&env);
    let repo = http_repo(&server.host(), "app");
    client.list_tags(&repo).await.unwrap();
    client.list_tags(&repo).await.unwrap();
    // One 401, then Basic up front.
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn unauthorized_without_credentials_names_the_host() {
    let server = MockServer::start(|_| {
        MockResponse::json(
            401,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        )
        .header("www-authenticate", r#"Basic realm="mock""#)
    })
    .await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "team/app"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(
        err,
        RegistryError::Unauthorized { status: 401, .. }
    ));
    assert!(
        message.starts_with(&format!(
            "{} refused access to {}/team/app (HTTP 401)",
            server.host(),
            server.host()
        )),
        "{message}"
    );
    assert!(
        message.contains("UNAUTHORIZED: authentication required"),
        "{message}"
    );
    assert!(message.contains("no stored credentials"), "{message}");
    assert!(
        message.contains(&format!("docker login {}", server.host())),
        "{message}"
    );
}

#[tokio::test]
async fn forbidden_and_not_found_map_to_their_errors() {
    let server = MockServer::start(|req| match req.path_only() {
        "/v2/denied/tags/list" => MockResponse::json(
            403,
            r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
        ),
        "/v2/odd/tags/list" => MockResponse::status(418),
        _ => MockResponse::json(404, r#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#),
    })
    .await;
    let sandbox = Sandbox::new();
    let client = client(&sandbox.env());
    let err = client
        .list_tags(&http_repo(&server.host(), "denied"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::Unauthorized { status: 403, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("DENIED"));
    let err = client
        .list_tags(&http_repo(&server.host(), "missing"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NotFound {
            host: server.host(),
            image: format!("{}/missing", server.host())
        }
    );
    let err = client
        .list_tags(&http_repo(&server.host(), "odd"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::UnexpectedStatus { status: 418, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_protocol_error() {
    let server = MockServer::start(|req| match req.path_only() {
        "/v2/broken/tags/list" => MockResponse::json(200, r#"{"tags": ["a", 1"#),
        "/v2/wrong/tags/list" => MockResponse::json(200, r#"{"tags": "a"}"#),
        "/token" => MockResponse::json(200, "not json"),
        _ => MockResponse::status(401).header(
            "www-authenticate",
            format!(
                r#"Bearer realm="http://{}/token""#,
                req.header("host").unwrap_or_default()
            ),
        ),
    })
    .await;
    let sandbox = Sandbox::new();
    let client = client(&sandbox.env());
    for name in ["broken", "wrong"] {
        let err = client
            .list_tags(&http_repo(&server.host(), name))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, RegistryError::Protocol { detail, .. } if detail.contains("not the expected JSON")),
            "{err}"
        );
    }
    let err = client
        .list_tags(&http_repo(&server.host(), "needs-token"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Protocol { detail, .. } if detail.contains("token response")),
        "{err}"
    );
}

#[tokio::test]
async fn an_empty_tag_list_is_empty() {
    let server =
        MockServer::start(|_| MockResponse::json(200, r#"{"name":"app","tags":null}"#)).await;
    let sandbox = Sandbox::new();
    let tags = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap();
    assert!(tags.is_empty());
}

#[tokio::test]
async fn a_hanging_registry_times_out() {
    let server = MockServer::start(|req| match req.path_only() {
        "/v2/slow/tags/list" => MockResponse::tags("slow", &["1"]).delay(Duration::from_secs(3)),
        _ => MockResponse::hang(),
    })
    .await;
    let sandbox = Sandbox::new();
    let options = ClientOptions {
        request_timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let client = client_with(&sandbox.env(), options);
    for name in ["hang", "slow"] {
        let started = Instant::now();
        let err = client
            .list_tags(&http_repo(&server.host(), name))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::Timeout {
                host: server.host(),
                after: Duration::from_millis(300)
            }
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            err.to_string().contains("did not answer within 300 ms"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_redirect_loop_is_reported() {
    let server = MockServer::start(|req| {
        let next = if req.path_only() == "/v2/app/tags/list" {
            "/elsewhere"
        } else {
            "/v2/app/tags/list"
        };
        MockResponse::status(302).header("location", next)
    })
    .await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&server.host(), "app"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::TooManyRedirects {
            host: server.host()
        }
    );
    // The first request and five redirects.
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .list_tags(&http_repo(&format!("127.0.0.1:{port}"), "app"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::Network { host, .. } if *host == format!("127.0.0.1:{port}")),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("cannot reach 127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn a_tls_failure_is_reported_as_tls() {
    let server = MockServer::start(|_| MockResponse::tags("app", &["1"])).await;
    let sandbox = Sandbox::new();
    let repo = RepositoryRef::new(server.host(), "app", Scheme::Https);
    let err = client(&sandbox.env()).list_tags(&repo).await.unwrap_err();
    assert!(matches!(err, RegistryError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("TLS with {} failed", server.host()))
    );
}

#[tokio::test]
async fn digests_come_from_head_with_every_manifest_type_accepted() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let server = {
        let digest = digest.clone();
        MockServer::start(move |_| {
            MockResponse::status(200).header("docker-content-digest", digest.clone())
        })
        .await
    };
    let sandbox = Sandbox::new();
    let got = client(&sandbox.env())
        .digest(&http_repo(&server.host(), "app"), "v1")
        .await
        .unwrap();
    assert_eq!(got, digest);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "HEAD");
    assert_eq!(requests[0].path, "/v2/app/manifests/v1");
    let accept = requests[0].header("accept").unwrap();
    for media_type in fluxtag_registry::MANIFEST_MEDIA_TYPES {
        assert!(accept.contains(media_type), "{accept}");
    }
}

#[tokio::test]
async fn without_a_digest_header_the_manifest_is_hashed() {
    let manifest = br#"{"schemaVersion":2}"#;
    let server = MockServer::start(move |_| {
        MockResponse::status(200)
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(manifest.to_vec())
    })
    .await;
    let sandbox = Sandbox::new();
    let got = client(&sandbox.env())
        .digest(&http_repo(&server.host(), "app"), "v1")
        .await
        .unwrap();
    assert_eq!(got, crate::support::registry::sha256_digest(manifest));
    let methods: Vec<_> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
}

#[tokio::test]
async fn an_invalid_tag_never_reaches_the_registry() {
    let server = MockServer::start(|_| MockResponse::status(200)).await;
    let sandbox = Sandbox::new();
    let err = client(&sandbox.env())
        .digest(&http_repo(&server.host(), "app"), "../../etc")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::InvalidReference { .. }),
        "{err}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_host_are_limited() {
    let server =
        MockServer::start(|_| MockResponse::tags("x", &["1"]).delay(Duration::from_millis(50)))
            .await;
    let sandbox = Sandbox::new();
    let options = ClientOptions {
        per_host_concurrency: 2,
        ..fast_options()
    };
    let client = client_with(&sandbox.env(), options);
    let repos: Vec<_> = (0..8)
        .map(|i| http_repo(&server.host(), &format!("repo{i}")))
        .collect();
    let results = futures_util::future::join_all(repos.iter().map(|r| client.list_tags(r))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.requests().len(), 8);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn docker_hub_names_go_to_its_api_host() {
    // Only the URL is checked: nothing is sent to Docker Hub.
    let repo = RepositoryRef::parse("nginx", false).unwrap();
    assert_eq!(
        repo.tags_url(),
        "https://registry-1.docker.io/v2/library/nginx/tags/list"
    );
    let repo = RepositoryRef::parse("docker.io/fluxcd/flux-cli", false).unwrap();
    assert_eq!(repo.canonical(), "index.docker.io/fluxcd/flux-cli");
    assert_eq!(repo.api_host(), "registry-1.docker.io");
}

fn env_now(env: &fluxtag_registry::FixedEnvironment) -> std::time::SystemTime {
    use fluxtag_registry::Environment as _;
    env.now()
}
