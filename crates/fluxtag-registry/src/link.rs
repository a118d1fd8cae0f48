//! The `Link` header (RFC 8288) as registries use it for tag list pages:
//! `</v2/name/tags/list?last=x&n=100>; rel="next"`.

/// The target of the first link with `rel="next"` among the values of `Link` headers.
pub(crate) fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    values.into_iter().find_map(|v| {
        parse_links(v)
            .into_iter()
            .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case("next")))
            .map(|(target, _)| target)
    })
}

/// Parses one header value into (target, rel values) pairs.
fn parse_links(value: &str) -> Vec<(String, Vec<String>)> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|i| open + i) else {
            break;
        };
        let target = rest[open + 1..close].trim().to_owned();
        rest = &rest[close + 1..];
        // Parameters run to the next comma outside quotes.
        let mut end = rest.len();
        let mut in_quotes = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &rest[..end];
        rest = &rest[end..];
        let mut rels = Vec::new();
        for param in params.split(';') {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("rel")
            {
                rels.extend(
                    v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .map(str::to_owned),
                );
            }
        }
        links.push((target, rels));
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_next() {
        assert_eq!(
            next_link([r#"</v2/a/tags/list?last=b&n=2>; rel="next""#]),
            Some("/v2/a/tags/list?last=b&n=2".into())
        );
    }

    #[test]
    fn several_links_and_unquoted_rel() {
        assert_eq!(
            next_link([r#"<https://x/prev>; rel="prev", <https://x/next?a=1,2>; rel=next"#]),
            Some("https://x/next?a=1,2".into())
        );
        assert_eq!(
            next_link([
                r#"<https://x/p>; title="a, b"; rel="prev""#,
                r#"<https://x/n>; rel="next""#
            ]),
            Some("https://x/n".into())
        );
    }

    #[test]
    fn no_next() {
        assert_eq!(next_link([r#"<https://x/prev>; rel="prev""#]), None);
        assert_eq!(next_link(["garbage <"]), None);
        assert_eq!(next_link(Vec::<&str>::new()), None);
    }
}
