//! [`Secret`]: a string that never shows itself in `Debug` output, logs or errors.

use std::fmt;

/// A password, identity token or bearer token.
///
/// It has no `Display`, its `Debug` prints `<redacted>`, and it is not `Serialize`, so it cannot end
/// up in a log line, an error message, the cache or a snapshot by accident. Only this crate reads
/// the value, to build an `Authorization` header or a token request.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for building a request.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
