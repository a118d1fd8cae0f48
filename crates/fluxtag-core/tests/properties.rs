//! Properties that must hold for any input (issue 2, "Done when"; `fluxtag-differences.md` §1):
//! parsing never panics on arbitrary bytes; an edit changes no byte outside the marked scalar;
//! scanning the edited file finds the same markers, now holding the new value.

// Tests may panic on what they set up themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fluxtag_core::diag::Edit;
use fluxtag_core::edit::apply_edits;
use fluxtag_core::marker::find_markers;
use fluxtag_core::text::LineIndex;
use fluxtag_core::yaml::{self, scalar::encode_in_style};
use proptest::prelude::*;

fn scan(bytes: &[u8]) -> fluxtag_core::marker::FileMarkers {
    let file = yaml::parse(bytes);
    let index = LineIndex::new(bytes);
    find_markers("a.yaml", bytes, &file, &index)
}

/// A YAML file with markers in several styles and places, around a varying body.
fn marked_file() -> impl Strategy<Value = (String, usize)> {
    let value = prop_oneof![
        Just("ghcr.io/org/app:1.2.3".to_string()),
        Just("'1.0'".to_string()),
        Just("\"v2.0.1\"".to_string()),
        Just("1.10".to_string()),
        "[a-z][a-z0-9.:/-]{0,20}[a-z0-9]",
    ];
    let filler = prop_oneof![
        Just("".to_string()),
        Just("\n".to_string()),
        Just("# a comment\n".to_string()),
        Just("note: |\n  text # not a comment\n".to_string()),
        Just("---\n".to_string()),
        Just("x: [1, 2]\n".to_string()),
    ];
    let line_ending = prop_oneof![Just("\n"), Just("\r\n")];
    (
        prop::collection::vec((filler, value), 1..6),
        line_ending,
        any::<bool>(),
    )
        .prop_map(|(parts, eol, final_newline)| {
            let mut text = String::from("apiVersion: v1\n");
            let mut count = 0;
            for (i, (filler, value)) in parts.iter().enumerate() {
                text.push_str(filler);
                match i % 3 {
                    0 => text.push_str(&format!(
                        "image{i}: {value} # {{\"$imagepolicy\": \"ns:p{i}\"}}\n"
                    )),
                    1 => text.push_str(&format!(
                        "list{i}:\n  - {value} # {{\"$imagepolicy\": \"ns:p{i}:tag\"}}\n"
                    )),
                    _ => text.push_str(&format!(
                        "seq{i}:\n  # {{\"$imagepolicy\": \"ns:p{i}\"}}\n  - {value}\n"
                    )),
                }
                count += 1;
            }
            let mut text = text.replace('\n', eol);
            if !final_newline {
                text.truncate(text.trim_end_matches(['\r', '\n']).len());
            }
            (text, count)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let found = scan(&bytes);
        for marker in &found.markers {
            prop_assert!(marker.scalar.end <= bytes.len());
            prop_assert!(marker.comment.end <= bytes.len());
        }
        for diagnostic in &found.diagnostics {
            prop_assert!(diagnostic.range.end <= bytes.len());
        }
    }

    #[test]
    fn parsing_yaml_like_text_never_panics(text in "([a-z]{1,4}|:|-|#|\\{|\\}|\\[|\\]|\"|'|\\||>| |\n|\t|\\$imagepolicy|---){0,80}") {
        let found = scan(text.as_bytes());
        for marker in &found.markers {
            prop_assert!(marker.scalar.end <= text.len());
        }
    }

    #[test]
    fn edits_touch_only_the_scalar_and_rescan_finds_the_same_markers(
        (text, count) in marked_file(),
        new_values in prop::collection::vec(prop_oneof![
            Just("1.10".to_string()),
            Just("ghcr.io/org/app:2.0.0@sha256:abc".to_string()),
            Just("".to_string()),
            Just("it's".to_string()),
            Just("yes".to_string()),
            "[a-z0-9][a-z0-9.:/@-]{0,30}",
        ], 6),
    ) {
        let bytes = text.as_bytes();
        let before = scan(bytes);
        prop_assert_eq!(before.markers.len(), count, "markers in {:?}", text);
        let edits: Vec<Edit> = before
            .markers
            .iter()
            .zip(&new_values)
            .map(|(m, v)| Edit {
                range: m.scalar.clone(),
                new_text: encode_in_style(v, m.style, m.in_flow),
            })
            .collect();
        let edited = apply_edits(bytes, &edits).unwrap();
        // Every byte outside the scalars is unchanged: compare the pieces between them.
        let mut old_at = 0;
        let mut new_at = 0;
        for edit in &edits {
            let len = edit.range.start - old_at;
            prop_assert_eq!(&bytes[old_at..edit.range.start], &edited[new_at..new_at + len]);
            new_at += len + edit.new_text.len();
            old_at = edit.range.end;
        }
        prop_assert_eq!(&bytes[old_at..], &edited[new_at..]);
        // The same markers, holding the new values.
        let after = scan(&edited);
        prop_assert_eq!(after.markers.len(), before.markers.len());
        for ((old, new), value) in before.markers.iter().zip(&after.markers).zip(&new_values) {
            prop_assert_eq!(&old.reference, &new.reference);
            prop_assert_eq!(&new.value, value);
            if old.style != yaml::ScalarStyle::Plain {
                prop_assert_eq!(old.style, new.style);
            }
        }
    }
}
