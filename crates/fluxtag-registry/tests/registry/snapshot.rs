//! Tags snapshots: both value forms, keys normalised like `spec.image`, every kind of invalid
//! file, the deterministic writer, snapshot mode of the tag service, and export.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fluxtag_registry::{
    ExclusionList, ExportItem, FixedEnvironment, Mode, Origin, RegistryError, RepositoryRef,
    Snapshot, SnapshotError, TagService,
};

use crate::support::mock::{MockResponse, MockServer};
use crate::support::{Sandbox, client, http_repo};

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn repo(image: &str) -> RepositoryRef {
    RepositoryRef::parse(image, false).unwrap()
}

#[test]
fn both_value_forms_and_normalised_keys() {
    let text = format!(
        r#"{{
            "nginx": ["1.25.0", "1.27.0", "1.26.1", "1.27.0"],
            "ghcr.io/acme/app": {{"tags": ["v1", "v2"], "digests": {{"v2": "{}"}}, "note": "ignored"}},
            "localhost:5000/team/app": {{"tags": []}}
        }}"#,
        digest('a')
    );
    let snapshot = Snapshot::parse(&text, "tags.json").unwrap();
    assert_eq!(snapshot.len(), 3);
    for spelling in [
        "nginx",
        "docker.io/nginx",
        "docker.io/library/nginx",
        "index.docker.io/library/nginx",
    ] {
        let entry = snapshot.get(&repo(spelling)).unwrap();
        assert_eq!(entry.tags, ["1.27.0", "1.26.1", "1.25.0"], "{spelling}");
        assert_eq!(entry.key, "nginx");
    }
    let app = snapshot.get(&repo("ghcr.io/acme/app")).unwrap();
    assert_eq!(app.digests.get("v2"), Some(&digest('a')));
    // The scheme plays no part in matching.
    let local = RepositoryRef::parse("localhost:5000/team/app", true).unwrap();
    assert!(snapshot.get(&local).unwrap().tags.is_empty());
    assert!(snapshot.get(&repo("ghcr.io/acme/other")).is_none());
}

#[test]
fn keys_that_name_one_image_twice_are_refused() {
    let err = Snapshot::parse(
        r#"{"alpine": ["1"], "docker.io/library/alpine": ["2"]}"#,
        "t.json",
    )
    .unwrap_err();
    assert!(matches!(err, SnapshotError::DuplicateImage { .. }));
    assert_eq!(
        err.to_string(),
        "tags snapshot t.json: keys \"alpine\" and \"docker.io/library/alpine\" both name \
         index.docker.io/library/alpine; keep one"
    );
}

#[test]
fn invalid_snapshots_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("[1, 2]", "the top level must be an object"),
        ("{\"a\": [\"1\"],", "EOF while parsing"),
        (r#"{"nginx:1.0": ["1"]}"#, "should not include a tag"),
        (
            r#"{"https://ghcr.io/a/b": ["1"]}"#,
            "should not include URL scheme",
        ),
        (r#"{"ghcr.io/a/b": "1.0"}"#, "expected an array of tags"),
        (r#"{"ghcr.io/a/b": [1]}"#, "tags must be strings"),
        (r#"{"ghcr.io/a/b": [""]}"#, "a tag is empty"),
        (r#"{"ghcr.io/a/b": {"digests": {}}}"#, "has no `tags`"),
        (
            r#"{"ghcr.io/a/b": {"tags": "x"}}"#,
            "`tags` must be an array",
        ),
        (
            r#"{"ghcr.io/a/b": {"tags": [], "digests": []}}"#,
            "`digests` must be an object",
        ),
        (
            r#"{"ghcr.io/a/b": {"tags": ["v1"], "digests": {"v1": "md5"}}}"#,
            "not of the form",
        ),
    ];
    for (text, expected) in cases {
        let err = Snapshot::parse(text, "t.json").unwrap_err();
        assert!(err.to_string().contains(expected), "{text}: {err}");
        assert!(err.to_string().contains("t.json"), "{text}: {err}");
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = Snapshot::read(std::path::Path::new("/nonexistent/tags.json")).unwrap_err();
    assert!(matches!(err, SnapshotError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("tags snapshot /nonexistent/tags.json: ")
    );
}

#[test]
fn the_writer_is_deterministic_and_round_trips() {
    let mut snapshot = Snapshot::new();
    let mut digests = BTreeMap::new();
    digests.insert("1.0".to_owned(), digest('b'));
    snapshot.insert(
        &repo("ghcr.io/acme/app"),
        vec!["0.9".into(), "1.0".into(), "0.9".into()],
        digests,
    );
    snapshot.insert(
        &repo("alpine"),
        vec!["3.19".into(), "3.20".into()],
        BTreeMap::new(),
    );
    let expected = format!(
        r#"{{
  "ghcr.io/acme/app": {{
    "tags": [
      "1.0",
      "0.9"
    ],
    "digests": {{
      "1.0": "{}"
    }}
  }},
  "index.docker.io/library/alpine": [
    "3.20",
    "3.19"
  ]
}}
"#,
        digest('b')
    );
    assert_eq!(snapshot.to_json(), expected);

    let sandbox = Sandbox::new();
    let path = sandbox.path().join("tags.json");
    snapshot.write(&path).unwrap();
    let read = Snapshot::read(&path).unwrap();
    assert_eq!(read.to_json(), expected);
    assert_eq!(
        std::fs::read_dir(sandbox.path()).unwrap().count(),
        3,
        "bin, home and tags.json: no temporary file left"
    );
}

#[tokio::test]
async fn snapshot_mode_applies_the_exclusion_list_and_never_uses_the_network() {
    let text = format!(
        r#"{{"ghcr.io/acme/app": {{"tags": ["1.0", "1.1", "1.1.sig"], "digests": {{"1.1": "{}"}}}}}}"#,
        digest('c')
    );
    let snapshot = Arc::new(Snapshot::parse(&text, "tags.json").unwrap());
    let service = TagService::new(
        Mode::Snapshot(snapshot),
        None,
        None,
        Arc::new(FixedEnvironment::new()),
    );
    let app = repo("ghcr.io/acme/app");
    let tags = service
        .tags(
            &app,
            Duration::from_secs(60),
            &ExclusionList::new(&[]).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(tags.tags, ["1.1", "1.0"]);
    assert_eq!(tags.origin, Origin::Snapshot);
    assert_eq!(tags.fetched_at, None);
    let d = service
        .digest(&app, "1.1", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((d.digest, d.origin), (digest('c'), Origin::Snapshot));

    let err = service
        .digest(&app, "1.0", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the tags snapshot tags.json has no digest for ghcr.io/acme/app:1.0"
    );
    let err = service
        .tags(
            &repo("ghcr.io/acme/other"),
            Duration::from_secs(60),
            &ExclusionList::new(&[]).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotInSnapshot { .. }));
    assert!(err.is_unavailable_offline());
}

#[tokio::test]
async fn export_writes_raw_tags_and_requested_digests() {
    let server = MockServer::start(|req| match req.path_only() {
        "/v2/app/tags/list" => MockResponse::tags("app", &["1.0", "1.1", "1.1.sig"]),
        "/v2/app/manifests/1.1" => {
            MockResponse::status(200).header("docker-content-digest", digest('d'))
        }
        _ => MockResponse::status(404),
    })
    .await;
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let service = TagService::new(
        Mode::Online { refresh: false },
        Some(client(&env)),
        None,
        Arc::new(env.clone()),
    );
    let items = [
        ExportItem {
            repo: http_repo(&server.host(), "app"),
            interval: Duration::from_secs(60),
            digest_tags: vec!["1.1".into()],
        },
        ExportItem {
            repo: http_repo(&server.host(), "missing"),
            interval: Duration::from_secs(60),
            digest_tags: Vec::new(),
        },
    ];
    let (snapshot, failures) = service.export(&items).await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, items[1].repo);
    assert!(matches!(failures[0].1, RegistryError::NotFound { .. }));
    let expected = format!(
        r#"{{
  "{}/app": {{
    "tags": [
      "1.1.sig",
      "1.1",
      "1.0"
    ],
    "digests": {{
      "1.1": "{}"
    }}
  }}
}}
"#,
        server.host(),
        digest('d')
    );
    assert_eq!(snapshot.to_json(), expected);
    // What was exported reads back as the same snapshot.
    let reread = Snapshot::parse(&snapshot.to_json(), "export").unwrap();
    assert_eq!(reread.to_json(), expected);
}
