//! Markers and near misses (spec `flux-semantics.md` §1.2–§1.4, `fluxtag-differences.md` §2).
//!
//! Each case is a small YAML file; the test renders what the finder saw (markers with the text of
//! their scalar, diagnostics with the code and the text of their range) and compares it.

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fluxtag_core::marker::{Marker, find_markers};
use fluxtag_core::text::LineIndex;
use fluxtag_core::yaml;

fn render(path: &str, text: &str) -> String {
    let bytes = text.as_bytes();
    let file = yaml::parse(bytes);
    let index = LineIndex::new(bytes);
    let found = find_markers(path, bytes, &file, &index);
    let mut out = String::new();
    for m in &found.markers {
        out.push_str(&render_marker(bytes, &index, m));
    }
    for d in &found.diagnostics {
        let line = index.line_of(d.range.start) + 1;
        out.push_str(&format!(
            "{} L{}: {:?} — {}\n",
            d.code,
            line,
            String::from_utf8_lossy(&bytes[d.range.clone()]),
            d.message
        ));
    }
    out
}

fn render_marker(bytes: &[u8], index: &LineIndex, m: &Marker) -> String {
    let target = match &m.target {
        Ok(t) => format!("{}/{} {}", t.namespace, t.name, t.kind.as_str()),
        Err(e) => format!("{e:?}"),
    };
    format!(
        "marker L{} {:?} {} value={:?} ({}) ref={:?} via {:?}\n",
        index.line_of(m.scalar.start) + 1,
        String::from_utf8_lossy(&bytes[m.scalar.clone()]),
        target,
        m.value,
        m.style.as_str(),
        String::from_utf8_lossy(&bytes[m.reference_range.clone()]),
        m.placement
    )
}

fn check(name: &str, path: &str, text: &str) {
    insta::assert_snapshot!(name, render(path, text));
}

/// Every marker form Flux reads and every near miss it silently ignores (spec §1.4; differences §2).
#[test]
fn near_misses() {
    check(
        "near_misses",
        "near-misses.yaml",
        include_str!("fixtures/markers/near-misses.yaml"),
    );
}

/// Spec §1.2: only `.yaml`, `.yml` and `Kustomization` (case-sensitive) are read.
#[test]
fn skipped_for_its_extension() {
    let text = "image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n";
    check("skipped_extension", "deploy.YAML", text);
    check("read_kustomization", "apps/Kustomization", text);
    check(
        "skipped_kustomization_lowercase",
        "apps/kustomization",
        text,
    );
}

/// Spec §1.2: screening needs the exact `"$imagepolicy"` bytes.
#[test]
fn skipped_without_the_screening_token() {
    check(
        "skipped_screening",
        "a.yaml",
        "image: a:1 # {'$imagepolicy': 'ns:p'}\n",
    );
}

/// Spec §1.2/§1.3: parse errors, `----` and `--- |` separators, top-level sequences and scalar
/// `metadata` make Flux skip the file silently.
#[test]
fn skipped_shapes() {
    check(
        "skipped_parse_error",
        "a.yaml",
        "a: [1\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_dashes",
        "a.yaml",
        "a: 1\n----\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_separator_text",
        "a.yaml",
        "a: 1\n--- |\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_sequence",
        "a.yaml",
        "- image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_metadata_scalar",
        "a.yaml",
        "metadata: x\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_directive",
        "a.yaml",
        "%YAML 1.2\n---\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "skipped_list",
        "a.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - kind: Deployment\n    image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "separator_with_comment_is_fine",
        "a.yaml",
        "a: 1\n--- # next\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
}

/// Inputs that must survive: CRLF, BOM, tabs in comments, non-UTF-8 bytes, Helm templates.
#[test]
fn survives_odd_inputs() {
    check(
        "crlf_bom",
        "a.yaml",
        "\u{feff}a: 1\r\nimage: 'a:1' # {\"$imagepolicy\": \"ns:p\"}\r\ntag: x\r\n",
    );
    check(
        "tab_before_comment",
        "a.yaml",
        "image: a:1\t# {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "helm_template",
        "templates/deploy.yaml",
        "metadata:\n  name: {{ .Release.Name }}\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
    );
    check(
        "non_ascii_value",
        "a.yaml",
        "note: \"héllo\"\nimage: \"ghcr.io/é:1\" # {\"$imagepolicy\": \"ns:p\"}\n",
    );
}

#[test]
fn non_utf8_bytes_do_not_stop_the_finder() {
    let mut bytes = b"note: \xff\xfe\n".to_vec();
    bytes.extend_from_slice(b"image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n");
    let file = yaml::parse(&bytes);
    let index = LineIndex::new(&bytes);
    let found = find_markers("a.yaml", &bytes, &file, &index);
    assert_eq!(found.markers.len(), 1);
    assert_eq!(found.markers[0].value, "a:1");
    // go-yaml rejects invalid UTF-8, so Flux skips the file: say so.
    let skipped = found
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "file-skipped")
        .expect("a file-skipped diagnostic");
    assert!(skipped.message.contains("UTF-8"), "{}", skipped.message);
}

/// A comment that mentions `$imagepolicy` in prose is not a marker and not an error.
#[test]
fn prose_is_neither_marker_nor_error() {
    let out = render(
        "a.yaml",
        "# This file uses \"$imagepolicy\" markers, see the docs.\nimage: a:1 # bump with $imagepolicy\n",
    );
    assert_eq!(out, "");
}

/// stack.md trap 1: a document over 32,768 lines is read line by line, markers are not lost.
#[test]
fn oversized_documents_keep_their_markers() {
    let mut text = String::from("items:\n");
    for i in 0..40_000 {
        if i % 10_000 == 0 {
            text.push_str(&format!(
                "- image: a:{i} # {{\"$imagepolicy\": \"ns:p{i}\"}}\n"
            ));
        } else {
            text.push_str("- x\n");
        }
    }
    text.push_str("---\nimage: b:1 # {\"$imagepolicy\": \"ns:small\"}\n");
    let bytes = text.as_bytes();
    let file = yaml::parse(bytes);
    let index = LineIndex::new(bytes);
    let found = find_markers("big.yaml", bytes, &file, &index);
    let values: Vec<&str> = found.markers.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(values, ["a:0", "a:10000", "a:20000", "a:30000", "b:1"]);
    for m in &found.markers {
        assert_eq!(&bytes[m.scalar.clone()], m.value.as_bytes());
    }
    assert!(
        found
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "line-scanned")
    );
}

/// SOPS-encrypted files: encrypted values and the `sops:` block read fine and hold no marker.
#[test]
fn survives_sops_files() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: creds\nstringData:\n    token: ENC[AES256_GCM,data:q3M2aGk=,iv:AAAA,tag:BBBB==,type:str]\nsops:\n    age:\n        - recipient: age1qqqq\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdlLWVuY3J5cHRpb24ub3JnL3Yx\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\n    version: 3.8.1\n";
    assert_eq!(render("secret.sops.yaml", text), "");
}

/// What the finder saw, one line per finding: `marker L<line>` or `<code> L<line>`.
fn findings(path: &str, text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let file = yaml::parse(bytes);
    let index = LineIndex::new(bytes);
    let found = find_markers(path, bytes, &file, &index);
    let markers = found
        .markers
        .iter()
        .map(|m| format!("marker L{}", index.line_of(m.scalar.start) + 1));
    let diagnostics = found
        .diagnostics
        .iter()
        .map(|d| format!("{} L{}", d.code, index.line_of(d.range.start) + 1));
    markers.chain(diagnostics).collect()
}

/// Spec §1.4 (a marker is a JSON object with the `"$imagepolicy"` key), differences §2 (every
/// *meant* marker Flux ignores is reported): a comment that names `$imagepolicy` in prose, above
/// a document or mid-sentence, is no marker candidate, so it gets no `marker-malformed`, no
/// `marker-misplaced` (whose fix would join the prose to the next line) and no `file-skipped`;
/// a marker-shaped comment that Flux cannot read is still reported. Found on a real repository
/// (`# $imagepolicy marker (swdemo/deployment.yaml, …` above `apiVersion:`).
#[test]
fn prose_mentioning_the_key_is_not_a_marker() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "prose above a document, in a file without markers",
            "# $imagepolicy marker (swdemo/deployment.yaml, apps/web.yaml) keeps these in step\napiVersion: apps/v1\nkind: Deployment\n",
            &[],
        ),
        (
            "prose above a document, in a file with a marker",
            "# $imagepolicy markers below are bumped by the bot\napiVersion: apps/v1\nkind: Deployment\nspec:\n  image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n",
            &["marker L5"],
        ),
        (
            "prose after a separator that looks like a bare marker",
            "a: 1\n---\n# $imagepolicy: see the README for how markers work\napiVersion: v1\n",
            &[],
        ),
        (
            "prose mid-sentence, on a value's line and above a key",
            "spec:\n  # this image is bumped by the \"$imagepolicy\" marker of apps/web.yaml\n  image: a:1 # pinned: no $imagepolicy here on purpose\n",
            &[],
        ),
        (
            "the key quoted in prose",
            "# \"$imagepolicy\" markers are described in README.md\nimage: a:1\n",
            &[],
        ),
        (
            "a marker missing its closing brace",
            "image: a:1 # {\"$imagepolicy\": \"ns:p\"\n",
            &["marker-malformed L1"],
        ),
        (
            "a marker with an unquoted value",
            "image: a:1 # {\"$imagepolicy\": ns:p}\n",
            &["marker-malformed L1"],
        ),
        (
            "a bare key-value marker",
            "image: a:1 # $imagepolicy: ns:p\n",
            // Meant as a marker, so the file's missing screening token is reported too.
            &["marker-malformed L1", "file-skipped L1"],
        ),
        (
            "a JSON marker above a document is still misplaced",
            "# {\"$imagepolicy\": \"ns:p\"}\napiVersion: v1\nkind: ConfigMap\n",
            &["marker-misplaced L1"],
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(findings("a.yaml", text), *expected, "{name}");
    }
}

/// The bare form is reported with the JSON it meant (differences §2: the fix where intent is
/// clear), and prose starting with the key is left alone.
#[test]
fn bare_markers_are_read_narrowly() {
    use fluxtag_core::marker::{CommentClass, classify_comment};
    for (comment, suggestion) in [
        (
            "# $imagepolicy: ns:p",
            Some("# {\"$imagepolicy\": \"ns:p\"}"),
        ),
        (
            "# \"$imagepolicy\": \"ns:p:tag\"}",
            Some("# {\"$imagepolicy\": \"ns:p:tag\"}"),
        ),
        (
            "#$ImagePolicy = 'ns:p'",
            Some("# {\"$imagepolicy\": \"ns:p\"}"),
        ),
        ("# $imagepolicy marker (swdemo/deployment.yaml, …", None),
        ("# $imagepolicy: see the docs", None),
        ("# $imagepolicy:", None),
        ("# $imagepolicy", None),
    ] {
        let class = classify_comment(comment);
        match suggestion {
            Some(expected) => assert!(
                matches!(&class, CommentClass::Malformed { suggestion: Some(s), .. } if s == expected),
                "{comment}: {class:?}"
            ),
            None => assert_eq!(class, CommentClass::NotMarker, "{comment}"),
        }
    }
}

/// Issue 11 item 2: moving a misplaced marker to its value's line makes Flux start rewriting
/// the value, so the move is an unsafe fix (never applied by `--fix` alone, nor by
/// `source.fixAll`), and it is offered only for a comment that is valid marker JSON (moving a
/// malformed one would only join two lines).
#[test]
fn the_move_fix_is_unsafe_and_only_for_valid_markers() {
    use fluxtag_core::diag::Applicability;
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "a valid marker above its key",
            "spec:\n  # {\"$imagepolicy\": \"ns:p\"}\n  image: a:1\n",
            Some("spec:\n  image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n"),
        ),
        (
            "a valid marker on the key's line, the value below",
            "spec:\n  image: # {\"$imagepolicy\": \"ns:p\"}\n    a:1\n",
            Some("spec:\n  image:\n    a:1 # {\"$imagepolicy\": \"ns:p\"}\n"),
        ),
        (
            "a malformed marker above its key",
            "spec:\n  # {\"$imagepolicy\": \"ns:p\"\n  image: a:1\n",
            None,
        ),
        (
            "a single-quoted marker on the key's line",
            "spec:\n  image: # {'$imagepolicy': 'ns:p'}\n    a:1\n",
            None,
        ),
    ];
    for (name, text, moved) in cases {
        let bytes = text.as_bytes();
        let file = yaml::parse(bytes);
        let index = LineIndex::new(bytes);
        let found = find_markers("a.yaml", bytes, &file, &index);
        let misplaced: Vec<_> = found
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == "marker-misplaced")
            .collect();
        assert_eq!(misplaced.len(), 1, "{name}: {:?}", found.diagnostics);
        let fix = misplaced[0].fix.as_ref();
        match moved {
            Some(expected) => {
                let fix = fix.unwrap_or_else(|| panic!("{name}: no move fix"));
                assert_eq!(fix.applicability, Applicability::Unsafe, "{name}");
                let after = fluxtag_core::edit::apply_edits(bytes, &fix.edits).unwrap();
                assert_eq!(String::from_utf8(after).unwrap(), *expected, "{name}");
            }
            None => assert!(fix.is_none(), "{name}: {fix:?}"),
        }
        assert!(
            fluxtag_core::edit::safe_edits(&found.diagnostics).is_empty(),
            "{name}: a safe fix"
        );
    }
}

/// Issue 11 item 1, spec §1.2 ("parse failure of a screened file: … the file is skipped and no
/// error is surfaced", IAC `internal/update/filereader.go`): a Helm template carrying the
/// `"$imagepolicy"` token does not parse as YAML (`{{- if … }}` lines, `{{- include … | nindent
/// 4 }}`), so Flux skips it. tree-sitter's error recovery swallows the marker's line (it yields
/// no comment at all for these files), yet each must get `file-skipped` counting its markers,
/// with the help that markers in templates never work and belong in the HelmRelease's values.
#[test]
fn helm_templates_with_markers_are_skipped() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "a whole-file `if`, a templated name, an `include | nindent`",
            "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/org/app:1.2.3 # {\"$imagepolicy\": \"flux-system:app\"}\n{{- end }}\n",
            1,
        ),
        (
            "`helm create`'s deployment, `with` blocks after the marked image",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    metadata:\n      labels:\n        {{- include \"x.selectorLabels\" . | nindent 8 }}\n    spec:\n      containers:\n        - name: {{ .Chart.Name }}\n          image: \"ghcr.io/org/app:1.2.3\" # {\"$imagepolicy\": \"flux-system:app\"}\n          {{- with .Values.resources }}\n          resources:\n            {{- toYaml . | nindent 12 }}\n          {{- end }}\n",
            1,
        ),
        (
            "a CronJob, two markers (image and tag), an `if` between them",
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {{ .Release.Name }}-job\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: job\n              image: ghcr.io/org/job:1.0.0 # {\"$imagepolicy\": \"flux-system:job\"}\n              {{- if .Values.args }}\n              args: {{ toJson .Values.args }}\n              {{- end }}\n              env:\n                - name: SIDECAR_TAG\n                  value: 2.0.0 # {\"$imagepolicy\": \"flux-system:sidecar:tag\"}\n",
            2,
        ),
        (
            "a marker on a key's line only (no marker for the line scan, still a candidate)",
            "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\ndata:\n  image: # {\"$imagepolicy\": \"flux-system:app\"}\n    ghcr.io/org/app:1.2.3\n{{- end }}\n",
            0,
        ),
    ];
    for (name, text, markers) in cases {
        let bytes = text.as_bytes();
        let file = yaml::parse(bytes);
        let index = LineIndex::new(bytes);
        let found = find_markers("charts/x/templates/deploy.yaml", bytes, &file, &index);
        assert_eq!(found.markers.len(), *markers, "{name}: {:?}", found.markers);
        let skipped: Vec<_> = found
            .diagnostics
            .iter()
            .filter(|d| d.code.as_str() == "file-skipped")
            .collect();
        assert_eq!(skipped.len(), 1, "{name}: {:?}", found.diagnostics);
        assert!(found.skipped.is_some(), "{name}");
        let message = &skipped[0].message;
        assert!(
            message.contains("does not parse as YAML"),
            "{name}: {message}"
        );
        let count = match markers {
            0 => "its markers are never applied".to_string(),
            1 => "its marker is never applied".to_string(),
            n => format!("its {n} markers are never applied"),
        };
        assert!(message.ends_with(&count), "{name}: {message}");
        let help = skipped[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains("Helm templates never work")
                && help.contains("HelmRelease's `spec.values`"),
            "{name}: {help}"
        );
    }
}

/// Issue 11 item 1: the line recovery adds nothing where the tree already saw the marker (a
/// parse error elsewhere), and a file that parses stays unskipped (`{{ .Release.Name }}` alone
/// is a flow mapping to go-yaml too, spec §1.7, so Flux reads that template).
#[test]
fn line_recovery_adds_nothing_the_tree_saw() {
    assert_eq!(
        findings(
            "a.yaml",
            "a: [1\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n"
        ),
        ["marker L2", "file-skipped L1"]
    );
    assert_eq!(
        findings(
            "charts/x/templates/cm.yaml",
            "metadata:\n  name: {{ .Release.Name }}\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n"
        ),
        ["marker L3"]
    );
    // A plain parse error keeps the plain help.
    let bytes = b"a: [1\nimage: a:1 # {\"$imagepolicy\": \"ns:p\"}\n";
    let file = yaml::parse(bytes);
    let index = LineIndex::new(bytes);
    let found = find_markers("apps/a.yaml", bytes, &file, &index);
    let help = found.diagnostics[0].help.as_deref().unwrap_or("");
    assert!(help.starts_with("fix the syntax error"), "{help}");
}

/// Issue 11 item 8a: the long marker form `{"$ref": "#/definitions/io.k8s.cli.setters.<name>"}`
/// is applied by Flux. kyaml `fieldmeta/fieldmeta.go` (v0.21.1) `FieldMeta.Read` falls back to
/// unmarshalling the comment as an OpenAPI schema when it is no known shorthand, and
/// image-automation-controller `internal/update/filter.go` `getSchema` resolves its `$ref` in
/// the setters schema built by `internal/update/setters.go` (definitions
/// `io.k8s.cli.setters.<ns>:<name>`, `…:tag`, `…:name`, `…:digest`). The reference is a URL
/// whose fragment is percent-decoded (go-openapi jsonreference). Same verdicts as the short
/// form; screening still needs the `"$imagepolicy"` token (spec §1.2).
#[test]
fn long_form_markers_are_read() {
    let short = "other: b:1 # {\"$imagepolicy\": \"ns:other\"}\n";
    let cases: &[(&str, &str)] = &[
        (
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app\"}\n",
            "marker L1 \"a:1\" ns/app image value=\"a:1\" (plain) ref=\"ns:app\" via LineComment\n",
        ),
        (
            "tag: '1.0' #{\"$ref\":\"#/definitions/io.k8s.cli.setters.ns:app:tag\"}\n",
            "marker L1 \"'1.0'\" ns/app tag value=\"1.0\" (single) ref=\"ns:app:tag\" via LineComment\n",
        ),
        (
            "- name: x # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app:name\"}\n",
            "",
        ),
        (
            "list:\n  # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app:digest\"}\n  - sha256:1\n",
            "marker L3 \"sha256:1\" ns/app digest value=\"sha256:1\" (plain) ref=\"ns:app:digest\" via HeadComment\n",
        ),
        (
            // The fragment is percent-decoded (Go `url.Parse`); unknown schema keys are ignored.
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns%3Aapp\", \"n\": 1}\n",
            "marker L1 \"a:1\" ns/app image value=\"a:1\" (plain) ref=\"{\\\"$ref\\\": \\\"#/definitions/io.k8s.cli.setters.ns%3Aapp\\\", \\\"n\\\": 1}\" via LineComment\n",
        ),
    ];
    for (text, expected) in cases {
        let out = render("a.yaml", &format!("{text}{short}"));
        let out: String = out
            .lines()
            .filter(|l| !l.contains("ns:other"))
            .map(|l| format!("{l}\n"))
            .collect();
        if expected.is_empty() {
            // A key-value mapping item's value is a scalar: the line comment is its marker.
            assert!(out.contains("ns/app name"), "{text}: {out}");
        } else {
            assert_eq!(out, *expected, "{text}");
        }
    }
    // Same reference verdicts as the short form.
    for (text, code) in [
        (
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.app\"}\n",
            "marker-no-namespace L1",
        ),
        (
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app:foo\"}\n",
            "marker-bad-suffix L1",
        ),
        (
            // `description` must be a string in kube-openapi's SchemaProps: the unmarshal fails.
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app\", \"description\": 5}\n",
            "marker-malformed L1",
        ),
        (
            // A singular `setter`: meant as a marker, resolves to nothing.
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setter.ns:app\"} \n",
            "marker-malformed L1",
        ),
    ] {
        let found = findings("a.yaml", &format!("{text}{short}"));
        let found: Vec<&String> = found.iter().filter(|f| *f != "marker L2").collect();
        assert!(found.iter().any(|f| *f == code), "{text}: {found:?}");
    }
    // A wrong prefix is meant as a marker but names no setter: reported, with the short form.
    let class = fluxtag_core::marker::classify_comment(
        "# {\"$ref\": \"#/definitions/io.k8s.cli.setters/ns:app\"}",
    );
    assert!(
        matches!(&class, fluxtag_core::marker::CommentClass::Malformed { .. }),
        "{class:?}"
    );
    // Without any short-form marker the file is not screened: Flux never reads it.
    assert_eq!(
        findings(
            "a.yaml",
            "image: a:1 # {\"$ref\": \"#/definitions/io.k8s.cli.setters.ns:app\"}\n"
        ),
        ["marker L1", "file-skipped L1"]
    );
}

/// Issue 11 item 8c: a resource in a file Flux reads whose `config.kubernetes.io/path` (or,
/// alone, `internal.config.kubernetes.io/path`) annotation is not its file's path makes kyaml
/// fail the whole pipeline before any setter runs: kyaml v0.21.1 `kio/kio.go`
/// `PreprocessResourcesForInternalAnnotationMigration` → `checkMismatchedAnnos` ("resource
/// input to function has mismatched legacy and internal path annotations"), after
/// `kio/byteio_reader.go` copied the legacy annotation and IAC
/// `internal/update/filereader.go` set the internal one to the path relative to
/// `spec.update.path` (`flux-semantics.md` §9). Any document of a screened file counts; with no
/// automation known, a value that is the path relative to some directory above the file may be
/// right (judged against real update paths in `resolve.rs`).
#[test]
fn path_annotations_that_stop_the_run_are_reported() {
    let marker = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  image: a:1 # {\"$imagepolicy\": \"ns:p\"}\n";
    let annotated = |key: &str, value: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    {key}: {value}\n{marker}"
        )
    };
    let cases: &[(String, &[&str])] = &[
        (
            annotated("config.kubernetes.io/path", "other/deploy.yaml"),
            &["marker L13", "path-annotation-mismatch L6"],
        ),
        (
            annotated("internal.config.kubernetes.io/path", "'./deploy.yaml'"),
            &["marker L13", "path-annotation-mismatch L6"],
        ),
        (
            annotated("config.kubernetes.io/path", "apps/deploy.yaml"),
            &["marker L13"],
        ),
        (
            // Right when the automation's update.path is `./apps`.
            annotated("config.kubernetes.io/path", "deploy.yaml"),
            &["marker L13"],
        ),
        (
            annotated("config.kubernetes.io/path", "ploy.yaml"),
            &["marker L13", "path-annotation-mismatch L6"],
        ),
        (
            // Not screened: Flux never reads the file.
            "metadata:\n  annotations:\n    config.kubernetes.io/path: x.yaml\n".to_string(),
            &[],
        ),
    ];
    for (text, expected) in cases {
        let mut parser = fluxtag_core::yaml::Parser::new();
        let analysis =
            fluxtag_core::analysis::analyze_file(&mut parser, "apps/deploy.yaml", text.as_bytes());
        let index = LineIndex::new(text.as_bytes());
        let found: Vec<String> = analysis
            .markers
            .markers
            .iter()
            .map(|m| format!("marker L{}", index.line_of(m.scalar.start) + 1))
            .chain(
                analysis
                    .markers
                    .diagnostics
                    .iter()
                    .chain(&fluxtag_core::marker::path_annotation_diagnostics(
                        "apps/deploy.yaml",
                        &analysis.markers.path_claims,
                        &[],
                    ))
                    .map(|d| format!("{} L{}", d.code, index.line_of(d.range.start) + 1)),
            )
            .collect();
        assert_eq!(found, *expected, "{text}");
        if let Some(d) = analysis.markers.diagnostics.first() {
            assert_eq!(d.severity, fluxtag_core::diag::Severity::Error);
            assert!(
                d.message.contains("whole automation run stops"),
                "{}",
                d.message
            );
        }
    }
}
