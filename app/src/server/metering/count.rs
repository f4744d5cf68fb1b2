//! Our own token count, for a model with no tokenizer configured, shared with
//! the upstream simulator so that its counts are the ones we would make.
//!
//! A token is a run of up to eight letters or digits, or any other single
//! non-space character. Every token is at least one byte, so a text's byte
//! length is an upper bound of its count: that bound is what reservations
//! use, before anything has been counted.

use super::chat::ChatMessage;

/// Tokens of overhead per chat message, and per request (as OpenAI counts).
pub const PER_MESSAGE: u64 = 3;
pub const PER_REQUEST: u64 = 3;

/// The name usage records give this count.
pub const NAME: &str = "heuristic";

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

/// Counts the prompt tokens of chat `messages`.
pub fn count_messages(messages: &[ChatMessage]) -> u64 {
    PER_REQUEST
        + messages
            .iter()
            .map(|message| {
                PER_MESSAGE + count(&message.role) + message.texts().map(count).sum::<u64>()
            })
            .sum::<u64>()
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
        let messages: Vec<ChatMessage> = serde_json::from_value(json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Naïve café, 12 × 3?"}]},
        ]))
        .expect("messages");
        let counted = count_messages(&messages);
        assert_eq!(counted, 3 + (3 + 1 + 3) + (3 + 1 + 7));
        // What reservations bound the prompt by: the bytes of the request
        // (here, of its messages) plus the per-request overhead.
        let bytes = serde_json::to_string(&messages).expect("json").len() as u64;
        assert!(bytes + PER_REQUEST >= counted);
        for text in ["a", "!!!", "日本語のテキスト", "x y z", "abcdefghijklmnop"] {
            assert!(text.len() as u64 >= count(text), "{text}");
        }
    }
}
