//! Credential lookup with temporary `DOCKER_CONFIG`s, Podman auth files and fake
//! `docker-credential-*` helpers on a temporary `PATH`; the developer's own files are never read.

use std::sync::Arc;

use fluxtag_registry::credentials::{CredentialOrigin, CredentialStore, Lookup};
use fluxtag_registry::{Credential, FixedEnvironment};

use crate::support::{Sandbox, basic};

async fn lookup(env: FixedEnvironment, registry: &str, repository: &str) -> Lookup {
    CredentialStore::new(Arc::new(env))
        .lookup(registry, repository)
        .await
}

fn basic_of(lookup: &Lookup) -> Option<(String, bool)> {
    match &lookup.found.as_ref()?.credential {
        Credential::Basic { username, password } => Some((username.clone(), !password.is_empty())),
        Credential::IdentityToken { .. } => None,
    }
}

fn password_is(lookup: &Lookup, expected: &str) -> bool {
    // The secret is only readable inside the crate; compare through a credential built here.
    match &lookup.found.as_ref().map(|f| &f.credential) {
        Some(Credential::Basic { password, .. }) => {
            *password == fluxtag_registry::Secret::new(expected)
        }
        Some(Credential::IdentityToken { token, .. }) => {
            *token == fluxtag_registry::Secret::new(expected)
        }
        None => false,
    }
}

#[tokio::test]
async fn auths_entry_by_host() {
    let sandbox = Sandbox::new();
    let dir = sandbox.docker_config(&format!(
        r#"{{"auths":{{"https://GHCR.io":{{"auth":"{}"}},"other.example":{{"auth":"{}"}}}}}}"#,
        basic("me", "pw"),
        basic("no", "no")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env.clone(), "ghcr.io", "acme/app").await;
    assert_eq!(basic_of(&found), Some(("me".into(), true)));
    assert!(password_is(&found, "pw"));
    assert_eq!(
        found.found.unwrap().origin,
        CredentialOrigin::File(dir.join("config.json"))
    );
    assert!(lookup(env, "quay.io", "acme/app").await.found.is_none());
}

#[tokio::test]
async fn home_docker_config_when_docker_config_is_unset() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.home().join(".docker")).unwrap();
    std::fs::write(
        sandbox.home().join(".docker/config.json"),
        format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
            basic("hubuser", "hubpw")
        ),
    )
    .unwrap();
    for registry in ["index.docker.io", "docker.io", "registry-1.docker.io"] {
        let found = lookup(sandbox.env(), registry, "library/alpine").await;
        assert_eq!(
            basic_of(&found),
            Some(("hubuser".into(), true)),
            "{registry}"
        );
    }
}

#[tokio::test]
async fn identity_tokens_are_kept_as_such() {
    let sandbox = Sandbox::new();
    let dir = sandbox.docker_config(&format!(
        r#"{{"auths":{{"myacr.azurecr.io":{{"auth":"{}","identitytoken":"refresh"}}}}}}"#,
        basic("00000000-0000-0000-0000-000000000000", "")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env, "myacr.azurecr.io", "app").await;
    match &found.found.as_ref().unwrap().credential {
        Credential::IdentityToken { username, .. } => {
            assert_eq!(
                username.as_deref(),
                Some("00000000-0000-0000-0000-000000000000")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(password_is(&found, "refresh"));
}

#[tokio::test]
async fn cred_helpers_run_with_the_server_on_stdin() {
    let sandbox = Sandbox::new();
    let seen = sandbox.path().join("seen");
    sandbox.helper(
        "ecr-fake",
        &format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\ncat > {}\nprintf '{{\"ServerURL\":\"x\",\"Username\":\"AWS\",\"Secret\":\"ecr-token\"}}'\n",
            seen.display()
        ),
    );
    let dir = sandbox.docker_config(
        r#"{"credHelpers":{"123456789012.dkr.ecr.eu-west-1.amazonaws.com":"ecr-fake"},
            "auths":{"123456789012.dkr.ecr.eu-west-1.amazonaws.com":{"auth":"bm86bm8="}}}"#,
    );
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app").await;
    assert_eq!(basic_of(&found), Some(("AWS".into(), true)));
    assert!(password_is(&found, "ecr-token"));
    assert_eq!(
        found.found.unwrap().origin,
        CredentialOrigin::Helper("docker-credential-ecr-fake".into())
    );
    assert_eq!(
        std::fs::read_to_string(seen).unwrap(),
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    );
}

#[tokio::test]
async fn creds_store_asks_for_docker_hub_by_its_legacy_key_and_token_usernames_are_identity_tokens()
{
    let sandbox = Sandbox::new();
    let seen = sandbox.path().join("seen");
    sandbox.helper(
        "desktop-fake",
        &format!(
            "#!/bin/sh\ncat > {}\nprintf '{{\"Username\":\"<token>\",\"Secret\":\"refresh-token\"}}'\n",
            seen.display()
        ),
    );
    let dir = sandbox.docker_config(
        r#"{"credsStore":"desktop-fake","auths":{"https://index.docker.io/v1/":{}}}"#,
    );
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env, "index.docker.io", "library/alpine").await;
    assert!(matches!(
        found.found.as_ref().unwrap().credential,
        Credential::IdentityToken { username: None, .. }
    ));
    assert_eq!(
        std::fs::read_to_string(seen).unwrap(),
        "https://index.docker.io/v1/"
    );
}

#[tokio::test]
async fn a_helper_without_credentials_falls_back_to_auths() {
    let sandbox = Sandbox::new();
    sandbox.helper(
        "empty",
        "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n",
    );
    let dir = sandbox.docker_config(&format!(
        r#"{{"credsStore":"empty","auths":{{"registry.example":{{"auth":"{}"}}}}}}"#,
        basic("inline", "pw")
    ));
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env.clone(), "registry.example", "app").await;
    assert_eq!(basic_of(&found), Some(("inline".into(), true)));
    assert!(found.problems.is_empty());
    let none = lookup(env, "elsewhere.example", "app").await;
    assert!(none.found.is_none());
    assert!(none.problems.is_empty());
}

#[tokio::test]
async fn a_missing_or_failing_helper_is_a_problem_not_a_crash() {
    let sandbox = Sandbox::new();
    sandbox.helper("broken", "#!/bin/sh\necho 'SECRET-IN-OUTPUT'\nexit 2\n");
    sandbox.helper("garbage", "#!/bin/sh\necho 'not json SECRET-IN-OUTPUT'\n");
    let dir = sandbox.docker_config(
        r#"{"credHelpers":{"a.example":"absent","b.example":"broken","c.example":"garbage"}}"#,
    );
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let store = CredentialStore::new(Arc::new(env));
    let a = store.lookup("a.example", "x").await;
    assert!(a.found.is_none());
    assert_eq!(
        a.problems[0].to_string(),
        "the credential helper docker-credential-absent (for a.example) is not on PATH"
    );
    let b = store.lookup("b.example", "x").await;
    assert!(
        b.problems[0]
            .to_string()
            .contains("docker-credential-broken get failed for b.example")
    );
    let c = store.lookup("c.example", "x").await;
    assert!(c.problems[0].to_string().contains("not the expected JSON"));
    for problem in b.problems.iter().chain(&c.problems) {
        assert!(!problem.to_string().contains("SECRET-IN-OUTPUT"));
    }
}

#[tokio::test]
async fn a_helper_runs_once_per_server() {
    let sandbox = Sandbox::new();
    let count = sandbox.path().join("count");
    sandbox.helper(
        "counting",
        &format!(
            "#!/bin/sh\necho x >> {}\nprintf '{{\"Username\":\"u\",\"Secret\":\"s\"}}'\n",
            count.display()
        ),
    );
    let dir = sandbox.docker_config(r#"{"credsStore":"counting"}"#);
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let store = CredentialStore::new(Arc::new(env));
    let lookups = (0..10).map(|i| {
        let store = &store;
        async move { store.lookup("ghcr.io", &format!("acme/app{i}")).await }
    });
    let results = futures_util::future::join_all(lookups).await;
    assert!(results.iter().all(|l| l.found.is_some()));
    store.lookup("quay.io", "acme/app").await;
    assert_eq!(std::fs::read_to_string(count).unwrap().lines().count(), 2);
}

#[tokio::test]
async fn podman_files_and_their_order() {
    let sandbox = Sandbox::new();
    // Podman's runtime file, with a namespace-scoped key that beats the host key.
    let runtime = sandbox.path().join("run");
    std::fs::create_dir_all(runtime.join("containers")).unwrap();
    std::fs::write(
        runtime.join("containers/auth.json"),
        format!(
            r#"{{"auths":{{"quay.io":{{"auth":"{}"}},"quay.io/acme":{{"auth":"{}"}}}}}}"#,
            basic("host-wide", "1"),
            basic("acme-robot", "2")
        ),
    )
    .unwrap();
    // Docker's file has quay.io too, and comes first.
    let docker = sandbox.docker_config(&format!(
        r#"{{"auths":{{"ghcr.io":{{"auth":"{}"}}}}}}"#,
        basic("docker-user", "3")
    ));
    let env = sandbox
        .env()
        .with_var("XDG_RUNTIME_DIR", runtime.display().to_string())
        .with_var("DOCKER_CONFIG", docker.display().to_string());
    assert_eq!(
        basic_of(&lookup(env.clone(), "quay.io", "acme/app").await)
            .unwrap()
            .0,
        "acme-robot"
    );
    assert_eq!(
        basic_of(&lookup(env.clone(), "quay.io", "other/app").await)
            .unwrap()
            .0,
        "host-wide"
    );
    assert_eq!(
        basic_of(&lookup(env.clone(), "ghcr.io", "x/y").await)
            .unwrap()
            .0,
        "docker-user"
    );

    // REGISTRY_AUTH_FILE comes before everything else.
    let explicit = sandbox.path().join("explicit.json");
    std::fs::write(
        &explicit,
        format!(
            r#"{{"auths":{{"ghcr.io":{{"auth":"{}"}}}}}}"#,
            basic("explicit-user", "4")
        ),
    )
    .unwrap();
    let env = env.with_var("REGISTRY_AUTH_FILE", explicit.display().to_string());
    assert_eq!(
        basic_of(&lookup(env, "ghcr.io", "x/y").await).unwrap().0,
        "explicit-user"
    );
}

#[tokio::test]
async fn a_corrupt_file_is_reported_and_the_next_one_used() {
    let sandbox = Sandbox::new();
    let docker = sandbox.docker_config(r#"{"auths": {"ghcr.io": {"auth": "#);
    let runtime = sandbox.path().join("run");
    std::fs::create_dir_all(runtime.join("containers")).unwrap();
    std::fs::write(
        runtime.join("containers/auth.json"),
        format!(
            r#"{{"auths":{{"ghcr.io":{{"auth":"{}"}}}}}}"#,
            basic("podman", "pw")
        ),
    )
    .unwrap();
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", docker.display().to_string())
        .with_var("XDG_RUNTIME_DIR", runtime.display().to_string());
    let found = lookup(env, "ghcr.io", "a/b").await;
    assert_eq!(basic_of(&found).unwrap().0, "podman");
    assert_eq!(found.problems.len(), 1);
    assert!(
        found.problems[0]
            .to_string()
            .contains("config.json is not valid")
    );
}

#[tokio::test]
async fn an_unusable_auth_entry_is_a_problem() {
    let sandbox = Sandbox::new();
    let dir = sandbox.docker_config(r#"{"auths":{"ghcr.io":{"auth":"%%%"}}}"#);
    let env = sandbox
        .env()
        .with_var("DOCKER_CONFIG", dir.display().to_string());
    let found = lookup(env, "ghcr.io", "a/b").await;
    assert!(found.found.is_none());
    assert!(found.problems[0].to_string().contains("not valid base64"));
}

#[tokio::test]
async fn an_empty_environment_reads_nothing() {
    // No HOME, no DOCKER_CONFIG, no XDG dirs: no file is even a candidate.
    let store = CredentialStore::new(Arc::new(FixedEnvironment::new()));
    assert!(store.candidate_files().is_empty());
    assert_eq!(store.lookup("ghcr.io", "a/b").await, Lookup::default());
}
