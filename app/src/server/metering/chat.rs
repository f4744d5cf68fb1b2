//! The parts of an OpenAI chat or embeddings request that metering reads:
//! messages (what is counted) and embedding inputs. Fields metering does not
//! read are skipped here; the proxy forwards the request as it came.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One chat message, as far as it is counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    /// `None` when absent or `null` (assistant messages with tool calls
    /// carry no text).
    #[serde(default)]
    pub content: Option<MessageContent>,
    /// The participant's name, which OpenAI counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ChatMessage {
    /// A message of `role` with text `content`.
    pub fn text(role: &str, content: &str) -> Self {
        Self {
            role: role.to_owned(),
            content: Some(MessageContent::Text(content.to_owned())),
            name: None,
        }
    }

    /// The texts of its content (a string, or the `text` parts).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.content.iter().flat_map(MessageContent::texts)
    }
}

/// A message's content: a string, or an array of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
    /// Anything else (`null`, a number …): counted as nothing.
    Other(Value),
}

impl MessageContent {
    /// Its texts: the string, or each part's `text`.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let parts: Box<dyn Iterator<Item = &str>> = match self {
            Self::Text(text) => Box::new(std::iter::once(text.as_str())),
            Self::Parts(parts) => Box::new(parts.iter().filter_map(|p| p.text.as_deref())),
            Self::Other(_) => Box::new(std::iter::empty()),
        };
        parts
    }
}

/// One part of a message's content (`{"type": "text", "text": …}`, an
/// image, audio …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// An embeddings request's `input`: one string or several.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
}

impl EmbeddingInput {
    /// Its strings, or `None` for an empty list.
    pub fn texts(&self) -> Option<Vec<&str>> {
        match self {
            Self::One(text) => Some(vec![text.as_str()]),
            Self::Many(texts) if texts.is_empty() => None,
            Self::Many(texts) => Some(texts.iter().map(String::as_str).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_yield_their_texts_and_name() {
        let raw = json!({"role": "user", "name": "ada",
                         "content": [{"type": "text", "text": "Hi"},
                                     {"type": "image_url", "image_url": {"url": "x"}}]});
        let message: ChatMessage = serde_json::from_value(raw).expect("a message");
        assert_eq!(message.texts().collect::<Vec<_>>(), ["Hi"]);
        assert_eq!(message.name.as_deref(), Some("ada"));
        let tool = json!({"role": "assistant", "content": null, "tool_calls": [{"id": "1"}]});
        let message: ChatMessage = serde_json::from_value(tool).expect("a message");
        assert_eq!(message.texts().count(), 0);
        assert!(serde_json::from_value::<ChatMessage>(json!({"content": "no role"})).is_err());
    }

    #[test]
    fn embedding_inputs_are_one_string_or_several() {
        let one: EmbeddingInput = serde_json::from_value(json!("a")).expect("one");
        assert_eq!(one.texts(), Some(vec!["a"]));
        let none: EmbeddingInput = serde_json::from_value(json!([])).expect("empty");
        assert_eq!(none.texts(), None);
        assert!(serde_json::from_value::<EmbeddingInput>(json!([1, 2])).is_err());
    }
}
