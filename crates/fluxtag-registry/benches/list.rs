//! Listing 200 images of 50 tags each from the real registry (Debian's `docker-registry` on
//! 127.0.0.1), all concurrently: cold (new client, empty cache, every tag list fetched and the
//! cache written) and warm (every tag list read from the disk cache).
//!
//! The images are pushed once through the registry API into storage under the workspace's
//! `target/` directory and reused by later runs. Goal: cold < 1 s, warm < 50 ms.
//!
//! Run: `cargo bench -p fluxtag-registry --bench list`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[allow(dead_code)]
#[path = "../tests/registry/support/registry.rs"]
mod registry;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fluxtag_registry::{
    ClientOptions, DiskCache, ExclusionList, FixedEnvironment, Mode, RegistryClient, RepositoryRef,
    Scheme, TagService,
};
use futures_util::StreamExt as _;
use registry::{Pusher, RealRegistry, RegistryAuth};

const IMAGES: usize = 200;
const TAGS: usize = 50;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    host: String,
    repos: Vec<RepositoryRef>,
    warm_cache: tempfile::TempDir,
    exclusion: ExclusionList,
}

static REGISTRY: Mutex<Option<RealRegistry>> = Mutex::new(None);
static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

fn storage_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/fluxtag-registry-bench")
        .join(format!("{IMAGES}x{TAGS}-v1"))
}

fn repo_name(i: usize) -> String {
    format!("bench/app-{i:03}")
}

fn fixture() -> Option<&'static Fixture> {
    FIXTURE
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let storage = storage_dir();
            let done = storage.join("populated");
            if !done.exists() {
                let _ = std::fs::remove_dir_all(&storage);
            }
            let registry = RealRegistry::start_with_storage(RegistryAuth::None, &storage)?;
            let host = registry.host();
            if !done.exists() {
                let started = Instant::now();
                let pusher = Pusher::new(&registry.base(), None);
                let tags: Vec<String> = (0..TAGS).map(|t| format!("1.{t}.0")).collect();
                let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
                runtime.block_on(async {
                    futures_util::stream::iter(0..IMAGES)
                        .map(|i| {
                            let pusher = &pusher;
                            let tag_refs = &tag_refs;
                            async move { pusher.push_image(&repo_name(i), tag_refs).await }
                        })
                        .buffer_unordered(16)
                        .collect::<Vec<_>>()
                        .await;
                });
                std::fs::write(&done, b"").unwrap();
                eprintln!(
                    "pushed {IMAGES} images x {TAGS} tags in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            *REGISTRY.lock().unwrap() = Some(registry);
            let repos: Vec<_> = (0..IMAGES)
                .map(|i| RepositoryRef::new(host.clone(), repo_name(i), Scheme::Http))
                .collect();
            let exclusion = ExclusionList::new(&[]).unwrap();
            let warm_cache = tempfile::tempdir().unwrap();
            let fixture = Fixture {
                runtime,
                host,
                repos,
                warm_cache,
                exclusion,
            };
            // Fill the warm cache once, and check what a listing returns.
            let service = fixture.service(fixture.warm_cache.path().to_owned());
            let lists = fixture.runtime.block_on(fixture.list_all(&service));
            assert_eq!(lists, IMAGES * TAGS, "every tag of every image");
            Some(fixture)
        })
        .as_ref()
}

impl Fixture {
    fn service(&self, cache_dir: PathBuf) -> TagService {
        let env = Arc::new(FixedEnvironment::new());
        let client = RegistryClient::new(ClientOptions::default(), env.clone()).unwrap();
        TagService::new(
            Mode::Online { refresh: false },
            Some(Arc::new(client)),
            Some(Arc::new(DiskCache::new(cache_dir))),
            env,
        )
    }

    /// Lists every image concurrently; returns the number of tags seen.
    async fn list_all(&self, service: &TagService) -> usize {
        let interval = Duration::from_secs(600);
        let results = futures_util::future::join_all(
            self.repos
                .iter()
                .map(|r| service.tags(r, interval, &self.exclusion)),
        )
        .await;
        results.into_iter().map(|r| r.unwrap().tags.len()).sum()
    }
}

/// New client, empty cache: 200 tag lists fetched concurrently and written to the cache.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn cold_200_images(bencher: divan::Bencher) {
    let Some(f) = fixture() else { return };
    bencher
        .with_inputs(|| {
            let dir = tempfile::tempdir().unwrap();
            let service = f.service(dir.path().to_owned());
            (dir, service)
        })
        .bench_local_refs(|(_dir, service)| {
            assert_eq!(f.runtime.block_on(f.list_all(service)), IMAGES * TAGS);
        });
}

/// A new service over a filled cache: 200 tag lists read from disk concurrently.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn warm_200_images(bencher: divan::Bencher) {
    let Some(f) = fixture() else { return };
    bencher
        .with_inputs(|| f.service(f.warm_cache.path().to_owned()))
        .bench_local_refs(|service| {
            assert_eq!(f.runtime.block_on(f.list_all(service)), IMAGES * TAGS);
        });
}

fn main() {
    if registry::find_binary().is_none() {
        eprintln!("SKIPPED: docker-registry is not installed; nothing to benchmark");
        return;
    }
    divan::main();
    if let Some(f) = fixture() {
        eprintln!("registry at {}", f.host);
    }
    // Statics are never dropped: stop the registry by hand.
    drop(REGISTRY.lock().unwrap().take());
}
