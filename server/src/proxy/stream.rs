//! Streamed chat completions: each upstream event goes to the client the
//! moment it arrives, with the model id the client asked for; the usage
//! chunk we asked for is passed on only when the client asked for it too,
//! and made by us from what we bill when the upstream sent none; the final
//! `[DONE]` is sent once the charge is durable. A task owns the upstream
//! stream, so a client that disconnects still pays for what was generated
//! until then.

use app::server::metering::{Counted, Reservation, Used};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::wire::{Answer, Usage};
use super::{Prompt, Proxy};
use crate::metrics::Outcome;

/// A stream's request, as the relay task needs it.
pub(super) struct Relay {
    pub reservation: Reservation,
    /// The model id the client asked for.
    pub asked: String,
    /// The prompt, counted by us if the upstream reports no usage.
    pub prompt: Prompt,
    /// Whether the client asked for `stream_options.include_usage`.
    pub wants_usage: bool,
    /// When the request was sent upstream (for `/metrics`).
    pub sent: std::time::Instant,
}

type Item = Result<Bytes, std::io::Error>;

/// Starts relaying `upstream` and returns the client's streamed response.
pub(super) fn relay(proxy: Proxy, upstream: reqwest::Response, relay: Relay) -> Response {
    // A small buffer: a slow client slows the upstream read, as it should.
    let (tx, rx) = mpsc::channel::<Item>(16);
    tokio::spawn(pump(proxy, upstream, relay, tx));
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// The end of the first complete event in `buffer`, past its blank line.
pub(crate) fn event_end(buffer: &[u8]) -> Option<usize> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The `data:` payload of one event (lines joined), if any.
pub(crate) fn payload(event: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(event).ok()?;
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        .collect();
    (!data.is_empty()).then(|| data.join("\n"))
}

/// One event carrying `value` as its data.
fn event(value: &impl serde::Serialize) -> Option<Bytes> {
    serde_json::to_vec(value).ok().map(|data| event_of(&data))
}

/// One event carrying the JSON text `data`.
fn event_of(data: &[u8]) -> Bytes {
    let mut event = Vec::with_capacity(data.len() + 8);
    event.extend_from_slice(b"data: ");
    event.extend_from_slice(data);
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

/// A chunk's member `key`, for our own usage chunk.
fn member(chunk: &Answer<'_>, key: &str) -> Option<Value> {
    chunk
        .member(key)
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
}

/// How a relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The upstream finished.
    Finished,
    /// The client went away.
    ClientGone,
    /// The upstream failed or stalled.
    Failed(StatusCode),
}

/// What the relay learned from the chunks it passed on.
#[derive(Default)]
struct Seen {
    /// The upstream's usage chunk.
    reported: Option<Usage>,
    /// The generated text, for our own count.
    text: String,
    /// `id` and `created` of the chunks, for a usage chunk of our own.
    id: Option<Value>,
    created: Option<Value>,
}

impl Seen {
    /// Reads one event's data; returns what to send the client, if anything.
    fn chunk(&mut self, raw: Vec<u8>, data: &str, relay: &Relay) -> Option<Bytes> {
        let Some(mut chunk) = Answer::parse(data.as_bytes()) else {
            return Some(Bytes::from(raw));
        };
        chunk.texts_into(&mut self.text);
        if self.id.is_none() {
            self.id = member(&chunk, "id");
        }
        if self.created.is_none() {
            self.created = member(&chunk, "created");
        }
        if let Some(usage) = &chunk.usage {
            self.reported = Some(usage.clone());
            if !relay.wants_usage && !chunk.has_choices() {
                return None;
            }
        }
        if !chunk.names_other_model(&relay.asked) {
            return Some(Bytes::from(raw));
        }
        match chunk.for_client(&relay.asked, None) {
            Ok(data) => Some(event_of(&data)),
            Err(_) => Some(Bytes::from(raw)),
        }
    }

    /// The usage chunk the client asked for and the upstream never sent.
    fn our_usage_chunk(&self, relay: &Relay, used: &Used) -> Option<Bytes> {
        if !relay.wants_usage || self.reported.is_some() {
            return None;
        }
        let usage = Usage::of(used.input.tokens, used.output.tokens);
        event(&json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": relay.asked, "choices": [], "usage": usage,
        }))
    }
}

async fn pump(proxy: Proxy, upstream: reqwest::Response, relay: Relay, tx: mpsc::Sender<Item>) {
    let model = relay.reservation.model().clone();
    let mut chunks = upstream.bytes_stream();
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut seen = Seen::default();
    let mut first = true;
    let end = 'relay: loop {
        let bytes = match tokio::time::timeout(model.timeout(), chunks.next()).await {
            Err(_) => break End::Failed(StatusCode::GATEWAY_TIMEOUT),
            Ok(None) => break End::Finished,
            Ok(Some(Err(error))) => {
                tracing::warn!(request = %relay.reservation.planned().id, %error, "upstream stream cut short");
                break End::Failed(StatusCode::BAD_GATEWAY);
            }
            Ok(Some(Ok(bytes))) => bytes,
        };
        buffer.extend_from_slice(&bytes);
        while let Some(end) = event_end(&buffer) {
            let event: Vec<u8> = buffer.drain(..end).collect();
            let Some(data) = payload(&event) else {
                continue;
            };
            if data.trim() == "[DONE]" {
                // Held back until the charge is durable.
                continue;
            }
            let Some(out) = seen.chunk(event, &data, &relay) else {
                continue;
            };
            if tx.send(Ok(out)).await.is_err() {
                break 'relay End::ClientGone;
            }
            if std::mem::take(&mut first) {
                crate::metrics::first_token(&model, relay.reservation.planned().started);
            }
        }
    };
    // Dropping the upstream stream closes its connection: generation stops.
    drop(chunks);
    let status = match end {
        End::Finished => StatusCode::OK,
        // nginx's "client closed request".
        End::ClientGone => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        End::Failed(status) => status,
    };
    let outcome = match end {
        End::Finished => Outcome::Ok,
        End::ClientGone => Outcome::ClientGone,
        End::Failed(status) => Outcome::of_failure(status),
    };
    crate::metrics::upstream_done(&model, relay.sent, outcome);
    let used = Used {
        input: match &seen.reported {
            Some(r) => {
                proxy
                    .meter()
                    .learn_prompt(&model, &relay.prompt.messages, r.prompt_tokens);
                Counted::reported(r.prompt_tokens)
            }
            None => relay.prompt.count(proxy.meter(), &model).await,
        },
        output: match (end, &seen.reported) {
            (End::Finished, Some(r)) => Counted::reported(r.completion()),
            _ => proxy.meter().count_output(&model, &seen.text).await,
        },
        status: status.as_u16(),
    };
    let nothing_generated = seen.text.is_empty() && seen.reported.is_none();
    if matches!(end, End::Failed(_)) && nothing_generated {
        relay.reservation.release(status.as_u16()).await;
        let _ = tx.send(Ok(error_event(status))).await;
        return;
    }
    let ours = seen.our_usage_chunk(&relay, &used);
    let settled = relay.reservation.settle(used).await;
    let last = match (end, settled) {
        (End::Finished, Ok(_)) => Bytes::from_static(b"data: [DONE]\n\n"),
        (End::Failed(status), _) => error_event(status),
        _ => error_event(StatusCode::INTERNAL_SERVER_ERROR),
    };
    // The client may be gone: nothing to tell it then.
    if let (End::Finished, Some(ours)) = (end, ours) {
        let _ = tx.send(Ok(ours)).await;
    }
    let _ = tx.send(Ok(last)).await;
}

/// An error as the last event of a stream (its status line has been sent).
fn error_event(status: StatusCode) -> Bytes {
    let (kind, message) = match status {
        StatusCode::GATEWAY_TIMEOUT => {
            ("upstream_timeout", "The model provider stopped answering.")
        }
        StatusCode::BAD_GATEWAY => ("upstream_error", "The model provider failed mid-stream."),
        _ => (
            "internal_error",
            "Something went wrong on our side; it has been logged.",
        ),
    };
    let body = json!({"error": {"message": message, "type": "upstream_error", "param": null, "code": kind}});
    Bytes::from(format!("data: {body}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_on_blank_lines_of_either_kind() {
        assert_eq!(event_end(b"data: a\n\ndata: b"), Some(9));
        assert_eq!(event_end(b"data: a\r\n\r\n"), Some(11));
        assert_eq!(event_end(b"data: a\n"), None);
        assert_eq!(
            payload(b"data: {\"x\":1}\n\n").as_deref(),
            Some("{\"x\":1}")
        );
        assert_eq!(payload(b": keep-alive\n\n"), None);
    }
}
