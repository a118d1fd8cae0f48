//! Unit tests of the kustomize view: namespaces, patch files, strategic merge, JSON 6902,
//! targets, components and chains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::merge::merge_mapping;
use super::*;
use crate::flux::Origin;

fn root(text: &str) -> Node {
    crate::yaml::parse(text.as_bytes())
        .documents
        .into_iter()
        .find_map(|d| d.root)
        .unwrap()
}

fn kustomization(path: &str, text: &str) -> KustomizeFile {
    let file = crate::yaml::parse(text.as_bytes());
    match flux::read_objects(path, &file).into_iter().next() {
        Some(FluxObject::Kustomize(k)) => k,
        other => {
            // Components are read by `read_components`.
            let mut components = read_components(path, &file);
            assert!(
                other.is_none() && components.len() == 1,
                "{path}: not a kustomization"
            );
            components.remove(0)
        }
    }
}

fn view(files: &[(&str, &str)]) -> KustomizeView {
    let kustomizations: Vec<_> = files.iter().map(|(p, t)| kustomization(p, t)).collect();
    KustomizeView::new(&kustomizations)
}

fn ns(view: &KustomizeView, path: &str) -> Option<(String, String)> {
    view.namespace_for(path)
        .map(|s| (s.namespace, s.kustomization))
}

fn some(namespace: &str, kustomization: &str) -> Option<(String, String)> {
    Some((namespace.to_string(), kustomization.to_string()))
}

const POLICY: &str = "apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
  labels:
    team: web
    tier: front
  annotations:
    fluxtag.io/track: semver
spec:
  imageRepositoryRef:
    name: app
";

fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    node.path(path).and_then(Node::as_str)
}

// --- namespaces -------------------------------------------------------------------------

#[test]
fn namespace_direct() {
    let v = view(&[(
        "apps/kustomization.yaml",
        "namespace: apps\nresources:\n- policy.yaml\n",
    )]);
    assert_eq!(
        ns(&v, "apps/policy.yaml"),
        some("apps", "apps/kustomization.yaml")
    );
    assert_eq!(
        ns(&v, "./apps/policy.yaml"),
        some("apps", "apps/kustomization.yaml")
    );
    assert!(v.is_included("apps/policy.yaml"));
}

#[test]
fn namespace_not_included_is_none() {
    let v = view(&[(
        "apps/kustomization.yaml",
        "namespace: apps\nresources:\n- policy.yaml\n",
    )]);
    assert_eq!(ns(&v, "apps/other.yaml"), None);
    assert_eq!(ns(&v, "elsewhere/policy.yaml"), None);
    let none = view(&[("apps/kustomization.yaml", "resources:\n- policy.yaml\n")]);
    assert_eq!(ns(&none, "apps/policy.yaml"), None);
}

#[test]
fn namespace_through_base_chain_and_outermost_wins() {
    let v = view(&[
        (
            "base/kustomization.yaml",
            "namespace: base\nresources:\n- policy.yaml\n",
        ),
        ("mid/kustomization.yaml", "resources:\n- ../base\n"),
        (
            "prod/kustomization.yaml",
            "namespace: prod\nresources:\n- ../mid/\n",
        ),
    ]);
    assert_eq!(
        ns(&v, "base/policy.yaml"),
        some("prod", "prod/kustomization.yaml")
    );

    let inner_only = view(&[
        (
            "base/kustomization.yaml",
            "namespace: base\nresources:\n- policy.yaml\n",
        ),
        ("prod/kustomization.yaml", "resources:\n- ../base\n"),
    ]);
    assert_eq!(
        ns(&inner_only, "base/policy.yaml"),
        some("base", "base/kustomization.yaml")
    );
}

#[test]
fn namespace_of_several_overlays() {
    let v = view(&[
        ("base/kustomization.yaml", "resources:\n- policy.yaml\n"),
        (
            "staging/kustomization.yaml",
            "namespace: staging\nresources:\n- ../base\n",
        ),
        (
            "prod/kustomization.yaml",
            "namespace: prod\nresources:\n- ../base\n",
        ),
    ]);
    let all: Vec<_> = v
        .namespaces_for("base/policy.yaml")
        .into_iter()
        .map(|s| s.namespace)
        .collect();
    assert_eq!(all, ["prod", "staging"]);
    assert_eq!(
        ns(&v, "base/policy.yaml"),
        some("prod", "prod/kustomization.yaml")
    );
}

#[test]
fn namespace_through_components() {
    let v = view(&[
        (
            "components/images/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- policy.yaml\n",
        ),
        (
            "app/kustomization.yaml",
            "namespace: app\ncomponents:\n- ../components/images\n",
        ),
    ]);
    assert_eq!(
        ns(&v, "components/images/policy.yaml"),
        some("app", "app/kustomization.yaml")
    );
}

#[test]
fn namespace_cycles_terminate() {
    let v = view(&[
        (
            "a/kustomization.yaml",
            "namespace: a\nresources:\n- policy.yaml\n- ../b\n",
        ),
        ("b/kustomization.yaml", "resources:\n- ../a\n"),
        ("c/kustomization.yaml", "resources:\n- ../c\n- p.yaml\n"),
    ]);
    // a → b → a: the chain stops before repeating a; a is the outermost setter.
    assert_eq!(ns(&v, "a/policy.yaml"), some("a", "a/kustomization.yaml"));
    assert_eq!(ns(&v, "c/p.yaml"), None);
}

#[test]
fn other_kustomization_names_and_remote_entries() {
    let v = view(&[
        (
            "x/Kustomization",
            "namespace: x\nresources:\n- p.yaml\n- https://github.com/a/b//c?ref=v1\n",
        ),
        (
            "y/other.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: y\nresources:\n- p.yaml\n",
        ),
    ]);
    assert_eq!(ns(&v, "x/p.yaml"), some("x", "x/Kustomization"));
    // kustomize never loads `other.yaml` as a kustomization.
    assert_eq!(ns(&v, "y/p.yaml"), None);
}

// --- patch files --------------------------------------------------------------------------

#[test]
fn patch_files_and_patch_only_files() {
    let v = view(&[(
        "prod/kustomization.yaml",
        "resources:\n- ../base\n- both.yaml\npatches:\n- path: policy-patch.yaml\n- path: ./sub/../both.yaml\n- path: https://example.com/p.yaml\npatchesStrategicMerge:\n- smp.yaml\n",
    )]);
    assert_eq!(
        v.patch_files(),
        ["prod/both.yaml", "prod/policy-patch.yaml", "prod/smp.yaml"]
    );
    assert!(v.is_patch_file("prod/policy-patch.yaml"));
    assert!(v.is_patch_file("prod/smp.yaml"));
    assert!(!v.is_patch_file("prod/both.yaml"));
    assert!(!v.is_patch_file("prod/other.yaml"));
}

// --- strategic merge ----------------------------------------------------------------------

#[test]
fn strategic_merge_completes_a_base_policy() {
    let v = view(&[
        ("base/kustomization.yaml", "resources:\n- policy.yaml\n"),
        (
            "prod/kustomization.yaml",
            "namespace: prod\nresources:\n- ../base\npatches:\n- path: policy-patch.yaml\n",
        ),
    ]);
    let patch = root(
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
    );
    let mut files = HashMap::new();
    files.insert("prod/policy-patch.yaml".to_string(), patch);
    let base = root(POLICY);
    let (patched, by) = v.apply_patches("base/policy.yaml", &base, &files).unwrap();
    assert_eq!(by, ["prod/kustomization.yaml"]);
    assert_eq!(
        str_at(&patched, &["spec", "policy", "semver", "range"]),
        Some(">=1.0.0")
    );
    // Fields of the base keep their ranges; the name was not touched.
    assert_eq!(
        patched.path(&["metadata", "name"]).unwrap().range,
        base.path(&["metadata", "name"]).unwrap().range
    );
    assert_eq!(
        patched
            .path(&["spec", "imageRepositoryRef", "name"])
            .unwrap()
            .range,
        base.path(&["spec", "imageRepositoryRef", "name"])
            .unwrap()
            .range
    );
    // Everything from the patch has the sentinel range.
    let policy = patched.path(&["spec", "policy"]).unwrap();
    assert_eq!(policy.range, FROM_PATCH);
    assert_eq!(policy.path(&["semver", "range"]).unwrap().range, FROM_PATCH);
    assert_eq!(
        patched.path(&["spec"]).unwrap().entries()[1].key.range,
        FROM_PATCH
    );
    assert!(
        patched.path(&["spec"]).unwrap().entries()[1]
            .colon
            .is_none()
    );

    // Read back as an ImagePolicy, the rule is there: it must not be reported invalid.
    let Some(FluxObject::Policy(object)) = read_object_from_root("base/policy.yaml", 0, &patched)
    else {
        panic!("not a policy")
    };
    let range = object.policy.semver_range.unwrap();
    assert_eq!(range.value, ">=1.0.0");
    assert_eq!(range.range, FROM_PATCH);
    assert_eq!(object.origin.path, "base/policy.yaml");

    // Not included by prod: no patch applies.
    assert!(
        v.apply_patches("elsewhere/policy.yaml", &base, &files)
            .is_none()
    );
}

#[test]
fn strategic_merge_needs_the_same_identity() {
    let base = root(POLICY);
    for patch in [
        "kind: ImagePolicy\nmetadata:\n  name: other\nspec:\n  policy: {}\n",
        "kind: ImageRepository\nmetadata:\n  name: app\nspec:\n  policy: {}\n",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  policy: {}\n",
        "kind: ImagePolicy\nmetadata:\n  name: app\n  namespace: elsewhere\nspec:\n  policy: {}\n",
    ] {
        let v = view(&[(
            "k/kustomization.yaml",
            &format!(
                "resources:\n- p.yaml\npatchesStrategicMerge:\n- |-\n{}",
                indent(patch)
            ),
        )]);
        assert!(
            v.apply_patches("k/p.yaml", &base, &HashMap::<String, Node>::new())
                .is_none(),
            "{patch}"
        );
    }
    // The namespace the object had before an inner kustomization changed it still matches.
    let v = view(&[
        (
            "base/kustomization.yaml",
            "namespace: base\nresources:\n- p.yaml\n",
        ),
        (
            "prod/kustomization.yaml",
            "resources:\n- ../base\npatchesStrategicMerge:\n- |-\n    kind: ImagePolicy\n    metadata:\n      name: app\n      namespace: default\n    spec:\n      x: 1\n",
        ),
    ]);
    let (patched, _) = v
        .apply_patches("base/p.yaml", &base, &HashMap::<String, Node>::new())
        .unwrap();
    assert_eq!(str_at(&patched, &["spec", "x"]), Some("1"));
    // The document is the chain's build: base's `namespace:` is set on it too.
    assert_eq!(str_at(&patched, &["metadata", "namespace"]), Some("base"));
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

#[test]
fn strategic_merge_rules() {
    let mut target = root(
        "spec:\n  keep: a\n  gone: b\n  alsoGone: {x: 1}\n  list: [1, 2]\n  containers:\n  - name: a\n    image: a:1\n  - name: b\n    image: b:1\n  - name: c\n    image: c:1\n  sub:\n    x: 1\n    y: 2\n",
    );
    let patch = mark_from_patch(&root(
        "spec:\n  gone: null\n  alsoGone:\n    $patch: delete\n  list: [3]\n  containers:\n  - name: b\n    image: b:2\n  - name: c\n    $patch: delete\n  - name: d\n    image: d:1\n  sub:\n    $patch: replace\n    z: 3\n  new: {k: v}\n",
    ));
    merge_mapping(&mut target, &patch);
    let spec = target.get("spec").unwrap();
    assert_eq!(str_at(spec, &["keep"]), Some("a"));
    assert!(spec.get("gone").is_none() && spec.entry("gone").is_none());
    assert!(spec.entry("alsoGone").is_none());
    let list: Vec<_> = spec
        .get("list")
        .unwrap()
        .items()
        .iter()
        .filter_map(|i| i.value.as_ref()?.as_str())
        .collect();
    assert_eq!(list, ["3"]);
    let containers: Vec<_> = spec
        .get("containers")
        .unwrap()
        .items()
        .iter()
        .map(|i| {
            let v = i.value.as_ref().unwrap();
            format!(
                "{}={}",
                str_at(v, &["name"]).unwrap(),
                str_at(v, &["image"]).unwrap()
            )
        })
        .collect();
    assert_eq!(containers, ["a=a:1", "b=b:2", "d=d:1"]);
    let sub = spec.get("sub").unwrap();
    assert!(sub.get("x").is_none() && sub.get("$patch").is_none());
    assert_eq!(str_at(sub, &["z"]), Some("3"));
    assert_eq!(str_at(spec, &["new", "k"]), Some("v"));
}

#[test]
fn unchanged_values_keep_their_ranges() {
    let v = view(&[(
        "k/kustomization.yaml",
        "resources:\n- p.yaml\npatches:\n- target:\n    kind: ImagePolicy\n  patch: |-\n    kind: ImagePolicy\n    metadata:\n      name: whatever\n    spec:\n      imageRepositoryRef:\n        name: app\n",
    )]);
    let base = root(POLICY);
    assert!(
        v.apply_patches("k/p.yaml", &base, &HashMap::<String, Node>::new())
            .is_none()
    );
}

// --- JSON 6902 ----------------------------------------------------------------------------

fn json_patch(ops: &str) -> Option<Node> {
    let v = view(&[(
        "k/kustomization.yaml",
        &format!(
            "resources:\n- p.yaml\npatches:\n- target:\n    kind: ImagePolicy\n    name: app\n  patch: |-\n{}",
            indent(ops)
        ),
    )]);
    v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
        .map(|(node, _)| node)
}

#[test]
fn json6902_add_replace_remove() {
    let patched = json_patch(
            "- op: add\n  path: /spec/policy\n  value:\n    semver:\n      range: 1.x\n- op: replace\n  path: /spec/policy/semver/range\n  value: 2.x\n- op: remove\n  path: /metadata/labels/tier\n- op: add\n  path: /metadata/annotations/a~1b~0c\n  value: slash\n- op: add\n  path: /spec/list\n  value: [a]\n- op: add\n  path: /spec/list/-\n  value: c\n- op: add\n  path: /spec/list/1\n  value: b\n",
        )
        .unwrap();
    assert_eq!(
        str_at(&patched, &["spec", "policy", "semver", "range"]),
        Some("2.x")
    );
    assert_eq!(
        patched
            .path(&["spec", "policy", "semver", "range"])
            .unwrap()
            .range,
        FROM_PATCH
    );
    assert!(patched.path(&["metadata", "labels", "tier"]).is_none());
    assert_eq!(
        str_at(&patched, &["metadata", "labels", "team"]),
        Some("web")
    );
    assert_eq!(
        str_at(&patched, &["metadata", "annotations", "a/b~c"]),
        Some("slash")
    );
    let list: Vec<_> = patched
        .path(&["spec", "list"])
        .unwrap()
        .items()
        .iter()
        .filter_map(|i| i.value.as_ref()?.as_str())
        .collect();
    assert_eq!(list, ["a", "b", "c"]);
}

#[test]
fn json6902_in_json_syntax_and_failures() {
    let patched = json_patch(
        r#"[{"op": "add", "path": "/spec/policy", "value": {"numerical": {"order": "asc"}}}]"#,
    )
    .unwrap();
    assert_eq!(
        str_at(&patched, &["spec", "policy", "numerical", "order"]),
        Some("asc")
    );
    // A failing operation fails the whole patch.
    assert!(json_patch("- op: add\n  path: /spec/policy\n  value: {}\n- op: replace\n  path: /spec/missing\n  value: 1\n").is_none());
    assert!(json_patch("- op: remove\n  path: /spec/nothing\n").is_none());
    assert!(json_patch("- op: add\n  path: /no/parent\n  value: 1\n").is_none());
    assert!(json_patch("- op: frobnicate\n  path: /spec\n").is_none());
    // copy, move and test.
    let patched = json_patch("- op: test\n  path: /spec/imageRepositoryRef/name\n  value: app\n- op: copy\n  from: /spec/imageRepositoryRef\n  path: /spec/copy\n- op: move\n  from: /metadata/labels/team\n  path: /metadata/labels/owner\n").unwrap();
    assert_eq!(str_at(&patched, &["spec", "copy", "name"]), Some("app"));
    assert_eq!(
        patched.path(&["spec", "copy", "name"]).unwrap().range,
        FROM_PATCH
    );
    assert_eq!(
        str_at(&patched, &["metadata", "labels", "owner"]),
        Some("web")
    );
    assert!(json_patch("- op: test\n  path: /spec/imageRepositoryRef/name\n  value: other\n- op: add\n  path: /spec/x\n  value: 1\n").is_none());
}

#[test]
fn json6902_needs_a_target() {
    let v = view(&[(
        "k/kustomization.yaml",
        "resources:\n- p.yaml\npatches:\n- patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
    )]);
    assert!(
        v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
            .is_none()
    );
}

#[test]
fn json6902_from_a_file() {
    let v = view(&[(
        "k/kustomization.yaml",
        "resources:\n- p.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: ImagePolicy\n",
    )]);
    let mut files: HashMap<String, Vec<Node>> = HashMap::new();
    files.insert(
        "k/ops.yaml".into(),
        vec![root("- op: add\n  path: /spec/x\n  value: 1\n")],
    );
    let (patched, by) = v.apply_patches("k/p.yaml", &root(POLICY), &files).unwrap();
    assert_eq!(str_at(&patched, &["spec", "x"]), Some("1"));
    assert_eq!(by, ["k/kustomization.yaml"]);
}

// --- targets ------------------------------------------------------------------------------

fn targeted(target: &str) -> bool {
    let v = view(&[
        (
            "base/kustomization.yaml",
            "namespace: apps\nresources:\n- p.yaml\n",
        ),
        (
            "k/kustomization.yaml",
            &format!(
                "resources:\n- ../base\npatches:\n- target:\n{}  patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
                indent(target)
            ),
        ),
    ]);
    v.apply_patches(
        "base/p.yaml",
        &root(POLICY),
        &HashMap::<String, Node>::new(),
    )
    .is_some()
}

#[test]
fn target_selectors() {
    assert!(targeted("kind: ImagePolicy"));
    assert!(!targeted("kind: ImageRepository"));
    assert!(targeted("name: app"));
    assert!(targeted("name: a.*"));
    assert!(!targeted("name: ap"), "names are anchored");
    assert!(!targeted("name: '[invalid'"));
    assert!(targeted("namespace: apps"));
    assert!(targeted("namespace: app.*"));
    assert!(!targeted("namespace: other"));
    assert!(targeted("labelSelector: team=web"));
    assert!(targeted("labelSelector: team==web,tier"));
    assert!(!targeted("labelSelector: team!=web"));
    assert!(targeted("labelSelector: missing!=x"));
    assert!(targeted("labelSelector: team in (api, web)"));
    assert!(!targeted("labelSelector: team notin (api, web)"));
    assert!(targeted("labelSelector: missing notin (x)"));
    assert!(targeted("labelSelector: '!missing'"));
    assert!(!targeted("labelSelector: '!team'"));
    assert!(!targeted("labelSelector: missing"));
    assert!(!targeted("labelSelector: 'team in (web'"));
    assert!(targeted("annotationSelector: fluxtag.io/track=semver"));
    assert!(!targeted(
        "annotationSelector: fluxtag.io/track in (numerical)"
    ));
    assert!(targeted(
        "kind: ImagePolicy\nname: app\nnamespace: apps\nlabelSelector: tier=front"
    ));
    assert!(!targeted(
        "kind: ImagePolicy\nname: app\nnamespace: apps\nlabelSelector: tier=back"
    ));
}

#[test]
fn namespace_target_sees_only_inner_namespaces() {
    // The kustomization's own namespace applies after its patches.
    let v = view(&[(
        "k/kustomization.yaml",
        "namespace: late\nresources:\n- p.yaml\npatches:\n- target:\n    namespace: late\n  patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n",
    )]);
    assert!(
        v.apply_patches("k/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
            .is_none()
    );
}

// --- components and chains ----------------------------------------------------------------

#[test]
fn pathological_graphs_stay_bounded() {
    // Each component includes the next two: a naive expansion visits Fibonacci(60) nodes.
    let mut files: Vec<(String, String)> = (0..60)
            .map(|i| {
                (
                    format!("c{i}/kustomization.yaml"),
                    format!(
                        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c{}\n- ../c{}\n",
                        i + 1,
                        i + 2
                    ),
                )
            })
            .collect();
    // And each overlay includes the next two overlays' directories.
    files.extend((0..60).map(|i| {
        (
            format!("o{i}/kustomization.yaml"),
            format!(
                "namespace: o{i}\nresources:\n- ../o{}\n- ../o{}\ncomponents:\n- ../c0\n",
                i + 1,
                i + 2
            ),
        )
    }));
    files.push((
        "o60/kustomization.yaml".into(),
        "resources:\n- p.yaml\n".into(),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let v = view(&borrowed);
    assert!(v.namespace_for("o60/p.yaml").is_some());
    assert!(v.namespaces_for("o60/p.yaml").len() <= MAX_CHAINS);
    let _ = v.apply_patches("o60/p.yaml", &root(POLICY), &HashMap::<String, Node>::new());
}

#[test]
fn component_patches_apply_to_the_includer_resources() {
    let v = view(&[
        (
            "components/rule/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- target:\n    kind: ImagePolicy\n  patch: |-\n    - op: add\n      path: /spec/policy\n      value: {alphabetical: {order: asc}}\n",
        ),
        (
            "app/kustomization.yaml",
            "resources:\n- p.yaml\ncomponents:\n- ../components/rule\n",
        ),
    ]);
    let (patched, by) = v
        .apply_patches("app/p.yaml", &root(POLICY), &HashMap::<String, Node>::new())
        .unwrap();
    assert_eq!(
        str_at(&patched, &["spec", "policy", "alphabetical", "order"]),
        Some("asc")
    );
    assert_eq!(by, ["components/rule/kustomization.yaml"]);
}

#[test]
fn chains_apply_inner_first_and_per_build() {
    let v = view(&[
        (
            "base/kustomization.yaml",
            "resources:\n- p.yaml\npatches:\n- target: {kind: ImagePolicy}\n  patch: '[{op: add, path: /spec/policy, value: {semver: {range: 1.x}}}]'\n",
        ),
        (
            "prod/kustomization.yaml",
            "resources:\n- ../base\npatches:\n- target: {kind: ImagePolicy}\n  patch: '[{op: replace, path: /spec/policy/semver/range, value: 2.x}]'\n",
        ),
        ("dev/kustomization.yaml", "resources:\n- ../base\n"),
    ]);
    let builds = v.apply_patches_per_build(
        "base/p.yaml",
        &root(POLICY),
        &HashMap::<String, Node>::new(),
    );
    let summary: Vec<_> = builds
        .iter()
        .map(|b| {
            (
                b.build.as_str(),
                str_at(&b.root, &["spec", "policy", "semver", "range"]).unwrap(),
                b.kustomizations.join(","),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "dev/kustomization.yaml",
                "1.x",
                "base/kustomization.yaml".to_string()
            ),
            (
                "prod/kustomization.yaml",
                "2.x",
                "base/kustomization.yaml,prod/kustomization.yaml".to_string()
            ),
        ]
    );
}

#[test]
fn read_object_keeps_the_document_index() {
    let object = read_object_from_root("x.yaml", 3, &root(POLICY)).unwrap();
    let FluxObject::Policy(policy) = object else {
        panic!()
    };
    assert_eq!(
        policy.origin,
        Origin {
            path: "x.yaml".into(),
            document: 3,
            range: root(POLICY).range
        }
    );
}
