//! The disk cache and the tag service's modes against a mock registry: freshness by interval
//! (at least a minute), refresh, offline, corrupt and foreign entries, atomic writes, concurrent
//! callers sharing one fetch, and the exclusion list on every source.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use fluxtag_registry::{
    CacheEntry, CachedDigest, DiskCache, Environment as _, ExclusionList, FixedEnvironment, Mode,
    Origin, RegistryError, TagService,
};

use crate::support::mock::{MockResponse, MockServer};
use crate::support::{Sandbox, client, http_repo};

struct Setup {
    server: MockServer,
    sandbox: Sandbox,
    env: FixedEnvironment,
    cache: Arc<DiskCache>,
}

impl Setup {
    async fn new() -> Self {
        let digest = format!("sha256:{}", "cd".repeat(32));
        let server = MockServer::start(move |req| {
            if req.path_only().contains("/manifests/") {
                MockResponse::status(200).header("docker-content-digest", digest.clone())
            } else {
                MockResponse::tags("app", &["1.0", "2.0", "2.0.sig", "latest"])
                    .delay(Duration::from_millis(20))
            }
        })
        .await;
        let sandbox = Sandbox::new();
        let env = sandbox.env();
        let cache = Arc::new(DiskCache::new(sandbox.path().join("cache")));
        Self {
            server,
            sandbox,
            env,
            cache,
        }
    }

    fn service(&self, mode: Mode) -> TagService {
        TagService::new(
            mode,
            Some(client(&self.env)),
            Some(Arc::clone(&self.cache)),
            Arc::new(self.env.clone()),
        )
    }

    fn repo(&self) -> fluxtag_registry::RepositoryRef {
        http_repo(&self.server.host(), "app")
    }

    fn fetches(&self) -> usize {
        self.server.count("/v2/app/tags/list")
    }
}

fn default_exclusion() -> ExclusionList {
    ExclusionList::new(&[]).unwrap()
}

#[tokio::test]
async fn fresh_for_the_interval_then_fetched_again() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let interval = Duration::from_secs(300);
    let first = service
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(first.origin, Origin::Registry);
    assert_eq!(first.tags, ["latest", "2.0", "1.0"]);
    s.env.advance(Duration::from_secs(299));
    let second = service
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(second.origin, Origin::Cache);
    assert_eq!(second.tags, first.tags);
    assert_eq!(s.fetches(), 1);
    s.env.advance(Duration::from_secs(2));
    let third = service
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(third.origin, Origin::Registry);
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn freshness_is_at_least_a_minute() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let zero = Duration::ZERO;
    service
        .tags(&s.repo(), zero, &default_exclusion())
        .await
        .unwrap();
    s.env.advance(Duration::from_secs(59));
    service
        .tags(&s.repo(), zero, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(s.fetches(), 1);
    s.env.advance(Duration::from_secs(2));
    service
        .tags(&s.repo(), zero, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn refresh_ignores_older_entries_but_fetches_each_image_once() {
    let s = Setup::new().await;
    let interval = Duration::from_secs(3600);
    s.service(Mode::Online { refresh: false })
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    s.env.advance(Duration::from_secs(1));
    let refreshing = s.service(Mode::Online { refresh: true });
    let a = refreshing
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(a.origin, Origin::Registry);
    let b = refreshing
        .tags(&s.repo(), interval, &default_exclusion())
        .await
        .unwrap();
    // The second answer is the one this run fetched (its run record), not the disk cache's.
    assert_eq!(b.origin, Origin::Registry);
    assert_eq!(b.tags, a.tags);
    assert_eq!(s.fetches(), 2);
}

/// Issue 11 item 3: `check`, a tag pushed, `check --refresh` within the same wall-clock second
/// (here: a clock that never moves). The refreshing run must fetch again and see the new tag, and
/// fetch each image and each digest exactly once however often it is asked, with or without a
/// disk cache.
#[tokio::test]
async fn refresh_sees_a_tag_pushed_within_the_same_second_and_fetches_once() {
    let tags = Arc::new(std::sync::Mutex::new(vec!["1.0", "2.0"]));
    let server = {
        let tags = Arc::clone(&tags);
        let digest = format!("sha256:{}", "ef".repeat(32));
        MockServer::start(move |req| {
            if req.path_only().contains("/manifests/") {
                MockResponse::status(200).header("docker-content-digest", digest.clone())
            } else {
                MockResponse::tags("app", &tags.lock().unwrap())
            }
        })
        .await
    };
    let sandbox = Sandbox::new();
    let env = sandbox.env();
    let cache = Arc::new(DiskCache::new(sandbox.path().join("cache")));
    let repo = http_repo(&server.host(), "app");
    let interval = Duration::from_secs(3600);
    let service = |mode: Mode, cache: Option<Arc<DiskCache>>| {
        TagService::new(mode, Some(client(&env)), cache, Arc::new(env.clone()))
    };

    let first = service(Mode::Online { refresh: false }, Some(Arc::clone(&cache)));
    let seen = first
        .tags(&repo, interval, &default_exclusion())
        .await
        .unwrap();
    assert_eq!(seen.tags, ["2.0", "1.0"]);
    first.digest(&repo, "2.0", interval).await.unwrap();
    tags.lock().unwrap().push("3.0");

    let refreshing = service(Mode::Online { refresh: true }, Some(Arc::clone(&cache)));
    for _ in 0..3 {
        let seen = refreshing
            .tags(&repo, interval, &default_exclusion())
            .await
            .unwrap();
        assert_eq!(seen.tags, ["3.0", "2.0", "1.0"], "the pushed tag is seen");
        refreshing.digest(&repo, "2.0", interval).await.unwrap();
    }
    assert_eq!(server.count("/v2/app/tags/list"), 2, "once per run");
    assert_eq!(server.count("/v2/app/manifests/2.0"), 2, "once per run");
    // The refreshing run wrote the cache for the runs after it.
    let entry = cache.load(&repo.canonical()).await.unwrap();
    assert_eq!(entry.tags.unwrap().0, ["3.0", "2.0", "1.0"]);

    // Without a disk cache, the run record alone keeps it to one fetch.
    let uncached = service(Mode::Online { refresh: true }, None);
    let exclusion = default_exclusion();
    let calls = (0..5).map(|_| uncached.tags(&repo, interval, &exclusion));
    for result in futures_util::future::join_all(calls).await {
        assert_eq!(result.unwrap().tags, ["3.0", "2.0", "1.0"]);
    }
    uncached.tags(&repo, interval, &exclusion).await.unwrap();
    assert_eq!(server.count("/v2/app/tags/list"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_image_share_one_fetch() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let repo = s.repo();
    let exclusion = default_exclusion();
    let calls = (0..20).map(|_| service.tags(&repo, Duration::from_secs(60), &exclusion));
    let results = futures_util::future::join_all(calls).await;
    for r in &results {
        assert_eq!(r.as_ref().unwrap().tags, ["latest", "2.0", "1.0"]);
    }
    assert_eq!(s.fetches(), 1);
    let digests = (0..10).map(|_| service.digest(&repo, "2.0", Duration::from_secs(60)));
    let results = futures_util::future::join_all(digests).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(s.server.count("/v2/app/manifests/2.0"), 1);
}

#[tokio::test]
async fn one_failing_image_does_not_stop_the_others() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let good = s.repo();
    let bad = http_repo("127.0.0.1:1", "gone");
    let exclusion = default_exclusion();
    let (a, b) = tokio::join!(
        service.tags(&good, Duration::from_secs(60), &exclusion),
        service.tags(&bad, Duration::from_secs(60), &exclusion)
    );
    assert!(a.is_ok());
    assert!(matches!(b, Err(RegistryError::Network { .. })));
}

#[tokio::test]
async fn offline_uses_any_age_and_reports_what_is_missing() {
    let s = Setup::new().await;
    s.service(Mode::Online { refresh: false })
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap();
    s.env.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    let offline = s.service(Mode::Offline);
    let tags = offline
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap();
    assert_eq!(tags.origin, Origin::Cache);
    assert_eq!(s.fetches(), 1);
    let missing = http_repo(&s.server.host(), "never-fetched");
    let err = offline
        .tags(&missing, Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::NotCached {
            image: missing.canonical()
        }
    );
    assert!(err.is_unavailable_offline());
    let err = offline
        .digest(&s.repo(), "2.0", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(err.is_unavailable_offline());
    assert_eq!(
        s.server.requests().len(),
        1,
        "offline never asks the registry"
    );
}

#[tokio::test]
async fn offline_without_a_cache_is_unresolved() {
    let env = FixedEnvironment::new();
    let service = TagService::new(Mode::Offline, None, None, Arc::new(env));
    let err = service
        .tags(
            &http_repo("127.0.0.1:1", "a"),
            Duration::from_secs(60),
            &default_exclusion(),
        )
        .await
        .unwrap_err();
    assert!(err.is_unavailable_offline());
}

#[tokio::test]
async fn a_corrupt_entry_is_refetched_and_replaced() {
    let s = Setup::new().await;
    let path = s.cache.path_for(&s.repo().canonical());
    std::fs::create_dir_all(s.cache.dir()).unwrap();
    std::fs::write(
        &path,
        b"{\"format\": \"fluxtag-registry-cache\", \"tags\": [1, 2",
    )
    .unwrap();
    let service = s.service(Mode::Online { refresh: false });
    let tags = service
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap();
    assert_eq!(tags.origin, Origin::Registry);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"2.0.sig\""), "raw tags are cached: {text}");
    assert!(s.cache.load(&s.repo().canonical()).await.is_some());
}

#[tokio::test]
async fn a_foreign_entry_is_ignored() {
    let s = Setup::new().await;
    let canonical = s.repo().canonical();
    // An entry written for another image, copied over this image's file.
    let other = CacheEntry {
        image: "ghcr.io/someone/else".into(),
        tags: Some((vec!["9.9".into()], s.env.now())),
        digests: BTreeMap::new(),
    };
    s.cache.store(&other).await.unwrap();
    std::fs::copy(
        s.cache.path_for("ghcr.io/someone/else"),
        s.cache.path_for(&canonical),
    )
    .unwrap();
    assert!(s.cache.load(&canonical).await.is_none());
    // Another format version is ignored too.
    std::fs::write(
        s.cache.path_for(&canonical),
        format!(
            r#"{{"format":"fluxtag-registry-cache","version":99,"image":"{canonical}","tags":[]}}"#
        ),
    )
    .unwrap();
    assert!(s.cache.load(&canonical).await.is_none());
    // A time no clock can hold is ignored, not a panic.
    std::fs::write(
        s.cache.path_for(&canonical),
        format!(
            r#"{{"format":"fluxtag-registry-cache","version":1,"image":"{canonical}","tags_fetched_at":18446744073709551615,"tags":["1"]}}"#
        ),
    )
    .unwrap();
    assert!(s.cache.load(&canonical).await.is_none());
    let tags = s
        .service(Mode::Offline)
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await;
    assert!(tags.is_err());
}

#[tokio::test]
async fn entries_round_trip_and_leave_no_temporary_files() {
    let sandbox = Sandbox::new();
    let cache = DiskCache::new(sandbox.path().join("c"));
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut digests = BTreeMap::new();
    digests.insert(
        "1.0".to_owned(),
        CachedDigest {
            digest: format!("sha256:{}", "0".repeat(64)),
            fetched_at: at,
        },
    );
    let entry = CacheEntry {
        image: "ghcr.io/acme/app".into(),
        tags: Some((vec!["1.0".into(), "0.9".into()], at)),
        digests,
    };
    cache.store(&entry).await.unwrap();
    cache.store(&entry).await.unwrap();
    assert_eq!(cache.load("ghcr.io/acme/app").await.unwrap(), entry);
    let files: Vec<_> = std::fs::read_dir(cache.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("ghcr.io_acme_app-") && files[0].ends_with(".json"));
    assert_ne!(
        cache.path_for("ghcr.io/acme/app"),
        cache.path_for("ghcr.io/acme_app")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_digests_written_together_are_both_kept() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let repo = s.repo();
    let exclusion = default_exclusion();
    let (tags, d1, d2) = tokio::join!(
        service.tags(&repo, Duration::from_secs(60), &exclusion),
        service.digest(&repo, "1.0", Duration::from_secs(60)),
        service.digest(&repo, "2.0", Duration::from_secs(60)),
    );
    tags.unwrap();
    d1.unwrap();
    d2.unwrap();
    let entry = s.cache.load(&repo.canonical()).await.unwrap();
    assert!(entry.tags.is_some());
    assert_eq!(entry.digests.len(), 2);
}

#[tokio::test]
async fn a_cache_that_cannot_be_written_does_not_fail_the_listing() {
    let s = Setup::new().await;
    // The cache "directory" is a file.
    let blocked = s.sandbox.path().join("blocked");
    std::fs::write(&blocked, b"").unwrap();
    let service = TagService::new(
        Mode::Online { refresh: false },
        Some(client(&s.env)),
        Some(Arc::new(DiskCache::new(blocked.join("sub")))),
        Arc::new(s.env.clone()),
    );
    let tags = service
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap();
    assert_eq!(tags.origin, Origin::Registry);
}

#[tokio::test]
async fn the_exclusion_list_applies_to_registry_and_cache_alike() {
    let s = Setup::new().await;
    let service = s.service(Mode::Online { refresh: false });
    let custom = ExclusionList::new(&["^latest$".to_owned(), r"\.0$".to_owned()]).unwrap();
    let from_registry = service
        .tags(&s.repo(), Duration::from_secs(60), &custom)
        .await
        .unwrap();
    assert_eq!(from_registry.origin, Origin::Registry);
    // Custom patterns replace the default: the .sig tag is back.
    assert_eq!(from_registry.tags, ["2.0.sig"]);
    let from_cache = service
        .tags(&s.repo(), Duration::from_secs(60), &default_exclusion())
        .await
        .unwrap();
    assert_eq!(from_cache.origin, Origin::Cache);
    assert_eq!(from_cache.tags, ["latest", "2.0", "1.0"]);
}

#[test]
fn the_default_cache_dir_is_under_the_user_cache() {
    let env = FixedEnvironment::new().with_cache_dir("/home/u/.cache");
    assert_eq!(
        DiskCache::default_dir(&env),
        Some(std::path::PathBuf::from("/home/u/.cache/fluxtag/registry"))
    );
    assert_eq!(DiskCache::default_dir(&FixedEnvironment::new()), None);
}
