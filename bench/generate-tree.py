#!/usr/bin/env python3
"""Generates benchmark repositories of the shapes that cost fluxtag time on real Flux repositories.

Usage: bench/generate-tree.py SHAPE DIR

SHAPE is one of:

overlays  A platform team's monorepo (issue 12), shaped like the public monorepos fluxtag was
          tried on: 24 teams of 5 apps. Each app has a HelmRelease base and one patch file per
          environment (8 environments) that carries the marker, kustomize chains four deep
          (cluster Flux Kustomization -> env base -> team base -> common), the app's
          ImageRepository (image `${REGISTRY}/...`, substituted by the Flux Kustomization that
          applies the automation) and three ImagePolicies (dev, staging, prod) that get their
          namespace from kustomize and their filterTags from a patch with a target selector, a
          ConfigMap per app and environment, one ImageUpdateAutomation. About 2,700 YAML files,
          1,080 markers, 360 policies, 120 repositories; about a fifth of the markers stale.
crds      Three clusters that vendor Flux's components (an 8 MiB `gotk-components.yaml` each, CRDs
          whose text names `image.toolkit.fluxcd.io` many times, as the real one does) beside a
          small app tree with 30 markers.

It also writes DIR/tags.json (a tags snapshot for `--tags-from`) and makes DIR a git repository
with one commit. Output is deterministic: the same SHAPE always gives the same bytes.
"""

import json
import os
import subprocess
import sys

ENVS = ["dev/01", "dev/02", "snd/03", "test/01", "stg/01", "ithc/01", "demo/01", "prd/01"]
# Which of an app's three policies each environment follows.
ENV_POLICY = {"dev": "dev", "snd": "dev", "test": "dev", "stg": "stg", "ithc": "stg",
              "demo": "stg", "prd": "prod"}
TEAMS = 24
APPS_PER_TEAM = 5
REGISTRY = "registry.example.com"


def write(root, relative, text):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def sha(n):
    """A deterministic 7-hex-digit commit id."""
    return f"{(n * 2654435761) % (1 << 28):07x}"


def app_tags(a):
    """Tags of app number `a`: 40 prod builds, 20 pull-request builds, a few semver tags."""
    tags = []
    for b in range(40):
        tags.append(f"prod-{sha(a * 100 + b)}-2026{1 + b // 28:02d}{1 + b % 28:02d}{a % 24:02d}0000")
    for b in range(20):
        tags.append(f"pr-{100 + b}-{sha(a * 1000 + b)}")
    tags += ["1.0.0", "1.1.0", "latest"]
    return tags


def newest_prod(a, stale):
    tags = [t for t in app_tags(a) if t.startswith("prod-")]
    return tags[-2] if stale else tags[-1]


def overlays(root):
    tags = {}
    flux = "clusters"
    teams = [f"team-{t:02d}" for t in range(TEAMS)]
    app_number = 0
    write(root, "apps/common/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
          "resources:\n  - rbac.yaml\ncommonLabels:\n  platform.example.com/managed-by: flux\n")
    write(root, "apps/common/rbac.yaml",
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n"
          "rules:\n  - apiGroups: [\"\"]\n    resources: [\"pods\", \"services\"]\n"
          "    verbs: [\"get\", \"list\", \"watch\"]\n")
    automation_dirs = []
    for team in teams:
        apps = []
        for _ in range(APPS_PER_TEAM):
            apps.append((f"{team}-app-{app_number % APPS_PER_TEAM}", app_number))
            app_number += 1
        base = [f"../{name}/{name}.yaml" for name, _ in apps]
        write(root, f"apps/{team}/base/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "  - ../../common\n" + "".join(f"  - {r}\n" for r in base) + f"namespace: {team}\n")
        automation = []
        for name, a in apps:
            image = f"{REGISTRY}/{team}/{name}"
            tags[image] = app_tags(a)
            current = newest_prod(a, a % 5 == 0)
            write(root, f"apps/{team}/{name}/{name}.yaml", helm_release(name, team, image, current, None))
            for env in ENVS:
                kind = env.split("/")[0]
                policy = name if ENV_POLICY[kind] == "prod" else f"{name}-{ENV_POLICY[kind]}"
                stale = (a + ENVS.index(env)) % 5 == 0
                tag = newest_prod(a, stale)
                write(root, f"apps/{team}/{name}/{env.replace('/', '-')}.yaml",
                      helm_release(name, team, image, tag, (env, policy)))
                write(root, f"apps/{team}/{name}/config/{env.replace('/', '-')}.yaml",
                      config_map(name, env))
            write(root, f"apps/{team}/{name}/image-repo.yaml",
                  "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n"
                  f"  name: {name}\n  annotations:\n    platform.example.com/registry: main\n"
                  f"spec:\n  image: ${{REGISTRY}}/{team}/{name}\n  interval: 5m\n")
            policies = []
            for suffix, rule in (("-dev", "dev"), ("-stg", "stg"), ("", "prod")):
                policies.append(
                    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n"
                    f"  name: {name}{suffix}\n  annotations:\n    platform.example.com/track: {rule}\n"
                    f"spec:\n  imageRepositoryRef:\n    name: {name}\n")
            write(root, f"apps/{team}/{name}/image-policy.yaml", "---\n".join(policies))
            automation += [f"../{name}/image-repo.yaml", f"../{name}/image-policy.yaml"]
        write(root, f"apps/{team}/automation/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              + "".join(f"  - {r}\n" for r in automation))
        automation_dirs.append(f"../../{team}/automation")
        for env in ENVS:
            dashed = env.replace("/", "-")
            patches = "".join(f"  - path: ../../../{name}/{dashed}.yaml\n" for name, _ in apps)
            configs = "".join(f"  - ../../../{name}/config/{dashed}.yaml\n" for name, _ in apps)
            write(root, f"apps/{team}/{env}/base/kustomization.yaml",
                  "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
                  f"  - ../../../base\n{configs}namespace: {team}\npatches:\n{patches}")
    # Every policy's rule comes from a patch chosen by an annotation, as platform repositories do.
    write(root, "apps/flux-system/automation/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: flux-system\n"
          "resources:\n" + "".join(f"  - {d}\n" for d in automation_dirs) + "  - ../image-update-automation.yaml\n"
          "patches:\n"
          "  - path: prod-policy.yaml\n    target:\n      kind: ImagePolicy\n"
          "      annotationSelector: platform.example.com/track == prod\n"
          "  - path: nonprod-policy.yaml\n    target:\n      kind: ImagePolicy\n"
          "      annotationSelector: platform.example.com/track != prod\n")
    for file, pattern in (("prod-policy.yaml", "^prod-[a-f0-9]+-(?P<ts>[0-9]+)$"),
                          ("nonprod-policy.yaml", "^(prod|pr-[0-9]+)-[a-f0-9]+-(?P<ts>[0-9]+)$")):
        write(root, f"apps/flux-system/automation/{file}",
              "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: any\n"
              f"spec:\n  filterTags:\n    pattern: '{pattern}'\n    extract: '$ts'\n"
              "  policy:\n    numerical:\n      order: asc\n")
    write(root, "apps/flux-system/image-update-automation.yaml",
          "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n"
          "  name: apps\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n"
          "    name: flux-system\n  git:\n    checkout:\n      ref:\n        branch: main\n"
          "    commit:\n      author:\n        name: flux\n        email: flux@example.com\n"
          "    push:\n      branch: main\n  update:\n    path: ./apps\n    strategy: Setters\n")
    for env in ENVS:
        cluster = env.replace("/", "-")
        write(root, f"{flux}/{cluster}/flux-system/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "  - gotk-sync.yaml\n")
        write(root, f"{flux}/{cluster}/flux-system/gotk-sync.yaml",
              "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
              "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n"
              "  ref:\n    branch: main\n  url: ssh://git@example.com/platform/flux\n---\n"
              "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
              "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n"
              f"  path: ./{flux}/{cluster}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
              "    name: flux-system\n")
        kind, number = env.split("/")
        for team in teams:
            write(root, f"{flux}/{cluster}/{team}.yaml",
                  "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
                  f"  name: {team}\n  namespace: flux-system\nspec:\n  interval: 10m\n"
                  f"  path: ./apps/{team}/${{ENVIRONMENT}}/{number}/base\n  prune: true\n"
                  "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
                  f"  postBuild:\n    substitute:\n      TEAM: {team}\n")
        write(root, f"{flux}/{cluster}/cluster-vars.yaml",
              "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
              "  name: cluster-vars\n  namespace: flux-system\nspec:\n  interval: 10m\n"
              f"  path: ./{flux}/{cluster}/vars\n  prune: true\n  sourceRef:\n"
              "    kind: GitRepository\n    name: flux-system\n")
        write(root, f"{flux}/{cluster}/vars/settings.yaml",
              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\n"
              f"  namespace: flux-system\ndata:\n  ENVIRONMENT: {kind}\n")
    # Only the production cluster runs image automation.
    write(root, f"{flux}/prd-01/image-automation.yaml",
          "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
          "  name: image-automation\n  namespace: flux-system\nspec:\n  interval: 10m\n"
          "  path: ./apps/flux-system/automation\n  prune: true\n  sourceRef:\n"
          "    kind: GitRepository\n    name: flux-system\n"
          f"  postBuild:\n    substitute:\n      REGISTRY: {REGISTRY}\n")
    # The environment of each cluster's team Kustomizations, as Flux sets it: from the
    # flux-system Kustomization's postBuild (written here per cluster).
    for env in ENVS:
        cluster = env.replace("/", "-")
        kind = env.split("/")[0]
        path = os.path.join(root, flux, cluster, "flux-system", "gotk-sync.yaml")
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"  postBuild:\n    substitute:\n      ENVIRONMENT: {kind}\n")
    return tags


def helm_release(name, team, image, tag, patch):
    head = (f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n"
            f"  namespace: {team}\nspec:\n")
    if patch is None:
        return (head + f"  releaseName: {name}\n  interval: 10m\n  chart:\n    spec:\n"
                "      chart: ./charts/java\n      sourceRef:\n        kind: GitRepository\n"
                "        name: charts\n        namespace: flux-system\n  values:\n    java:\n"
                f"      replicas: 2\n      image: {image}:{tag}\n      ingressHost: {name}.example.com\n"
                "      environment:\n        LOG_LEVEL: INFO\n")
    env, policy = patch
    return (head + "  values:\n    java:\n"
            f"      ingressHost: {name}.{env.replace('/', '-')}.example.com\n"
            f"      image: {image}:{tag} # {{\"$imagepolicy\": \"flux-system:{policy}\"}}\n"
            "      environment:\n"
            f"        ENV_NAME: \"{env}\"\n        LOG_LEVEL: DEBUG\n        RESTART_ME: \"001\"\n")


def config_map(name, env):
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-settings\ndata:\n"
            f"  environment: {env}\n  application.yaml: |\n    server:\n      port: 8080\n"
            f"    upstream: http://{name}-backend.svc.cluster.local\n    features:\n"
            "      - metrics\n      - tracing\n")


def crd(group, kind, size):
    """A CustomResourceDefinition of about `size` bytes, mostly schema descriptions."""
    plural = kind.lower() + "s"
    lines = [
        "---", "apiVersion: apiextensions.k8s.io/v1", "kind: CustomResourceDefinition",
        "metadata:", "  annotations:", "    controller-gen.kubebuilder.io/version: v0.16.1",
        "  labels:", "    app.kubernetes.io/component: image-reflector-controller",
        "    app.kubernetes.io/instance: flux-system", "    app.kubernetes.io/part-of: flux",
        f"  name: {plural}.{group}", "spec:", f"  group: {group}", "  names:", f"    kind: {kind}",
        f"    listKind: {kind}List", f"    plural: {plural}", f"    singular: {kind.lower()}",
        "  scope: Namespaced", "  versions:",
    ]
    for version in ("v1beta1", "v1beta2", "v1"):
        lines += [
            f"  - name: {version}", "    schema:", "      openAPIV3Schema:",
            f"        description: {kind} is the Schema for the {plural} API of {group}/{version}.",
            "        properties:", "          apiVersion:", "            description: |-",
            "              APIVersion defines the versioned schema of this representation of an object.",
            f"              For {kind}, always {group}/{version}.", "            type: string",
            "          spec:", "            properties:",
        ]
        field = 0
        written = sum(len(line) + 1 for line in lines)
        while written < size * (1 + ["v1beta1", "v1beta2", "v1"].index(version)) // 3:
            block = [
                f"              field{field}:", "                description: |-",
                f"                  Field{field} of the {kind} spec ({group}/{version}). When set, the",
                "                  controller reconciles the object again; see the API reference at",
                f"                  https://fluxcd.io/flux/components/image/{plural}/ for details.",
                "                type: string",
            ]
            lines += block
            written += sum(len(line) + 1 for line in block)
            field += 1
        lines += ["              type: object", "          type: object", "    served: true",
                  f"    storage: {'true' if version == 'v1' else 'false'}",
                  "    subresources:", "      status: {}"]
    return "\n".join(lines) + "\n"


def controller(name):
    return (f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
            "  namespace: flux-system\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n"
            f"      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n"
            f"    spec:\n      containers:\n      - name: manager\n        image: ghcr.io/fluxcd/{name}:v1.0.0\n"
            "        args:\n        - --events-addr=http://notification-controller.flux-system.svc.cluster.local./\n"
            "        - --watch-all-namespaces=true\n")


def crds(root):
    target = 8 * 1024 * 1024
    kinds = [("image.toolkit.fluxcd.io", k) for k in ("ImagePolicy", "ImageRepository", "ImageUpdateAutomation")]
    kinds += [("source.toolkit.fluxcd.io", k) for k in ("GitRepository", "HelmRepository", "OCIRepository", "Bucket", "HelmChart")]
    kinds += [("kustomize.toolkit.fluxcd.io", "Kustomization"), ("helm.toolkit.fluxcd.io", "HelmRelease"),
              ("notification.toolkit.fluxcd.io", "Alert"), ("notification.toolkit.fluxcd.io", "Provider"),
              ("notification.toolkit.fluxcd.io", "Receiver")]
    per = target // len(kinds)
    parts = ["# This manifest was generated by a benchmark generator. DO NOT EDIT.\n"]
    for group, kind in kinds:
        parts.append(crd(group, kind, per))
    for name in ("source-controller", "kustomize-controller", "helm-controller",
                 "notification-controller", "image-reflector-controller", "image-automation-controller"):
        parts.append(controller(name))
    components = "".join(parts)
    tags = {}
    for cluster in ("production", "staging", "lab"):
        base = f"clusters/{cluster}/flux-system"
        write(root, f"{base}/gotk-components.yaml", components)
        write(root, f"{base}/gotk-sync.yaml",
              "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
              "  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m\n"
              f"  path: ./clusters/{cluster}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
              "    name: flux-system\n")
        write(root, f"{base}/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "  - gotk-components.yaml\n  - gotk-sync.yaml\n")
        write(root, f"clusters/{cluster}/apps.yaml",
              "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
              "  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n"
              "  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    apps = []
    for a in range(30):
        name = f"app-{a:02d}"
        image = f"ghcr.io/lab/{name}"
        tags[image] = [f"1.{m}.{p}" for m in range(4) for p in range(6)] + ["latest"]
        current = "1.3.4" if a % 4 == 0 else "1.3.5"
        write(root, f"apps/{name}/deployment.yaml",
              f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: apps\n"
              f"spec:\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n"
              f"      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: app\n"
              f"          image: {image}:{current} # {{\"$imagepolicy\": \"flux-system:{name}\"}}\n")
        write(root, f"apps/{name}/service.yaml",
              f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: apps\nspec:\n"
              f"  selector:\n    app: {name}\n  ports:\n    - port: 80\n")
        write(root, f"apps/{name}/image.yaml",
              "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n"
              f"  name: {name}\n  namespace: flux-system\nspec:\n  image: {image}\n  interval: 1h\n---\n"
              "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n"
              f"  name: {name}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: {name}\n"
              "  policy:\n    semver:\n      range: 1.x\n")
        write(root, f"apps/{name}/kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              "  - deployment.yaml\n  - service.yaml\n  - image.yaml\n")
        apps.append(name)
    write(root, "apps/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
          + "".join(f"  - {a}\n" for a in apps) + "  - automation.yaml\n")
    write(root, "apps/automation.yaml",
          "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n"
          "  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n"
          "    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n"
          "        name: flux\n        email: flux@example.com\n  update:\n    path: ./apps\n"
          "    strategy: Setters\n")
    return tags


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("overlays", "crds"):
        sys.exit(__doc__)
    shape, root = sys.argv[1], sys.argv[2]
    if os.path.exists(root) and os.listdir(root):
        sys.exit(f"{root}: not empty; give a new directory")
    os.makedirs(root, exist_ok=True)
    tags = overlays(root) if shape == "overlays" else crds(root)
    with open(os.path.join(root, "tags.json"), "w", encoding="utf-8") as f:
        json.dump(tags, f, indent=1, sort_keys=True)
        f.write("\n")
    git = ["git", "-C", root, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
           "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "-C", root, "init", "-q"], check=True)
    subprocess.run(git[:3] + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", shape], check=True)


if __name__ == "__main__":
    main()
