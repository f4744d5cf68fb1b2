//! What people type into searches and filters (a user search, the outbox's
//! recipient filter, the audit log's action, a model name): one line of
//! text, trimmed, of bounded length and free of control characters. A NUL
//! byte, which PostgreSQL refuses in text, is a field error here rather
//! than a failed query later.

/// Longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

const CONTROL: &str = "Remove the control characters (such as line breaks) from the search.";
const TOO_LONG: &str = "Keep the search to 200 characters or fewer.";

/// A trimmed search; empty means "no filter".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Search(String);

impl Search {
    pub fn parse(input: &str) -> Result<Search, String> {
        let text = input.trim();
        if text.chars().any(char::is_control) {
            return Err(CONTROL.to_owned());
        }
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(TOO_LONG.to_owned());
        }
        Ok(Search(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The search, or `None` when it is empty.
    pub fn non_empty(self) -> Option<String> {
        Some(self.0).filter(|text| !text.is_empty())
    }
}

/// `input` free of control characters, for a one-line field that is
/// parsed further elsewhere (an email typed to sign in).
pub fn one_line(input: &str) -> Result<&str, String> {
    if input.chars().any(char::is_control) {
        Err("Remove the control characters (such as line breaks) from this field.".to_owned())
    } else {
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_trimmed_and_may_be_empty() {
        assert_eq!(
            Search::parse("  ada  ").map(Search::non_empty),
            Ok(Some("ada".to_owned()))
        );
        assert_eq!(Search::parse("   ").map(Search::non_empty), Ok(None));
    }

    #[test]
    fn control_characters_and_overlong_searches_are_field_errors() {
        for bad in ["ada\0", "a\nb", "\u{7f}", "tab\there"] {
            assert!(Search::parse(bad).is_err(), "{bad:?}");
            assert!(one_line(bad).is_err(), "{bad:?}");
        }
        assert!(Search::parse(&"x".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(Search::parse(&"x".repeat(MAX_SEARCH_CHARS + 1)).is_err());
        assert_eq!(one_line("ada@example.org"), Ok("ada@example.org"));
    }
}
