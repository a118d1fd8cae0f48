//! Benchmarks of policy evaluation over 10,000 tags: semver (mixed tags), numerical,
//! alphabetical, and a filterTags + extract policy. Run with
//! `cargo bench -p fluxtag-policy --bench evaluate`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use divan::{Bencher, black_box};
use fluxtag_policy::{Policy, PolicySpec, TagFilterSpec};

fn main() {
    divan::main();
}

const TAGS: usize = 10_000;

/// A small deterministic generator (no randomness crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Semver-ish tags: plain, `v`-prefixed, prereleases, build metadata, two-part tags, junk.
fn mixed_tags() -> Vec<String> {
    let mut rng = Lcg(42);
    (0..TAGS)
        .map(|i| {
            let (ma, mi, pa) = (rng.below(60), rng.below(30), rng.below(100));
            match i % 8 {
                0..=2 => format!("{ma}.{mi}.{pa}"),
                3 => format!("v{ma}.{mi}.{pa}"),
                4 => format!("{ma}.{mi}.{pa}-rc.{}", rng.below(20)),
                5 => format!("{ma}.{mi}.{pa}+build.{}", rng.below(1000)),
                6 => format!("{ma}.{mi}"),
                _ => format!("main-{:08x}", rng.next()),
            }
        })
        .collect()
}

/// Numeric tags (unix timestamps, some floats).
fn numeric_tags() -> Vec<String> {
    let mut rng = Lcg(7);
    (0..TAGS)
        .map(|i| {
            if i % 10 == 0 {
                format!("{}.{}", rng.below(100_000), rng.below(1000))
            } else {
                format!("{}", 1_600_000_000 + rng.below(100_000_000))
            }
        })
        .collect()
}

/// Branch-timestamp tags for filterTags + extract.
fn branch_tags() -> Vec<String> {
    let mut rng = Lcg(99);
    (0..TAGS)
        .map(|i| {
            let branch = ["main", "dev", "feature-x"][i % 3];
            format!(
                "{branch}-{:07x}-{}",
                rng.next() & 0xfff_ffff,
                1_600_000_000 + rng.below(100_000_000)
            )
        })
        .collect()
}

fn policy(spec: PolicySpec) -> Policy {
    Policy::new(&spec).unwrap()
}

#[divan::bench]
fn semver_range(bencher: Bencher) {
    let tags = mixed_tags();
    let p = policy(PolicySpec {
        semver_range: Some(">=1.0.0 <50.0.0".into()),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.latest(black_box(&tags)).unwrap());
}

#[divan::bench]
fn semver_range_in_order(bencher: Bencher) {
    let mut tags = mixed_tags();
    fluxtag_policy::sort_tags_descending(&mut tags);
    let p = policy(PolicySpec {
        semver_range: Some(">=1.0.0 <50.0.0".into()),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.latest_in_order(black_box(&tags)).unwrap());
}

#[divan::bench]
fn numerical_asc(bencher: Bencher) {
    let tags = numeric_tags();
    let p = policy(PolicySpec {
        numerical_order: Some("asc".into()),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.latest(black_box(&tags)).unwrap());
}

#[divan::bench]
fn alphabetical_desc(bencher: Bencher) {
    let tags = mixed_tags();
    let p = policy(PolicySpec {
        alphabetical_order: Some("desc".into()),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.latest(black_box(&tags)).unwrap());
}

#[divan::bench]
fn filter_extract_numerical(bencher: Bencher) {
    let tags = branch_tags();
    let p = policy(PolicySpec {
        numerical_order: Some("asc".into()),
        filter_tags: Some(TagFilterSpec {
            pattern: r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$".into(),
            extract: "$ts".into(),
        }),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.latest(black_box(&tags)).unwrap());
}

#[divan::bench]
fn candidates_top10(bencher: Bencher) {
    let tags = mixed_tags();
    let p = policy(PolicySpec {
        semver_range: Some(">=1.0.0 <50.0.0".into()),
        ..PolicySpec::default()
    });
    bencher.bench_local(|| p.candidates(black_box(&tags), 10).unwrap());
}

#[divan::bench]
fn compile_policy(bencher: Bencher) {
    let spec = PolicySpec {
        semver_range: Some(">=1.0.0 <50.0.0 || ^60.x-0".into()),
        filter_tags: Some(TagFilterSpec {
            pattern: r"^v?(?P<v>\d+\.\d+\.\d+(?:-rc\.\d+)?)$".into(),
            extract: "$v".into(),
        }),
        ..PolicySpec::default()
    };
    bencher.bench_local(|| Policy::new(black_box(&spec)).unwrap());
}
