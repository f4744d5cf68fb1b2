//! Streamed chat completions: each upstream event goes to the client the
//! moment it arrives; the usage chunk we asked for is passed on only when
//! the client asked for it too; the final `[DONE]` is sent once the charge
//! is durable. A task owns the upstream stream, so a client that disconnects
//! still pays for what was generated until then.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::catalog::Model;
use super::{tokens, Hold, Proxy, Usage};

/// A stream's request, as the relay task needs it.
pub(super) struct Relay {
    pub hold: Hold,
    pub usage: Usage,
    pub model: Arc<Model>,
    /// Our count of the prompt, for an upstream that reports no usage.
    pub prompt_tokens: u64,
    /// Whether the client asked for `stream_options.include_usage`.
    pub wants_usage: bool,
    /// The key's tokens-per-minute limit, to count what the stream used.
    pub tpm_limit: Option<i32>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChunkUsage>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
struct ChunkUsage {
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
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
fn event_end(buffer: &[u8]) -> Option<usize> {
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
fn payload(event: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(event).ok()?;
    let data: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
        .collect();
    (!data.is_empty()).then(|| data.join("\n"))
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

async fn pump(proxy: Proxy, upstream: reqwest::Response, relay: Relay, tx: mpsc::Sender<Item>) {
    let Relay {
        hold,
        mut usage,
        model,
        prompt_tokens,
        wants_usage,
        tpm_limit,
    } = relay;
    let idle = model.timeout();
    let mut chunks = upstream.bytes_stream();
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    let mut reported: Option<ChunkUsage> = None;
    let mut generated = 0u64;
    let end = 'relay: loop {
        let bytes = match tokio::time::timeout(idle, chunks.next()).await {
            Err(_) => break End::Failed(StatusCode::GATEWAY_TIMEOUT),
            Ok(None) => break End::Finished,
            Ok(Some(Err(error))) => {
                tracing::warn!(request = %usage.request, %error, "upstream stream cut short");
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
            let mut forward = true;
            if let Ok(chunk) = serde_json::from_str::<Chunk>(&data) {
                generated += chunk
                    .choices
                    .iter()
                    .filter_map(|c| c.delta.as_ref()?.content.as_deref())
                    .map(tokens::count)
                    .sum::<u64>();
                if let Some(counts) = chunk.usage {
                    reported = Some(counts);
                    forward = wants_usage || !chunk.choices.is_empty();
                }
            }
            if forward && tx.send(Ok(Bytes::from(event))).await.is_err() {
                break 'relay End::ClientGone;
            }
        }
    };
    // Dropping the upstream stream closes its connection: generation stops.
    drop(chunks);
    usage.input_tokens = reported.map_or(prompt_tokens, |r| r.prompt_tokens);
    usage.output_tokens = match (end, reported) {
        (End::Finished, Some(r)) => r.completion_tokens,
        _ => generated,
    };
    usage.status = match end {
        End::Finished => StatusCode::OK,
        // nginx's "client closed request".
        End::ClientGone => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        End::Failed(status) => status,
    };
    proxy.inner.limits.spend_tokens(
        hold.key,
        tpm_limit,
        usage.input_tokens + usage.output_tokens,
    );
    let nothing_generated = generated == 0 && reported.is_none();
    if matches!(end, End::Failed(_)) && nothing_generated {
        proxy.release(&hold, &usage).await;
        let _ = tx.send(Ok(error_event(usage.status))).await;
        return;
    }
    let settled = proxy.settle(&hold, &usage, &model).await;
    let last = match (end, settled) {
        (End::Finished, Some(_)) => Bytes::from_static(b"data: [DONE]\n\n"),
        (End::Failed(status), _) => error_event(status),
        _ => error_event(StatusCode::INTERNAL_SERVER_ERROR),
    };
    // The client may be gone: nothing to tell it then.
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
