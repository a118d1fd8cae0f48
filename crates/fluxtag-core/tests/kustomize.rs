//! Kustomize as fluxtag models it (`fluxtag-differences.md` §5), end to end: a small repository
//! of files is parsed, its kustomizations (and components) are read, patch files are parsed as
//! the view asks, and each ImagePolicy is read as the builds would produce it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use fluxtag_core::flux::{FluxObject, read_objects};
use fluxtag_core::kustomize::{FROM_PATCH, KustomizeView, read_components, read_object_from_root};
use fluxtag_core::yaml::{self, Node};

/// A repository laid out the way real Flux repositories complete their policies: the base
/// policy has no `spec.policy`, each overlay adds the rule with a patch and sets a namespace.
const REPO: &[(&str, &str)] = &[
    (
        "apps/base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - image-policy.yaml
  - deployment.yaml
",
    ),
    (
        "apps/base/image-policy.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: podinfo
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  imageRepositoryRef:
    name: podinfo
",
    ),
    (
        "apps/production/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: production
resources:
  - ../base
patches:
  - path: policy-semver.yaml
",
    ),
    (
        "apps/production/policy-semver.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: podinfo
spec:
  policy:
    semver:
      range: '>=6.0.0'
",
    ),
    (
        "apps/staging/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: staging
resources:
  - ../base
components:
  - ../../components/prerelease
",
    ),
    (
        "components/prerelease/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target:
      kind: ImagePolicy
      labelSelector: app in (podinfo)
    patch: |
      - op: add
        path: /spec/policy
        value:
          semver:
            range: '>=6.0.0-0'
",
    ),
];

fn text(path: &str) -> &'static str {
    REPO.iter().find(|(p, _)| *p == path).unwrap().1
}

fn view() -> KustomizeView {
    let mut kustomizations = Vec::new();
    for (path, text) in REPO {
        let file = yaml::parse(text.as_bytes());
        for object in read_objects(path, &file) {
            if let FluxObject::Kustomize(k) = object {
                kustomizations.push(k);
            }
        }
        kustomizations.extend(read_components(path, &file));
    }
    KustomizeView::new(&kustomizations)
}

fn patch_roots(view: &KustomizeView) -> HashMap<String, Vec<Node>> {
    view.patch_files()
        .into_iter()
        .map(|path| {
            let roots = yaml::parse(text(&path).as_bytes())
                .documents
                .into_iter()
                .filter_map(|d| d.root)
                .collect();
            (path, roots)
        })
        .collect()
}

#[test]
fn base_policy_completed_by_overlays() {
    let view = view();
    assert_eq!(view.patch_files(), ["apps/production/policy-semver.yaml"]);
    assert!(view.is_patch_file("apps/production/policy-semver.yaml"));
    assert!(!view.is_patch_file("apps/base/image-policy.yaml"));

    let namespaces: Vec<_> = view
        .namespaces_for("apps/base/image-policy.yaml")
        .into_iter()
        .map(|s| format!("{} from {}", s.namespace, s.kustomization))
        .collect();
    assert_eq!(
        namespaces,
        [
            "production from apps/production/kustomization.yaml",
            "staging from apps/staging/kustomization.yaml"
        ]
    );

    let path = "apps/base/image-policy.yaml";
    let file = yaml::parse(text(path).as_bytes());
    let policy_root = file.documents[1].root.as_ref().unwrap();
    let files = patch_roots(&view);

    let builds = view.apply_patches_per_build(path, policy_root, &files);
    let summary: Vec<_> = builds
        .iter()
        .map(|b| {
            let Some(FluxObject::Policy(policy)) = read_object_from_root(path, 1, &b.root) else {
                panic!("not a policy")
            };
            let range = policy.policy.semver_range.unwrap();
            assert_eq!(range.range, FROM_PATCH);
            assert_eq!(policy.origin.document, 1);
            // The name still points into the base file.
            let name = policy.metadata.name.unwrap();
            assert_eq!(&text(path)[name.range], "podinfo");
            format!("{}: {} by {:?}", b.build, range.value, b.kustomizations)
        })
        .collect();
    assert_eq!(
        summary,
        [
            "apps/production/kustomization.yaml: >=6.0.0 by [\"apps/production/kustomization.yaml\"]",
            "apps/staging/kustomization.yaml: >=6.0.0-0 by [\"components/prerelease/kustomization.yaml\"]",
        ]
    );

    // The ImageRepository of the same file is not touched by either build.
    let repository_root = file.documents[0].root.as_ref().unwrap();
    assert!(view.apply_patches(path, repository_root, &files).is_none());

    // Without the patch file parsed, production changes nothing; staging still does.
    let (root, by) = view
        .apply_patches(path, policy_root, &HashMap::<String, Node>::new())
        .unwrap();
    assert_eq!(by, ["components/prerelease/kustomization.yaml"]);
    assert_eq!(
        root.path(&["spec", "policy", "semver", "range"])
            .and_then(Node::as_str),
        Some(">=6.0.0-0")
    );
}
