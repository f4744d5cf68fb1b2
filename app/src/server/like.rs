//! Searches typed by people, as SQL `like` patterns: what they type matches
//! itself literally (`%`, `_` and `\` are plain characters), anywhere in
//! the text. Queries using these patterns say `escape '\'`.

/// `text` with the `like` wildcards and the escape character escaped with `\`.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The pattern matching anything that contains `filter` (trimmed) literally;
/// `None` for a blank or absent filter, which matches everything.
pub fn contains_pattern(filter: Option<&str>) -> Option<String> {
    let filter = filter.map(str::trim).filter(|f| !f.is_empty())?;
    Some(format!("%{}%", escape_like(filter)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_escaped_and_blank_searches_match_all() {
        assert_eq!(contains_pattern(Some(" ada ")).as_deref(), Some("%ada%"));
        assert_eq!(
            contains_pattern(Some("100%_a\\b")).as_deref(),
            Some(r"%100\%\_a\\b%")
        );
        assert_eq!(contains_pattern(Some("  ")), None);
        assert_eq!(contains_pattern(None), None);
    }

    #[test]
    fn plain_text_is_left_alone() {
        assert_eq!(escape_like("ada@example.org"), "ada@example.org");
        assert_eq!(escape_like("a_b"), r"a\_b");
    }
}
