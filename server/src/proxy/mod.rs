//! The OpenAI-compatible inference proxy under `/v1`, metered in credits.
//!
//! Per request: authenticate the key (cached), rate-limit, reserve the most
//! the request can cost, forward, settle from the upstream's usage (counted
//! when it reports none), write the usage record with the settlement, and
//! release the rest. Reservations and settlements go through the ledger's
//! leases ([`app::server::ledger::Batcher`]): a reservation is made in
//! memory from a slice of the account's credit leased in the database, a
//! settlement is group-committed and only answers once durable, and the
//! response (for a stream, its final `[DONE]`) is sent only then.

pub mod catalog;
mod error;
mod limits;
mod stream;
pub mod tokens;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::credits::Credits;
use app::server::ledger::{Batcher, Context, LedgerError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use self::catalog::{Key, KeyRefusal, Keys, Model, Models};
pub use self::error::ApiError;
use self::limits::Limits;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CHARGED: HeaderName = HeaderName::from_static("x-credits-charged");
const REMAINING: HeaderName = HeaderName::from_static("x-credits-remaining");
/// How long a reservation outlives its provider's timeout before it is
/// freed as abandoned.
const HOLD_SLACK: Duration = Duration::from_secs(120);

/// Everything a proxied request needs; cheap to clone.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    batcher: Batcher,
    keys: Keys,
    models: Models,
    limits: Limits,
    client: reqwest::Client,
}

impl Proxy {
    pub fn new(pool: PgPool, batcher: Batcher) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                batcher,
                keys: Keys::default(),
                models: Models::default(),
                limits: Limits::default(),
                client,
            }),
        })
    }
}

/// The routes, to nest under `/v1`.
pub fn router(proxy: Proxy) -> Router {
    Router::new()
        .route("/models", get(list_models))
        .route("/chat/completions", post(chat))
        .route("/embeddings", post(embeddings))
        .fallback(|| async {
            ApiError::bad_request(None, "Unknown endpoint of the OpenAI API.".to_owned())
                .with_status(StatusCode::NOT_FOUND)
        })
        .with_state(proxy)
}

impl ApiError {
    fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

/// The request id every answer carries.
fn with_id(mut response: Response, id: Uuid) -> Response {
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl Proxy {
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Key>, ApiError> {
        let Some(token) = bearer(headers) else {
            return Err(ApiError::invalid_key(
                "Missing API key: send `Authorization: Bearer <key>`.",
            ));
        };
        self.inner
            .keys
            .authenticate(&self.inner.pool, token)
            .await
            .map_err(|refusal| match refusal {
                KeyRefusal::Invalid => {
                    ApiError::invalid_key("Invalid API key: it is unknown, revoked or expired.")
                }
                KeyRefusal::Suspended => ApiError::forbidden(
                    "account_suspended",
                    "The account of this API key is suspended.".to_owned(),
                ),
            })
    }

    async fn model(&self, id: &str, kind: &str) -> Result<Arc<Model>, ApiError> {
        let models = self
            .inner
            .models
            .all(&self.inner.pool)
            .await
            .map_err(|error| {
                tracing::error!(%error, "loading models");
                ApiError::internal()
            })?;
        let model = models
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::unknown_model(id))?;
        if model.kind != kind {
            let message = format!("The model `{id}` is not a {kind} model.");
            return Err(ApiError::bad_request(Some("model"), message));
        }
        if !model.servable() {
            let why = if model.enabled {
                "has no price yet"
            } else {
                "is disabled"
            };
            return Err(ApiError::forbidden(
                "model_not_available",
                format!("The model `{id}` {why} and cannot be used."),
            ));
        }
        Ok(model)
    }

    fn admit(&self, key: &Key) -> Result<(), ApiError> {
        self.inner
            .limits
            .admit(key.id, key.rpm_limit, key.tpm_limit)
            .map_err(|limited| ApiError::rate_limited(limited.message, limited.retry_after))
    }

    async fn reserve(&self, key: &Key, cost: Credits, model: &Model) -> Result<Hold, ApiError> {
        let ttl = time::Duration::try_from(model.timeout() + HOLD_SLACK)
            .unwrap_or(time::Duration::minutes(10));
        let reserved = self
            .inner
            .batcher
            .reserve_for(key.account_id, cost, ttl, Some(key.id))
            .await
            .map_err(|error| match error {
                LedgerError::InsufficientCredits => ApiError::insufficient_credits(format!(
                    "Not enough credits: this request may cost up to {cost} credits. \
                     Lower `max_tokens` or add credits."
                )),
                LedgerError::SpendCapReached => ApiError::spend_cap(),
                other => {
                    tracing::error!(error = %other, "reserving credits");
                    ApiError::internal()
                }
            })?;
        Ok(Hold {
            id: reserved.hold,
            account: key.account_id,
            key: key.id,
            user: key.user_id,
            amount: cost,
        })
    }
}

/// Releases a reservation when its request is dropped before closing it
/// (its client went away while the upstream was still answering): nothing
/// is charged, and the credit is free again at once.
struct Abandoned<'a> {
    batcher: &'a Batcher,
    hold: Option<Uuid>,
}

impl<'a> Abandoned<'a> {
    fn guard(batcher: &'a Batcher, hold: Uuid) -> Self {
        Self {
            batcher,
            hold: Some(hold),
        }
    }

    fn disarm(&mut self) {
        self.hold = None;
    }
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        // A no-op once the request settled or released its hold.
        if let Some(hold) = self.hold {
            self.batcher.abandon(hold);
        }
    }
}

/// A reservation in flight and who it belongs to.
#[derive(Debug, Clone, Copy)]
struct Hold {
    id: Uuid,
    account: Uuid,
    key: Uuid,
    user: Uuid,
    amount: Credits,
}

/// What one finished request used.
#[derive(Debug, Clone)]
struct Usage {
    request: Uuid,
    model: String,
    endpoint: &'static str,
    streamed: bool,
    input_tokens: u64,
    output_tokens: u64,
    status: StatusCode,
    started: Instant,
}

impl Usage {
    fn record(&self, hold: &Hold) -> Value {
        json!({
            "id": self.request,
            "key_id": hold.key,
            "user_id": hold.user,
            "model": self.model,
            "endpoint": self.endpoint,
            "streamed": self.streamed,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "status": self.status.as_u16(),
        })
    }
}

/// `tokens` at `price` micro-credits per million, rounded up.
fn cost(tokens: u64, price: Option<i64>) -> Credits {
    let price = u128::try_from(price.unwrap_or(0)).unwrap_or(0);
    let micros = (u128::from(tokens) * price).div_ceil(1_000_000);
    Credits::from_micros(i64::try_from(micros).unwrap_or(i64::MAX))
}

fn price(model: &Model, input: u64, output: u64) -> Credits {
    let total = cost(input, model.input_price).micros() + cost(output, model.output_price).micros();
    Credits::from_micros(total)
}

impl Proxy {
    /// Charges what was used (never more than held) and writes the usage
    /// record; answers once durable. `None` when the charge could not be
    /// recorded (logged; the request's guard then releases the hold).
    async fn settle(
        &self,
        hold: &Hold,
        usage: &Usage,
        model: &Model,
    ) -> Option<(Credits, Credits)> {
        let used = price(model, usage.input_tokens, usage.output_tokens);
        let charge = Credits::from_micros(used.micros().min(hold.amount.micros()));
        if used.micros() > hold.amount.micros() {
            tracing::warn!(request = %usage.request, "usage exceeded the reservation; charged the reservation");
        }
        let context = Context {
            usage: Some(usage.record(hold)),
        };
        let key = usage.request.to_string();
        match self
            .inner
            .batcher
            .settle_with(hold.account, hold.id, charge, &key, context)
            .await
        {
            Ok(closed) => Some((closed.closed.charged, closed.available)),
            Err(error) => {
                tracing::error!(request = %usage.request, %error, "settling a proxied request");
                None
            }
        }
    }

    /// Releases a hold after a failed request and records the failure.
    async fn release(&self, hold: &Hold, usage: &Usage) {
        let context = Context {
            usage: Some(usage.record(hold)),
        };
        if let Err(error) = self
            .inner
            .batcher
            .release_with(hold.account, hold.id, context)
            .await
        {
            tracing::error!(request = %usage.request, %error, "releasing a hold");
        }
    }
}

async fn list_models(State(proxy): State<Proxy>, headers: HeaderMap) -> Response {
    let id = Uuid::now_v7();
    let answer = async {
        proxy.authenticate(&headers).await?;
        let models = proxy
            .inner
            .models
            .all(&proxy.inner.pool)
            .await
            .map_err(|error| {
                tracing::error!(%error, "loading models");
                ApiError::internal()
            })?;
        let mut data: Vec<&Arc<Model>> = models.values().filter(|m| m.servable()).collect();
        data.sort_by(|a, b| a.public_id.cmp(&b.public_id));
        let data: Vec<Value> = data
            .into_iter()
            .map(|m| {
                json!({"id": m.public_id, "object": "model",
                       "created": m.created_at.unix_timestamp(), "owned_by": m.provider})
            })
            .collect();
        Ok::<_, ApiError>(Json(json!({"object": "list", "data": data})).into_response())
    };
    with_id(answer.await.unwrap_or_else(IntoResponse::into_response), id)
}

/// A JSON object body, or a 400 that says what is wrong.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            None,
            "The request body must be a JSON object.".to_owned(),
        )),
        Err(error) => Err(ApiError::bad_request(
            None,
            format!("The request body is not valid JSON: {error}."),
        )),
    }
}

fn model_id(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("model") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(ApiError::bad_request(
            Some("model"),
            "`model` is required and must be a string.".to_owned(),
        )),
    }
}

async fn chat(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> Response {
    let id = Uuid::now_v7();
    let response = match proxy.chat(id, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    with_id(response, id)
}

async fn embeddings(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> Response {
    let id = Uuid::now_v7();
    let response = match proxy.embeddings(id, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    with_id(response, id)
}

/// `12.5` for 12,500,000 micro-credits: a plain decimal for headers.
fn plain(credits: Credits) -> String {
    let micros = credits.micros();
    let sign = if micros < 0 { "-" } else { "" };
    let (whole, fraction) = (
        micros.unsigned_abs() / 1_000_000,
        micros.unsigned_abs() % 1_000_000,
    );
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = format!("{fraction:06}");
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

/// The answer of a non-streamed request, with its charge in the headers.
fn charged_response(body: Bytes, charged: Credits, remaining: Credits) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in [(CHARGED, charged), (REMAINING, remaining)] {
        if let Ok(value) = HeaderValue::from_str(&plain(value)) {
            headers.insert(name, value);
        }
    }
    response
}

impl Proxy {
    async fn chat(&self, id: Uuid, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
        let started = Instant::now();
        let key = self.authenticate(headers).await?;
        let mut request = parse_body(body)?;
        let model_id = model_id(&request)?;
        let model = self.model(&model_id, "chat").await?;
        let messages = match request.get("messages") {
            Some(Value::Array(messages)) if !messages.is_empty() => messages,
            _ => {
                return Err(ApiError::bad_request(
                    Some("messages"),
                    "`messages` must be a non-empty array.".to_owned(),
                ))
            }
        };
        if messages
            .iter()
            .any(|m| m.get("role").and_then(Value::as_str).is_none())
        {
            return Err(ApiError::bad_request(
                Some("messages"),
                "Every message needs a `role`.".to_owned(),
            ));
        }
        let prompt_bound = tokens::bound_messages(messages);
        let prompt_count = tokens::count_messages(messages);
        let cap = u64::try_from(model.max_output_tokens).unwrap_or(1);
        let (limit_field, asked) = match (
            request.get("max_completion_tokens"),
            request.get("max_tokens"),
        ) {
            (Some(v), _) => ("max_completion_tokens", Some(v)),
            (None, Some(v)) => ("max_tokens", Some(v)),
            (None, None) => ("max_tokens", None),
        };
        let max_output = match asked {
            None | Some(Value::Null) => cap,
            Some(value) => match value.as_u64() {
                Some(n) if (1..=cap).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(
                        Some("max_tokens"),
                        format!(
                        "`{limit_field}` must be a whole number from 1 to {cap} for this model."
                    ),
                    ))
                }
            },
        };
        let context = u64::try_from(model.context_window).unwrap_or(0);
        if prompt_count + max_output > context {
            return Err(ApiError::bad_request(
                Some("messages"),
                format!(
                    "This request needs about {prompt_count} prompt tokens plus up to {max_output} \
                     output tokens, more than the model's context of {context}."
                ),
            ));
        }
        let streamed = match request.get("stream") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(stream)) => *stream,
            Some(_) => {
                return Err(ApiError::bad_request(
                    Some("stream"),
                    "`stream` must be true or false.".to_owned(),
                ))
            }
        };
        let wants_usage = request
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            == Some(true);
        self.admit(&key)?;
        let hold = self
            .reserve(&key, price(&model, prompt_bound, max_output), &model)
            .await?;
        let mut abandoned = Abandoned::guard(&self.inner.batcher, hold.id);

        request.insert(
            "model".to_owned(),
            Value::String(model.upstream_model.clone()),
        );
        request.insert(limit_field.to_owned(), Value::from(max_output));
        if streamed {
            request.insert("stream_options".to_owned(), json!({"include_usage": true}));
        }
        let mut usage = Usage {
            request: id,
            model: model.public_id.clone(),
            endpoint: "chat",
            streamed,
            input_tokens: 0,
            output_tokens: 0,
            status: StatusCode::OK,
            started,
        };
        let upstream = match self.forward(&model, "chat/completions", &request).await {
            Ok(upstream) => upstream,
            Err(error) => {
                usage.status = error.status;
                self.release(&hold, &usage).await;
                return Err(error);
            }
        };
        if streamed {
            // The relay task owns the reservation from here.
            abandoned.disarm();
            return Ok(stream::relay(
                self.clone(),
                upstream,
                stream::Relay {
                    hold,
                    usage,
                    model,
                    prompt_tokens: prompt_count,
                    wants_usage,
                    tpm_limit: key.tpm_limit,
                },
            ));
        }
        let body = match read_body(upstream, model.timeout()).await {
            Ok(body) => body,
            Err(error) => {
                usage.status = error.status;
                self.release(&hold, &usage).await;
                return Err(error);
            }
        };
        let reported = serde_json::from_slice::<Value>(&body).ok();
        let (input, output) = match reported.as_ref().and_then(reported_usage) {
            Some(counts) => counts,
            None => (
                prompt_count,
                reported.as_ref().map_or(0, |answer| {
                    answer
                        .get("choices")
                        .and_then(Value::as_array)
                        .map_or(0, |choices| {
                            choices
                                .iter()
                                .filter_map(|c| c.pointer("/message/content"))
                                .flat_map(tokens::content_text)
                                .map(tokens::count)
                                .sum()
                        })
                }),
            ),
        };
        usage.input_tokens = input;
        usage.output_tokens = output;
        self.inner
            .limits
            .spend_tokens(key.id, key.tpm_limit, input + output);
        let Some((charged, remaining)) = self.settle(&hold, &usage, &model).await else {
            return Err(ApiError::internal());
        };
        Ok(charged_response(body, charged, remaining))
    }

    async fn embeddings(
        &self,
        id: Uuid,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Response, ApiError> {
        let started = Instant::now();
        let key = self.authenticate(headers).await?;
        let mut request = parse_body(body)?;
        let model_id = model_id(&request)?;
        let model = self.model(&model_id, "embedding").await?;
        let Some(inputs) = request.get("input").and_then(tokens::embedding_inputs) else {
            return Err(ApiError::bad_request(
                Some("input"),
                "`input` must be a non-empty string or array of strings.".to_owned(),
            ));
        };
        let bound: u64 = inputs.iter().map(|s| s.len() as u64).sum();
        let counted: u64 = inputs.iter().map(|s| tokens::count(s)).sum();
        let context = u64::try_from(model.context_window).unwrap_or(0);
        if inputs.iter().any(|s| tokens::count(s) > context) {
            return Err(ApiError::bad_request(
                Some("input"),
                format!("An input is longer than the model's context of {context} tokens."),
            ));
        }
        self.admit(&key)?;
        let hold = self
            .reserve(&key, price(&model, bound.max(1), 0), &model)
            .await?;
        let _abandoned = Abandoned::guard(&self.inner.batcher, hold.id);
        request.insert(
            "model".to_owned(),
            Value::String(model.upstream_model.clone()),
        );
        let mut usage = Usage {
            request: id,
            model: model.public_id.clone(),
            endpoint: "embeddings",
            streamed: false,
            input_tokens: 0,
            output_tokens: 0,
            status: StatusCode::OK,
            started,
        };
        let forwarded = match self.forward(&model, "embeddings", &request).await {
            Ok(upstream) => read_body(upstream, model.timeout()).await,
            Err(error) => Err(error),
        };
        let body = match forwarded {
            Ok(body) => body,
            Err(error) => {
                usage.status = error.status;
                self.release(&hold, &usage).await;
                return Err(error);
            }
        };
        usage.input_tokens = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|answer| {
                answer
                    .pointer("/usage/prompt_tokens")
                    .and_then(Value::as_u64)
            })
            .unwrap_or(counted);
        self.inner
            .limits
            .spend_tokens(key.id, key.tpm_limit, usage.input_tokens);
        let Some((charged, remaining)) = self.settle(&hold, &usage, &model).await else {
            return Err(ApiError::internal());
        };
        Ok(charged_response(body, charged, remaining))
    }

    /// Sends the request upstream; answers once its headers are in.
    async fn forward(
        &self,
        model: &Model,
        path: &str,
        request: &Map<String, Value>,
    ) -> Result<reqwest::Response, ApiError> {
        let url = format!("{}/{path}", model.base_url.trim_end_matches('/'));
        let mut call = self.inner.client.post(url).json(request);
        if let Some(name) = &model.secret_env {
            let Some(secret) = model.secret() else {
                tracing::error!(provider = %model.provider, variable = %name, "the provider's secret variable is not set");
                return Err(ApiError::upstream(
                    "The model provider is not configured; the Lab has been told.".to_owned(),
                ));
            };
            call = call.bearer_auth(secret);
        }
        let response = match tokio::time::timeout(model.timeout(), call.send()).await {
            Err(_) => return Err(ApiError::timeout()),
            Ok(Err(error)) if error.is_timeout() => return Err(ApiError::timeout()),
            Ok(Err(error)) => {
                tracing::warn!(provider = %model.provider, %error, "upstream unreachable");
                return Err(ApiError::upstream(
                    "The model provider could not be reached.".to_owned(),
                ));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // The provider's own words, when it explains a client error.
        let text = tokio::time::timeout(Duration::from_secs(5), response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        tracing::warn!(provider = %model.provider, %status, "upstream refused the request");
        if matches!(status.as_u16(), 400 | 404 | 413 | 422) {
            return Err(ApiError::bad_request(
                None,
                message.unwrap_or_else(|| "The model provider refused the request.".to_owned()),
            ));
        }
        Err(ApiError::upstream(format!(
            "The model provider failed (HTTP {}).",
            status.as_u16()
        )))
    }
}

/// `(prompt_tokens, completion_tokens)` of an upstream answer.
fn reported_usage(answer: &Value) -> Option<(u64, u64)> {
    let usage = answer.get("usage")?;
    let input = usage.get("prompt_tokens")?.as_u64()?;
    let output = usage
        .get("completion_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Some((input, output))
}

async fn read_body(upstream: reqwest::Response, timeout: Duration) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(timeout, upstream.bytes()).await {
        Err(_) => Err(ApiError::timeout()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "upstream answer cut short");
            Err(ApiError::upstream(
                "The model provider's answer was cut short.".to_owned(),
            ))
        }
        Ok(Ok(body)) => Ok(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_round_up_to_the_micro_credit() {
        assert_eq!(cost(0, Some(5_000_000)), Credits::ZERO);
        assert_eq!(cost(1, Some(5_000_000)).micros(), 5);
        assert_eq!(cost(1, Some(1)).micros(), 1);
        assert_eq!(cost(3, Some(500_000)).micros(), 2);
        assert_eq!(cost(1_000_000, Some(2_000_000)).micros(), 2_000_000);
        assert_eq!(cost(10, None), Credits::ZERO);
    }

    #[test]
    fn header_amounts_are_plain_decimals() {
        assert_eq!(plain(Credits::from_micros(12_500_000)), "12.5");
        assert_eq!(plain(Credits::from_micros(1_234_000_000)), "1234");
        assert_eq!(plain(Credits::from_micros(7)), "0.000007");
    }
}
