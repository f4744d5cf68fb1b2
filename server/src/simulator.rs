//! An OpenAI-compatible upstream simulator, for local runs, tests and
//! benchmarks: deterministic text, honest token counts (the portal's own
//! counting, see [`app::server::metering::count`]), JSON and SSE responses with a
//! usage chunk, and faults on request.
//!
//! Faults are chosen by the upstream model name, so that an admin can
//! register a faulty model like any other:
//! - a name containing `fault-error` answers 500 with an error body;
//! - `fault-timeout` never answers;
//! - `fault-drop` drops the connection (a stream, half-way through);
//! - `fault-nousage` reports no `usage`;
//! - `fault-overshoot` ignores `max_tokens` (answers at its natural length,
//!   at least 12 tokens) and bills what it generated, as an upstream that
//!   overshoots the limit does;
//! - `stream-nousage` reports `usage` only when not streaming (as llama.cpp's
//!   server and Ollama do);
//! - `slow` answers at least [`SLOW_TOKENS`] tokens, each after at least
//!   [`SLOW_TOKEN_DELAY`], so a browser can watch a reply stream and stop
//!   it (the portal registers `simulator-chat-slow`);
//! - `template` counts [`TEMPLATE_TOKENS`] more prompt tokens than the text
//!   has, like an upstream whose chat template adds a system prompt and
//!   special tokens.
//!
//! Tool calls are deterministic too: when a request offers `tools` and the
//! last message is the user's and names one of them, the answer calls that
//! tool with the first JSON object written after its name as arguments
//! (`{}` when there is none); a tool's result is answered with text, unless
//! the user's message holds [`LOOP_MARKER`]: then the tool is called again
//! for as long as tools are offered.
//!
//! `lab-portal simulate --listen 127.0.0.1:9100 --token-latency-ms 20`
//! runs it alone; the portal also serves it under `/simulator/v1` unless
//! told not to, and registers it as the provider "simulator".

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use app::server::metering::chat::{ChatMessage, EmbeddingInput};
use app::server::metering::count as tokens;

use crate::routes::Route;

/// Words of the generated text; each is one token (see the test).
const WORDS: &[&str] = &[
    "the", "lab", "model", "answers", "with", "sample", "text", "about", "data", "credits",
    "tokens", "agents", "portal", "quickly", "and", "clearly", "for", "every", "request", "in",
    "this", "test", "run", "while", "counting", "each", "word", "as", "one", "token", "so",
    "usage", "is", "exact", "results", "stay", "stable", "across", "runs", "given", "same",
    "prompt", "serving", "proxy", "streams", "chunks", "as", "they", "arrive",
];

/// A user message holding this makes the simulator call its tool again
/// after each result (to test a bounded tool loop).
pub const LOOP_MARKER: &str = "[[loop]]";

/// How long a `slow` model takes per token, at least.
pub const SLOW_TOKEN_DELAY: Duration = Duration::from_millis(60);

/// How many tokens a `slow` model's answer has when `max_tokens` allows.
pub const SLOW_TOKENS: u64 = 400;

/// Prompt tokens a `template` model's hidden chat template adds.
pub const TEMPLATE_TOKENS: u64 = 24;

/// How many tokens an answer has when `max_tokens` does not cut it short.
const NATURAL_MIN: u64 = 12;
const NATURAL_SPREAD: u64 = 36;

/// Behaviour shared by every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Delay before the first token.
    pub first_token: Duration,
    /// Delay per generated token.
    pub per_token: Duration,
}

/// Where the portal serves the simulator (when it does).
pub const PREFIX: &str = "/simulator/v1";

/// Every route of the simulator, relative to its base path; [`router`] is
/// built from this table, and the role matrix test reads it.
pub fn routes() -> Vec<Route<Options>> {
    vec![
        Route::get("/models", models),
        Route::post("/chat/completions", chat),
        Route::post("/embeddings", embeddings),
    ]
}

/// The simulator's routes, to mount at a base path such as `/v1`.
pub fn router(options: Options) -> Router {
    crate::routes::add(Router::new(), routes()).with_state(options)
}

async fn models() -> Json<Value> {
    let data: Vec<Value> = ["simulator-chat", "simulator-chat-slow", "simulator-embed"]
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "simulator"}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "simulator_error", "param": null, "code": null}});
    (status, Json(body)).into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    Error,
    Timeout,
    Drop,
    NoUsage,
    Overshoot,
}

fn fault_of(model: &str) -> Fault {
    if model.contains("fault-error") {
        Fault::Error
    } else if model.contains("fault-timeout") {
        Fault::Timeout
    } else if model.contains("fault-drop") {
        Fault::Drop
    } else if model.contains("fault-nousage") {
        Fault::NoUsage
    } else if model.contains("fault-overshoot") {
        Fault::Overshoot
    } else {
        Fault::None
    }
}

/// FNV-1a: a stable seed from the prompt, the same on every machine.
fn seed(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn word(seed: u64, i: u64) -> &'static str {
    let index = seed.wrapping_add(i.wrapping_mul(7919)) % WORDS.len() as u64;
    WORDS[usize::try_from(index).unwrap_or(0)]
}

async fn chat(State(options): State<Options>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not valid JSON");
    };
    let model = request.get("model").and_then(Value::as_str).unwrap_or("");
    let Some(Ok(messages)) = request
        .get("messages")
        .map(|m| serde_json::from_value::<Vec<ChatMessage>>(m.clone()))
    else {
        return error(StatusCode::BAD_REQUEST, "`messages` is required");
    };
    let fault = fault_of(model);
    match fault {
        Fault::Error => return error(StatusCode::INTERNAL_SERVER_ERROR, "simulated failure"),
        Fault::Timeout => std::future::pending::<()>().await,
        _ => {}
    }
    let template = if model.contains("template") {
        TEMPLATE_TOKENS
    } else {
        0
    };
    // As a real upstream bills: tool and function definitions and a
    // response format's schema are part of the prompt, and every one of
    // `n` choices is generated.
    let definitions: u64 = ["tools", "functions", "response_format"]
        .iter()
        .filter_map(|field| request.get(*field))
        .map(|value| tokens::count(&value.to_string()))
        .sum();
    let prompt_tokens = tokens::count_messages(&messages) + template + definitions;
    let choices = request
        .get("n")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .clamp(1, 16);
    let last = messages
        .last()
        .map(|m| m.texts().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    if let Some(call) = tool_call(&request, &messages) {
        return answer_with_tool_call(&options, &request, model, prompt_tokens, call).await;
    }
    let seed = seed(&last);
    let slow = model.contains("slow");
    let natural = if slow {
        SLOW_TOKENS
    } else {
        NATURAL_MIN + seed % NATURAL_SPREAD
    };
    let options = if slow {
        Options {
            first_token: options.first_token,
            per_token: options.per_token.max(SLOW_TOKEN_DELAY),
        }
    } else {
        options
    };
    let limit = request
        .get("max_completion_tokens")
        .or_else(|| request.get("max_tokens"))
        .and_then(Value::as_u64);
    let (n, finish) = match limit {
        Some(limit) if limit < natural && fault != Fault::Overshoot => (limit, "length"),
        _ => (natural, "stop"),
    };
    let completion_tokens = n * choices;
    let usage = (fault != Fault::NoUsage).then(|| {
        json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
               "total_tokens": prompt_tokens + completion_tokens})
    });
    // Unique per request and stamped now, as a real upstream's are (the
    // text stays a function of the prompt).
    let id = format!("chatcmpl-sim{}", uuid::Uuid::now_v7().simple());
    let created = time::OffsetDateTime::now_utc().unix_timestamp();
    let stream = request.get("stream").and_then(Value::as_bool) == Some(true);
    if !stream {
        let per_token = options
            .per_token
            .saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        tokio::time::sleep(options.first_token.saturating_add(per_token)).await;
        if fault == Fault::Drop {
            return dropped();
        }
        let text: Vec<&str> = (0..n).map(|i| word(seed, i)).collect();
        let content = text.join(" ");
        let all: Vec<Value> = (0..choices)
            .map(|index| {
                json!({"index": index, "message": {"role": "assistant", "content": content},
                       "finish_reason": finish})
            })
            .collect();
        let mut body = json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": all,
        });
        if let Some(usage) = usage {
            body["usage"] = usage;
        }
        return Json(body).into_response();
    }
    let include_usage = request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let chunk = |delta: Value, finish: Option<&str>| {
        let body = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        event(&body)
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    for i in 0..n {
        let text = if i == 0 {
            word(seed, i).to_owned()
        } else {
            format!(" {}", word(seed, i))
        };
        events.push(chunk(json!({"content": text}), None));
    }
    events.push(chunk(json!({}), Some(finish)));
    let usage = usage.filter(|_| !model.contains("stream-nousage"));
    if let (true, Some(usage)) = (include_usage, usage) {
        let body = json!({"id": id, "object": "chat.completion.chunk",
                          "created": created, "model": model, "choices": [], "usage": usage});
        events.push(event(&body));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    let drop_after = (fault == Fault::Drop).then_some(events.len() / 2);
    let (first, per) = (options.first_token, options.per_token);
    let body = stream::iter(events.into_iter().enumerate()).then(move |(i, bytes)| async move {
        let delay = if i == 0 { first } else { per };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if drop_after.is_some_and(|at| i >= at) {
            return Err(std::io::Error::other("simulated dropped connection"));
        }
        Ok::<_, std::io::Error>(bytes)
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

/// A tool call the simulator answers `messages` with: (name, arguments).
fn tool_call(request: &Value, messages: &[ChatMessage]) -> Option<(String, String)> {
    let asked = messages.iter().rev().find(|m| m.role == "user")?;
    let asked = asked.texts().collect::<Vec<_>>().join(" ");
    let last = asked.as_str();
    match messages.last().map(|m| m.role.as_str()) {
        Some("user") => {}
        Some("tool") if last.contains(LOOP_MARKER) => {}
        _ => return None,
    }
    let offered = request.get("tools")?.as_array()?;
    offered
        .iter()
        .filter_map(|tool| tool.pointer("/function/name").and_then(Value::as_str))
        .filter_map(|name| last.find(name).map(|at| (at, name)))
        .min()
        .map(|(at, name)| {
            let after = &last[at + name.len()..];
            let arguments = after
                .find('{')
                .and_then(|start| {
                    let mut stream =
                        serde_json::Deserializer::from_str(&after[start..]).into_iter::<Value>();
                    stream.next()?.ok()
                })
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            (name.to_owned(), arguments.to_string())
        })
}

/// The answer that calls `call`, whole or streamed (its arguments in two
/// pieces, as real upstreams split them), its usage counting the call.
async fn answer_with_tool_call(
    options: &Options,
    request: &Value,
    model: &str,
    prompt_tokens: u64,
    (name, arguments): (String, String),
) -> Response {
    let completion_tokens = tokens::count(&name) + tokens::count(&arguments);
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                       "total_tokens": prompt_tokens + completion_tokens});
    let id = format!("chatcmpl-sim{}", uuid::Uuid::now_v7().simple());
    let call_id = format!("call_{}", uuid::Uuid::now_v7().simple());
    let created = time::OffsetDateTime::now_utc().unix_timestamp();
    tokio::time::sleep(options.first_token).await;
    if request.get("stream").and_then(Value::as_bool) != Some(true) {
        return Json(json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": call_id, "type": "function",
                                "function": {"name": name, "arguments": arguments}}]}}],
            "usage": usage,
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Option<&str>| {
        event(
            &json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                      "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let half = arguments
        .char_indices()
        .map(|(i, _)| i)
        .nth(arguments.chars().count() / 2)
        .unwrap_or(0);
    let mut events = vec![
        chunk(
            json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": call_id,
                   "type": "function", "function": {"name": name, "arguments": ""}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": &arguments[..half]}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": &arguments[half..]}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
    ];
    if request
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true)
    {
        events.push(event(
            &json!({"id": id, "object": "chat.completion.chunk", "created": created,
                                  "model": model, "choices": [], "usage": usage}),
        ));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    let body = stream::iter(events.into_iter().map(Ok::<_, std::io::Error>));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

fn event(body: &Value) -> Bytes {
    Bytes::from(format!("data: {body}\n\n"))
}

/// A response whose body fails at once: the connection is cut.
fn dropped() -> Response {
    let body = stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("simulated dropped connection"))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

async fn embeddings(State(options): State<Options>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not valid JSON");
    };
    let model = request.get("model").and_then(Value::as_str).unwrap_or("");
    let input = request
        .get("input")
        .and_then(|input| serde_json::from_value::<EmbeddingInput>(input.clone()).ok());
    let Some(inputs) = input.as_ref().and_then(EmbeddingInput::texts) else {
        return error(
            StatusCode::BAD_REQUEST,
            "`input` must be a string or an array of strings",
        );
    };
    match fault_of(model) {
        Fault::Error => return error(StatusCode::INTERNAL_SERVER_ERROR, "simulated failure"),
        Fault::Timeout => std::future::pending::<()>().await,
        Fault::Drop => return dropped(),
        _ => {}
    }
    tokio::time::sleep(options.first_token).await;
    let dimensions = request
        .get("dimensions")
        .and_then(Value::as_u64)
        .unwrap_or(16)
        .clamp(1, 4096);
    let prompt_tokens: u64 = inputs.iter().map(|s| tokens::count(s)).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let seed = seed(input);
            let raw: Vec<f64> = (0..dimensions)
                .map(|d| {
                    let x = seed.rotate_left(u32::try_from(d % 64).unwrap_or(0)) ^ d;
                    (x % 2001) as f64 / 1000.0 - 1.0
                })
                .collect();
            let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
            let embedding: Vec<f64> = raw.iter().map(|x| x / norm).collect();
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let mut body = json!({"object": "list", "data": data, "model": model});
    if fault_of(model) != Fault::NoUsage {
        body["usage"] = json!({"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens});
    }
    Json(body).into_response()
}

/// Refuses (404) a request that did not come from this machine.
pub async fn loopback_only(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if peer.ip().is_loopback() {
        next.run(request).await
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// Serves the simulator alone under `/v1` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    let app = Router::new().nest("/v1", router(options));
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Registers the simulator served at `bound` as the provider "simulator",
/// with a priced chat model and an embedding model; the base URL follows
/// the listener at every start, prices an admin changed are kept.
pub async fn register(pool: &sqlx::PgPool, bound: std::net::SocketAddr) -> anyhow::Result<()> {
    let host = if bound.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let base_url = format!("http://{host}/simulator/v1");
    let mut tx = pool.begin().await?;
    let provider: uuid::Uuid = sqlx::query_scalar(
        "insert into providers (id, name, base_url, timeout_ms, is_simulator)
         values ($1, 'simulator', $2, 30000, true)
         on conflict (lower(name)) do update set base_url = excluded.base_url
         where providers.is_simulator
         returning id",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(&base_url)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        anyhow::anyhow!("a provider named \"simulator\" exists and is not the simulator")
    })?;
    // Prices in micro-credits per million tokens: 2 and 6 credits for chat,
    // 0.1 credit for embeddings.
    sqlx::query(
        "insert into models (id, public_id, provider_id, upstream_model, kind, input_price, output_price,
                             context_window, max_output_tokens)
         values ($1, 'simulator-chat', $3, 'simulator-chat', 'chat', 2000000, 6000000, 16384, 4096),
                ($2, 'simulator-embed', $3, 'simulator-embed', 'embedding', 100000, 0, 8192, 1),
                ($4, 'simulator-chat-slow', $3, 'simulator-chat-slow', 'chat', 2000000, 6000000, 16384, 4096)
         on conflict (public_id) do nothing",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(uuid::Uuid::now_v7())
    .bind(provider)
    .bind(uuid::Uuid::now_v7())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(%base_url, "the upstream simulator is registered as the provider \"simulator\"");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_one_token_so_reported_usage_is_honest() {
        for word in WORDS {
            assert_eq!(tokens::count(word), 1, "{word}");
            assert_eq!(tokens::count(&format!(" {word}")), 1, "{word}");
        }
    }

    #[test]
    fn a_tool_named_in_the_users_message_is_called_with_the_json_after_it() {
        let request = json!({"tools": [
            {"type": "function", "function": {"name": "describe_dataset"}},
            {"type": "function", "function": {"name": "query_dataset"}},
        ]});
        let user = |text: &str| vec![ChatMessage::text("user", text)];
        assert_eq!(
            tool_call(
                &request,
                &user("Use query_dataset {\"dataset\": \"x\"} please")
            ),
            Some(("query_dataset".to_owned(), "{\"dataset\":\"x\"}".to_owned()))
        );
        assert_eq!(
            tool_call(&request, &user("describe_dataset first")),
            Some(("describe_dataset".to_owned(), "{}".to_owned()))
        );
        assert_eq!(tool_call(&request, &user("no tool here")), None);
        assert_eq!(tool_call(&json!({}), &user("query_dataset")), None);
        let mut answered = user("query_dataset {}");
        answered.push(ChatMessage::text("tool", "{}"));
        assert_eq!(tool_call(&request, &answered), None, "a result is answered");
        let mut looping = user("query_dataset {} [[loop]]");
        looping.push(ChatMessage::text("tool", "{}"));
        assert!(tool_call(&request, &looping).is_some());
    }

    #[test]
    fn faults_are_chosen_by_model_name() {
        assert_eq!(fault_of("simulator-chat"), Fault::None);
        assert_eq!(fault_of("x-fault-error"), Fault::Error);
        assert_eq!(fault_of("fault-timeout"), Fault::Timeout);
        assert_eq!(fault_of("fault-drop"), Fault::Drop);
        assert_eq!(fault_of("fault-nousage"), Fault::NoUsage);
        assert_eq!(fault_of("fault-overshoot"), Fault::Overshoot);
    }
}
