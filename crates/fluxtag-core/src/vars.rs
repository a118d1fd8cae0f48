//! `${VAR}` substitution as Flux's `postBuild.substitute` does it, over one string.
//!
//! It owns the variable syntax (`${VAR}`, `${VAR:=default}`, `${VAR:-default}`) and says which
//! variables had no value. Which variables apply to a file is [`crate::index`]'s business.

use std::collections::BTreeMap;

/// The result of `${VAR}` substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substituted {
    /// No variables in the text.
    Plain(String),
    /// Every variable had a value.
    Resolved(String),
    /// These variables have no literal value in the repository.
    Unresolved(Vec<String>),
}

impl Substituted {
    /// The text when it is known.
    pub fn known(&self) -> Option<&str> {
        match self {
            Substituted::Plain(s) | Substituted::Resolved(s) => Some(s),
            Substituted::Unresolved(_) => None,
        }
    }
}

/// Replaces the variables as [`substitute`] does, and a variable with neither a value nor a
/// default with the empty string: what kustomize-controller does when every value is known
/// (`postBuild.substitute` alone, no `substituteFrom`; its non-strict default).
pub fn substitute_unset_empty(text: &str, vars: &BTreeMap<String, String>) -> String {
    match substitute(text, vars) {
        Substituted::Plain(s) | Substituted::Resolved(s) => s,
        Substituted::Unresolved(missing) => {
            let mut all = vars.clone();
            for name in missing {
                all.insert(name, String::new());
            }
            substitute(text, &all).known().unwrap_or(text).to_string()
        }
    }
}

/// Replaces `${VAR}`, `${VAR:=default}` and `${VAR:-default}` with values from `vars`.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Substituted {
    if !text.contains("${") {
        return Substituted::Plain(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let (name, default) = match inner.find([':', '=']).map(|i| (i, &inner[i..])) {
            Some((i, tail)) if tail.starts_with(":=") || tail.starts_with(":-") => {
                (&inner[..i], Some(&tail[2..]))
            }
            Some((i, tail)) if tail.starts_with('=') => (&inner[..i], Some(&tail[1..])),
            _ => (inner, None),
        };
        match vars.get(name).map(String::as_str).or(default) {
            Some(value) => out.push_str(value),
            None => missing.push(name.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Substituted::Resolved(out)
    } else {
        missing.dedup();
        Substituted::Unresolved(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kustomize-controller (non-strict): an unset variable without a default becomes "".
    #[test]
    fn unset_variables_are_empty_when_every_value_is_known() {
        let vars = BTreeMap::from([("A".to_string(), "a".to_string())]);
        assert_eq!(substitute_unset_empty("p${UNDEF}-${A}", &vars), "p-a");
        assert_eq!(substitute_unset_empty("${UNDEF:=d}", &vars), "d");
    }

    #[test]
    fn substitution() {
        let mut vars = BTreeMap::new();
        vars.insert("NS".to_string(), "apps".to_string());
        assert_eq!(
            substitute("${NS}:app", &vars),
            Substituted::Resolved("apps:app".into())
        );
        assert_eq!(
            substitute("${X:=d}-${NS}", &vars),
            Substituted::Resolved("d-apps".into())
        );
        assert_eq!(
            substitute("${MISSING}", &vars),
            Substituted::Unresolved(vec!["MISSING".into()])
        );
        assert_eq!(
            substitute("plain", &vars),
            Substituted::Plain("plain".into())
        );
    }
}
