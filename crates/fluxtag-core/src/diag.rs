//! The one diagnostic model of fluxtag.
//!
//! Every finding, from a malformed marker to a registry failure, is a [`Diagnostic`] with a
//! stable [`Code`], a [`Severity`], a byte range in one file and, where fluxtag knows the cure, a
//! [`Fix`] made of byte [`Edit`]s. The command line, the JSON and SARIF output and the language
//! server all render this same type; none of them invents findings of its own.
//!
//! The codes are a contract: documented in README.md, never renamed, never reused.

use std::fmt;
use std::ops::Range;

/// A stable diagnostic code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Code {
    /// A comment meant as a marker that Flux cannot read (bad JSON, trailing text, single
    /// quotes, non-string values, wrong key, bad value).
    MarkerMalformed,
    /// A marker without the mandatory namespace (`"app"` instead of `"flux-system:app"`).
    MarkerNoNamespace,
    /// A marker with a suffix other than `:tag`, `:name` or `:digest`.
    MarkerBadSuffix,
    /// A marker Flux never sees: on a key, above a key, on a collection, on an empty value, in a
    /// block scalar, hidden by another comment.
    MarkerMisplaced,
    /// A file with markers that Flux skips entirely (extension, screening token, parse error,
    /// top-level sequence, invalid `---` line).
    FileSkipped,
    /// A marker names a policy that no ImagePolicy in the repository defines.
    PolicyNotFound,
    /// The policy exists but no ImageUpdateAutomation would apply it to this file.
    PolicyNotInAutomation,
    /// The policy's ImageRepository is not in the repository.
    RepositoryNotFound,
    /// The ImagePolicy is invalid (range, regex, order, no policy choice).
    PolicyInvalid,
    /// The ImageRepository is invalid (image with a tag, a scheme, uppercase letters; bad
    /// exclusion pattern).
    RepositoryInvalid,
    /// The marked value differs from what Flux would write.
    Stale,
    /// The policy selects no tag from the repository's tags.
    NoMatchingTag,
    /// The marked value names a tag the registry does not have.
    TagNotInRegistry,
    /// Tags could not be read (network, credentials, no cache while offline).
    RegistryError,
    /// The marker or an object it depends on uses `${VAR}` substitutions fluxtag cannot resolve.
    Templated,
    /// A policy without a namespace was matched by name alone.
    NamespaceAssumed,
    /// A document too large for the YAML parser was read line by line; near-miss checks are off.
    LineScanned,
    /// A marker whose policy reference uses `${VAR}`: image-automation-controller reads markers
    /// as written in Git, so it names no policy and is never applied.
    MarkerTemplated,
    /// An image object in an API version the controllers no longer serve (v1beta1, v1beta2):
    /// the cluster rejects it.
    ApiRemoved,
    /// An ImageUpdateAutomation's commit message template uses a field the controller removed
    /// (`.Updated`, `.Changed.ImageResult`): every commit fails.
    TemplateFieldRemoved,
    /// Two ImageUpdateAutomations apply one marker with policies (instances of one policy in
    /// different clusters) that select different values: each run overwrites the other's.
    AutomationConflict,
    /// A resource in a file Flux reads whose `config.kubernetes.io/path` (or
    /// `internal.config.kubernetes.io/path`) annotation is not its real path: kyaml aborts the
    /// automation's whole run, so nothing is written anywhere.
    PathAnnotationMismatch,
    /// A policy's result (`name:tag@digest`, what `status.latestRef` would hold) that
    /// image-automation-controller cannot parse as an image reference (an invalid digest, say):
    /// it aborts the whole run of every automation of the namespace.
    LatestRefInvalid,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: [Code; 23] = [
        Code::MarkerMalformed,
        Code::MarkerNoNamespace,
        Code::MarkerBadSuffix,
        Code::MarkerMisplaced,
        Code::FileSkipped,
        Code::PolicyNotFound,
        Code::PolicyNotInAutomation,
        Code::RepositoryNotFound,
        Code::PolicyInvalid,
        Code::RepositoryInvalid,
        Code::Stale,
        Code::NoMatchingTag,
        Code::TagNotInRegistry,
        Code::RegistryError,
        Code::Templated,
        Code::NamespaceAssumed,
        Code::LineScanned,
        Code::MarkerTemplated,
        Code::ApiRemoved,
        Code::TemplateFieldRemoved,
        Code::AutomationConflict,
        Code::PathAnnotationMismatch,
        Code::LatestRefInvalid,
    ];

    /// The kebab-case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MarkerMalformed => "marker-malformed",
            Code::MarkerNoNamespace => "marker-no-namespace",
            Code::MarkerBadSuffix => "marker-bad-suffix",
            Code::MarkerMisplaced => "marker-misplaced",
            Code::FileSkipped => "file-skipped",
            Code::PolicyNotFound => "policy-not-found",
            Code::PolicyNotInAutomation => "policy-not-in-automation",
            Code::RepositoryNotFound => "repository-not-found",
            Code::PolicyInvalid => "policy-invalid",
            Code::RepositoryInvalid => "repository-invalid",
            Code::Stale => "stale",
            Code::NoMatchingTag => "no-matching-tag",
            Code::TagNotInRegistry => "tag-not-in-registry",
            Code::RegistryError => "registry-error",
            Code::Templated => "templated",
            Code::NamespaceAssumed => "namespace-assumed",
            Code::LineScanned => "line-scanned",
            Code::MarkerTemplated => "marker-templated",
            Code::ApiRemoved => "api-removed",
            Code::TemplateFieldRemoved => "template-field-removed",
            Code::AutomationConflict => "automation-conflict",
            Code::PathAnnotationMismatch => "path-annotation-mismatch",
            Code::LatestRefInvalid => "latest-ref-invalid",
        }
    }

    /// The code named `name`, if any.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The severity a finding of this code has unless configured otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::PolicyNotInAutomation
            | Code::NoMatchingTag
            | Code::TagNotInRegistry
            | Code::RegistryError => Severity::Warning,
            Code::Templated | Code::NamespaceAssumed | Code::LineScanned => Severity::Info,
            _ => Severity::Error,
        }
    }

    /// One sentence on what the code means, for help texts and documentation.
    pub fn summary(self) -> &'static str {
        match self {
            Code::MarkerMalformed => {
                "a comment meant as a marker that Flux cannot read, so it is silently ignored"
            }
            Code::MarkerNoNamespace => "a marker without the namespace Flux requires",
            Code::MarkerBadSuffix => "a marker suffix other than :tag, :name or :digest",
            Code::MarkerMisplaced => "a marker where Flux never looks for one",
            Code::FileSkipped => "a file with markers that Flux skips entirely",
            Code::PolicyNotFound => "the marker names an ImagePolicy that does not exist",
            Code::PolicyNotInAutomation => {
                "no ImageUpdateAutomation would apply this policy to this file"
            }
            Code::RepositoryNotFound => "the ImagePolicy's ImageRepository does not exist",
            Code::PolicyInvalid => "the ImagePolicy is invalid and Flux stalls on it",
            Code::RepositoryInvalid => "the ImageRepository is invalid and Flux stalls on it",
            Code::Stale => "the marked value differs from what Flux would write",
            Code::NoMatchingTag => "the policy selects no tag from the repository's tags",
            Code::TagNotInRegistry => "the marked value names a tag the registry does not have",
            Code::RegistryError => "the tags could not be read, so staleness is unknown",
            Code::Templated => "${VAR} substitutions fluxtag cannot resolve",
            Code::NamespaceAssumed => "a policy without a namespace was matched by name alone",
            Code::LineScanned => "a document too large for the YAML parser was read line by line",
            Code::MarkerTemplated => {
                "the marker's policy reference uses ${VAR}; Flux reads markers as written and never applies it"
            }
            Code::ApiRemoved => {
                "an image object in an API version the controllers no longer serve; the cluster rejects it"
            }
            Code::TemplateFieldRemoved => {
                "the commit message template uses a field the controller removed; every commit fails"
            }
            Code::AutomationConflict => {
                "two automations write different values into this marker and overwrite each other"
            }
            Code::PathAnnotationMismatch => {
                "a path annotation that is not the file's path; Flux aborts the whole automation run"
            }
            Code::LatestRefInvalid => {
                "a policy result Flux cannot parse as an image reference; Flux aborts the whole automation run"
            }
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    /// Fails `fluxtag check`.
    Error,
    /// Shown, does not fail the check.
    Warning,
    /// Context the user may want.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Whether a fix may be applied without a person looking at it (ruff's contract, `style.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Applicability {
    /// Keeps what Flux does and only writes what Flux would write (a stale value's update):
    /// applied by `--fix` and `source.fixAll`.
    Safe,
    /// A guess (a did-you-mean) or a change of what Flux does (moving a marker so that Flux
    /// starts applying it): a quick fix in the editor, applied by `--fix` only with
    /// `--unsafe-fixes`.
    Unsafe,
}

/// Replace the bytes in `range` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    /// Byte range in the file's original bytes.
    pub range: Range<usize>,
    /// The replacement text.
    pub new_text: String,
}

/// A cure for a finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// What the fix does, as a code-action title (`Update to 1.4.2`).
    pub title: String,
    /// The edits, in one file, not overlapping.
    pub edits: Vec<Edit>,
    /// Whether `--fix` applies it.
    pub applicability: Applicability,
}

/// A second place that explains a finding (the policy a marker names, say).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Related {
    /// The file, relative to the root, `/`-separated.
    pub path: String,
    /// Byte range in that file.
    pub range: Range<usize>,
    /// What is there.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Its severity (the code's default unless configured).
    pub severity: Severity,
    /// The file, relative to the root, `/`-separated.
    pub path: String,
    /// Byte range in that file.
    pub range: Range<usize>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Why, in one line of facts (the policy's evaluation in counts for `stale` and
    /// `no-matching-tag`), when there is more to say than the message.
    pub note: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Other places that explain it.
    pub related: Vec<Related>,
    /// The cure, when fluxtag knows it.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and nothing else attached.
    pub fn new(code: Code, path: &str, range: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            path: path.to_string(),
            range,
            message: message.into(),
            note: None,
            help: None,
            related: Vec::new(),
            fix: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note (see [`Diagnostic::note`]).
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Adds a fix.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// The message with the note and the help on lines of their own (`note: …`, `help: …`):
    /// the text of outputs that have one message field (SARIF, GitHub annotations).
    pub fn message_with_note_and_help(&self) -> String {
        let mut text = self.message.clone();
        for (label, line) in [("note", &self.note), ("help", &self.help)] {
            if let Some(line) = line {
                text.push('\n');
                text.push_str(label);
                text.push_str(": ");
                text.push_str(line);
            }
        }
        text
    }

    /// Adds a related place.
    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }
}

/// Sorts diagnostics by path, range, code and message, so that every output is deterministic.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.range.start, a.range.end, a.code, &a.message).cmp(&(
            &b.path,
            b.range.start,
            b.range.end,
            b.code,
            &b.message,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_have_the_documented_severities() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.as_str()), Some(code));
        }
        assert_eq!(Code::Stale.default_severity(), Severity::Error);
        assert_eq!(Code::RegistryError.default_severity(), Severity::Warning);
        assert_eq!(Code::Templated.default_severity(), Severity::Info);
    }
}
