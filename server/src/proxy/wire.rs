//! OpenAI's wire types, as far as the proxy reads or changes them. Every
//! other field is kept in `rest` (`#[serde(flatten)]`) and forwarded or
//! returned untouched.

use app::server::metering::chat::{ChatMessage, EmbeddingInput, MessageContent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /v1/chat/completions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A chat request's `stream_options`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `POST /v1/embeddings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddingsRequest {
    pub model: String,
    pub input: EmbeddingInput,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Token counts as OpenAI reports them (details kept in `rest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Usage {
    /// The usage of `prompt` and `completion` tokens.
    pub fn of(prompt: u64, completion: u64) -> Self {
        Self {
            prompt_tokens: prompt,
            completion_tokens: Some(completion),
            total_tokens: Some(prompt + completion),
            rest: Map::new(),
        }
    }

    /// Completion tokens (0 when not reported: embeddings).
    pub fn completion(&self) -> u64 {
        self.completion_tokens.unwrap_or(0)
    }
}

/// A non-streamed chat answer, or an embeddings answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<Choice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// One choice of a chat answer (`message`) or of a stream's chunk (`delta`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Choice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Said>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Said>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// What the model said: a message or a delta of one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Said {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Answer {
    /// The text of every choice's message and delta.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.choices
            .iter()
            .flatten()
            .flat_map(|c| c.message.iter().chain(c.delta.iter()))
            .flat_map(|said| said.content.iter().flat_map(MessageContent::texts))
    }

    /// Whether it has no choices (a stream's final usage chunk).
    pub fn has_choices(&self) -> bool {
        self.choices.as_ref().is_some_and(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_we_do_not_read_are_forwarded_untouched() {
        let raw = json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                         "temperature": 0.2, "tools": [{"type": "function"}], "n": 1,
                         "stream": true, "stream_options": {"include_usage": true, "x": 1}});
        let request: ChatRequest = serde_json::from_value(raw.clone()).expect("request");
        assert_eq!(request.stream, Some(true));
        assert_eq!(serde_json::to_value(&request).expect("json"), raw);
    }

    #[test]
    fn answers_keep_what_they_came_with_and_yield_their_texts() {
        let raw = json!({"id": "c1", "object": "chat.completion", "model": "up",
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                                      "finish_reason": "stop"}],
                         "system_fingerprint": "fp"});
        let answer: Answer = serde_json::from_value(raw.clone()).expect("answer");
        assert_eq!(answer.texts().collect::<Vec<_>>(), ["Hello there"]);
        assert!(answer.usage.is_none());
        assert_eq!(serde_json::to_value(&answer).expect("json"), raw);
        let chunk: Answer =
            serde_json::from_value(json!({"choices": [], "usage": {"prompt_tokens": 3}}))
                .expect("usage chunk");
        assert!(!chunk.has_choices());
        let usage = chunk.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion()), (3, 0));
        assert_eq!(
            serde_json::to_value(&usage).expect("json"),
            json!({"prompt_tokens": 3})
        );
    }
}
