#!/usr/bin/env bash
# Survival and speed on large inputs (issue 2: "50 MB files"; stack.md trap 1: documents over
# 32,768 lines). Generates, in a temporary directory:
#   - stream.yaml: about 50 MB of Deployment documents separated by `---`, one marker in ten;
#   - single.yaml: one 60,000-line document with markers near its end (line-scanned);
# plus a policy, a repository and a tags snapshot, then times a release `fluxtag check` on it and
# reports its peak resident memory. Usage: bench/large-files.sh [MEGABYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes="${1:-50}"
cargo build --release --quiet
bin="$PWD/target/release/fluxtag"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
# The analysis cache of these runs lives in the temporary directory.
export XDG_CACHE_HOME="$dir/cache"

python3 - "$dir" "$megabytes" <<'PY'
import os, sys
d, mb = sys.argv[1], int(sys.argv[2])
target = mb * 1024 * 1024
with open(os.path.join(d, "stream.yaml"), "w") as f:
    size, i = 0, 0
    while size < target:
        marker = ' # {"$imagepolicy": "flux-system:app"}' if i % 10 == 0 else ""
        doc = (f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n"
               f"spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
               f"          image: ghcr.io/org/app:1.0.0{marker}\n"
               f"          env:\n            - name: A\n              value: \"{i}\"\n")
        f.write(doc); size += len(doc); i += 1
with open(os.path.join(d, "single.yaml"), "w") as f:
    f.write("items:\n")
    for i in range(60000):
        f.write(f"  - name: item{i}\n")
    f.write('image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n')
with open(os.path.join(d, "policy.yaml"), "w") as f:
    f.write("apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n"
            "  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app\n"
            "  policy:\n    semver:\n      range: '>=1.0.0'\n---\n"
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n"
            "  namespace: flux-system\nspec:\n  image: ghcr.io/org/app\n  interval: 1h\n")
with open(os.path.join(d, "tags.json"), "w") as f:
    f.write('{"ghcr.io/org/app": ["1.0.0", "1.1.0"]}\n')
PY

ls -l "$dir"/*.yaml | awk '{printf "%s %.1f MB\n", $NF, $5/1048576}'
start=$(date +%s.%N)
set +e
/usr/bin/time -f "peak RSS: %M KiB" "$bin" check --root "$dir" --tags-from "$dir/tags.json" --format json > "$dir/out.json" 2> "$dir/time.txt"
code=$?
set -e
end=$(date +%s.%N)
python3 - "$dir/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
by = {}
for m in r["markers"]:
    by[m["file"]] = by.get(m["file"], 0) + 1
print("markers found:", by)
print("diagnostic codes:", sorted({d["code"] for d in r["diagnostics"]}))
PY
echo "exit code: $code"
tail -1 "$dir/time.txt"
echo "wall time: $(echo "$end - $start" | bc) s (first run: every file parsed, analysis cache written)"

# A second run reads the analysis cache instead of parsing.
start=$(date +%s.%N)
set +e
/usr/bin/time -f "peak RSS: %M KiB" "$bin" check --root "$dir" --tags-from "$dir/tags.json" --format json > "$dir/out2.json" 2> "$dir/time.txt"
set -e
end=$(date +%s.%N)
cmp -s "$dir/out.json" "$dir/out2.json" && echo "second run: same output" || echo "second run: OUTPUT DIFFERS"
tail -1 "$dir/time.txt"
echo "wall time: $(echo "$end - $start" | bc) s (second run: analysis cache, $(du -sh "$XDG_CACHE_HOME" | cut -f1))"
