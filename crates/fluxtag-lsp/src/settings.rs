//! The server's settings: the tag source of `fluxtag lsp`'s flags, overridden by the client's
//! `initializationOptions` and later `workspace/didChangeConfiguration`, and per-code severities.
//!
//! Keys (all optional): `tagsFrom` (a snapshot file), `offline` (cache only), `cacheDir`,
//! `severity` (an object from diagnostic code to `error`, `warning`, `info`, `hint` or `off`).
//! Relative paths are resolved against each workspace folder's root. Settings may come bare or
//! under a `fluxtag` key (VS Code's `workspace/configuration` shape).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fluxtag_core::diag::{Code, Severity};
use fluxtag_workspace::TagSettings;
use fluxtag_workspace::cache::CacheSettings;
use serde_json::Value;
use tower_lsp_server::ls_types::DiagnosticSeverity;

/// What the editor shows for a diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Shown with this severity.
    Show(DiagnosticSeverity),
    /// Not shown at all.
    Off,
}

/// Everything the user can configure.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where tags come from (paths may be relative to a workspace folder).
    pub tags: TagSettings,
    /// Severity overrides by code; codes absent here keep the core's severity.
    pub severity: BTreeMap<Code, Level>,
    /// The analysis cache a folder's first indexing reads and updates (`fluxtag lsp`'s, as the
    /// command line's: `fluxtag_workspace::cache`); `None` parses every file. Not a client
    /// setting.
    pub analysis_cache: Option<CacheSettings>,
}

impl Settings {
    /// The settings of `fluxtag lsp`'s flags, with the editor defaults (stale markers are
    /// warnings: the hook is where they block).
    pub fn new(tags: TagSettings) -> Settings {
        let mut severity = BTreeMap::new();
        severity.insert(Code::Stale, Level::Show(DiagnosticSeverity::WARNING));
        Settings {
            tags,
            severity,
            analysis_cache: None,
        }
    }

    /// The settings of `fluxtag lsp`'s flags, with relative paths made absolute against the
    /// current directory (the flags mean what they mean on the command line).
    pub fn from_flags(mut tags: TagSettings) -> Settings {
        if let Ok(cwd) = std::env::current_dir() {
            tags.tags_from = tags.tags_from.map(|p| cwd.join(p));
            tags.cache_dir = tags.cache_dir.map(|p| cwd.join(p));
        }
        Settings::new(tags)
    }

    /// Applies a settings object from the client; returns a warning for each key or value that
    /// was not understood (the rest still applies).
    pub fn apply(&mut self, value: &Value) -> Vec<String> {
        let mut warnings = Vec::new();
        let value = match value.get("fluxtag") {
            Some(inner) if inner.is_object() => inner,
            _ => value,
        };
        let Some(object) = value.as_object() else {
            if !value.is_null() {
                warnings.push("fluxtag settings must be a JSON object".to_string());
            }
            return warnings;
        };
        for (key, value) in object {
            match key.as_str() {
                "tagsFrom" => match value {
                    Value::String(s) if !s.is_empty() => {
                        self.tags.tags_from = Some(PathBuf::from(s));
                        self.tags.offline = false;
                    }
                    Value::String(_) | Value::Null => self.tags.tags_from = None,
                    _ => warnings.push("`tagsFrom` must be a file path".to_string()),
                },
                "offline" => match value {
                    Value::Bool(b) => self.tags.offline = *b,
                    Value::Null => self.tags.offline = false,
                    _ => warnings.push("`offline` must be true or false".to_string()),
                },
                "cacheDir" => match value {
                    Value::String(s) if !s.is_empty() => {
                        self.tags.cache_dir = Some(PathBuf::from(s));
                    }
                    Value::String(_) | Value::Null => self.tags.cache_dir = None,
                    _ => warnings.push("`cacheDir` must be a directory path".to_string()),
                },
                "severity" => match value.as_object() {
                    Some(map) => {
                        for (code, level) in map {
                            let Some(code) = Code::from_name(code) else {
                                warnings.push(format!("unknown diagnostic code `{code}`"));
                                continue;
                            };
                            match level.as_str().and_then(parse_level) {
                                Some(level) => {
                                    self.severity.insert(code, level);
                                }
                                None => warnings.push(format!(
                                    "severity of `{code}` must be error, warning, info, hint or off"
                                )),
                            }
                        }
                    }
                    None => warnings.push("`severity` must be an object".to_string()),
                },
                // Client-side keys (the VS Code extension's own settings) are not ours.
                "server" | "trace" => {}
                other => warnings.push(format!("unknown setting `{other}`")),
            }
        }
        warnings
    }

    /// The tag settings for a workspace folder: relative paths resolved against its root.
    pub fn tags_for(&self, root: &Path) -> TagSettings {
        let mut tags = self.tags.clone();
        tags.tags_from = tags.tags_from.map(|p| root.join(p));
        tags.cache_dir = tags.cache_dir.map(|p| root.join(p));
        tags
    }

    /// What the editor shows for a finding of `code` whose core severity is `severity`.
    pub fn level(&self, code: Code, severity: Severity) -> Level {
        self.severity
            .get(&code)
            .copied()
            .unwrap_or(Level::Show(match severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Info => DiagnosticSeverity::INFORMATION,
            }))
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings::new(TagSettings::default())
    }
}

fn parse_level(text: &str) -> Option<Level> {
    Some(match text {
        "error" => Level::Show(DiagnosticSeverity::ERROR),
        "warning" => Level::Show(DiagnosticSeverity::WARNING),
        "info" | "information" => Level::Show(DiagnosticSeverity::INFORMATION),
        "hint" => Level::Show(DiagnosticSeverity::HINT),
        "off" | "none" => Level::Off,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_override_flags_and_bad_values_are_reported() {
        let mut settings = Settings::new(TagSettings {
            offline: true,
            ..TagSettings::default()
        });
        assert_eq!(
            settings.level(Code::Stale, Severity::Error),
            Level::Show(DiagnosticSeverity::WARNING)
        );
        let warnings = settings.apply(&serde_json::json!({
            "fluxtag": {
                "tagsFrom": "tags.json",
                "cacheDir": "/c",
                "severity": {"stale": "error", "templated": "off", "nope": "error", "stale2": 1},
                "bogus": 1
            }
        }));
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(!settings.tags.offline);
        assert_eq!(
            settings.tags_for(Path::new("/r")).tags_from,
            Some(PathBuf::from("/r/tags.json"))
        );
        assert_eq!(
            settings.tags_for(Path::new("/r")).cache_dir,
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            settings.level(Code::Stale, Severity::Error),
            Level::Show(DiagnosticSeverity::ERROR)
        );
        assert_eq!(settings.level(Code::Templated, Severity::Info), Level::Off);
        assert!(!settings.apply(&serde_json::json!("x")).is_empty());
    }
}
