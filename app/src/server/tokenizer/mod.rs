//! Real token counts, for upstreams that report none: OpenAI's encodings
//! (carried inside the server by `tiktoken-rs`) and Hugging Face tokenizers
//! (a `tokenizer.json` with the model's chat template, rendered the way the
//! upstream renders it), loaded once each on a blocking thread.
//!
//! A Hugging Face tokenizer lives in its own folder under the tokenizers
//! directory, copied from the model's repository:
//! `tokenizer.json`, and `tokenizer_config.json` and/or `chat_template.jinja`
//! for the chat template and its `bos_token` / `eos_token`.

mod hugging_face;
mod openai;
mod template;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use minijinja::Value;
use serde::Deserialize;

use self::hugging_face::HuggingFace;
use self::openai::OpenAi;
use crate::domain::tokenizer::{folder_name, TokenizerChoice};
use crate::server::metering::chat::ChatMessage;
use crate::server::metering::count;

/// Why a tokenizer could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("the tokenizer folder {0} has no tokenizer.json")]
    Missing(PathBuf),
    #[error("the tokenizer in {path} cannot be read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("the chat template of {path} is not valid: {reason}")]
    Template { path: PathBuf, reason: String },
}

/// A loaded tokenizer.
pub enum Tokenizer {
    Heuristic,
    OpenAi(Box<OpenAi>),
    HuggingFace(Box<HuggingFace>),
}

impl Tokenizer {
    /// The name usage records give its counts.
    pub fn name(&self) -> &str {
        match self {
            Tokenizer::Heuristic => count::NAME,
            Tokenizer::OpenAi(t) => t.name(),
            Tokenizer::HuggingFace(t) => t.name(),
        }
    }

    /// The tokens of a plain text (a completion, an embedding input).
    pub fn count_text(&self, text: &str) -> u64 {
        match self {
            Tokenizer::Heuristic => count::count(text),
            Tokenizer::OpenAi(t) => t.count_text(text),
            Tokenizer::HuggingFace(t) => t.count_text(text),
        }
    }

    /// The prompt tokens of a chat request (its `messages`, and `request`
    /// as it came, for its tools and every field in order), as the upstream
    /// counts them.
    pub fn count_chat(&self, messages: &[ChatMessage], request: &[u8]) -> u64 {
        match self {
            Tokenizer::Heuristic => count::count_messages(messages),
            Tokenizer::OpenAi(t) => t.count_chat(messages, ChatJson::read(request).tools.as_ref()),
            Tokenizer::HuggingFace(t) => t.count_chat(messages, &ChatJson::read(request)),
        }
    }
}

/// A chat request's messages and tools with every key in the order it
/// came: what a chat template renders (`tojson` writes keys in order).
#[derive(Debug, Default, Deserialize)]
pub struct ChatJson {
    #[serde(default)]
    pub messages: Option<Value>,
    #[serde(default)]
    pub tools: Option<Value>,
}

impl ChatJson {
    /// Reads a request's JSON; empty if it is not a JSON object.
    pub fn read(request: &[u8]) -> Self {
        serde_json::from_slice(request).unwrap_or_default()
    }
}

/// The tokenizers, each loaded on first use and kept.
pub struct Tokenizers {
    dir: PathBuf,
    loaded: RwLock<HashMap<TokenizerChoice, Arc<Tokenizer>>>,
}

impl Tokenizers {
    /// Tokenizers whose Hugging Face folders are under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            loaded: RwLock::default(),
        }
    }

    /// Where Hugging Face tokenizer folders are looked for.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What an admin may choose: the built-in ones and every folder of the
    /// tokenizers directory holding a `tokenizer.json`, by name.
    pub fn choices(&self) -> Vec<TokenizerChoice> {
        let mut folders: Vec<String> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join("tokenizer.json").is_file())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| folder_name(name).is_ok())
            .collect();
        folders.sort();
        let mut all = TokenizerChoice::built_in();
        all.extend(folders.into_iter().map(TokenizerChoice::HuggingFace));
        all
    }

    /// The tokenizer `choice`, loaded now if it was not yet.
    pub async fn get(&self, choice: &TokenizerChoice) -> Result<Arc<Tokenizer>, TokenizerError> {
        if let Some(loaded) = self.loaded(choice) {
            return Ok(loaded);
        }
        let (dir, owned) = (self.dir.clone(), choice.clone());
        let tokenizer = tokio::task::spawn_blocking(move || load(&dir, &owned))
            .await
            .map_err(|error| TokenizerError::Unreadable {
                path: self.dir.clone(),
                reason: error.to_string(),
            })??;
        let tokenizer = Arc::new(tokenizer);
        if let Ok(mut loaded) = self.loaded.write() {
            loaded.insert(choice.clone(), tokenizer.clone());
        }
        Ok(tokenizer)
    }

    fn loaded(&self, choice: &TokenizerChoice) -> Option<Arc<Tokenizer>> {
        self.loaded.read().ok()?.get(choice).cloned()
    }
}

/// Loads `choice` (slow: builds the encoder's tables).
pub fn load(dir: &Path, choice: &TokenizerChoice) -> Result<Tokenizer, TokenizerError> {
    Ok(match choice {
        TokenizerChoice::Heuristic => Tokenizer::Heuristic,
        TokenizerChoice::Tiktoken(encoding) => {
            Tokenizer::OpenAi(Box::new(OpenAi::load(*encoding)?))
        }
        TokenizerChoice::HuggingFace(folder) => {
            Tokenizer::HuggingFace(Box::new(HuggingFace::load(&dir.join(folder), folder)?))
        }
    })
}

impl std::fmt::Debug for Tokenizers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizers")
            .field("dir", &self.dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizers")
    }

    /// The reference counts of Hugging Face's own libraries, written by
    /// `make_fixture.py` beside the fixture; keys in the file's order.
    fn expected() -> Value {
        let text = std::fs::read_to_string(fixtures().join("tiny-chatml/expected.json"))
            .expect("expected.json");
        serde_json::from_str(&text).expect("json")
    }

    fn item(value: &Value, key: &str) -> Value {
        value.get_attr(key).expect("a key")
    }

    fn items(value: &Value, key: &str) -> Vec<Value> {
        item(value, key).try_iter().expect("a list").collect()
    }

    #[derive(Deserialize)]
    struct Messages {
        messages: Vec<ChatMessage>,
    }

    #[tokio::test]
    async fn a_tokenizer_json_and_its_chat_template_count_as_transformers_does() {
        let tokenizers = Tokenizers::new(fixtures());
        let choice = TokenizerChoice::HuggingFace("tiny-chatml".to_owned());
        let tokenizer = tokenizers.get(&choice).await.expect("loads");
        assert_eq!(tokenizer.name(), "hf:tiny-chatml");
        let Tokenizer::HuggingFace(hf) = tokenizer.as_ref() else {
            panic!("a Hugging Face tokenizer");
        };
        let expected = expected();
        for case in items(&expected, "texts") {
            let text = item(&case, "text").to_string();
            let tokens = u64::try_from(item(&case, "tokens")).expect("a count");
            assert_eq!(tokenizer.count_text(&text), tokens, "{text}");
        }
        let chats = items(&expected, "chats");
        assert_eq!(chats.len(), 4);
        for case in chats {
            // The case as a request: its messages and tools, keys in order.
            let request = serde_json::to_vec(&case).expect("json");
            let messages = serde_json::from_slice::<Messages>(&request)
                .expect("messages")
                .messages;
            let rendered = hf
                .render(&messages, &ChatJson::read(&request))
                .expect("a template")
                .expect("renders");
            assert_eq!(rendered, item(&case, "rendered").to_string());
            let tokens = u64::try_from(item(&case, "tokens")).expect("a count");
            assert_eq!(
                tokenizer.count_chat(&messages, &request),
                tokens,
                "{rendered}"
            );
        }
        // Loaded once, then kept.
        let again = tokenizers.get(&choice).await.expect("loads");
        assert!(Arc::ptr_eq(&tokenizer, &again));
    }

    #[tokio::test]
    async fn choices_list_the_folders_that_hold_a_tokenizer() {
        let tokenizers = Tokenizers::new(fixtures());
        let choices: Vec<String> = tokenizers
            .choices()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            choices,
            [
                "heuristic",
                "tiktoken:cl100k_base",
                "tiktoken:o200k_base",
                "hf:tiny-chatml"
            ]
        );
        let missing = TokenizerChoice::HuggingFace("absent".to_owned());
        assert!(matches!(
            tokenizers.get(&missing).await,
            Err(TokenizerError::Missing(_))
        ));
        let heuristic = tokenizers
            .get(&TokenizerChoice::Heuristic)
            .await
            .expect("built in");
        let messages = vec![ChatMessage::text("user", "hello world")];
        assert_eq!(
            heuristic.count_chat(&messages, br#"{"tools": []}"#),
            count::count_messages(&messages)
        );
    }
}
