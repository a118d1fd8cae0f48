//! Label selectors, in the one model both Flux and kustomize use: the string form of kustomize
//! patch targets (`labelSelector`, `annotationSelector`) and the structured form of an
//! ImageUpdateAutomation's `policySelector` (`matchLabels`, `matchExpressions`), with Kubernetes
//! semantics. Pure: parsing and matching only.

use std::collections::BTreeMap;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Requirement {
    /// `key=value`, `key==value`.
    Equals(String, String),
    /// `key!=value` (true when the key is absent).
    NotEquals(String, String),
    /// `key in (a,b)`.
    In(String, Vec<String>),
    /// `key notin (a,b)` (true when the key is absent).
    NotIn(String, Vec<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    NotExists(String),
    /// `key>n`.
    Greater(String, i64),
    /// `key<n`.
    Less(String, i64),
    /// A `matchExpressions` operator Kubernetes does not know: matches nothing.
    Unknown,
}

/// A label (or annotation) selector: every requirement must hold; no requirement selects
/// everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses a selector string with the operators `=`, `==`, `!=`, `in`, `notin`, `>`, `<`,
    /// exists (`key`) and not-exists (`!key`). `None` when it is malformed; the empty string
    /// selects everything.
    pub fn parse(text: &str) -> Option<Selector> {
        let mut requirements = Vec::new();
        if text.trim().is_empty() {
            return Some(Selector { requirements });
        }
        let mut depth = 0usize;
        let mut start = 0;
        let mut parts = Vec::new();
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.checked_sub(1)?,
                ',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if depth != 0 {
            return None;
        }
        parts.push(&text[start..]);
        for part in parts {
            requirements.push(Self::requirement(part.trim())?);
        }
        Some(Selector { requirements })
    }

    fn requirement(part: &str) -> Option<Requirement> {
        let valid_key = |k: &str| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        };
        let valid_value = |v: &str| {
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if let Some(key) = part.strip_prefix('!')
            && !key.starts_with('=')
        {
            let key = key.trim();
            return valid_key(key).then(|| Requirement::NotExists(key.to_string()));
        }
        if let Some(open) = part.find('(') {
            let inner = part[open + 1..].strip_suffix(')')?;
            let mut head = part[..open].split_whitespace();
            let (key, op) = (head.next()?, head.next()?);
            if head.next().is_some() || !valid_key(key) {
                return None;
            }
            let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
            if !values.iter().all(|v| valid_value(v)) {
                return None;
            }
            return match op {
                "in" => Some(Requirement::In(key.to_string(), values)),
                "notin" => Some(Requirement::NotIn(key.to_string(), values)),
                _ => None,
            };
        }
        for op in ["!=", "==", "=", ">", "<"] {
            if let Some((key, value)) = part.split_once(op) {
                let (key, value) = (key.trim(), value.trim());
                if !valid_key(key) || !valid_value(value) {
                    return None;
                }
                let (key, value) = (key.to_string(), value.to_string());
                return match op {
                    "!=" => Some(Requirement::NotEquals(key, value)),
                    "==" | "=" => Some(Requirement::Equals(key, value)),
                    ">" => Some(Requirement::Greater(key, value.parse().ok()?)),
                    _ => Some(Requirement::Less(key, value.parse().ok()?)),
                };
            }
        }
        valid_key(part).then(|| Requirement::Exists(part.to_string()))
    }

    /// The structured form (`matchLabels`, and `matchExpressions` as key, operator, values),
    /// as in `ImageUpdateAutomation.spec.policySelector`: `In`, `NotIn`, `Exists` and
    /// `DoesNotExist`; any other operator matches nothing.
    pub fn from_structured(
        match_labels: &BTreeMap<String, String>,
        match_expressions: &[(String, String, Vec<String>)],
    ) -> Selector {
        let mut requirements: Vec<Requirement> = match_labels
            .iter()
            .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
            .collect();
        requirements.extend(match_expressions.iter().map(|(key, operator, values)| {
            match operator.as_str() {
                "In" => Requirement::In(key.clone(), values.clone()),
                "NotIn" => Requirement::NotIn(key.clone(), values.clone()),
                "Exists" => Requirement::Exists(key.clone()),
                "DoesNotExist" => Requirement::NotExists(key.clone()),
                _ => Requirement::Unknown,
            }
        }));
        Selector { requirements }
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::Greater(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Requirement::Less(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
            Requirement::Unknown => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string form of kustomize patch targets.
    #[test]
    fn selector_parsing() {
        let labels: BTreeMap<String, String> = [
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "x".to_string()),
        ]
        .into();
        let check = |s: &str| Selector::parse(s).map(|sel| sel.matches(&labels));
        assert_eq!(check(""), Some(true));
        assert_eq!(check("a=1, b = x"), Some(true));
        assert_eq!(check("a>0,a<2"), Some(true));
        assert_eq!(check("a>1"), Some(false));
        assert_eq!(check("a in (1),b notin (y, z),!c"), Some(true));
        assert_eq!(check("a,,b"), None);
        assert_eq!(check("a=1)"), None);
        assert_eq!(check("a=b=c"), None);
        assert_eq!(check("a foo (1)"), None);
    }

    /// The structured form of `policySelector` (spec §1.4).
    #[test]
    fn label_selectors() {
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), "a".to_string());
        let selector =
            Selector::from_structured(&labels, &[("env".into(), "DoesNotExist".into(), vec![])]);
        assert!(selector.matches(&labels));
        labels.insert("env".into(), "x".into());
        assert!(!selector.matches(&labels));
        assert!(Selector::default().matches(&labels));
    }

    /// An operator Kubernetes does not know selects nothing (the API server would reject the
    /// object; fluxtag must not call every policy covered).
    #[test]
    fn unknown_operators_match_nothing() {
        let selector =
            Selector::from_structured(&BTreeMap::new(), &[("env".into(), "Maybe".into(), vec![])]);
        assert!(!selector.matches(&BTreeMap::new()));
    }
}
