//! Token counting for requests whose upstream reports no usage, shared with
//! the upstream simulator so that its counts are the ones we would make.
//!
//! A token is a run of up to eight letters or digits, or any other single
//! non-space character. Every token is at least one byte, so a text's byte
//! length is an upper bound of its count: that bound is what reservations
//! use, before anything has been counted.

use serde_json::Value;

/// Tokens of overhead per chat message, and per request (as OpenAI counts).
pub const PER_MESSAGE: u64 = 3;
pub const PER_REQUEST: u64 = 3;

/// Counts the tokens of `text`.
pub fn count(text: &str) -> u64 {
    let mut tokens = 0;
    let mut run = 0u64;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if run.is_multiple_of(8) {
                tokens += 1;
            }
            run += 1;
        } else {
            run = 0;
            if !c.is_whitespace() {
                tokens += 1;
            }
        }
    }
    tokens
}

/// The text of a chat message's `content`: a string, or an array of parts
/// of which the `text` ones count.
pub fn content_text(content: &Value) -> impl Iterator<Item = &str> {
    let parts: Box<dyn Iterator<Item = &str>> = match content {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(parts) => Box::new(
            parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str)),
        ),
        _ => Box::new(std::iter::empty()),
    };
    parts
}

/// Counts the prompt tokens of chat `messages`.
pub fn count_messages(messages: &[Value]) -> u64 {
    PER_REQUEST
        + messages
            .iter()
            .map(|message| {
                let role = message.get("role").and_then(Value::as_str).unwrap_or("");
                let content = message
                    .get("content")
                    .map_or(0, |c| content_text(c).map(count).sum());
                PER_MESSAGE + count(role) + content
            })
            .sum::<u64>()
}

/// An upper bound of [`count_messages`] that only measures lengths.
pub fn bound_messages(messages: &[Value]) -> u64 {
    PER_REQUEST
        + messages
            .iter()
            .map(|message| {
                let role = message.get("role").and_then(Value::as_str).unwrap_or("");
                let content = message
                    .get("content")
                    .map_or(0, |c| content_text(c).map(str::len).sum::<usize>());
                PER_MESSAGE + role.len() as u64 + content as u64
            })
            .sum::<u64>()
}

/// The strings of an embeddings `input` (a string or an array of strings).
pub fn embedding_inputs(input: &Value) -> Option<Vec<&str>> {
    match input {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(Value::as_str).collect::<Option<Vec<_>>>()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words_punctuation_and_long_runs() {
        assert_eq!(count(""), 0);
        assert_eq!(count("hello world"), 2);
        assert_eq!(count("Hello, world!"), 4);
        assert_eq!(count("abcdefgh"), 1);
        assert_eq!(count("abcdefghi"), 2);
        assert_eq!(count("héllo wörld"), 2);
    }

    #[test]
    fn the_length_bound_is_never_below_the_count() {
        let messages = vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": [{"type": "text", "text": "Naïve café, 12 × 3?"}]}),
        ];
        let counted = count_messages(&messages);
        assert_eq!(counted, 3 + (3 + 1 + 3) + (3 + 1 + 7));
        assert!(bound_messages(&messages) >= counted);
        for text in ["a", "!!!", "日本語のテキスト", "x y z", "abcdefghijklmnop"] {
            assert!(text.len() as u64 >= count(text), "{text}");
        }
    }
}
