//! A Hugging Face tokenizer folder: `tokenizer.json`, with the chat
//! template from `chat_template.jinja` or `tokenizer_config.json`.

use std::path::Path;

use serde_json::Value;

use super::template::{ChatTemplate, Render};
use super::{ChatJson, TokenizerError};
use crate::server::metering::chat::ChatMessage;
use crate::server::metering::count;

/// A loaded Hugging Face tokenizer.
pub struct HuggingFace {
    tokenizer: tokenizers::Tokenizer,
    template: Option<ChatTemplate>,
    bos_token: String,
    eos_token: String,
    name: String,
}

impl HuggingFace {
    /// Loads the folder `dir`, named `folder`.
    pub fn load(dir: &Path, folder: &str) -> Result<Self, TokenizerError> {
        let file = dir.join("tokenizer.json");
        if !file.is_file() {
            return Err(TokenizerError::Missing(dir.to_owned()));
        }
        let tokenizer = tokenizers::Tokenizer::from_file(&file).map_err(|error| {
            TokenizerError::Unreadable {
                path: file.clone(),
                reason: error.to_string(),
            }
        })?;
        let config = read_json(&dir.join("tokenizer_config.json"))?;
        let source = match std::fs::read_to_string(dir.join("chat_template.jinja")) {
            Ok(source) => Some(source),
            Err(_) => config.as_ref().and_then(chat_template),
        };
        let template = source.map(ChatTemplate::new).transpose().map_err(|error| {
            TokenizerError::Template {
                path: dir.to_owned(),
                reason: error.to_string(),
            }
        })?;
        let token = |key: &str| config.as_ref().and_then(|c| special_token(c, key));
        Ok(Self {
            tokenizer,
            template,
            bos_token: token("bos_token").unwrap_or_default(),
            eos_token: token("eos_token").unwrap_or_default(),
            name: format!("hf:{folder}"),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tokens of `text`, without the tokenizer's added BOS/EOS.
    pub fn count_text(&self, text: &str) -> u64 {
        match self.tokenizer.encode(text, false) {
            Ok(encoding) => encoding.len() as u64,
            Err(error) => {
                tracing::warn!(tokenizer = %self.name, %error, "counting with the estimate");
                count::count(text)
            }
        }
    }

    /// The prompt as the chat template renders it, counted; without a
    /// template (or when it refuses the request), each message's texts with
    /// a few tokens of framing.
    pub fn count_chat(&self, messages: &[ChatMessage], request: &ChatJson) -> u64 {
        match self.render(messages, request) {
            Some(Ok(prompt)) => return self.count_text(&prompt),
            Some(Err(error)) => {
                tracing::warn!(tokenizer = %self.name, %error, "the chat template failed; counting messages");
            }
            None => {}
        }
        count::PER_REQUEST
            + messages
                .iter()
                .map(|m| {
                    count::PER_MESSAGE
                        + self.count_text(&m.role)
                        + m.texts().map(|t| self.count_text(t)).sum::<u64>()
                })
                .sum::<u64>()
    }
}

impl HuggingFace {
    /// The prompt as the upstream renders it, if there is a chat template:
    /// the request's messages and tools as they came (`messages` if it has
    /// none).
    pub fn render(
        &self,
        messages: &[ChatMessage],
        request: &ChatJson,
    ) -> Option<Result<String, String>> {
        let template = self.template.as_ref()?;
        let messages = request
            .messages
            .clone()
            .unwrap_or_else(|| minijinja::Value::from_serialize(messages));
        let rendered = template.render(&Render {
            messages: &messages,
            tools: request.tools.as_ref(),
            bos_token: &self.bos_token,
            eos_token: &self.eos_token,
        });
        Some(rendered.map_err(|error| error.to_string()))
    }
}

fn read_json(path: &Path) -> Result<Option<Value>, TokenizerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(TokenizerError::Unreadable {
                path: path.to_owned(),
                reason: error.to_string(),
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|error| TokenizerError::Unreadable {
            path: path.to_owned(),
            reason: error.to_string(),
        })
}

/// `chat_template`: a string, or a list of named templates of which the
/// one named `default` is used.
fn chat_template(config: &Value) -> Option<String> {
    match config.get("chat_template")? {
        Value::String(source) => Some(source.clone()),
        Value::Array(named) => named
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
            .and_then(|t| t.get("template"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// A special token: a string, or an added token's `content`.
fn special_token(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(token) => Some(token.clone()),
        Value::Object(added) => added
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_and_tokens_come_in_either_shape() {
        let named = json!({"chat_template": [
            {"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}],
            "bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>"});
        assert_eq!(chat_template(&named).as_deref(), Some("D"));
        assert_eq!(special_token(&named, "bos_token").as_deref(), Some("<s>"));
        assert_eq!(special_token(&named, "eos_token").as_deref(), Some("</s>"));
        assert_eq!(
            special_token(&json!({"bos_token": null}), "bos_token"),
            None
        );
    }
}
