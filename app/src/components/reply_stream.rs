//! A playground reply read as it streams: the message posted with `fetch`
//! (an abort signal stops it: the server then bills only what was
//! generated), the body read chunk by chunk and its events parsed.
//! Browser only; the page posts a plain form without JavaScript.

use serde::Deserialize;

/// One event of a reply's stream (`server/src/playground.rs` names them).
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyEvent {
    /// Credit was reserved for the whole reply.
    Start { reserved: String },
    /// More of the reply's text.
    Delta(String),
    /// What the reply costs so far.
    Cost { output_tokens: u64, credits: String },
    /// The agent called a tool over a dataset; its result went back to it.
    Tool { name: String },
    /// The reply is saved with what it cost.
    Done(Done),
    /// It failed; nothing more comes.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Done {
    pub status: String,
    pub output_tokens: u64,
    pub credits: String,
    pub conversation_credits: String,
    pub balance: String,
}

/// The event in one server-sent event's text, if it is one of ours.
pub fn parse_event(text: &str) -> Option<ReplyEvent> {
    let name = text.lines().find_map(|l| l.strip_prefix("event: "))?;
    let data = text.lines().find_map(|l| l.strip_prefix("data: "))?;
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    let text_of = |key: &str| {
        value
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    Some(match name {
        "start" => ReplyEvent::Start {
            reserved: text_of("reserved"),
        },
        "delta" => ReplyEvent::Delta(text_of("text")),
        "cost" => ReplyEvent::Cost {
            output_tokens: value
                .get("output_tokens")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            credits: text_of("credits"),
        },
        "tool" => ReplyEvent::Tool {
            name: text_of("name"),
        },
        "done" => ReplyEvent::Done(serde_json::from_value(value).ok()?),
        "error" => ReplyEvent::Error(text_of("message")),
        _ => return None,
    })
}

/// Why a reply did not start: the server's code (`credits`, `cap`, …) and
/// its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response};

    use super::{parse_event, Refusal, ReplyEvent};

    fn refusal(message: &str) -> Refusal {
        Refusal {
            code: "network".to_owned(),
            message: message.to_owned(),
        }
    }

    /// Posts `form` to `url` asking for a stream, and calls `on_event` for
    /// each event until the stream ends or `stop` aborts it.
    pub async fn post(
        url: &str,
        form: &[(&str, &str)],
        stop: &AbortController,
        mut on_event: impl FnMut(ReplyEvent),
    ) -> Result<(), Refusal> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let headers = web_sys::Headers::new().map_err(|_| refusal("The browser refused."))?;
        let _ = headers.set("content-type", "application/x-www-form-urlencoded");
        let _ = headers.set("accept", "text/event-stream");
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&body));
        init.set_headers(&headers);
        init.set_signal(Some(&stop.signal()));
        let window = web_sys::window().ok_or_else(|| refusal("No window."))?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(|_| refusal("The portal could not be reached. Check your connection."))?
            .dyn_into()
            .map_err(|_| refusal("An unexpected answer."))?;
        if !response.ok() {
            let status = response.status();
            let json = match response.json() {
                Ok(promise) => JsFuture::from(promise).await.ok(),
                Err(_) => None,
            };
            let field = |key: &str| {
                json.as_ref()
                    .and_then(|j| Reflect::get(j, &JsValue::from_str("error")).ok())
                    .and_then(|e| Reflect::get(&e, &JsValue::from_str(key)).ok())
                    .and_then(|v| v.as_string())
            };
            return Err(Refusal {
                code: field("code").unwrap_or_else(|| status.to_string()),
                message: field("message")
                    .unwrap_or_else(|| format!("The portal answered {status}.")),
            });
        }
        let reader: ReadableStreamDefaultReader = response
            .body()
            .ok_or_else(|| refusal("An empty answer."))?
            .get_reader()
            .dyn_into()
            .map_err(|_| refusal("An unreadable answer."))?;
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            // An abort rejects the read: the reply was stopped.
            let Ok(chunk) = JsFuture::from(reader.read()).await else {
                return Ok(());
            };
            let done = Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Ok(());
            }
            if let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) {
                buffer.extend(Uint8Array::new(&value).to_vec());
            }
            while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                let event: Vec<u8> = buffer.drain(..end + 2).collect();
                if let Some(event) = parse_event(&String::from_utf8_lossy(&event)) {
                    on_event(event);
                }
            }
        }
    }
}

#[cfg(feature = "hydrate")]
pub use browser::post;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_events_are_read_and_others_skipped() {
        assert_eq!(
            parse_event("event: delta\ndata: {\"text\":\"Hi \\\"you\\\"\"}\n\n"),
            Some(ReplyEvent::Delta("Hi \"you\"".to_owned()))
        );
        assert_eq!(
            parse_event("event: cost\ndata: {\"output_tokens\":12,\"credits\":\"0.01\"}"),
            Some(ReplyEvent::Cost {
                output_tokens: 12,
                credits: "0.01".to_owned()
            })
        );
        let done = parse_event(
            "event: done\ndata: {\"status\":\"stopped\",\"input_tokens\":3,\"output_tokens\":4,\"credits\":\"1\",\"charged\":\"1\",\"conversation_credits\":\"2\",\"balance\":\"3\"}",
        );
        assert!(
            matches!(done, Some(ReplyEvent::Done(d)) if d.status == "stopped" && d.balance == "3")
        );
        assert_eq!(parse_event(": keep-alive"), None);
        assert_eq!(parse_event("event: other\ndata: {}"), None);
    }
}
