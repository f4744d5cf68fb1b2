//! OpenAI's wire format, as far as the proxy reads or changes it. Requests
//! and answers are [`RawObject`]s: the members below are parsed, the few the
//! proxy changes are replaced, and every other byte is forwarded as it came.

use app::server::metering::chat::{ChatMessage, EmbeddingInput, MessageContent};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::ApiError;
use super::raw::RawObject;

/// `POST /v1/chat/completions`.
#[derive(Debug)]
pub struct ChatRequest<'a> {
    raw: RawObject<'a>,
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: Option<u64>,
    pub max_completion_tokens: Option<u64>,
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
    /// `n`: how many choices to generate.
    pub n: Option<u64>,
    /// The body's length in bytes.
    pub body_bytes: u64,
}

/// The part of `stream_options` the proxy reads.
#[derive(Debug, Default, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

impl<'a> ChatRequest<'a> {
    /// Reads a request body; a 400 that says what is wrong if it is not one.
    pub fn parse(body: &'a [u8]) -> Result<Self, ApiError> {
        let raw = object(body)?;
        let options: StreamOptions = field(&raw, "stream_options")?.unwrap_or_default();
        Ok(Self {
            model: required(&raw, "model")?,
            messages: required(&raw, "messages")?,
            max_tokens: field(&raw, "max_tokens")?,
            max_completion_tokens: field(&raw, "max_completion_tokens")?,
            stream: field(&raw, "stream")?.unwrap_or(false),
            include_usage: options.include_usage == Some(true),
            n: field(&raw, "n")?,
            body_bytes: body.len() as u64,
            raw,
        })
    }

    /// Whether a message has a part other than text (an image, audio, a
    /// file): what such a part costs is not bounded by its bytes.
    pub fn has_non_text_parts(&self) -> bool {
        self.messages.iter().any(|message| match &message.content {
            Some(MessageContent::Parts(parts)) => parts
                .iter()
                .any(|part| part.kind.as_deref().is_some_and(|kind| kind != "text")),
            _ => false,
        })
    }

    /// The request as the upstream gets it: its own model name, the output
    /// limit made explicit, and (streamed) usage asked for; all else as it
    /// came.
    pub fn for_upstream(
        &mut self,
        upstream_model: &str,
        max_output: u64,
    ) -> serde_json::Result<Vec<u8>> {
        self.raw.set("model", &upstream_model)?;
        if self.max_completion_tokens.is_some() {
            self.raw.set("max_completion_tokens", &max_output)?;
        } else {
            self.raw.set("max_tokens", &max_output)?;
        }
        if self.stream {
            let options = self
                .raw
                .get("stream_options")
                .map(|raw| raw.get())
                .filter(|text| *text != "null");
            let mut options = match options {
                Some(text) => RawObject::parse_str(text)?,
                None => RawObject::default(),
            };
            options.set("include_usage", &true)?;
            let options = serde_json::value::to_raw_value(&options)?;
            self.raw.set("stream_options", &options)?;
        }
        self.raw.to_vec()
    }
}

/// `POST /v1/embeddings`.
#[derive(Debug)]
pub struct EmbeddingsRequest<'a> {
    raw: RawObject<'a>,
    pub model: String,
    pub input: EmbeddingInput,
}

impl<'a> EmbeddingsRequest<'a> {
    /// Reads a request body; a 400 that says what is wrong if it is not one.
    pub fn parse(body: &'a [u8]) -> Result<Self, ApiError> {
        let raw = object(body)?;
        Ok(Self {
            model: required(&raw, "model")?,
            input: required(&raw, "input")?,
            raw,
        })
    }

    /// The request as the upstream gets it: its own model name.
    pub fn for_upstream(&mut self, upstream_model: &str) -> serde_json::Result<Vec<u8>> {
        self.raw.set("model", &upstream_model)?;
        self.raw.to_vec()
    }
}

/// The model a request names, read on its own from a request that could
/// not be read as a whole (for the record of its refusal).
pub fn asked_model(body: &[u8]) -> Option<String> {
    RawObject::parse(body).ok()?.read("model").ok()?
}

fn object(body: &[u8]) -> Result<RawObject<'_>, ApiError> {
    RawObject::parse(body).map_err(|error| {
        let what = if error.is_data() {
            "The request body is not a JSON object"
        } else {
            "The request body is not valid JSON"
        };
        ApiError::bad_request(None, format!("{what}: {error}."))
    })
}

fn field<'s, T: Deserialize<'s>>(
    raw: &'s RawObject<'_>,
    key: &'static str,
) -> Result<Option<T>, ApiError> {
    raw.read(key).map_err(|error| {
        ApiError::bad_request(Some(key), format!("`{key}` is not valid: {error}."))
    })
}

fn required<'s, T: Deserialize<'s>>(
    raw: &'s RawObject<'_>,
    key: &'static str,
) -> Result<T, ApiError> {
    field(raw, key)?
        .ok_or_else(|| ApiError::bad_request(Some(key), format!("The request has no `{key}`.")))
}

/// Token counts as OpenAI reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
}

impl Usage {
    /// The usage of `prompt` and `completion` tokens.
    pub fn of(prompt: u64, completion: u64) -> Self {
        Self {
            prompt_tokens: prompt,
            completion_tokens: Some(completion),
            total_tokens: Some(prompt + completion),
        }
    }

    /// Completion tokens (0 when not reported: embeddings).
    pub fn completion(&self) -> u64 {
        self.completion_tokens.unwrap_or(0)
    }
}

/// A non-streamed chat answer, an embeddings answer or a stream's chunk:
/// `model`, `usage` and the choices' texts read, the rest passed on.
#[derive(Debug)]
pub struct Answer<'a> {
    raw: RawObject<'a>,
    pub usage: Option<Usage>,
}

/// One choice of a chat answer (`message`) or of a stream's chunk (`delta`).
#[derive(Debug, Deserialize)]
struct Choice<'a> {
    #[serde(borrow, default)]
    message: Option<Said<'a>>,
    #[serde(borrow, default)]
    delta: Option<Said<'a>>,
}

/// What the model said: a message or a delta of one. Its content is read
/// only for its text: a string (nearly always, and read without copying
/// when it has no escapes) or parts.
#[derive(Debug, Deserialize)]
struct Said<'a> {
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
}

impl Said<'_> {
    fn text_into(&self, text: &mut String) {
        let Some(json) = self.content.map(RawValue::get) else {
            return;
        };
        if json.starts_with('"') {
            match serde_json::from_str::<&str>(json) {
                Ok(plain) => text.push_str(plain),
                Err(_) => {
                    if let Ok(escaped) = serde_json::from_str::<String>(json) {
                        text.push_str(&escaped);
                    }
                }
            }
        } else if let Ok(content) = serde_json::from_str::<MessageContent>(json) {
            text.extend(content.texts());
        }
    }
}

impl<'a> Answer<'a> {
    /// Reads an upstream's answer; `None` if it is not an object with a
    /// readable `usage`.
    pub fn parse(json: &'a [u8]) -> Option<Self> {
        let raw = RawObject::parse(json).ok()?;
        let usage = raw.read("usage").ok()?;
        Some(Self { raw, usage })
    }

    /// Whether its `model` is other than `model`.
    pub fn names_other_model(&self, model: &str) -> bool {
        self.raw
            .read::<&str>("model")
            .is_ok_and(|named| named.is_some_and(|named| named != model))
    }

    /// The raw value of `key` (`id`, `created` …).
    pub fn member(&self, key: &str) -> Option<&RawValue> {
        self.raw.get(key)
    }

    /// The text of every choice's message and delta, appended to `text`.
    pub fn texts_into(&self, text: &mut String) {
        let Ok(Some(choices)) = self.raw.read::<Vec<Choice>>("choices") else {
            return;
        };
        for said in choices
            .iter()
            .flat_map(|c| c.message.iter().chain(c.delta.iter()))
        {
            said.text_into(text);
        }
    }

    /// Whether it has choices (a stream's final usage chunk has none).
    pub fn has_choices(&self) -> bool {
        matches!(self.raw.read::<Vec<IgnoredAny>>("choices"), Ok(Some(c)) if !c.is_empty())
    }

    /// The answer as the client gets it: named `model` as the client asked,
    /// with `usage` if it had none.
    pub fn for_client(
        &mut self,
        model: &str,
        usage: Option<&Usage>,
    ) -> serde_json::Result<Vec<u8>> {
        self.raw.set("model", &model)?;
        if let (None, Some(usage)) = (&self.usage, usage) {
            self.raw.set("usage", usage)?;
        }
        self.raw.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_of_an_unreadable_request_is_read_on_its_own_where_it_can_be() {
        assert_eq!(
            asked_model(br#"{"model": "lab-chat", "messages": 3}"#).as_deref(),
            Some("lab-chat")
        );
        assert!(ChatRequest::parse(br#"{"model": "lab-chat", "messages": 3}"#).is_err());
        assert_eq!(asked_model(br#"{"model": 7}"#), None);
        assert_eq!(asked_model(br#"{"model": "#), None);
        assert_eq!(asked_model(b"[]"), None);
    }

    #[test]
    fn a_request_reaches_the_upstream_as_it_came_but_for_what_the_proxy_sets() {
        let body = br#"{"messages": [{"role": "user", "content": "Hi", "name": "ada"}],
            "model": "ours", "temperature": 0.20, "tools": [{"type": "function"}],
            "seed": 18446744073709551616, "stream": true,
            "stream_options": {"x": 1, "include_usage": false}}"#;
        let mut request = ChatRequest::parse(body).expect("a request");
        assert_eq!(request.model, "ours");
        assert!(request.stream && !request.include_usage);
        assert_eq!(request.messages[0].name.as_deref(), Some("ada"));
        assert_eq!(request.body_bytes, body.len() as u64);
        assert!(!request.has_non_text_parts());
        let forwarded = request.for_upstream("theirs", 64).expect("json");
        assert_eq!(
            String::from_utf8(forwarded).expect("utf-8"),
            r#"{"messages":[{"role": "user", "content": "Hi", "name": "ada"}],"model":"theirs","temperature":0.20,"tools":[{"type": "function"}],"seed":18446744073709551616,"stream":true,"stream_options":{"x":1,"include_usage":true},"max_tokens":64}"#
        );
    }

    #[test]
    fn bad_requests_name_the_field() {
        for (body, param) in [
            (&br#"{"model": "m"}"#[..], "messages"),
            (br#"{"model": 1, "messages": []}"#, "model"),
            (
                br#"{"model": "m", "messages": [], "max_tokens": -1}"#,
                "max_tokens",
            ),
        ] {
            let error = ChatRequest::parse(body).expect_err("refused");
            assert_eq!(error.param, Some(param));
        }
        assert_eq!(ChatRequest::parse(b"[]").expect_err("refused").param, None);
    }

    #[test]
    fn answers_keep_what_they_came_with_and_yield_their_texts() {
        let body = br#"{"id": "c1", "model": "up", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
            "system_fingerprint": "fp"}"#;
        let mut answer = Answer::parse(body).expect("an answer");
        let mut text = String::new();
        answer.texts_into(&mut text);
        assert_eq!(text, "Hello there");
        assert!(answer.usage.is_none() && answer.has_choices());
        assert!(answer.names_other_model("ours"));
        let out = answer
            .for_client("ours", Some(&Usage::of(2, 3)))
            .expect("json");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"id":"c1","model":"ours","choices":[{"index": 0,
            "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],"system_fingerprint":"fp","usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}"#
        );
        let mut parts = String::new();
        Answer::parse(
            br#"{"choices": [{"delta": {"content": "caf\u00e9 "}}, {"message": {"content":
                [{"type": "text", "text": "two"}, {"type": "image_url"}]}}, {"delta": {"content": null}}]}"#,
        )
        .expect("chunks")
        .texts_into(&mut parts);
        assert_eq!(parts, "café two");
        let chunk = Answer::parse(br#"{"choices": [], "usage": {"prompt_tokens": 3, "x": {}}}"#)
            .expect("usage chunk");
        assert!(!chunk.has_choices());
        let usage = chunk.usage.expect("usage");
        assert_eq!((usage.prompt_tokens, usage.completion()), (3, 0));
        assert!(Answer::parse(br#"{"usage": "none"}"#).is_none());
    }
}
