//! Fix safety (issue 11 item 2; ruff's contract, `style.md` §3; README "`fluxtag check`"):
//! `--fix` applies only safe fixes, the updates of stale markers, so it changes bytes only
//! inside the scalars of stale markers and never a line count, and a second run changes
//! nothing; unsafe fixes (a did-you-mean, moving a misplaced marker so that Flux applies it) are
//! hidden without `--unsafe-fixes`, shown with it, and applied only by `--fix --unsafe-fixes`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{check_with_snapshot as check, example_copy, transcript};

/// A deployment beside the example's with a valid marker above its key (movable: an unsafe
/// fix) and a malformed one (no fix at all).
const MISPLACED: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: extra
  namespace: media
spec:
  template:
    spec:
      containers:
        - name: app
          # {\"$imagepolicy\": \"flux-system:sonarr\"}
          image: ghcr.io/onedr0p/sonarr:4.0.9
        - name: side
          # {\"$imagepolicy\": \"flux-system:sonarr\"
          image: ghcr.io/onedr0p/sonarr:4.0.9
";

const MISPLACED_PATH: &str = "kubernetes/apps/media/extra/deployment.yaml";

fn repository() -> tempfile::TempDir {
    let dir = example_copy();
    let path = dir.path().join(MISPLACED_PATH);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, MISPLACED).unwrap();
    dir
}

/// Every file of the tree (but the test's home) by relative path.
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn visit(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".test-home") {
                continue;
            }
            if path.is_dir() {
                visit(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(
                    relative.replace('\\', "/"),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(root, root, &mut out);
    out
}

/// The `(file, line, column, end_column)` of every diagnostic whose safe fix `--fix` applies as
/// README documents it (stale markers, removed API versions; 1-based, columns in characters, as
/// the JSON output gives them).
fn stale_spans(dir: &Path) -> Vec<(String, usize, usize, usize)> {
    let output = check(dir, &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            (d["code"] == "stale" || d["code"] == "api-removed") && d["fix"]["safe"] == true
        })
        .map(|d| {
            assert_eq!(d["line"], d["end_line"], "a multi-line stale scalar: {d}");
            let n = |key: &str| usize::try_from(d[key].as_u64().unwrap()).unwrap();
            (
                d["file"].as_str().unwrap().to_string(),
                n("line"),
                n("column"),
                n("end_column"),
            )
        })
        .collect()
}

#[test]
fn fix_changes_only_the_scalars_of_its_safe_fixes() {
    let dir = repository();
    let before = tree(dir.path());
    let stale = stale_spans(dir.path());
    assert!(stale.len() >= 3, "{stale:?}");

    let fix = check(dir.path(), &["--fix"]);
    assert_eq!(fix.status.code(), Some(1), "{}", transcript(&fix));
    let after = tree(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let mut changed_lines = 0;
    for (path, old) in &before {
        let new = &after[path];
        let (old_lines, new_lines): (Vec<&str>, Vec<&str>) =
            (old.split('\n').collect(), new.split('\n').collect());
        assert_eq!(
            old_lines.len(),
            new_lines.len(),
            "{path}: the line count changed"
        );
        for (number, (old_line, new_line)) in old_lines.iter().zip(&new_lines).enumerate() {
            if old_line == new_line {
                continue;
            }
            changed_lines += 1;
            let span = stale
                .iter()
                .find(|(file, line, _, _)| file == path && *line == number + 1)
                .unwrap_or_else(|| {
                    panic!("{path}:{}: changed outside a documented fix", number + 1)
                });
            let old_chars: Vec<char> = old_line.chars().collect();
            let new_chars: Vec<char> = new_line.chars().collect();
            let (start, end) = (span.2 - 1, span.3 - 1);
            let suffix = &old_chars[end..];
            assert_eq!(
                old_chars[..start],
                new_chars[..start],
                "{path}:{}",
                number + 1
            );
            assert!(new_chars.ends_with(suffix), "{path}:{}", number + 1);
            assert!(
                new_chars.len() >= start + suffix.len(),
                "{path}:{}",
                number + 1
            );
        }
    }
    assert_eq!(changed_lines, stale.len(), "every stale marker was written");
    // The unsafe move was not applied: the misplaced markers are where they were.
    assert_eq!(after[MISPLACED_PATH], MISPLACED);

    // A second run changes nothing.
    let again = check(dir.path(), &["--fix"]);
    assert_eq!(again.status.code(), Some(1), "{}", transcript(&again));
    assert_eq!(tree(dir.path()), after);
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("fixed"),
        "{}",
        transcript(&again)
    );
}

#[test]
fn unsafe_fixes_are_opt_in() {
    let dir = repository();
    let before = tree(dir.path());
    let move_title = "Move the marker to the end of the value's line";

    // Hidden by default, with a note saying how to see them.
    let plain = check(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert!(!stdout.contains(move_title), "{stdout}");
    assert!(
        !stdout.contains("Change to `flux-system:prowlarr`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 unsafe fixes hidden: `--unsafe-fixes` shows them"),
        "{stdout}"
    );
    // Shown with `--unsafe-fixes`, which writes nothing without `--fix`.
    let shown = check(dir.path(), &["--unsafe-fixes"]);
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(
        stdout.contains(&format!("= fix (unsafe): {move_title}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("= fix (unsafe): Change to `flux-system:prowlarr`"),
        "{stdout}"
    );
    assert!(!stdout.contains("hidden"), "{stdout}");
    assert_eq!(shown.status.code(), plain.status.code());
    assert_eq!(tree(dir.path()), before);
    // `--diff` shows what `--fix` would write under the same flags.
    let safe_diff = check(dir.path(), &["--diff"]);
    assert!(!String::from_utf8_lossy(&safe_diff.stdout).contains(MISPLACED_PATH));
    let unsafe_diff = check(dir.path(), &["--diff", "--unsafe-fixes"]);
    let diff = String::from_utf8_lossy(&unsafe_diff.stdout);
    assert!(diff.contains(MISPLACED_PATH), "{diff}");
    assert!(diff.contains("flux-system:prowlarr\"}"), "{diff}");
    assert_eq!(tree(dir.path()), before);

    // `--fix --unsafe-fixes` applies them: the valid marker moves to its value's line, the
    // malformed one (no fix) stays.
    let fix = check(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert!(
        String::from_utf8_lossy(&fix.stderr).contains("fixed"),
        "{}",
        transcript(&fix)
    );
    let moved = std::fs::read_to_string(dir.path().join(MISPLACED_PATH)).unwrap();
    assert_eq!(
        moved,
        MISPLACED.replace(
            "          # {\"$imagepolicy\": \"flux-system:sonarr\"}\n          image: ghcr.io/onedr0p/sonarr:4.0.9\n",
            "          image: ghcr.io/onedr0p/sonarr:4.0.9 # {\"$imagepolicy\": \"flux-system:sonarr\"}\n"
        )
    );
    assert!(moved.contains("# {\"$imagepolicy\": \"flux-system:sonarr\"\n"));
}
