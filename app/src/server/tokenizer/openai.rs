//! OpenAI's encodings, and its chat models' message framing as OpenAI's
//! cookbook counts it (each message `<|start|>{role}<|message|>{content}<|end|>`,
//! the reply primed with `<|start|>assistant<|message|>`).

use minijinja::Value;
use tiktoken_rs::CoreBPE;

use super::TokenizerError;
use crate::domain::tokenizer::Encoding;
use crate::server::metering::chat::ChatMessage;

/// Tokens framing each message.
const PER_MESSAGE: u64 = 3;
/// Tokens of a message's `name`, beyond its text.
const PER_NAME: u64 = 1;
/// Tokens priming the reply.
const PER_REPLY: u64 = 3;

/// An OpenAI encoding.
pub struct OpenAi {
    bpe: CoreBPE,
    name: String,
}

impl OpenAi {
    pub fn load(encoding: Encoding) -> Result<Self, TokenizerError> {
        let bpe = match encoding {
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
            Encoding::O200kBase => tiktoken_rs::o200k_base(),
        }
        .map_err(|error| TokenizerError::Unreadable {
            path: encoding.as_str().into(),
            reason: error.to_string(),
        })?;
        Ok(Self {
            bpe,
            name: format!("tiktoken:{}", encoding.as_str()),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Special tokens in user text are counted as the text they are.
    pub fn count_text(&self, text: &str) -> u64 {
        self.bpe.encode_ordinary(text).len() as u64
    }

    /// The cookbook's count: each message's framing, role, texts and name,
    /// and the reply's priming. Tool definitions, whose exact framing OpenAI
    /// does not publish, are counted as their JSON text.
    pub fn count_chat(&self, messages: &[ChatMessage], tools: Option<&Value>) -> u64 {
        let messages: u64 = messages
            .iter()
            .map(|message| {
                let name = message
                    .name
                    .as_deref()
                    .map_or(0, |name| PER_NAME + self.count_text(name));
                PER_MESSAGE
                    + self.count_text(&message.role)
                    + message.texts().map(|t| self.count_text(t)).sum::<u64>()
                    + name
            })
            .sum();
        let tools = tools
            .and_then(|tools| serde_json::to_string(tools).ok())
            .map_or(0, |tools| self.count_text(&tools));
        messages + tools + PER_REPLY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The example of OpenAI's cookbook "How to count tokens with
    /// tiktoken", whose counts it checked against the API.
    fn cookbook_messages() -> Vec<ChatMessage> {
        serde_json::from_value(json!([
            {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
            {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
            {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
            {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
            {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
            {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
        ]))
        .expect("messages")
    }

    #[test]
    fn counts_match_the_published_ones() {
        let cl100k = OpenAi::load(Encoding::Cl100kBase).expect("cl100k");
        let o200k = OpenAi::load(Encoding::O200kBase).expect("o200k");
        // tiktoken's README and the cookbook.
        assert_eq!(cl100k.count_text("tiktoken is great!"), 6);
        assert_eq!(cl100k.count_text("hello world"), 2);
        // gpt-4 / gpt-3.5-turbo-0613: 129 prompt tokens; gpt-4o: 124.
        assert_eq!(cl100k.count_chat(&cookbook_messages(), None), 129);
        assert_eq!(o200k.count_chat(&cookbook_messages(), None), 124);
        assert_eq!(cl100k.name(), "tiktoken:cl100k_base");
    }

    #[test]
    fn special_tokens_in_user_text_are_plain_text() {
        let cl100k = OpenAi::load(Encoding::Cl100kBase).expect("cl100k");
        assert!(cl100k.count_text("<|endoftext|>") > 1);
    }
}
