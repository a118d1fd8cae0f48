#!/usr/bin/env bash
# Benchmark: `fluxtag check --tags-from` against `git grep -c '"$imagepolicy"'` on the same tree.
#
# Generates a git repository of 3,000 YAML files (1,000 Deployments with one marker each, 2,000
# Services/ConfigMaps/Kustomizations without markers), 100 ImageRepositories and ImagePolicies,
# an ImageUpdateAutomation and a tags snapshot (30 tags per image; a quarter of the markers
# stale), builds the release binary and times with hyperfine (warm page cache): git grep,
# fluxtag check with its analysis cache (warm after hyperfine's warm-up runs: what a developer
# gets from the second run on), and fluxtag check --no-cache (every file parsed, as on a first
# run). The goal (issue 4) is fluxtag at most 3x git grep.
#
# Usage: bench/check-vs-git-grep.sh [TREE_DIR]        (default: target/bench/tree)
# Needs: hyperfine (apt-get install hyperfine), git, cargo.
# Environment: RUNS (default 30), FLUXTAG (a prebuilt binary; default: cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$PWD
tree=${1:-target/bench/tree}
runs=${RUNS:-30}
files=3000
markers=1000
images=100

generate() {
  rm -rf "$tree"
  mkdir -p "$tree/flux/image-automation"
  local repositories="$tree/flux/image-automation/repositories.yaml"
  local policies="$tree/flux/image-automation/policies.yaml"
  local tags="$tree/tags.json"
  : >"$repositories"
  : >"$policies"
  {
    printf 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: apps\n  namespace: flux-system\n'
    printf 'spec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n        name: flux\n        email: flux@example.com\n  update:\n    path: ./apps\n    strategy: Setters\n'
  } >"$tree/flux/image-automation/automation.yaml"
  printf '{\n' >"$tags"
  local i j
  for ((i = 0; i < images; i++)); do
    local name
    name=$(printf 'svc-%03d' "$i")
    [ "$i" -gt 0 ] && printf -- '---\n' >>"$repositories" && printf -- '---\n' >>"$policies"
    printf 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: %s\n  namespace: flux-system\nspec:\n  image: ghcr.io/bench/%s\n  interval: 1h\n' \
      "$name" "$name" >>"$repositories"
    printf 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: %s\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: %s\n  policy:\n    semver:\n      range: ">=1.0.0 <3.0.0"\n' \
      "$name" "$name" >>"$policies"
    local list=""
    for ((j = 0; j < 30; j++)); do
      list+="\"$((1 + j / 10)).$((j % 10)).0\", "
    done
    list+="\"3.0.0-rc.1\", \"latest\""
    printf '  "ghcr.io/bench/%s": [%s]%s\n' "$name" "$list" "$([ "$i" -lt $((images - 1)) ] && echo ,)" >>"$tags"
  done
  printf '}\n' >>"$tags"
  # The selected tag of every policy is 2.9.0; a quarter of the markers are stale.
  local n dir team
  for ((n = 0; n < files; n++)); do
    team=$(printf 'team-%02d' $((n % 20)))
    dir="$tree/apps/$team/app-$(printf '%04d' "$n")"
    mkdir -p "$dir"
    if ((n < markers)); then
      local image current
      image=$(printf 'svc-%03d' $((n % images)))
      current=2.9.0
      ((n % 4 == 0)) && current=2.8.0
      cat >"$dir/deployment.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-$n
  namespace: $team
  labels:
    app.kubernetes.io/name: app-$n
    app.kubernetes.io/part-of: $team
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: app-$n
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-$n
    spec:
      containers:
        - name: app
          image: ghcr.io/bench/$image:$current # {"\$imagepolicy": "flux-system:$image"}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
YAML
    elif ((n % 2 == 0)); then
      cat >"$dir/service.yaml" <<YAML
apiVersion: v1
kind: Service
metadata:
  name: app-$n
  namespace: $team
  labels:
    app.kubernetes.io/name: app-$n
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: app-$n
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-$n-config
  namespace: $team
data:
  config.yaml: |
    listen: :8080
    upstream: http://app-$((n - 1)).$team.svc.cluster.local
    features:
      - metrics
      - tracing
YAML
    else
      cat >"$dir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $team
resources:
  - ../app-$(printf '%04d' $((n - 1)))
commonLabels:
  app.kubernetes.io/managed-by: flux
configMapGenerator:
  - name: app-$n-settings
    literals:
      - MODE=production
      - REPLICAS=2
YAML
    fi
  done
  git -C "$tree" init -q
  git -C "$tree" add -A
  git -C "$tree" -c user.name=bench -c user.email=bench@example.invalid -c commit.gpgsign=false commit -q -m tree
}

# The tree is generated again only when this script changed.
stamp=$(sha256sum "$0" | cut -d' ' -f1)
if [ "$(cat "$tree/.git/bench-stamp" 2>/dev/null)" != "$stamp" ]; then
  generate
  echo "$stamp" >"$tree/.git/bench-stamp"
fi
count=$(find "$tree" -name '*.yaml' | wc -l)
echo "tree: $tree: $count YAML files, $(git -C "$tree" grep -c '"$imagepolicy"' | awk -F: '{s+=$2} END {print s}') marker lines, $(find "$tree" -name '*.yaml' -not -path '*/.git/*' -printf '%s\n' | awk '{s += $1} END {printf "%.1f MiB", s / 1048576}')"

if [ -n "${FLUXTAG:-}" ]; then
  fluxtag=$(realpath "$FLUXTAG")
else
  cargo build --release --quiet
  fluxtag="$repo_root/target/release/fluxtag"
fi
"$fluxtag" --version

# A sanity check: the run finds every marker and the stale quarter.
(cd "$tree" && "$fluxtag" check --root . --tags-from tags.json | tail -1) || true

cd "$tree"
# The analysis cache of these runs lives under target/bench, not in the user's cache directory.
export XDG_CACHE_HOME="$repo_root/target/bench/cache"
rm -rf "$XDG_CACHE_HOME"
# The results file goes there too, even when the build used another CARGO_TARGET_DIR.
mkdir -p "$repo_root/target/bench"
hyperfine --warmup 3 --runs "$runs" --ignore-failure --shell=none \
  --export-json "$repo_root/target/bench/check-vs-git-grep.json" \
  --command-name "git grep" "git grep -c '\"\$imagepolicy\"'" \
  --command-name "fluxtag check" "$fluxtag check --root . --tags-from tags.json --format json" \
  --command-name "fluxtag check --no-cache" "$fluxtag check --root . --tags-from tags.json --format json --no-cache"
python3 - "$repo_root/target/bench/check-vs-git-grep.json" <<'PY' || true
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
grep = results["git grep"]
print(f"{'git grep':26} {grep['mean']*1000:7.1f} ms ± {grep['stddev']*1000:.1f} (median {grep['median']*1000:.1f})")
for name in ("fluxtag check", "fluxtag check --no-cache"):
    r = results[name]
    print(f"{name:26} {r['mean']*1000:7.1f} ms ± {r['stddev']*1000:.1f} (median {r['median']*1000:.1f})"
          f"   {r['mean']/grep['mean']:.2f}x git grep (goal: <= 3x)")
PY
