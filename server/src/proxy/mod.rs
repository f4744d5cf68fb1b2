//! The OpenAI-compatible inference API under `/v1`: HTTP, OpenAI's wire
//! types and error envelope. Everything about money — who pays, limits,
//! reservations, settlements, usage records, token counts — is metering's
//! ([`app::server::metering::Meter`]); a handler here parses the request,
//! asks metering at each step and shapes the answer.
//!
//! A non-streamed answer is sent once its charge is durable; a stream's
//! chunks go out as they arrive and its final `[DONE]` once the charge is
//! durable ([`stream`]).

mod error;
pub mod raw;
mod stream;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::model::ModelKind;
use app::format::credits_plain as plain;
use app::server::metering::chat::{ChatMessage, EmbeddingInput};
use app::server::metering::{
    count, Counted, Meter, Model, Payer, Planned, Refusal, Reservation, Settled, Used,
};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

pub use self::error::ApiError;
pub(crate) use self::stream::{event_end, payload};
use self::wire::{Answer, ChatRequest, EmbeddingsRequest, Usage};
use crate::metrics::Outcome;
use crate::routes::Route;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const CHARGED: HeaderName = HeaderName::from_static("x-credits-charged");
const REMAINING: HeaderName = HeaderName::from_static("x-credits-remaining");

/// The most choices (`n`) one chat request may ask for.
const MAX_CHOICES: u64 = 8;

/// Bytes the proxy may add to a request on its way upstream besides the
/// upstream's model name: the output limit made explicit and the stream's
/// usage option.
const ADDED_BYTES: u64 = 96;

/// Everything a proxied request needs; cheap to clone.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

struct Inner {
    meter: Meter,
    client: reqwest::Client,
}

impl Proxy {
    pub fn new(meter: Meter) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner { meter, client }),
        })
    }

    pub(crate) fn meter(&self) -> &Meter {
        &self.inner.meter
    }
}

/// Where the proxy is mounted.
pub const PREFIX: &str = "/v1";

/// Every route of the proxy, relative to [`PREFIX`]; [`router`] is built
/// from this table, and the role matrix test reads it.
pub fn routes() -> Vec<Route<Proxy>> {
    vec![
        Route::get("/models", list_models),
        Route::post("/chat/completions", chat),
        Route::post("/embeddings", embeddings),
    ]
}

/// The routes, to nest under [`PREFIX`].
pub fn router(proxy: Proxy) -> Router {
    crate::routes::add(Router::new(), routes())
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

/// Answers with `result`, carrying the request id.
fn answer(result: Result<Response, ApiError>, id: Uuid) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn list_models(State(proxy): State<Proxy>, headers: HeaderMap) -> Response {
    answer(proxy.list_models(&headers).await, Uuid::now_v7())
}

async fn chat(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> Response {
    let id = Uuid::now_v7();
    answer(proxy.chat(id, &headers, body).await, id)
}

async fn embeddings(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> Response {
    let id = Uuid::now_v7();
    answer(proxy.embeddings(id, &headers, &body).await, id)
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()))
        .ok_or_else(|| {
            ApiError::invalid_key("Missing API key: send `Authorization: Bearer <key>`.")
        })
}

/// A JSON answer with its charge in the headers.
fn charged_response(body: Vec<u8>, settled: Settled) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in [(CHARGED, settled.charged), (REMAINING, settled.remaining)] {
        if let Ok(value) = HeaderValue::from_str(&plain(value)) {
            headers.insert(name, value);
        }
    }
    response
}

/// A chat request's prompt, kept to be counted if the upstream reports no
/// usage: its messages, and the request as it came (a chat template renders
/// tools and tool calls with their keys in order).
pub(crate) struct Prompt {
    messages: Vec<ChatMessage>,
    request: Bytes,
}

impl Prompt {
    fn of(request: &mut ChatRequest<'_>, body: &Bytes) -> Self {
        Self {
            messages: std::mem::take(&mut request.messages),
            request: body.clone(),
        }
    }

    /// Counted as the model's upstream counts it.
    pub(crate) async fn count(&self, meter: &Meter, model: &Model) -> Counted {
        meter
            .count_prompt(model, &self.messages, &self.request)
            .await
    }
}

/// What a validated chat request will do.
struct ChatPlan {
    planned: Planned,
    wants_usage: bool,
}

impl ChatRequest<'_> {
    /// Checks the request against `model` and plans its reservation.
    fn plan(
        &self,
        id: Uuid,
        started: Instant,
        meter: &Meter,
        model: &Model,
    ) -> Result<ChatPlan, ApiError> {
        if self.messages.is_empty() {
            return Err(ApiError::bad_request(
                Some("messages"),
                "`messages` must be a non-empty array.".to_owned(),
            ));
        }
        let cap = model.output_cap();
        let (field, asked) = match (self.max_completion_tokens, self.max_tokens) {
            (Some(n), _) => ("max_completion_tokens", Some(n)),
            (None, n) => ("max_tokens", n),
        };
        let max_output = match asked {
            None => cap,
            Some(n) if (1..=cap).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::bad_request(
                    Some("max_tokens"),
                    format!("`{field}` must be a whole number from 1 to {cap} for this model."),
                ))
            }
        };
        let choices = self.n.unwrap_or(1);
        if !(1..=MAX_CHOICES).contains(&choices) {
            return Err(ApiError::bad_request(
                Some("n"),
                format!("`n` must be a whole number from 1 to {MAX_CHOICES}."),
            ));
        }
        if self.has_non_text_parts() {
            return Err(ApiError::bad_request(
                Some("messages"),
                "This model takes text only: image, audio and file parts are not accepted."
                    .to_owned(),
            ));
        }
        let prompt = meter.estimate_prompt(model, &self.messages);
        let context = model.context();
        if prompt.tokens + max_output > context {
            return Err(ApiError::bad_request(
                Some("messages"),
                format!(
                    "This request needs about {} prompt tokens plus up to {max_output} \
                     output tokens, more than the model's context of {context}.",
                    prompt.tokens
                ),
            ));
        }
        let streamed = self.stream;
        Ok(ChatPlan {
            planned: Planned {
                id,
                kind: ModelKind::Chat,
                streamed,
                // Whatever the upstream bills for the prompt is at most a
                // token a byte of what it gets, plus its template's part.
                prompt_bound: meter
                    .prompt_bound(
                        model,
                        self.body_bytes
                            .saturating_add(model.upstream_model.len() as u64)
                            .saturating_add(ADDED_BYTES),
                    )
                    .max(prompt.tokens),
                max_output,
                choices,
                started,
                agent: None,
            },
            wants_usage: self.include_usage,
        })
    }
}

impl Proxy {
    async fn list_models(&self, headers: &HeaderMap) -> Result<Response, ApiError> {
        self.meter().authenticate_key(bearer(headers)?).await?;
        let models = self.meter().models().await?;
        let mut served: Vec<&Arc<Model>> =
            models.values().filter(|m| m.servable().is_ok()).collect();
        served.sort_by(|a, b| a.public_id.cmp(&b.public_id));
        let data: Vec<Value> = served
            .into_iter()
            .map(|m| {
                json!({"id": m.public_id, "object": "model",
                       "created": m.created_at.unix_timestamp(), "owned_by": m.provider})
            })
            .collect();
        Ok(Json(json!({"object": "list", "data": data})).into_response())
    }

    /// Authenticates, parses, finds the model, plans and reserves; a
    /// refusal on the way is recorded in the caller's usage.
    async fn chat(&self, id: Uuid, headers: &HeaderMap, body: Bytes) -> Result<Response, ApiError> {
        let started = Instant::now();
        let payer = self.meter().authenticate_key(bearer(headers)?).await?;
        let refusal = Refusal {
            id,
            kind: ModelKind::Chat,
            model: "",
            streamed: false,
            started,
            status: 0,
            agent: None,
        };
        let mut request = match ChatRequest::parse(&body) {
            Ok(request) => request,
            Err(error) => return Err(self.refuse_unreadable(&payer, refusal, &body, error).await),
        };
        let refusal = Refusal {
            model: request.model.as_ref(),
            streamed: request.stream,
            ..refusal
        };
        let found = self.meter().model(&request.model, ModelKind::Chat).await;
        let model = self.or_refused(&payer, refusal, found).await?;
        let planned = request.plan(id, started, self.meter(), &model);
        let plan = self.or_refused(&payer, refusal, planned).await?;
        let reserved = self.admit_and_reserve(&payer, &model, plan.planned).await;
        let reservation = self.or_refused(&payer, refusal, reserved).await?;
        let asked = std::mem::take(&mut request.model);
        let forwarded =
            match to_upstream(request.for_upstream(&model.upstream_model, plan.planned.max_output))
            {
                Ok(forwarded) => forwarded,
                Err(error) => return Err(released(reservation, error).await),
            };
        let sent = Instant::now();
        let upstream = match self.forward(&model, "chat/completions", forwarded).await {
            Ok(upstream) => upstream,
            Err(error) => return Err(released(reservation, measured(&model, sent, error)).await),
        };
        if plan.planned.streamed {
            return Ok(stream::relay(
                self.clone(),
                upstream,
                stream::Relay {
                    reservation,
                    asked,
                    prompt: Prompt::of(&mut request, &body),
                    wants_usage: plan.wants_usage,
                    sent,
                },
            ));
        }
        let prompt = Prompt::of(&mut request, &body);
        let body = match read_body(upstream, model.timeout()).await {
            Ok(body) => body,
            Err(error) => return Err(released(reservation, measured(&model, sent, error)).await),
        };
        crate::metrics::upstream_done(&model, sent, Outcome::Ok);
        let (body, used) = match Answer::parse(&body) {
            Some(mut answer) => {
                let used = self.chat_usage(&answer, &model, &prompt).await;
                // The upstream's own usage (with its details) stays as it
                // came; an answer without one gets what we bill.
                let ours = Usage::of(used.input.tokens, used.output.tokens);
                (to_vec(answer.for_client(&asked, Some(&ours)))?, used)
            }
            // Not an answer we can read: passed on as it is, its prompt counted.
            None => {
                let prompt = prompt.count(self.meter(), &model).await;
                let nothing = Counted {
                    tokens: 0,
                    by: prompt.by.clone(),
                };
                (body.to_vec(), used(prompt, nothing))
            }
        };
        let settled = reservation.settle(used).await?;
        Ok(charged_response(body, settled))
    }

    /// What a non-streamed chat answer used: its reported usage (from which
    /// the model's prompt overhead is learned), else our count.
    async fn chat_usage(&self, answer: &Answer<'_>, model: &Model, prompt: &Prompt) -> Used {
        if let Some(usage) = &answer.usage {
            self.meter()
                .learn_prompt(model, &prompt.messages, usage.prompt_tokens);
            return used(
                Counted::reported(usage.prompt_tokens),
                Counted::reported(usage.completion()),
            );
        }
        let mut text = String::new();
        answer.texts_into(&mut text);
        used(
            prompt.count(self.meter(), model).await,
            self.meter().count_output(model, &text).await,
        )
    }

    async fn embeddings(
        &self,
        id: Uuid,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Response, ApiError> {
        let started = Instant::now();
        let payer = self.meter().authenticate_key(bearer(headers)?).await?;
        let refusal = Refusal {
            id,
            kind: ModelKind::Embedding,
            model: "",
            streamed: false,
            started,
            status: 0,
            agent: None,
        };
        let mut request = match EmbeddingsRequest::parse(body) {
            Ok(request) => request,
            Err(error) => return Err(self.refuse_unreadable(&payer, refusal, body, error).await),
        };
        let refusal = Refusal {
            model: request.model.as_ref(),
            ..refusal
        };
        let found = self
            .meter()
            .model(&request.model, ModelKind::Embedding)
            .await;
        let model = self.or_refused(&payer, refusal, found).await?;
        let planned = plan_embeddings(id, started, &model, &request);
        let planned = self.or_refused(&payer, refusal, planned).await?;
        let reserved = self.admit_and_reserve(&payer, &model, planned).await;
        let reservation = self.or_refused(&payer, refusal, reserved).await?;
        let forwarded = match to_upstream(request.for_upstream(&model.upstream_model)) {
            Ok(forwarded) => forwarded,
            Err(error) => return Err(released(reservation, error).await),
        };
        let sent = Instant::now();
        let forwarded = match self.forward(&model, "embeddings", forwarded).await {
            Ok(upstream) => read_body(upstream, model.timeout()).await,
            Err(error) => Err(error),
        };
        let body = match forwarded {
            Ok(body) => body,
            Err(error) => return Err(released(reservation, measured(&model, sent, error)).await),
        };
        crate::metrics::upstream_done(&model, sent, Outcome::Ok);
        let nothing = Counted::reported(0);
        let (body, used) = match Answer::parse(&body) {
            Some(mut answer) => {
                let input = match &answer.usage {
                    Some(usage) => Counted::reported(usage.prompt_tokens),
                    None => self.count_inputs(&model, &request.input).await,
                };
                (
                    to_vec(answer.for_client(&request.model, None))?,
                    used(input, nothing),
                )
            }
            None => (
                body.to_vec(),
                used(self.count_inputs(&model, &request.input).await, nothing),
            ),
        };
        let settled = reservation.settle(used).await?;
        Ok(charged_response(body, settled))
    }

    /// Our count of embedding inputs, for an upstream that reports none.
    async fn count_inputs(&self, model: &Model, input: &EmbeddingInput) -> Counted {
        let mut counted = Counted::reported(0);
        for text in input.texts().unwrap_or_default() {
            let one = self.meter().count_output(model, text).await;
            counted.tokens += one.tokens;
            counted.by = one.by;
        }
        counted
    }

    /// `result`'s value, or its error as the caller's answer, recorded in
    /// their usage first. Refusals for rate are not recorded: under a
    /// flood they must stay as cheap as they are.
    async fn or_refused<T, E: Into<ApiError>>(
        &self,
        payer: &Payer,
        refusal: Refusal<'_>,
        result: Result<T, E>,
    ) -> Result<T, ApiError> {
        match result {
            Ok(value) => Ok(value),
            Err(error) => Err(self.refuse(payer, refusal, error.into()).await),
        }
    }

    /// [`Self::refuse`] for a body that could not be read as a request:
    /// recorded under the model it names, where that much can be read.
    async fn refuse_unreadable(
        &self,
        payer: &Payer,
        refusal: Refusal<'_>,
        body: &[u8],
        error: ApiError,
    ) -> ApiError {
        let asked = wire::asked_model(body);
        let model = asked.as_deref().unwrap_or_default();
        self.refuse(payer, Refusal { model, ..refusal }, error)
            .await
    }

    /// `error` as the caller's answer, recorded in their usage first
    /// (unless it is a refusal for rate, see [`Self::or_refused`]).
    async fn refuse(&self, payer: &Payer, refusal: Refusal<'_>, error: ApiError) -> ApiError {
        if error.status != StatusCode::TOO_MANY_REQUESTS {
            let status = error.status.as_u16();
            self.meter()
                .record_refusal(payer, Refusal { status, ..refusal })
                .await;
        }
        error
    }

    async fn admit_and_reserve(
        &self,
        payer: &Payer,
        model: &Arc<Model>,
        planned: Planned,
    ) -> Result<Reservation, ApiError> {
        self.meter().admit(payer)?;
        Ok(self.meter().reserve(payer, model, planned).await?)
    }

    /// Sends the request upstream; answers once its headers are in.
    pub(crate) async fn forward(
        &self,
        model: &Model,
        path: &str,
        request: Vec<u8>,
    ) -> Result<reqwest::Response, ApiError> {
        let url = format!("{}/{path}", model.base_url.trim_end_matches('/'));
        let mut call = self
            .inner
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(request);
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
        Err(refused(model, response).await)
    }
}

/// The error for an upstream's refusal, in its own words when it explains
/// a client error.
async fn refused(model: &Model, response: reqwest::Response) -> ApiError {
    let status = response.status();
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
        return ApiError::bad_request(
            None,
            message.unwrap_or_else(|| "The model provider refused the request.".to_owned()),
        );
    }
    ApiError::upstream(format!(
        "The model provider failed (HTTP {}).",
        status.as_u16()
    ))
}

/// Releases `reservation` after `error`, recording the failure; returns it.
/// Checks an embeddings request against `model` and plans its reservation.
fn plan_embeddings(
    id: Uuid,
    started: Instant,
    model: &Model,
    request: &EmbeddingsRequest<'_>,
) -> Result<Planned, ApiError> {
    let Some(inputs) = request.input.texts() else {
        return Err(ApiError::bad_request(
            Some("input"),
            "`input` must be a non-empty string or array of strings.".to_owned(),
        ));
    };
    let context = model.context();
    if inputs.iter().any(|s| count::count(s) > context) {
        return Err(ApiError::bad_request(
            Some("input"),
            format!("An input is longer than the model's context of {context} tokens."),
        ));
    }
    Ok(Planned {
        id,
        kind: ModelKind::Embedding,
        streamed: false,
        prompt_bound: inputs.iter().map(|s| s.len() as u64).sum(),
        max_output: 0,
        choices: 1,
        started,
        agent: None,
    })
}

/// `error`, recorded as how a request sent upstream at `sent` ended.
fn measured(model: &Model, sent: Instant, error: ApiError) -> ApiError {
    crate::metrics::upstream_done(model, sent, Outcome::of_failure(error.status));
    error
}

async fn released(reservation: Reservation, error: ApiError) -> ApiError {
    reservation.release(error.status.as_u16()).await;
    error
}

fn used(input: Counted, output: Counted) -> Used {
    Used {
        input,
        output,
        status: StatusCode::OK.as_u16(),
    }
}

fn to_vec(written: serde_json::Result<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    written.map_err(|error| {
        tracing::error!(%error, "writing an answer");
        ApiError::internal()
    })
}

fn to_upstream(written: serde_json::Result<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    written.map_err(|error| {
        tracing::error!(%error, "writing a request");
        ApiError::internal()
    })
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
    use app::domain::credits::Credits;

    #[test]
    fn header_amounts_are_plain_decimals() {
        assert_eq!(plain(Credits::from_micros(12_500_000)), "12.5");
        assert_eq!(plain(Credits::from_micros(1_234_000_000)), "1234");
        assert_eq!(plain(Credits::from_micros(7)), "0.000007");
    }
}
