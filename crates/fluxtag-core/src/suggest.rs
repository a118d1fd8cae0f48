//! Did-you-mean: the closest names to a misspelt one, by edit distance.
//!
//! Pure string work; it knows nothing of policies (callers pass the candidate names).

/// The closest candidates to `wanted` by edit distance, best first (for did-you-mean).
pub fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Vec<&'a str> {
    let limit = (wanted.chars().count() / 5).clamp(1, 3);
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (levenshtein(wanted, c), c.as_str()))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, c)| c).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean() {
        let keys = vec![
            "flux-system:podinfo".to_string(),
            "flux-system:grafana".to_string(),
        ];
        assert_eq!(
            closest("flux-system:podinf", &keys),
            ["flux-system:podinfo"]
        );
        assert!(closest("other:thing", &keys).is_empty());
    }
}
